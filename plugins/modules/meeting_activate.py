#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: meeting_activate
short_description: Activate (start) a scheduled Huawei Cloud Meeting
version_added: 0.1.0
description:
  - Checks whether the meeting is in progress (the online check) and activates it with the host password
    only when it is not. Meeting control (recording, live, broadcast) works only on an activated meeting.
  - The only module that makes all its calls with an access token, so it always needs login credentials,
    O(access_token), or O(app_id) and O(app_key), or O(account) and O(account_password).
  - Without O(host_password), the module reads the host password from the meeting's details with the login
    (only when it activates the meeting), which works for the login that scheduled the meeting or an
    administrator of the enterprise.
  - An ended meeting cannot be activated again; the task fails and says so.
options:
  host_password:
    description:
      - The meeting's host password, which activates the meeting.
      - If not given (or empty), it is read from the meeting's details with the login; it is kept secret
        and never returned.
extends_documentation_fragment:
  - hwcloud.meeting.connection
  - hwcloud.meeting.common
  - hwcloud.meeting.attributes
seealso:
  - module: hwcloud.meeting.meeting_info
author:
  - hwcloud.meeting maintainers (@hwcloud-meeting)
'''

EXAMPLES = r'''
- name: Open the keynote at 08:45
  hwcloud.meeting.meeting_activate:
    conference_id: "914044873"
    host_password: "{{ keynote_host_password }}"
    app_id: "{{ meeting_app_id }}"
    app_key: "{{ meeting_app_key }}"

- name: Open a meeting the App ID's user scheduled (the host password comes from its details)
  hwcloud.meeting.meeting_activate:
    conference_id: "914044873"
    app_id: "{{ meeting_app_id }}"
    app_key: "{{ meeting_app_key }}"

- name: Open every webinar of the morning, credentials set once for the play
  hosts: webinars
  connection: local
  gather_facts: false
  module_defaults:
    group/hwcloud.meeting.meeting:
      app_id: "{{ meeting_app_id }}"
      app_key: "{{ meeting_app_key }}"
  tasks:
    - name: Activate the webinar
      hwcloud.meeting.meeting_activate:
        conference_id: "{{ conference_id }}"
        host_password: "{{ host_password }}"
'''

RETURN = r'''
in_progress:
  description: Whether the meeting is in progress after the task (in check mode, as it would be).
  returned: success
  type: bool
  sample: true
region_ip:
  description: Public IP address of the region where the meeting is held, as the service answered the activation.
  returned: when the module activated the meeting
  type: str
  sample: 100.94.23.40
state_verified:
  description: Whether the service reported the meeting's state (the online check always does).
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
  sample: Meeting 914044873 activated
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
  sample: f991eeec77df1692c74f253d765ca146
'''

from ansible_collections.hwcloud.meeting.plugins.module_utils.base import MeetingModule
from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import MeetingError
from ansible_collections.hwcloud.meeting.plugins.module_utils.control import Outcome, Target, converge
from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import IN_PROGRESS


def is_in_progress(details):
    """The online check answers 200 for a meeting in progress and an error
    (read as None by the client) otherwise; a 200 that names another state
    is taken at its word."""
    if details is None:
        return False
    state = (details.get('conferenceData') or {}).get('conferenceState')
    return state in (None, IN_PROGRESS)


class _OnlineCheck(object):
    """A reading of the online check: it always says whether the meeting is
    in progress, and nothing else."""

    unreported = frozenset()
    channel = None

    def __init__(self, in_progress):
        self.meeting = {'in_progress': in_progress}


class Activation(Target):
    key = 'in_progress'

    def __init__(self):
        self._answer = None

    def read(self, module):
        in_progress = is_in_progress(module.client.online_details())
        if not in_progress and module.check_mode:
            # The online check answers the same for a meeting that does not
            # exist: a dry run must not say it would activate a typo.
            module.client.check_meeting_exists()
        return _OnlineCheck(in_progress)

    def desired(self, module, reading):
        return True

    def apply(self, module, desired):
        # Without host_password, the details are read only now: an activation
        # is the one step that needs the password itself.
        self._answer = module.client.start_meeting(module.client.credentials.host_password('activate the meeting'))
        if not module.params['host_password']:
            # The password came from the meeting's details and is kept in
            # memory only: fetch the control token while it is known, so the
            # control tasks that follow (the token cache) need not read the
            # details again. The meeting is activated either way: should this
            # fail, those tasks read the details themselves.
            try:
                module.client.credentials.hand_over_control_token()
            except MeetingError:
                pass

    def outcome(self, module, desired):
        cid = module.conference_id
        return Outcome(done='Meeting %s activated' % cid, already='Meeting %s already in progress' % cid,
                       would='Would activate meeting %s' % cid, timed_out=None)

    def result(self):
        if self._answer is None:
            return {}
        return {'region_ip': self._answer.get('regionIP') if isinstance(self._answer, dict) else None}


def main():
    module = MeetingModule(
        argument_spec=dict(host_password=dict(type='str', no_log=True)),
        needs_login=True, needs_control=False,
    )
    module.run(lambda module: converge(module, Activation()))


if __name__ == '__main__':
    main()
