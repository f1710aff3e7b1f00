# tests/utils/check_python.py, which make runs before it installs anything:
# a Python below the floor is refused in one sentence, and a .venv made by
# another Python is made again.
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, 'tests', 'utils', 'check_python.py')


def run(*args):
    return subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, text=True, timeout=120,
                          check=False)


def test_a_python_below_the_floor_is_refused_in_one_sentence(tmp_path):
    completed = run('--floor', '99.1', '--venv', str(tmp_path / 'venv'))
    assert completed.returncode == 2
    assert completed.stderr.startswith('make: Python 99.1 or newer is needed')
    assert 'run make with PYTHON=python3.11 (or newer).' in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
    assert not (tmp_path / 'venv').exists()


def test_a_venv_made_by_another_python_is_made_again(tmp_path):
    venv = tmp_path / 'venv'
    venv.mkdir()
    (venv / 'left-over').write_text('from before')
    (venv / '.made-by').write_text('/usr/bin/python3.10 3.10.12\n')
    completed = run('--floor', '3.0', '--venv', str(venv))
    assert completed.returncode == 0, completed.stderr
    assert '.venv was made by /usr/bin/python3.10 3.10.12; making it again with' in completed.stdout
    assert not (venv / 'left-over').exists()
    assert (venv / '.made-by').read_text() == 'Python %d.%d.%d at %s\n' % (
        sys.version_info[:3] + (os.path.realpath(sys.base_prefix),))
    assert (venv / 'bin' / 'python').exists()
    # made by this Python: left alone the next time
    (venv / 'left-over').write_text('kept')
    again = run('--floor', '3.0', '--venv', str(venv))
    assert again.returncode == 0 and again.stdout == ''
    assert (venv / 'left-over').read_text() == 'kept'


def test_the_venvs_own_python_counts_as_the_python_that_made_it(tmp_path):
    # make exports PATH with .venv/bin first, so a make run inside make (the
    # demo's `make eda-venv`) finds the .venv's python as python3: that must
    # not throw away the .venv the outer make just filled.
    venv = tmp_path / 'venv'
    made = run('--floor', '3.0', '--venv', str(venv))
    assert made.returncode == 0, made.stderr
    (venv / 'installed').write_text('what pip put here')
    own = subprocess.run([str(venv / 'bin' / 'python3'), SCRIPT, '--floor', '3.0', '--venv', str(venv)],
                         capture_output=True, text=True, timeout=120, check=False)
    assert own.returncode == 0, own.stderr
    assert own.stdout == ''
    assert (venv / 'installed').read_text() == 'what pip put here'
