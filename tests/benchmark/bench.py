#!/usr/bin/env python
"""`make bench`: hwcloud.meeting against the hand-written ansible.builtin.uri
playbook, side by side, against the simulator with a simulated round trip.

Prints a table and writes results.json and wall_time.png to --out:

- calls per run of the event-start runbook, from the simulator's call log;
- wall time of the event-start runbook for --meetings meetings (one host per
  meeting, --forks forks), the two playbooks run alternately, median of
  --runs runs each;
- per-task overhead: N no-op meeting_record tasks with a cached token
  against N ansible.builtin.uri GET tasks, less a playbook with no task; and
  what the meeting-status push costs a task: the same no-op record with
  state_source: realtime, against a simulator whose confInfo reports the
  state (the real service's does not);
- wall time against the number of meetings (--sizes), plotted.

The collection is measured as shipped (with a local connection its modules
run inside Ansible's worker process, docs/direct_execution.md) and, for
comparison, as module processes (HWMEETING_DIRECT_EXECUTION=false).

Every run starts from meetings that are scheduled, and an empty token cache.
The collection runs against the simulator's vendor-like answers (the state
comes from the push). The uri playbook reads confInfo's state fields, which
the real service does not send, so it runs against the simulator's
confinfo_state switch: the baseline is what a hand-written playbook would cost
if REST reported the state.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'simulator'))

from hwmeeting_sim import Simulator  # noqa: E402  (path set just above)

BIN = os.path.dirname(sys.executable)
ACCOUNT, ACCOUNT_PASSWORD = 'bench@example.com', 'bench-account-password'
URI_PLAYBOOK = os.path.join(HERE, 'uri_event_start.yml')
COLLECTION_PLAYBOOK = os.path.join(ROOT, 'playbooks', 'event_start.yml')
MODULE_PROCESS = {'HWMEETING_DIRECT_EXECUTION': 'false'}
# name: (playbook, environment, simulator settings); run in this order, alternately
VARIANTS = (('uri', URI_PLAYBOOK, {}, {'confinfo_state': True}), ('collection', COLLECTION_PLAYBOOK, {}, {}),
            ('module_process', COLLECTION_PLAYBOOK, MODULE_PROCESS, {}))


def http_calls(sim):
    return [call for call in sim.calls if not call.get('websocket')]


def push_connections(sim):
    return [call for call in sim.calls if call.get('websocket')]


def meetings_config(count):
    """`count` scheduled meetings, each with a keynote speaker and two others."""
    meetings = []
    for number in range(count):
        meeting_id = str(910000000 + number)
        meetings.append({
            'id': meeting_id, 'subject': 'Webinar %d' % number, 'host_password': 'host-%06d' % number,
            'state': 'Schedule',
            'participants': [
                {'pid': 'p%s-host' % meeting_id, 'name': 'Host', 'phone': '+991%06d' % number},
                {'pid': 'p%s-speaker' % meeting_id, 'name': 'Keynote Speaker', 'phone': '+992%06d' % number},
                {'pid': 'p%s-guest' % meeting_id, 'name': 'Guest', 'phone': '+993%06d' % number},
            ]})
    return {'accounts': [{'account': ACCOUNT, 'password': ACCOUNT_PASSWORD}], 'meetings': meetings}


def write_inventory(directory, config, url):
    hosts = {'meeting%03d' % number: {'conference_id': meeting['id'], 'host_password': meeting['host_password'],
                                      'keynote_speaker': 'Keynote Speaker'}
             for number, meeting in enumerate(config['meetings'])}
    inventory = {'meetings': {'hosts': hosts, 'vars': {
        'meeting_api_url': url, 'meeting_account': ACCOUNT, 'meeting_account_password': ACCOUNT_PASSWORD}}}
    path = os.path.join(directory, 'inventory.json')
    with open(path, 'w') as handle:
        json.dump(inventory, handle)
    return path


class Bench(object):
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.cache = os.path.join(workdir, 'tokens')
        self.env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_LOCALHOST_WARNING='false',
                        ANSIBLE_INVENTORY_UNPARSED_WARNING='false', HWMEETING_TOKEN_CACHE_DIR=self.cache,
                        ANSIBLE_COLLECTIONS_PATH=os.environ.get('ANSIBLE_COLLECTIONS_PATH')
                        or os.path.join(ROOT, '.build', 'collections'))
        self.env.pop('HWMEETING_DIRECT_EXECUTION', None)

    def playbook(self, path, inventory=None, extra=None, env=None):
        """Run a playbook; its wall time in seconds."""
        command = [os.path.join(BIN, 'ansible-playbook'), path, '-f', str(self.args.forks)]
        if inventory:
            command += ['-i', inventory]
        for key, value in (extra or {}).items():
            command += ['-e', '%s=%s' % (key, value)]
        started = time.monotonic()
        completed = subprocess.run(command, env=dict(self.env, **(env or {})), capture_output=True, text=True,
                                   check=False)
        elapsed = time.monotonic() - started
        if completed.returncode != 0:
            sys.exit('%s failed:\n%s' % (os.path.basename(path), completed.stdout[-3000:] + completed.stderr[-2000:]))
        return elapsed

    def event_start(self, sim, inventory, playbook, env, settings):
        """One cold run: scheduled meetings, no cached token. (seconds, HTTP calls, push connections)"""
        sim.reset()
        sim.configure(**settings)
        shutil.rmtree(self.cache, ignore_errors=True)
        seconds = self.playbook(playbook, inventory, env=env)
        for meeting in sim._state.list_meetings():
            assert meeting['state'] == 'Created' and meeting['recording'] and meeting['live'], meeting['id']
            assert meeting['broadcast_pid'].endswith('-speaker'), meeting['id']
        return seconds, len(http_calls(sim)), len(push_connections(sim))

    def compare(self, count, runs):
        """The playbooks alternately, `runs` times each, on `count` meetings."""
        config = meetings_config(count)
        with Simulator(config=config, delay=self.args.latency) as sim:
            inventory = write_inventory(self.workdir, config, sim.url)
            results = dict((name, []) for name, _playbook, _env, _settings in VARIANTS)
            for _run in range(runs):
                for name, playbook, env, settings in VARIANTS:
                    results[name].append(self.event_start(sim, inventory, playbook, env, settings))
        return {name: {'seconds': [seconds for seconds, _calls, _push in values],
                       'median': statistics.median(seconds for seconds, _calls, _push in values),
                       'calls': values[0][1], 'push_connections': values[0][2]}
                for name, values in results.items()}

    def per_task(self, repeat, runs):
        """Per-task wall time of a no-op meeting_record (cached token) and of
        a uri GET, from playbooks of `repeat` tasks less one of none."""
        config = meetings_config(1)
        meeting = config['meetings'][0]
        playbooks = {}
        record = {'api_url': '{{ meeting_api_url }}', 'conference_id': meeting['id'],
                  'host_password': meeting['host_password'], 'state': 'stopped'}
        for name, task in (
                ('collection', {'name': 'No-op record', 'hwcloud.meeting.meeting_record': record}),
                ('realtime', {'name': 'No-op record from confInfo',
                              'hwcloud.meeting.meeting_record': dict(record, state_source='realtime')}),
                ('uri', {'name': 'Realtime GET', 'ansible.builtin.uri': {
                    'url': '{{ meeting_api_url }}/v1/mmc/control/conferences/realTimeInfo?conferenceID=%s'
                           % meeting['id'], 'headers': {'X-Conference-Authorization': '{{ control_token }}'}}}),
                ('empty', None)):
            tasks = [dict(task, name='%s %d' % (task['name'], number)) for number in range(repeat)] if task else []
            path = os.path.join(self.workdir, 'per_task_%s.yml' % name)
            with open(path, 'w') as handle:
                json.dump([{'name': name, 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], handle)
            playbooks[name] = path
        # confinfo_state: the realtime variant can verify the state (the push
        # variant reads the push first and does not read confInfo at all)
        with Simulator(config=config, delay=self.args.latency, confinfo_state=True) as sim:
            sim.set_meeting(meeting['id'], state='Created')
            token = requests.get(sim.url + '/v1/mmc/control/conferences/token', params={'conferenceID': meeting['id']},
                                 headers={'X-Password': meeting['host_password'], 'X-Login-Type': '1'},
                                 timeout=10).json()['data']['token']
            extra = {'meeting_api_url': sim.url, 'control_token': token}
            shutil.rmtree(self.cache, ignore_errors=True)
            self.playbook(playbooks['collection'], extra=extra)  # leaves its control token in the cache
            runs_of = (('uri', 'uri', {}), ('collection', 'collection', {}), ('realtime', 'realtime', {}),
                       ('module_process', 'collection', MODULE_PROCESS), ('empty', 'empty', {}))
            times = dict((name, []) for name, _playbook, _env in runs_of)
            for _run in range(runs):
                for name, playbook, env in runs_of:
                    times[name].append(self.playbook(playbooks[playbook], extra=extra, env=env))
            sim.clear_calls()
            self.playbook(playbooks['collection'], extra=extra)
            calls_per_noop = len(http_calls(sim)) / float(repeat)
            push_per_noop = len(push_connections(sim)) / float(repeat)
        empty = statistics.median(times['empty'])
        per_task = {name: (statistics.median(times[name]) - empty) / repeat
                    for name in ('collection', 'uri', 'module_process', 'realtime')}
        return {'per_task_seconds': per_task, 'playbook_seconds': times, 'calls_per_noop_task': calls_per_noop,
                'push_connections_per_noop_task': push_per_noop}


def plot(scaling, path):
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    sizes = sorted(int(size) for size in scaling)
    figure, axes = pyplot.subplots(figsize=(7, 4.5), dpi=110)
    for name, label, marker in (('uri', 'ansible.builtin.uri playbook', 'o'),
                                ('collection', 'hwcloud.meeting.event_start', 's'),
                                ('module_process', 'event_start, HWMEETING_DIRECT_EXECUTION=false', '^')):
        axes.plot(sizes, [scaling[str(size)][name]['median'] for size in sizes], marker=marker, label=label)
    axes.set_xlabel('meetings (inventory hosts)')
    axes.set_ylabel('wall time of the event start (s)')
    axes.set_title('Event start against the simulator, 20 ms per request')
    axes.grid(True, alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--meetings', type=int, default=20)
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--forks', type=int, default=5)
    parser.add_argument('--latency', type=float, default=0.02, help='simulated seconds per request')
    parser.add_argument('--sizes', default='1,10,50,100', help='meeting counts of the plot')
    parser.add_argument('--repeat', type=int, default=20, help='tasks of the per-task playbooks')
    parser.add_argument('--out', default=os.path.join(ROOT, '.build', 'bench'))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    workdir = tempfile.mkdtemp(prefix='hwmeeting-bench-')
    bench = Bench(args, workdir)
    try:
        comparison = bench.compare(args.meetings, args.runs)
        per_task = bench.per_task(args.repeat, args.runs)
        scaling = {str(size): bench.compare(size, 1) for size in (int(size) for size in args.sizes.split(','))}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    uri = comparison['uri']['median']
    ratio = comparison['collection']['median'] / uri
    process_ratio = comparison['module_process']['median'] / uri
    seconds = per_task['per_task_seconds']
    task_ratio = seconds['collection'] / seconds['uri']
    results = {'settings': vars(args), 'event_start': comparison, 'wall_time_ratio': ratio,
               'module_process_wall_time_ratio': process_ratio, 'per_task': per_task, 'per_task_ratio': task_ratio,
               'module_process_per_task_ratio': seconds['module_process'] / seconds['uri'], 'scaling': scaling,
               'push_cost_per_task_seconds': seconds['collection'] - seconds['realtime']}
    with open(os.path.join(args.out, 'results.json'), 'w') as handle:
        json.dump(results, handle, indent=2)
    plot(scaling, os.path.join(args.out, 'wall_time.png'))

    rows = [
        ('event start, %d meetings, forks %d: median wall time (s)' % (args.meetings, args.forks),
         '%.2f' % uri, '%.2f' % comparison['collection']['median'], '%.2f' % ratio),
        ('  the same, modules as module processes (s)', '%.2f' % uri,
         '%.2f' % comparison['module_process']['median'], '%.2f' % process_ratio),
        ('event start: HTTP calls per run', str(comparison['uri']['calls']), str(comparison['collection']['calls']),
         '%.2f' % (float(comparison['collection']['calls']) / comparison['uri']['calls'])),
        ('event start: push connections per run', str(comparison['uri']['push_connections']),
         str(comparison['collection']['push_connections']), ''),
        ('one task (no-op record vs uri GET): wall time (s)', '%.3f' % seconds['uri'],
         '%.3f' % seconds['collection'], '%.2f' % task_ratio),
        ('  the same, as a module process (s)', '%.3f' % seconds['uri'], '%.3f' % seconds['module_process'],
         '%.2f' % (seconds['module_process'] / seconds['uri'])),
        ('  the same, state_source realtime (no push) (s)', '%.3f' % seconds['uri'], '%.3f' % seconds['realtime'],
         '%.2f' % (seconds['realtime'] / seconds['uri'])),
    ]
    for size in sorted(scaling, key=int):
        figures = scaling[size]
        rows.append(('event start, %s meetings: wall time (s)' % size, '%.2f' % figures['uri']['median'],
                     '%.2f' % figures['collection']['median'],
                     '%.2f' % (figures['collection']['median'] / figures['uri']['median'])))
        rows.append(('  the same, as module processes (s)', '%.2f' % figures['uri']['median'],
                     '%.2f' % figures['module_process']['median'],
                     '%.2f' % (figures['module_process']['median'] / figures['uri']['median'])))
    width = max(len(row[0]) for row in rows)
    title = 'figure (latency %d ms, runs %d)' % (args.latency * 1000, args.runs)
    print('\n%-*s  %10s  %12s  %6s' % (width, title, 'uri', 'collection', 'ratio'))
    for row in rows:
        print('%-*s  %10s  %12s  %6s' % ((width,) + row))
    print('\nHTTP calls per no-op task with a cached token: %.2f' % per_task['calls_per_noop_task'])
    print('Push connections per no-op task: %.2f' % per_task['push_connections_per_noop_task'])
    print('What the push costs a no-op task (push less realtime): %.3f s' % (seconds['collection'] - seconds['realtime']))
    print('Results: %s\nPlot: %s' % (os.path.join(args.out, 'results.json'), os.path.join(args.out, 'wall_time.png')))


if __name__ == '__main__':
    main()
