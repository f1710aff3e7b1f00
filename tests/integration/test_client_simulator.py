# The HTTP client against the running simulator: every call of the service contract (docs/dev/service_contract.md), the
# vendor's error answers, and transient faults survived (or reported clearly).
import pytest

from ansible_collections.hwcloud.meeting.plugins.module_utils import client as client_module
from ansible_collections.hwcloud.meeting.plugins.module_utils.auth import PATH_APP_LOGIN, PATH_CONTROL_TOKEN
from ansible_collections.hwcloud.meeting.plugins.module_utils.client import PATH_REALTIME, PATH_RECORD, MeetingClient
from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import MeetingError
from ansible_collections.hwcloud.meeting.plugins.module_utils.ratelimit import pacer_for
from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import read_meeting

from .conftest import fixture_secrets

KEYNOTE, WEBINAR, ENDED = '900000001', '900000002', '900000003'
APP = dict(app_id='it-app-id', app_key='it-app-key-4f9c2a81', user_id='it-user')
ACCOUNT = dict(account='it-ops@example.com', account_password='it-account-password-7d31c')


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch):
    # Keep the retry waits short; the policy itself is unit-tested.
    monkeypatch.setattr(client_module, 'BACKOFF_FACTOR', 0.01)
    monkeypatch.setattr(client_module, 'BACKOFF_JITTER', 0.01)


def client_for(sim, conference_id=KEYNOTE, rate_limit_wait=300.0, **options):
    settings = dict(api_url=sim.url, conference_id=conference_id, timeout=5, retries=3)
    settings.update(options)
    return MeetingClient(pacer_for(settings.get('cache'), rate_limit_wait), **settings)


def served(sim):
    return [(call['method'], call['path'], call['status']) for call in sim.calls]


def test_every_call_of_the_api(sim):
    webinar = client_for(sim, WEBINAR, host_password='it-host-pw-900002', **APP)
    assert webinar.online_details() is None
    answer = webinar.start_meeting('it-host-pw-900002')
    assert answer['regionIP']
    assert webinar.online_details()['conferenceData']['conferenceState'] == 'Created'

    keynote = client_for(sim, KEYNOTE, host_password='it-host-pw-900001')
    assert keynote.credentials.fetch_push_url() == sim.ws_url  # wsURL came with the control token
    assert keynote.credentials.fetch_ws_token()
    # the rest reads confInfo's state: a deployment that reports it (the vendor's does not)
    sim.configure(confinfo_state=True)
    meeting, unreported = read_meeting(KEYNOTE, keynote.realtime_info())
    assert unreported == set() and meeting['recording'] is False
    keynote.set_recording(True)
    keynote.set_live(True)
    keynote.broadcast('pid-speaker')
    meeting, _unreported = read_meeting(KEYNOTE, keynote.realtime_info())
    assert (meeting['recording'], meeting['live'], meeting['mode']) == (True, True, 'BROADCAST')
    assert meeting['broadcast_participant']['name'] == 'Keynote Speaker'
    keynote.cancel_broadcast()
    keynote.set_recording(False)
    keynote.set_live(False)
    assert sim.meeting(KEYNOTE)['mode'] == 'FREE'
    assert not sim.meeting(KEYNOTE)['recording'] and not sim.meeting(KEYNOTE)['live']

    account = client_for(sim, WEBINAR, **ACCOUNT)
    assert account.online_details() is not None
    assert [call[1] for call in served(sim)].count(PATH_CONTROL_TOKEN) == 1  # fetched once, then reused
    assert all(status == 200 or path.endswith('confDetail') for _method, path, status in served(sim))


@pytest.mark.parametrize('conference_id, password, code', [
    (WEBINAR, 'wrong', 'MMC.111072065'),
    ('999999999', 'whatever', 'MMC.111072065'),
    (WEBINAR, '', 'MMC.111070009'),
    (ENDED, 'it-host-pw-900003', 'MMC.111072006'),
])
def test_activation_errors(sim, conference_id, password, code):
    with pytest.raises(MeetingError) as caught:
        client_for(sim, conference_id, **APP).start_meeting(password)
    assert caught.value.status == 400 and caught.value.error_code == code
    assert caught.value.request_id
    assert conference_id in str(caught.value)


@pytest.mark.parametrize('conference_id, password, code', [
    (KEYNOTE, 'wrong', 'MMC.111072065'),
    (WEBINAR, 'it-host-pw-900002', 'MMC.111070005'),
    (ENDED, 'it-host-pw-900003', 'MMC.111072006'),
])
def test_control_token_errors(sim, conference_id, password, code):
    with pytest.raises(MeetingError) as caught:
        client_for(sim, conference_id, host_password=password).realtime_info()
    assert caught.value.error_code == code
    assert 'get a control token' in str(caught.value)


@pytest.mark.parametrize('credentials, code', [
    (dict(APP, app_key='not-the-key'), 'USG.206010025'),
    (dict(ACCOUNT, account_password='not-the-password'), 'USG.206010000'),
])
def test_login_errors(sim, credentials, code):
    with pytest.raises(MeetingError) as caught:
        client_for(sim, KEYNOTE, **credentials).credentials.log_in()
    assert caught.value.status == 401 and caught.value.error_code == code


def test_multi_tenant_app_login_signs_the_corp_id(sim):
    client = client_for(sim, KEYNOTE, app_id='it-mt-app-id', app_key='it-mt-app-key-91b3', user_id='it-user',
                        corp_id='it-corp-1')
    assert client.credentials.log_in()
    assert served(sim) == [('POST', PATH_APP_LOGIN, 200)]


def test_expired_access_token_logs_in_again(sim):
    client = client_for(sim, KEYNOTE, **APP)
    client.credentials.log_in()
    sim.expire_tokens('access')
    sim.clear_calls()
    assert client.online_details() is not None
    assert [path for _method, path, _status in served(sim)] == [
        client_module.PATH_ONLINE, PATH_APP_LOGIN, client_module.PATH_ONLINE]


def test_expired_control_token_is_renewed_once(sim):
    client = client_for(sim, KEYNOTE, host_password='it-host-pw-900001')
    client.realtime_info()
    sim.expire_tokens('control')
    sim.clear_calls()
    client.set_recording(True)
    assert served(sim) == [('PUT', PATH_RECORD, 401), ('GET', PATH_CONTROL_TOKEN, 200), ('PUT', PATH_RECORD, 200)]
    assert sim.meeting(KEYNOTE)['recording'] is True


def test_two_503s_then_success(sim):
    sim.inject_fault(PATH_REALTIME, count=2, status=503)
    client = client_for(sim, conference_token=None, host_password='it-host-pw-900001')
    assert client.realtime_info()['confInfo']['chairID']
    assert [status for _method, path, status in served(sim) if path == PATH_REALTIME] == [503, 503, 200]


def test_429_with_retry_after_is_waited_for(sim):
    sim.inject_fault(PATH_RECORD, count=1, status=429, retry_after='1')
    client = client_for(sim, host_password='it-host-pw-900001')
    client.set_recording(True)
    writes = [call for call in sim.calls if call['path'] == PATH_RECORD]
    assert [call['status'] for call in writes] == [429, 200]
    # The simulator's own clock: the retry came at least Retry-After after
    # the 429 (the backoff alone is 0.01 s here).
    assert writes[1]['time'] - writes[0]['time'] >= 1.0
    assert sim.meeting(KEYNOTE)['recording'] is True


def test_a_dropped_connection_is_retried(sim):
    sim.inject_fault(PATH_REALTIME, count=1, drop=True)
    client = client_for(sim, host_password='it-host-pw-900001')
    assert client.realtime_info()['confInfo']
    assert [status for _method, path, status in served(sim) if path == PATH_REALTIME] == [0, 200]


def test_a_persistent_500_fails_with_status_and_request_id(sim):
    sim.inject_fault(PATH_REALTIME, count=10, status=500)
    client = client_for(sim, host_password='it-host-pw-900001', retries=2)
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    assert caught.value.status == 500 and caught.value.request_id
    assert caught.value.request_id in str(caught.value) and 'HTTP 500' in str(caught.value)
    assert [status for _method, path, status in served(sim) if path == PATH_REALTIME] == [500, 500, 500]


@pytest.mark.parametrize('body, words', [
    ('<html><head><title>502 Bad Gateway</title></head></html>', 'HTML page'),
    ('', 'an empty body'),
])
def test_proxy_answers_are_described(sim, body, words):
    sim.inject_fault(PATH_REALTIME, count=10, status=502, body=body)
    client = client_for(sim, host_password='it-host-pw-900001', retries=0)
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    assert words in str(caught.value) and 'HTTP 502' in str(caught.value)


def test_a_broken_body_is_retried(sim):
    sim.inject_fault(PATH_REALTIME, count=1, broken_body=True)
    client = client_for(sim, host_password='it-host-pw-900001')
    assert client.realtime_info()['confInfo']['chairID']


def test_a_slow_answer_times_out_clearly(sim):
    sim.inject_fault(PATH_REALTIME, count=10, delay=1.5)
    client = client_for(sim, host_password='it-host-pw-900001', timeout=0.3, retries=1)
    with pytest.raises(MeetingError) as caught:
        client.realtime_info()
    assert 'no answer from %s within 0.3 seconds, 2 attempt(s)' % sim.url in str(caught.value)


def test_errors_never_carry_a_secret(sim):
    messages = []
    for options in (dict(APP, app_key='it-app-key-4f9c2a81-wrong'), dict(host_password='it-host-pw-900001-wrong'),
                    dict(ACCOUNT, account_password='it-account-password-7d31c-wrong')):
        try:
            client = client_for(sim, KEYNOTE, **options)
            client.credentials.log_in() if 'host_password' not in options else client.realtime_info()
        except MeetingError as error:
            messages.append(str(error) + repr(error.to_result()))
    assert len(messages) == 3
    for secret in fixture_secrets() + sim.issued_tokens():
        assert all(secret not in message for message in messages)


def recorded_sends(meeting_client, method, path, auth='control'):
    """The sends the client's pacer recorded for one API."""
    bucket = meeting_client.credentials.gateway_bucket(method, path, auth)
    with meeting_client.pacer.store.update(bucket) as raw:
        return list(raw.get('sends', []))


@pytest.mark.parametrize('fault', [dict(status=503, count=2), dict(drop=True, count=2),
                                   dict(status=429, retry_after='0', count=1)],
                         ids=['two 503s', 'two dropped connections', 'a 429 with Retry-After'])
def test_the_pacer_records_every_send_urllib3_retries(sim, fault):
    # The gateway counts every send, retries included: a pacer that
    # recorded only a call's first attempt would let the next window
    # overflow after an outage (issue 25).
    keynote = client_for(sim, KEYNOTE, host_password='it-host-pw-900001')
    keynote.realtime_info()  # the control token first: its own API, its own bucket
    sim.inject_fault(PATH_REALTIME, **fault)
    keynote.realtime_info()
    served_here = [call for call in served(sim) if call[1] == PATH_REALTIME]
    assert len(served_here) == 2 + fault['count']
    assert len(recorded_sends(keynote, 'GET', PATH_REALTIME)) == len(served_here)


def test_a_resend_waits_for_the_window_like_a_first_send(sim):
    # A window of 2 calls a minute: a first call teaches the pacer the
    # limit; the next call and its first resend fill the window, so the
    # resend waits for the window instead of drawing a 429. With a bound
    # of 1 s it fails in the pacer's one sentence at once: two sends of the
    # API, not three.
    sim.configure(api_rate_limit=2, api_rate_window=60)
    keynote = client_for(sim, KEYNOTE, host_password='it-host-pw-900001', rate_limit_wait=1)
    keynote.realtime_info()
    sim.inject_fault(PATH_REALTIME, status=503, count=5)
    with pytest.raises(MeetingError) as caught:
        keynote.realtime_info()
    assert 'rate_limit_wait (1 s)' in str(caught.value) and caught.value.error_code == 'APIG.0308'
    assert [call[2] for call in served(sim) if call[1] == PATH_REALTIME] == [200, 503]
    assert not [call for call in served(sim) if call[2] == 429]
