# Unit tests of the meeting-status push reader: the WebSocket is replaced by
# a script (FakeWebSocket), the HTTP session too; no network.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import json
import socket as socket_module
import ssl
import struct

import pytest
import websocket

from ansible_collections.hwcloud.meeting.plugins.module_utils import push
from ansible_collections.hwcloud.meeting.plugins.module_utils.auth import PATH_CONTROL_TOKEN, PATH_WS_TOKEN
from ansible_collections.hwcloud.meeting.plugins.module_utils.client import MeetingClient
from ansible_collections.hwcloud.meeting.plugins.module_utils.control import open_channel
from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import MeetingError
from ansible_collections.hwcloud.meeting.plugins.module_utils.push import PushError
from ansible_collections.hwcloud.meeting.plugins.module_utils.ratelimit import pacer_for
from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import read_push

from .fakes import FakeWebSocket, dynamic, participants, person, response, subscribe_reply

CID = '914044873'
CONTROL_TOKEN = 'ctl-token-push-1'
WS_TOKEN = 'ws-token-secret-1'
TOKEN = response(200, {'data': {'token': CONTROL_TOKEN, 'confTokenExpireTime': 1800,
                                'wsURL': 'wss://push.example.test:443', 'tmpWsToken': 'tmp-ws-1'}})
# A control token as a cached one is used: without the tmpWsToken of its answer.
TOKEN_NO_TMP = response(200, {'data': {'token': CONTROL_TOKEN, 'confTokenExpireTime': 1800,
                                       'wsURL': 'wss://push.example.test:443'}})
WS = response(200, {'webSocketToken': WS_TOKEN})
FULL = [subscribe_reply(), dynamic(state='Created', recState=1, mode='FREE'),
        participants([person('p1', 'Ada', tel='+991'), person('p2', 'Bob', broadcast='1')])]


@pytest.fixture
def scripted(push_service):
    """scripted(http={path: [answers]}, frames=[...]) -> (session, socket, connections)."""
    def install(http=None, frames=(), connect_error=None):
        return push_service(http or {PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS]}, frames, connect_error)
    return install


def client(**options):
    secrets = []
    options.setdefault('host_password', 'host-pw-push')
    return MeetingClient(pacer_for(options.get('cache')), api_url='https://api.example.test', conference_id=CID,
                         timeout=5, retries=0, register_secret=secrets.append, **options), secrets


def test_open_subscribes_as_the_vendor_documents(scripted):
    session, socket, connections = scripted(http={PATH_CONTROL_TOKEN: [TOKEN_NO_TMP], PATH_WS_TOKEN: [WS]},
                                            frames=FULL)
    meeting_client, secrets = client()
    channel = open_channel(meeting_client, 5, register_secret=secrets.append)
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_WS_TOKEN]
    assert session.requests[1]['headers']['X-Conference-Authorization'] == CONTROL_TOKEN
    assert connections[0]['url'] == ('wss://push.example.test:443/cms/open/websocket/confctl/increment/conn'
                                     '?confID=%s&tmpToken=%s' % (CID, WS_TOKEN))
    assert connections[0]['timeout'] == 5
    subscribe = socket.sent[0]
    assert subscribe['action'] == 'Subscribe' and len(subscribe['sequence']) == 30 and subscribe['sequence'].isdigit()
    data = json.loads(subscribe['data'])  # a JSON string, not an object
    assert data == {'conferenceID': CID, 'subscribeType': ['ConfDynamicInfoNotify', 'ParticipantsNotify'],
                    'confToken': 'Basic %s' % base64.b64encode(CONTROL_TOKEN.encode()).decode()}
    assert channel.dynamic == {'state': 'Created', 'recState': 1, 'mode': 'FREE'}
    assert sorted(channel.participants) == ['p1', 'p2']
    assert WS_TOKEN in secrets and data['confToken'] in secrets
    channel.close()
    assert socket.closed


def test_the_vendors_spelling_with_a_space_is_accepted(scripted):
    frames = [subscribe_reply(key='returnDesc ')] + FULL[1:]
    scripted(frames=frames)
    channel = open_channel(client()[0], 5)
    assert channel.dynamic['recState'] == 1


def test_state_from_the_full_messages(scripted):
    scripted(frames=FULL)
    channel = open_channel(client()[0], 5)
    meeting, unreported = read_push(CID, channel.dynamic, channel.participants)
    assert unreported == set(['liveState'])
    assert meeting['in_progress'] is True and meeting['recording'] is True and meeting['mode'] == 'FREE'
    assert meeting['broadcast_participant'] == {'pid': 'p2', 'name': 'Bob', 'phone': ''}
    assert meeting['participants'][0] == {'pid': 'p1', 'name': 'Ada', 'phone': '+991', 'state': 0, 'video': True,
                                          'muted': False, 'hand_raised': False}
    assert meeting['participant_count'] == 2 and meeting['live'] is None


def test_increments_change_only_what_they_carry(scripted):
    scripted(frames=FULL + [dynamic(msg_mode=1, recState=0),
                            participants([{'pid': 'p2', 'mode': 0, 'pinfoMap': {'BROADCAST': '0'}},
                                          {'pid': 'p1', 'mode': 1}], mode=1)])
    channel = open_channel(client()[0], 5)
    assert channel.wait(lambda: channel.dynamic.get('recState') == 0 and 'p1' not in channel.participants,
                        push.time.monotonic() + 5)
    meeting, _unreported = read_push(CID, channel.dynamic, channel.participants)
    assert meeting['recording'] is False and meeting['mode'] == 'FREE' and meeting['in_progress'] is True
    assert meeting['broadcast_participant'] is None
    assert [person_['name'] for person_ in meeting['participants']] == ['Bob']


def test_a_full_message_replaces_what_came_before_and_an_increment_before_any_is_kept(scripted):
    # A second full ConfDynamicInfoNotify is the whole state again: a field
    # it leaves out is no longer known (the broadcast mode of the first). An
    # increment that comes before any full message starts the state.
    scripted(frames=[subscribe_reply(), dynamic(msg_mode=1, recState=1), dynamic(state='Created', mode='BROADCAST'),
                     participants([person('p1', 'Ada')]), dynamic(state='Created', recState=0)])
    channel = open_channel(client()[0], 5)
    assert channel.wait(lambda: channel.dynamic.get('recState') == 0, push.time.monotonic() + 5)
    assert channel.dynamic == {'state': 'Created', 'recState': 0}


def test_a_frame_that_is_not_json_is_passed_over(scripted):
    scripted(frames=[subscribe_reply(), 'not json {', FULL[1], FULL[2]])
    channel = open_channel(client()[0], 5)
    assert channel.malformed == 1 and channel.dynamic['recState'] == 1


def test_only_one_full_message_leaves_the_other_part_unknown(scripted):
    scripted(frames=FULL[:2])
    channel = open_channel(client()[0], 5)
    meeting, unreported = read_push(CID, channel.dynamic, channel.participants)
    assert meeting['recording'] is True
    assert set(['participants', 'broadcastPid']) <= unreported


def test_no_full_message_is_a_push_failure(scripted):
    scripted(frames=[subscribe_reply()])
    with pytest.raises(PushError, match='no meeting state came on the push within 0.05 seconds'):
        open_channel(client()[0], 5)


def test_a_refused_subscription(scripted):
    scripted(frames=[{'action': 'Subscribe', 'sequence': '1', 'data': {'returnCode': 401, 'returnDesc': 'AUTH'}}])
    with pytest.raises(PushError, match=r'refused the subscription \(returnCode 401, AUTH\)'):
        open_channel(client()[0], 5)


def test_a_channel_closed_on_authentication(scripted):
    scripted(http={PATH_CONTROL_TOKEN: [TOKEN_NO_TMP], PATH_WS_TOKEN: [WS]}, frames=[''])  # websocket-client's recv() gives '' for a close frame
    with pytest.raises(PushError, match='closed the channel while waiting for the reply to the subscription'):
        open_channel(client()[0], 5)


def test_a_refused_upgrade_says_so_without_the_token(scripted):
    error = websocket.WebSocketBadStatusException(
        'Handshake status 403 Forbidden tmpToken=%s' % WS_TOKEN, 403, 'Forbidden', {},
        b'<html><title>Blocked by proxy</title></html> tmpToken=' + WS_TOKEN.encode())
    scripted(frames=FULL, connect_error=error)
    with pytest.raises(PushError) as raised:
        open_channel(client()[0], 5)
    text = str(raised.value)
    # an HTML page by its title, as the HTTP calls say one
    assert text == ('the push server wss://push.example.test:443 refused the connection: HTTP 403 Forbidden, an '
                    'HTML page, probably from a proxy or gateway in between (Blocked by proxy)')
    assert WS_TOKEN not in text


def test_a_refused_upgrade_with_a_text_body_masks_the_token(scripted):
    error = websocket.WebSocketBadStatusException('Handshake status 401', 401, 'Unauthorized', {},
                                                  b'bad tmpToken=' + WS_TOKEN.encode())
    scripted(http={PATH_CONTROL_TOKEN: [TOKEN_NO_TMP], PATH_WS_TOKEN: [WS]}, frames=FULL, connect_error=error)
    with pytest.raises(PushError) as raised:
        open_channel(client()[0], 5)
    text = str(raised.value)
    assert text.startswith('the push server wss://push.example.test:443 refused the connection: HTTP 401 '
                           'Unauthorized, a body that is not the service\'s JSON (bad tmpToken=')
    assert WS_TOKEN not in text and '********' in text


@pytest.mark.parametrize('error, words', [
    (ssl.SSLCertVerificationError('certificate verify failed'), 'could not be verified'),
    (ConnectionRefusedError(111, 'Connection refused'), 'could not connect to the push server'),
    (websocket.WebSocketTimeoutException('timed out'), 'did not answer within 5 seconds'),
    (websocket.WebSocketProxyException('failed CONNECT via proxy status: 403'), 'the proxy refused'),
])
def test_connection_failures_in_words(scripted, error, words):
    scripted(frames=FULL, connect_error=error)
    with pytest.raises(PushError, match=words):
        open_channel(client()[0], 5)


def test_no_ws_url_without_a_fetched_control_token(scripted):
    session, _socket, connections = scripted(frames=FULL)
    meeting_client, _secrets = client(host_password=None, conference_token='given-token', cache=None)
    with pytest.raises(PushError, match=r"without the push server's address \(wsURL\)"):
        open_channel(meeting_client, 5)
    assert session.requests == [] and connections == []


def test_ws_token_refused_is_a_push_failure(scripted):
    refused = response(404, {'error_code': 'SIM.NOT_FOUND', 'error_msg': 'no such API'})
    scripted(http={PATH_CONTROL_TOKEN: [TOKEN_NO_TMP], PATH_WS_TOKEN: [refused]}, frames=FULL)
    with pytest.raises(PushError, match='the service gave no push token'):
        open_channel(client()[0], 5)


def test_a_meeting_not_in_progress_is_not_a_push_failure(scripted):
    not_running = response(400, {'error_code': 'MMC.111070005', 'error_msg': 'CONF_NOT_EXIST'})
    scripted(http={PATH_CONTROL_TOKEN: [TOKEN_NO_TMP], PATH_WS_TOKEN: [not_running]}, frames=FULL)
    with pytest.raises(MeetingError) as raised:
        open_channel(client()[0], 5)
    assert raised.value.error_code == 'MMC.111070005'


def test_wait_sends_heartbeats_and_gives_up_at_the_deadline(scripted, monkeypatch):
    _session, socket, _connections = scripted(frames=FULL)
    channel = open_channel(client()[0], 5)
    monkeypatch.setattr(push, 'HEARTBEAT_INTERVAL', 0)
    assert channel.wait(lambda: False, push.time.monotonic() + 0.05) is False
    heartbeats = [message for message in socket.sent if message['action'] == 'HeartBeat']
    assert heartbeats and all(len(message['sequence']) == 30 for message in heartbeats)


def test_a_close_while_waiting_is_a_push_failure(scripted):
    scripted(frames=FULL + [dynamic(msg_mode=1, state='Destroyed'), ''])
    channel = open_channel(client()[0], 5)
    with pytest.raises(PushError, match='the meeting has ended'):
        channel.wait(lambda: False, push.time.monotonic() + 5)


@pytest.mark.parametrize('options, environment, expected', [
    (dict(validate_certs=False), {}, {'cert_reqs': ssl.CERT_NONE, 'check_hostname': False}),
    (dict(ca_path='/etc/our-ca.pem'), {'REQUESTS_CA_BUNDLE': '/env/ca.pem'},
     {'cert_reqs': ssl.CERT_REQUIRED, 'ca_certs': '/etc/our-ca.pem'}),
    (dict(), {'REQUESTS_CA_BUNDLE': '/env/ca.pem'}, {'cert_reqs': ssl.CERT_REQUIRED, 'ca_certs': '/env/ca.pem'}),
    (dict(), {}, {'cert_reqs': ssl.CERT_REQUIRED}),
], ids=['validate_certs false', 'ca_path', 'REQUESTS_CA_BUNDLE', 'default'])
def test_tls_options_as_the_http_calls(scripted, monkeypatch, options, environment, expected):
    monkeypatch.delenv('REQUESTS_CA_BUNDLE', raising=False)
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    _session, _socket, connections = scripted(frames=FULL)
    open_channel(client(**options)[0], 5)
    assert connections[0]['sslopt'] == expected


def test_the_control_tokens_tmp_ws_token_opens_the_first_channel_without_a_ws_token_call(scripted):
    session, _socket, connections = scripted(frames=FULL)
    meeting_client, secrets = client()
    channel = open_channel(meeting_client, 5, register_secret=secrets.append)
    assert session.paths() == [PATH_CONTROL_TOKEN]
    assert connections[0]['url'].endswith('?confID=%s&tmpToken=tmp-ws-1' % CID)
    assert 'tmp-ws-1' in secrets and channel.dynamic['recState'] == 1
    channel.close()
    # it opens one connection: the next channel of the same client asks for a push token
    scripted(frames=FULL)
    open_channel(meeting_client, 5).close()
    assert meeting_client.credentials.take_temporary_ws_token() is None


def test_a_tmp_ws_token_turned_away_is_replaced_by_a_ws_token_once(push_service, monkeypatch):
    session, _socket, connections = push_service({PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS]})
    sockets = [FakeWebSocket(['']), FakeWebSocket(FULL)]  # the first closes at once: authentication failed

    def connect(url, **options):
        connections.append(dict(options, url=url))
        return sockets.pop(0)
    monkeypatch.setattr(push.websocket, 'create_connection', connect)
    channel = open_channel(client()[0], 5)
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_WS_TOKEN]
    assert [entry['url'].rsplit('=', 1)[1] for entry in connections] == ['tmp-ws-1', WS_TOKEN]
    assert channel.dynamic['recState'] == 1


def test_a_tmp_ws_token_that_opened_the_channel_is_not_replaced_when_the_push_stays_silent(scripted):
    session, _socket, connections = scripted(frames=[subscribe_reply()])
    with pytest.raises(PushError, match='no meeting state came'):
        open_channel(client()[0], 5)
    assert session.paths() == [PATH_CONTROL_TOKEN] and len(connections) == 1


def _server_frames(*messages):
    """What a server writes: unmasked text frames of ``messages``, and a
    close frame for the string 'close'."""
    frames = b''
    for message in messages:
        if message == 'close':
            frame = websocket.ABNF(1, 0, 0, 0, websocket.ABNF.OPCODE_CLOSE, 0, struct.pack('!H', 1001))
        else:
            frame = websocket.ABNF(1, 0, 0, 0, websocket.ABNF.OPCODE_TEXT, 0, json.dumps(message))
        frames += frame.format()
    return frames


def test_a_channel_the_server_closed_closes_its_socket(push_service, monkeypatch):
    """websocket-client's own WebSocket over a socket pair: after the
    server's close frame it is no longer ``connected``, and its close()
    would leave the socket open for the garbage collector to find."""
    push_service({PATH_CONTROL_TOKEN: [TOKEN], PATH_WS_TOKEN: [WS]})
    ours, theirs = socket_module.socketpair()
    theirs.sendall(_server_frames(*(FULL + ['close'])))
    connection = websocket.WebSocket(enable_multithread=False)
    connection.sock, connection.connected = ours, True
    monkeypatch.setattr(push.websocket, 'create_connection', lambda url, **options: connection)
    channel = open_channel(client()[0], 5)
    with pytest.raises(PushError, match='closed the channel'):
        channel.wait(lambda: False, push.time.monotonic() + 5)
    assert connection.connected is False and ours.fileno() != -1  # as websocket-client leaves it
    channel.close()
    theirs.close()
    assert ours.fileno() == -1


# --- as tolerant as the vendor's own clients ------------------------------------------

def _people(channel):
    meeting, unreported = read_push(CID, channel.dynamic, channel.participants)
    return meeting, unreported


def test_an_answer_whose_data_is_a_json_string_is_read(scripted):
    scripted(frames=[subscribe_reply(as_string=True)] + FULL[1:])
    channel = open_channel(client()[0], 5)
    assert channel.answered is True and channel.malformed == 0
    assert channel.dynamic['recState'] == 1 and sorted(channel.participants) == ['p1', 'p2']


def test_the_full_messages_count_without_an_answer(scripted):
    scripted(frames=FULL[1:])  # no answer to the Subscribe at all, as real clients never wait for one
    channel = open_channel(client()[0], 5)
    assert channel.answered is False
    meeting, unreported = _people(channel)
    assert unreported == set(['liveState'])
    assert meeting['recording'] is True and [person_['pid'] for person_ in meeting['participants']] == ['p1', 'p2']
    assert meeting['broadcast_participant']['pid'] == 'p2'


def test_without_an_answer_one_full_message_is_waited_for_as_with_one(scripted):
    scripted(frames=FULL[1:2])  # no answer, the dynamic state only: the participants stay unknown
    channel = open_channel(client()[0], 5)
    meeting, unreported = _people(channel)
    assert meeting['recording'] is True and set(['participants', 'broadcastPid']) <= unreported


def test_nothing_at_all_after_the_subscribe_is_given_up_at_the_timeout(scripted):
    scripted(frames=[])
    with pytest.raises(PushError, match='did not reply to the subscription within 0.2 seconds'):
        open_channel(client()[0], 0.2)


def test_an_answer_that_cannot_be_read_is_passed_over(scripted):
    scripted(frames=[{'action': 'Subscribe', 'sequence': '1', 'data': 'not json {'}] + FULL[1:])
    channel = open_channel(client()[0], 5)
    assert channel.malformed == 1 and channel.answered is False and channel.dynamic['recState'] == 1


@pytest.mark.parametrize('reply', [
    subscribe_reply(code=1, describe='AUTHENTICATION_FAILED', as_string=True),
    subscribe_reply(code='1', key='returnDesc ', describe='AUTHENTICATION_FAILED'),
    subscribe_reply(code=1, key='returnDesc ', describe='AUTHENTICATION_FAILED', as_string=True),
], ids=['string', 'space', 'string with space'])
def test_a_refusal_is_a_refusal_however_it_is_spelled(scripted, reply):
    scripted(frames=[reply] + FULL[1:])
    with pytest.raises(PushError, match=r'refused the subscription \(returnCode 1, AUTHENTICATION_FAILED\)'):
        open_channel(client()[0], 5)


def test_a_refusal_after_the_full_messages_fails_the_channel(scripted):
    scripted(frames=FULL[1:] + [subscribe_reply(code=1, describe='AUTHENTICATION_FAILED')])
    channel = open_channel(client()[0], 5)
    with pytest.raises(PushError, match=r'refused the subscription \(returnCode 1, AUTHENTICATION_FAILED\)'):
        channel.wait(lambda: False, push.time.monotonic() + 5)


def test_participants_whose_data_is_a_json_string_are_read(scripted):
    full = participants([person('p1', 'Ada', tel='+991'), person('p2', 'Bob', broadcast='1')], as_string=True)
    change = participants([{'pid': 'p2', 'mode': 0, 'pinfoMap': {'BROADCAST': '0'}}, {'pid': 'p1', 'mode': 1},
                           person('p3', 'Cy')], mode=1, as_string=True)
    scripted(frames=[subscribe_reply(), FULL[1], full, change])
    channel = open_channel(client()[0], 5)
    meeting, unreported = _people(channel)
    assert unreported == set(['liveState'])
    assert [person_['name'] for person_ in meeting['participants']] == ['Ada', 'Bob']
    assert meeting['broadcast_participant'] == {'pid': 'p2', 'name': 'Bob', 'phone': ''}
    assert channel.wait(lambda: 'p3' in channel.participants, push.time.monotonic() + 5)
    meeting, _unreported = _people(channel)
    assert [person_['name'] for person_ in meeting['participants']] == ['Bob', 'Cy']
    assert meeting['broadcast_participant'] is None and channel.malformed == 0


UNREADABLE = {
    'not json': 'not json [',
    'a json object': json.dumps({'pid': 'p1'}),
    'an object': {'pid': 'p1', 'pinfoMap': {}},
    'absent': None,
    'a number': 7,
}


@pytest.mark.parametrize('data', sorted(UNREADABLE))
def test_participants_that_cannot_be_read_are_unknown_not_nobody(scripted, data):
    unreadable = participants([])
    unreadable['data'] = UNREADABLE[data]
    if UNREADABLE[data] is None:
        del unreadable['data']
    scripted(frames=[subscribe_reply(), FULL[1], unreadable])
    channel = open_channel(client()[0], 5)
    assert channel.participants is None and channel.malformed == 1
    meeting, unreported = _people(channel)
    assert set(['participants', 'broadcastPid']) <= unreported  # the caller says unknown
    assert meeting['recording'] is True


def test_an_empty_list_is_nobody(scripted):
    scripted(frames=[subscribe_reply(), FULL[1], participants([], as_string=True)])
    channel = open_channel(client()[0], 5)
    meeting, unreported = _people(channel)
    assert channel.participants == {} and 'participants' not in unreported and meeting['participants'] == []


def test_an_increment_that_cannot_be_read_leaves_the_participants_unknown_until_the_next_full_list(scripted):
    unreadable = participants([], mode=1)
    unreadable['data'] = 'not json ['
    scripted(frames=FULL + [unreadable, dynamic(msg_mode=1, recState=0), participants([person('p3', 'Cy')], mode=1),
                            participants([person('p1', 'Ada')])])
    channel = open_channel(client()[0], 5)
    assert channel.wait(lambda: channel.dynamic.get('recState') == 0, push.time.monotonic() + 5)
    # it may have said that someone left: who is in is not known any more
    assert channel.participants is None and channel.malformed == 1
    meeting, unreported = read_push(CID, channel.dynamic, channel.participants)
    assert 'participants' in unreported and 'broadcastPid' in unreported and meeting['broadcast_participant'] is None
    # an increment does not make a list of it; the next full list does
    assert channel.wait(lambda: channel.participants is not None, push.time.monotonic() + 5)
    assert sorted(channel.participants) == ['p1']


@pytest.mark.parametrize('server', ['https://push.example.test', 'wss://', 'push.example.test:443', '', None])
def test_a_ws_url_that_is_not_a_websocket_address_is_refused_before_any_connection(server):
    with pytest.raises(PushError, match=r"is not a ws:// or wss:// URL"):
        push.PushChannel(CID, server, 5)


@pytest.mark.parametrize('server, base', [('wss://push.example.test:443', 'wss://push.example.test:443'),
                                          ('ws://127.0.0.1:8080/any/path?x=1', 'ws://127.0.0.1:8080')])
def test_a_ws_url_is_taken_as_its_scheme_and_host(server, base):
    assert push.PushChannel(CID, server, 5).server == base


@pytest.mark.parametrize('given', [None, 7.5])
def test_the_heartbeat_interval_asked_for_is_the_channels(scripted, given):
    scripted(frames=FULL)
    channel = open_channel(client()[0], 5, heartbeat_interval=given)
    assert channel.heartbeat_interval == given  # None: push.HEARTBEAT_INTERVAL, the vendor's
    channel.close()


class Ticking(object):
    """time for push.py: each look at the clock is a second later."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        self.now += 1.0
        return self.now

    time = monotonic


@pytest.mark.parametrize('timeout, said', [(30, '5.0'), (3, '3')])
def test_the_state_is_waited_for_5_seconds_or_the_timeout_if_shorter(scripted, monkeypatch, timeout, said):
    # docs/realtime_state.md: "no state within 5 seconds (or timeout if shorter) of the first message"
    monkeypatch.undo()  # the module's own FULL_MESSAGES_WAIT, not the fixture's short one
    scripted(frames=[subscribe_reply()])
    monkeypatch.setattr(push, 'time', Ticking())
    with pytest.raises(PushError) as caught:
        open_channel(client()[0], timeout)
    assert 'no meeting state came on the push within %s seconds of subscribing' % said in str(caught.value)
