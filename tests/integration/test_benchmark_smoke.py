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


def run_scale(out, *scenarios):
    """tests/benchmark/event_scale.py at the smallest size (4 meetings, 2
    forks, 2 calls of an API per 2 s): its stdout and its JSON results."""
    completed = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tests', 'benchmark', 'event_scale.py'), '--meetings', '4', '--forks', '2',
         '--limit', '2', '--window', '2', '--scenarios', ','.join(scenarios), '--out', str(out)],
        env=ansible_env(), capture_output=True, text=True, check=False, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    results = json.loads((out / 'event_scale.json').read_text())
    assert results['settings']['meetings'] == 4 and results['settings']['limit'] == 2
    assert sorted(results['results']) == sorted(scenarios)
    return completed.stdout, results['results']


# The scale benchmark in two halves, which `make test` runs side by side.

def test_the_scale_benchmark_runs_the_event_with_and_without_the_limit(tmp_path):
    out = tmp_path / 'scale'
    stdout, figures = run_scale(out, 'unlimited', 'limited')
    for words in ('unlimited event_start (event_batch=0): T (s)', 'floor (k-1) x W + T/k, k = ceil(M/L) = 2 (s)',
                  "the issue's floor: max over APIs (ceil(calls/L)-1) x W (s)",
                  'limited event_start (event_batch=2): wall time (s)', 'ratio to the floor',
                  'second run: changed (activate / record / live / broadcast)', 'ratio to its floor'):
        assert words in stdout
    # counts and states, not times: every run converged without a failed host
    for run in (figures['unlimited']['first'], figures['unlimited']['second'], figures['limited']['first'],
                figures['limited']['second']):
        assert (run['failed_hosts'], run['converged']) == (0, 4), run
    first = figures['limited']['first']
    assert first['k'] == 2 and first['logins'] == 1
    assert first['floor'] == round((2 - 1) * 2 + figures['unlimited']['first']['seconds'] / 2, 2)
    assert max(first['calls_per_api'].values()) == 4  # one call of each API per meeting
    # the second run changes the live stream only (the vendor publishes no live state)
    assert figures['limited']['second']['changed_per_task'] == {
        'Activate the meeting': 0, 'Start cloud recording': 0, 'Start the live stream': 4,
        'Broadcast the keynote speaker': 0}
    assert 'calls_log' not in first  # the call logs stay out of the JSON
    assert (out / 'event_scale_rate_limit.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_the_scale_benchmark_runs_the_plain_play_two_controllers_and_the_event_source(tmp_path):
    stdout, figures = run_scale(tmp_path / 'scale', 'plain', 'two', 'eda')
    for words in ('plain play (event_batch=0), limited: wall time (s)',
                  'two controllers, 2 meetings each, event_batch=2: wall times (s)', 'event source, 4 meetings: logins',
                  'every channel dropped: all reconnected after (s)'):
        assert words in stdout
    assert (figures['plain']['failed_hosts'], figures['plain']['converged']) == (0, 4)
    assert (figures['two']['failed_hosts'], figures['two']['converged']) == (0, 4)
    eda = figures['eda']
    assert (eda['logins'], eda['reconnected_watchers'], eda['failed_watchers']) == (1, 4, 0)


def test_the_preflight_benchmark_runs():
    # event_check's estimate against event_start's real time, the smallest:
    # 4 meetings, forks 2, 4 calls of an API per 3 s (figures, not judged)
    completed = subprocess.run(
        [sys.executable, os.path.join(ROOT, 'tests', 'benchmark', 'preflight.py'), '--meetings', '4', '--forks', '2',
         '--limit', '4', '--window', '3'],
        env=ansible_env(), capture_output=True, text=True, check=False, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    result = json.loads(open(os.path.join(ROOT, '.build', 'bench', 'preflight.json')).read())[0]
    assert (result['meetings'], result['converged'], result['throttled'], result['start_rc']) == (4, 4, 0, 0)
    assert result['estimate_sentence'].startswith("4 meetings: at least ")
    assert "at the gateway's 4 calls of an API every 3 seconds; start by " in result['estimate_sentence']
    # the ratio of the two figures as the table shows them
    assert result['ratio'] == round(result['estimate_seconds'] / result['start_seconds'], 3)
    assert '| 4 | 2 |' in completed.stdout
