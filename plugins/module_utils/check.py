# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The preflight of one meeting (hwcloud.meeting.meeting_check): is it ready
for the event? Reads, never writes: the meeting's details (the login, the
meeting's state, the host password), and for a meeting already in progress
with a participant to broadcast, its realtime participants."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.hwcloud.meeting.plugins.module_utils.client import PATH_DETAILS
from ansible_collections.hwcloud.meeting.plugins.module_utils.control import read_state
from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import MeetingError
from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import joined

SCHEDULED, IN_PROGRESS, ENDED = 'Schedule', 'Created', 'Destroyed'
STATE_WORDS = {SCHEDULED: 'scheduled', IN_PROGRESS: 'in progress', ENDED: 'ended'}
GIVEN, FROM_DETAILS = 'given', 'from the details'


def _details_data(answer):
    data = answer.get('conferenceData') if isinstance(answer, dict) else None
    return data if isinstance(data, dict) else {}


def _reason(error):
    """A MeetingError's sentence without its 'Could not ... for meeting N: '."""
    text = str(error).rstrip('.')
    return text.split(': ', 1)[1] if text.startswith('Could not') and ': ' in text else text


class MeetingCheck(object):
    """The checks of one meeting; ``problems`` collects what needs a person."""

    def __init__(self, module):
        self.module = module
        self.client = module.client
        self.problems = []
        self.meeting = dict(conference_id=module.conference_id, state=None, subject=None, start_time=None,
                            in_progress=None, host_password=None, participant_joined=None)
        self.speaker = (module.params['participant'] or '').strip() or None

    def run(self):
        if self.module.params['broadcast'] and not self.speaker:
            self.problems.append('it is to broadcast a participant, but none is named (set keynote_speaker for '
                                 'it, or event_broadcast: false)')
        details = self.read_details()
        password_ok = self.check_host_password(details)
        if self.speaker and self.meeting['in_progress'] and password_ok:
            self.check_speaker()

    def read_details(self):
        """The meeting's details (the login works, the meeting exists), or
        None when this login may not read them."""
        try:
            answer = self.client.meeting_details()
        except MeetingError as error:
            if error.status != 403:
                raise  # no such meeting, a refused login, a fault: the task fails with it
            self.problems.append("this login may not read the meeting's details (only its scheduler or an "
                                 "administrator of the enterprise may), so the check cannot tell whether it is "
                                 "scheduled")
            return None
        data = _details_data(answer)
        state = data.get('conferenceState')
        self.meeting.update(state=state, subject=data.get('subject'), start_time=data.get('startTime'),
                            in_progress=state == IN_PROGRESS)
        if state == ENDED:
            self.problems.append('it has ended')
        elif state not in STATE_WORDS:
            self.problems.append("the service says its state is '%s', neither scheduled nor in progress" % state)
        return answer

    def check_host_password(self, details):
        """True when a host password is at hand and, where the details
        show it, the right one."""
        given = self.module.params['host_password']
        if details is None:
            if given:
                self.meeting['host_password'] = GIVEN
                return True
            self.problems.append('no host_password is given, and this login may not read it from the details')
            return False
        try:
            chair = self.client.credentials.read_host_password()  # from the details just read: no call
        except MeetingError as error:
            if given:
                self.meeting['host_password'] = GIVEN
                return True
            self.problems.append(_reason(error))
            return False
        if given and given != chair:
            self.problems.append("host_password is not the meeting's host password (its details say another)")
            return False
        self.meeting['host_password'] = GIVEN if given else FROM_DETAILS
        return True

    def check_speaker(self):
        """For a meeting in progress: has the participant to broadcast joined?"""
        reading = read_state(self.module, ('participants',), push=False)
        people = joined(reading.meeting['participants'])
        matches = [person for person in people if self.speaker in (person['name'], person['phone'])]
        self.meeting['participant_joined'] = len(matches) == 1
        if len(matches) == 1:
            return
        names = ', '.join(sorted('%s (%s)' % (person['name'], person['pid']) for person in people)) or 'nobody'
        if matches:
            self.problems.append("%d participants match '%s'; broadcast by participant ID (in the meeting: %s)"
                                 % (len(matches), self.speaker, names))
        else:
            self.problems.append("'%s', the participant to broadcast, has not joined it (in the meeting: %s)"
                                 % (self.speaker, names))

    def summary(self):
        """'scheduled, host password from the details'."""
        parts = [STATE_WORDS.get(self.meeting['state'], 'state unknown')]
        if self.meeting['host_password']:
            parts.append('host password %s' % self.meeting['host_password'])
        if self.meeting['participant_joined']:
            parts.append("'%s' has joined" % self.speaker)
        return ', '.join(parts)


def check_meeting(module):
    """Run the checks; exit when the meeting is ready, fail naming every
    problem when it is not."""
    check = MeetingCheck(module)
    check.run()
    result = dict(changed=False, meeting=check.meeting, problems=check.problems, ready=not check.problems,
                  gateway_limit=module.client.learnt_limit('GET', PATH_DETAILS))
    cid = module.conference_id
    if check.problems:
        module.fail_json(msg='Meeting %s is not ready: %s.' % (cid, '; '.join(check.problems)), **result)
    module.exit_json(msg='Meeting %s is ready (%s)' % (cid, check.summary()), **result)
