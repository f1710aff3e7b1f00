#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: meeting_check
short_description: Check that a Huawei Cloud Meeting is ready for an event, changing nothing
version_added: 0.1.0
description:
  - The preflight of one meeting, for the evening before an event or the hour before it (the runbook
    C(hwcloud.meeting.event_check) runs it for every meeting of the inventory).
  - It checks that the login works and the meeting exists and is scheduled or in progress, not ended (the
    meeting's details); that the host password is readable from those details, or, when O(host_password) is
    given, that it is the meeting's; that O(participant) is set when O(broadcast) is on; and, for a meeting
    already in progress, that O(participant) has joined it (its realtime participants).
  - It fails, in one sentence naming every problem found, when the meeting is not ready; it never changes
    anything, so it runs the same in check mode.
  - One call of the meeting's details per meeting (two more, the control token and C(realTimeInfo), for a
    meeting in progress with a participant to look for), through the same pacer as the other modules.
extends_documentation_fragment:
  - hwcloud.meeting.connection
  - hwcloud.meeting.common
  - hwcloud.meeting.attributes
options:
  participant:
    description:
      - The name or phone number of the participant the event broadcasts (the runbooks' C(keynote_speaker)).
      - For a meeting in progress, the check fails unless exactly one joined participant matches it.
    type: str
  broadcast:
    description:
      - Whether the event broadcasts a participant in this meeting (the runbooks' C(event_broadcast)); then
        O(participant) must be set.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: The module never writes, so it runs the same in check mode.
  diff_mode:
    support: none
    details: The module changes nothing, so it has no diff.
notes:
  - The meeting's details are given only to the login that scheduled the meeting or an administrator of the
    enterprise; for another login the check says that it cannot tell whether the meeting is scheduled.
  - O(state_source) does not apply; the participants of a meeting in progress come from C(realTimeInfo).
seealso:
  - module: hwcloud.meeting.meeting_info
  - module: hwcloud.meeting.meeting_activate
author:
  - hwcloud.meeting maintainers (@hwcloud-meeting)
'''

EXAMPLES = r'''
- name: Check the keynote the evening before
  hwcloud.meeting.meeting_check:
    conference_id: "914044873"
    app_id: "{{ meeting_app_id }}"
    app_key: "{{ meeting_app_key }}"
    participant: Keynote Speaker
    broadcast: true
  register: keynote_check
'''

RETURN = r'''
meeting:
  description: What the check read of the meeting.
  returned: success and failure after the details were read
  type: dict
  contains:
    conference_id:
      description: The meeting ID.
      type: str
      sample: "914044873"
    state:
      description: C(Schedule) (scheduled), C(Created) (in progress) or C(Destroyed) (ended), as the service says
        it; V(null) when the login may not read the details.
      type: str
      sample: Schedule
    subject:
      description: The meeting's subject.
      type: str
      sample: Keynote
    start_time:
      description: When the meeting is scheduled to start, as the service says it.
      type: str
      sample: "2026-12-05 09:00"
    in_progress:
      description: Whether the meeting is in progress.
      type: bool
      sample: false
    host_password:
      description: V(given) (and matching the details where they could be read), V(from the details), or V(null)
        when there is none; never the password.
      type: str
      sample: from the details
    participant_joined:
      description: Whether O(participant) has joined, for a meeting in progress; else V(null).
      type: bool
      sample: null
ready:
  description: Whether the meeting is ready for the event (no problem found).
  returned: always
  type: bool
  sample: true
problems:
  description: Each problem found, in words.
  returned: always
  type: list
  elements: str
  sample: []
gateway_limit:
  description:
    - The gateway's limit of this login's calls of one API, as its answers said it (V(null) when they did not),
      for the runbook's estimate of how long an event start takes.
  returned: success and failure after the details were read
  type: dict
  contains:
    limit:
      description: Calls of one API in a window.
      type: int
      sample: 100
    window:
      description: The window, in seconds.
      type: float
      sample: 60.0
gateway_waits:
  description:
    - How long the task's calls waited for the gateway's rate limit, and why, one sentence per wait (see
      O(rate_limit_wait)).
  returned: when a call waited for the gateway
  type: list
  elements: str
  sample: ["waited 41.2 s for the gateway: GET /v1/mmc/management/conferences/confDetail, 100 calls a minute,
            window full (meeting 914044873)"]
msg:
  description: What the check found, in words.
  returned: always
  type: str
  sample: Meeting 914044873 is ready (scheduled; host password from the details)
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
from ansible_collections.hwcloud.meeting.plugins.module_utils.check import check_meeting


def main():
    module = MeetingModule(
        argument_spec=dict(
            participant=dict(type='str'),
            broadcast=dict(type='bool', default=False),
        ),
        needs_login=True, needs_control=False,
    )
    module.run(check_meeting)


if __name__ == '__main__':
    main()
