#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: meeting_record
short_description: Start or stop cloud recording of a Huawei Cloud Meeting
version_added: 0.1.0
description:
  - Reads whether the meeting is being recorded (C(recState) of the realtime state) and starts or stops
    cloud recording only when that differs from O(state).
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
      - V(started) records the meeting in the cloud, V(stopped) stops recording.
seealso:
  - module: hwcloud.meeting.meeting_live
  - module: hwcloud.meeting.meeting_info
author:
  - hwcloud.meeting maintainers (@hwcloud-meeting)
'''

EXAMPLES = r'''
- name: Record the board meeting
  hwcloud.meeting.meeting_record:
    conference_id: "914044873"
    host_password: "{{ board_host_password }}"
    state: started
    wait: true

- name: Stop recording, using a control token obtained earlier
  hwcloud.meeting.meeting_record:
    conference_id: "914044873"
    conference_token: "{{ control_token }}"
    state: stopped
'''

RETURN = r'''
recording:
  description:
    - Whether the meeting is recorded after the task (in check mode, as it would be). When the service did
      not report the state (RV(state_verified=false)), this is the state asked for, since the call was sent.
  returned: success
  type: bool
  sample: true
state_verified:
  description:
    - False when the service did not report the recording state, so the module sent the call without
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
  sample: Recording of meeting 914044873 started
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
  sample: 5e7966300a659a5fa2474f38e923caa
'''

from ansible_collections.hwcloud.meeting.plugins.module_utils.base import MeetingModule
from ansible_collections.hwcloud.meeting.plugins.module_utils.client import MeetingClient
from ansible_collections.hwcloud.meeting.plugins.module_utils.control import SWITCH_ARGUMENT_SPEC, Switch

RECORDING = Switch('recording', 'recState', MeetingClient.set_recording, subject='Recording', words='recording')


def main():
    MeetingModule(argument_spec=SWITCH_ARGUMENT_SPEC, reads_push=True).run(RECORDING.converge)


if __name__ == '__main__':
    main()
