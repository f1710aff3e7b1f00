# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options of every module of hwcloud.meeting beside the connection
    # (hwcloud.meeting.connection): the meeting, and where its state is read.
    # Set them once for a play with module_defaults and the action group
    # "group/hwcloud.meeting.meeting".
    DOCUMENTATION = r'''
options:
  conference_id:
    description:
      - The meeting ID (digits only).
    type: str
    required: true
  host_password:
    description:
      - The meeting's host password. It gets the control token for control calls, and
        M(hwcloud.meeting.meeting_activate) activates the meeting with it.
      - When O(conference_token) is given too, the token is used first and the host password
        fetches a new one if the service rejects it.
      - When neither O(host_password) nor O(conference_token) is given, the module reads the host password
        from the meeting's details (the C(chair) entry of C(passwordEntry)) with the login credentials, which
        works for the login that scheduled the meeting or an administrator of the enterprise. That password is
        kept secret, never returned nor written to disk; the control token it gets is cached as usual, keyed
        by the login and the meeting, so later tasks do not read the details again.
    type: str
  conference_token:
    description:
      - A meeting control token (C(X-Conference-Authorization)) obtained elsewhere, used instead of
        O(host_password) for control calls. A control token lives 30 minutes.
      - Without O(host_password) or login credentials, a rejected token fails the task, saying that it has
        expired.
    type: str
  state_source:
    description:
      - Where the meeting's state is read from. The vendor's REST C(realTimeInfo) answers no recording, broadcast
        or meeting state; the vendor publishes it in the meeting-status push, a WebSocket.
      - V(auto) reads the meeting-status push first and C(realTimeInfo) for what the push did not report or never
        carries (the live streaming state), and for nothing the task does not need. A push that cannot be had
        (refused, closed, silent, blocked by a proxy) does not fail the task; it warns, and the state is read
        from C(realTimeInfo) where that reports it, else it is unknown.
      - V(push) reads the meeting-status push only; V(realtime) reads C(realTimeInfo) only (for a deployment
        whose C(realTimeInfo) reports the state, or where WebSocket connections cannot be made).
      - A state that no source reported is unknown, never off; the module then sends its call anyway, reports
        changed and returns RV(ignore:state_verified=false).
      - The push uses the same TLS settings as the HTTP calls (O(validate_certs), O(ca_path),
        E(REQUESTS_CA_BUNDLE)), O(timeout) for each step, and a proxy from E(https_proxy) or E(http_proxy)
        (E(no_proxy) honoured).
    type: str
    choices: [auto, realtime, push]
    default: auto
  warn_unverified:
    description:
      - Whether a task warns when the service did not report the state it manages, so that it sent its call
        without knowing whether anything changes (RV(ignore:state_verified=false)).
      - On the real service the live streaming state is never reported, so every M(hwcloud.meeting.meeting_live)
        task warns; V(false) keeps such tasks quiet for those who know it. RV(ignore:state_verified) still says
        so.
      - If not set, the environment variable E(HWMEETING_WARN_UNVERIFIED) is used.
    type: bool
    default: true
requirements:
  - websocket-client (for the meeting-status push; not needed with O(state_source=realtime))
notes:
  - "The modules run on the controller (C(connection: local) or C(delegate_to: localhost))."
  - M(hwcloud.meeting.meeting_activate) always logs in. The other modules need O(host_password) or
    O(conference_token), or else login credentials with which they read the host password from the meeting's
    details (for the login that scheduled the meeting or an administrator).
  - Set the shared options once per play with C(module_defaults) and the action group
    C(group/hwcloud.meeting.meeting).
'''
