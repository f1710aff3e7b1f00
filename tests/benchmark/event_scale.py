#!/usr/bin/env python
"""`make bench`, part two: the event-day runbook at scale under the gateway's
per-API rate limit, against the simulator with a simulated round trip.

M meetings (one inventory host each, every one with a keynote speaker to
broadcast), F forks, one App ID login, the gateway's limit of L calls of one
API per caller in any W seconds (the vendor's example: 100 a minute). Each
run starts from scheduled meetings and an empty token cache, unless it says
otherwise. The scenarios (--scenarios, in this order):

- unlimited: event_start with the limit off, all meetings in one batch
  (-e event_batch=0): T, the runbook's own time without a limit; then the
  same again (the second run's own time, T2).
- limited: event_start with the limit on and batches of the limit's size
  (-e event_batch=L), against the floor (k - 1) x W + T / k, k = ceil(M / L):
  with one call of each API per meeting, the last of k batches cannot start
  an API before k - 1 windows have passed, and the work itself takes T.
  Then a second run (the same controller and token cache, once the
  gateway's windows are empty again), which should change only the live
  stream, against its own floor (k2 from its calls of each API, T2).
- plain: the same limited event_start as one batch (-e event_batch=0): every
  step waits for the windows its previous step filled.
- two: two controllers at once (two ansible-playbook runs, M/2 meetings
  each, a token cache each, the same App ID, one limited gateway).
- eda: the event source hwcloud.meeting.meeting_events over the M meetings
  in progress, limited: one login, then every channel dropped at once, and
  the time until every watcher has reconnected.

The faults of an event morning (issue 25), only when --scenarios names them;
each a limited event_start in batches of the limit, from scheduled meetings
and an empty token cache, with the simulator's fault modes:

- outage: every REST call answers 503 for --outage-seconds (90) from
  --outage-start (20) s in; then a re-run right after (the windows still full).
- long_outage: 503 for --long-outage-seconds (150) from --long-outage-start
  (0) s in, longer than a task's retries; then a re-run once it is over.
- push_drops: every push channel closed every --push-drop-interval (10) s.
- token_expiry: every access and control token dies after a random
  --token-expiry (20,40) seconds, unannounced.
- sigkill: ansible-playbook and every process it started SIGKILLed
  --kill-after (40) s in; what the token cache holds then (locks still held,
  temporary files, pace state); a re-run with the same cache.

Each reports the meetings tried, converged and failed, the answers of 429,
the push-token calls a meeting (wsToken, and control tokens whose tmpWsToken
opened a channel) and the wall time.

Every figure comes from the simulator's call log and state and from
ansible-playbook's output; wall times are measured around the processes.
Prints a table, writes event_scale.json (and event_scale_rate_limit.png,
the calls of each API over time in the limited run) to --out.
"""
import argparse
import asyncio
import collections
import contextlib
import json
import logging
import math
import os
import re
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if os.path.join(ROOT, 'tests', 'simulator') not in sys.path:
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'simulator'))

from hwmeeting_sim import Simulator, SimulatorAdmin  # noqa: E402  (path set just above)

BIN = os.path.dirname(sys.executable)
COLLECTIONS = os.environ.get('ANSIBLE_COLLECTIONS_PATH') or os.path.join(ROOT, '.build', 'collections')
PLAYBOOKS = os.path.join(ROOT, 'playbooks')
EVENT_SOURCE = os.path.join(COLLECTIONS, 'ansible_collections', 'hwcloud', 'meeting', 'extensions', 'eda',
                            'plugins', 'event_source', 'meeting_events.py')
APP_ID, APP_KEY, APP_USER = 'scale-app', 'scale-app-key-5c1e', 'scale-user'
SPEAKER = 'Keynote Speaker'
LOGIN = 'POST /v2/usg/acs/auth/appauth'
WS_TOKEN = 'GET /v1/mmc/control/conferences/wsToken'
CONTROL_TOKEN = 'GET /v1/mmc/control/conferences/token'
SCENARIOS = ('unlimited', 'limited', 'plain', 'two', 'eda')
# The faults of an event morning (issue 25): chosen with --scenarios only
# (`make bench SCALE_ARGS="--scenarios outage,long_outage,push_drops,token_expiry,sigkill"`).
FAULT_SCENARIOS = ('outage', 'long_outage', 'push_drops', 'token_expiry', 'sigkill')
TASKS = ('Activate the meeting', 'Start cloud recording', 'Start the live stream', 'Broadcast the keynote speaker')
STOP_TASKS = ('Cancel the broadcast', 'Stop the live stream', 'Stop cloud recording')


# --- the event --------------------------------------------------------------------

def meeting_id(number):
    return str(930000000 + number)


def event_config(count):
    """The simulator's meetings file: `count` scheduled meetings, each with a
    keynote speaker, a host and a guest; one App ID whose user scheduled them."""
    meetings = []
    for number in range(count):
        conference_id = meeting_id(number)
        meetings.append({
            'id': conference_id, 'subject': 'Webinar %d' % number, 'host_password': 'scale-%06d' % number,
            'state': 'Schedule', 'owner': APP_USER,
            'participants': [
                {'pid': 'p%s-speaker' % conference_id, 'name': SPEAKER, 'phone': '+991%06d' % number},
                {'pid': 'p%s-host' % conference_id, 'name': 'Host', 'phone': '+992%06d' % number},
                {'pid': 'p%s-guest' % conference_id, 'name': 'Guest', 'phone': '+993%06d' % number}]})
    return {'apps': [{'app_id': APP_ID, 'app_key': APP_KEY, 'user_id': APP_USER}], 'meetings': meetings}


def hosts_of(config, numbers=None):
    """{host: variables} of a host per meeting (all, or those of `numbers`)."""
    meetings = config['meetings']
    numbers = range(len(meetings)) if numbers is None else numbers
    return dict(('webinar%04d' % number, {'conference_id': meetings[number]['id'],
                                          'host_password': meetings[number]['host_password'],
                                          'keynote_speaker': SPEAKER}) for number in numbers)


def write_inventory(path, hosts, url):
    with open(path, 'w') as handle:
        json.dump({'meetings': {'hosts': hosts, 'vars': {
            'meeting_api_url': url, 'meeting_app_id': APP_ID, 'meeting_app_key': APP_KEY,
            'meeting_user_id': APP_USER}}}, handle)
    return path


def started(sim, conference_id):
    """Whether the meeting is as event_start leaves it: in progress,
    recording, live, broadcasting its keynote speaker."""
    meeting = sim.meeting(conference_id)
    return (meeting['state'] == 'Created' and meeting['recording'] and meeting['live']
            and meeting['mode'] == 'BROADCAST' and meeting['broadcast_pid'] == 'p%s-speaker' % conference_id)


def stopped(sim, conference_id):
    """Whether the meeting is as event_stop leaves it: still in progress,
    not recording, not live, no broadcast."""
    meeting = sim.meeting(conference_id)
    return (meeting['state'] == 'Created' and not meeting['recording'] and not meeting['live']
            and meeting['mode'] == 'FREE' and not meeting['broadcast_pid'])


# --- the call log -----------------------------------------------------------------

def http_calls(calls):
    """The gateway's calls (not the push's WebSocket upgrades)."""
    return [call for call in calls if not call.get('websocket')]


def calls_per_api(calls):
    return dict(collections.Counter(call['api'] for call in http_calls(calls)))


def most_in_window(times, window):
    """The most of `times` in any interval [t, t + window)."""
    times = sorted(times)
    most, first = 0, 0
    for last, moment in enumerate(times):
        while times[first] <= moment - window:
            first += 1
        most = max(most, last - first + 1)
    return most


def busiest_windows(calls, window):
    """{api: the most calls of that API by one caller that arrived in any
    window-long interval}, every call counted, refused ones too. (What the
    gateway admitted it counts itself, after the simulated round trip: the
    arrival times in the log cannot judge that to the millisecond.)"""
    times = collections.defaultdict(list)
    for call in http_calls(calls):
        times[(call['api'], call['caller'])].append(call['time'])
    busiest = {}
    for (api, _caller), moments in times.items():
        busiest[api] = max(busiest.get(api, 0), most_in_window(moments, window))
    return busiest


def throttled(calls, since, answered=None):
    """Every 429 of the log: its API, when it arrived (`at`, seconds from
    `since`), and how long after the first answer of that API and caller
    that admitted a call (`after_first_answer`, seconds; negative: before
    it, so the client could not have read the limit yet; None: no call of
    that API was admitted). `answered`: {request_id: when its answer went
    out} (Answers); without it, a call's arrival stands for its answer."""
    answered = answered or {}
    first_answer = {}
    for call in http_calls(calls):
        if call['status'] and call['status'] != 429:
            key = (call['api'], call['caller'])
            moment = answered.get(call['request_id'], call['time'])
            first_answer[key] = min(moment, first_answer.get(key, moment))
    answers = []
    for call in sorted(http_calls(calls), key=lambda entry: entry['time']):
        if call['status'] == 429:
            key = (call['api'], call['caller'])
            after = round(call['time'] - first_answer[key], 3) if key in first_answer else None
            answers.append({'api': call['api'], 'at': round(call['time'] - since, 3), 'after_first_answer': after,
                            'before_first_headers': after is None or after < 0})
    return answers


class Answers(dict):
    """{request_id: when the simulator logged it, just before its answer
    went out}: the simulator's on_call."""

    def __call__(self, entry):
        self[entry['request_id']] = time.time()


def throttle_figures(calls, since, answered=None):
    """The 429s of a run: how many, how many before the first headers, per
    API, and the first 50 of them."""
    answers = throttled(calls, since, answered)
    return {'answered_429': len(answers),
            'answered_429_before_first_headers': sum(1 for answer in answers if answer['before_first_headers']),
            'answered_429_per_api': dict(collections.Counter(answer['api'] for answer in answers)),
            'latest_429_after_first_answer': max([answer['after_first_answer'] or 0 for answer in answers] or [None]),
            'throttled': answers[:50]}


def api_floor(calls, limit, window):
    """The issue's simpler floor: over the APIs (and callers), the largest
    (ceil(calls / limit) - 1) x window."""
    counts = collections.Counter((call['api'], call['caller']) for call in http_calls(calls))
    return max([(math.ceil(count / float(limit)) - 1) * window for count in counts.values()] or [0])


def batches_needed(calls, limit):
    """k: the most windows' worth of calls of one API (and caller)."""
    counts = collections.Counter((call['api'], call['caller']) for call in http_calls(calls))
    return max([math.ceil(count / float(limit)) for count in counts.values()] or [1])


def floor(unlimited_seconds, k, window):
    """(k - 1) windows before the last batch can start, and its share of
    the work: the time a batched run cannot beat while a batch takes less
    than a window."""
    return (k - 1) * window + unlimited_seconds / k


def batch_floor(unlimited_seconds, k, window):
    """The same when a batch may take longer than a window: each of the
    first k - 1 batches takes a window or its share of the work, whichever
    is longer (then the floor is the unlimited time itself)."""
    return (k - 1) * max(window, unlimited_seconds / k) + unlimited_seconds / k


def against_floors(run, unlimited_seconds, k, args):
    """Put a limited run's floors and its ratios to them into its figures:
    k batches, the unlimited run's time T, the window and limit of args."""
    run['k'] = k
    run['floor'] = round(floor(unlimited_seconds, k, args.window), 2)
    run['ratio'] = round(run['seconds'] / run['floor'], 3)
    run['batch_floor'] = round(batch_floor(unlimited_seconds, k, args.window), 2)
    run['ratio_to_batch_floor'] = round(run['seconds'] / run['batch_floor'], 3)
    run['api_floor'] = api_floor(run['calls_log'], args.limit, args.window)


# --- ansible-playbook ---------------------------------------------------------------

class Run(object):
    """One ansible-playbook run: exit code, output, wall time."""

    def __init__(self, rc, out, seconds):
        self.rc, self.out, self.seconds = rc, out, seconds

    def recap(self):
        """{host: {'ok': n, 'changed': n, 'failed': n, ...}} of PLAY RECAP."""
        counts = {}
        for host, figures in re.findall(r'^(\S+)\s+:\s+(ok=.*)$', self.out, re.MULTILINE):
            counts[host] = dict((key, int(value)) for key, value in re.findall(r'(\w+)=(\d+)', figures))
        return counts

    def failed_hosts(self, hosts):
        """Hosts that failed or were unreachable, or that the recap leaves out.
        A meeting whose step failed inside the runbook's block is `rescued` in
        the recap (the play goes on); the play that sums up the event fails
        on one host when any meeting failed, which is not that host's own
        failure: only a failure in another play counts."""
        counts = self.recap()
        own = self.fatal_hosts()
        return sorted(host for host in hosts if host not in counts or counts[host].get('rescued')
                      or counts[host].get('unreachable') or (counts[host].get('failed') and host in own))

    def fatal_hosts(self):
        """Hosts with a fatal line in a play other than the one that sums up."""
        hosts, play = set(), None
        for line in self.out.splitlines():
            match = re.match(r'^PLAY \[(.*)\]', line)
            if match:
                play = match.group(1)
                continue
            match = re.match(r'^fatal: \[([^\]]+)\]', line)
            if match and not (play or '').startswith('Sum up'):
                hosts.add(match.group(1))
        return hosts

    def per_task(self):
        """{task name: {'ok': n, 'changed': n, 'failed': n, 'skipping': n}},
        counted over every batch."""
        counts = collections.OrderedDict()
        task = None
        for line in self.out.splitlines():
            match = re.match(r'^TASK \[(.*)\]', line)
            if match:
                task = match.group(1)
                counts.setdefault(task, collections.Counter())
                continue
            match = re.match(r'^(ok|changed|fatal|failed|skipping): \[', line)
            if match and task is not None:
                status = {'fatal': 'failed'}.get(match.group(1), match.group(1))
                counts[task][status] += 1
        return dict((task, dict(values)) for task, values in counts.items())

    def tail(self):
        failures = [line[:2000] for line in self.out.splitlines()
                    if line.startswith(('fatal:', 'failed:', 'ERROR!', '[ERROR]')) or 'FAILED!' in line]
        return '\n'.join(failures[:20]) + '\n--- end of output:\n' + self.out[-2000:]


def ansible_env(cache, extra=None):
    """The environment of ansible-playbook: the installed collection, a token
    cache directory of its own, and no HWMEETING_* from the caller's shell."""
    env = dict((name, value) for name, value in os.environ.items() if not name.startswith('HWMEETING_'))
    env.update({'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS, 'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
                'ANSIBLE_NOCOLOR': '1', 'ANSIBLE_FORCE_COLOR': '0', 'ANSIBLE_LOCALHOST_WARNING': 'false',
                'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false', 'ANSIBLE_RETRY_FILES_ENABLED': 'false',
                'ANSIBLE_DEPRECATION_WARNINGS': 'false', 'HWMEETING_TOKEN_CACHE_DIR': cache})
    env.update(extra or {})
    return env


def playbook_command(name, inventory, forks, batch, extra=()):
    """`extra`: more arguments (e.g. ('-e', 'meeting_retries=1'))."""
    return [os.path.join(BIN, 'ansible-playbook'), os.path.join(PLAYBOOKS, name + '.yml'), '-i', inventory,
            '-f', str(forks), '-e', 'event_batch=%d' % batch] + list(extra)


def run_playbook(name, inventory, forks, batch, cache, timeout, extra=()):
    started_at = time.monotonic()
    completed = subprocess.run(playbook_command(name, inventory, forks, batch, extra), env=ansible_env(cache),
                               capture_output=True, text=True, check=False, timeout=timeout)
    return Run(completed.returncode, completed.stdout + completed.stderr, time.monotonic() - started_at)


def run_playbooks_at_once(jobs, timeout):
    """Several ansible-playbook runs started together: [Run] in the order of
    `jobs` ((name, inventory, forks, batch, cache), ...)."""
    started_at = time.monotonic()
    processes = []
    for name, inventory, forks, batch, cache in jobs:
        out = tempfile.TemporaryFile(mode='w+')
        processes.append((subprocess.Popen(playbook_command(name, inventory, forks, batch), env=ansible_env(cache),
                                           stdout=out, stderr=subprocess.STDOUT, text=True), out))
    ended = [None] * len(processes)
    deadline = started_at + timeout
    while None in ended:
        for index, (process, _out) in enumerate(processes):
            if ended[index] is None and process.poll() is not None:
                ended[index] = time.monotonic() - started_at
        if time.monotonic() > deadline:
            for process, _out in processes:
                process.kill()
                process.wait()
            raise RuntimeError('the playbooks did not end within %s s' % timeout)
        time.sleep(0.05)
    runs = []
    for (process, out), seconds in zip(processes, ended):
        out.seek(0)
        runs.append(Run(process.returncode, out.read(), seconds))
        out.close()
    return runs


def wait_for_empty_windows(sim, window, what='the gateway'):
    """Until no window of the gateway holds a call (bounded)."""
    deadline = time.monotonic() + window + 30
    while sim.rate_windows():
        if time.monotonic() > deadline:
            raise RuntimeError('%s still holds calls %s s after the run' % (what, window + 30))
        time.sleep(0.2)


@contextlib.contextmanager
def simulator_process(config, directory, latency, limit, window):
    """The simulator in a process of its own (tests/simulator/run.py), with
    the meetings of `config`: a SimulatorAdmin of it. For the event source,
    which runs in this process: the simulator serves the push with select(),
    which takes no file descriptor above 1023, and hundreds of watchers and
    their push channels in one process pass that (every channel then breaks
    at once: a limit of the simulator, not of the source)."""
    meetings = os.path.join(directory, 'meetings.json')
    url_file = os.path.join(directory, 'simulator.url')
    with open(meetings, 'w') as handle:
        json.dump(config, handle)
    log = tempfile.TemporaryFile(mode='w+')
    process = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, 'tests', 'simulator', 'run.py'), '--meetings', meetings, '--delay',
         str(latency), '--api-rate-limit', str(limit), '--api-rate-window', str(window), '--url-file', url_file],
        stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not (os.path.exists(url_file) and os.path.getsize(url_file)):
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError('the simulator did not start: %s' % log.read()[-2000:])
            time.sleep(0.1)
        with open(url_file) as handle:
            url = handle.read().strip()
        admin = SimulatorAdmin(url, timeout=60)
        yield admin
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()


# --- faults on event morning ----------------------------------------------------------
#
# The faults a real morning brings (issue 25), in the simulator's fault modes
# (tests/simulator/README.md, "Faults over time"), with the gateway's limit on.
# The helpers are shared with tests/integration/test_event_faults.py, which
# runs the same faults small.

def conference_of(call):
    """The meeting a call of the log is about (None: a login)."""
    query = call.get('query') or {}
    return query.get('conferenceID') or query.get('confID')


def tried_meetings(calls):
    """The meetings the gateway saw at least one call of (answered or not)."""
    return set(conference_of(call) for call in calls if conference_of(call))


def admitted(call):
    """A call the gateway counted against its window: answered, and neither
    refused by the limit (429) nor by an outage or a fault (5xx)."""
    return bool(call['status']) and call['status'] != 429 and call['status'] < 500


def push_token_calls(calls):
    """{conference_id: push-token calls}: every wsToken call, and every
    control-token call whose meeting's next call is the push's upgrade (its
    tmpWsToken opened the channel); those the gateway counted (admitted()).
    A meeting's calls come one at a time (a host's tasks run in order), so
    the log orders them."""
    by_meeting = collections.defaultdict(list)
    for call in sorted(calls, key=lambda entry: entry['time']):
        if conference_of(call):
            by_meeting[conference_of(call)].append(call)
    counts = {}
    for conference_id, sequence in by_meeting.items():
        count = 0
        for index, call in enumerate(sequence):
            if not admitted(call):
                continue
            if call['api'] == WS_TOKEN:
                count += 1
            elif (call['api'] == CONTROL_TOKEN and index + 1 < len(sequence)
                  and sequence[index + 1].get('websocket')):
                count += 1
        counts[conference_id] = count
    return counts


def per_meeting_most(calls, api):
    """The most calls of `api` made for one meeting."""
    counts = collections.Counter(conference_of(call) for call in calls if call['api'] == api and conference_of(call))
    return max(counts.values() or [0])


def answers_of(calls):
    """{status: how many} over the gateway's calls."""
    return dict(collections.Counter(str(call['status']) for call in http_calls(calls)))


def fault_figures(run, calls, hosts):
    """What a faulted run did to the meetings and the gateway: tried (a task
    of it ran: the recap counts one, or the gateway saw a call of it; a
    meeting whose task failed on the login shows only in the recap), in the
    recap, failed (or left out of the recap), push-token calls a meeting, the
    answers by status."""
    recap = run.recap()
    ids = dict((hosts[host]['conference_id'], host) for host in hosts)
    ran = set(hosts[host]['conference_id'] for host in hosts
              if sum(recap.get(host, {}).get(key, 0) for key in ('ok', 'changed', 'failed', 'unreachable')))
    tried = (tried_meetings(calls) & set(ids)) | ran
    per_meeting = push_token_calls(calls)
    most = max(per_meeting.values() or [0])
    return {
        'tried': len(tried), 'not_tried': sorted(ids[cid] for cid in set(ids) - tried)[:10],
        'in_recap': sum(1 for host in hosts if host in recap),
        'never_run': sorted(host for host in hosts if host not in recap)[:10],
        'never_run_count': sum(1 for host in hosts if host not in recap),
        'recap_failed': sum(1 for host in hosts if recap.get(host, {}).get('failed')
                            or recap.get(host, {}).get('rescued')),
        'push_token_calls': sum(per_meeting.values()), 'push_token_calls_per_meeting_max': most,
        'meetings_over_3_push_token_calls': sum(1 for count in per_meeting.values() if count > 3),
        'ws_token_calls_per_meeting_max': per_meeting_most(calls, WS_TOKEN),
        'control_token_calls_per_meeting_max': per_meeting_most(calls, CONTROL_TOKEN),
        'push_connections_per_meeting_max': max(collections.Counter(
            conference_of(call) for call in calls if call.get('websocket')).values() or [0]),
        'answers': answers_of(calls)}


def start_playbook(name, inventory, forks, batch, cache, extra=()):
    """ansible-playbook in a process group of its own (so that it and its
    workers can be killed together): (process, its output file)."""
    out = tempfile.TemporaryFile(mode='w+')
    process = subprocess.Popen(playbook_command(name, inventory, forks, batch, extra), env=ansible_env(cache),
                               stdout=out, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    return process, out


def descendants(pid):
    """The processes descended from `pid` (from /proc), children first."""
    children = collections.defaultdict(list)
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        children[int(fields[1])].append(int(entry))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop(0)
        found.append(child)
        todo.extend(children.get(child, []))
    return found


def kill_controller(process):
    """SIGKILL ansible-playbook and every process it started, as a crash of
    the controller would: its process group is not enough, for ansible-core's
    workers each call setsid() (WorkerProcess._detach) and would go on with
    their task. The parent is stopped first, so it forks no new worker
    meanwhile. Returns how many of its descendants were outside its process
    group (the workers that a kill of the group alone leaves running)."""
    try:
        os.kill(process.pid, signal.SIGSTOP)
    except ProcessLookupError:
        return 0
    tree = descendants(process.pid)
    outside = 0
    for pid in tree:
        try:
            if os.getpgid(pid) != process.pid:
                outside += 1
        except ProcessLookupError:
            pass
    os.killpg(process.pid, signal.SIGKILL)
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return outside


def run_playbook_killed(name, inventory, forks, batch, cache, after, timeout, extra=(), when=None,
                        group_only=False):
    """Run a playbook and SIGKILL it and every process it started (or, with
    `group_only`, its process group alone) `after` seconds in, or as soon as
    `when()` is true (polled), unless it ended before: the Run (rc -9 when
    killed), the time of the kill (None if it ended first), and how many of
    its processes were outside its process group. Returns once every killed
    process is gone (their flocks released)."""
    started_at = time.monotonic()
    process, out = start_playbook(name, inventory, forks, batch, cache, extra)
    killed_at, outside, tree, everything = None, 0, [], []
    try:
        deadline = started_at + after
        while process.poll() is None and time.monotonic() < deadline and not (when is not None and when()):
            time.sleep(0.05)
        if process.poll() is None:
            everything = descendants(process.pid)
            if group_only:
                tree = [pid for pid in everything if _group_of(pid) == process.pid]
                os.killpg(process.pid, signal.SIGKILL)
            else:
                tree = descendants(process.pid)
                outside = kill_controller(process)
            # the kill is sent (walking /proc for the tree takes a moment on a
            # busy machine: a send in that moment is before the kill)
            killed_at = time.time()
            process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        # wait (bounded) until every killed process is gone
        gone = time.monotonic() + 30
        while time.monotonic() < gone and any(os.path.exists('/proc/%d/stat' % pid) and not _zombie(pid)
                                              for pid in tree):
            time.sleep(0.05)
    # when every process the run had started is gone (with a kill of the
    # group alone, the workers outside it finish their task first): the
    # moment from which whatever the token cache holds is the dead's
    settled = time.monotonic() + timeout
    while killed_at is not None and time.monotonic() < settled and any(
            os.path.exists('/proc/%d/stat' % pid) and not _zombie(pid) for pid in everything):
        time.sleep(0.05)
    seconds = time.monotonic() - started_at
    out.seek(0)
    text = out.read()
    out.close()
    run = Run(process.returncode, text, seconds)
    run.outside_group = outside
    run.settled_at = time.time() if killed_at is not None else None
    return run, killed_at


def _group_of(pid):
    """The process group of `pid`, or None once it has ended."""
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def _zombie(pid):
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] == 'Z'
    except OSError:
        return True


def cache_state(cache, since, window, margin=1.0):
    """What a token cache directory holds that could block or delay a later
    run, after a controller was killed at `since`:
    - temporary files (a write cut short), lock files, and those whose flock
      is still held (LOCK_NB refused: a process alive holds it);
    - pace files, and how long past `since` their state keeps room reserved
      (the latest send plus the longest window learnt, or a 429's block):
      at most one window (and its margin) is the state of calls that were
      sent; more would be a reservation for the dead.
    Nothing here reads a token."""
    import fcntl
    state = {'files': 0, 'temporary': [], 'locks': 0, 'locks_held': [], 'pace_files': 0,
             'pace_unreadable': [], 'reserved_after_kill': 0.0, 'stale_pace': []}
    if not os.path.isdir(cache):
        return state
    for name in sorted(os.listdir(cache)):
        path = os.path.join(cache, name)
        state['files'] += 1
        if name.startswith('.tmp-'):
            state['temporary'].append({'name': name[:12], 'age_after_kill': round(since - os.stat(path).st_mtime, 2)})
        elif name.endswith('.lock'):
            state['locks'] += 1
            handle = os.open(path, os.O_RDWR)
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.flock(handle, fcntl.LOCK_UN)
            except OSError:
                state['locks_held'].append(name[:12])
            finally:
                os.close(handle)
        elif name.endswith('.pace'):
            state['pace_files'] += 1
            try:
                with open(path) as handle:
                    raw = json.load(handle)
            except (OSError, ValueError):
                state['pace_unreadable'].append(name[:12])
                continue
            windows = [entry.get('window', 0) for entry in (raw.get('windows') or {}).values()
                       if isinstance(entry, dict)]
            longest = max([value for value in windows if isinstance(value, (int, float))] or [window])
            ends = [max(raw.get('sends') or [0]) + longest + margin]
            blocked = raw.get('blocked')
            if isinstance(blocked, list) and len(blocked) == 2:
                ends.append(blocked[0] + blocked[1] + min(5.0, 0.05 * blocked[1]))
            reserved = max(ends) - since
            state['reserved_after_kill'] = round(max(state['reserved_after_kill'], reserved), 2)
            if reserved > window + margin + min(5.0, 0.05 * window):
                state['stale_pace'].append({'name': name[:12], 'reserved_after_kill': round(reserved, 2)})
    return state


# --- the scenarios ------------------------------------------------------------------

class Scale(object):
    def __init__(self, args, workdir):
        self.args = args
        self.workdir = workdir
        self.config = event_config(args.meetings)
        self.hosts = hosts_of(self.config)
        self.ids = [meeting['id'] for meeting in self.config['meetings']]
        # a playbook must end: at most this long (the plain play pays a window per step and batch)
        self.timeout = 1800 + 12 * math.ceil(args.meetings / float(args.limit)) * args.window
        self.results = {}
        self.answered = Answers()

    def cache(self, name):
        path = os.path.join(self.workdir, 'tokens-' + name)
        shutil.rmtree(path, ignore_errors=True)
        return path

    def fresh(self, sim, limited):
        """Scheduled meetings, empty logs and windows, the limit on or off."""
        sim.reset()
        sim.configure(delay=self.args.latency, api_rate_limit=self.args.limit if limited else None,
                      api_rate_window=self.args.window)

    def figures(self, run, sim, since, hosts, wanted, tasks=TASKS):
        calls = sim.calls
        failed = run.failed_hosts(hosts)
        converged = sum(1 for host in hosts if wanted(sim, hosts[host]['conference_id']))
        per_task = run.per_task()
        result = {
            'seconds': round(run.seconds, 2), 'rc': run.rc, 'hosts': len(hosts), 'failed_hosts': len(failed),
            'failed': failed[:10], 'converged': converged, 'calls': len(http_calls(calls)),
            'push_connections': len(calls) - len(http_calls(calls)),
            'calls_per_api': calls_per_api(calls), 'busiest_window': busiest_windows(calls, self.args.window),
            'changed_per_task': dict((task, per_task.get(task, {}).get('changed', 0)) for task in tasks),
            'logins': calls_per_api(calls).get(LOGIN, 0)}
        result.update(throttle_figures(calls, since, self.answered))
        return result

    def event_start(self, sim, inventory, batch, cache, hosts=None):
        hosts = hosts or self.hosts
        sim.clear_calls()
        since = time.time()
        run = run_playbook('event_start', inventory, self.args.forks, batch, cache, self.timeout)
        result = self.figures(run, sim, since, hosts, started)
        result['calls_log'] = sim.calls
        result['started_at'] = since
        if run.rc != 0:
            result['output'] = run.tail()
        return result

    def unlimited(self, sim, inventory):
        self.fresh(sim, limited=False)
        cache = self.cache('unlimited')
        first = self.event_start(sim, inventory, 0, cache)
        if not self.args.second:
            return {'first': first}
        second = self.event_start(sim, inventory, 0, cache)
        return {'first': first, 'second': second}

    def limited(self, sim, inventory, unlimited):
        args = self.args
        self.fresh(sim, limited=True)
        cache = self.cache('limited')
        first = self.event_start(sim, inventory, args.limit, cache)
        against_floors(first, unlimited['first']['seconds'], math.ceil(args.meetings / float(args.limit)), args)
        if not args.second:
            return {'first': first}
        # the same controller runs it again, once the gateway's windows are empty
        wait_for_empty_windows(sim, args.window)
        second = self.event_start(sim, inventory, args.limit, cache)
        against_floors(second, unlimited['second']['seconds'], batches_needed(second['calls_log'], args.limit), args)
        return {'first': first, 'second': second}

    def plain(self, sim, inventory):
        self.fresh(sim, limited=True)
        result = self.event_start(sim, inventory, 0, self.cache('plain'))
        result['windows'] = round(result['seconds'] / self.args.window, 2)
        return result

    def two(self, sim):
        args = self.args
        self.fresh(sim, limited=True)
        halves = (range(0, args.meetings // 2), range(args.meetings // 2, args.meetings))
        jobs, hosts = [], []
        for number, half in enumerate(halves):
            half_hosts = hosts_of(self.config, half)
            hosts.append(half_hosts)
            inventory = write_inventory(os.path.join(self.workdir, 'inventory-%d.json' % number), half_hosts, sim.url)
            jobs.append(('event_start', inventory, args.forks, args.two_batch or args.limit,
                         self.cache('controller-%d' % number)))
        since = time.time()
        runs = run_playbooks_at_once(jobs, self.timeout)
        calls = sim.calls
        result = {'seconds': round(max(run.seconds for run in runs), 2), 'controllers': [],
                  'calls_per_api': calls_per_api(calls), 'busiest_window': busiest_windows(calls, args.window),
                  'calls_log': calls, 'started_at': since}
        result.update(throttle_figures(calls, since, self.answered))
        for run, half_hosts in zip(runs, hosts):
            failed = run.failed_hosts(half_hosts)
            result['controllers'].append({
                'seconds': round(run.seconds, 2), 'rc': run.rc, 'hosts': len(half_hosts),
                'failed_hosts': len(failed), 'failed': failed[:10],
                'converged': sum(1 for host in half_hosts if started(sim, half_hosts[host]['conference_id']))})
            if run.rc != 0:
                result['controllers'][-1]['output'] = run.tail()
        result['failed_hosts'] = sum(controller['failed_hosts'] for controller in result['controllers'])
        result['converged'] = sum(controller['converged'] for controller in result['controllers'])
        return result

    def eda(self):
        """In a simulator process of its own (simulator_process)."""
        args = self.args
        directory = os.path.join(self.workdir, 'eda')
        os.makedirs(directory, exist_ok=True)
        with simulator_process(self.config, directory, args.latency, args.limit, args.window) as sim:
            for conference_id in self.ids:
                sim.set_meeting(conference_id, state='Created')
            sim.clear_calls()
            return watch_and_drop(sim, self.config, args.window, self.cache('eda'),
                                  4 * math.ceil(args.meetings / float(args.limit)) * args.window + 120)

    # --- faults on event morning -------------------------------------------------------

    def faulted(self, sim, inventory, cache, arm=None, kill_after=None):
        """One limited event_start (batches of the limit's size), with a fault
        armed just before ansible-playbook starts (`arm(sim)`), or killed
        `kill_after` seconds in: its figures, and when it was killed."""
        args = self.args
        sim.clear_calls()
        since = time.time()
        if arm is not None:
            arm(sim)
        killed_at = None
        if kill_after is None:
            run = run_playbook('event_start', inventory, args.forks, args.limit, cache, self.timeout)
        else:
            run, killed_at = run_playbook_killed('event_start', inventory, args.forks, args.limit, cache,
                                                 kill_after, self.timeout)
        calls = sim.calls
        result = self.figures(run, sim, since, self.hosts, started)
        result.update(fault_figures(run, calls, self.hosts))
        result['failed_list'] = run.failed_hosts(self.hosts)
        result['calls_log'] = calls
        result['started_at'] = since
        if killed_at is not None:
            result['killed_after'] = round(killed_at - since, 2)
            result['workers_outside_the_group'] = getattr(run, 'outside_group', 0)
        if run.rc != 0:
            result['output'] = run.tail()
        return result, killed_at

    @staticmethod
    def until_outages_end(sim):
        """Wait for the end of the outages (a re-run comes once the gateway is back)."""
        ends = [outage['ends'] for outage in sim.outages()]
        if ends:
            time.sleep(max(0.0, max(ends) - time.time()) + 0.1)
        sim.clear_outages()

    def outage(self, sim, inventory):
        """--outage-seconds of 503 from --outage-start in, then a re-run (as
        soon as the run and the outage are over, the windows still full)."""
        args = self.args
        self.fresh(sim, limited=True)
        cache = self.cache('outage')
        first, _killed = self.faulted(sim, inventory, cache, arm=lambda sim: sim.outage(
            duration=args.outage_seconds, start=args.outage_start))
        self.until_outages_end(sim)
        second, _killed = self.faulted(sim, inventory, cache)
        return {'first': first, 'second': second}

    def long_outage(self, sim, inventory):
        """--long-outage-seconds of 503 from the start (longer than a task's
        retries: the first batch fails whole); then a re-run once it is over."""
        args = self.args
        self.fresh(sim, limited=True)
        cache = self.cache('long-outage')
        first, _killed = self.faulted(sim, inventory, cache, arm=lambda sim: sim.outage(
            duration=args.long_outage_seconds, start=args.long_outage_start))
        batch = sorted(self.hosts)[:args.limit]
        first['failed_in_first_batch'] = len([host for host in batch if host in first['failed_list']])
        self.until_outages_end(sim)
        second, _killed = self.faulted(sim, inventory, cache)
        return {'first': first, 'second': second}

    def push_drops(self, sim, inventory):
        """Every push channel closed by the server every --push-drop-interval s."""
        self.fresh(sim, limited=True)
        result, _killed = self.faulted(sim, inventory, self.cache('push-drops'), arm=lambda sim: sim.configure(
            push_drop_interval=self.args.push_drop_interval))
        result['channels_dropped'] = sum(1 for frame in sim.frames if frame['direction'] == 'out'
                                         and frame['action'] == 'close' and frame.get('code') == 1001)
        sim.configure(push_drop_interval=None)
        return result

    def token_expiry(self, sim, inventory):
        """Every access and control token dies after a random --token-expiry
        LOW,HIGH seconds, unannounced."""
        low, high = self.args.token_expiry
        self.fresh(sim, limited=True)
        result, _killed = self.faulted(sim, inventory, self.cache('token-expiry'), arm=lambda sim: sim.configure(
            token_expiry_range=[low, high]))
        sim.configure(token_expiry_range=None)
        return result

    def sigkill(self, sim, inventory):
        """ansible-playbook's process group SIGKILLed --kill-after s in; what
        the token cache holds then; a re-run with the same cache right after."""
        args = self.args
        self.fresh(sim, limited=True)
        cache = self.cache('sigkill')
        first, killed_at = self.faulted(sim, inventory, cache, kill_after=args.kill_after)
        first['cache_after_kill'] = cache_state(cache, killed_at or time.time(), args.window)
        second, _killed = self.faulted(sim, inventory, cache)
        second['cache_after_rerun'] = cache_state(cache, time.time(), args.window)
        return {'first': first, 'second': second}

    def run(self, scenarios):
        args = self.args
        with Simulator(config=self.config, delay=args.latency, on_call=self.answered) as sim:
            inventory = write_inventory(os.path.join(self.workdir, 'inventory.json'), self.hosts, sim.url)
            results = self.results
            for name in SCENARIOS + FAULT_SCENARIOS:
                if name not in scenarios:
                    continue
                say('%s ...' % name)
                if name == 'unlimited':
                    results[name] = self.unlimited(sim, inventory)
                elif name == 'limited':
                    results[name] = self.limited(sim, inventory, results['unlimited'])
                elif name == 'plain':
                    results[name] = self.plain(sim, inventory)
                elif name == 'two':
                    results[name] = self.two(sim)
                elif name == 'eda':
                    results[name] = self.eda()
                else:
                    results[name] = getattr(self, name)(sim, inventory)
                say('%s done: %s' % (name, summary(results[name])))
        return results


def say(text):
    print('[event_scale %s] %s' % (time.strftime('%H:%M:%S'), text), flush=True)


def summary(result):
    if 'first' in result:
        return '; '.join('%s %s' % (key, summary(result[key])) for key in ('first', 'second') if key in result)
    keys = ('seconds', 'failed_hosts', 'converged', 'answered_429', 'ratio', 'reconnect_seconds', 'logins',
            'failed_watchers', 'tried', 'never_run_count', 'push_token_calls_per_meeting_max')
    return ', '.join('%s=%s' % (key, result[key]) for key in keys if key in result)


# --- the event source ---------------------------------------------------------------

def watch_and_drop(sim, config, window, cache, ceiling, answered=None):
    """The event source over every meeting of `config` (in progress): waits
    for every watcher's first snapshot, drops every push channel, and waits
    until every watcher has reconnected (a second snapshot each). Bounded by
    `ceiling` seconds per phase. The figures, from the call log and events."""
    plugin = runpy.run_path(EVENT_SOURCE)
    ids = [meeting['id'] for meeting in config['meetings']]
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append((record.levelno, record.getMessage()))

    logger = logging.getLogger('hwcloud.meeting.meeting_events')
    handler = Keep(level=logging.INFO)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    saved = os.environ.get('HWMEETING_TOKEN_CACHE_DIR')
    os.environ['HWMEETING_TOKEN_CACHE_DIR'] = cache
    snapshots = collections.defaultdict(list)  # conference_id -> times of its snapshots
    result = {'meetings': len(ids)}

    async def scenario():
        queue = asyncio.Queue()
        args = {'meetings': [{'conference_id': meeting['id'], 'host_password': meeting['host_password']}
                             for meeting in config['meetings']],
                'api_url': sim.url, 'app_id': APP_ID, 'app_key': APP_KEY, 'user_id': APP_USER,
                'heartbeat_interval': 60, 'reconnect_delay': 1, 'max_reconnect_delay': 10}
        began = time.time()
        task = asyncio.ensure_future(plugin['main'](queue, args))

        async def until(count, since):
            deadline = time.monotonic() + ceiling
            while sum(1 for times in snapshots.values() if len([t for t in times if t >= since]) >= 1) < count:
                if task.done():
                    return False
                if time.monotonic() > deadline:
                    return False
                try:
                    event = await asyncio.wait_for(queue.get(), 1.0)
                except asyncio.TimeoutError:
                    continue
                if event['type'] == 'snapshot':
                    snapshots[event['meeting']['conference_id']].append(time.time())
            return True

        try:
            result['connected'] = await until(len(ids), began)
            result['connect_seconds'] = round(max(times[0] for times in snapshots.values()) - began, 2) \
                if result['connected'] else None
            dropped = time.time()
            result['dropped'] = sim.close_push()
            result['reconnected'] = await until(len(ids), dropped)
            reconnections = [min(t for t in times if t >= dropped) for times in snapshots.values()
                             if any(t >= dropped for t in times)]
            result['reconnected_watchers'] = len(reconnections)
            result['reconnect_seconds'] = round(max(reconnections) - dropped, 2) if reconnections else None
            result['dropped_at'] = dropped
            result['started_at'] = began
        finally:
            failure = None
            if task.done() and not task.cancelled():
                failure = task.exception()
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        result['source_failed'] = None if failure is None else str(failure)

    try:
        asyncio.run(scenario())
    finally:
        logger.removeHandler(handler)
        if saved is None:
            os.environ.pop('HWMEETING_TOKEN_CACHE_DIR', None)
        else:
            os.environ['HWMEETING_TOKEN_CACHE_DIR'] = saved
    calls = sim.calls
    after = [call for call in calls if call['time'] >= result.get('dropped_at', float('inf'))]
    warnings = [text for level, text in records if level >= logging.WARNING]
    result.update({
        'logins': calls_per_api(calls).get(LOGIN, 0), 'calls_per_api': calls_per_api(calls),
        'calls_per_api_after_drop': calls_per_api(after),
        'busiest_window': busiest_windows(calls, window),
        'ws_token_busiest_window_after_drop': busiest_windows(after, window).get(WS_TOKEN, 0),
        'failed_watchers': len(ids) - result.get('reconnected_watchers', 0) if result.get('source_failed') is None
        else len(ids),
        'warnings': len(warnings),
        'warnings_with_429': len([text for text in warnings
                                  if '429' in text or 'APIG.0308' in text or 'rate_limit_wait' in text]),
        'warning_examples': warnings[:5],
        'gateway_waits_logged': len([text for level, text in records if 'waited' in text and 'gateway' in text]),
        'calls_log': calls})
    result.update(throttle_figures(calls, result.get('started_at', 0), answered))
    result['answered_429_after_drop'] = len(throttled(after, result.get('started_at', 0), answered))
    result['push_connections_after_drop'] = len([call for call in after if call.get('websocket')
                                                 and call['status'] == 101])
    return result


# --- the plot ------------------------------------------------------------------------

def plot_rate_limit(run, limit, window, path, title):
    """Two panels from the call log of one run: the cumulative calls of each
    API over time, with the window boundaries from the first call; and for
    each API the calls in the window-long interval ending at each moment,
    against the limit."""
    import matplotlib
    matplotlib.use('Agg')
    from matplotlib import pyplot

    calls = http_calls(run['calls_log'])
    start = run['started_at']
    by_api = collections.defaultdict(list)
    for call in calls:
        by_api[call['api']].append(call['time'] - start)
    end = max([t for times in by_api.values() for t in times] or [window]) + 1
    figure, (top, bottom) = pyplot.subplots(2, 1, figsize=(9, 8), dpi=100, sharex=True)
    for api in sorted(by_api, key=lambda name: min(by_api[name])):
        times = sorted(by_api[api])
        label = api.split(' ', 1)[1].rsplit('/', 1)[-1] + ' (%s)' % api.split(' ', 1)[0]
        top.step([0] + times, range(len(times) + 1), where='post', label=label)
        grid = [index * 0.25 for index in range(int(end / 0.25) + 1)]
        inside = []
        first = 0
        for moment in grid:
            while first < len(times) and times[first] <= moment - window:
                first += 1
            inside.append(sum(1 for t in times[first:] if t <= moment))
        bottom.plot(grid, inside, label=label)
    if calls:
        first_call = min(min(times) for times in by_api.values())
        boundary = first_call
        while boundary <= end:
            for axes in (top, bottom):
                axes.axvline(boundary, color='grey', linestyle=':', linewidth=0.8)
            boundary += window
    bottom.axhline(limit, color='red', linestyle='--', label='limit: %d calls per %g s' % (limit, window))
    top.set_ylabel('calls so far')
    top.set_title(title)
    top.legend(fontsize=7, loc='upper left')
    top.grid(True, alpha=0.3)
    bottom.set_ylabel('calls in the last %g s' % window)
    bottom.set_xlabel('seconds from the start of the run (dotted: one window apart from the first call)')
    bottom.set_ylim(0, limit * 1.25)
    bottom.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)


# --- the table -------------------------------------------------------------------------

def table(results, args):
    rows = []

    def row(figure, value, target='', met=''):
        rows.append((figure, value, target, met))

    def yes(condition):
        return 'yes' if condition else 'NO'

    m, f, l, w = args.meetings, args.forks, args.limit, args.window

    def throttled_row(result, target=True):
        value = '0'
        if result['answered_429']:
            value = '%d (%d before the first answer of their API; all by %.2f s after it)' % (
                result['answered_429'], result['answered_429_before_first_headers'],
                result['latest_429_after_first_answer'])
        if target:
            row('  answers of 429', value, '0', yes(result['answered_429'] == 0))
        else:
            row('  answers of 429', value)

    def window_row(result):
        busiest = max(result['busiest_window'].values())
        row('  calls of one API sent in any %g s, at most' % w, str(busiest), '<= %d' % l, yes(busiest <= l))

    unlimited = results.get('unlimited')
    if unlimited:
        first = unlimited['first']
        row('unlimited event_start (event_batch=0): T (s)', '%.1f' % first['seconds'])
        row('  failed hosts / converged', '%d / %d' % (first['failed_hosts'], first['converged']), '0 / %d' % m,
            yes(first['failed_hosts'] == 0 and first['converged'] == m))
        if 'second' in unlimited:
            row('  its second run: T2 (s)', '%.1f' % unlimited['second']['seconds'])
    limited = results.get('limited')
    if limited:
        first = limited['first']
        row('floor (k-1) x W + T/k, k = ceil(M/L) = %d (s)' % first['k'], '%.1f' % first['floor'])
        row('  (k-1) x max(W, T/k) + T/k, when a batch takes longer than W (s)', '%.1f' % first['batch_floor'])
        row("  the issue's floor: max over APIs (ceil(calls/L)-1) x W (s)", '%.1f' % first['api_floor'])
        row('limited event_start (event_batch=%d): wall time (s)' % l, '%.1f' % first['seconds'])
        row('  ratio to the floor', '%.2f' % first['ratio'], '<= 1.2', yes(first['ratio'] <= 1.2))
        row('  ratio to (k-1) x max(W, T/k) + T/k', '%.2f' % first['ratio_to_batch_floor'])
        row('  failed hosts', str(first['failed_hosts']), '0', yes(first['failed_hosts'] == 0))
        row('  meetings converged', '%d / %d' % (first['converged'], m), str(m), yes(first['converged'] == m))
        throttled_row(first)
        most = max(first['calls_per_api'].values())
        row('  calls of one API, at most (%d APIs)' % len(first['calls_per_api']), str(most), '<= %d' % m,
            yes(most <= m))
        window_row(first)
        row('  logins', str(first['logins']), '1', yes(first['logins'] == 1))
        second = limited.get('second')
        if second:
            changed = second['changed_per_task']
            only_live = all(changed[task] == (m if task == 'Start the live stream' else 0) for task in TASKS)
            row('second run: changed (activate / record / live / broadcast)',
                ' / '.join(str(changed[task]) for task in TASKS), '0 / 0 / %d / 0' % m, yes(only_live))
            row('  wall time (s)', '%.1f' % second['seconds'])
            row('  its floor, k2 = %d, T2 (s)' % second['k'], '%.1f' % second['floor'])
            row('  ratio to its floor', '%.2f' % second['ratio'], '<= 1.2', yes(second['ratio'] <= 1.2))
            row('  ratio to (k2-1) x max(W, T2/k2) + T2/k2', '%.2f' % second['ratio_to_batch_floor'])
            row('  failed hosts', str(second['failed_hosts']), '0', yes(second['failed_hosts'] == 0))
            throttled_row(second)
            window_row(second)
    plain = results.get('plain')
    if plain:
        row('plain play (event_batch=0), limited: wall time (s)', '%.1f' % plain['seconds'])
        row('  the same in windows of %g s' % w, '%.2f' % plain['windows'])
        row('  failed hosts / converged', '%d / %d' % (plain['failed_hosts'], plain['converged']), '0 / %d' % m,
            yes(plain['failed_hosts'] == 0 and plain['converged'] == m))
        throttled_row(plain)
        window_row(plain)
    two = results.get('two')
    if two:
        row('two controllers, %d meetings each, event_batch=%d: wall times (s)' % (m // 2, args.two_batch or l),
            ' / '.join('%.1f' % controller['seconds'] for controller in two['controllers']))
        row('  failed hosts / converged', '%d / %d' % (two['failed_hosts'], two['converged']), '0 / %d' % m,
            yes(two['failed_hosts'] == 0 and two['converged'] == m))
        throttled_row(two, target=False)
        row('  calls of one API sent in any %g s, at most (429s included)' % w,
            str(max(two['busiest_window'].values())))
    eda = results.get('eda')
    if eda:
        row('event source, %d meetings: logins' % m, str(eda['logins']), '1', yes(eda['logins'] == 1))
        row('  every watcher connected after (s)', str(eda['connect_seconds']))
        row('  every channel dropped: all reconnected after (s)', str(eda['reconnect_seconds']))
        row('  watchers reconnected / failed', '%d / %d' % (eda.get('reconnected_watchers', 0),
                                                            eda['failed_watchers']),
            '%d / 0' % m, yes(eda.get('reconnected_watchers') == m and eda['failed_watchers'] == 0))
        row('  wsToken calls in any %g s after the drop, at most' % w, str(eda['ws_token_busiest_window_after_drop']),
            '<= %d' % l, yes(eda['ws_token_busiest_window_after_drop'] <= l))
        throttled_row(eda, target=False)
        row('    of them after the drop', str(eda['answered_429_after_drop']))
        row('  warnings naming a 429', str(eda['warnings_with_429']), '0', yes(eda['warnings_with_429'] == 0))

    def fault_run_rows(result, converge=True, tried=True):
        row('  meetings tried (a call of it reached the gateway)', '%d / %d' % (result['tried'], m),
            str(m) if tried else '', yes(result['tried'] == m) if tried else '')
        row('  hosts in the recap / never run', '%d / %d' % (result['in_recap'], result['never_run_count']))
        row('  meetings converged / hosts failed', '%d / %d' % (result['converged'], result['failed_hosts']),
            '%d / 0' % m if converge else '', yes(result['converged'] == m and result['failed_hosts'] == 0)
            if converge else '')
        throttled_row(result)
        row('  push-token calls a meeting, at most (wsToken / control token / upgrades)',
            '%d (%d / %d / %d)' % (result['push_token_calls_per_meeting_max'], result['ws_token_calls_per_meeting_max'],
                                   result['control_token_calls_per_meeting_max'],
                                   result['push_connections_per_meeting_max']))
        row('  answers by status', ', '.join('%s: %d' % (status, count) for status, count in
                                             sorted(result['answers'].items())))

    outage = results.get('outage')
    if outage:
        first, second = outage['first'], outage['second']
        row('outage: %g s of 503 from %g s in: wall time (s)' % (args.outage_seconds, args.outage_start),
            '%.1f' % first['seconds'])
        fault_run_rows(first, converge=False)
        row('  its re-run right after: wall time (s)', '%.1f' % second['seconds'])
        fault_run_rows(second)
    long_outage = results.get('long_outage')
    if long_outage:
        first, second = long_outage['first'], long_outage['second']
        row('long outage: %g s of 503 from %s: wall time (s), rc' % (
            args.long_outage_seconds, '%g s in' % args.long_outage_start if args.long_outage_start else 'the start'),
            '%.1f, %d' % (first['seconds'], first['rc']))
        row('  meetings failed in the first batch (of %d)' % min(m, l), str(first['failed_in_first_batch']))
        fault_run_rows(first, converge=False)
        row('  later batches run (hosts never run)', str(first['never_run_count']), '0',
            yes(first['never_run_count'] == 0))
        row('  its re-run once the gateway is back: wall time (s)', '%.1f' % second['seconds'])
        fault_run_rows(second)
    drops = results.get('push_drops')
    if drops:
        row('push channels dropped every %g s: wall time (s)' % args.push_drop_interval, '%.1f' % drops['seconds'])
        fault_run_rows(drops)
        row('  push-token calls a meeting, at most', str(drops['push_token_calls_per_meeting_max']), '<= 3',
            yes(drops['push_token_calls_per_meeting_max'] <= 3))
        row('  meetings with more than 3 / push-token calls in all',
            '%d / %d' % (drops['meetings_over_3_push_token_calls'], drops['push_token_calls']))
        row('  channels dropped by the server', str(drops['channels_dropped']))
    expiry = results.get('token_expiry')
    if expiry:
        row('tokens that die after %g to %g s: wall time (s)' % tuple(args.token_expiry), '%.1f' % expiry['seconds'])
        fault_run_rows(expiry)
        row('  logins / control-token calls', '%d / %d' % (expiry['logins'],
                                                           expiry['calls_per_api'].get(CONTROL_TOKEN, 0)))
    kill = results.get('sigkill')
    if kill:
        first, second = kill['first'], kill['second']
        row('SIGKILL of ansible-playbook %g s in: killed after (s)' % args.kill_after,
            str(first.get('killed_after', 'not killed: it had ended')))
        row('  its processes outside its process group (workers: setsid), killed too',
            str(first.get('workers_outside_the_group', 0)))
        fault_run_rows(first, converge=False, tried=False)
        cache = first['cache_after_kill']
        row('  cache after the kill: locks / still held', '%d / %d' % (cache['locks'], len(cache['locks_held'])),
            '- / 0', yes(not cache['locks_held']))
        row('  cache after the kill: temporary files left', str(len(cache['temporary'])))
        row('  pace state keeps room until (s after the kill)', '%.1f' % cache['reserved_after_kill'],
            '<= W + margin', yes(not cache['stale_pace']))
        row('  the re-run, same token cache: wall time (s)', '%.1f' % second['seconds'])
        fault_run_rows(second)
        after = second['cache_after_rerun']
        row('  cache after the re-run: locks held / temporary files / stale pace files',
            '%d / %d / %d' % (len(after['locks_held']), len(after['temporary']), len(after['stale_pace'])),
            '0 / 0 / 0', yes(not after['locks_held'] and not after['temporary'] and not after['stale_pace']))
    width = max(len(figure) for figure, _value, _target, _met in rows)
    title = 'figure (M=%d, F=%d, L=%d, W=%g s, latency %g s)' % (m, f, l, w, args.latency)
    width = max(width, len(title))
    values = max(len(value) for _figure, value, _target, _met in rows)
    lines = ['%-*s  %*s  %14s  %4s' % (width, title, values, 'value', 'target', 'met')]
    lines += ['%-*s  %*s  %14s  %4s' % (width, figure, values, value, target, met)
              for figure, value, target, met in rows]
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--meetings', '-M', type=int, default=200)
    parser.add_argument('--forks', '-F', type=int, default=20)
    parser.add_argument('--limit', '-L', type=int, default=100, help='calls of one API per caller per window')
    parser.add_argument('--window', '-W', type=float, default=60.0, help='the window, in seconds')
    parser.add_argument('--latency', type=float, default=0.02, help='simulated seconds per request')
    parser.add_argument('--scenarios', default=','.join(SCENARIOS),
                        help='comma-separated, of %s; and the faults %s'
                        % (', '.join(SCENARIOS), ', '.join(FAULT_SCENARIOS)))
    parser.add_argument('--two-batch', type=int, default=0,
                        help='event_batch of each of the two controllers (default: the limit)')
    parser.add_argument('--no-second', dest='second', action='store_false',
                        help='no second run of event_start (unlimited and limited)')
    parser.add_argument('--outage-start', type=float, default=20.0, help='outage: seconds into the run')
    parser.add_argument('--outage-seconds', type=float, default=90.0, help='outage: its length')
    parser.add_argument('--long-outage-seconds', type=float, default=150.0,
                        help='long_outage: its length')
    parser.add_argument('--long-outage-start', type=float, default=0.0,
                        help='long_outage: seconds into the run (0: from the start, before the login)')
    parser.add_argument('--push-drop-interval', type=float, default=10.0,
                        help='push_drops: every push channel closed every this many seconds')
    parser.add_argument('--token-expiry', default='20,40', help='token_expiry: LOW,HIGH seconds a token lives')
    parser.add_argument('--kill-after', type=float, default=40.0,
                        help='sigkill: ansible-playbook killed this many seconds in')
    parser.add_argument('--out', default=os.path.join(ROOT, '.build', 'bench'))
    parser.add_argument('--name', default='event_scale',
                        help='file names of the results: NAME.json, NAME_rate_limit.png')
    args = parser.parse_args(argv)
    scenarios = [name.strip() for name in args.scenarios.split(',') if name.strip()]
    unknown = sorted(set(scenarios) - set(SCENARIOS + FAULT_SCENARIOS))
    if unknown:
        parser.error('unknown scenario(s) %s' % ', '.join(unknown))
    try:
        args.token_expiry = [float(value) for value in args.token_expiry.split(',')]
    except ValueError:
        parser.error('--token-expiry is LOW,HIGH (seconds)')
    if len(args.token_expiry) != 2 or not 0 < args.token_expiry[0] <= args.token_expiry[1]:
        parser.error('--token-expiry is LOW,HIGH (seconds), 0 < LOW <= HIGH')
    if 'limited' in scenarios and 'unlimited' not in scenarios:
        parser.error('the limited run needs the unlimited one (its floor)')
    if args.meetings < 2 or args.limit < 1 or args.window <= 0 or args.forks < 1:
        parser.error('meetings >= 2, limit >= 1, window > 0, forks >= 1')
    os.makedirs(args.out, exist_ok=True)
    if not os.path.exists(EVENT_SOURCE):
        sys.exit('the collection is not installed in %s: run make collection first' % COLLECTIONS)
    workdir = tempfile.mkdtemp(prefix='hwmeeting-scale-')
    say('M=%d F=%d L=%d W=%g latency=%g: %s' % (args.meetings, args.forks, args.limit, args.window, args.latency,
                                                ', '.join(scenarios)))
    try:
        results = Scale(args, workdir).run(scenarios)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    plot = None
    if 'limited' in results:
        plot = os.path.join(args.out, args.name + '_rate_limit.png')
        plot_rate_limit(results['limited']['first'], args.limit, args.window, plot,
                        'event_start, %d meetings, forks %d, batches of %d: calls of each API '
                        '(limit %d per %g s)' % (args.meetings, args.forks, args.limit, args.limit, args.window))
    text = table(results, args)
    print('\n' + text)

    def without_logs(value):
        if isinstance(value, dict):
            return dict((key, without_logs(item)) for key, item in value.items() if key != 'calls_log')
        return value

    output = {'settings': dict(vars(args), date=time.strftime('%Y-%m-%d'), command=' '.join(sys.argv)),
              'results': without_logs(results), 'table': text.splitlines()}
    path = os.path.join(args.out, args.name + '.json')
    with open(path, 'w') as handle:
        json.dump(output, handle, indent=2, sort_keys=True)
    print('\nResults: %s%s' % (path, '\nPlot: %s' % plot if plot else ''))
    failures = [line for line in text.splitlines() if line.rstrip().endswith(' NO')]
    return 1 if any('failed' in line or 'converged' in line for line in failures) else 0


if __name__ == '__main__':
    sys.exit(main())
