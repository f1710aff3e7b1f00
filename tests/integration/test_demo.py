# `make demo` (tests/demo/run_demo.py) as a newcomer runs it: its own
# simulator, the four runbook steps, exit code 0. `make test` runs this, so
# the demo cannot break unseen.
import os
import re
import subprocess
import sys

from .conftest import ROOT, ansible_env, keep_output

DEMO = os.path.join(ROOT, 'tests', 'demo', 'run_demo.py')


def status_blocks(out):
    """The status lines of each event_status step, in order."""
    blocks = []
    for step in out.split('== Status of every meeting')[1:]:
        blocks.append(sorted(set(re.findall(r'"msg": "(\w+ \(\d+\): [^"]*)"', step.split('\n== ')[0]))))
    return blocks


def test_the_demo_runs(tmp_path):
    env = ansible_env({'HWMEETING_TOKEN_CACHE_DIR': str(tmp_path / 'tokens')})
    completed = subprocess.run([sys.executable, DEMO], cwd=ROOT, env=env, capture_output=True, text=True,
                               check=False, timeout=600)
    out = completed.stdout + completed.stderr
    keep_output('demo', 'run_demo', out)  # README.md and docs/ quote it (tests/docs)
    assert completed.returncode == 0, out[-4000:]
    assert '== Demo done; the simulator stopped' in out, out[-4000:]
    recaps = re.findall(r'^\S+\s+:\s+ok=\d+\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)', out, re.MULTILINE)
    assert recaps and all(counts == ('0', '0') for counts in recaps), out[-4000:]
    during, after = status_blocks(out)
    assert during and len(during) == len(after), out[-4000:]
    # the live state is published nowhere by the vendor (nor by the simulator's default)
    assert all(', recording on, live unknown, ' in line for line in during), during
    assert all(', recording off, live unknown, broadcast none, ' in line for line in after), after
    assert 'Healed: the rulebook started the recording of 914044873 again (recording: True)' in out, out[-4000:]
    assert 'Traceback' not in out
