# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""hwcloud.meeting.meeting_events: the events of live meetings, from the
meeting-status push, for Event-Driven Ansible (ansible-rulebook and the EDA
controller). docs/event_driven.md is the user's guide.

Each meeting is watched by one thread that holds its push channel open
(the collection's own PushChannel: wsToken, connect, Subscribe, HeartBeat)
and turns every change of its state into one event; websocket-client is
synchronous, so the blocking reads stay off the event loop. ``main`` waits
for the threads and stops them cleanly when it is cancelled.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
short_description: Events of live Huawei Cloud Meeting meetings, from the meeting-status push
description:
  - Holds the meeting-status push channel of each meeting in O(meetings) open (a push token, the WebSocket,
    a Subscribe, a HeartBeat every O(heartbeat_interval) seconds) and puts one event on the queue per change.
  - After a channel closes it reconnects with a fresh push token, with an exponential backoff from
    O(reconnect_delay) up to O(max_reconnect_delay) seconds.
  - A meeting that is not in progress yet is retried every O(start_poll_interval) seconds for up to
    O(wait_for_start) seconds. A meeting that ends ends its channel with a C(meeting_ended) event; when every
    meeting has ended the source ends, and ansible-rulebook shuts the rulebook down.
  - "Every event has this shape (stable): C(meeting) (C(conference_id), C(subject)), C(type), C(state)
    (C(in_progress), C(recording), C(mode), C(broadcast_participant), C(participants)) and C(changed) (only
    what changed). C(type) is one of C(snapshot), C(recording_started), C(recording_stopped),
    C(broadcast_changed), C(participant_joined), C(participant_left), C(meeting_ended)."
  - No password, key or token is ever put in an event or a log line.
  - The connection options are those of the collection's modules, with the same C(HWMEETING_*) environment
    variables.
options:
  meetings:
    description:
      - The meetings to watch.
    type: list
    elements: dict
    required: true
    suboptions:
      conference_id:
        description: The meeting ID (digits).
        type: str
        required: true
      host_password:
        description:
          - The meeting's host password, which gets the control token the push needs.
          - Optional when login credentials are given and the client reads the host password from the meeting's
            details.
        type: str
  api_url:
    description: Base URL of the Huawei Cloud Meeting API.
    type: str
    default: https://api.meeting.huaweicloud.com
    env:
      - name: HWMEETING_API_URL
  access_token:
    description: An access token from an earlier login.
    type: str
    env:
      - name: HWMEETING_ACCESS_TOKEN
  app_id:
    description: App ID of an App ID login.
    type: str
    env:
      - name: HWMEETING_APP_ID
  app_key:
    description: App key of an App ID login.
    type: str
    env:
      - name: HWMEETING_APP_KEY
  user_id:
    description: User ID of an App ID login.
    type: str
    env:
      - name: HWMEETING_USER_ID
  corp_id:
    description: Enterprise ID of a multi-tenant App ID login.
    type: str
    env:
      - name: HWMEETING_CORP_ID
  account:
    description: Account of an account login.
    type: str
    env:
      - name: HWMEETING_ACCOUNT
  account_password:
    description: Password of an account login.
    type: str
    env:
      - name: HWMEETING_ACCOUNT_PASSWORD
  validate_certs:
    description: Whether to verify the TLS certificates of the API and the push server.
    type: bool
    default: true
    env:
      - name: HWMEETING_VALIDATE_CERTS
  ca_path:
    description: A CA bundle to verify the TLS certificates with.
    type: path
    env:
      - name: HWMEETING_CA_PATH
  timeout:
    description: Seconds to wait for an answer of the API or the push server.
    type: float
    default: 30
  retries:
    description: How many times a transient failure of an API call is retried (as the modules do).
    type: int
    default: 3
  token_cache:
    description:
      - Reuse the access and control tokens the service issues, shared with the modules on this machine (the
        collection's docs/token_cache.md).
    type: bool
    default: true
    env:
      - name: HWMEETING_TOKEN_CACHE
  rate_limit_wait:
    description:
      - The longest an API call may wait for the gateway's rate limit, in seconds (as the modules do); a watcher
        whose call would wait longer reconnects later instead of failing.
    type: float
    default: 300
    env:
      - name: HWMEETING_RATE_LIMIT_WAIT
  heartbeat_interval:
    description: Seconds between HeartBeats (the server closes a channel without one for 180 seconds).
    type: float
    default: 60
  reconnect_delay:
    description: Seconds before the first reconnection after a channel closed; doubled on each failure.
    type: float
    default: 1
  max_reconnect_delay:
    description: The longest wait between reconnections, in seconds.
    type: float
    default: 60
  wait_for_start:
    description:
      - Seconds to keep retrying a meeting that is not in progress yet; past them the source fails.
      - C(0) does not wait.
    type: float
    default: 14400
  start_poll_interval:
    description: Seconds between two tries of a meeting that is not in progress yet.
    type: float
    default: 30
"""

EXAMPLES = r"""
- name: Guard the keynote
  hosts: localhost
  sources:
    - hwcloud.meeting.meeting_events:
        meetings:
          - conference_id: "914044873"
            host_password: "{{ keynote_host_password }}"
  rules:
    - name: Show every change
      condition: event.type is defined
      action:
        debug:
          msg: "{{ event.meeting.conference_id }}: {{ event.type }}"
"""

import asyncio
import logging
import os
import random
import sys
import threading
import time

try:
    from ansible_collections.hwcloud.meeting.plugins.module_utils import options as option_table
except ImportError:
    # ansible-rulebook runs this file by its path (runpy), so the collections
    # directory it was found in need not be importable: add the one that
    # holds this very collection (<root>/ansible_collections/hwcloud/meeting/
    # extensions/eda/plugins/event_source/meeting_events.py), and only that.
    _ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), *(['..'] * 7)))
    if not os.path.isdir(os.path.join(_ROOT, 'ansible_collections', 'hwcloud', 'meeting')) or _ROOT in sys.path:
        raise
    sys.path.append(_ROOT)
    from ansible_collections.hwcloud.meeting.plugins.module_utils import options as option_table
from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import (
    MEETING_ENDED, NOT_IN_PROGRESS, MeetingError)
from ansible_collections.hwcloud.meeting.plugins.module_utils.control import open_channel
from ansible_collections.hwcloud.meeting.plugins.module_utils.push import HAS_WEBSOCKET, PushError
from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import joined, read_push

PLUGIN = 'hwcloud.meeting.meeting_events'
LOGGER = logging.getLogger(PLUGIN)

# How long one blocking read may last: the longest a cancellation waits for
# a watcher thread to notice it (plus closing the channel).
READ_SLICE = 0.5
# A broadcast changes the meeting in two push messages (the mode in
# ConfDynamicInfoNotify, who in ParticipantsNotify): the changes of who is
# broadcast within this window make one broadcast_changed event.
COALESCE_WINDOW = 0.2
# Threads still reading after this long on cancellation are left behind
# (daemon threads); they stop at their next read.
STOP_WAIT = 10.0

EVENT_TYPES = ('snapshot', 'recording_started', 'recording_stopped', 'broadcast_changed',
               'participant_joined', 'participant_left', 'meeting_ended')
STATE_KEYS = ('in_progress', 'recording', 'mode', 'broadcast_participant', 'participants')

# The connection options (module_utils/options.py) and their variables.
_ENV = dict((option.name, option.env) for option in option_table.CONNECTION_OPTIONS if option.env)
_SECRET_OPTIONS = tuple(option.name for option in option_table.CONNECTION_OPTIONS if option.no_log)
# The source's own numbers of seconds, in the option table's terms.
_NUMBERS = dict((option.name, option) for option in (
    option_table.Option('heartbeat_interval', 'float', default=60.0, greater_than=0, unit='seconds'),
    option_table.Option('reconnect_delay', 'float', default=1.0, greater_than=0, unit='seconds'),
    option_table.Option('max_reconnect_delay', 'float', default=60.0, greater_than=0, unit='seconds'),
    option_table.Option('wait_for_start', 'float', default=14400.0, at_least=0, unit='seconds'),
    option_table.Option('start_poll_interval', 'float', default=30.0, greater_than=0, unit='seconds'),
))


class MeetingEventsError(Exception):
    """The source cannot go on; the text says why, in words, without secrets."""


# --- options -------------------------------------------------------------------

def parse_options(args, environ=None):
    """The source's arguments: the connection options as every plugin kind
    of the collection takes them (module_utils/options.py: an argument wins,
    then its non-empty HWMEETING_* variable, then its default), and the
    source's own; MeetingEventsError on bad input."""
    args = dict(args or {})
    args.pop('eda_feedback_queue', None)  # ansible-rulebook's, when it gives one
    known = set(option_table.BY_NAME) | set(_NUMBERS) | set(['meetings'])
    problems = []
    unknown = sorted(key for key in args if key not in known)
    if unknown:
        problems.append('unknown argument(s) %s' % ', '.join(unknown))
    options, conversion_problems = option_table.resolve(
        dict((name, args.get(name)) for name in option_table.BY_NAME), environ)
    problems.extend(conversion_problems)
    problems.extend(option_table.check(options, uses_login=True))
    numbers, conversion_problems = option_table.resolve(args, environ, table=_NUMBERS.values())
    problems.extend(conversion_problems)
    problems.extend(option_table.out_of_bounds(numbers, _NUMBERS.values()))
    options.update(numbers)
    can_log_in = option_table.has_login(options)
    meetings = args.get('meetings')
    options['meetings'] = []
    if not isinstance(meetings, list) or not meetings:
        problems.append('meetings must be a non-empty list of {conference_id, host_password}')
        meetings = []
    seen = set()
    for index, entry in enumerate(meetings):
        if not isinstance(entry, dict):
            problems.append('meetings[%d] must be a dictionary with conference_id and host_password' % index)
            continue
        extra = sorted(set(entry) - set(['conference_id', 'host_password']))
        if extra:
            problems.append('meetings[%d] has unknown key(s) %s' % (index, ', '.join(extra)))
        conference_id = str(entry.get('conference_id') or '').strip()
        if not option_table.is_meeting_id(conference_id):
            problems.append("meetings[%d].conference_id must be the meeting ID, digits only (got '%s')"
                            % (index, entry.get('conference_id')))
            continue
        if conference_id in seen:
            problems.append('meeting %s is listed twice' % conference_id)
        seen.add(conference_id)
        password = entry.get('host_password')
        password = str(password) if option_table.given(password) else None
        if not password and not can_log_in:
            problems.append('meeting %s: give its host_password, or login credentials (access_token, or app_id '
                            'and app_key, or account and account_password) with which its host password is '
                            'read from its details' % conference_id)
        options['meetings'].append({'conference_id': conference_id, 'host_password': password})
    if problems:
        raise MeetingEventsError('%s: invalid arguments: %s.' % (PLUGIN, '; '.join(problems)))
    return options


# --- state and events ------------------------------------------------------------

def meeting_state(conference_id, channel):
    """The ``state`` of an event, from what the channel has seen: a value
    the push has not reported is None (unknown), the participants too."""
    meeting, _unreported = read_push(conference_id, channel.dynamic, channel.participants)
    state = dict((key, meeting[key]) for key in STATE_KEYS)
    if channel.participants is None:
        state['participants'] = None
    return state


def _present(state):
    """pid -> participant of those in the meeting (realtime.joined)."""
    return dict((person['pid'], person) for person in joined(state['participants']))


def changes(before, after):
    """The events (type, changed) that lead from state ``before`` to
    ``after``, in a stable order: recording, broadcast, participants, end.
    Nothing is made of a value that was unknown before."""
    events = []
    if before['recording'] is not None and after['recording'] is not None \
            and before['recording'] != after['recording']:
        events.append(('recording_started' if after['recording'] else 'recording_stopped',
                       {'recording': after['recording']}))
    broadcast = {}
    if before['mode'] is not None and before['mode'] != after['mode']:
        broadcast['mode'] = after['mode']
    known = before['participants'] is not None and after['participants'] is not None
    if known and before['broadcast_participant'] != after['broadcast_participant']:
        broadcast['broadcast_participant'] = after['broadcast_participant']
    if broadcast:
        events.append(('broadcast_changed', broadcast))
    if known:
        was, now = _present(before), _present(after)
        for pid in sorted(now):
            if pid not in was:
                events.append(('participant_joined', {'participant': now[pid]}))
        for pid in sorted(was):
            if pid not in now:
                events.append(('participant_left', {'participant': was[pid]}))
    if before['in_progress'] is not False and after['in_progress'] is False:
        events.append(('meeting_ended', {'in_progress': False}))
    return events


def _difference(before, after):
    return dict((key, after[key]) for key in STATE_KEYS if before[key] != after[key])


def event(conference_id, subject, kind, state, changed):
    return {'meeting': {'conference_id': conference_id, 'subject': subject}, 'type': kind,
            'state': state, 'changed': changed}


def _ended_state(state):
    state = dict(state) if state else dict((key, None) for key in STATE_KEYS)
    state['in_progress'] = False
    return state


# --- one meeting ---------------------------------------------------------------

class _Stopped(Exception):
    pass


class MeetingWatcher(object):
    """Watches one meeting, in its own thread; ``emit(event)`` hands each
    event to the event loop and returns once it is queued."""

    def __init__(self, options, meeting, emit, stop, secrets, shared=None):
        self.options = options
        self.shared = shared or {}  # the token cache and pacer of all watchers
        self.conference_id = meeting['conference_id']
        self.host_password = meeting['host_password']
        self.emit = emit
        self.stop = stop
        self.secrets = secrets
        self.subject = None
        self.state = None        # the last state events were made from
        self.connections = 0
        self.client = None
        self._held = None        # a broadcast_changed being completed: (changed, until)

    def log(self, level, text, *values):
        message = 'meeting %s: %s' % (self.conference_id, text % values if values else text)
        LOGGER.log(level, '%s', self.secrets.clean(message))

    def _client(self):
        return option_table.build_client(self.options, warn=lambda text: self.log(logging.WARNING, '%s', text),
                                         register_secret=self.secrets.add, conference_id=self.conference_id,
                                         host_password=self.host_password, **self.shared)

    def _sleep(self, seconds):
        if self.stop.wait(seconds):
            raise _Stopped()

    def run(self):
        self.client = self._client()
        if not self.host_password and not self.client.credentials.can_read_host_password:
            # A client that cannot read the host password from the meeting's
            # details would ask for it on every reconnection, for ever.
            self.client.close()
            raise MeetingEventsError('%s: meeting %s: give its host_password (this version of the collection '
                                     'cannot read it from the meeting\'s details with the login)'
                                     % (PLUGIN, self.conference_id))
        try:
            self._watch()
        except _Stopped:
            pass
        finally:
            self.client.close()

    def _watch(self):
        started = time.monotonic()
        failures = 0
        said_waiting = False
        while not self.stop.is_set():
            try:
                channel = open_channel(self.client, self.options['timeout'], register_secret=self.secrets.add,
                                       heartbeat_interval=self.options['heartbeat_interval'])
            except MeetingError as error:
                if error.no_such_meeting:
                    raise MeetingEventsError('%s: %s' % (PLUGIN, self.secrets.clean(str(error))))
                if error.error_code == NOT_IN_PROGRESS and self.state is None:
                    waited = time.monotonic() - started
                    if waited >= self.options['wait_for_start']:
                        raise MeetingEventsError(
                            '%s: meeting %s did not start within %s seconds (wait_for_start)'
                            % (PLUGIN, self.conference_id, _seconds(self.options['wait_for_start'])))
                    if not said_waiting:
                        self.log(logging.INFO, 'not in progress yet; trying again every %s s for up to %s s',
                                 _seconds(self.options['start_poll_interval']),
                                 _seconds(self.options['wait_for_start']))
                        said_waiting = True
                    self._sleep(min(self.options['start_poll_interval'],
                                    self.options['wait_for_start'] - waited))
                    continue
                if error.error_code in (MEETING_ENDED, NOT_IN_PROGRESS):
                    # ended, or no longer in progress after it was: the same to us
                    self._ended()
                    return
                if not _transient(error):
                    raise MeetingEventsError('%s: %s' % (PLUGIN, self.secrets.clean(str(error))))
                failures += 1
                self._backoff(failures, str(error))
                continue
            except PushError as error:
                failures += 1
                self._backoff(failures, str(error))
                continue
            failures = 0
            self._say_gateway_waits()
            try:
                if self._follow(channel):
                    return
            except PushError as error:
                if channel.ended:
                    self._ended()
                    return
                failures = 1
                self._backoff(failures, str(error))
            finally:
                channel.close()

    def _say_gateway_waits(self):
        """How long the calls waited for the gateway's rate limit (a drop of
        every channel asks for a push token per meeting at once)."""
        while self.client.gateway_waits:
            self.log(logging.INFO, '%s', self.client.gateway_waits.pop(0))

    def _backoff(self, failures, reason):
        delay = min(self.options['max_reconnect_delay'], self.options['reconnect_delay'] * 2 ** (failures - 1))
        delay = delay * (0.5 + random.random() / 2)  # jitter: many sources do not come back together
        self.log(logging.WARNING, '%s; reconnecting in %.1f s', reason, delay)
        self._sleep(delay)

    def _follow(self, channel):
        """Events of one connection, until the meeting ends (True) or the
        source stops; PushError when the channel fails."""
        self.connections += 1
        if self.subject is None:
            self.subject = self._read_subject()
        previous, state = self.state, meeting_state(self.conference_id, channel)
        self.log(logging.INFO, 'push channel open (connection %d)', self.connections)
        self._put('snapshot', state, _difference(previous, state) if previous else {})
        self.state = state
        if previous is not None:
            self._report(previous, state)  # what changed while the channel was down
        try:
            while not self.stop.is_set():
                if self.state['in_progress'] is False or channel.ended:
                    return True
                current = self.state
                until = self._held[1] if self._held else time.monotonic() + READ_SLICE
                channel.wait(lambda: meeting_state(self.conference_id, channel) != current, until)
                state = meeting_state(self.conference_id, channel)
                if state != current:
                    self.state = state
                    self._report(current, state)
                if self._held and time.monotonic() >= self._held[1]:
                    self._release()
            return False
        finally:
            self._release()  # what came before a close or a stop is still reported

    def _report(self, before, after):
        """One event per change; a broadcast_changed is held for
        COALESCE_WINDOW, so that the two messages of one broadcast (the
        mode, then who) make one event."""
        for kind, changed in changes(before, after):
            if kind == 'broadcast_changed' and self._held is not None:
                self._held[0].update(changed)
            elif kind == 'broadcast_changed':
                self._held = (dict(changed), time.monotonic() + COALESCE_WINDOW)
            else:
                if kind == 'meeting_ended':
                    self._release()
                self._put(kind, after, changed)

    def _release(self):
        held, self._held = self._held, None
        if held:
            self._put('broadcast_changed', self.state, held[0])

    def _ended(self):
        state = _ended_state(self.state)
        if self.state is None or self.state['in_progress'] is not False:
            self._put('meeting_ended', state, {'in_progress': False})
        self.state = state
        self.log(logging.INFO, 'the meeting has ended; its channel is closed')

    def _put(self, kind, state, changed):
        self.emit(event(self.conference_id, self.subject, kind, state, changed))

    def _read_subject(self):
        """The meeting's subject, from the online check when the source has
        login credentials (the push does not carry it); None otherwise."""
        if not option_table.has_login(self.options):
            return None
        try:
            details = self.client.online_details() or {}
        except MeetingError as error:
            self.log(logging.INFO, 'the subject could not be read (%s)', error)
            return None
        data = details.get('conferenceData') if isinstance(details.get('conferenceData'), dict) else {}
        subject = data.get('subject')
        return str(subject) if subject not in (None, '') else None


def _transient(error):
    return error.status is None or error.status == 429 or error.status >= 500


def _seconds(value):
    return ('%d' % value) if value == int(value) else ('%s' % value)


class _Secrets(object):
    """Every secret the source knows or is given (options, host passwords,
    tokens the service issues): masked in any text it logs or raises."""

    def __init__(self, values=()):
        self._lock = threading.Lock()
        self._values = set(value for value in values if value)

    def add(self, value):
        if value:
            with self._lock:
                self._values.add(str(value))

    def clean(self, text):
        with self._lock:
            values = sorted(self._values, key=len, reverse=True)
        for value in values:
            text = text.replace(value, '********')
        return text


# --- the entry point -------------------------------------------------------------

async def main(queue, args):
    """ansible-rulebook's entry point: watch every meeting of ``args`` and put
    its events on ``queue`` until every meeting has ended, or until cancelled."""
    options = parse_options(args)
    if not HAS_WEBSOCKET:
        raise MeetingEventsError('%s needs the Python library websocket-client where ansible-rulebook runs: '
                                 'python -m pip install websocket-client' % PLUGIN)
    secrets = _Secrets([options[name] for name in _SECRET_OPTIONS] +
                       [meeting['host_password'] for meeting in options['meetings']])
    loop = asyncio.get_running_loop()
    stop = threading.Event()

    def emit(item):
        future = asyncio.run_coroutine_threadsafe(queue.put(item), loop)
        while not stop.is_set():
            try:
                return future.result(timeout=READ_SLICE)
            except Exception:  # pylint: disable=broad-exception-caught
                if future.done():
                    return None  # the loop is going away
        future.cancel()
        raise _Stopped()

    # One login and one pacer for every watcher: 200 meetings log in once,
    # and their calls keep under the gateway's limit together.
    shared = option_table.shared(options, warn=lambda text: LOGGER.warning('%s', secrets.clean(text)))
    watchers = [MeetingWatcher(options, meeting, emit, stop, secrets, shared) for meeting in options['meetings']]
    finished = [loop.create_future() for _watcher in watchers]
    threads = []
    for watcher, future in zip(watchers, finished):
        thread = threading.Thread(target=_run_watcher, args=(watcher, future, loop),
                                  name='%s %s' % (PLUGIN, watcher.conference_id), daemon=True)
        thread.start()
        threads.append(thread)
    try:
        await asyncio.gather(*finished)
    finally:
        stop.set()
        await asyncio.shield(asyncio.get_running_loop().run_in_executor(None, _join, threads))


def _run_watcher(watcher, future, loop):
    try:
        watcher.run()
    except BaseException as error:  # pylint: disable=broad-exception-caught
        if not isinstance(error, MeetingEventsError):
            error = MeetingEventsError('%s: meeting %s: unexpected %s: %s' % (
                PLUGIN, watcher.conference_id, type(error).__name__, watcher.secrets.clean(str(error))))
        _settle(loop, future, error)
    else:
        _settle(loop, future, None)


def _settle(loop, future, error):
    def settle():
        if not future.done():
            if error is None:
                future.set_result(None)
            else:
                future.set_exception(error)
    try:
        loop.call_soon_threadsafe(settle)
    except RuntimeError:
        pass  # the loop has closed: nobody waits for this watcher any more


def _join(threads):
    deadline = time.monotonic() + STOP_WAIT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


if __name__ == '__main__':
    # A quick look at the events of one meeting, with the credentials in the
    # HWMEETING_* variables: python meeting_events.py <conference_id> [host_password]
    class _Printer(object):
        async def put(self, item):
            print(item, flush=True)

    logging.basicConfig(level=logging.INFO)
    _meeting = {'conference_id': sys.argv[1] if len(sys.argv) > 1 else ''}
    if len(sys.argv) > 2:
        _meeting['host_password'] = sys.argv[2]
    asyncio.run(main(_Printer(), {'meetings': [_meeting]}))
