#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: meeting_broadcast
short_description: Broadcast a participant of a Huawei Cloud Meeting to everyone, or cancel the broadcast
version_added: 0.1.0
description:
  - Reads who is broadcast (C(mode) and C(broadcastPid) of the realtime state) and broadcasts the asked
    participant, or cancels the broadcast, only when that differs from what is asked.
  - Only one participant is broadcast at a time; broadcasting another replaces the first.
  - The participant is found by O(participant_id), or by O(participant), a name or phone number matched
    exactly against the participants in the meeting. A name that matches nobody, or more than one person,
    fails before anything is changed, listing who is in the meeting.
options:
  state:
    description:
      - V(present) broadcasts the participant, V(absent) cancels whatever broadcast is on.
      - V(absent) on a meeting that is not in progress (not activated yet, or ended) has nothing to do and
        succeeds unchanged.
    type: str
    choices: [present, absent]
    default: present
  participant_id:
    description:
      - Participant ID (C(pid)) to broadcast.
      - Mutually exclusive with O(participant); one of them is required when O(state=present).
    type: str
  participant:
    description:
      - Name or phone number of the participant to broadcast, matched exactly against the participants
        in the meeting.
      - Mutually exclusive with O(participant_id).
    type: str
extends_documentation_fragment:
  - hwcloud.meeting.connection
  - hwcloud.meeting.common
  - hwcloud.meeting.attributes
  - hwcloud.meeting.attributes.wait
seealso:
  - module: hwcloud.meeting.meeting_info
author:
  - hwcloud.meeting maintainers (@hwcloud-meeting)
'''

EXAMPLES = r'''
- name: Put the keynote speaker on everyone's screen
  hwcloud.meeting.meeting_broadcast:
    conference_id: "914044873"
    host_password: "{{ keynote_host_password }}"
    participant: Keynote Speaker
    wait: true

- name: Broadcast a participant by ID
  hwcloud.meeting.meeting_broadcast:
    conference_id: "914044873"
    host_password: "{{ keynote_host_password }}"
    participant_id: f131536e21ff11eab12735e1cddf6d01

- name: Back to the free view
  hwcloud.meeting.meeting_broadcast:
    conference_id: "914044873"
    host_password: "{{ keynote_host_password }}"
    state: absent
'''

RETURN = r'''
broadcast_participant:
  description:
    - The participant broadcast after the task (in check mode, as it would be), or V(null) when nobody is.
  returned: success
  type: dict
  contains:
    pid:
      description: Participant ID.
      type: str
      sample: f131536e21ff11eab12735e1cddf6d01
    name:
      description: Participant name.
      type: str
      sample: Keynote Speaker
    phone:
      description: Participant number.
      type: str
      sample: "+99111****815"
state_verified:
  description:
    - False when the service did not report who is broadcast, so the module sent the call without
      knowing whether it changed anything.
  returned: success
  type: bool
  sample: true
gateway_waits:
  description:
    - How long the task's calls waited for the gateway's rate limit, and why, one sentence per wait (see
      O(rate_limit_wait)).
  returned: when a call waited for the gateway
  type: list
  elements: str
  sample: ["waited 41.2 s for the gateway: GET /v1/mmc/control/conferences/wsToken, 100 calls a minute, window full
            (meeting 914044873)"]
msg:
  description: What happened, in words.
  returned: always
  type: str
  sample: Broadcast of Keynote Speaker in meeting 914044873 started
status:
  description: HTTP status of the failed call.
  returned: failure
  type: int
  sample: 400
error_code:
  description: The vendor's error code of the failed call.
  returned: failure
  type: str
  sample: MMC.111070005
error_msg:
  description: The vendor's error text of the failed call.
  returned: failure
  type: str
  sample: CONF_NOT_EXIST
request_id:
  description: The gateway's request ID of the failed call, for the vendor's support.
  returned: failure
  type: str
  sample: 0d29eb126a52b0ad7ebf3df6517e7476
'''

from ansible_collections.hwcloud.meeting.plugins.module_utils.base import MeetingModule
from ansible_collections.hwcloud.meeting.plugins.module_utils.control import (
    NOT_DONE_IF_NOT_RUNNING,
    WAIT_ARGUMENT_SPEC,
    Outcome,
    Target,
    converge,
)
from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import BROADCAST_MODE, broadcast_view, joined


def find_participant(module, meeting):
    """The participant asked for, among those in the meeting; fails before
    any write when it is nobody or several people."""
    wanted_pid = module.params['participant_id']
    wanted = module.params['participant']
    people = joined(meeting['participants'])
    if wanted_pid is not None:
        matches = [person for person in people if person['pid'] == wanted_pid]
        asked = 'participant ID %s' % wanted_pid
    else:
        matches = [person for person in people if wanted in (person['name'], person['phone'])]
        asked = "participant '%s'" % wanted
    if len(matches) == 1:
        return broadcast_view(matches[0]['pid'], people)
    names = ', '.join(sorted('%s (%s)' % (person['name'], person['pid']) for person in people)) or 'nobody'
    if matches:
        module.fail_json(msg='Cannot broadcast %s in meeting %s: %d participants match; use participant_id. '
                             'In the meeting: %s.' % (asked, module.conference_id, len(matches), names))
    module.fail_json(msg='Cannot broadcast %s in meeting %s: nobody in the meeting matches. '
                         'In the meeting: %s.' % (asked, module.conference_id, names))


class Broadcast(Target):
    """Who is broadcast: the push's BROADCAST flags, or confInfo's mode and
    broadcastPid; the participants, to find the one asked for."""

    key = 'broadcast_participant'
    fields = ('broadcastPid',)
    needs = ('broadcastPid', 'mode', 'participants')
    words = 'who is broadcast'

    def value_if_not_running(self, module):
        return None if module.params['state'] == 'absent' else NOT_DONE_IF_NOT_RUNNING

    def desired(self, module, reading):
        if module.params['state'] == 'absent':
            return None
        return find_participant(module, reading.meeting)

    def current(self, module, reading, desired):
        meeting = reading.meeting
        if 'broadcastPid' in reading.unreported:
            return None
        current = meeting['broadcast_participant']
        if desired is not None:
            # Compare by participant ID: the name may be unknown for one side.
            return desired if current is not None and current['pid'] == desired['pid'] else current
        if meeting['mode'] == BROADCAST_MODE and current is None:
            # Cancel whatever broadcast is on, even one whose participant is not named.
            return {'pid': None, 'name': None, 'phone': None}
        return current

    def apply(self, module, desired):
        if desired is None:
            module.client.cancel_broadcast()
        else:
            module.client.broadcast(desired['pid'])

    def reached(self, meeting, desired):
        if desired is None:
            return meeting['broadcast_participant'] is None and meeting['mode'] != BROADCAST_MODE
        return (meeting['broadcast_participant'] or {}).get('pid') == desired['pid']

    def outcome(self, module, desired):
        cid = module.conference_id
        if desired is None:
            return Outcome(
                done='Broadcast in meeting %s cancelled' % cid,
                already='Broadcast in meeting %s already cancelled' % cid,
                would='Would cancel the broadcast in meeting %s' % cid,
                timed_out='Broadcast in meeting %s was not cancelled' % cid)
        who = desired['name'] or desired['pid']
        return Outcome(
            done='Broadcast of %s in meeting %s started' % (who, cid),
            already='Broadcast of %s in meeting %s already started' % (who, cid),
            would='Would broadcast %s in meeting %s' % (who, cid),
            timed_out='Broadcast of %s in meeting %s was not started' % (who, cid))


def check_options(module):
    """Input checks of this module, before any call."""
    for option in ('participant_id', 'participant'):
        value = module.params[option]
        if value is not None and not value.strip():
            module.fail_json(msg='Invalid options for meeting %s: %s must not be empty.'
                             % (module.conference_id, option))
    if module.params['state'] == 'present' and module.params['participant'] is None \
            and module.params['participant_id'] is None:
        # required_if counts an option given as null (an empty YAML value) as given
        module.fail_json(msg='Invalid options for meeting %s: give participant (a name or phone number of '
                             'someone in the meeting) or participant_id to broadcast.' % module.conference_id)
    if module.params['state'] == 'absent':
        for option in ('participant_id', 'participant'):
            if module.params[option] is not None:
                module.warn('%s is not used with state=absent: the broadcast in meeting %s is cancelled, '
                            'whoever it shows.' % (option, module.conference_id))


def main():
    module = MeetingModule(
        argument_spec=dict(
            state=dict(type='str', default='present', choices=['present', 'absent']),
            participant_id=dict(type='str'),
            participant=dict(type='str'),
            **WAIT_ARGUMENT_SPEC
        ),
        mutually_exclusive=[('participant_id', 'participant')],
        reads_push=True,
        required_if=[('state', 'present', ('participant_id', 'participant'), True)],
    )
    check_options(module)
    module.run(lambda module: converge(module, Broadcast()))


if __name__ == '__main__':
    main()
