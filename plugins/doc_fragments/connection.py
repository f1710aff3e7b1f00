# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The service and the login: the connection options of every plugin kind
    # of hwcloud.meeting (the modules, the inventory plugin hwcloud.meeting.meetings
    # and the event source), one table in plugins/module_utils/options.py.
    # An option given beats its HWMEETING_* variable, and an empty variable
    # (AWX injects unset credential fields as empty strings) counts as unset,
    # so one AWX credential serves the jobs and the inventory sync.
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
        credentials are given too, the module or plugin logs in with them once and retries.
      - M(hwcloud.meeting.meeting_activate) and the inventory plugin make calls that need it, and the other modules
        when they read the host password from the meeting's details (no C(host_password) nor C(conference_token)
        given).
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
        HTTP 500, 502, 503 and 504, and a 429 that says C(Retry-After)), with exponential backoff and jitter.
        C(Retry-After) is honoured. A retry waits at least that long, spread at random, and never more
        than 60 seconds in all.
      - O(retries=N) means at most N + 1 attempts of each call.
      - The gateway's rate limit is not a failure to retry; see O(rate_limit_wait).
    type: int
    default: 3
  token_cache:
    description:
      - Reuse access and control tokens across tasks, runs and plugins on this controller until shortly before
        they expire, instead of logging in and fetching a control token in every task.
      - Tokens are kept in files only their owner can read, in E(HWMEETING_TOKEN_CACHE_DIR) or
        C(~/.cache/hwcloud.meeting/tokens); see the collection's docs/token_cache.md for the trade-off.
      - Tokens given with O(access_token) or C(conference_token) are never cached.
      - The same directory keeps what the gateway said of its rate limit (O(rate_limit_wait)), so that every
        fork and task of the controller paces its calls together; without the cache, each task paces its own.
      - If not set, the environment variable E(HWMEETING_TOKEN_CACHE) is used.
    type: bool
    default: true
  rate_limit_wait:
    description:
      - The longest a call may wait for the gateway's rate limit, in seconds.
      - The gateway allows each caller a number of calls of each API per window (100 a minute is the
        vendor's example) and says so on every answer (C(X-APIG-Ratelimit-Api)). A call that the window
        cannot take waits until it can, instead of being sent and refused; after a refusal (HTTP 429
        C(APIG.0308)) a call waits until the window reopens and is sent again.
      - A call that would have to wait longer fails with one sentence naming the API, the limit and what to
        do (fewer meetings at once, or a larger O(rate_limit_wait)).
      - With C(-v), a task that waited says how long and why in RV(ignore:gateway_waits).
      - If not set, the environment variable E(HWMEETING_RATE_LIMIT_WAIT) is used.
    type: float
    default: 300
requirements:
  - requests
'''
