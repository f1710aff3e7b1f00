# Unit tests of the HTTP client: signature, retry policy, error bodies, token
# handling. No network: the session's request method is replaced by a script.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import base64
import hashlib
import hmac
import time

import pytest
import requests
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NewConnectionError, ProtocolError
from huaweicloudsdkmeeting.v1.meeting_credentials import MeetingCredentials, TenantSceneEnum

from ansible_collections.hwcloud.meeting.plugins.module_utils import auth as auth_module
from ansible_collections.hwcloud.meeting.plugins.module_utils import client as client_module
from ansible_collections.hwcloud.meeting.plugins.module_utils.auth import (
    PATH_ACCOUNT_LOGIN,
    PATH_APP_LOGIN,
    PATH_CONTROL_TOKEN,
    app_signature,
)
from ansible_collections.hwcloud.meeting.plugins.module_utils.client import (
    PATH_DETAILS,
    PATH_LIST,
    PATH_LIST_ONLINE,
    PATH_ONLINE,
    PATH_REALTIME,
    PATH_RECORD,
    PATH_START,
    MeetingClient,
    build_retry,
)
from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import MeetingError, parse_error
from ansible_collections.hwcloud.meeting.plugins.module_utils.ratelimit import pacer_for

from .fakes import ScriptedSession, response

MEETING = '914044873'
APP_KEY = 'unit-app-key-0123456789'
HOST_PASSWORD = 'host-pw-unit-123'
ACCOUNT_PASSWORD = 'account-pw-unit-456'


def scripted(client, script):
    session = ScriptedSession(script)
    client._session.request = session
    return session


def make_client(**kwargs):
    options = dict(api_url='https://meeting.example.test', conference_id=MEETING, retries=2, timeout=5)
    options.update(kwargs)
    # No call here waits for the gateway's window (test_client_pacing.py is
    # about those): a wait would be a bug, and with rate_limit_wait 0 it
    # fails the call at once instead of sleeping through the test.
    return MeetingClient(pacer_for(options.get('cache'), max_wait=0), **options)


# --- the App ID signature -------------------------------------------------------

def test_signature_matches_an_independent_hmac():
    data = b'app-1:user-1:1700000600:' + b'n' * 40
    expected = hmac.new(APP_KEY.encode(), data, hashlib.sha256).hexdigest().upper()
    assert app_signature(APP_KEY, 'app-1', 'user-1', 1700000600, 'n' * 40) == expected


def test_signature_is_upper_case_hex_of_64_characters():
    signature = app_signature(APP_KEY, 'app-1', 'user-1', 1700000600, 'x' * 32)
    assert len(signature) == 64
    assert signature == signature.upper()
    int(signature, 16)


@pytest.mark.parametrize('corp_id, scene', [(None, TenantSceneEnum.SINGLE_TENANT),
                                            ('corp-9', TenantSceneEnum.MULTI_TENANT)])
def test_signature_agrees_with_huaweis_sdk(corp_id, scene):
    sdk = (MeetingCredentials().with_app_id('app-1').with_app_key(APP_KEY)
           .with_user_id('user-1').with_tenant_scene_enum(scene))
    if corp_id:
        sdk = sdk.with_corp_id(corp_id)
    nonce = 'a' * 36
    assert app_signature(APP_KEY, 'app-1', 'user-1', 1700000600, nonce, corp_id) == \
        sdk._sign_hmac256(1700000600, nonce)


def test_multi_tenant_signature_puts_corp_id_after_app_id():
    data = b'app-1:corp-9:user-1:1700000600:' + b'n' * 40
    expected = hmac.new(APP_KEY.encode(), data, hashlib.sha256).hexdigest().upper()
    assert app_signature(APP_KEY, 'app-1', 'user-1', 1700000600, 'n' * 40, corp_id='corp-9') == expected


def test_app_login_request_is_signed_as_api_md_says():
    client = make_client(app_id='app-1', app_key=APP_KEY, user_id='user-1')
    session = scripted(client, {PATH_APP_LOGIN: [response(200, {'accessToken': 'tok-1', 'validPeriod': 43200})]})
    before = int(time.time())
    assert client.credentials.log_in() == 'tok-1'
    sent = session.requests[0]
    body = sent['json']
    assert sent['method'] == 'POST'
    assert body['appId'] == 'app-1' and body['userId'] == 'user-1' and body['clientType'] == 72
    assert before + 540 <= body['expireTime'] <= int(time.time()) + 660
    assert 32 <= len(body['nonce']) <= 64
    scheme, params = sent['headers']['Authorization'].split(' ', 1)
    fields = dict(part.split('=', 1) for part in params.split(','))
    assert scheme == 'HMAC-SHA256'
    assert base64.b64decode(fields['access']).decode() == 'app-1'
    data = 'app-1:user-1:%s:%s' % (body['expireTime'], body['nonce'])
    assert fields['signature'] == hmac.new(APP_KEY.encode(), data.encode(), hashlib.sha256).hexdigest().upper()
    assert APP_KEY not in str(sent)  # the key signs; it is never sent


def test_account_login_uses_basic_auth():
    client = make_client(account='ops@example.com', account_password=ACCOUNT_PASSWORD)
    session = scripted(client, {PATH_ACCOUNT_LOGIN: [response(200, {'accessToken': 'tok-2', 'validPeriod': 60})]})
    assert client.credentials.log_in() == 'tok-2'
    sent = session.requests[0]
    assert sent['headers']['Authorization'] == 'Basic ' + base64.b64encode(
        ('ops@example.com:%s' % ACCOUNT_PASSWORD).encode()).decode()
    assert sent['json'] == {'account': 'ops@example.com', 'clientType': 72}


def test_app_id_wins_over_account():
    client = make_client(app_id='app-1', app_key=APP_KEY, account='ops@example.com', account_password=ACCOUNT_PASSWORD)
    session = scripted(client, {PATH_APP_LOGIN: [response(200, {'accessToken': 'tok'})]})
    client.credentials.log_in()
    assert session.paths() == [PATH_APP_LOGIN]


# --- the retry policy ---------------------------------------------------------------

def test_retry_policy_covers_the_transient_failures():
    retry = build_retry(3)
    assert retry.total == 3 and retry.connect == 3 and retry.read == 3 and retry.status == 3
    assert set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    for method in ('GET', 'POST', 'PUT'):
        assert retry.is_retry(method, 503)
        assert retry._is_method_retryable(method)
    assert not retry.is_retry('GET', 400)
    assert not retry.is_retry('GET', 401)
    assert retry.raise_on_status is False


def test_retry_backs_off_exponentially_with_jitter():
    retry = build_retry(5)
    for _attempt in range(4):
        retry = retry.increment('GET', '/x', error=ConnectTimeoutError())
    # four consecutive errors: 0.5 * 2**3 = 4 s, plus up to 0.5 s of jitter
    waits = {retry.get_backoff_time() for _sample in range(20)}
    assert all(4.0 <= wait <= 4.5 for wait in waits)
    assert len(waits) > 1


def test_retry_after_is_honoured_and_capped():
    retry = build_retry(3)
    assert retry.parse_retry_after('2') == 2
    assert retry.parse_retry_after('3600') == client_module.MAX_RETRY_AFTER


class _Answer(object):
    """What Retry.get_retry_after reads of an HTTP response."""

    def __init__(self, retry_after):
        self.headers = {'Retry-After': retry_after}


def test_retry_after_is_the_least_wait_and_answers_told_the_same_spread_out():
    retry = build_retry(3)
    waits = [retry.get_retry_after(_Answer('2')) for _sample in range(50)]
    # the first retry: Retry-After, plus up to as much again (no backoff yet)
    assert all(2.0 <= wait <= 4.0 for wait in waits)
    assert max(waits) - min(waits) > 0.5
    assert min(waits) < 3.0  # from nothing up: 50 draws all in the upper half would be a 1 in 2**50 chance
    for _attempt in range(3):
        retry = retry.increment('GET', '/x', error=ConnectTimeoutError())
    # after three consecutive failures the backoff (2 s + jitter) comes on top
    waits = [retry.get_retry_after(_Answer('1')) for _sample in range(50)]
    assert all(3.0 <= wait <= 4.5 for wait in waits)


@pytest.mark.parametrize('header, least', [('3600', 60.0), ('60', 60.0), ('45', 45.0)])
def test_the_whole_wait_of_a_retry_after_is_at_most_60_seconds(header, least):
    # The doc fragment promises "never more than 60 seconds in all": the
    # spread and the backoff of earlier failures do not push it past that.
    assert client_module.MAX_RETRY_AFTER == 60.0
    retry = build_retry(6)
    for _attempt in range(4):  # backoff 4 s + jitter on top of the spread
        retry = retry.increment('GET', '/x', error=ConnectTimeoutError())
    waits = [retry.get_retry_after(_Answer(header)) for _sample in range(50)]
    assert all(least <= wait <= 60.0 for wait in waits), (min(waits), max(waits))
    assert max(waits) == 60.0  # 45 s + up to 45 s + 4 s reaches the bound and stops there


def test_urllib3_sleeps_the_capped_wait(monkeypatch):
    # What urllib3 does with it: one sleep of the whole wait, not Retry-After
    # and something else besides.
    import urllib3.util.retry
    slept = []
    monkeypatch.setattr(urllib3.util.retry.time, 'sleep', slept.append)
    build_retry(3).sleep(_Answer('3600'))
    build_retry(3).sleep(_Answer('2'))
    assert slept[0] == 60.0
    assert 2.0 <= slept[1] <= 4.0
    assert len(slept) == 2


def test_no_retry_after_leaves_the_backoff_alone():
    assert build_retry(3).get_retry_after(_Answer(None)) is None


def test_a_dropped_connection_is_retried_on_every_method():
    retry = build_retry(1)
    for method in ('GET', 'POST', 'PUT'):
        assert retry.increment(method, '/x', error=ProtocolError('Connection aborted.')).read == 0


def test_zero_retries_means_one_attempt():
    retry = build_retry(0)
    with pytest.raises(MaxRetryError):
        retry.increment('GET', '/x', error=ConnectTimeoutError())


# --- error bodies ----------------------------------------------------------------------

@pytest.mark.parametrize('body', [
    {'error_code': 'MMC.111072065', 'error_msg': 'CONF_NOT_FOUND_OR_AUTH_FAILED'},
    {'errorCode': 'MMC.111072065', 'errorMsg': 'CONF_NOT_FOUND_OR_AUTH_FAILED'},
    {'code': 'MMC.111072065', 'message': 'CONF_NOT_FOUND_OR_AUTH_FAILED'},
])
def test_every_error_body_spelling_is_read(body):
    code, message, description = parse_error(response(400, body))
    assert code == 'MMC.111072065'
    assert message == 'CONF_NOT_FOUND_OR_AUTH_FAILED'
    assert 'check conference_id and host_password' in description


@pytest.mark.parametrize('text, words', [
    ('', 'an empty body'),
    ('   ', 'an empty body'),
    ('<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>', '502 Bad Gateway'),
    ('<html><body><h1>Service Unavailable</h1></body></html>', 'Service Unavailable'),
    ('upstream connect error', 'not the service\'s JSON (upstream connect error)'),
    ('["a", "list"]', 'not the service\'s JSON'),
])
def test_bodies_that_are_not_the_services_json_are_described(text, words):
    code, message, description = parse_error(response(502, text=text))
    assert code is None and message is None
    assert words in description


def test_failure_names_meeting_action_status_code_and_request_id():
    client = make_client(host_password=HOST_PASSWORD)
    scripted(client, {PATH_CONTROL_TOKEN: [response(400, {'error_code': 'MMC.111070005', 'error_msg': 'CONF_NOT_EXIST'},
                                                    headers={'X-Request-Id': 'req-42'})]})
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    error = caught.value
    text = str(error)
    assert MEETING in text and 'get a control token' in text and 'HTTP 400' in text
    assert 'MMC.111070005' in text and 'CONF_NOT_EXIST' in text and 'req-42' in text
    assert 'activate it with hwcloud.meeting.meeting_activate' in text
    assert error.to_result() == dict(status=400, error_code='MMC.111070005', error_msg='CONF_NOT_EXIST',
                                     request_id='req-42')
    assert HOST_PASSWORD not in text


def test_html_error_page_gives_a_clear_message():
    client = make_client(conference_token='ctl-1')
    scripted(client, {PATH_REALTIME: [response(502, text='<html><title>Bad Gateway</title></html>')]})
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    assert 'HTTP 502' in str(caught.value) and 'HTML page' in str(caught.value)
    assert caught.value.error_code is None


def test_broken_json_on_success_is_retried_then_reported():
    client = make_client(conference_token='ctl-1', retries=1)
    client_module.BACKOFF_FACTOR, saved = 0, client_module.BACKOFF_FACTOR
    try:
        broken = response(200, text='{"confInfo": {"st', headers={'X-Request-Id': 'r9'})
        session = scripted(client, {PATH_REALTIME: [broken, broken, _Looping('a third try of a broken answer')]})
        with pytest.raises(MeetingError) as caught:
            client.realtime_info()
    finally:
        client_module.BACKOFF_FACTOR = saved
    assert len(session.requests) == 2
    assert 'not the service\'s JSON' in str(caught.value) and 'r9' in str(caught.value)


def test_broken_json_then_good_answer_succeeds():
    client = make_client(conference_token='ctl-1', retries=1)
    scripted(client, {PATH_REALTIME: [response(200, text='{"conf'), response(200, {'confInfo': {}})]})
    assert client.realtime_info() == {'confInfo': {}}


@pytest.mark.parametrize('exc, words', [
    (requests.exceptions.ConnectTimeout('slow'), 'no answer from https://meeting.example.test within 5 seconds'),
    (requests.exceptions.ReadTimeout('slow'), 'no answer'),
    (requests.exceptions.SSLError('CERTIFICATE_VERIFY_FAILED'), 'set ca_path'),
    (requests.exceptions.ConnectionError('refused'), 'could not connect to https://meeting.example.test after 3 attempt(s)'),
    # any other failure of requests: a generic sentence with its reason
    (requests.exceptions.TooManyRedirects('Exceeded 30 redirects.'),
     'Could not read the realtime state for meeting 914044873: the request to https://meeting.example.test failed '
     '(Exceeded 30 redirects.)'),
    (requests.exceptions.InvalidHeader('bad header value'), 'the request to https://meeting.example.test failed'),
])
def test_transport_failures_become_sentences(exc, words):
    client = make_client(conference_token='ctl-1')
    scripted(client, {PATH_REALTIME: [exc]})
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    assert words in str(caught.value)
    assert MEETING in str(caught.value)


class _Connection(object):
    def __str__(self):
        return '<urllib3.connection.HTTPSConnection object at 0x7f0000000000>'


def test_the_innermost_reason_of_a_wrapped_failure_is_said():
    # requests wraps urllib3's MaxRetryError, which holds the reason: the
    # sentence gives that reason without the connection object's name
    reason = NewConnectionError(_Connection(), 'Failed to establish a new connection: [Errno 111] Connection refused')
    client = make_client(conference_token='ctl-1')
    scripted(client, {PATH_REALTIME: [requests.exceptions.ConnectionError(MaxRetryError(None, '/x', reason=reason))]})
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    assert str(caught.value).endswith('could not connect to https://meeting.example.test after 3 attempt(s) '
                                      '(Failed to establish a new connection: [Errno 111] Connection refused)')


# --- tokens ---------------------------------------------------------------------------

def test_login_without_credentials_says_what_to_give_and_calls_nothing():
    client = make_client()  # no access token, no App ID, no account
    session = scripted(client, {})
    with pytest.raises(MeetingError) as caught:
        client.credentials.log_in()
    assert str(caught.value) == ('Cannot log in for meeting %s: give access_token, app_id and app_key, '
                                 'or account and account_password' % MEETING)
    with pytest.raises(MeetingError) as caught:
        client.online_details()  # a call that needs an access token says the same
    assert 'Cannot log in for meeting %s: give access_token' % MEETING in str(caught.value)
    assert session.requests == []


def test_a_control_call_without_host_password_or_token_says_what_to_give():
    client = make_client()
    session = scripted(client, {})
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    assert str(caught.value) == ('Cannot get a control token for meeting %s: give host_password or '
                                 "conference_token, or login credentials that may read the meeting's details"
                                 % MEETING)
    with pytest.raises(MeetingError):
        client.credentials.fetch_control_token()
    assert session.requests == []


def test_tokens_are_fetched_lazily_and_once():
    client = make_client(host_password=HOST_PASSWORD)
    session = scripted(client, {
        PATH_CONTROL_TOKEN: [response(200, {'data': {'token': 'ctl-1', 'confTokenExpireTime': 1800}})],
        PATH_REALTIME: [response(200, {'confInfo': {'recState': 0}})],
        PATH_RECORD: [response(200, text='')],
    })
    client.realtime_info()
    client.set_recording(True)
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, PATH_RECORD]
    token_call = session.requests[0]
    assert token_call['headers']['X-Password'] == HOST_PASSWORD
    assert token_call['headers']['X-Login-Type'] == '1'
    assert token_call['params'] == {'conferenceID': MEETING}
    assert session.requests[1]['headers']['X-Conference-Authorization'] == 'ctl-1'
    assert session.requests[2]['json'] == {'isRecord': 1}


def test_conference_token_is_used_without_fetching_one():
    client = make_client(conference_token='given-ctl', host_password=HOST_PASSWORD)
    session = scripted(client, {PATH_REALTIME: [response(200, {'confInfo': {}})]})
    client.realtime_info()
    assert session.paths() == [PATH_REALTIME]
    assert session.requests[0]['headers']['X-Conference-Authorization'] == 'given-ctl'


def test_control_401_with_host_password_renews_once_and_retries():
    client = make_client(conference_token='old-ctl', host_password=HOST_PASSWORD)
    session = scripted(client, {
        PATH_REALTIME: [response(401, {'error_code': 'MMC.111070001', 'error_msg': 'token expired'}),
                        response(200, {'confInfo': {'recState': 1}})],
        PATH_CONTROL_TOKEN: [response(200, {'data': {'token': 'new-ctl'}})],
    })
    assert client.realtime_info() == {'confInfo': {'recState': 1}}
    assert session.paths() == [PATH_REALTIME, PATH_CONTROL_TOKEN, PATH_REALTIME]
    assert session.requests[2]['headers']['X-Conference-Authorization'] == 'new-ctl'


class _Looping(AssertionError):
    """A call past those the test expects: a client that loops fails the test
    here instead of hanging it (the scripted answer repeats for ever)."""


def test_control_401_twice_fails_instead_of_looping():
    client = make_client(host_password=HOST_PASSWORD)
    rejected = response(401, {'error_code': 'MMC.111070001', 'error_msg': 'token invalid'})
    issued = response(200, {'data': {'token': 'ctl'}})
    session = scripted(client, {
        PATH_REALTIME: [rejected, rejected, _Looping('a third realTimeInfo call: the client renews for ever')],
        PATH_CONTROL_TOKEN: [issued, issued, _Looping('a third control token: the client renews for ever')],
    })
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    assert caught.value.status == 401
    assert session.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, PATH_CONTROL_TOKEN, PATH_REALTIME]


def test_control_401_with_conference_token_alone_says_it_expired():
    client = make_client(conference_token='old-ctl')
    session = scripted(client, {PATH_REALTIME: [response(401, {'error_code': 'X', 'error_msg': 'expired'},
                                                         headers={'X-Request-Id': 'r1'})]})
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    assert 'control token (conference_token) was rejected' in str(caught.value)
    assert 'expired' in str(caught.value) and 'give host_password' in str(caught.value)
    assert caught.value.status == 401 and caught.value.request_id == 'r1'
    assert session.paths() == [PATH_REALTIME]


def test_access_401_logs_in_again_once():
    client = make_client(access_token='stale', app_id='app-1', app_key=APP_KEY)
    session = scripted(client, {
        PATH_ONLINE: [response(401, {'error_code': 'USG.201040001', 'error_msg': 'token invalid'}),
                      response(200, {'conferenceData': {'conferenceState': 'Created'}})],
        PATH_APP_LOGIN: [response(200, {'accessToken': 'fresh'})],
    })
    assert client.online_details()['conferenceData']['conferenceState'] == 'Created'
    assert session.paths() == [PATH_ONLINE, PATH_APP_LOGIN, PATH_ONLINE]
    assert session.requests[0]['headers']['X-Access-Token'] == 'stale'
    assert session.requests[2]['headers']['X-Access-Token'] == 'fresh'


def test_access_401_twice_fails_instead_of_looping():
    client = make_client(app_id='app-1', app_key=APP_KEY)
    rejected = response(401, {'error_code': 'USG.201040001', 'error_msg': 'token invalid'})
    logged_in = response(200, {'accessToken': 'fresh'})
    session = scripted(client, {
        PATH_ONLINE: [rejected, rejected, _Looping('a third online check: the client logs in for ever')],
        PATH_APP_LOGIN: [logged_in, logged_in, _Looping('a third login: the client logs in for ever')],
    })
    with pytest.raises(MeetingError) as caught:
        client.online_details()
    assert caught.value.status == 401 and caught.value.error_code == 'USG.201040001'
    assert 'check whether the meeting is in progress' in str(caught.value)
    assert session.paths() == [PATH_APP_LOGIN, PATH_ONLINE, PATH_APP_LOGIN, PATH_ONLINE]


def test_access_401_with_only_an_access_token_fails_clearly():
    client = make_client(access_token='stale')
    scripted(client, {PATH_START: [response(401, {'error_code': 'USG.201040001', 'error_msg': 'token invalid'})]})
    with pytest.raises(MeetingError) as caught:
        client.start_meeting(HOST_PASSWORD)
    assert 'access token was rejected' in str(caught.value)
    assert HOST_PASSWORD not in str(caught.value)


def test_wrong_login_is_not_retried_as_a_token_problem():
    client = make_client(account='ops@example.com', account_password='wrong')
    session = scripted(client, {PATH_ACCOUNT_LOGIN: [response(401, {'error_code': 'USG.206010000',
                                                                    'error_msg': 'USER_PASSWORD_ERROR'})]})
    with pytest.raises(MeetingError) as caught:
        client.online_details()
    assert caught.value.error_code == 'USG.206010000'
    assert 'log in as account ops@example.com' in str(caught.value)
    assert 'check account and account_password' in str(caught.value)
    assert session.paths() == [PATH_ACCOUNT_LOGIN]


def test_issued_tokens_are_registered_as_secrets():
    secrets = set()
    client = make_client(app_id='app-1', app_key=APP_KEY, host_password=HOST_PASSWORD, register_secret=secrets.add)
    scripted(client, {
        PATH_APP_LOGIN: [response(200, {'accessToken': 'acc-secret'})],
        PATH_ONLINE: [response(200, {'conferenceData': {}})],
        PATH_CONTROL_TOKEN: [response(200, {'data': {'token': 'ctl-secret'}})],
        PATH_REALTIME: [response(200, {'confInfo': {}})],
    })
    client.online_details()
    client.realtime_info()
    assert secrets == {'acc-secret', 'ctl-secret'}


def test_online_check_says_none_when_not_in_progress():
    client = make_client(access_token='acc')
    scripted(client, {PATH_ONLINE: [response(400, {'error_code': 'MMC.111070005', 'error_msg': 'CONF_NOT_EXIST'})]})
    assert client.online_details() is None


def test_online_check_raises_on_an_ended_meeting():
    client = make_client(access_token='acc')
    scripted(client, {PATH_ONLINE: [response(400, {'error_code': 'MMC.111072006', 'error_msg': 'CONF_ENDED'})]})
    with pytest.raises(MeetingError) as caught:
        client.online_details()
    assert 'has ended' in str(caught.value)


@pytest.mark.parametrize('data', [{}, {'token': ''}, {'token': 12345}], ids=['none', 'empty', 'not-text'])
def test_a_token_answer_without_a_token_fails_clearly(data):
    client = make_client(host_password=HOST_PASSWORD)
    scripted(client, {PATH_CONTROL_TOKEN: [response(200, {'data': data})]})
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    assert 'carried no token' in str(caught.value)


# --- TLS settings ---------------------------------------------------------------

@pytest.mark.parametrize('validate_certs, ca_path, expected', [
    (True, None, True), (True, '/etc/ca.pem', '/etc/ca.pem'), (False, '/etc/ca.pem', False)])
def test_verify_is_passed_on_every_request(validate_certs, ca_path, expected):
    client = make_client(conference_token='ctl', validate_certs=validate_certs, ca_path=ca_path)
    session = scripted(client, {PATH_REALTIME: [response(200, {})]})
    client.realtime_info()
    assert session.requests[0]['verify'] == expected
    assert session.requests[0]['timeout'] == 5


@pytest.mark.parametrize('text', ['[1]', '"text"', 'null', '42'])
def test_an_answer_that_is_not_a_json_object_is_reported_not_crashed_on(text):
    client = make_client(access_token='acc', retries=0)
    scripted(client, {PATH_ONLINE: [response(200, text=text, headers={'X-Request-Id': 'r7'})]})
    with pytest.raises(MeetingError) as caught:
        client.online_details()
    assert 'HTTP 200 with a body that is not the service\'s JSON' in str(caught.value)
    assert 'r7' in str(caught.value)


# --- meeting details and the meeting lists ------------------------------------------

def _details(*entries):
    return response(200, {'conferenceData': {'conferenceID': MEETING, 'passwordEntry': list(entries)}})


def test_the_host_password_from_the_details_is_registered_as_a_secret_with_the_guest_password():
    secrets = set()
    client = make_client(access_token='acc-given', register_secret=secrets.add)
    calls = scripted(client, {PATH_DETAILS: [_details({'conferenceRole': 'general', 'password': 'guest-1'},
                                                      {'conferenceRole': 'chair', 'password': 'chair-1'})]})
    assert client.credentials.read_host_password() == 'chair-1'
    assert client.credentials.read_host_password() == 'chair-1'
    assert calls.paths() == [PATH_DETAILS]  # read once per client
    assert calls.requests[0]['headers']['X-Access-Token'] == 'acc-given'
    assert secrets == {'chair-1', 'guest-1'}


def test_details_without_a_chair_password_say_so():
    client = make_client(access_token='acc-given')
    scripted(client, {PATH_DETAILS: [_details({'conferenceRole': 'general', 'password': 'guest-1'})]})
    with pytest.raises(MeetingError) as caught:
        client.credentials.read_host_password()
    assert 'no host (chair) password' in str(caught.value) and 'give host_password' in str(caught.value)
    assert 'guest-1' not in str(caught.value)


def test_details_refused_say_who_may_read_them_and_how_to_fix_it():
    client = make_client(access_token='acc-given', retries=0)
    scripted(client, {PATH_DETAILS: [response(403, {'error_code': 'X.403', 'error_msg': 'forbidden'},
                                              headers={'X-Request-Id': 'req-403'})]})
    with pytest.raises(MeetingError) as caught:
        client.credentials.read_host_password()
    error = caught.value
    assert (error.status, error.error_code, error.request_id) == (403, 'X.403', 'req-403')
    assert 'meeting %s' % MEETING in error.message and 'may not read' in error.message
    assert 'give host_password' in error.message
    # the refusal's own words (its code) once, without repeating "could not ... of meeting ..."
    assert error.message.count(MEETING) == 1 and 'X.403' in error.message, error.message


def test_without_host_password_nor_login_a_control_call_says_what_is_missing():
    client = make_client()
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    assert 'give host_password or conference_token, or login credentials' in str(caught.value)


def _page(count, ids):
    return response(200, {'offset': 0, 'limit': 2, 'count': count,
                          'data': [{'conferenceID': cid} for cid in ids]})


def test_all_meetings_follows_the_pages_to_the_end():
    client = make_client(access_token='acc-given', conference_id=None)
    calls = scripted(client, {PATH_LIST: [_page(5, ['1', '2']), _page(5, ['3', '4']), _page(5, ['5'])]})
    meetings = client.all_meetings(search='Sync', page_size=2)
    assert [m['conferenceID'] for m in meetings] == ['1', '2', '3', '4', '5']
    assert [call['params']['offset'] for call in calls.requests] == [0, 2, 4]
    assert calls.requests[0]['params'] == {'offset': 0, 'limit': 2, 'queryAll': 'true', 'searchKey': 'Sync'}


def test_all_meetings_in_progress_uses_the_online_list_and_stops_on_an_empty_page():
    client = make_client(access_token='acc-given', conference_id=None)
    calls = scripted(client, {PATH_LIST_ONLINE: [_page(9, ['1', '2']), _page(9, [])]})
    assert [m['conferenceID'] for m in client.all_meetings(online=True, page_size=2)] == ['1', '2']
    assert calls.paths() == [PATH_LIST_ONLINE, PATH_LIST_ONLINE]


def _uncounted_page(ids):
    """A page of a list answer that says no count (the service need not)."""
    return response(200, {'offset': 0, 'limit': 2, 'data': [{'conferenceID': cid} for cid in ids]})


def test_a_list_without_a_count_is_followed_until_a_page_is_short():
    client = make_client(access_token='acc-given', conference_id=None)
    calls = scripted(client, {PATH_LIST: [_uncounted_page(['1', '2']), _uncounted_page(['3', '4']),
                                          _uncounted_page(['5']),
                                          _Looping('a list call after a short page')]})
    meetings = client.all_meetings(page_size=2)
    assert [m['conferenceID'] for m in meetings] == ['1', '2', '3', '4', '5']
    assert [call['params']['offset'] for call in calls.requests] == [0, 2, 4]


def test_a_list_without_a_count_ends_on_an_empty_page():
    client = make_client(access_token='acc-given', conference_id=None)
    calls = scripted(client, {PATH_LIST: [_uncounted_page(['1', '2']), _uncounted_page([]),
                                          _Looping('a list call after an empty page')]})
    assert [m['conferenceID'] for m in client.all_meetings(page_size=2)] == ['1', '2']
    assert len(calls.requests) == 2


def test_a_count_ends_the_list_even_after_a_full_page():
    client = make_client(access_token='acc-given', conference_id=None)
    calls = scripted(client, {PATH_LIST: [_page(4, ['1', '2']), _page(4, ['3', '4']),
                                          _Looping('a list call past the count')]})
    assert [m['conferenceID'] for m in client.all_meetings(page_size=2)] == ['1', '2', '3', '4']
    assert len(calls.requests) == 2


def test_a_list_that_never_ends_is_cut_with_words(monkeypatch):
    monkeypatch.setattr(client_module, 'MAX_LIST_PAGES', 3)
    client = make_client(access_token='acc-given', conference_id=None)
    calls = scripted(client, {PATH_LIST: [_uncounted_page(['1', '2'])]})
    with pytest.raises(MeetingError) as caught:
        client.all_meetings(page_size=2)
    assert str(caught.value) == 'Could not list the meetings: the list did not end after 3 pages of 2'
    assert len(calls.requests) == 3


def test_a_list_answer_without_data_fails_with_words():
    client = make_client(access_token='acc-given', conference_id=None)
    scripted(client, {PATH_LIST_ONLINE: [response(200, {'count': 3})]})
    with pytest.raises(MeetingError) as caught:
        client.all_meetings(online=True)
    assert str(caught.value) == ('Could not list the meetings in progress: the answer carried no list of '
                                 'meetings (data)')


def test_a_list_failure_names_no_meeting():
    client = make_client(access_token='acc-given', conference_id=None, retries=0)
    scripted(client, {PATH_LIST: [response(400, {'error_code': 'X.1', 'error_msg': 'bad'})]})
    with pytest.raises(MeetingError) as caught:
        client.all_meetings()
    assert str(caught.value).startswith('Could not list the meetings: HTTP 400')


# --- what every request carries ---------------------------------------------------

class _Capture(requests.adapters.BaseAdapter):
    """A transport adapter that keeps each prepared request (the session's
    own headers merged in, as they go on the wire) and answers from a list."""

    def __init__(self, answers):
        super(_Capture, self).__init__()
        self.answers = list(answers)
        self.sent = []

    def send(self, request, **kwargs):
        self.sent.append(request)
        answer = self.answers.pop(0)
        answer.request = request
        answer.url = request.url
        return answer

    def close(self):
        pass


def test_every_request_says_who_sends_it_and_asks_for_json():
    client = make_client(host_password=HOST_PASSWORD)
    adapter = _Capture([response(200, {'data': {'token': 'ctl-1'}}), response(200, {'confInfo': {}})])
    client._session.mount('https://', adapter)
    assert client.realtime_info() == {'confInfo': {}}
    assert len(adapter.sent) == 2
    for request in adapter.sent:
        assert request.headers['User-Agent'] == 'hwcloud.meeting-ansible-collection'
        assert request.headers['Accept'] == 'application/json'
    assert adapter.sent[1].headers['X-Conference-Authorization'] == 'ctl-1'


# --- the service contract's paths and codes, as literals ------------------------------------
# The other tests import the paths from the client, so a wrong path would
# pass them: here they are as docs/dev/service_contract.md writes them.

@pytest.mark.parametrize('name, path', [
    ('PATH_ACCOUNT_LOGIN', '/v1/usg/acs/auth/account'),
    ('PATH_APP_LOGIN', '/v2/usg/acs/auth/appauth'),
    ('PATH_ONLINE', '/v1/mmc/management/conferences/online/confDetail'),
    ('PATH_START', '/v1/mmc/management/conferences/start'),
    ('PATH_CONTROL_TOKEN', '/v1/mmc/control/conferences/token'),
    ('PATH_REALTIME', '/v1/mmc/control/conferences/realTimeInfo'),
    ('PATH_RECORD', '/v1/mmc/control/conferences/record'),
    ('PATH_LIVE', '/v1/mmc/control/conferences/live'),
    ('PATH_BROADCAST', '/v1/mmc/control/conferences/participants/broadcast'),
    ('PATH_CANCEL_BROADCAST', '/v1/mmc/control/conferences/cancelBroadcast'),
    ('PATH_WS_TOKEN', '/v1/mmc/control/conferences/wsToken'),
    ('PATH_DETAILS', '/v1/mmc/management/conferences/confDetail'),
    ('PATH_LIST', '/v1/mmc/management/conferences'),
    ('PATH_LIST_ONLINE', '/v1/mmc/management/conferences/online'),
])
def test_the_paths_are_the_contracts(name, path):
    assert (getattr(client_module, name, None) or getattr(auth_module, name)) == path


@pytest.mark.parametrize('code, words', [
    ('MMC.111072065', 'check conference_id and host_password'),
    ('MMC.111070005', 'activate it with hwcloud.meeting.meeting_activate'),
    ('MMC.111072006', 'the meeting has ended'),
    ('MMC.111070009', 'the meeting password must not be empty: set host_password'),
    ('MMC.111072050', 'the meeting is locked'),
    ('USG.206010000', 'wrong account or password'),
    ('USG.206010025', 'the App ID check failed'),
    ('USG.206010057', "check the controller's clock"),
    ('APIG.0308', "the gateway's rate limit of calls per API"),
])
def test_each_known_code_says_what_to_do(code, words):
    description = parse_error(response(400, {'error_code': code, 'error_msg': 'X'}))[2]
    assert description.startswith('error %s "X" (' % code) and words in description


@pytest.mark.parametrize('body, expected', [
    ({'error_code': 'X.1'}, ('X.1', None, 'error X.1')),
    ({'error_msg': 'boom'}, (None, 'boom', 'no error code "boom"')),
    ({'code': 42, 'message': ''}, ('42', None, 'error 42')),
    # an empty spelling is passed over for the next one that says something
    ({'error_code': '', 'errorCode': 'X.2', 'error_msg': '', 'message': 'boom'}, ('X.2', 'boom', 'error X.2 "boom"')),
])
def test_an_error_body_with_half_of_its_fields_is_still_read(body, expected):
    assert parse_error(response(400, body)) == expected


@pytest.mark.parametrize('vendor_message, said', [('CONF_NOT_EXIST', '(MMC.111070005 CONF_NOT_EXIST)'),
                                                  (None, '(MMC.111070005 )')])
def test_a_meeting_that_does_not_exist_is_said_with_the_vendors_words(vendor_message, said):
    client = make_client(access_token='acc-unit-1')
    body = {'error_code': 'MMC.111070005'}
    if vendor_message:
        body['error_msg'] = vendor_message
    scripted(client, {PATH_DETAILS: [response(400, body)]})
    with pytest.raises(MeetingError) as caught:
        client.meeting_details()
    assert str(caught.value) == ('Meeting %s does not exist: the service has no meeting with that ID %s; '
                                 'check conference_id.' % (MEETING, said))
    assert caught.value.no_such_meeting and caught.value.error_msg == vendor_message


# --- every call of the contract, as API.md's table of calls writes it ----------------

ACCESS = {'X-Access-Token': 'acc-1'}
CONTROL = {'X-Conference-Authorization': 'ctl-1'}


@pytest.mark.parametrize('call, method, path, params, body, auth', [
    (lambda c: c.online_details(), 'GET', PATH_ONLINE, {'conferenceID': MEETING}, None, ACCESS),
    (lambda c: c.start_meeting('pw-9'), 'POST', PATH_START, None, {'conferenceID': MEETING, 'password': 'pw-9'},
     ACCESS),
    (lambda c: c.meeting_details(), 'GET', PATH_DETAILS, {'conferenceID': MEETING}, None, ACCESS),
    (lambda c: c.list_meetings(search='Sync', offset=5, limit=7), 'GET', PATH_LIST,
     {'offset': 5, 'limit': 7, 'queryAll': 'true', 'searchKey': 'Sync'}, None, ACCESS),
    (lambda c: c.list_meetings(online=True), 'GET', PATH_LIST_ONLINE,
     {'offset': 0, 'limit': client_module.LIST_PAGE_SIZE, 'queryAll': 'true'}, None, ACCESS),
    (lambda c: c.realtime_info(), 'GET', PATH_REALTIME, {'conferenceID': MEETING}, None, CONTROL),
    (lambda c: c.set_recording(True), 'PUT', PATH_RECORD, {'conferenceID': MEETING}, {'isRecord': 1}, CONTROL),
    (lambda c: c.set_recording(False), 'PUT', PATH_RECORD, {'conferenceID': MEETING}, {'isRecord': 0}, CONTROL),
    (lambda c: c.set_live(True), 'PUT', client_module.PATH_LIVE, {'conferenceID': MEETING}, {'isLive': 1}, CONTROL),
    (lambda c: c.set_live(False), 'PUT', client_module.PATH_LIVE, {'conferenceID': MEETING}, {'isLive': 0}, CONTROL),
    (lambda c: c.broadcast('p-3'), 'PUT', client_module.PATH_BROADCAST, {'conferenceID': MEETING, 'participantID': 'p-3'},
     None, CONTROL),
    (lambda c: c.cancel_broadcast(), 'PUT', client_module.PATH_CANCEL_BROADCAST, {'conferenceID': MEETING}, None,
     CONTROL),
], ids=['online', 'start', 'details', 'list', 'list-online', 'realtime', 'record-on', 'record-off', 'live-on',
        'live-off', 'broadcast', 'cancel-broadcast'])
def test_each_call_is_sent_as_the_contract_writes_it(call, method, path, params, body, auth):
    client = make_client(access_token='acc-1', conference_token='ctl-1')
    session = scripted(client, {path: [response(200, {'data': []})]})
    call(client)
    [sent] = session.requests
    assert (sent['method'], sent['path'], sent['params'], sent['json']) == (method, path, params, body)
    assert {name: sent['headers'].get(name) for name in auth} == auth
    other = 'X-Conference-Authorization' if auth is ACCESS else 'X-Access-Token'
    assert other not in sent['headers']  # a call carries its own token only


@pytest.mark.parametrize('call, words', [
    (lambda c: c.set_recording(True), 'Could not start recording for meeting %s' % MEETING),
    (lambda c: c.set_recording(False), 'Could not stop recording for meeting %s' % MEETING),
    (lambda c: c.set_live(True), 'Could not start the live broadcast for meeting %s' % MEETING),
    (lambda c: c.set_live(False), 'Could not stop the live broadcast for meeting %s' % MEETING),
    (lambda c: c.broadcast('p-3'), 'Could not broadcast participant p-3 for meeting %s' % MEETING),
])
def test_a_refused_write_says_what_was_tried(call, words):
    client = make_client(conference_token='ctl-1', retries=0)
    scripted(client, {path: [response(400, {'error_code': 'MMC.111072050', 'error_msg': 'locked'})]
                      for path in (PATH_RECORD, client_module.PATH_LIVE, client_module.PATH_BROADCAST)})
    with pytest.raises(MeetingError) as caught:
        call(client)
    # the whole sentence: no request ID was given, so none is said
    assert str(caught.value) == words + ': HTTP 400, error MMC.111072050 "locked" (the meeting is locked)'
    assert caught.value.error_code == 'MMC.111072050'


def test_an_html_page_without_a_title_is_said_by_its_text_without_tags():
    description = parse_error(response(503, text='<html><body><h1>Service\n Unavailable</h1><p>try later</p></body></html>'))[2]
    assert description == 'an HTML page, probably from a proxy or gateway in between (Service Unavailable try later)'


def test_a_meeting_error_is_an_exception_like_any_other():
    import copy
    error = MeetingError('Could not X: HTTP 400', status=400, error_code='X.1', request_id='r-1')
    assert error.args == ('Could not X: HTTP 400',) and str(error) == 'Could not X: HTTP 400'
    copied = copy.copy(error)  # through __reduce__, as pickling does: args carry the message
    assert str(copied) == str(error) and copied.to_result() == error.to_result()
