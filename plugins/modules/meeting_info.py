#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: meeting_info
short_description: Read the realtime state of a Huawei Cloud Meeting
version_added: 0.1.0
description:
  - Returns whether the meeting is in progress, recorded, streamed live, who is broadcast, and who is in it,
    from the meeting's realtime state. Never changes anything.
  - The state comes from the meeting-status push and realTimeInfo, merged (see O(state_source));
    RV(state_sources) says, for each part, which one reported it.
  - The vendor publishes no live streaming state, so RV(meeting.live) is V(null) unless a deployment reports
    it in realTimeInfo.
  - On a meeting that is not in progress (not activated yet, or ended) it succeeds with
    RV(meeting.in_progress=false) and the rest V(null) or empty, so a status runbook over many meetings
    does not fail.
  - A value the service did not report is V(null), never V(false).
extends_documentation_fragment:
  - hwcloud.meeting.connection
  - hwcloud.meeting.common
  - hwcloud.meeting.attributes
attributes:
  check_mode:
    support: full
    details: The module never writes, so it runs the same in check mode.
  diff_mode:
    support: none
    details: The module changes nothing, so it has no diff.
seealso:
  - module: hwcloud.meeting.meeting_record
  - module: hwcloud.meeting.meeting_live
  - module: hwcloud.meeting.meeting_broadcast
author:
  - hwcloud.meeting maintainers (@hwcloud-meeting)
'''

EXAMPLES = r'''
- name: Read the keynote's state
  hwcloud.meeting.meeting_info:
    conference_id: "914044873"
    host_password: "{{ keynote_host_password }}"
  register: keynote

- name: Say what the keynote is doing
  ansible.builtin.debug:
    msg: >-
      in progress: {{ keynote.meeting.in_progress }},
      recording: {{ keynote.meeting.recording }},
      live: {{ keynote.meeting.live }},
      {{ keynote.meeting.participant_count }} people in it
'''

RETURN = r'''
meeting:
  description: The meeting's realtime state. A value the service did not report is V(null).
  returned: success
  type: dict
  contains:
    conference_id:
      description: The meeting ID.
      type: str
      sample: "914044873"
    in_progress:
      description: Whether the meeting is in progress.
      type: bool
      sample: true
    recording:
      description: Whether cloud recording is on.
      type: bool
      sample: false
    live:
      description: Whether the live broadcast is on.
      type: bool
      sample: false
    mode:
      description: The meeting's view mode, one of C(FREE), C(FIXED), C(ROLLCALL), C(BROADCAST).
      type: str
      sample: BROADCAST
    broadcast_participant:
      description: The participant who is broadcast, or V(null).
      type: dict
      contains:
        pid:
          description: Participant ID.
          type: str
        name:
          description: Participant name (V(null) if the participant is not online).
          type: str
        phone:
          description: Participant number.
          type: str
    chair_id:
      description: Participant ID of the host.
      type: str
    co_hosts:
      description: Participant IDs of the co-hosts.
      type: list
      elements: str
    participant_count:
      description: Number of participants in the meeting, not counting those still being called.
      type: int
      sample: 4
    participants:
      description: The online participants, including those being called or ringing.
      type: list
      elements: dict
      contains:
        pid:
          description: Participant ID.
          type: str
        name:
          description: Participant name.
          type: str
        phone:
          description: Participant number.
          type: str
        state:
          description: 0 in the meeting, 1 being called, 2 ringing (the vendor's codes).
          type: int
        video:
          description: Whether the participant joined with video.
          type: bool
        muted:
          description: Whether the participant's microphone is muted.
          type: bool
        hand_raised:
          description: Whether the participant's hand is raised.
          type: bool
    attendees:
      description: Participants invited when the meeting was scheduled or during it, online or not.
      type: list
      elements: dict
      contains:
        account_id:
          description: Huawei Cloud Meeting account.
          type: str
        user_uuid:
          description: User UUID.
          type: str
        name:
          description: Name.
          type: str
        phone:
          description: Number.
          type: str
state_sources:
  description:
    - For each part of RV(meeting)'s state, where it came from, V(push) (the meeting-status push) or
      V(realtime) (realTimeInfo), or V(null) when no source reported it.
    - The keys are V(in_progress), V(recording), V(live), V(mode), V(broadcast_participant) and V(participants).
  returned: success
  type: dict
  sample: {"in_progress": "push", "recording": "push", "live": null, "mode": "push",
           "broadcast_participant": "push", "participants": "push"}
state_verified:
  description:
    - False when the service did not report part of the meeting's state that it publishes (those values are
      V(null)). The live streaming state is published nowhere by the vendor, so its absence alone leaves this
      true; the V(live) key of RV(state_sources) says whether it was reported.
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
  sample: Meeting 914044873 is in progress
status:
  description: HTTP status of the failed call.
  returned: failure
  type: int
  sample: 400
error_code:
  description: The vendor's error code of the failed call.
  returned: failure
  type: str
  sample: MMC.111072065
error_msg:
  description: The vendor's error text of the failed call.
  returned: failure
  type: str
  sample: CONF_NOT_FOUND_OR_AUTH_FAILED
request_id:
  description: The gateway's request ID of the failed call, for the vendor's support.
  returned: failure
  type: str
  sample: b32bf70a8ac93ea13691fc34730fd78c
'''

from ansible_collections.hwcloud.meeting.plugins.module_utils.base import MeetingModule
from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import MEETING_ENDED, NOT_RUNNING, MeetingError
from ansible_collections.hwcloud.meeting.plugins.module_utils.control import DETAILS, read_state
from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import MEETING_KEYS, STATE_FIELDS, idle_meeting

NEEDS = STATE_FIELDS + ('participants', DETAILS)
# The vendor publishes it nowhere: its absence is no failure to verify.
NEVER_PUBLISHED = 'liveState'


def run(module):
    cid = module.conference_id
    try:
        reading = read_state(module, NEEDS)
    except MeetingError as error:
        # Not in progress, or ended: a status runbook over many meetings
        # reports it and goes on.
        if error.error_code not in NOT_RUNNING or error.no_such_meeting:
            raise
        ended = ' (it has ended)' if error.error_code == MEETING_ENDED else ''
        module.exit_json(changed=False, meeting=idle_meeting(cid), state_verified=True,
                         state_sources=dict((MEETING_KEYS[field][0], None) for field in MEETING_KEYS),
                         msg='Meeting %s is not in progress%s' % (cid, ended))
    meeting = reading.meeting
    unreported = reading.unreported - set([NEVER_PUBLISHED])
    if unreported:
        module.warn('The service did not report %s of meeting %s; those values are null.'
                    % (', '.join(sorted(unreported)), cid))
    if meeting['in_progress'] is None:
        msg = 'Realtime state of meeting %s read; the service did not say whether it is in progress' % cid
    elif meeting['in_progress']:
        msg = 'Meeting %s is in progress' % cid
    else:
        msg = 'Meeting %s is not in progress' % cid
    module.exit_json(changed=False, meeting=meeting, state_verified=not unreported, msg=msg,
                     state_sources=dict((MEETING_KEYS[field][0], source) for field, source in reading.sources.items()))


def main():
    module = MeetingModule(argument_spec={}, reads_push=True)
    module.run(run)


if __name__ == '__main__':
    main()
