# Faults survived or reported clearly, module by module: real ansible-playbook
# runs, faults injected in the simulator. After every fault that is survived,
# the simulator's own state is the one asked for, and exactly one write was
# applied (none applied twice so as to flip the state back).
import pytest

from .conftest import run_task

KEYNOTE, WEBINAR = '900000001', '900000002'
CONTROL = dict(conference_id=KEYNOTE, host_password='it-host-pw-900001')
APP = dict(app_id='it-app-id', app_key='it-app-key-4f9c2a81', user_id='it-user')
REALTIME = '/v1/mmc/control/conferences/realTimeInfo'
TOKEN = '/v1/mmc/control/conferences/token'
ONLINE = '/v1/mmc/management/conferences/online/confDetail'
LOGIN = '/v2/usg/acs/auth/appauth'
WS_TOKEN = '/v1/mmc/control/conferences/wsToken'

# module: (arguments, the write it makes, the simulator state it leads to)
WRITERS = {
    'meeting_record': (dict(CONTROL, state='started'), '/v1/mmc/control/conferences/record',
                       lambda meeting: meeting['recording'] is True),
    'meeting_live': (dict(CONTROL, state='started'), '/v1/mmc/control/conferences/live',
                     lambda meeting: meeting['live'] is True),
    'meeting_broadcast': (dict(CONTROL, participant='Keynote Speaker'),
                          '/v1/mmc/control/conferences/participants/broadcast',
                          lambda meeting: meeting['broadcast_pid'] == 'pid-speaker'),
    'meeting_activate': (dict(APP, conference_id=WEBINAR, host_password='it-host-pw-900002'),
                         '/v1/mmc/management/conferences/start', lambda meeting: meeting['state'] == 'Created'),
}
MEETING_OF = {'meeting_activate': WEBINAR}
# The read every module starts with (with a control token in hand): the push
# token for the modules that read the meeting-status push first.
FIRST_READ = {'meeting_record': WS_TOKEN, 'meeting_live': REALTIME, 'meeting_broadcast': WS_TOKEN,
              'meeting_info': WS_TOKEN, 'meeting_activate': ONLINE}
# The first call whose lasting failure fails the task. A push that cannot be
# had does not (test_push.py): the modules that read it first fail on the
# control token call instead.
FAILING_READ = {'meeting_record': TOKEN, 'meeting_live': REALTIME, 'meeting_broadcast': TOKEN,
                'meeting_info': TOKEN, 'meeting_activate': ONLINE}
ARGUMENTS = dict({name: spec[0] for name, spec in WRITERS.items()}, meeting_info=CONTROL)
# The first call of a task with an empty token cache: the control token, whose
# answer brings the push token of the first push connection (no wsToken).
COLD_FIRST_READ = dict(FIRST_READ, meeting_record=TOKEN, meeting_broadcast=TOKEN, meeting_info=TOKEN)


def statuses(sim, path):
    return [call['status'] for call in sim.calls if call['path'] == path]


def assert_converged(sim, module, result):
    _arguments, write, reached = WRITERS[module]
    assert not result.get('failed'), result
    assert result['changed'] is True
    assert reached(sim.meeting(MEETING_OF.get(module, KEYNOTE)))
    assert statuses(sim, write).count(200) == 1  # applied once


@pytest.mark.parametrize('module', sorted(WRITERS))
def test_two_503s_on_the_write_then_success(sim, tmp_path, module):
    arguments, write, _reached = WRITERS[module]
    sim.inject_fault(write, count=2, status=503)
    _run, result = run_task(sim, tmp_path, module, arguments)
    assert_converged(sim, module, result)
    assert statuses(sim, write) == [503, 503, 200]


@pytest.mark.parametrize('module', sorted(COLD_FIRST_READ))
def test_429_with_retry_after_on_the_read(sim, tmp_path, module):
    sim.inject_fault(COLD_FIRST_READ[module], count=1, status=429, retry_after='1')
    _run, result = run_task(sim, tmp_path, module, ARGUMENTS[module])
    assert not result.get('failed'), result
    # then the answer itself: 400 "not in progress" is the online check's way
    # of saying the webinar still has to be activated
    assert statuses(sim, COLD_FIRST_READ[module])[:2] == [429, 400 if module == 'meeting_activate' else 200]
    if module in WRITERS:
        assert_converged(sim, module, result)


@pytest.mark.parametrize('module', sorted(WRITERS))
def test_a_dropped_connection_on_the_write(sim, tmp_path, module):
    arguments, write, _reached = WRITERS[module]
    sim.inject_fault(write, count=1, drop=True)
    _run, result = run_task(sim, tmp_path, module, arguments)
    assert_converged(sim, module, result)
    assert statuses(sim, write) == [0, 200]


@pytest.mark.parametrize('module', sorted(FAILING_READ))
def test_a_persistent_500_fails_with_status_and_request_id(sim, tmp_path, module):
    sim.inject_fault(FAILING_READ[module], count=50, status=500)
    run, result = run_task(sim, tmp_path, module, dict(ARGUMENTS[module], retries=1))
    assert result['failed'] is True
    assert result['status'] == 500 and result['request_id']
    assert 'HTTP 500' in result['msg'] and result['request_id'] in result['msg']
    assert MEETING_OF.get(module, KEYNOTE) in result['msg']
    assert statuses(sim, FAILING_READ[module]) == [500, 500]  # retries: 1 means two attempts
    assert 'Traceback' not in run.out


@pytest.mark.parametrize('body, words', [
    ('<html><head><title>502 Bad Gateway</title></head><body><center>nginx</center></body></html>',
     'an HTML page, probably from a proxy or gateway in between (502 Bad Gateway)'),
    ('', 'an empty body'),
], ids=['html', 'empty'])
@pytest.mark.parametrize('module', sorted(FAILING_READ))
def test_proxy_answers_give_a_clear_message(sim, tmp_path, module, body, words):
    sim.inject_fault(FAILING_READ[module], count=50, status=502, body=body)
    run, result = run_task(sim, tmp_path, module, dict(ARGUMENTS[module], retries=0))
    assert result['failed'] is True and result['status'] == 502
    assert words in result['msg']
    assert 'Traceback' not in run.out and 'Traceback' not in result.get('exception', '')


@pytest.mark.parametrize('module', sorted(WRITERS))
def test_tokens_that_expire_between_two_tasks_are_renewed(sim, tmp_path, module):
    arguments, write, _reached = WRITERS[module]
    warm = dict(APP, conference_id=KEYNOTE, host_password='it-host-pw-900001') \
        if module == 'meeting_activate' else CONTROL
    _run, first = run_task(sim, tmp_path, 'meeting_activate' if module == 'meeting_activate' else 'meeting_info',
                           warm)
    assert not first.get('failed'), first
    sim.expire_tokens('all')
    sim.clear_calls()
    _run, result = run_task(sim, tmp_path, module, arguments)
    assert_converged(sim, module, result)
    renewal = LOGIN if module == 'meeting_activate' else TOKEN
    assert statuses(sim, FIRST_READ[module])[:1] == [401]
    assert statuses(sim, renewal) == [200]  # renewed once


@pytest.mark.parametrize('module', sorted(WRITERS))
def test_a_token_that_expires_mid_task_is_renewed(sim, tmp_path, module):
    arguments, write, _reached = WRITERS[module]
    sim.inject_fault(write, count=1, status=401, error_code='MMC.111070001', error_msg='token expired')
    _run, result = run_task(sim, tmp_path, module, arguments)
    assert_converged(sim, module, result)
    assert statuses(sim, write) == [401, 200]
    renewal = LOGIN if module == 'meeting_activate' else TOKEN
    assert statuses(sim, renewal) == [200, 200]  # the first token, and one renewal


def test_an_expired_control_token_given_alone_fails_saying_so(sim, tmp_path):
    token = sim_token(sim)
    sim.expire_tokens('control')
    _run, result = run_task(sim, tmp_path, 'meeting_record',
                            dict(conference_id=KEYNOTE, conference_token=token, state='started'))
    assert result['failed'] is True and result['status'] == 401
    assert 'control token (conference_token) was rejected' in result['msg'] and 'expired' in result['msg']
    assert sim.meeting(KEYNOTE)['recording'] is False


def sim_token(sim):
    import requests
    answer = requests.get(sim.url + TOKEN, params={'conferenceID': KEYNOTE},
                          headers={'X-Password': 'it-host-pw-900001', 'X-Login-Type': '1'}, timeout=10)
    return answer.json()['data']['token']


@pytest.mark.parametrize('module', sorted(FAILING_READ))
def test_an_answer_slower_than_the_timeout(sim, tmp_path, module):
    sim.inject_fault(FAILING_READ[module], count=10, delay=3)
    run, result = run_task(sim, tmp_path, module, dict(ARGUMENTS[module], timeout=1, retries=1))
    assert result['failed'] is True
    assert 'no answer from %s within 1.0 seconds, 2 attempt(s)' % sim.url in result['msg']
    assert 'raise timeout if it is just slow' in result['msg']
    assert 'Traceback' not in run.out


@pytest.mark.parametrize('module', ['meeting_record', 'meeting_broadcast'])
def test_a_persistent_500_on_the_push_token_leaves_the_task_converging(sim, tmp_path, module):
    arguments, write, _reached = WRITERS[module]
    # a control token in the cache, so that the task asks for a push token
    # (a fresh one's answer brings one)
    _run, first = run_task(sim, tmp_path, 'meeting_info', CONTROL)
    assert not first.get('failed'), first
    sim.clear_calls()
    sim.inject_fault(WS_TOKEN, count=50, status=500)
    run, result = run_task(sim, tmp_path, module, dict(arguments, retries=1))
    assert_converged(sim, module, result)
    assert result['state_verified'] is False
    assert statuses(sim, WS_TOKEN) == [500, 500]
    text = ' '.join(run.out.split())
    assert 'could not be read: the service gave no push token' in text and 'HTTP 500' in text
