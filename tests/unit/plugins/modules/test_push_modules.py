# Unit tests of the modules reading the meeting-status push (the default
# state source): HTTP session and WebSocket replaced by scripts; no network.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

import pytest
import requests
import websocket

from ansible_collections.hwcloud.meeting.plugins.module_utils import push
from ansible_collections.hwcloud.meeting.plugins.module_utils.auth import PATH_CONTROL_TOKEN, PATH_WS_TOKEN
from ansible_collections.hwcloud.meeting.plugins.module_utils.client import (
    PATH_BROADCAST,
    PATH_LIVE,
    PATH_REALTIME,
    PATH_RECORD,
)
from ansible_collections.hwcloud.meeting.plugins.modules import (
    meeting_broadcast,
    meeting_info,
    meeting_live,
    meeting_record,
)

from ...helpers import run_module
from ..module_utils.fakes import dynamic, participants, person, response, subscribe_reply

CID = '914044873'
CONTROL = dict(conference_id=CID, host_password='host-pw-push-modules')
WS_TOKEN = 'ws-token-modules-secret'
TOKEN = response(200, {'data': {'token': 'ctl-token-push-modules', 'confTokenExpireTime': 1800,
                                'wsURL': 'ws://push.example.test:80', 'tmpWsToken': 'tmp-ws-token-modules'}})
WS = response(200, {'webSocketToken': WS_TOKEN})
EMPTY = response(200, text='')
VENDOR_REALTIME = response(200, {'attendees': [{'accountID': 'ada@example.com', 'name': 'Ada'}],
                                 'participants': [], 'confInfo': {'chairID': 'p1', 'coHosts': ['p2']}})
PEOPLE = [person('p1', 'Ada'), person('p2', 'Keynote Speaker'), person('p3', 'Cy', state='1')]


def full(recording=0, mode='FREE', people=None):
    return [subscribe_reply(), dynamic(state='Created', recState=recording, mode=mode),
            participants(PEOPLE if people is None else people)]


@pytest.fixture
def service(push_service):
    """service(http, frames) -> (session, socket, connections)."""
    return push_service


def recording_service(service, after_write, **http):
    """The service whose record write is answered, after which the push
    channel open at that moment receives after_write (frames, or exceptions
    it raises); http adds answers of other calls."""
    opened = []

    def recorded():
        opened[0].incoming.extend(after_write)
        return EMPTY
    answers = {PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS], PATH_RECORD: [recorded]}
    answers.update(http)
    session, socket, connections = service(answers, full(recording=0))
    opened.append(socket)
    return session, socket, connections


def test_record_no_op_reads_the_push_only(capsys, service):
    session, socket, connections = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS]}, full(recording=1))
    result = run_module(meeting_record.main, dict(CONTROL, state='started'), capsys, diff=True)
    assert result['changed'] is False and result['state_verified'] is True and result['recording'] is True
    assert result['diff'] == {'before': {'recording': True}, 'after': {'recording': True}}
    # no realTimeInfo, and no wsToken: the control token's tmpWsToken opens the channel
    assert session.paths() == [PATH_CONTROL_TOKEN]
    assert 'tmpToken=tmp-ws-token-modules' in connections[0]['url']
    assert len(connections) == 1 and socket.closed
    assert not result.get('warnings')


def test_record_change_waits_on_the_same_channel(capsys, service):
    # the push shows the change
    session, socket, connections = recording_service(service, [dynamic(msg_mode=1, recState=1)])
    result = run_module(meeting_record.main, dict(CONTROL, state='started', wait=True), capsys)
    assert result['changed'] is True and result['state_verified'] is True and result['recording'] is True
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_RECORD]
    assert len(connections) == 1 and socket.incoming == []
    assert session.requests[-1]['json'] == {'isRecord': 1}


def test_wait_times_out_when_the_push_never_shows_the_change(capsys, service, monkeypatch):
    monkeypatch.setattr(push, 'HEARTBEAT_INTERVAL', 0.01)
    session, socket, _connections = service(
        {PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS], PATH_RECORD: [EMPTY]}, full(recording=0))
    result = run_module(meeting_record.main, dict(CONTROL, state='started', wait=True, wait_timeout=0), capsys)
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'] == 'Recording of meeting %s was not started within 0 seconds.' % CID
    assert PATH_REALTIME not in session.paths()


def test_a_refused_push_falls_back_to_realtime_info_and_says_so(capsys, service):
    refused = websocket.WebSocketBadStatusException('Handshake status 403', 403, 'Forbidden', {}, b'')
    session, _socket, _connections = service(
        {PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS], PATH_REALTIME: [VENDOR_REALTIME], PATH_RECORD: [EMPTY]},
        connect_error=refused)
    result = run_module(meeting_record.main, dict(CONTROL, state='started'), capsys)
    assert result['changed'] is True and result['state_verified'] is False
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_WS_TOKEN, PATH_REALTIME, PATH_RECORD]
    warnings = result['warnings']
    assert any('The meeting-status push of meeting %s could not be read: the push server ws://push.example.test:80 '
               'refused the connection: HTTP 403 Forbidden; the state comes from realTimeInfo' % CID in warning
               for warning in warnings), warnings
    assert any('Neither the meeting-status push nor realTimeInfo reported the recording state (recState)' in warning
               for warning in warnings), warnings
    assert WS_TOKEN not in json.dumps(result)


def test_state_source_push_never_reads_realtime_info(capsys, service):
    session, _socket, _connections = service(
        {PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS], PATH_RECORD: [EMPTY]}, [subscribe_reply()])
    result = run_module(meeting_record.main, dict(CONTROL, state='started', state_source='push'), capsys)
    assert result['changed'] is True and result['state_verified'] is False
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_RECORD]
    assert any('state_source is push, so that state is unknown' in warning for warning in result['warnings'])


def test_state_source_realtime_opens_no_channel(capsys, service):
    session, _socket, connections = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [VENDOR_REALTIME],
                                             PATH_RECORD: [EMPTY]})
    result = run_module(meeting_record.main, dict(CONTROL, state='started', state_source='realtime'), capsys)
    assert result['state_verified'] is False and connections == []
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, PATH_RECORD]


def test_live_reads_realtime_info_only_and_says_the_vendor_publishes_no_live_state(capsys, service):
    session, _socket, connections = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [VENDOR_REALTIME],
                                             PATH_LIVE: [EMPTY]})
    result = run_module(meeting_live.main, dict(CONTROL, state='started'), capsys)
    assert result['changed'] is True and result['state_verified'] is False
    assert connections == [] and session.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, PATH_LIVE]
    assert any('The vendor publishes no live streaming state' in warning for warning in result['warnings'])


def test_broadcast_by_name_from_the_push(capsys, service):
    session, _socket, _connections = service(
        {PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS], PATH_BROADCAST: [EMPTY]}, full())
    result = run_module(meeting_broadcast.main, dict(CONTROL, participant='Keynote Speaker'), capsys)
    assert result['changed'] is True and result['state_verified'] is True
    assert result['broadcast_participant'] == {'pid': 'p2', 'name': 'Keynote Speaker', 'phone': ''}
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_BROADCAST]
    assert session.requests[-1]['params']['participantID'] == 'p2'


def test_broadcast_already_on_is_ok(capsys, service):
    people = [person('p1', 'Ada'), person('p2', 'Keynote Speaker', broadcast='1')]
    session, _socket, _connections = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS]},
                                             full(mode='BROADCAST', people=people))
    result = run_module(meeting_broadcast.main, dict(CONTROL, participant='Keynote Speaker'), capsys)
    assert result['changed'] is False and result['state_verified'] is True
    assert session.paths() == [PATH_CONTROL_TOKEN]


def test_info_merges_the_push_and_realtime_info(capsys, service):
    session, _socket, _connections = service(
        {PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS], PATH_REALTIME: [VENDOR_REALTIME]}, full(recording=1))
    result = run_module(meeting_info.main, CONTROL, capsys)
    meeting = result['meeting']
    assert meeting['in_progress'] is True and meeting['recording'] is True and meeting['live'] is None
    assert meeting['chair_id'] == 'p1' and meeting['co_hosts'] == ['p2']
    assert meeting['attendees'][0]['account_id'] == 'ada@example.com'
    assert [person_['name'] for person_ in meeting['participants']] == ['Ada', 'Keynote Speaker', 'Cy']
    assert meeting['participant_count'] == 2
    assert result['state_sources'] == {'in_progress': 'push', 'recording': 'push', 'live': None, 'mode': 'push',
                                       'broadcast_participant': 'push', 'participants': 'push'}
    assert result['state_verified'] is True
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME]


@pytest.mark.parametrize('status, reason', [(401, 'Unauthorized'), (403, 'Forbidden')])
def test_a_push_token_turned_away_is_replaced_by_one_of_its_own_once(capsys, service, status, reason):
    # The control token's tmpWsToken refused at the upgrade (401 or 403): a
    # wsToken is tried once, then the state comes from realTimeInfo.
    refused = websocket.WebSocketBadStatusException('Handshake status %d' % status, status, reason, {}, b'')
    session, _socket, connections = service(
        {PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS], PATH_REALTIME: [VENDOR_REALTIME], PATH_RECORD: [EMPTY]},
        connect_error=refused)
    result = run_module(meeting_record.main, dict(CONTROL, state='started'), capsys)
    assert result['changed'] is True and result['state_verified'] is False
    assert [connection['url'].rsplit('tmpToken=', 1)[1] for connection in connections] == [
        'tmp-ws-token-modules', WS_TOKEN]
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_WS_TOKEN, PATH_REALTIME, PATH_RECORD]


def dropped():
    return websocket.WebSocketConnectionClosedException('Connection to remote host was lost.')


def test_a_push_that_breaks_during_the_wait_is_opened_once_more(capsys, service):
    # the channel drops right after the write; a new one shows the change
    session, socket, connections = recording_service(service, [dropped()] + full(recording=1))
    result = run_module(meeting_record.main, dict(CONTROL, state='started', wait=True), capsys)
    assert result['changed'] is True and result['state_verified'] is True and result['recording'] is True
    # one push-token call for the one reopening, no realTimeInfo
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_RECORD, PATH_WS_TOKEN]
    assert len(connections) == 2
    assert connections[1]['closes_before'] == 1  # the broken channel closed before the next one opened
    assert result['warnings'] == ['The meeting-status push of meeting %s broke: the push server closed the channel '
                                  'while waiting for the change to show; the module opens it once more.' % CID]


def test_a_push_that_breaks_twice_is_not_opened_a_third_time(capsys, service):
    # dropped after the write, and again after the reopening's full messages
    session, socket, connections = recording_service(service, [dropped()] + full(recording=0) + [dropped()],
                                                     **{PATH_REALTIME: [VENDOR_REALTIME]})
    result = run_module(meeting_record.main, dict(CONTROL, state='started', wait=True), capsys)
    # realTimeInfo (the vendor's) does not report recording: said plainly,
    # after one read, instead of a channel per poll until wait_timeout
    assert result['changed'] is True and result['state_verified'] is False
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_RECORD, PATH_WS_TOKEN, PATH_REALTIME]
    assert len(connections) == 2
    assert result['warnings'][-1] == (
        'The change to recording of meeting %s was sent, but it cannot be confirmed: the meeting-status push is '
        'gone and realTimeInfo does not report the recording state (recState).' % CID)
    assert 'not opened a third time' in result['warnings'][-2]


def test_a_wait_on_realtime_info_polls_without_opening_the_push(capsys, service):
    # The push is open but does not report recording; realTimeInfo does (a
    # deployment with confInfo's state): the wait polls realTimeInfo alone.
    reporting = response(200, {'participants': [], 'confInfo': {'state': 'Created', 'recState': 0}})
    recorded = response(200, {'participants': [], 'confInfo': {'state': 'Created', 'recState': 1}})
    session, _socket, connections = service(
        {PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS], PATH_RECORD: [EMPTY],
         PATH_REALTIME: [reporting, reporting, recorded]},
        [subscribe_reply(), dynamic(state='Created'), participants(PEOPLE)])
    result = run_module(meeting_record.main, dict(CONTROL, state='started', wait=True), capsys)
    assert result['changed'] is True and result['state_verified'] is True
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, PATH_RECORD, PATH_REALTIME, PATH_REALTIME]
    assert len(connections) == 1


@pytest.mark.parametrize('record_answer', [EMPTY, response(400, {'error_code': 'MMC.111072050', 'error_msg': 'locked'})],
                         ids=['succeeds', 'fails'])
def test_a_task_closes_its_push_channel_and_its_http_session_however_it_ends(capsys, service, monkeypatch,
                                                                             record_answer):
    # In direct execution the worker process lives on after the task: an
    # open channel or session would be left behind with each task.
    closed = []

    def close(session):
        closed.append(session)
    monkeypatch.setattr(requests.Session, 'close', close)
    _session, socket, _connections = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_RECORD: [record_answer]},
                                             full(recording=0))
    result = run_module(meeting_record.main, dict(CONTROL, state='started'), capsys)
    assert bool(result.get('failed')) is (record_answer is not EMPTY)
    assert socket.closed and len(closed) == 1


def test_a_wait_polls_realtime_info_when_the_open_push_does_not_report_the_state(capsys, service):
    # The push is open, but realTimeInfo, not the push, reported recording:
    # the wait polls realTimeInfo instead of waiting on the push for a
    # message that never says it (which would time out).
    reporting = response(200, {'participants': [], 'confInfo': {'state': 'Created', 'recState': 0}})
    recorded = response(200, {'participants': [], 'confInfo': {'state': 'Created', 'recState': 1}})
    session, _socket, _connections = service(
        {PATH_CONTROL_TOKEN: [TOKEN], PATH_RECORD: [EMPTY], PATH_REALTIME: [reporting, recorded]},
        [subscribe_reply(), dynamic(state='Created'), participants(PEOPLE)])
    result = run_module(meeting_record.main, dict(CONTROL, state='started', wait=True, wait_timeout=2), capsys)
    assert result['changed'] is True and result['state_verified'] is True and not result.get('failed')
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, PATH_RECORD, PATH_REALTIME]
