# hwcloud.meeting.meeting_check, the preflight of one meeting, with real
# ansible-playbook runs against the simulator: what it finds ready, each
# problem in words, the calls it makes (none that changes anything), and no
# secret in its output.
import pytest

from .conftest import assert_no_secret, run_task

KEYNOTE, WEBINAR, ENDED = '900000001', '900000002', '900000003'
APP = dict(app_id='it-app-id', app_key='it-app-key-4f9c2a81', user_id='it-user')
DETAILS = ('GET', '/v1/mmc/management/conferences/confDetail')
LOGIN = ('POST', '/v2/usg/acs/auth/appauth')


@pytest.fixture
def owned(sim):
    """The app's user scheduled every meeting: its login may read their details."""
    for meeting in (KEYNOTE, WEBINAR, ENDED):
        sim.set_meeting(meeting, owner='it-user')
    return sim


def calls(sim):
    return [(call['method'], call['path']) for call in sim.calls]


def writes(sim):
    return [call for call in sim.calls if call['method'] in ('POST', 'PUT') and call['path'] != LOGIN[1]]


def test_a_scheduled_meeting_is_ready_with_one_call_of_its_details(owned, tmp_path):
    run, result = run_task(owned, tmp_path, 'meeting_check', dict(APP, conference_id=WEBINAR, broadcast=False))
    assert not result.get('failed'), result
    assert result['ready'] is True and result['problems'] == [] and result['changed'] is False
    assert result['msg'] == 'Meeting %s is ready (scheduled, host password from the details)' % WEBINAR
    assert result['meeting']['state'] == 'Schedule' and result['meeting']['in_progress'] is False
    assert calls(owned) == [LOGIN, DETAILS]  # the details once: the password came from the same answer
    # the limit the gateway's headers said (the simulator's nominal one when it does not enforce)
    assert result['gateway_limit']['window'] == 60.0 and result['gateway_limit']['limit'] > 0
    assert_no_secret(run, owned)


def test_an_ended_meeting_and_a_missing_speaker_are_named_together(owned, tmp_path):
    run, result = run_task(owned, tmp_path, 'meeting_check', dict(APP, conference_id=ENDED, broadcast=True))
    assert result['failed'] is True and result['ready'] is False
    assert result['msg'] == ('Meeting %s is not ready: it is to broadcast a participant, but none is named (set '
                             'keynote_speaker for it, or event_broadcast: false); it has ended.' % ENDED)
    assert not writes(owned)
    assert_no_secret(run, owned)


def test_a_wrong_host_password_is_found_in_the_details(owned, tmp_path):
    run, result = run_task(owned, tmp_path, 'meeting_check', dict(APP, conference_id=WEBINAR,
                                                                  host_password='not-the-host-password'))
    assert result['failed'] is True
    assert result['problems'] == ["host_password is not the meeting's host password (its details say another)"]
    assert calls(owned) == [LOGIN, DETAILS]
    assert 'not-the-host-password' not in run.out
    assert_no_secret(run, owned)


def test_a_speaker_who_has_not_joined_a_meeting_in_progress(owned, tmp_path):
    run, result = run_task(owned, tmp_path, 'meeting_check', dict(APP, conference_id=KEYNOTE, broadcast=True,
                                                                  participant='Guest Star'))
    assert result['failed'] is True
    assert result['problems'] == ["'Guest Star', the participant to broadcast, has not joined it (in the meeting: "
                                  "Bob Smith (pid-bob-1), Bob Smith (pid-bob-2), Event Producer (pid-producer), "
                                  "Keynote Speaker (pid-speaker))"]
    assert result['meeting']['participant_joined'] is False
    assert not writes(owned)
    assert_no_secret(run, owned)


def test_a_speaker_who_has_joined_makes_the_meeting_ready(owned, tmp_path):
    _run, result = run_task(owned, tmp_path, 'meeting_check', dict(APP, conference_id=KEYNOTE, broadcast=True,
                                                                   participant='Keynote Speaker'))
    assert result['ready'] is True, result
    assert result['msg'] == ("Meeting %s is ready (in progress, host password from the details, 'Keynote "
                             "Speaker' has joined)" % KEYNOTE)
    # the participants from realTimeInfo, with a control token of the password just read
    assert calls(owned) == [LOGIN, DETAILS, ('GET', '/v1/mmc/control/conferences/token'),
                            ('GET', '/v1/mmc/control/conferences/realTimeInfo')]


def test_an_unknown_meeting_fails_in_one_sentence(owned, tmp_path):
    _run, result = run_task(owned, tmp_path, 'meeting_check', dict(APP, conference_id='900000999'))
    assert result['failed'] is True
    assert result['msg'].startswith('Meeting 900000999 does not exist')


def test_a_login_that_may_not_read_the_details_says_what_it_cannot_check(sim, tmp_path):
    _run, result = run_task(sim, tmp_path, 'meeting_check', dict(APP, conference_id=WEBINAR,
                                                                 host_password='it-host-pw-900002'))
    assert result['failed'] is True
    assert result['problems'] == ["this login may not read the meeting's details (only its scheduler or an "
                                  "administrator of the enterprise may), so the check cannot tell whether it is "
                                  "scheduled"]
    assert result['meeting']['host_password'] == 'given'


def test_a_refused_login_fails_before_anything_else(owned, tmp_path):
    _run, result = run_task(owned, tmp_path, 'meeting_check', dict(APP, conference_id=WEBINAR,
                                                                   app_key='wrong-app-key'))
    assert result['failed'] is True
    assert 'the App ID check failed' in result['msg'] and result['error_code'] == 'USG.206010025'
