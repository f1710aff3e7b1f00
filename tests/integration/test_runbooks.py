# The event-day runbooks of playbooks/, run as an operator would: the demo
# inventory (one host per meeting), forks, against the simulator with the
# demo meetings. Start, start again (nothing changes), status, stop, stop
# again, status; the simulator's own state is checked after each step.
import itertools
import os
import re

import pytest
from hwmeeting_sim import DEMO_MEETINGS, Simulator

from .conftest import ROOT, assert_no_secret, keep_output, run_playbook

INVENTORY = os.path.join(ROOT, 'tests', 'integration', 'inventory_host_passwords.yml')
KEYNOTE, BOARD, WEBINAR = '914044873', '914083136', '914047751'
SPEAKER_PID = 'c0a8000116f111eea1b2000000000002'


@pytest.fixture
def demo_sim():
    with Simulator(meetings_file=DEMO_MEETINGS) as simulator:
        yield simulator


RUNS = itertools.count()


def runbook(name, sim, *args):
    run = run_playbook(os.path.join(ROOT, 'playbooks', name + '.yml'), sim, '-i', INVENTORY, '-f', '3',
                       '-e', 'meeting_api_url=%s' % sim.url, *args)
    # docs/runbooks.md quotes these runs (tests/docs)
    keep_output('runbooks', '%s-%d-%d' % (name, os.getpid(), next(RUNS)), run.out)
    assert run.rc == 0, run
    assert 'Traceback' not in run.out
    assert_no_secret(run, sim)
    return run


def writes(sim):
    """The calls that change a meeting (logins and reads do not)."""
    return [call for call in sim.calls
            if call['method'] == 'PUT' or call['path'].endswith('/conferences/start')]


HOSTS = ('keynote', 'board', 'webinar')


def recap(run, hosts=HOSTS):
    """{host: {'ok': n, 'changed': n, 'failed': n, ...}} from PLAY RECAP,
    which must name exactly ``hosts``: a check over every host of a recap that
    parsed as empty (or missed a host) would pass without checking anything."""
    counts = {}
    for host, figures in re.findall(r'^(\w+)\s+:\s+(ok=.*)$', run.out, re.MULTILINE):
        counts[host] = {key: int(value) for key, value in re.findall(r'(\w+)=(\d+)', figures)}
    # the runbook's first play checks on the controller that there are meetings
    assert counts.pop('localhost', {}).get('failed', 0) == 0, run.out[-3000:]
    assert sorted(counts) == sorted(hosts), 'PLAY RECAP names %s, not %s:\n%s' % (
        sorted(counts), sorted(hosts), run.out[-3000:])
    return counts


def status_lines(run):
    return sorted(set(re.findall(r'"msg": "(\w+ \(\d+\): [^"]*)"', run.out)))


def test_event_start_status_stop(demo_sim):
    first = runbook('event_start', demo_sim)
    assert {host: counts['changed'] for host, counts in recap(first).items()} == \
        {'keynote': 4, 'board': 3, 'webinar': 3}
    for meeting_id in (KEYNOTE, BOARD, WEBINAR):
        meeting = demo_sim.meeting(meeting_id)
        assert (meeting['state'], meeting['recording'], meeting['live']) == ('Created', True, True), meeting_id
    assert demo_sim.meeting(KEYNOTE)['mode'] == 'BROADCAST'
    assert demo_sim.meeting(KEYNOTE)['broadcast_pid'] == SPEAKER_PID

    # Again: activation, recording and broadcast are verified from the push
    # and unchanged; the live broadcast is the one step that cannot verify
    # (the vendor publishes no live state), so it is sent again and changed.
    again = runbook('event_start', demo_sim, '-v')
    assert {host: (counts['changed'], counts['failed']) for host, counts in recap(again).items()} == \
        {'keynote': (1, 0), 'board': (1, 0), 'webinar': (1, 0)}, again.out
    assert_only_live_unverified(again)

    status = runbook('event_status', demo_sim)
    assert status_lines(status) == [
        'board (914083136): in progress, recording on, live unknown, broadcast none, 3 in the meeting',
        'keynote (914044873): in progress, recording on, live unknown, broadcast Keynote Speaker, 3 in the meeting',
        'webinar (914047751): in progress, recording on, live unknown, broadcast none, 2 in the meeting',
    ]

    stop = runbook('event_stop', demo_sim)
    assert recap(stop)['keynote']['changed'] == 3
    for meeting_id in (KEYNOTE, BOARD, WEBINAR):
        meeting = demo_sim.meeting(meeting_id)
        assert (meeting['recording'], meeting['live'], meeting['mode']) == (False, False, 'FREE'), meeting_id

    stop_again = runbook('event_stop', demo_sim, '-v')
    assert all(counts['changed'] == 1 for counts in recap(stop_again).values())
    assert_only_live_unverified(stop_again)

    after = runbook('event_status', demo_sim)
    assert 'keynote (914044873): in progress, recording off, live unknown, broadcast none, 3 in the meeting' \
        in status_lines(after)


def assert_only_live_unverified(run):
    """Every task result of a -v run: state_verified is false for
    meeting_live only, and every changed task is a live one."""
    text = ' '.join(run.out.split())
    assert text.count('The vendor publishes no live streaming state') == len(HOSTS)
    assert 'did not report' not in text and 'could not be read' not in text
    verified = re.findall(r'"state_verified": (true|false)', run.out)
    assert verified.count('false') == len(HOSTS) and 'true' in verified


def test_steps_can_be_switched_off(demo_sim):
    runbook('event_start', demo_sim, '-e', 'event_live=false', '-e', 'event_broadcast=false',
            '--limit', 'board')
    board = demo_sim.meeting(BOARD)
    assert (board['state'], board['recording'], board['live']) == ('Created', True, False)
    assert demo_sim.meeting(KEYNOTE)['state'] == 'Schedule'


def test_status_of_meetings_not_in_progress_does_not_fail(demo_sim):
    status = runbook('event_status', demo_sim)
    assert status_lines(status) == [
        'board (914083136): not in progress',
        'keynote (914044873): not in progress',
        'webinar (914047751): not in progress',
    ]
    assert all(call['method'] == 'GET' for call in demo_sim.calls)


def test_a_dry_run_before_the_event_writes_nothing(demo_sim):
    dry = runbook('event_start', demo_sim, '--check', '--diff')
    assert {host: counts['changed'] for host, counts in recap(dry).items()} == \
        {'keynote': 1, 'board': 1, 'webinar': 1}  # "Would activate"; the rest cannot be known yet
    assert writes(demo_sim) == []
    assert all(demo_sim.meeting(meeting_id)['state'] == 'Schedule' for meeting_id in (KEYNOTE, BOARD, WEBINAR))


def test_a_dry_run_during_the_event_says_what_would_change(demo_sim):
    runbook('event_start', demo_sim, '-e', 'event_live=false')
    demo_sim.clear_calls()
    dry = runbook('event_start', demo_sim, '--check', '--diff')
    assert {host: counts['changed'] for host, counts in recap(dry).items()} == \
        {'keynote': 1, 'board': 1, 'webinar': 1}  # only the live stream would start
    assert dry.out.count('+    "live": true') == 3  # the diff of each meeting
    assert writes(demo_sim) == []
    assert not any(demo_sim.meeting(meeting_id)['live'] for meeting_id in (KEYNOTE, BOARD, WEBINAR))


def test_stop_after_the_meetings_ended_is_ok(demo_sim):
    for meeting_id in (KEYNOTE, BOARD, WEBINAR):
        demo_sim.set_meeting(meeting_id, state='Destroyed')
    stop = runbook('event_stop', demo_sim)
    assert all(counts['changed'] == 0 for counts in recap(stop).values())
    status = runbook('event_status', demo_sim)
    assert status_lines(status) == [
        'board (914083136): not in progress (ended)',
        'keynote (914044873): not in progress (ended)',
        'webinar (914047751): not in progress (ended)',
    ]


def test_an_empty_runbook_variable_counts_as_unset(demo_sim):
    # an empty AWX extra variable: the module falls back to HWMEETING_API_URL
    run = run_playbook(os.path.join(ROOT, 'playbooks', 'event_status.yml'), demo_sim, '-i', INVENTORY,
                       '-e', 'meeting_api_url=', env={'HWMEETING_API_URL': demo_sim.url})
    assert run.rc == 0, run
    assert len(status_lines(run)) == 3


def test_status_says_unknown_for_what_the_service_does_not_report(demo_sim):
    runbook('event_start', demo_sim, '-e', 'event_live=false')
    # No push (a proxy refuses it), and a deployment whose confInfo reports
    # the state, less these fields:
    demo_sim.inject_fault('/cms/open/websocket/confctl/increment/conn', status=403, count=100)
    demo_sim.configure(confinfo_state=True)
    demo_sim.set_meeting(KEYNOTE, omit_fields=['state'])
    demo_sim.set_meeting(BOARD, omit_fields=['recState', 'liveState'])
    demo_sim.set_meeting(WEBINAR, omit_fields=['mode'])
    status = runbook('event_status', demo_sim)
    assert status_lines(status) == [
        'board (914083136): in progress, recording unknown, live unknown, broadcast none, 3 in the meeting',
        'keynote (914044873): in progress (as far as the service says), recording on, live off, '
        'broadcast Keynote Speaker, 3 in the meeting',
        'webinar (914047751): in progress, recording on, live off, broadcast unknown, 2 in the meeting',
    ]
    assert all(counts['changed'] == 0 and counts['failed'] == 0 for counts in recap(status).values())


def test_a_blank_keynote_speaker_skips_the_broadcast(demo_sim):
    # AWX sends an unanswered optional survey question as null
    runbook('event_start', demo_sim, '-e', '{"keynote_speaker": null}', '--limit', 'keynote')
    keynote = demo_sim.meeting(KEYNOTE)
    assert keynote['recording'] and keynote['mode'] == 'FREE'
