"""MeetingWatcher of the event source hwcloud.meeting.meeting_events, its
methods one by one with a fake channel and a fake clock (no network, no
thread, no sleeping): a broadcast_changed held for its COALESCE_WINDOW is
completed by the second half of a broadcast, released when the window ends,
and never lost when the channel breaks, the source stops or the meeting
ends; the reconnection's snapshot and what changed while the channel was
down; how _watch answers each failure of open_channel.

The plugin is loaded from the installed collection as ansible-rulebook loads
it (runpy); its globals (the clock, open_channel) are replaced through its
functions' __globals__, which is the module's namespace.
"""
import logging
import os
import subprocess
import sys
import threading

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYNOTE = '914044873'
SPEAKER = 'p-speaker'


class Stop(threading.Event):
    """The source's stop event. A watcher looks at it once per read; one
    that looks a hundred thousand times has stopped reading and spins: the test
    fails there instead of hanging."""

    def __init__(self):
        super(Stop, self).__init__()
        self.looks = 0

    def is_set(self):
        self.looks += 1
        if self.looks > 100000:
            raise AssertionError('the watcher spins without reading the channel')
        return super(Stop, self).is_set()


@pytest.fixture
def namespace(plugin):
    """The plugin's module namespace, where its functions look names up."""
    return plugin['MeetingWatcher'].__init__.__globals__


class Clock(object):
    """time.monotonic for the plugin, moved on by the test (or by ``sleep``)."""

    def __init__(self):
        self.now = 1000.0
        self.slept = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(namespace, monkeypatch):
    clock = Clock()
    monkeypatch.setitem(namespace, 'time', clock)
    return clock


def person(pid, name, broadcast='0'):
    return {'NAME': name, 'TEL': '', 'STATE': '0', 'VIDEO': '1', 'MUTE': '0', 'HAND': '0', 'BROADCAST': broadcast}


class FakeChannel(object):
    """What MeetingWatcher reads of a PushChannel: ``dynamic``,
    ``participants``, ``ended``, and ``wait(done, deadline)``, which runs the
    next of ``steps`` (a function of the channel; it may raise, as a broken
    channel does) and returns done(). With no step left the source is
    stopped (``stop``), as a cancelled rulebook would."""

    def __init__(self, steps, stop, recording='0', mode='FREE'):
        self.dynamic = {'state': 'Created', 'recState': recording, 'mode': mode}
        self.participants = {'p-host': person('p-host', 'Host'), SPEAKER: person(SPEAKER, 'Keynote Speaker')}
        self.ended = False
        self.steps = list(steps)
        self.stop = stop
        self.deadlines = []
        self.closed = False

    def wait(self, done, deadline):
        self.deadlines.append(deadline)
        if not self.steps:
            self.stop.set()
            return done()
        self.steps.pop(0)(self)
        return done()

    def close(self):
        self.closed = True


def broadcast_mode(channel):
    channel.dynamic['mode'] = 'BROADCAST'


def broadcast_speaker(channel):
    channel.participants[SPEAKER]['BROADCAST'] = '1'


def start_recording(channel):
    channel.dynamic['recState'] = '1'


def advance(clock, seconds, then=None):
    def step(channel):
        clock.now += seconds
        if then is not None:
            then(channel)
    return step


class Broken(object):
    def __init__(self, plugin):
        self.error = plugin['PushError']('the push channel broke while waiting for the change to show (reset)')

    def __call__(self, channel):
        raise self.error


def watcher(plugin, stop=None, **options):
    events = []
    settings = dict(timeout=5, heartbeat_interval=60, reconnect_delay=1, max_reconnect_delay=60,
                    wait_for_start=0, start_poll_interval=1)
    settings.update(options)
    meeting_watcher = plugin['MeetingWatcher'](settings, {'conference_id': KEYNOTE, 'host_password': 'hp-unit-1'},
                                               events.append, stop or Stop(), plugin['_Secrets']())
    meeting_watcher.subject = 'Product Keynote'  # read with the login otherwise
    return meeting_watcher, events


def kinds(events):
    return [event['type'] for event in events]


# --- a broadcast_changed held for the second half of a broadcast -----------------------

def test_the_two_halves_of_a_broadcast_make_one_event_when_the_window_ends(plugin, clock):
    stop = Stop()
    meeting_watcher, events = watcher(plugin, stop)
    window = plugin['COALESCE_WINDOW']
    channel = FakeChannel([broadcast_mode, advance(clock, window / 2, broadcast_speaker),
                           advance(clock, window / 2)], stop)
    assert meeting_watcher._follow(channel) is False  # the source stopped
    assert kinds(events) == ['snapshot', 'broadcast_changed']
    changed = events[1]['changed']
    assert changed == {'mode': 'BROADCAST',
                       'broadcast_participant': {'pid': SPEAKER, 'name': 'Keynote Speaker', 'phone': ''}}
    assert events[1]['state']['broadcast_participant']['pid'] == SPEAKER
    # the wait for the second half ends with the window, not a whole read slice later
    assert channel.deadlines[1] == 1000.0 + window


def test_a_held_broadcast_is_released_when_its_window_ends_before_the_next_change(plugin, clock):
    stop = Stop()
    meeting_watcher, events = watcher(plugin, stop)
    window = plugin['COALESCE_WINDOW']
    channel = FakeChannel([broadcast_mode, advance(clock, window), advance(clock, 1, start_recording)], stop)
    meeting_watcher._follow(channel)
    assert kinds(events) == ['snapshot', 'broadcast_changed', 'recording_started']
    assert events[1]['changed'] == {'mode': 'BROADCAST'}


def test_a_held_broadcast_is_not_released_before_its_window_ends(plugin, clock):
    stop = Stop()
    meeting_watcher, events = watcher(plugin, stop)
    window = plugin['COALESCE_WINDOW']
    seen = []
    channel = FakeChannel([broadcast_mode, advance(clock, window / 2, lambda _channel: seen.append(kinds(events)))],
                          stop)
    meeting_watcher._follow(channel)
    assert seen == [['snapshot']]  # still held halfway through the window
    assert kinds(events) == ['snapshot', 'broadcast_changed']  # and released when the source stops


def test_a_held_broadcast_is_not_lost_when_the_channel_breaks(plugin, clock):
    # The channel breaks inside the window: the event goes out before the
    # reconnection, not never.
    stop = Stop()
    meeting_watcher, events = watcher(plugin, stop)
    broken = Broken(plugin)
    channel = FakeChannel([broadcast_mode, broken], stop)
    with pytest.raises(plugin['PushError']) as caught:
        meeting_watcher._follow(channel)
    assert caught.value is broken.error
    assert kinds(events) == ['snapshot', 'broadcast_changed']
    assert events[1]['changed'] == {'mode': 'BROADCAST'}
    assert meeting_watcher._held is None
    assert not stop.is_set()


def test_a_held_broadcast_goes_out_before_the_end_of_the_meeting(plugin, clock):
    stop = Stop()
    meeting_watcher, events = watcher(plugin, stop)

    def end(channel):
        channel.dynamic['state'] = 'Destroyed'
        channel.ended = True
    channel = FakeChannel([broadcast_mode, end], stop)
    assert meeting_watcher._follow(channel) is True  # the meeting ended
    assert kinds(events) == ['snapshot', 'broadcast_changed', 'meeting_ended']
    assert events[2]['changed'] == {'in_progress': False}
    assert not stop.is_set()


def test_only_broadcast_changes_are_held(plugin, clock):
    stop = Stop()
    meeting_watcher, events = watcher(plugin, stop)
    seen = []
    channel = FakeChannel([start_recording, lambda _channel: seen.append(kinds(events))], stop)
    meeting_watcher._follow(channel)
    assert seen == [['snapshot', 'recording_started']]  # at once
    assert events[1]['changed'] == {'recording': True}


# --- connections ----------------------------------------------------------------------------

def test_the_snapshot_of_a_reconnection_says_what_changed_while_the_channel_was_down(plugin, clock):
    stop = Stop()
    meeting_watcher, events = watcher(plugin, stop)
    meeting_watcher._follow(FakeChannel([], stop))
    assert kinds(events) == ['snapshot'] and events[0]['changed'] == {}
    assert events[0]['meeting'] == {'conference_id': KEYNOTE, 'subject': 'Product Keynote'}
    stop.clear()
    meeting_watcher._follow(FakeChannel([], stop, recording='1'))
    assert kinds(events) == ['snapshot', 'snapshot', 'recording_started']
    assert events[1]['changed'] == {'recording': True}
    assert meeting_watcher.connections == 2


def test_a_channel_of_a_meeting_that_has_ended_ends_the_watch_at_once(plugin, clock):
    stop = Stop()
    meeting_watcher, events = watcher(plugin, stop)
    channel = FakeChannel([], stop)
    channel.dynamic['state'] = 'Destroyed'
    assert meeting_watcher._follow(channel) is True
    assert kinds(events) == ['snapshot']
    assert events[0]['state']['in_progress'] is False
    assert channel.deadlines == []  # nothing more was read


def test_the_end_of_a_meeting_is_said_once(plugin, clock):
    meeting_watcher, events = watcher(plugin)
    meeting_watcher._ended()
    meeting_watcher._ended()
    assert kinds(events) == ['meeting_ended']
    assert events[0]['state']['in_progress'] is False and events[0]['changed'] == {'in_progress': False}


# --- _watch: what each failure of open_channel does ----------------------------------------

class Opener(object):
    """open_channel for the plugin: each call takes the next of ``outcomes``
    (an exception to raise, or a channel to return)."""

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.calls = 0

    def __call__(self, client, timeout, register_secret=None, heartbeat_interval=None):
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class Client(object):
    gateway_waits = []


def _watch(plugin, namespace, monkeypatch, outcomes, stop=None, **options):
    meeting_watcher, events = watcher(plugin, stop, **options)
    meeting_watcher.client = Client()
    opener = Opener(outcomes)
    monkeypatch.setitem(namespace, 'open_channel', opener)
    return meeting_watcher, events, opener


def _meeting_error(plugin, code, status=400, **extra):
    return plugin['MeetingError']('Could not get a push token for meeting %s: HTTP %s, error %s' % (
        KEYNOTE, status, code), status=status, error_code=code, **extra)


def test_a_meeting_that_has_ended_ends_the_watch_with_one_event(plugin, namespace, monkeypatch, clock):
    meeting_watcher, events, opener = _watch(plugin, namespace, monkeypatch,
                                             [_meeting_error(plugin, plugin['MEETING_ENDED'])])
    meeting_watcher._watch()
    assert kinds(events) == ['meeting_ended'] and opener.calls == 1


def test_a_meeting_that_does_not_exist_fails_the_source(plugin, namespace, monkeypatch, clock):
    error = _meeting_error(plugin, 'MMC.111070005', no_such_meeting=True)
    meeting_watcher, events, _opener = _watch(plugin, namespace, monkeypatch, [error])
    with pytest.raises(plugin['MeetingEventsError'], match='hwcloud.meeting.meeting_events: Could not get a push'):
        meeting_watcher._watch()
    assert events == []


def test_a_meeting_not_in_progress_yet_is_tried_again_until_wait_for_start(plugin, namespace, monkeypatch, clock):
    stop = Stop()
    monkeypatch.setattr(stop, 'wait', lambda seconds: clock.sleep(seconds) or False)
    waiting = _meeting_error(plugin, plugin['NOT_IN_PROGRESS'])
    meeting_watcher, events, opener = _watch(plugin, namespace, monkeypatch, [waiting] * 4, stop,
                                             wait_for_start=25, start_poll_interval=10)
    with pytest.raises(plugin['MeetingEventsError'], match='meeting 914044873 did not start within 25 seconds'):
        meeting_watcher._watch()
    assert clock.slept == [10, 10, 5]  # never past wait_for_start
    assert opener.calls == 4 and events == []


def test_a_meeting_that_starts_while_waited_for_is_followed(plugin, namespace, monkeypatch, clock):
    stop = Stop()
    monkeypatch.setattr(stop, 'wait', lambda seconds: clock.sleep(seconds) or False)
    waiting = _meeting_error(plugin, plugin['NOT_IN_PROGRESS'])
    channel = FakeChannel([], stop)
    meeting_watcher, events, opener = _watch(plugin, namespace, monkeypatch, [waiting, channel], stop,
                                             wait_for_start=25, start_poll_interval=10)
    meeting_watcher._watch()
    assert opener.calls == 2 and kinds(events) == ['snapshot'] and channel.closed


def test_a_meeting_no_longer_in_progress_after_it_was_has_ended(plugin, namespace, monkeypatch, clock):
    stop = Stop()
    monkeypatch.setattr(stop, 'wait', lambda seconds: clock.sleep(seconds) or False)
    broken = FakeChannel([Broken(plugin)], stop)
    meeting_watcher, events, opener = _watch(
        plugin, namespace, monkeypatch, [broken, _meeting_error(plugin, plugin['NOT_IN_PROGRESS'])], stop)
    meeting_watcher._watch()
    assert kinds(events) == ['snapshot', 'meeting_ended'] and opener.calls == 2
    assert broken.closed


@pytest.mark.parametrize('status', [401, 403, 400])
def test_a_refusal_fails_the_source_in_words(plugin, namespace, monkeypatch, clock, status):
    error = _meeting_error(plugin, 'MMC.111072065', status=status)
    meeting_watcher, _events, opener = _watch(plugin, namespace, monkeypatch, [error])
    with pytest.raises(plugin['MeetingEventsError']) as caught:
        meeting_watcher._watch()
    assert str(caught.value).startswith('hwcloud.meeting.meeting_events: Could not get a push token')
    assert opener.calls == 1


@pytest.mark.parametrize('status', [None, 429, 500, 503])
def test_a_transient_failure_is_tried_again(plugin, namespace, monkeypatch, clock, status):
    stop = Stop()
    monkeypatch.setattr(stop, 'wait', lambda seconds: clock.sleep(seconds) or False)
    channel = FakeChannel([], stop)
    meeting_watcher, events, opener = _watch(
        plugin, namespace, monkeypatch, [_meeting_error(plugin, 'X', status=status), channel], stop)
    meeting_watcher._watch()
    assert opener.calls == 2 and kinds(events) == ['snapshot'] and len(clock.slept) == 1
    assert 0.5 <= clock.slept[0] <= 1.0  # the first retry: reconnect_delay (1 s) less up to half of it


def test_a_channel_that_breaks_after_the_meeting_ended_is_the_end(plugin, namespace, monkeypatch, clock):
    stop = Stop()

    def end_and_break(channel):
        channel.ended = True
        raise plugin['PushError']('the meeting has ended, and the push server closed the channel')
    channel = FakeChannel([end_and_break], stop)
    meeting_watcher, events, opener = _watch(plugin, namespace, monkeypatch, [channel], stop)
    meeting_watcher._watch()
    assert kinds(events) == ['snapshot', 'meeting_ended'] and opener.calls == 1 and channel.closed


def test_a_stop_while_waiting_ends_the_watch_quietly(plugin, namespace, monkeypatch, clock):
    stop = Stop()
    monkeypatch.setattr(stop, 'wait', lambda seconds: True)  # the source is cancelled during the wait
    meeting_watcher, events, opener = _watch(plugin, namespace, monkeypatch,
                                             [plugin['PushError']('could not connect')], stop)
    with pytest.raises(plugin['_Stopped']):
        meeting_watcher._watch()
    assert events == [] and opener.calls == 1


# --- what a state is made of, and the options -------------------------------------------------

def test_participants_not_listed_yet_are_unknown_not_nobody(plugin, clock):
    # The full list of participants comes after the snapshot: nobody "joined".
    stop = Stop()
    meeting_watcher, events = watcher(plugin, stop)
    channel = FakeChannel([], stop)
    listed, channel.participants = channel.participants, None
    assert plugin['meeting_state'](KEYNOTE, channel)['participants'] is None

    def list_arrives(fake):
        fake.participants = listed
    channel.steps = [list_arrives]
    meeting_watcher._follow(channel)
    assert kinds(events) == ['snapshot']
    assert events[0]['state']['participants'] is None


def test_the_sources_own_defaults_are_the_documented_ones(plugin):
    import yaml
    documented = yaml.safe_load(plugin['DOCUMENTATION'])['options']
    options = plugin['parse_options']({'meetings': [{'conference_id': KEYNOTE, 'host_password': 'hp'}]}, {})
    for name in plugin['_NUMBERS']:
        assert options[name] == documented[name]['default'], name


def test_wait_for_start_may_be_zero_and_the_other_numbers_may_not(plugin):
    meetings = [{'conference_id': KEYNOTE, 'host_password': 'hp'}]
    assert plugin['parse_options']({'meetings': meetings, 'wait_for_start': 0}, {})['wait_for_start'] == 0
    with pytest.raises(plugin['MeetingEventsError'], match='start_poll_interval must be a number of seconds '
                                                           'greater than 0 '):
        plugin['parse_options']({'meetings': meetings, 'start_poll_interval': 0}, {})


def test_a_negative_wait_for_start_is_refused_in_words(plugin):
    meetings = [{'conference_id': KEYNOTE, 'host_password': 'hp'}]
    with pytest.raises(plugin['MeetingEventsError'], match=r'wait_for_start must be 0 or more seconds '
                                                           r'\(got -1.0\)'):
        plugin['parse_options']({'meetings': meetings, 'wait_for_start': -1}, {})


def test_the_source_imports_its_collection_when_run_by_its_path_alone(tmp_path):
    # ansible-rulebook runs the file by its path: with no PYTHONPATH and no
    # collections path, the source adds the directory that holds its own
    # collection, and imports it from there.
    environment = dict((key, value) for key, value in os.environ.items()
                       if key not in ('PYTHONPATH', 'ANSIBLE_COLLECTIONS_PATH', 'ANSIBLE_COLLECTIONS_PATHS'))
    code = 'import runpy, sys; namespace = runpy.run_path(sys.argv[1]); print(namespace["PLUGIN"])'
    installed = os.path.join(ROOT, '.build', 'collections', 'ansible_collections', 'hwcloud', 'meeting', 'extensions',
                             'eda', 'plugins', 'event_source', 'meeting_events.py')
    done = subprocess.run([sys.executable, '-c', code, installed], cwd=str(tmp_path), env=environment,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == 'hwcloud.meeting.meeting_events'


# --- what the source logs: the meeting first, every secret masked -----------------------

LOGGER_NAME = 'hwcloud.meeting.meeting_events'


def test_a_log_line_names_the_meeting_and_masks_every_secret(plugin, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    meeting_watcher, _events = watcher(plugin)
    meeting_watcher.secrets.add('tok-unit-secret')
    meeting_watcher.log(logging.INFO, 'token %s, waited %s s', 'tok-unit-secret', 2)
    meeting_watcher.log(logging.WARNING, 'no values: 100%')  # a text without values is not formatted
    assert [(record.levelno, record.getMessage()) for record in caplog.records] == [
        (logging.INFO, 'meeting %s: token ********, waited 2 s' % KEYNOTE),
        (logging.WARNING, 'meeting %s: no values: 100%%' % KEYNOTE)]


def test_secrets_are_masked_whole_the_longest_first(plugin):
    secrets = plugin['_Secrets'](['abc', None, ''])
    secrets.add('abcdef')
    secrets.add(None)
    assert secrets.clean('x abcdef y abc z') == 'x ******** y ******** z'


def test_the_gateway_waits_are_logged_as_the_client_says_them(plugin, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)
    meeting_watcher, _events = watcher(plugin)
    meeting_watcher.client = Client()
    meeting_watcher.client.gateway_waits = ['Waited 2.5 s for the gateway (GET wsToken)', 'Waited 1 s (50%)']
    meeting_watcher._say_gateway_waits()
    assert [record.getMessage() for record in caplog.records] == [
        'meeting %s: Waited 2.5 s for the gateway (GET wsToken)' % KEYNOTE, 'meeting %s: Waited 1 s (50%%)' % KEYNOTE]
    assert meeting_watcher.client.gateway_waits == []  # each said once


def test_what_the_client_warns_of_is_logged_for_its_meeting(plugin, namespace, monkeypatch, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER_NAME)

    class OptionTable(object):
        @staticmethod
        def build_client(options, warn, register_secret, **meeting):
            warn('the token cache /tmp/x cannot be used (100% full); logging in again')
            return 'the client'
    monkeypatch.setitem(namespace, 'option_table', OptionTable)
    meeting_watcher, _events = watcher(plugin)
    meeting_watcher.shared = {}
    assert meeting_watcher._client() == 'the client'
    assert [(record.levelno, record.getMessage()) for record in caplog.records] == [
        (logging.WARNING, 'meeting %s: the token cache /tmp/x cannot be used (100%% full); logging in again' % KEYNOTE)]
