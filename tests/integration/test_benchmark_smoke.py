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
                  'HTTP calls per no-op task with a cached token: 1.00', 'Push connections per no-op task: 1.00',
                  'What the push costs a no-op task (push less realtime):',
                  'the same, state_source realtime (no push) (s)', 'event start: push connections per run'):
        assert words in completed.stdout
    results = json.loads((out / 'results.json').read_text())
    event, scaling = results['event_start'], results['scaling']
    assert set(event) == {'uri', 'collection', 'module_process'}
    assert sorted(scaling, key=int) == ['1', '2']
    # Counts, not times (wall time is for `make bench` to measure, not for a
    # test on a shared machine to judge): both ways of running the collection
    # make the same calls, the same event makes the same calls each time,
    # and each meeting adds the same number of calls.
    assert event['collection']['calls'] == event['module_process']['calls']
    assert event['uri']['calls'] == 1 + 7 * 2  # one login, seven calls per meeting
    for name in ('uri', 'collection', 'module_process'):
        assert len(event[name]['seconds']) == 1 and event[name]['median'] == event[name]['seconds'][0]
        assert scaling['2'][name]['calls'] == event[name]['calls']
        assert scaling['2'][name]['calls'] - scaling['1'][name]['calls'] == \
            scaling['1'][name]['calls'] - 1  # per meeting: all but the one login
    # the ratios are what the table says they are
    assert results['wall_time_ratio'] == event['collection']['median'] / event['uri']['median']
    seconds = results['per_task']['per_task_seconds']
    assert results['per_task_ratio'] == seconds['collection'] / seconds['uri']
    assert results['per_task']['calls_per_noop_task'] == 1.0  # wsToken
    assert results['per_task']['push_connections_per_noop_task'] == 1.0
    # the uri playbook opens no push connection; the collection one per record and broadcast task
    assert event['uri']['push_connections'] == 0
    assert event['collection']['push_connections'] == event['module_process']['push_connections'] == 2 * 2
    assert (out / 'wall_time.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
