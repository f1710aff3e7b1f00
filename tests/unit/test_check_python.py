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
    assert os.path.realpath(sys.executable) in (venv / '.made-by').read_text()
    assert (venv / 'bin' / 'python').exists()
    # made by this Python: left alone the next time
    (venv / 'left-over').write_text('kept')
    again = run('--floor', '3.0', '--venv', str(venv))
    assert again.returncode == 0 and again.stdout == ''
    assert (venv / 'left-over').read_text() == 'kept'
