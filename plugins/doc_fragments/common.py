# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options every module of hwcloud.meeting shares: the service, the
    # login, the meeting, and how calls are made. Set them once for a play with
    # module_defaults and the action group "group/hwcloud.meeting.meeting".
    DOCUMENTATION = r'''
options:
  api_url:
    description:
      - Base URL of the Huawei Cloud Meeting API.
      - Private deployments and the international site use another URL.
      - If not set, the environment variable E(HWMEETING_API_URL) is used.
    type: str
    default: https://api.meeting.huaweicloud.com
  access_token:
    description:
      - An access token (sent as C(X-Access-Token)) obtained elsewhere.
      - Used before App ID and account login. If the service rejects it and App ID or account
        credentials are given too, the module logs in with them once and retries.
      - M(hwcloud.meeting.meeting_activate) makes calls that need it, and the other modules when they read the
        host password from the meeting's details (no O(host_password) nor O(conference_token) given).
      - If not set, the environment variable E(HWMEETING_ACCESS_TOKEN) is used.
    type: str
  app_id:
    description:
      - App ID for App ID login (HMAC-SHA256 signed); needs O(app_key).
      - If not set, the environment variable E(HWMEETING_APP_ID) is used.
    type: str
  app_key:
    description:
      - The App ID's secret key. It signs the login request and is never sent.
      - If not set, the environment variable E(HWMEETING_APP_KEY) is used.
    type: str
  user_id:
    description:
      - User ID to log in as with App ID login; empty means the App ID's default user.
      - If not set, the environment variable E(HWMEETING_USER_ID) is used.
    type: str
  corp_id:
    description:
      - Enterprise ID, for a multi-tenant App ID only.
      - If not set, the environment variable E(HWMEETING_CORP_ID) is used.
    type: str
  account:
    description:
      - Huawei Cloud Meeting account for account login, used when no access token or App ID is given;
        needs O(account_password).
      - If not set, the environment variable E(HWMEETING_ACCOUNT) is used.
    type: str
  account_password:
    description:
      - Password of O(account).
      - If not set, the environment variable E(HWMEETING_ACCOUNT_PASSWORD) is used.
    type: str
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
  validate_certs:
    description:
      - Whether to verify the service's TLS certificate. Only turn this off for a test service.
      - If not set, the environment variable E(HWMEETING_VALIDATE_CERTS) is used.
    type: bool
    default: true
  ca_path:
    description:
      - A CA bundle (PEM) to verify the service's certificate with, for a private deployment.
      - If not set, the environment variable E(HWMEETING_CA_PATH) is used; E(REQUESTS_CA_BUNDLE) is honoured too.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP request.
    type: float
    default: 30
  retries:
    description:
      - How many times a transient failure is retried (connection errors, read timeouts,
        HTTP 429, 500, 502, 503 and 504), with exponential backoff and jitter.
        C(Retry-After) is honoured. A retry waits at least that long, spread at random, and never more
        than 60 seconds in all.
      - O(retries=N) means at most N + 1 attempts of each call.
    type: int
    default: 3
  token_cache:
    description:
      - Reuse access and control tokens across tasks and runs on this controller until shortly before they
        expire, instead of logging in and fetching a control token in every task.
      - Tokens are kept in files only their owner can read, in E(HWMEETING_TOKEN_CACHE_DIR) or
        C(~/.cache/hwcloud.meeting/tokens); see the collection's docs/token_cache.md for the trade-off.
      - Tokens given with O(access_token) or O(conference_token) are never cached.
      - If not set, the environment variable E(HWMEETING_TOKEN_CACHE) is used.
    type: bool
    default: true
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
requirements:
  - requests
  - websocket-client (for the meeting-status push; not needed with O(state_source=realtime))
notes:
  - "The modules run on the controller (C(connection: local) or C(delegate_to: localhost))."
  - Set the shared options once per play with C(module_defaults) and the action group
    C(group/hwcloud.meeting.meeting).
'''
