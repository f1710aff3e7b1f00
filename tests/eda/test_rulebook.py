"""A real ansible-rulebook run of the event guard (hwcloud.meeting.event_guard,
as `make collection` installed it) against the simulator over HTTPS: the
recording is stopped through the simulator's admin interface and the
rulebook starts it again; the keynote speaker leaves and rejoins and the
rulebook broadcasts them again; the meeting ends, the source ends and
ansible-rulebook shuts down.

Bounded: every wait has a ceiling (a failure, never a timing assertion);
ansible-rulebook's start-up (the JVM) takes several seconds.
"""
import os

import pytest

from hwmeeting_sim import Simulator, SimulatorAdmin

from guard import GuardRun, missing

MEETINGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'simulator',
                        'demo_meetings.yml')
KEYNOTE = '914044873'
HOST_PASSWORD = '118822'
ACCOUNT = 'demo@example.com'
ACCOUNT_PASSWORD = 'demo-account-password-not-secret'
SPEAKER = 'c0a8000116f111eea1b2000000000002'
RECORD = '/v1/mmc/control/conferences/record'
BROADCAST = '/v1/mmc/control/conferences/participants/broadcast'
# Ceilings, not expectations: ansible-rulebook starts a JVM, and each action
# runs ansible-playbook through ansible-runner.
START = 120
HEAL = 120


@pytest.fixture
def simulator():
    with Simulator(meetings_file=MEETINGS, tls=True) as sim:
        yield sim


def test_event_guard_heals_recording_and_keynote_then_shuts_down(simulator, tmp_path):
    problem = missing()
    assert problem is None, problem  # `make test` installs what the run needs
    admin = SimulatorAdmin(simulator.url, ca_path=simulator.ca_path)
    people = simulator.meeting(KEYNOTE)['participants']
    # The event runs: recording, the keynote speaker broadcast.
    admin.set_meeting(KEYNOTE, state='Created', recording=True, mode='BROADCAST', broadcast_pid=SPEAKER)
    run = GuardRun(str(tmp_path), meetings=[{'conference_id': KEYNOTE, 'host_password': HOST_PASSWORD}],
                   keynote_speakers=['Keynote Speaker'],
                   environment={'HWMEETING_API_URL': simulator.url, 'HWMEETING_CA_PATH': simulator.ca_path,
                                'HWMEETING_ACCOUNT': ACCOUNT, 'HWMEETING_ACCOUNT_PASSWORD': ACCOUNT_PASSWORD},
                   verbose=True)
    run.start()
    try:
        run.wait_for_text('Guarding meeting %s: in progress True, recording True' % KEYNOTE, START)
        simulator.clear_calls()

        # 10:40, the recording stops.
        admin.set_meeting(KEYNOTE, recording=False)
        run.wait_for(lambda: admin.meeting(KEYNOTE)['recording'], HEAL, 'recording started again')
        records = [call for call in admin.calls if call['path'] == RECORD]
        assert [(call['method'], call['status']) for call in records] == [('PUT', 200)]
        assert 'Recording of meeting %s stopped while the event runs: starting it again' % KEYNOTE in run.output

        # The keynote speaker drops out (and with them the broadcast), then rejoins.
        admin.set_meeting(KEYNOTE, participants=[p for p in people if p['pid'] != SPEAKER], mode='FREE',
                          broadcast_pid='')
        admin.set_meeting(KEYNOTE, participants=people)
        run.wait_for(lambda: admin.meeting(KEYNOTE)['broadcast_pid'] == SPEAKER, HEAL,
                     'the keynote speaker broadcast again')
        assert admin.meeting(KEYNOTE)['mode'] == 'BROADCAST'
        assert [call['status'] for call in admin.calls if call['path'] == BROADCAST] == [200]
        assert 'Keynote Speaker rejoined meeting %s: broadcasting them again' % KEYNOTE in run.output

        # The event ends: the source ends, ansible-rulebook shuts down on its own.
        admin.set_meeting(KEYNOTE, state='Destroyed')
        code = run.wait(START)
    finally:
        run.stop()
    output = run.output
    assert code == 0, output
    assert 'Meeting %s has ended: no longer guarded' % KEYNOTE in output
    assert 'Source hwcloud.meeting.meeting_events initiated shutdown' in output
    # The recording was restarted once, the speaker broadcast once: the
    # events of those writes themselves (recording_started, broadcast_changed)
    # start nothing.
    assert len([call for call in simulator.calls if call['path'] == RECORD]) == 1
    assert len([call for call in simulator.calls if call['path'] == BROADCAST]) == 1
    for secret in [HOST_PASSWORD, ACCOUNT_PASSWORD] + simulator.issued_tokens():
        assert secret not in output
