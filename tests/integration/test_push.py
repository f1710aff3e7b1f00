# The meeting-status push through real ansible-playbook runs: the state the
# vendor publishes only in the push makes record and broadcast idempotent
# against the simulator's vendor-like answers (confInfo with chairID and
# coHosts only), wait waits on the push channel, and every way the push can
# fail leaves the task converging with words, never a failure or a token.
import http.client
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from .conftest import assert_no_secret, keep_output, run_task

KEYNOTE = '900000001'
CONTROL = dict(conference_id=KEYNOTE, host_password='it-host-pw-900001')
PUSH_PATH = '/cms/open/websocket/confctl/increment/conn'
WS_TOKEN_PATH = '/v1/mmc/control/conferences/wsToken'
REALTIME_PATH = '/v1/mmc/control/conferences/realTimeInfo'
PUSH_WARNING = 'The meeting-status push of meeting %s could not be read: ' % KEYNOTE


def paths(sim):
    return [call['path'] for call in sim.calls]


def warnings_of(run):
    return ' '.join(' '.join(line.split()) for line in run.out.splitlines() if line.strip())


def test_record_is_idempotent_on_the_vendors_answers(sim, tmp_path):
    sim.set_meeting(KEYNOTE, state='Created')
    assert set(sim.meeting(KEYNOTE)) and sim.configure()['confinfo_state'] is False
    _run, first = run_task(sim, tmp_path, 'meeting_record', dict(CONTROL, state='started'))
    _run, second = run_task(sim, tmp_path, 'meeting_record', dict(CONTROL, state='started'))
    assert first['changed'] is True and first['state_verified'] is True
    assert second['changed'] is False and second['state_verified'] is True and second['recording'] is True
    assert REALTIME_PATH not in paths(sim)
    assert sim.meeting(KEYNOTE)['recording'] is True


def test_wait_waits_on_the_push_channel(sim, tmp_path):
    sim.set_meeting(KEYNOTE, state='Created')
    sim.configure(state_change_delay=1.0)
    _run, result = run_task(sim, tmp_path, 'meeting_record', dict(CONTROL, state='started', wait=True))
    assert result['changed'] is True and result['state_verified'] is True and not result.get('failed'), result
    assert REALTIME_PATH not in paths(sim)  # no polling while the push answers
    assert [path for path in paths(sim) if path == PUSH_PATH] == [PUSH_PATH]
    incremental = [frame for frame in sim.frames if frame.get('action') == 'ConfDynamicInfoNotify'
                   and frame.get('msgMode') == 1 and frame['direction'] == 'out']
    record_call = [call for call in sim.calls if call['path'].endswith('/record')][0]
    assert incremental and incremental[0]['time'] >= record_call['time'] + 1.0  # the change came after the delay
    closes = [frame for frame in sim.frames if frame.get('action') == 'close']
    assert closes and closes[0]['direction'] == 'in'  # the module closed the channel itself


def test_broadcast_is_idempotent_and_reads_no_realtime_info(sim, tmp_path):
    sim.set_meeting(KEYNOTE, state='Created')
    _run, first = run_task(sim, tmp_path, 'meeting_broadcast', dict(CONTROL, participant='Keynote Speaker'))
    _run, second = run_task(sim, tmp_path, 'meeting_broadcast', dict(CONTROL, participant='Keynote Speaker'))
    assert first['changed'] is True and second['changed'] is False and second['state_verified'] is True
    assert second['broadcast_participant']['name'] == 'Keynote Speaker'
    assert REALTIME_PATH not in paths(sim)


def test_live_cannot_verify_on_the_vendors_answers(sim, tmp_path):
    sim.set_meeting(KEYNOTE, state='Created')
    run, second = None, None
    for _attempt in range(2):
        run, second = run_task(sim, tmp_path, 'meeting_live', dict(CONTROL, state='started'))
    assert second['changed'] is True and second['state_verified'] is False
    assert 'The vendor publishes no live streaming state' in warnings_of(run)
    assert PUSH_PATH not in paths(sim)


def test_info_says_where_each_part_came_from(sim, tmp_path):
    sim.set_meeting(KEYNOTE, state='Created', recording=True)
    _run, result = run_task(sim, tmp_path, 'meeting_info', CONTROL)
    assert result['meeting']['recording'] is True and result['meeting']['in_progress'] is True
    assert result['meeting']['live'] is None and result['meeting']['chair_id']
    assert result['state_sources'] == {'in_progress': 'push', 'recording': 'push', 'live': None, 'mode': 'push',
                                       'broadcast_participant': 'push', 'participants': 'push'}


def test_info_is_the_same_however_the_push_spells_its_answers(sim, tmp_path):
    """The answer to the Subscribe as an object, a JSON string, with the
    vendor's "returnDesc " or not at all, and ParticipantsNotify's data as a
    list or a JSON string: the same meeting, read from the push alone."""
    sim.set_meeting(KEYNOTE, state='Created', recording=True, mode='BROADCAST', broadcast_pid='pid-speaker')
    answers = {}
    for reply in ('object', 'string', 'space', 'none'):
        for data in ('list', 'string'):
            sim.configure(push_subscribe_reply=reply, push_participants_data=data)
            sim.clear_calls()
            run, result = run_task(sim, tmp_path, 'meeting_info', dict(CONTROL, timeout=5))
            assert not result.get('failed'), result
            sent = [frame for frame in sim.frames if frame['direction'] == 'out']  # the settings took effect
            assert [frame['reply'] for frame in sent if frame['action'] == 'Subscribe'] == \
                ([] if reply == 'none' else [reply])
            assert set(frame['dataType'] for frame in sent if frame['action'] == 'ParticipantsNotify') == set([data])
            answers[(reply, data)] = {
                'meeting': result['meeting'], 'state_verified': result['state_verified'],
                'state_sources': result['state_sources'], 'push warning': PUSH_WARNING in warnings_of(run)}
    expected = answers[('object', 'list')]
    meeting = expected['meeting']
    assert expected['state_verified'] is True and expected['push warning'] is False
    assert expected['state_sources'] == {'in_progress': 'push', 'recording': 'push', 'live': None, 'mode': 'push',
                                         'broadcast_participant': 'push', 'participants': 'push'}
    assert meeting['recording'] is True and meeting['mode'] == 'BROADCAST' and meeting['participant_count'] == 4
    assert meeting['broadcast_participant'] == {'pid': 'pid-speaker', 'name': 'Keynote Speaker',
                                                'phone': '+99100000002'}
    different = {}
    for (reply, data), answer in sorted(answers.items()):
        unlike = dict((key, value) for key, value in answer.items() if key != 'meeting' and value != expected[key])
        unlike.update((key, value) for key, value in answer['meeting'].items() if value != meeting[key])
        if unlike:
            different['%s/%s' % (reply, data)] = unlike
    assert not different, 'answers unlike those of object/list: %s' % different


def fault_cases():
    # name: (the faults, the words of the warning). The first connection
    # opens with the control token's tmpWsToken and, when the push server
    # turns it away, once more with a wsToken: a refusal refuses both.
    blocked = dict(path=PUSH_PATH, status=403, body='<html><title>Blocked by policy</title></html>')
    return {
        'upgrade refused': ([dict(blocked, count=2)], 'refused the connection: HTTP 403'),
        'channel closed': ([dict(path=PUSH_PATH, push='close')], 'closed the channel'),
        'no full message': ([dict(path=PUSH_PATH, push='no_full')], 'no meeting state came on the push within'),
        'connection dropped': ([dict(path=PUSH_PATH, drop=True)], 'push server'),
        'push token refused': ([blocked, dict(path=WS_TOKEN_PATH, status=404, error_code='SIM.NOT_FOUND')],
                               'the service gave no push token'),
    }


@pytest.mark.parametrize('case', sorted(fault_cases()))
def test_a_push_that_fails_is_said_and_the_task_converges(sim, tmp_path, case):
    faults, words = fault_cases()[case]
    sim.set_meeting(KEYNOTE, state='Created')
    for fault in faults:
        sim.inject_fault(**fault)
    run, result = run_task(sim, tmp_path, 'meeting_record', dict(CONTROL, state='started'), '-vvv')
    keep_output('push', case.replace(' ', '_'), run.out)  # docs/realtime_state.md quotes the warnings (tests/docs)
    assert not result.get('failed'), result
    assert result['changed'] is True and result['state_verified'] is False
    text = warnings_of(run)
    assert PUSH_WARNING in text and words in text, text[-3000:]
    assert 'Neither the meeting-status push nor realTimeInfo reported the recording state' in text
    assert 'Traceback' not in run.out
    assert sim.meeting(KEYNOTE)['recording'] is True  # the call was sent
    assert_no_secret(run, sim)


def test_a_push_that_fails_falls_back_to_a_confinfo_that_reports(sim, tmp_path):
    sim.set_meeting(KEYNOTE, state='Created', recording=True)
    sim.configure(confinfo_state=True)
    sim.inject_fault(path=PUSH_PATH, status=403, count=2)  # the tmpWsToken's connection and the wsToken's
    run, result = run_task(sim, tmp_path, 'meeting_record', dict(CONTROL, state='started'))
    assert result['changed'] is False and result['state_verified'] is True
    assert PUSH_WARNING in warnings_of(run)
    assert REALTIME_PATH in paths(sim)


def test_a_delayed_push_is_given_up_within_the_timeout(sim, tmp_path):
    sim.set_meeting(KEYNOTE, state='Created')
    sim.inject_fault(path=PUSH_PATH, delay=4)
    run, result = run_task(sim, tmp_path, 'meeting_record', dict(CONTROL, state='started', timeout=1))
    keep_output('push', 'delayed', run.out)  # docs/realtime_state.md quotes the warning (tests/docs)
    assert result['changed'] is True and result['state_verified'] is False
    assert 'did not reply to the subscription within 1.0 seconds' in warnings_of(run)


def test_a_garbage_frame_is_passed_over(sim, tmp_path):
    sim.set_meeting(KEYNOTE, state='Created', recording=True)
    sim.inject_fault(path=PUSH_PATH, push='garbage')
    run, result = run_task(sim, tmp_path, 'meeting_record', dict(CONTROL, state='started'))
    assert result['changed'] is False and result['state_verified'] is True
    assert PUSH_WARNING not in warnings_of(run)


def test_an_expired_push_token_closes_the_channel_on_authentication(sim, tmp_path):
    sim.set_meeting(KEYNOTE, state='Created')
    sim.configure(ws_token_ttl=0.001)  # expired before the connection presents it
    run, result = run_task(sim, tmp_path, 'meeting_record', dict(CONTROL, state='started'))
    assert result['changed'] is True and result['state_verified'] is False
    assert PUSH_WARNING in warnings_of(run) and 'closed the channel' in warnings_of(run)
    assert_no_secret(run, sim)


def test_state_source_realtime_makes_no_push_connection(sim, tmp_path):
    sim.set_meeting(KEYNOTE, state='Created')
    run, result = run_task(sim, tmp_path, 'meeting_record', dict(CONTROL, state='started', state_source='realtime'))
    assert result['state_verified'] is False
    assert PUSH_PATH not in paths(sim) and WS_TOKEN_PATH not in paths(sim)
    assert PUSH_WARNING not in warnings_of(run)


class _BlockingProxy(BaseHTTPRequestHandler):
    """An HTTP proxy that forwards plain HTTP requests and refuses to
    tunnel (CONNECT), as a proxy that blocks WebSocket does."""

    protocol_version = 'HTTP/1.1'

    def log_message(self, format, *args):  # noqa: A002
        pass

    def do_CONNECT(self):
        self.server.refused.append(self.path)
        body = b'<html><title>Tunnel blocked by policy</title></html>'
        self.send_response(403, 'Forbidden')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _forward(self):
        target = urlsplit(self.path)
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else None
        headers = dict((name, value) for name, value in self.headers.items()
                       if name.lower() not in ('proxy-connection', 'connection', 'keep-alive'))
        upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        upstream.request(self.command, target.path + ('?' + target.query if target.query else ''), body, headers)
        answer = upstream.getresponse()
        data = answer.read()
        self.send_response(answer.status, answer.reason)
        for name, value in answer.getheaders():
            if name.lower() not in ('transfer-encoding', 'connection', 'content-length'):
                self.send_header(name, value)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        upstream.close()

    do_GET = do_PUT = do_POST = _forward


@pytest.fixture
def blocking_proxy():
    server = ThreadingHTTPServer(('127.0.0.1', 0), _BlockingProxy)
    server.refused = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_proxy_that_blocks_websocket(sim, tmp_path, blocking_proxy):
    sim.set_meeting(KEYNOTE, state='Created')
    proxy = 'http://127.0.0.1:%d' % blocking_proxy.server_address[1]
    # no_proxy names another host, so loopback is not exempt from the proxy
    env = {'http_proxy': proxy, 'HTTP_PROXY': proxy, 'no_proxy': 'example.invalid', 'NO_PROXY': 'example.invalid'}
    run, result = run_task(sim, tmp_path, 'meeting_record', dict(CONTROL, state='started'), env=env)
    keep_output('push', 'proxy', run.out)  # docs/realtime_state.md quotes the warning (tests/docs)
    assert not result.get('failed'), result
    assert result['changed'] is True and result['state_verified'] is False
    assert blocking_proxy.refused, 'the push did not go through the proxy'
    assert 'the proxy refused the connection to the push server' in warnings_of(run)
    assert sim.meeting(KEYNOTE)['recording'] is True  # the REST calls went through the proxy
    assert_no_secret(run, sim)


def test_no_token_in_the_simulators_logs_or_the_output(sim, tmp_path):
    sim.set_meeting(KEYNOTE, state='Created')
    run, _result = run_task(sim, tmp_path, 'meeting_info', CONTROL, '-vvvv')
    assert_no_secret(run, sim)
    logged = json.dumps(sim.calls) + json.dumps(sim.frames)
    assert not [token for token in sim.issued_tokens() if token in logged]
