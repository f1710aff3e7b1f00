#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: meeting_live
short_description: Start or stop the live broadcast of a Huawei Cloud Meeting
version_added: 0.1.0
description:
  - Reads whether the meeting is streamed live (C(liveState) of the realtime state) and starts or stops
    the live broadcast only when that differs from O(state).
  - Starting needs a meeting in progress; activate it first with M(hwcloud.meeting.meeting_activate).
    Stopping a meeting that is not in progress (not activated yet, or ended) has nothing to do and succeeds
    unchanged.
extends_documentation_fragment:
  - hwcloud.meeting.connection
  - hwcloud.meeting.common
  - hwcloud.meeting.attributes
  - hwcloud.meeting.attributes.switch
  - hwcloud.meeting.attributes.wait
options:
  state:
    description:
      - V(started) streams the meeting live, V(stopped) ends the live broadcast.
seealso:
  - module: hwcloud.meeting.meeting_record
  - module: hwcloud.meeting.meeting_broadcast
author:
  - hwcloud.meeting maintainers (@hwcloud-meeting)
'''

EXAMPLES = r'''
- name: Stream the keynote live
  hwcloud.meeting.meeting_live:
    conference_id: "914044873"
    host_password: "{{ keynote_host_password }}"
    state: started
    wait: true
    wait_timeout: 30

- name: End the live stream
  hwcloud.meeting.meeting_live:
    conference_id: "914044873"
    host_password: "{{ keynote_host_password }}"
    state: stopped
'''

RETURN = r'''
live:
  description:
    - Whether the meeting is streamed live after the task (in check mode, as it would be). When the service
      did not report the state (RV(state_verified=false)), this is the state asked for, since the call was sent.
  returned: success
  type: bool
  sample: true
state_verified:
  description:
    - False when the service did not report the live state, so the module sent the call without
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
  sample: Live broadcast of meeting 914044873 started
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
  sample: f78b007ec2dabf1498620131c7bc19e0
'''

from ansible_collections.hwcloud.meeting.plugins.module_utils.base import MeetingModule
from ansible_collections.hwcloud.meeting.plugins.module_utils.client import MeetingClient
from ansible_collections.hwcloud.meeting.plugins.module_utils.control import SWITCH_ARGUMENT_SPEC, Switch

LIVE = Switch('live', 'liveState', MeetingClient.set_live, subject='Live broadcast', words='the live broadcast')


def main():
    MeetingModule(argument_spec=SWITCH_ARGUMENT_SPEC).run(LIVE.converge)


if __name__ == '__main__':
    main()
