# `make bench` is not part of `make test`, but its scripts are: the smallest
# benchmark runs both playbooks, prints the table, writes results and plot.
import json
import os
import subprocess
import sys

from .conftest import ROOT, ansible_env


def test_the_benchmark_runs(tmp_path):
    out = tmp_path / 'bench'
    completed = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tests', 'benchmark', 'bench.py'), '--meetings', '2', '--runs', '1',
         '--sizes', '1,2', '--repeat', '2', '--out', str(out)],
        env=ansible_env(), capture_output=True, text=True, check=False, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    for words in ('event start, 2 meetings, forks 5: median wall time (s)', 'event start: HTTP calls per run',
                  'one task (no-op record vs uri GET): wall time (s)', 'event start, 1 meetings: wall time (s)',
                  'the same, modules as module processes (s)', 'the same, as a module process (s)',
                  'HTTP calls per no-op task with a cached token: 1.00'):
        assert words in completed.stdout
    results = json.loads((out / 'results.json').read_text())
    assert set(results['event_start']) == {'uri', 'collection', 'module_process'}
    # both ways of running the collection make the same calls
    assert results['event_start']['collection']['calls'] == results['event_start']['module_process']['calls']
    assert results['event_start']['uri']['calls'] == 1 + 7 * 2  # one login, seven calls per meeting
    assert 0 < results['wall_time_ratio'] < 5 and 0 < results['per_task_ratio'] < 5
    assert (out / 'wall_time.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
