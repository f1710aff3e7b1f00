# The summary at the end of the runbooks (plugin_utils/event_summary.py and
# the filter hwcloud.meeting.event_summary): plain data in, counts, the
# meetings that need a person and the re-run line out.
import shlex

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.hwcloud.meeting.plugins.filter.event_summary import event_summary
from ansible_collections.hwcloud.meeting.plugins.plugin_utils.event_summary import (
    MAX_LINES, NOT_TRIED, rerun_command, status_row, step_outcome, summarise)

LIVE_UNVERIFIED = {'changed': True, 'live': True, 'state_verified': False,
                   'msg': 'Live broadcast of meeting 1 started'}


def ok(msg='already', changed=False, verified=True, **extra):
    return dict({'changed': changed, 'state_verified': verified, 'msg': msg}, **extra)


def start_meeting(name, failure=None, **results):
    steps = {'start_activation': ok(), 'start_recording': ok(), 'start_live': LIVE_UNVERIFIED,
             'start_broadcast': {'skipped': True, 'changed': False}}
    steps.update(results)
    return {'name': name, 'conference_id': '9%08d' % len(name), 'failure': failure, 'results': steps}


def test_a_second_run_converges_though_the_live_stream_is_always_sent():
    assert step_outcome(start_meeting('a'), always_sent=['start_live']) == ('converged', '')
    # without declaring the live step, every meeting would be unverified
    assert step_outcome(start_meeting('a'))[0] == 'unverified'


def test_the_worst_step_makes_the_outcome():
    changed = start_meeting('a', start_recording=ok('Recording started', changed=True))
    assert step_outcome(changed, ['start_live']) == ('changed', '')
    unverified = start_meeting('a', start_recording=ok('Recording of meeting 1 started, not confirmed', True, False))
    assert step_outcome(unverified, ['start_live']) == ('unverified', 'Recording of meeting 1 started, not confirmed')
    failed = start_meeting('a', failure={'step': 'Start cloud recording', 'msg': 'Could not start: HTTP 503'})
    assert step_outcome(failed, ['start_live']) == ('failed', 'Could not start: HTTP 503')
    # a failed result registered, without the rescue's fact
    registered = start_meeting('a', start_recording={'failed': True, 'msg': 'Wrong host password'})
    assert step_outcome(registered, ['start_live']) == ('failed', 'Wrong host password')


def test_a_live_stream_the_service_reports_counts_like_any_step():
    verified_live = start_meeting('a', start_live=ok('Live broadcast of meeting 1 started', changed=True))
    assert step_outcome(verified_live, ['start_live'])[0] == 'changed'


def test_a_meeting_no_step_ran_on_was_not_tried():
    meeting = {'name': 'a', 'conference_id': '1', 'failure': None, 'results': {'start_activation': None}}
    assert step_outcome(meeting) == ('failed', NOT_TRIED)


def test_a_stop_on_a_meeting_not_in_progress():
    words = 'Recording of meeting 1 already stopped: the meeting is not in progress'
    meeting = {'name': 'a', 'failure': None, 'results': {'stop_recording': ok(words)}}
    assert step_outcome(meeting) == ('not_in_progress', words)


def test_three_problems_among_two_hundred_make_six_lines():
    meetings = [start_meeting('m%03d' % number, start_activation=ok('Meeting activated', changed=True))
                for number in range(200)]
    meetings[7]['failure'] = {'step': 'Activate the meeting', 'msg': 'Meeting 7 does not exist'}
    meetings[50]['failure'] = {'step': 'Start cloud recording', 'msg': 'Wrong host password'}
    meetings[120]['failure'] = {'step': 'Broadcast the keynote speaker', 'msg': 'Nobody is called Ann'}
    summary = summarise('event_start', meetings, always_sent=['start_live'], inventory_sources=['/x/inv.yml'],
                        forks=20)
    assert summary['lines'] == [
        'event_start: 200 meetings: 0 converged, 197 changed, 3 failed, 0 unverified, 0 not in progress',
        '3 need a person:',
        '  m007 (%s): Meeting 7 does not exist' % meetings[7]['conference_id'],
        '  m050 (%s): Wrong host password' % meetings[50]['conference_id'],
        '  m120 (%s): Nobody is called Ann' % meetings[120]['conference_id'],
        "Re-run just these (add this run's -e options): "
        'ansible-playbook hwcloud.meeting.event_start -i /x/inv.yml -f 20 --limit m007,m050,m120',
    ]
    assert summary['counts'] == {'converged': 0, 'changed': 197, 'failed': 3, 'unverified': 0, 'not_in_progress': 0}
    assert summary['fail_msg'].startswith('3 of 200 meetings failed')
    assert summary['stats'] == {'meetings': 200, 'counts': summary['counts'],
                                'needs_person': summary['needs_person'], 'rerun': summary['rerun']}
    assert [item['meeting'] for item in summary['needs_person']] == ['m007', 'm050', 'm120']


def test_nothing_needs_a_person():
    summary = summarise('event_start', [start_meeting('a')], always_sent=['start_live'])
    assert summary['lines'] == [
        'event_start: 1 meeting: 1 converged, 0 changed, 0 failed, 0 unverified, 0 not in progress',
        'Nothing needs a person.']
    assert summary['fail_msg'] == '' and summary['rerun'] == '' and summary['needs_person'] == []


def test_unverified_needs_a_person_but_does_not_fail_the_run_unless_asked():
    meetings = [start_meeting('a', start_recording=ok('not confirmed', True, False))]
    assert summarise('event_start', meetings, ['start_live'])['fail_msg'] == ''
    asked = summarise('event_start', meetings, ['start_live'], fail_on_problems=True)
    assert asked['fail_msg'] == '1 of 1 meeting needs a person (listed above).'


def test_many_problems_are_cut_to_a_screen_and_the_rerun_names_them_all():
    meetings = [start_meeting('m%03d' % number, failure={'step': 's', 'msg': 'down'}) for number in range(40)]
    summary = summarise('event_start', meetings)
    assert len(summary['lines']) == 1 + 1 + MAX_LINES + 1 + 1
    assert summary['lines'][-2] == '  ... and 15 more (the re-run line and the artifacts name them all)'
    assert shlex.split(summary['rerun'])[-1] == ','.join('m%03d' % number for number in range(40))


def test_the_rerun_line_keeps_the_mode_and_quotes():
    line = rerun_command('event_stop', ['a b', 'c'], ['/inv dir/x.yml'], forks=5, check_mode=True, diff_mode=True)
    assert shlex.split(line) == ['ansible-playbook', 'hwcloud.meeting.event_stop', '-i', '/inv dir/x.yml',
                                 '--check', '--diff', '--limit', 'a b,c']


def status(meeting, msg='Meeting is in progress'):
    return {'results': {'status': {'changed': False, 'msg': msg, 'meeting': meeting}}, 'failure': None}


IN_PROGRESS = {'conference_id': '1', 'in_progress': True, 'recording': True, 'live': None, 'mode': 'BROADCAST',
               'broadcast_participant': {'name': 'Ann', 'pid': 'p1', 'phone': '+1'}, 'participant_count': 3}


@pytest.mark.parametrize('change, speaker, outcome, problem', [
    ({}, 'Ann', 'converged', ''),
    ({}, '+1', 'converged', ''),
    ({'recording': False}, 'Ann', 'not_as_started', 'recording off'),
    ({'broadcast_participant': {'name': 'Bob', 'pid': 'p2'}}, 'Ann', 'not_as_started', 'broadcasting Bob, not Ann'),
    ({'broadcast_participant': None, 'mode': 'FREE'}, 'Ann', 'not_as_started', 'broadcasting none, not Ann'),
    ({'broadcast_participant': None, 'mode': 'FREE'}, None, 'converged', ''),
    ({'recording': None}, None, 'unverified', 'recording unknown'),
    ({'broadcast_participant': None, 'mode': None}, 'Ann', 'unverified', 'broadcast unknown (should be Ann)'),
    ({'in_progress': False}, 'Ann', 'not_in_progress', 'not in progress'),
])
def test_a_status_row(change, speaker, outcome, problem):
    row = status_row('a', '1', dict(status(dict(IN_PROGRESS, **change)), keynote_speaker=speaker))
    assert (row['outcome'], row['problem']) == (outcome, problem)


def test_a_status_row_of_an_ended_meeting_and_of_one_not_read():
    ended = status_row('a', '1', status({'conference_id': '1', 'in_progress': False},
                                        'Meeting 1 is not in progress (it has ended)'))
    assert (ended['outcome'], ended['problem']) == ('not_in_progress', 'not in progress (ended)')
    unread = status_row('a', '1', {'failure': {'step': 'Read', 'msg': 'Meeting 1 does not exist'}, 'results': {}})
    assert (unread['outcome'], unread['problem']) == ('failed', 'could not be read: Meeting 1 does not exist')


def test_a_status_summary_suggests_event_start():
    meetings = [dict(status(IN_PROGRESS), name='a', conference_id='1', keynote_speaker='Ann'),
                dict(status(dict(IN_PROGRESS, recording=False)), name='b', conference_id='2', keynote_speaker='Ann')]
    summary = summarise('event_status', meetings, rerun_runbook='event_start', read_at='2026-12-04T09:00:00+00:00')
    assert summary['lines'] == [
        'event_status: 2 meetings: 1 as started, 1 not as started, 0 failed, 0 unverified, 0 not in progress',
        '1 needs a person:',
        '  b (2): recording off',
        "Run event_start on just these (add this run's -e options): ansible-playbook hwcloud.meeting.event_start "
        '--limit b']
    assert [row['name'] for row in summary['rows']] == ['a', 'b'] and summary['fail_msg'] == ''


class FakeHostvars(dict):
    """hostvars: a mapping of a host's variables, in which an undefined
    variable raises on access."""


def test_the_filter_reads_what_hosts_registered():
    hostvars = FakeHostvars({
        'a': {'conference_id': '1', 'start_activation': ok(), 'start_recording': ok(), 'start_live': LIVE_UNVERIFIED},
        'b': {'conference_id': '2', 'event_start_failure': {'step': 'Activate the meeting', 'msg': 'HTTP 503'},
              'start_activation': {'failed': True, 'msg': 'HTTP 503'}},
    })
    steps = ['start_activation', 'start_recording', 'start_live', 'start_broadcast']
    summary = event_summary(hostvars, ['a', 'b', 'c'], 'event_start', steps=steps, failure='event_start_failure',
                            always_sent=['start_live'])
    assert summary['counts']['converged'] == 1 and summary['counts']['failed'] == 2
    assert [(item['meeting'], item['reason']) for item in summary['needs_person']] == [('b', 'HTTP 503'),
                                                                                       ('c', NOT_TRIED)]


def test_the_filter_refuses_an_unknown_runbook():
    with pytest.raises(AnsibleFilterError, match='unknown runbook'):
        event_summary({}, ['a'], 'event_begin', steps=[], failure='x')
