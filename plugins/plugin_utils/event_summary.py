# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The end of a runbook: what every meeting's tasks registered, summed up.

The runbooks (playbooks/) run each meeting's steps in a block whose rescue
records the failure (the failed task's name and the module's ``msg``) in a
fact, so a meeting that fails does not count against its ``serial`` batch and
the later batches still run. Their last play reads, on the controller, what
every meeting registered (never the meetings again) and gives it to
``summarise()``: one outcome per meeting, the counts, the meetings that need a
person with the module's own sentence, and the command that re-runs just
those. Pure functions of plain data, so the unit tests need no Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shlex

# Outcomes, worst first: a meeting's outcome is the worst of its steps'.
FAILED = 'failed'
UNVERIFIED = 'unverified'
DRIFTED = 'not_as_started'
NOT_IN_PROGRESS = 'not_in_progress'
CHANGED = 'changed'
CONVERGED = 'converged'

# What each runbook counts, in the order the counts line says them.
COUNTED = {
    'event_start': (CONVERGED, CHANGED, FAILED, UNVERIFIED, NOT_IN_PROGRESS),
    'event_stop': (CONVERGED, CHANGED, FAILED, UNVERIFIED, NOT_IN_PROGRESS),
    # event_status changes nothing: a meeting is as event_start leaves it
    # (converged), or not (not_as_started), or not in progress, or unread.
    'event_status': (CONVERGED, DRIFTED, FAILED, UNVERIFIED, NOT_IN_PROGRESS),
}
WORDS = {CONVERGED: 'converged', CHANGED: 'changed', FAILED: 'failed', UNVERIFIED: 'unverified',
         NOT_IN_PROGRESS: 'not in progress', DRIFTED: 'not as started'}
# event_status calls a converged meeting by what it checked.
STATUS_WORDS = dict(WORDS, **{CONVERGED: 'as started'})
# A meeting that is not in progress needs a person after event_start, or
# when event_status finds it; after event_stop it is what was asked.
NEEDS_PERSON = {
    'event_start': (FAILED, UNVERIFIED, NOT_IN_PROGRESS),
    'event_stop': (FAILED, UNVERIFIED),
    'event_status': (FAILED, UNVERIFIED, NOT_IN_PROGRESS, DRIFTED),
}
# The modules' own words for a step that did nothing because the meeting is
# not in progress (control.py's converge).
NOT_IN_PROGRESS_WORDS = 'the meeting is not in progress'
NOT_TRIED = 'was not tried: the run ended before its batch'
# The summary names at most this many meetings, one a line; the re-run line,
# the artifacts and the status page have them all.
MAX_LINES = 25


def _result(value):
    """A registered result, or None for a step that did not run or was skipped."""
    if not isinstance(value, dict) or not value or value.get('skipped'):
        return None
    return value


def _text(value):
    return ' '.join(str(value).split()) if value is not None else ''


def _failure(meeting):
    failure = meeting.get('failure')
    if isinstance(failure, dict) and (failure.get('msg') or failure.get('step')):
        return _text(failure.get('msg')) or 'failed at "%s"' % _text(failure.get('step'))
    for result in meeting.get('results', []):
        if isinstance(result, dict) and result.get('failed'):
            return _text(result.get('msg')) or 'failed'
    return None


def step_outcome(meeting, always_sent=()):
    """(outcome, reason) of a meeting of event_start or event_stop.

    ``meeting``: {'failure': the rescue's fact or None, 'results': {step:
    registered result}}. A step in ``always_sent`` is one whose state the
    service may not report at all (the live stream on the vendor's service):
    when it says state_verified false, its call was sent as asked, and it
    counts neither as changed nor as unverified (else every meeting would)."""
    reason = _failure(dict(meeting, results=list((meeting.get('results') or {}).values())))
    if reason:
        return FAILED, reason
    results = [(step, _result(value)) for step, value in (meeting.get('results') or {}).items()]
    if not any(isinstance(value, dict) and value for _step, value in (meeting.get('results') or {}).items()):
        return FAILED, NOT_TRIED
    ran = [(step, result) for step, result in results if result is not None]
    for step, result in ran:
        if result.get('state_verified') is False and step not in always_sent:
            return UNVERIFIED, _text(result.get('msg'))
    if any(result.get('changed') and not (step in always_sent and result.get('state_verified') is False)
           for step, result in ran):
        return CHANGED, ''
    for _step, result in ran:
        if NOT_IN_PROGRESS_WORDS in _text(result.get('msg')):
            return NOT_IN_PROGRESS, _text(result.get('msg'))
    return CONVERGED, ''


def broadcast_text(meeting):
    """Who is broadcast, in words: a name (or ID), 'none', or 'unknown'."""
    participant = meeting.get('broadcast_participant')
    if participant:
        return participant.get('name') or participant.get('pid') or 'someone'
    return 'unknown' if meeting.get('mode') is None else 'none'


def _is_speaker(participant, speaker):
    return bool(participant) and speaker in (participant.get('name'), participant.get('phone'), participant.get('pid'))


def status_row(name, conference_id, meeting_vars):
    """One meeting of event_status: a row of the page, with its outcome and
    its problem in words ('' when none). ``meeting_vars``: {'failure',
    'results': {'status': meeting_info's result}, 'keynote_speaker'}."""
    row = {'name': name, 'conference_id': conference_id, 'in_progress': None, 'recording': None, 'live': None,
           'broadcast': 'unknown', 'participants': None, 'outcome': CONVERGED, 'problem': ''}
    reason = _failure(dict(meeting_vars, results=list((meeting_vars.get('results') or {}).values())))
    status = _result((meeting_vars.get('results') or {}).get('status'))
    if reason or status is None:
        row.update(outcome=FAILED, problem='could not be read: %s' % (reason or NOT_TRIED))
        return row
    meeting = status.get('meeting') or {}
    row.update(conference_id=meeting.get('conference_id') or conference_id, in_progress=meeting.get('in_progress'),
               recording=meeting.get('recording'), live=meeting.get('live'), broadcast=broadcast_text(meeting),
               participants=meeting.get('participant_count'))
    if meeting.get('in_progress') is False:
        ended = '(it has ended)' in _text(status.get('msg'))
        row.update(outcome=NOT_IN_PROGRESS, problem='not in progress (ended)' if ended else 'not in progress',
                   recording=None, live=None, broadcast='', participants=None)
        return row
    speaker = _text(meeting_vars.get('keynote_speaker'))
    problems, unknown = [], []
    if meeting.get('recording') is False:
        problems.append('recording off')
    elif meeting.get('recording') is None:
        unknown.append('recording unknown')
    if speaker:
        participant = meeting.get('broadcast_participant')
        if participant is None and meeting.get('mode') is None:
            unknown.append('broadcast unknown (should be %s)' % speaker)
        elif not _is_speaker(participant, speaker):
            problems.append('broadcasting %s, not %s' % (broadcast_text(meeting), speaker))
    if problems:
        row.update(outcome=DRIFTED, problem='; '.join(problems + unknown))
    elif unknown:
        row.update(outcome=UNVERIFIED, problem='; '.join(unknown))
    return row


def rerun_command(runbook, names, inventory_sources=(), forks=None, check_mode=False, diff_mode=False):
    """The command that runs ``runbook`` again on ``names`` alone."""
    words = ['ansible-playbook', 'hwcloud.meeting.%s' % runbook]
    for source in inventory_sources or ():
        words += ['-i', str(source)]
    if forks and int(forks) != 5:
        words += ['-f', str(int(forks))]
    if check_mode:
        words.append('--check')
    if diff_mode:
        words.append('--diff')
    words += ['--limit', ','.join(names)]
    return ' '.join(shlex.quote(word) for word in words)


def summarise(runbook, meetings, always_sent=(), inventory_sources=(), forks=None, check_mode=False,
              diff_mode=False, rerun_runbook=None, fail_on_problems=False, read_at=None, max_lines=MAX_LINES):
    """The summary of a run. ``meetings``: a list, in inventory order, of
    {'name', 'conference_id', 'failure', 'results': {step: result}, and for
    event_status 'keynote_speaker'}. Returns counts, needs_person, rerun,
    lines (what the runbook prints), fail_msg ('' when the run succeeded),
    and for event_status the rows of the page."""
    if runbook not in COUNTED:
        raise ValueError('unknown runbook %r: one of %s' % (runbook, ', '.join(sorted(COUNTED))))
    rows, needs_person = [], []
    counts = dict((outcome, 0) for outcome in COUNTED[runbook])
    for meeting in meetings:
        name, conference_id = _text(meeting.get('name')), _text(meeting.get('conference_id'))
        if runbook == 'event_status':
            row = status_row(name, conference_id, meeting)
            rows.append(row)
            outcome, reason = row['outcome'], row['problem']
        else:
            outcome, reason = step_outcome(meeting, always_sent)
        counts[outcome] = counts.get(outcome, 0) + 1
        if outcome in NEEDS_PERSON[runbook]:
            needs_person.append({'meeting': name, 'conference_id': conference_id, 'outcome': outcome,
                                 'reason': reason or WORDS[outcome]})
    words = STATUS_WORDS if runbook == 'event_status' else WORDS
    total = len(meetings)
    lines = ['%s: %d meeting%s: %s' % (runbook, total, '' if total == 1 else 's',
                                       ', '.join('%d %s' % (counts[outcome], words[outcome])
                                                 for outcome in COUNTED[runbook]))]
    rerun = ''
    if needs_person:
        lines.append('%d need%s a person:' % (len(needs_person), 's' if len(needs_person) == 1 else ''))
        for item in needs_person[:max_lines]:
            lines.append('  %s (%s): %s' % (item['meeting'], item['conference_id'] or 'no conference_id',
                                            item['reason']))
        if len(needs_person) > max_lines:
            lines.append('  ... and %d more (the re-run line and the artifacts name them all)'
                         % (len(needs_person) - max_lines))
        rerun_runbook = rerun_runbook or runbook
        rerun = rerun_command(rerun_runbook, [item['meeting'] for item in needs_person],
                              inventory_sources, forks, check_mode, diff_mode)
        if rerun_runbook == runbook:
            lines.append("Re-run just these (add this run's -e options): %s" % rerun)
        else:
            lines.append("Run %s on just these (add this run's -e options): %s" % (rerun_runbook, rerun))
    else:
        lines.append('Nothing needs a person.')
    failed = counts.get(FAILED, 0)
    fail_msg = ''
    if failed:
        fail_msg = ('%d of %d meeting%s failed (listed above); once the cause is fixed, re-run them with the '
                    'line above.' % (failed, total, '' if total == 1 else 's'))
    elif fail_on_problems and needs_person:
        fail_msg = ('%d of %d meeting%s need%s a person (listed above).'
                    % (len(needs_person), total, '' if total == 1 else 's', 's' if len(needs_person) == 1 else ''))
    summary = {'runbook': runbook, 'meetings': total, 'counts': counts, 'needs_person': needs_person,
               'rerun': rerun, 'lines': lines, 'fail_msg': fail_msg,
               # what set_stats keeps for AWX: no row of every meeting
               'stats': {'meetings': total, 'counts': counts, 'needs_person': needs_person, 'rerun': rerun}}
    if runbook == 'event_status':
        summary['rows'] = rows
        summary['read_at'] = read_at
    return summary
