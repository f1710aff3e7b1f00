"""The event source hwcloud.meeting.meeting_events: its main(queue, args),
loaded from the installed collection as ansible-rulebook loads it (runpy),
against the simulator's meeting-status push; and its option and change
logic on their own (no network).

Every wait has a ceiling (a failure when it passes, never a timing
assertion).
"""
import asyncio
import json
import logging
import os
import threading
import time

import pytest

from hwmeeting_sim import Simulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MEETINGS = os.path.join(ROOT, 'tests', 'simulator', 'demo_meetings.yml')
KEYNOTE = '914044873'
HOST_PASSWORD = '118822'
ACCOUNT = 'demo@example.com'
ACCOUNT_PASSWORD = 'demo-account-password-not-secret'
SPEAKER = 'c0a8000116f111eea1b2000000000002'
WS_TOKEN = '/v1/mmc/control/conferences/wsToken'
PUSH_PATH = '/cms/open/websocket/confctl/increment/conn'
CONTROL_TOKEN = '/v1/mmc/control/conferences/token'
CEILING = 30.0
FAST = {'heartbeat_interval': 60, 'reconnect_delay': 0.1, 'max_reconnect_delay': 0.5, 'timeout': 10}


@pytest.fixture
def sim():
    with Simulator(meetings_file=MEETINGS) as simulator:
        yield simulator


def arguments(sim, **extra):
    args = {'meetings': [{'conference_id': KEYNOTE, 'host_password': HOST_PASSWORD}], 'api_url': sim.url}
    args.update(FAST)
    args.update(extra)
    return args


async def next_event(queue):
    return await asyncio.wait_for(queue.get(), CEILING)


async def until(predicate, what):
    deadline = time.monotonic() + CEILING
    while not predicate():
        assert time.monotonic() < deadline, 'no %s within %s s' % (what, CEILING)
        await asyncio.sleep(0.05)


def watcher_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith('hwcloud.meeting.meeting_events')]


def assert_no_secret(sim, texts):
    text = '\n'.join(texts)
    for secret in [HOST_PASSWORD, ACCOUNT_PASSWORD] + sim.issued_tokens():
        assert secret not in text


# --- against the simulator ----------------------------------------------------------

def test_one_event_per_change_then_the_meeting_ends(plugin, sim, caplog):
    caplog.set_level(logging.INFO, logger='hwcloud.meeting.meeting_events')
    sim.set_meeting(KEYNOTE, state='Created')
    people = sim.meeting(KEYNOTE)['participants']
    events = []

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.ensure_future(plugin['main'](queue, arguments(
            sim, account=ACCOUNT, account_password=ACCOUNT_PASSWORD)))

        async def expect(kind):
            event = await next_event(queue)
            events.append(event)
            assert event['type'] == kind, event
            assert event['meeting'] == {'conference_id': KEYNOTE, 'subject': 'Product Keynote'}
            assert sorted(event['state']) == ['broadcast_participant', 'in_progress', 'mode', 'participants',
                                              'recording']
            return event

        snapshot = await expect('snapshot')
        assert snapshot['changed'] == {}
        assert snapshot['state']['in_progress'] is True
        assert snapshot['state']['recording'] is False
        assert [p['name'] for p in snapshot['state']['participants']][:2] == ['Event Producer', 'Keynote Speaker']

        sim.set_meeting(KEYNOTE, recording=True)
        started = await expect('recording_started')
        assert started['changed'] == {'recording': True} and started['state']['recording'] is True

        sim.set_meeting(KEYNOTE, mode='BROADCAST', broadcast_pid=SPEAKER)
        broadcast = await expect('broadcast_changed')
        assert broadcast['state']['broadcast_participant'] == {'pid': SPEAKER, 'name': 'Keynote Speaker',
                                                               'phone': '+99111000002'}
        # One event for the two messages of a broadcast (the mode, then who).
        assert broadcast['changed']['broadcast_participant']['pid'] == SPEAKER
        assert broadcast['changed']['mode'] == 'BROADCAST'

        sim.set_meeting(KEYNOTE, participants=[p for p in people if p['pid'] != SPEAKER], mode='FREE',
                        broadcast_pid='')
        # (broadcast_changed waits a moment for the second half of a broadcast change)
        left = await expect('participant_left')
        assert left['changed']['participant']['name'] == 'Keynote Speaker'
        assert SPEAKER not in [p['pid'] for p in left['state']['participants']]
        cancelled = await expect('broadcast_changed')
        assert cancelled['changed'] == {'mode': 'FREE', 'broadcast_participant': None}

        sim.set_meeting(KEYNOTE, participants=people)
        joined = await expect('participant_joined')
        assert joined['changed'] == {'participant': {
            'pid': SPEAKER, 'name': 'Keynote Speaker', 'phone': '+99111000002', 'state': 0, 'video': True,
            'muted': False, 'hand_raised': False}}

        sim.set_meeting(KEYNOTE, recording=False)
        stopped = await expect('recording_stopped')
        assert stopped['changed'] == {'recording': False}

        sim.set_meeting(KEYNOTE, state='Destroyed')
        ended = await expect('meeting_ended')
        assert ended['changed'] == {'in_progress': False} and ended['state']['in_progress'] is False
        # A meeting that ends ends its channel, and with the last one, the source.
        await asyncio.wait_for(task, CEILING)
        assert queue.empty()

    asyncio.run(scenario())
    assert sim.push_connections() == []
    assert not watcher_threads()
    json.dumps(events)  # plain data, as ansible-rulebook needs
    assert_no_secret(sim, [json.dumps(events)] + [record.getMessage() for record in caplog.records])


def test_reconnects_with_a_fresh_token_after_the_server_closes_the_channel(plugin, sim):
    sim.set_meeting(KEYNOTE, state='Created')

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.ensure_future(plugin['main'](queue, arguments(sim)))
        assert (await next_event(queue))['type'] == 'snapshot'
        assert sim.close_push(KEYNOTE, code=1001, reason='test') == 1
        again = await next_event(queue)
        assert again['type'] == 'snapshot' and again['changed'] == {}
        sim.set_meeting(KEYNOTE, recording=True)
        assert (await next_event(queue))['type'] == 'recording_started'
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    # the first connection opened with the control token's tmpWsToken, the reconnection with a fresh wsToken
    assert [call['status'] for call in sim.calls if call['path'] == WS_TOKEN] == [200]
    assert [call['path'] for call in sim.calls].count(PUSH_PATH) == 2
    subscribes = [frame for frame in sim.frames if frame['direction'] == 'in' and frame['action'] == 'Subscribe']
    assert len(set(frame['connection'] for frame in subscribes)) == 2


def test_what_changed_while_the_channel_was_down_is_reported_after_the_reconnection(plugin, sim):
    sim.set_meeting(KEYNOTE, state='Created', recording=True)

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.ensure_future(plugin['main'](queue, arguments(sim)))
        assert (await next_event(queue))['type'] == 'snapshot'
        # Every reconnection fails until the faults are cleared: the channel
        # is down for certain while the recording stops.
        sim.inject_fault(WS_TOKEN, status=503, count=1000)
        sim.close_push(KEYNOTE)
        await until(lambda: any(call['path'] == WS_TOKEN and call['status'] == 503 for call in sim.calls),
                    'failed reconnection')
        sim.set_meeting(KEYNOTE, recording=False)
        sim.clear_faults()
        snapshot = await next_event(queue)
        assert snapshot['type'] == 'snapshot' and snapshot['changed'] == {'recording': False}
        stopped = await next_event(queue)
        assert stopped['type'] == 'recording_stopped' and stopped['changed'] == {'recording': False}
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())


def test_heartbeats_keep_the_channel_open(plugin, sim):
    sim.set_meeting(KEYNOTE, state='Created')
    sim.configure(push_heartbeat_timeout=3.0)  # the simulator closes a silent channel after 3 s

    def heartbeats():
        return [frame for frame in sim.frames if frame['direction'] == 'in' and frame['action'] == 'HeartBeat']

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.ensure_future(plugin['main'](queue, arguments(sim, heartbeat_interval=0.2)))
        assert (await next_event(queue))['type'] == 'snapshot'
        await until(lambda: len(heartbeats()) >= 20, 'twenty heartbeats')
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    # The heartbeats were echoed, and the channel was never closed for want of them.
    assert [frame for frame in sim.frames if frame['direction'] == 'out' and frame['action'] == 'HeartBeat']
    # one connection, opened with the control token's tmpWsToken: no wsToken call
    assert [call['path'] for call in sim.calls].count(WS_TOKEN) == 0


def test_cancellation_closes_every_channel_and_stops_every_thread(plugin, sim):
    sim.set_meeting(KEYNOTE, state='Created')
    sim.set_meeting('914047751', state='Created')

    async def scenario():
        queue = asyncio.Queue()
        args = arguments(sim, meetings=[{'conference_id': KEYNOTE, 'host_password': HOST_PASSWORD},
                                        {'conference_id': '914047751', 'host_password': '556677'}])
        task = asyncio.ensure_future(plugin['main'](queue, args))
        first, second = await next_event(queue), await next_event(queue)
        assert sorted([first['meeting']['conference_id'], second['meeting']['conference_id']]) == \
            ['914044873', '914047751']
        assert len(watcher_threads()) == 2
        # daemon threads: one still reading past STOP_WAIT never keeps ansible-rulebook from exiting
        assert all(thread.daemon for thread in watcher_threads())
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, CEILING)

    asyncio.run(scenario())
    assert not watcher_threads()
    closes = [frame for frame in sim.frames if frame['direction'] == 'in' and frame['action'] == 'close']
    assert sorted(frame['conference_id'] for frame in closes) == ['914044873', '914047751']
    deadline = time.monotonic() + CEILING
    while sim.push_connections() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sim.push_connections() == []


def test_a_meeting_not_in_progress_yet_is_retried_until_it_starts(plugin, sim, caplog):
    caplog.set_level(logging.INFO, logger='hwcloud.meeting.meeting_events')

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.ensure_future(plugin['main'](queue, arguments(sim, start_poll_interval=0.2)))
        await until(lambda: [call['status'] for call in sim.calls if call['path'] == CONTROL_TOKEN][:2] == [400, 400],
                    'two tries of a meeting not in progress')
        assert queue.empty()
        sim.set_meeting(KEYNOTE, state='Created')
        snapshot = await next_event(queue)
        assert snapshot['type'] == 'snapshot' and snapshot['state']['in_progress'] is True
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert 'meeting 914044873: not in progress yet' in caplog.text


def test_waiting_for_the_start_is_bounded(plugin, sim):
    async def scenario():
        await plugin['main'](asyncio.Queue(), arguments(sim, wait_for_start=0.6, start_poll_interval=0.2))

    with pytest.raises(plugin['MeetingEventsError'], match='meeting 914044873 did not start within 0.6 seconds'):
        asyncio.run(asyncio.wait_for(scenario(), CEILING))
    assert not watcher_threads()


def test_a_meeting_that_has_ended_gives_one_event_and_ends_the_source(plugin, sim):
    sim.set_meeting(KEYNOTE, state='Destroyed')

    async def scenario():
        queue = asyncio.Queue()
        await asyncio.wait_for(plugin['main'](queue, arguments(sim)), CEILING)
        return [queue.get_nowait() for _index in range(queue.qsize())]

    events = asyncio.run(scenario())
    assert [(event['type'], event['state']['in_progress']) for event in events] == [('meeting_ended', False)]


def test_a_wrong_host_password_fails_the_source_in_words(plugin, sim):
    sim.set_meeting(KEYNOTE, state='Created')
    wrong = 'wrong-host-password-991'

    async def scenario():
        args = arguments(sim, meetings=[{'conference_id': KEYNOTE, 'host_password': wrong}])
        await asyncio.wait_for(plugin['main'](asyncio.Queue(), args), CEILING)

    with pytest.raises(plugin['MeetingEventsError']) as failure:
        asyncio.run(scenario())
    assert 'MMC.111072065' in str(failure.value) and wrong not in str(failure.value)
    assert not watcher_threads()


def test_credentials_come_from_the_hwmeeting_variables(plugin, sim, monkeypatch):
    sim.set_meeting(KEYNOTE, state='Created')
    monkeypatch.setenv('HWMEETING_API_URL', sim.url)
    monkeypatch.setenv('HWMEETING_ACCOUNT', ACCOUNT)
    monkeypatch.setenv('HWMEETING_ACCOUNT_PASSWORD', ACCOUNT_PASSWORD)

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.ensure_future(plugin['main'](queue, {
            'meetings': [{'conference_id': KEYNOTE, 'host_password': HOST_PASSWORD}]}))
        event = await next_event(queue)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return event

    event = asyncio.run(scenario())
    # The subject comes from the online check, made with the account login.
    assert event['meeting']['subject'] == 'Product Keynote'
    assert any(call['path'] == '/v1/usg/acs/auth/account' and call['status'] == 200 for call in sim.calls)


# --- no network ---------------------------------------------------------------------

def test_options_fall_back_to_the_environment_and_arguments_win(plugin):
    environ = {'HWMEETING_API_URL': 'https://env.example', 'HWMEETING_VALIDATE_CERTS': 'false',
               'HWMEETING_APP_ID': 'id', 'HWMEETING_APP_KEY': 'key', 'HWMEETING_ACCOUNT': ''}
    options = plugin['parse_options']({'meetings': [{'conference_id': '1234'}], 'app_id': 'given'}, environ)
    assert options['api_url'] == 'https://env.example'
    assert options['validate_certs'] is False
    assert (options['app_id'], options['app_key'], options['account']) == ('given', 'key', None)
    assert options['meetings'] == [{'conference_id': '1234', 'host_password': None}]
    assert options['heartbeat_interval'] == 60 and options['wait_for_start'] == 14400


@pytest.mark.parametrize('args, words', [
    ({}, 'meetings must be a non-empty list'),
    ({'meetings': [{'conference_id': '12a'}]}, "conference_id must be the meeting ID, digits only (got '12a')"),
    ({'meetings': [{'conference_id': '1'}]}, 'meeting 1: give its host_password, or login credentials'),
    ({'meetings': [{'conference_id': '1', 'host_password': 'x', 'password': 'y'}]}, 'unknown key(s) password'),
    ({'meetings': [{'conference_id': '1', 'host_password': 'x'}], 'heartbeat_interval': 0},
     'heartbeat_interval must be a number of seconds greater than 0'),
    ({'meetings': [{'conference_id': '1', 'host_password': 'x'}], 'account': 'a'},
     'account is set but account_password is missing'),
    ({'meetings': [{'conference_id': '1', 'host_password': 'x'}], 'api_url': 'ftp://x'},
     'api_url must be an http:// or https:// URL'),
    ({'meetings': [{'conference_id': '1', 'host_password': 'x'}], 'validate_certs': 'maybe'},
     'validate_certs must be true or false'),
    ({'meetings': [{'conference_id': '1', 'host_password': 'x'}], 'interval': 3}, 'unknown argument(s) interval'),
    ({'meetings': [{'conference_id': '1', 'host_password': 'x'}, {'conference_id': ' 1 ', 'host_password': 'y'}]},
     'meeting 1 is listed twice'),
])
def test_bad_arguments_are_refused_in_words(plugin, args, words):
    with pytest.raises(plugin['MeetingEventsError']) as failure:
        plugin['parse_options'](args, {})
    assert words in str(failure.value)


def _state(recording=True, mode='FREE', broadcast=None, people=('a', 'b'), in_progress=True):
    participants = None if people is None else [
        {'pid': pid, 'name': pid.upper(), 'phone': '', 'state': 0, 'video': True, 'muted': False,
         'hand_raised': False} for pid in people]
    return {'in_progress': in_progress, 'recording': recording, 'mode': mode, 'participants': participants,
            'broadcast_participant': None if broadcast is None else {'pid': broadcast, 'name': None, 'phone': None}}


def test_changes_make_one_event_per_kind_of_change_in_a_stable_order(plugin):
    changes = plugin['changes']
    assert changes(_state(), _state()) == []
    assert changes(_state(), _state(recording=False)) == [('recording_stopped', {'recording': False})]
    assert changes(_state(recording=None), _state(recording=False)) == []  # unknown before: nothing stopped
    speaker = {'pid': 'a', 'name': None, 'phone': None}
    assert changes(_state(), _state(mode='BROADCAST', broadcast='a')) == [
        ('broadcast_changed', {'mode': 'BROADCAST', 'broadcast_participant': speaker})]
    joined_left = changes(_state(people=('a', 'b')), _state(people=('b', 'c')))
    assert [(kind, changed['participant']['pid']) for kind, changed in joined_left] == [
        ('participant_joined', 'c'), ('participant_left', 'a')]
    assert changes(_state(people=None), _state(people=('a',))) == []  # the list was unknown
    assert [kind for kind, _changed in changes(_state(), _state(recording=False, in_progress=False))] == [
        'recording_stopped', 'meeting_ended']


def test_the_documented_options_are_the_accepted_ones(plugin):
    import yaml
    documentation = yaml.safe_load(plugin['DOCUMENTATION'])
    documented = set(documentation['options'])
    accepted = set(plugin['option_table'].BY_NAME) | set(plugin['_NUMBERS']) | {'meetings'}
    assert documented == accepted
    assert set(documentation['options']['meetings']['suboptions']) == {'conference_id', 'host_password'}
    for name, variable in plugin['_ENV'].items():
        assert documentation['options'][name]['env'] == [{'name': variable}]
    with open(os.path.join(ROOT, 'docs', 'event_driven.md')) as handle:
        guide = handle.read()
    for name in accepted:
        assert '`%s`' % name in guide, name
    for kind in plugin['EVENT_TYPES']:
        assert '`%s`' % kind in guide and 'C(%s)' % kind in plugin['DOCUMENTATION'], kind


def test_without_a_host_password_the_login_must_be_able_to_read_it(plugin, sim):
    """host_password may be left out with login credentials, when the client
    reads it from the meeting's details (Credentials.can_read_host_password);
    a client that cannot fails the source at once instead of asking for ever."""
    sim.set_meeting(KEYNOTE, state='Created')
    from ansible_collections.hwcloud.meeting.plugins.module_utils.auth import Credentials as credentials_class
    # the App ID's user scheduled the demo meetings: it may read their details
    args = arguments(sim, meetings=[{'conference_id': KEYNOTE}], app_id='demo-app-id',
                     app_key='demo-app-key-not-secret', user_id='demo-user')

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.ensure_future(plugin['main'](queue, args))
        try:
            return await next_event(queue)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    assert credentials_class.can_read_host_password  # a property, not a call
    event = asyncio.run(scenario())
    assert event['type'] == 'snapshot' and event['state']['in_progress'] is True
    assert not watcher_threads()


def test_without_a_host_password_or_a_login_the_source_fails_at_once(plugin, sim):
    sim.set_meeting(KEYNOTE, state='Created')
    args = arguments(sim, meetings=[{'conference_id': KEYNOTE}])
    with pytest.raises(plugin['MeetingEventsError'], match='meeting 914044873: give its host_password'):
        asyncio.run(asyncio.wait_for(plugin['main'](asyncio.Queue(), args), CEILING))
    assert not watcher_threads()


@pytest.mark.parametrize('token_cache', [True, False], ids=['token cache', 'no token cache'])
def test_one_login_serves_every_watcher(plugin, sim, token_cache):
    # three meetings, their host passwords read with the login: one login
    # between the watchers, not one each (nor one per reconnection)
    meetings = ['914044873', '914083136', '914047751']
    for meeting_id in meetings:
        sim.set_meeting(meeting_id, state='Created')
    # the App ID's user scheduled the demo meetings: it may read their details
    args = arguments(sim, meetings=[{'conference_id': meeting_id} for meeting_id in meetings],
                     app_id='demo-app-id', app_key='demo-app-key-not-secret', user_id='demo-user',
                     token_cache=token_cache)

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.ensure_future(plugin['main'](queue, args))
        try:
            seen = set()
            while len(seen) < len(meetings):
                event = await next_event(queue)
                assert event['type'] == 'snapshot', event
                seen.add(event['meeting']['conference_id'])
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    asyncio.run(scenario())
    logins = [call for call in sim.calls if call['path'] == '/v2/usg/acs/auth/appauth']
    assert [call['status'] for call in logins] == [200]
    # each watcher read its own meeting's details (the host password) and subject once
    details = [call['query']['conferenceID'] for call in sim.calls
               if call['path'] == '/v1/mmc/management/conferences/confDetail']
    assert sorted(details) == sorted(meetings)
    assert not watcher_threads()


WITHOUT_WEBSOCKET = '''
import asyncio, runpy, sys
sys.modules['websocket'] = None  # "import websocket" raises ImportError, as where it is not installed
plugin = runpy.run_path(%r)
try:
    asyncio.run(plugin['main'](asyncio.Queue(), {'meetings': [{'conference_id': '1', 'host_password': 'x'}]}))
except plugin['MeetingEventsError'] as error:
    print('refused: %%s' %% error)
'''


def test_without_websocket_client_the_source_says_so_in_words(plugin):
    import subprocess
    import sys
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    completed = subprocess.run([sys.executable, '-c', WITHOUT_WEBSOCKET % plugin['__file__']], env=env, capture_output=True,
                               text=True, timeout=120, check=False)
    assert completed.stdout.strip() == ('refused: hwcloud.meeting.meeting_events needs the Python library '
                                        'websocket-client where ansible-rulebook runs: python -m pip install '
                                        'websocket-client'), completed.stdout + completed.stderr
    assert 'Traceback' not in completed.stderr
