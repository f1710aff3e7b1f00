# Unit tests of each module's decision logic: realtime state in, calls and
# result out. The HTTP session is replaced by a script; no network.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import os

import pytest
import requests

from ansible_collections.hwcloud.meeting.plugins.module_utils import control
from ansible_collections.hwcloud.meeting.plugins.module_utils.auth import (
    PATH_APP_LOGIN,
    PATH_CONTROL_TOKEN,
    app_signature,
)
from ansible_collections.hwcloud.meeting.plugins.module_utils.client import (
    PATH_BROADCAST,
    PATH_CANCEL_BROADCAST,
    PATH_DETAILS,
    PATH_LIVE,
    PATH_ONLINE,
    PATH_REALTIME,
    PATH_RECORD,
    PATH_START,
)
from ansible_collections.hwcloud.meeting.plugins.modules import (
    meeting_activate,
    meeting_broadcast,
    meeting_info,
    meeting_live,
    meeting_record,
)

from ...helpers import run_module, run_module_with_output
from ..module_utils.fakes import FakeClock, ScriptedSession, response

CID = '914044873'
HOST_PASSWORD = 'host-pw-modules-1'
# These tests are about the realTimeInfo (confInfo) source; test_push_modules.py
# covers the meeting-status push.
CONTROL = dict(conference_id=CID, host_password=HOST_PASSWORD, state_source='realtime')
TOKEN = response(200, {'data': {'token': 'ctl-token-modules', 'confTokenExpireTime': 1800}})
NOT_IN_PROGRESS = response(400, {'error_code': 'MMC.111070005', 'error_msg': 'CONF_NOT_EXIST'})
EMPTY = response(200, text='')

PEOPLE = [
    {'pid': 'p-ada', 'name': 'Ada', 'phone': '+991', 'state': 0, 'video': 1, 'mute': 0, 'hand': 0},
    {'pid': 'p-bob', 'name': 'Bob', 'phone': '+992', 'state': 0, 'video': 1, 'mute': 1, 'hand': 0},
    {'pid': 'p-bob2', 'name': 'Bob', 'phone': '+993', 'state': 0, 'video': 0, 'mute': 0, 'hand': 0},
    {'pid': 'p-cy', 'name': 'Cy', 'phone': '+994', 'state': 1, 'video': 0, 'mute': 0, 'hand': 0},
]


def realtime(omit=(), **conf_info):
    info = dict(state='Created', recState=0, liveState=0, mode='FREE', broadcastPid='', chairID='p-ada', coHosts=[])
    info.update(conf_info)
    for field in omit:
        info.pop(field)
    return response(200, {'attendees': [], 'participants': PEOPLE, 'confInfo': info})


class PollingOn(AssertionError):
    """A read past those the test expects: a module that polls for ever
    fails the test with it instead of hanging it."""


@pytest.fixture
def service(monkeypatch):
    """Install a scripted service: service({path: [answers]}) -> the recorder."""
    def install(script):
        session = ScriptedSession(script)
        monkeypatch.setattr(requests.Session, 'request', lambda self, method, url, **kw: session(method, url, **kw))
        return session
    monkeypatch.setattr(control, 'POLL_FIRST_DELAY', 0.01)
    monkeypatch.setattr(control, 'POLL_MAX_DELAY', 0.01)
    return install


# --- meeting_record and meeting_live share one shape ------------------------------

FLAGS = [
    (meeting_record, 'recording', 'recState', PATH_RECORD, 'isRecord', 'Recording of meeting %s' % CID),
    (meeting_live, 'live', 'liveState', PATH_LIVE, 'isLive', 'Live broadcast of meeting %s' % CID),
]


@pytest.mark.parametrize('module, key, field, path, body_key, subject', FLAGS)
def test_flag_changes_when_it_differs(capsys, service, module, key, field, path, body_key, subject):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(**{field: 0})], path: [EMPTY]})
    result = run_module(module.main, dict(CONTROL, state='started'), capsys, diff=True)
    assert result['changed'] is True and result[key] is True and result['state_verified'] is True
    assert result['msg'] == '%s started' % subject
    assert result['diff'] == {'before': {key: False}, 'after': {key: True}}
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, path]
    assert calls.requests[-1]['json'] == {body_key: 1}
    assert calls.requests[-1]['method'] == 'PUT'


@pytest.mark.parametrize('module, key, field, path, body_key, subject', FLAGS)
def test_flag_is_left_alone_when_it_is_as_asked(capsys, service, module, key, field, path, body_key, subject):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(**{field: 1})]})
    result = run_module(module.main, dict(CONTROL, state='started'), capsys, diff=True)
    assert result['changed'] is False and result[key] is True
    assert result['msg'] == '%s already started' % subject
    assert result['diff'] == {'before': {key: True}, 'after': {key: True}}
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME]


@pytest.mark.parametrize('module, key, field, path, body_key, subject', FLAGS)
def test_flag_check_mode_reads_but_never_writes(capsys, service, module, key, field, path, body_key, subject):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(**{field: 1})]})
    result = run_module(module.main, dict(CONTROL, state='stopped'), capsys, check_mode=True)
    assert result['changed'] is True and result[key] is False
    assert result['msg'].startswith('Would stop')
    assert path not in calls.paths()


@pytest.mark.parametrize('module, key, field, path, body_key, subject', FLAGS)
def test_flag_check_mode_says_what_it_would_start(capsys, service, module, key, field, path, body_key, subject):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(**{field: 0})]})
    result = run_module(module.main, dict(CONTROL, state='started'), capsys, check_mode=True)
    assert result['changed'] is True and result[key] is True
    thing = {'recording': 'recording', 'live': 'the live broadcast'}[key]
    assert result['msg'] == 'Would start %s of meeting %s' % (thing, CID)
    assert path not in calls.paths()


@pytest.mark.parametrize('module, key, field, path, body_key, subject', FLAGS)
def test_flag_unknown_state_converges_and_says_so(capsys, service, module, key, field, path, body_key, subject):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(omit=[field])], path: [EMPTY]})
    result = run_module(module.main, dict(CONTROL, state='stopped', wait=True), capsys, diff=True)
    assert result['changed'] is True and result['state_verified'] is False
    assert result[key] is False
    assert result['diff']['before'] == {key: None}
    said = 'publishes no live streaming state' if field == 'liveState' else 'RealTimeInfo did not report'
    # one warning says both: the state is unknown, and the task does not wait for it
    assert len(result['warnings']) == 1, result['warnings']
    assert field in result['warnings'][0] and said in result['warnings'][0]
    assert result['warnings'][0].endswith('It does not wait for it either.')
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, path]
    assert calls.requests[-1]['json'] == {body_key: 0}


@pytest.mark.parametrize('module, key, field, path, body_key, subject', FLAGS)
def test_flag_wait_polls_until_reached(capsys, service, module, key, field, path, body_key, subject):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], path: [EMPTY],
                     PATH_REALTIME: [realtime(**{field: 0}), realtime(**{field: 0}), realtime(**{field: 1}),
                                     PollingOn('a read after the state was reached')]})
    result = run_module(module.main, dict(CONTROL, state='started', wait=True), capsys)
    assert result['changed'] is True
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, path, PATH_REALTIME, PATH_REALTIME]


@pytest.mark.parametrize('module, key, field, path, body_key, subject', FLAGS)
def test_flag_wait_times_out_with_a_message(capsys, service, module, key, field, path, body_key, subject):
    # The state read, and read once more (the first poll is at once): a
    # module that polls on past wait_timeout fails here instead of hanging.
    unchanged = realtime(**{field: 0})
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], path: [EMPTY],
                     PATH_REALTIME: [unchanged, unchanged, PollingOn('a read past wait_timeout')]})
    result = run_module(module.main, dict(CONTROL, state='started', wait=True, wait_timeout=0), capsys)
    assert result['failed'] is True and result['changed'] is True
    assert result['msg'] == '%s was not started within 0 seconds.' % subject
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, path, PATH_REALTIME]


@pytest.mark.parametrize('module, key, field, path, body_key, subject', FLAGS)
def test_flag_wait_polls_with_a_backoff_until_wait_timeout(capsys, service, monkeypatch, module, key, field,
                                                           path, body_key, subject):
    clock = FakeClock(now=0.0)  # time for control.py: monotonic() moved on only by sleep()
    monkeypatch.setattr(control, 'time', clock)
    monkeypatch.setattr(control, 'POLL_FIRST_DELAY', 0.25)
    monkeypatch.setattr(control, 'POLL_MAX_DELAY', 1.0)
    unchanged = realtime(**{field: 0})
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], path: [EMPTY],
                     PATH_REALTIME: [unchanged] * 1000 + [PollingOn('a read past wait_timeout')]})
    result = run_module(module.main, dict(CONTROL, state='started', wait=True, wait_timeout=2), capsys)
    assert result['failed'] is True
    assert result['msg'] == '%s was not started within 2 seconds.' % subject
    # reads at 0, 0.25, 0.75 and 1.75 s (the delay doubles up to POLL_MAX_DELAY);
    # the next one, at 2.75 s, would be past wait_timeout
    assert clock.slept == [0.25, 0.5, 1.0]
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, path] + [PATH_REALTIME] * 4


@pytest.mark.parametrize('module, key, field, path, body_key, subject', FLAGS)
def test_flag_on_a_meeting_not_in_progress_fails_with_the_vendor_code(capsys, service, module, key, field, path,
                                                                      body_key, subject):
    service({PATH_CONTROL_TOKEN: [NOT_IN_PROGRESS]})
    result = run_module(module.main, dict(CONTROL, state='started'), capsys)
    assert result['failed'] is True
    assert result['error_code'] == 'MMC.111070005' and result['status'] == 400
    assert CID in result['msg'] and 'activate it with hwcloud.meeting.meeting_activate' in result['msg']
    assert HOST_PASSWORD not in str(result)


ENDED = response(400, {'error_code': 'MMC.111072006', 'error_msg': 'CONF_ENDED'})


@pytest.mark.parametrize('answer', [NOT_IN_PROGRESS, ENDED], ids=['not in progress', 'ended'])
@pytest.mark.parametrize('module, key, field, path, body_key, subject', FLAGS)
def test_flag_stop_on_a_meeting_not_running_is_ok(capsys, service, module, key, field, path, body_key, subject,
                                                  answer):
    calls = service({PATH_CONTROL_TOKEN: [answer]})
    result = run_module(module.main, dict(CONTROL, state='stopped'), capsys, diff=True)
    assert 'failed' not in result and result['changed'] is False
    assert result[key] is False and result['state_verified'] is True
    assert result['msg'] == '%s already stopped: the meeting is not in progress' % subject
    assert result['diff'] == {'before': {key: False}, 'after': {key: False}}
    assert calls.paths() == [PATH_CONTROL_TOKEN]


@pytest.mark.parametrize('module', [meeting_record, meeting_live])
def test_state_is_required_and_checked(capsys, no_network, module):
    result = run_module(module.main, dict(CONTROL, state='start'), capsys)
    assert result['failed'] is True and 'started' in result['msg'] and 'stopped' in result['msg']


# --- meeting_broadcast ---------------------------------------------------------------

def broadcast_args(**extra):
    return dict(CONTROL, **extra)


@pytest.mark.parametrize('selector', [dict(participant='Ada'), dict(participant='+991'),
                                      dict(participant_id='p-ada')])
def test_broadcast_finds_the_participant(capsys, service, selector):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime()], PATH_BROADCAST: [EMPTY]})
    result = run_module(meeting_broadcast.main, broadcast_args(**selector), capsys, diff=True)
    assert result['changed'] is True
    assert result['broadcast_participant'] == {'pid': 'p-ada', 'name': 'Ada', 'phone': '+991'}
    assert result['diff'] == {'before': {'broadcast_participant': None},
                              'after': {'broadcast_participant': {'pid': 'p-ada', 'name': 'Ada', 'phone': '+991'}}}
    assert result['msg'] == 'Broadcast of Ada in meeting %s started' % CID
    assert calls.requests[-1]['path'] == PATH_BROADCAST
    assert calls.requests[-1]['params'] == {'conferenceID': CID, 'participantID': 'p-ada'}


def test_broadcast_already_on_is_not_changed(capsys, service):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(mode='BROADCAST', broadcastPid='p-ada')]})
    result = run_module(meeting_broadcast.main, broadcast_args(participant='Ada'), capsys)
    assert result['changed'] is False
    assert result['msg'] == 'Broadcast of Ada in meeting %s already started' % CID
    assert PATH_BROADCAST not in calls.paths()


def test_broadcast_of_someone_else_switches(capsys, service):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(mode='BROADCAST', broadcastPid='p-bob')],
                     PATH_BROADCAST: [EMPTY]})
    result = run_module(meeting_broadcast.main, broadcast_args(participant_id='p-ada'), capsys, diff=True)
    assert result['changed'] is True
    assert result['diff']['before'] == {'broadcast_participant': {'pid': 'p-bob', 'name': 'Bob', 'phone': '+992'}}
    assert calls.paths()[-1] == PATH_BROADCAST


@pytest.mark.parametrize('selector, words', [
    (dict(participant='Bob'), "Cannot broadcast participant 'Bob' in meeting %s: 2 participants match" % CID),
    (dict(participant='Zed'), "Cannot broadcast participant 'Zed' in meeting %s: nobody in the meeting matches" % CID),
    (dict(participant='Cy'), 'nobody in the meeting matches'),  # still ringing, not in the meeting
    (dict(participant_id='p-zed'), 'Cannot broadcast participant ID p-zed'),
])
def test_broadcast_of_nobody_or_several_fails_before_any_write(capsys, service, selector, words):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime()]})
    result = run_module(meeting_broadcast.main, broadcast_args(**selector), capsys)
    assert result['failed'] is True
    assert words in result['msg']
    assert 'Ada (p-ada), Bob (p-bob), Bob (p-bob2)' in result['msg']
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME]


def test_broadcast_absent_cancels_whatever_is_on(capsys, service):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(mode='BROADCAST', broadcastPid='p-bob')],
                     PATH_CANCEL_BROADCAST: [EMPTY]})
    result = run_module(meeting_broadcast.main, broadcast_args(state='absent'), capsys, diff=True)
    assert result['changed'] is True and result['broadcast_participant'] is None
    assert result['msg'] == 'Broadcast in meeting %s cancelled' % CID
    assert result['diff']['after'] == {'broadcast_participant': None}
    assert calls.paths()[-1] == PATH_CANCEL_BROADCAST


def test_broadcast_absent_on_an_ended_meeting_is_ok(capsys, service):
    service({PATH_CONTROL_TOKEN: [ENDED]})
    result = run_module(meeting_broadcast.main, broadcast_args(state='absent'), capsys)
    assert 'failed' not in result and result['changed'] is False and result['broadcast_participant'] is None


def test_broadcast_present_on_a_meeting_not_in_progress_fails(capsys, service):
    service({PATH_CONTROL_TOKEN: [NOT_IN_PROGRESS]})
    result = run_module(meeting_broadcast.main, broadcast_args(participant='Ada'), capsys)
    assert result['failed'] is True and result['error_code'] == 'MMC.111070005'


def test_broadcast_absent_when_free_does_nothing(capsys, service):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(mode='FREE', omit=['broadcastPid'])]})
    result = run_module(meeting_broadcast.main, broadcast_args(state='absent'), capsys)
    assert result['changed'] is False and result['state_verified'] is True
    assert PATH_CANCEL_BROADCAST not in calls.paths()


def test_broadcast_check_mode_does_not_write(capsys, service):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime()]})
    result = run_module(meeting_broadcast.main, broadcast_args(participant='Ada'), capsys, check_mode=True)
    assert result['changed'] is True and result['msg'] == 'Would broadcast Ada in meeting %s' % CID
    assert PATH_BROADCAST not in calls.paths()


def test_broadcast_unknown_mode_converges_unverified(capsys, service):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(omit=['mode', 'broadcastPid'])],
                     PATH_CANCEL_BROADCAST: [EMPTY]})
    result = run_module(meeting_broadcast.main, broadcast_args(state='absent'), capsys)
    assert result['changed'] is True and result['state_verified'] is False
    assert any('RealTimeInfo did not report who is broadcast in meeting %s' % CID in warning
               for warning in result['warnings']), result['warnings']
    assert calls.paths()[-1] == PATH_CANCEL_BROADCAST


@pytest.mark.parametrize('wait', [False, True])
def test_broadcast_present_when_mode_is_not_reported_broadcasts_unverified(capsys, service, wait):
    # The service says neither mode nor broadcastPid: the module cannot tell
    # whether Ada is on already, so it sends the broadcast, says changed, warns,
    # and does not wait for a state it cannot see.
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(omit=['mode', 'broadcastPid'])],
                     PATH_BROADCAST: [EMPTY]})
    result = run_module(meeting_broadcast.main, broadcast_args(participant='Ada', wait=wait), capsys, diff=True)
    assert 'failed' not in result
    assert result['changed'] is True and result['state_verified'] is False
    assert result['broadcast_participant'] == {'pid': 'p-ada', 'name': 'Ada', 'phone': '+991'}
    assert result['msg'] == 'Broadcast of Ada in meeting %s started' % CID
    assert result['diff'] == {'before': {'broadcast_participant': None},
                              'after': {'broadcast_participant': {'pid': 'p-ada', 'name': 'Ada', 'phone': '+991'}}}
    assert any('RealTimeInfo did not report who is broadcast in meeting %s' % CID in warning
               for warning in result['warnings']), result['warnings']
    assert len(result['warnings']) == 1, result['warnings']
    assert result['warnings'][0].endswith('It does not wait for it either.') is wait
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, PATH_BROADCAST]
    assert calls.requests[-1]['params'] == {'conferenceID': CID, 'participantID': 'p-ada'}


def test_broadcast_present_when_mode_is_not_reported_in_check_mode_writes_nothing(capsys, service):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(omit=['mode', 'broadcastPid'])]})
    result = run_module(meeting_broadcast.main, broadcast_args(participant='Ada'), capsys, check_mode=True)
    assert result['changed'] is True and result['state_verified'] is False
    assert result['msg'] == 'Would broadcast Ada in meeting %s' % CID
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME]


@pytest.mark.parametrize('args, words', [
    (dict(participant='Ada', participant_id='p-ada'), 'mutually exclusive'),
    (dict(), 'participant_id, participant'),
    (dict(participant='  '), 'participant must not be empty'),
])
def test_broadcast_bad_input_fails_before_any_call(capsys, no_network, args, words):
    result = run_module(meeting_broadcast.main, broadcast_args(**args), capsys)
    assert result['failed'] is True and words in result['msg'], result['msg']


def test_broadcast_absent_warns_about_an_unused_participant(capsys, service):
    service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime()]})
    result = run_module(meeting_broadcast.main, broadcast_args(state='absent', participant='Ada'), capsys)
    assert any('participant is not used with state=absent' in warning for warning in result['warnings'])


# --- meeting_activate ----------------------------------------------------------------

LOGIN = dict(app_id='app-modules', app_key='app-key-modules-1')
ACCESS = response(200, {'accessToken': 'acc-token-modules', 'validPeriod': 43200})
ONLINE = response(200, {'conferenceData': {'conferenceID': CID, 'conferenceState': 'Created'}, 'data': {}})


def test_activate_starts_a_meeting_that_is_not_in_progress(capsys, service):
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [NOT_IN_PROGRESS],
                     PATH_START: [response(200, {'uuid': 'x', 'regionIP': '100.94.23.40'})]})
    result = run_module(meeting_activate.main, dict(CONTROL, **LOGIN), capsys, diff=True)
    assert result['changed'] is True and result['in_progress'] is True
    assert result['region_ip'] == '100.94.23.40'
    assert result['msg'] == 'Meeting %s activated' % CID
    assert result['diff'] == {'before': {'in_progress': False}, 'after': {'in_progress': True}}
    assert calls.paths() == [PATH_APP_LOGIN, PATH_ONLINE, PATH_START]
    assert calls.requests[-1]['json'] == {'conferenceID': CID, 'password': HOST_PASSWORD}
    assert calls.requests[-1]['headers']['X-Access-Token'] == 'acc-token-modules'


def test_activate_leaves_a_meeting_in_progress_alone(capsys, service):
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [ONLINE]})
    result = run_module(meeting_activate.main, dict(CONTROL, **LOGIN), capsys)
    assert result['changed'] is False and result['msg'] == 'Meeting %s already in progress' % CID
    assert 'region_ip' not in result
    assert calls.paths() == [PATH_APP_LOGIN, PATH_ONLINE]


@pytest.mark.parametrize('state', ['Schedule', 'Destroying', 'something new'])
def test_activate_starts_a_meeting_the_online_check_names_in_another_state(capsys, service, state):
    # A 200 whose conferenceState is not Created is taken at its word: the
    # meeting is not in progress, so it is started.
    online = response(200, {'conferenceData': {'conferenceID': CID, 'conferenceState': state}})
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [online],
                     PATH_START: [response(200, {'uuid': 'x', 'regionIP': '100.94.23.40'})]})
    result = run_module(meeting_activate.main, dict(CONTROL, **LOGIN), capsys, diff=True)
    assert result['changed'] is True and result['msg'] == 'Meeting %s activated' % CID
    assert result['diff'] == {'before': {'in_progress': False}, 'after': {'in_progress': True}}
    assert calls.paths() == [PATH_APP_LOGIN, PATH_ONLINE, PATH_START]


def test_activate_takes_a_200_without_a_state_as_in_progress(capsys, service):
    online = response(200, {'conferenceData': {'conferenceID': CID}})
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [online]})
    result = run_module(meeting_activate.main, dict(CONTROL, **LOGIN), capsys)
    assert result['changed'] is False and result['msg'] == 'Meeting %s already in progress' % CID
    assert PATH_START not in calls.paths()


def test_activate_check_mode(capsys, service):
    # (a dry run reads the meeting's details: the online check cannot tell a typo from a scheduled meeting)
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [NOT_IN_PROGRESS], PATH_DETAILS: [DETAILS]})
    result = run_module(meeting_activate.main, dict(CONTROL, **LOGIN), capsys, check_mode=True)
    assert result['changed'] is True and result['msg'] == 'Would activate meeting %s' % CID
    assert PATH_START not in calls.paths()


def test_activate_an_ended_meeting_fails(capsys, service):
    ended = response(400, {'error_code': 'MMC.111072006', 'error_msg': 'CONF_ENDED'})
    service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [ended]})
    result = run_module(meeting_activate.main, dict(CONTROL, **LOGIN), capsys)
    assert result['failed'] is True and result['error_code'] == 'MMC.111072006'
    assert 'has ended' in result['msg']


@pytest.mark.parametrize('args, words', [
    (dict(CONTROL), 'no login credentials'),
    (dict(conference_id=CID), 'no login credentials'),
    (dict(conference_id=CID, app_id='app-modules'), 'app_id is set but app_key is missing'),
])
def test_activate_refuses_missing_credentials_before_any_call(capsys, no_network, args, words):
    result = run_module(meeting_activate.main, args, capsys)
    assert result['failed'] is True and words in result['msg']


DETAILS = response(200, {'conferenceData': {'conferenceID': CID, 'passwordEntry': [
    {'conferenceRole': 'chair', 'password': 'chair-pw-from-details'},
    {'conferenceRole': 'general', 'password': 'guest-pw-from-details'}]}})


def test_activate_without_host_password_reads_it_from_the_details(capsys, service):
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [NOT_IN_PROGRESS], PATH_DETAILS: [DETAILS],
                     PATH_START: [response(200, {'regionIP': '10.0.0.1'})], PATH_CONTROL_TOKEN: [TOKEN]})
    result = run_module(meeting_activate.main, dict(conference_id=CID, **LOGIN), capsys)
    assert result['changed'] is True and result['region_ip'] == '10.0.0.1'
    # and, while it knows the password, the control token for the tasks that follow
    assert calls.paths() == [PATH_APP_LOGIN, PATH_ONLINE, PATH_DETAILS, PATH_START, PATH_CONTROL_TOKEN]
    assert calls.requests[-1]['headers']['X-Password'] == 'chair-pw-from-details'
    calls.requests.pop()
    assert calls.requests[-1]['json'] == {'conferenceID': CID, 'password': 'chair-pw-from-details'}
    assert 'chair-pw-from-details' not in str(result) and 'guest-pw-from-details' not in str(result)


def test_activate_without_host_password_reads_no_details_when_in_progress(capsys, service):
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [ONLINE], PATH_DETAILS: [DETAILS]})
    result = run_module(meeting_activate.main, dict(conference_id=CID, **LOGIN), capsys)
    assert result['changed'] is False
    assert PATH_DETAILS not in calls.paths()


def test_control_without_host_password_uses_the_login(capsys, service):
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_DETAILS: [DETAILS], PATH_CONTROL_TOKEN: [TOKEN],
                     PATH_REALTIME: [realtime(recState=1)]})
    result = run_module(meeting_record.main, dict(conference_id=CID, state='started', **LOGIN), capsys)
    assert result['changed'] is False and result['recording'] is True
    assert calls.paths() == [PATH_APP_LOGIN, PATH_DETAILS, PATH_CONTROL_TOKEN, PATH_REALTIME]
    token_request = calls.requests[2]
    assert token_request['headers']['X-Password'] == 'chair-pw-from-details'


def test_control_refused_details_say_how_to_fix_it(capsys, service):
    refused = response(403, {'error_code': 'SIM.NOT_MEETING_OWNER', 'error_msg': 'not yours'})
    service({PATH_APP_LOGIN: [ACCESS], PATH_DETAILS: [refused]})
    result = run_module(meeting_info.main, dict(conference_id=CID, **LOGIN), capsys)
    assert result['failed'] is True and result['status'] == 403
    assert 'may not read' in result['msg'] and 'give host_password' in result['msg']
    assert "scheduler or an administrator" in result['msg']


@pytest.mark.parametrize('module', [meeting_record, meeting_live, meeting_info, meeting_broadcast])
def test_control_pairs_are_checked_when_the_login_reads_the_password(capsys, no_network, module):
    args = dict(conference_id=CID, account='ops@example.com', state='started', participant='Bob')
    if module in (meeting_info, meeting_broadcast):
        args.pop('state')
    if module is not meeting_broadcast:
        args.pop('participant')
    result = run_module(module.main, args, capsys)
    assert result['failed'] is True
    assert 'account is set but account_password is missing' in result['msg']


# --- meeting_info --------------------------------------------------------------------

def test_info_reads_everything(capsys, service):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN],
                     PATH_REALTIME: [realtime(recState=1, mode='BROADCAST', broadcastPid='p-bob')]})
    result = run_module(meeting_info.main, CONTROL, capsys, check_mode=True)
    meeting = result['meeting']
    assert result['changed'] is False and result['state_verified'] is True
    assert meeting['in_progress'] is True and meeting['recording'] is True and meeting['live'] is False
    assert meeting['broadcast_participant'] == {'pid': 'p-bob', 'name': 'Bob', 'phone': '+992'}
    assert meeting['participant_count'] == 3 and len(meeting['participants']) == 4
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME]


def test_info_on_a_meeting_not_in_progress_succeeds(capsys, service):
    service({PATH_CONTROL_TOKEN: [NOT_IN_PROGRESS]})
    result = run_module(meeting_info.main, CONTROL, capsys)
    assert 'failed' not in result
    assert result['meeting']['in_progress'] is False and result['meeting']['recording'] is None
    assert result['msg'] == 'Meeting %s is not in progress' % CID


def test_info_on_an_ended_meeting_succeeds(capsys, service):
    service({PATH_CONTROL_TOKEN: [ENDED]})
    result = run_module(meeting_info.main, CONTROL, capsys)
    assert 'failed' not in result and result['meeting']['in_progress'] is False
    assert result['msg'] == 'Meeting %s is not in progress (it has ended)' % CID


def test_info_unknown_fields_are_null_and_unverified(capsys, service):
    service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(omit=['liveState', 'recState'])]})
    result = run_module(meeting_info.main, CONTROL, capsys)
    assert result['meeting']['live'] is None and result['meeting']['recording'] is None
    assert result['meeting']['in_progress'] is True
    assert result['state_verified'] is False
    assert result['state_sources']['recording'] is None and result['state_sources']['in_progress'] == 'realtime'
    assert any('recState' in warning for warning in result['warnings'])


def test_info_live_alone_unreported_is_no_failure_to_verify(capsys, service):
    # The vendor publishes the live state nowhere: its absence is said in
    # state_sources, and not warned about on every status read.
    service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(omit=['liveState'])]})
    result = run_module(meeting_info.main, CONTROL, capsys)
    assert result['meeting']['live'] is None and result['meeting']['recording'] is False
    assert result['state_verified'] is True
    assert result['state_sources'] == {'in_progress': 'realtime', 'recording': 'realtime', 'live': None,
                                       'mode': 'realtime', 'broadcast_participant': 'realtime',
                                       'participants': 'realtime'}
    assert not [warning for warning in result.get('warnings', []) if 'did not report' in warning]


def test_info_when_the_service_does_not_say_whether_the_meeting_is_in_progress(capsys, service):
    service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(omit=['state'])]})
    result = run_module(meeting_info.main, CONTROL, capsys)
    assert 'failed' not in result and result['changed'] is False
    assert result['meeting']['in_progress'] is None  # unknown, not False
    assert result['meeting']['recording'] is False and result['meeting']['live'] is False
    assert result['msg'] == ('Realtime state of meeting %s read; the service did not say whether it is in progress'
                             % CID)
    assert result['state_verified'] is False
    assert any('did not report state of meeting %s' % CID in warning for warning in result['warnings'])


def test_info_other_failures_still_fail(capsys, service):
    service({PATH_CONTROL_TOKEN: [response(400, {'error_code': 'MMC.111072065', 'error_msg': 'AUTH_FAILED'})]})
    result = run_module(meeting_info.main, CONTROL, capsys)
    assert result['failed'] is True and result['error_code'] == 'MMC.111072065'


def test_issued_tokens_never_reach_the_output(capsys, service):
    service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [response(400, {
        'error_code': 'MMC.1', 'error_msg': 'bad token ctl-token-modules'})]})
    result = run_module(meeting_info.main, CONTROL, capsys)
    assert 'ctl-token-modules' not in str(result)


# --- credentials from the environment and corp_id, through a module ----------------------

ONLINE_OK = response(200, {'conferenceData': {'conferenceID': CID, 'conferenceState': 'Created'}})


def test_access_token_from_the_environment(capsys, service, monkeypatch):
    monkeypatch.setenv('HWMEETING_ACCESS_TOKEN', 'env-access-token-1')
    calls = service({PATH_ONLINE: [ONLINE_OK]})
    result, output = run_module_with_output(meeting_activate.main, dict(CONTROL), capsys)
    assert 'failed' not in result and result['changed'] is False
    assert calls.paths() == [PATH_ONLINE]  # no login: the token was given
    assert calls.requests[0]['headers']['X-Access-Token'] == 'env-access-token-1'
    assert 'env-access-token-1' not in output


def login_body_and_signature(calls):
    login = calls.requests[0]
    assert login['path'] == PATH_APP_LOGIN
    fields = dict(part.split('=', 1) for part in login['headers']['Authorization'].split(' ', 1)[1].split(','))
    return login['json'], fields['signature']


@pytest.mark.parametrize('how', ['option', 'environment'])
def test_corp_id_makes_a_multi_tenant_login(capsys, service, monkeypatch, how):
    args = dict(CONTROL, **LOGIN)
    if how == 'option':
        args['corp_id'] = 'corp-modules-7'
    else:
        monkeypatch.setenv('HWMEETING_CORP_ID', 'corp-modules-7')
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [ONLINE_OK]})
    result = run_module(meeting_activate.main, args, capsys)
    assert 'failed' not in result
    body, signature = login_body_and_signature(calls)
    assert body['corpId'] == 'corp-modules-7'
    # signed as a multi-tenant app: appId:corpId:userId:expireTime:nonce
    assert signature == app_signature(LOGIN['app_key'], LOGIN['app_id'], '', body['expireTime'], body['nonce'],
                                      'corp-modules-7')
    assert signature != app_signature(LOGIN['app_key'], LOGIN['app_id'], '', body['expireTime'], body['nonce'])


def test_without_corp_id_the_login_is_single_tenant(capsys, service):
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [ONLINE_OK]})
    run_module(meeting_activate.main, dict(CONTROL, **LOGIN), capsys)
    body, signature = login_body_and_signature(calls)
    assert body['corpId'] == ''
    assert signature == app_signature(LOGIN['app_key'], LOGIN['app_id'], '', body['expireTime'], body['nonce'])


def token_files(directory):
    return [name for name in os.listdir(directory) if name.endswith('.token')] if os.path.isdir(directory) else []


@pytest.mark.parametrize('setting, cached', [(None, True), ('false', False), ('no', False), ('true', True)])
def test_token_cache_from_the_environment(capsys, service, monkeypatch, setting, cached):
    if setting is not None:
        monkeypatch.setenv('HWMEETING_TOKEN_CACHE', setting)
    directory = os.environ['HWMEETING_TOKEN_CACHE_DIR']
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime()]})
    for _task in range(2):
        assert 'failed' not in run_module(meeting_info.main, CONTROL, capsys)
    assert calls.paths().count(PATH_CONTROL_TOKEN) == (1 if cached else 2)
    assert len(token_files(directory)) == (1 if cached else 0)


def test_token_cache_option_beats_the_environment(capsys, service, monkeypatch):
    monkeypatch.setenv('HWMEETING_TOKEN_CACHE', 'false')
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime()]})
    for _task in range(2):
        run_module(meeting_info.main, dict(CONTROL, token_cache=True), capsys)
    assert calls.paths().count(PATH_CONTROL_TOKEN) == 1


def test_activate_succeeds_when_handing_over_the_control_token_fails(capsys, service):
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [NOT_IN_PROGRESS], PATH_DETAILS: [DETAILS],
                     PATH_START: [response(200, {'regionIP': '10.0.0.1'})],
                     PATH_CONTROL_TOKEN: [response(400, {'error_code': 'MMC.111070005', 'error_msg': 'x'})]})
    result = run_module(meeting_activate.main, dict(conference_id=CID, **LOGIN), capsys)
    assert result['changed'] is True and not result.get('failed')
    assert calls.paths()[-1] == PATH_CONTROL_TOKEN


def test_activate_with_a_host_password_fetches_no_control_token(capsys, service):
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [NOT_IN_PROGRESS],
                     PATH_START: [response(200, {'regionIP': '10.0.0.1'})]})
    result = run_module(meeting_activate.main, dict(conference_id=CID, host_password='host-pw-7', **LOGIN), capsys)
    assert result['changed'] is True
    assert calls.paths() == [PATH_APP_LOGIN, PATH_ONLINE, PATH_START]


# A meeting ID that does not exist fails clearly, whatever the login: the
# meeting's details tell a meeting that is not running (details, 200) from
# one that does not exist (MMC.111070005).
NO_SUCH_MEETING = 'Meeting %s does not exist: the service has no meeting with that ID' % CID


@pytest.mark.parametrize('main, arguments', [
    (meeting_record.main, dict(state='stopped')),
    (meeting_live.main, dict(state='stopped')),
    (meeting_broadcast.main, dict(state='absent')),
    (meeting_info.main, {}),
], ids=['record', 'live', 'broadcast', 'info'])
def test_a_meeting_that_does_not_exist_fails_even_where_not_running_is_ok(capsys, service, main, arguments):
    service({PATH_APP_LOGIN: [ACCESS], PATH_DETAILS: [NOT_IN_PROGRESS]})
    result = run_module(main, dict(conference_id=CID, **dict(LOGIN, **arguments)), capsys)
    assert result['failed'] is True
    assert result['msg'].startswith(NO_SUCH_MEETING) and result['msg'].endswith('check conference_id.')
    assert result['error_code'] == 'MMC.111070005'


def test_a_meeting_that_exists_but_is_not_running_is_still_ok_to_stop(capsys, service):
    service({PATH_APP_LOGIN: [ACCESS], PATH_DETAILS: [DETAILS], PATH_CONTROL_TOKEN: [NOT_IN_PROGRESS]})
    result = run_module(meeting_record.main, dict(conference_id=CID, state='stopped', **LOGIN), capsys)
    assert not result.get('failed') and result['changed'] is False
    assert result['msg'].endswith('already stopped: the meeting is not in progress')


def test_activating_a_meeting_that_does_not_exist_fails_clearly(capsys, service):
    service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [NOT_IN_PROGRESS], PATH_DETAILS: [NOT_IN_PROGRESS]})
    result = run_module(meeting_activate.main, dict(conference_id=CID, **LOGIN), capsys)
    assert result['failed'] is True and result['msg'].startswith(NO_SUCH_MEETING)


@pytest.mark.parametrize('details, outcome', [
    (NOT_IN_PROGRESS, 'fails'),
    (response(403, {'error_code': 'SIM.NOT_MEETING_OWNER', 'error_msg': 'not yours'}), 'would activate'),
    (None, 'would activate'),
], ids=['no such meeting', 'details not readable', 'details read'])
def test_a_dry_run_of_an_activation_checks_that_the_meeting_exists(capsys, service, details, outcome):
    calls = service({PATH_APP_LOGIN: [ACCESS], PATH_ONLINE: [NOT_IN_PROGRESS],
                     PATH_DETAILS: [DETAILS if details is None else details]})
    result = run_module(meeting_activate.main, dict(conference_id=CID, host_password='host-pw-7', **LOGIN), capsys,
                        check_mode=True)
    if outcome == 'fails':
        assert result['failed'] is True and result['msg'].startswith(NO_SUCH_MEETING)
    else:
        assert result['msg'] == 'Would activate meeting %s' % CID and result['changed'] is True
    assert calls.paths() == [PATH_APP_LOGIN, PATH_ONLINE, PATH_DETAILS]


def test_warn_unverified_false_keeps_an_unverifiable_task_quiet(capsys, service):
    calls = service({PATH_CONTROL_TOKEN: [TOKEN], PATH_REALTIME: [realtime(omit=('liveState',))], PATH_LIVE: [EMPTY]})
    result = run_module(meeting_live.main, dict(CONTROL, state='started', wait=True, warn_unverified=False), capsys)
    assert result['changed'] is True and result['state_verified'] is False
    assert 'warnings' not in result
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME, PATH_LIVE]


@pytest.mark.parametrize('target, words', [
    (meeting_record.RECORDING, 'recording'),
    (meeting_live.LIVE, 'the live broadcast'),
    (meeting_broadcast.Broadcast(), 'who is broadcast'),
    (meeting_activate.Activation(), 'in progress'),  # no words of its own: its key's
])
def test_each_target_is_named_in_words_in_its_warnings(target, words):
    assert target.in_words() == words


def test_wait_polls_as_the_guide_says_half_a_second_then_doubling_to_two_seconds(capsys, service, monkeypatch):
    # docs/realtime_state.md: "... then every two seconds, until wait_timeout"
    monkeypatch.undo()  # the module's own delays, not the service fixture's short ones
    clock = FakeClock(now=0.0)
    monkeypatch.setattr(control, 'time', clock)
    unchanged = realtime(recState=0)
    service({PATH_CONTROL_TOKEN: [TOKEN], PATH_RECORD: [EMPTY],
             PATH_REALTIME: [unchanged] * 1000 + [PollingOn('a read past wait_timeout')]})
    result = run_module(meeting_record.main, dict(CONTROL, state='started', wait=True, wait_timeout=10), capsys)
    assert result['failed'] is True
    # reads at 0, 0.5, 1.5, 3.5, 5.5, 7.5 and 9.5 s; the next, at 11.5 s, would be past wait_timeout
    assert clock.slept == [0.5, 1.0, 2.0, 2.0, 2.0, 2.0]
