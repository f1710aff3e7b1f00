# The HTTP client and the gateway's rate limit: every call goes through the
# pacer (module_utils/ratelimit.py), a 429 of the gateway waits for its
# window, the bound fails in one sentence, and an answer's headers teach the
# pacer. No network, no real sleeping: the pacer runs on a fake clock.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.hwcloud.meeting.plugins.module_utils import ratelimit
from ansible_collections.hwcloud.meeting.plugins.module_utils.auth import PATH_CONTROL_TOKEN, PATH_WS_TOKEN
from ansible_collections.hwcloud.meeting.plugins.module_utils.client import PATH_REALTIME, MeetingClient, build_retry
from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import MeetingError

from .fakes import FakeClock, ScriptedSession, response

MEETING = '914044873'
REALTIME_API = 'GET %s' % PATH_REALTIME


def limit_headers(remain, limit=2, time_text='1 minute'):
    return {'X-APIG-Ratelimit-Api': 'remain:%d,limit:%d,time:%s' % (remain, limit, time_text),
            'X-APIG-Ratelimit-Api-Allenv': 'remain:199,limit:200,time:1 second'}


THROTTLED = {'error_code': 'APIG.0308',
             'error_msg': 'The throttling threshold has been reached: policy user over ratelimit,limit:2,time:1 minute'}


@pytest.fixture
def clock(monkeypatch):
    clock = FakeClock()  # time.time for the pacer, moved on only by its sleep
    # the client stamps its sends with time.time: the pacer's clock
    monkeypatch.setattr('ansible_collections.hwcloud.meeting.plugins.module_utils.client.time.time', clock.time)
    return clock


def make_client(clock, max_wait=300.0, **options):
    pacer = ratelimit.Pacer(ratelimit.MemoryStore(), max_wait, clock=clock.time, sleep=clock.sleep,
                            rand=lambda: 0.0)
    options.setdefault('conference_token', 'ctl-pacing-1')
    return MeetingClient(pacer, api_url='https://meeting.example.test', conference_id=MEETING, retries=2,
                         timeout=5, **options)


def scripted(meeting_client, script):
    session = ScriptedSession(script)
    meeting_client._session.request = session
    return session


def test_the_call_the_window_cannot_take_waits_for_it_instead_of_being_sent(clock):
    meeting_client = make_client(clock)
    session = scripted(meeting_client, {PATH_REALTIME: [
        response(200, {'confInfo': {}}, headers=limit_headers(1)),
        response(200, {'confInfo': {}}, headers=limit_headers(0)),
        response(200, {'confInfo': {}}, headers=limit_headers(1))]})
    for _call in range(3):
        meeting_client.realtime_info()
    assert len(session.requests) == 3
    # the third waited for the first call to leave the window (a minute, and
    # the pacer's margin of half a second)
    assert clock.slept == [pytest.approx(60.5)]
    assert meeting_client.gateway_waits == [
        'waited 60.5 s for the gateway: %s, 2 calls a minute, window full (meeting %s)' % (REALTIME_API, MEETING)]


def test_a_429_of_the_gateway_waits_until_the_window_reopens_then_sends_again(clock):
    meeting_client = make_client(clock)
    session = scripted(meeting_client, {PATH_REALTIME: [
        response(429, THROTTLED, headers=limit_headers(0)),
        response(200, {'confInfo': {}}, headers=limit_headers(1))]})
    assert meeting_client.realtime_info() == {'confInfo': {}}
    assert len(session.requests) == 2
    assert len(clock.slept) == 1 and 60.0 <= clock.slept[0] <= 61.0
    assert meeting_client.gateway_waits[0].startswith('waited 60.')
    assert meeting_client.gateway_waits[0].endswith('throttled (HTTP 429) (meeting %s)' % MEETING)


def test_past_the_bound_the_call_fails_in_one_sentence_without_waiting(clock):
    meeting_client = make_client(clock, max_wait=10.0)
    scripted(meeting_client, {PATH_REALTIME: [response(429, THROTTLED, headers=limit_headers(0))]})
    with pytest.raises(MeetingError) as failure:
        meeting_client.realtime_info()
    error = failure.value
    assert clock.slept == []
    assert (error.status, error.error_code) == (429, 'APIG.0308')
    assert str(error) == (
        'Could not read the realtime state for meeting %s: the gateway allows 2 calls of %s a minute for this '
        'login, and the window would not reopen within rate_limit_wait (10 s): run fewer meetings at once '
        '(forks, serial, job slices) or raise rate_limit_wait' % (MEETING, REALTIME_API))


def test_urllib3_retries_only_a_429_that_says_retry_after():
    retry = build_retry(3)
    assert retry.is_retry('GET', 429, has_retry_after=True) is True
    assert retry.is_retry('GET', 429, has_retry_after=False) is False
    assert retry.is_retry('GET', 503, has_retry_after=False) is True


def test_every_copy_urllib3_makes_of_the_retry_calls_the_pacer_before_a_resend(monkeypatch):
    monkeypatch.setattr('urllib3.util.retry.time.sleep', lambda seconds: None)
    resends = []
    retry = build_retry(3, on_resend=lambda: resends.append('resend'))
    retry.sleep()
    # urllib3 replaces the Retry by a copy after each failed attempt
    retry.new(total=2).new(total=1).sleep()
    assert resends == ['resend', 'resend']
    build_retry(3).new(total=2).sleep()  # no hook: nothing to call
    assert len(resends) == 2


def test_a_resend_inside_a_send_is_paced_like_a_call(clock):
    # urllib3's resends happen inside one _send: the hook records each in
    # the pacer, under the call's bucket, and the call's last send time is
    # the one its answer teaches the pacer with.
    meeting_client = make_client(clock)

    def send(method, path, what, params, body, headers):
        clock.now += 1.0
        meeting_client._before_resend()   # as urllib3 does before a resend
        return response(200, {'confInfo': {}}, headers=limit_headers(1))

    meeting_client._send = send
    meeting_client.realtime_info()
    bucket = meeting_client.credentials.gateway_bucket('GET', PATH_REALTIME, 'control')
    with meeting_client.pacer.store.update(bucket) as raw:
        assert raw['sends'] == [1000.0, 1001.0]
    meeting_client._before_resend()  # outside a call: nothing to record
    with meeting_client.pacer.store.update(bucket) as raw:
        assert len(raw['sends']) == 2


def test_calls_of_other_apis_and_logins_are_counted_apart(clock):
    meeting_client = make_client(clock, app_id='app-pacing', app_key='key-pacing-1')
    control = meeting_client.credentials.gateway_bucket('GET', PATH_REALTIME, 'control')
    assert control[-1] == REALTIME_API
    assert meeting_client.credentials.gateway_bucket('GET', PATH_WS_TOKEN, 'control')[:-1] == control[:-1]
    access = meeting_client.credentials.gateway_bucket('GET', '/v1/mmc/management/conferences/online/confDetail', 'access')
    assert access[:-1] != control[:-1] and 'app-pacing' in access


def test_a_push_token_from_a_fresh_control_token_when_the_ws_token_window_is_full(clock):
    meeting_client = make_client(clock, host_password='host-pw-pacing', conference_token=None)
    token = response(200, {'data': {'token': 'ctl-1', 'confTokenExpireTime': 1800, 'wsURL': 'wss://push.example.test',
                                    'tmpWsToken': 'tmp-ws-pacing-2'}})
    session = scripted(meeting_client, {
        PATH_CONTROL_TOKEN: [response(200, {'data': {'token': 'ctl-0', 'confTokenExpireTime': 1800}},
                                      headers=limit_headers(1)), token],
        PATH_WS_TOKEN: [response(200, {'webSocketToken': 'ws-pacing-1'}, headers=limit_headers(0, limit=1))]})
    assert meeting_client.credentials.fetch_push_token() == 'ws-pacing-1'  # the window of wsToken had room
    # now it has none, and the control token's has: a fresh control token brings a push token
    assert meeting_client.credentials.fetch_push_token() == 'tmp-ws-pacing-2'
    assert [request['path'] for request in session.requests] == [PATH_CONTROL_TOKEN, PATH_WS_TOKEN, PATH_CONTROL_TOKEN]
    assert clock.slept == []


def test_without_the_host_password_at_hand_a_push_token_waits_for_its_window(clock):
    meeting_client = make_client(clock)  # a conference_token only: no password to fetch another with
    session = scripted(meeting_client, {PATH_WS_TOKEN: [
        response(200, {'webSocketToken': 'ws-1'}, headers=limit_headers(0, limit=1)),
        response(200, {'webSocketToken': 'ws-2'}, headers=limit_headers(0, limit=1))]})
    assert [meeting_client.credentials.fetch_push_token(), meeting_client.credentials.fetch_push_token()] == ['ws-1', 'ws-2']
    assert [request['path'] for request in session.requests] == [PATH_WS_TOKEN, PATH_WS_TOKEN]
    assert clock.slept == [pytest.approx(60.5)]


def control_token(name):
    return response(200, {'data': {'token': name, 'confTokenExpireTime': 1800}})


REJECTED = {'error_code': 'MMC.111070001', 'error_msg': 'token expired'}


def test_a_token_that_dies_while_the_pacer_holds_the_call_is_renewed_again(clock):
    # The renewed token lived 20 s; the pacer held the retried call for the
    # window (a minute): the service rejects it too. Renewed again, since
    # the call waited after the last renewal (issue 25: one meeting of 200
    # lost its broadcast to a second 401).
    meeting_client = make_client(clock, host_password='host-pw-pacing', conference_token=None)
    session = scripted(meeting_client, {
        PATH_CONTROL_TOKEN: [control_token('ctl-1'), control_token('ctl-2'), control_token('ctl-3')],
        PATH_REALTIME: [response(401, REJECTED, headers=limit_headers(0, limit=1)),
                        response(401, REJECTED, headers=limit_headers(0, limit=1)),
                        response(200, {'confInfo': {}}, headers=limit_headers(0, limit=1))]})
    assert meeting_client.realtime_info() == {'confInfo': {}}
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, PATH_CONTROL_TOKEN, PATH_REALTIME,
                               PATH_CONTROL_TOKEN, PATH_REALTIME]
    assert [request['headers'].get('X-Conference-Authorization') for request in session.requests
            if request['path'] == PATH_REALTIME] == ['ctl-1', 'ctl-2', 'ctl-3']
    assert len(clock.slept) == 2  # a window before each retry


def test_a_token_rejected_again_at_once_is_not_renewed_a_second_time(clock):
    meeting_client = make_client(clock, host_password='host-pw-pacing', conference_token=None)
    session = scripted(meeting_client, {
        PATH_CONTROL_TOKEN: [control_token('ctl-1'), control_token('ctl-2')],
        PATH_REALTIME: [response(401, REJECTED)]})
    with pytest.raises(MeetingError) as failure:
        meeting_client.realtime_info()
    assert failure.value.status == 401
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, PATH_CONTROL_TOKEN, PATH_REALTIME]


def test_the_wait_of_a_renewal_counts_against_the_bound_of_the_call(clock):
    # The renewal is a call of its own (the control token's API): what the
    # outer call had waited before it is not forgotten (rate_limit_wait
    # bounds the whole call, retries included).
    meeting_client = make_client(clock, max_wait=90.0, host_password='host-pw-pacing', conference_token=None)
    scripted(meeting_client, {
        PATH_CONTROL_TOKEN: [control_token('ctl-1'), control_token('ctl-2')],
        PATH_REALTIME: [response(200, {'confInfo': {}}, headers=limit_headers(0, limit=1)),
                        response(401, REJECTED, headers=limit_headers(0, limit=1))]})
    meeting_client.realtime_info()
    # the second call waits a window (60.5 s), is refused, renews, and would
    # wait another window: past the bound of 90 s for the call
    with pytest.raises(MeetingError) as failure:
        meeting_client.realtime_info()
    assert failure.value.error_code == 'APIG.0308' and 'rate_limit_wait (90 s)' in str(failure.value)
