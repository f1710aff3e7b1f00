# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The module base: the shared argument spec (documented once, in the
``hwcloud.meeting.common`` doc fragment), input checks made before any HTTP
call, the one client of a module run, and failures turned into ``fail_json``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.hwcloud.meeting.plugins.module_utils.client import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import MeetingError
from ansible_collections.hwcloud.meeting.plugins.module_utils.options import (
    argument_spec,
    build_client,
    check,
    env_fallback,
    given,
    has_login,
    is_meeting_id,
)
from ansible_collections.hwcloud.meeting.plugins.module_utils.push import HAS_WEBSOCKET, WEBSOCKET_IMPORT_ERROR

# The connection and login options (module_utils/options.py, the doc
# fragment hwcloud.meeting.connection), and the meeting's own (the doc
# fragment hwcloud.meeting.common).
SHARED_ARGUMENT_SPEC = dict(
    argument_spec(),
    conference_id=dict(type='str', required=True),
    host_password=dict(type='str', no_log=True),
    conference_token=dict(type='str', no_log=True),
    state_source=dict(type='str', default='auto', choices=['auto', 'realtime', 'push']),
    warn_unverified=dict(type='bool', default=True, fallback=(env_fallback, ['HWMEETING_WARN_UNVERIFIED'])),
)


def meeting_argument_spec(**module_options):
    """The shared options plus a module's own (which win on a clash)."""
    spec = copy.deepcopy(SHARED_ARGUMENT_SPEC)
    spec.update(module_options)
    return spec


class MeetingModule(AnsibleModule):
    """AnsibleModule for this collection.

    ``needs_login``: the module makes X-Access-Token calls (meeting_activate).
    ``needs_control``: the module makes control calls, so it needs
    host_password or conference_token, or else login credentials with which
    the client reads the host password from the meeting's details.
    ``reads_push``: the module reads state that the meeting-status push
    reports (so it needs websocket-client, unless state_source is realtime).
    """

    def __init__(self, argument_spec=None, needs_login=False, needs_control=True, reads_push=False, **kwargs):
        kwargs.setdefault('supports_check_mode', True)
        super(MeetingModule, self).__init__(argument_spec=meeting_argument_spec(**(argument_spec or {})), **kwargs)
        if not HAS_REQUESTS:
            self.fail_json(msg=missing_required_lib('requests'), exception=REQUESTS_IMPORT_ERROR)
        if reads_push and self.params['state_source'] != 'realtime' and not HAS_WEBSOCKET:
            self.fail_json(msg=missing_required_lib(
                'websocket-client', reason='to read the meeting-status push (or set state_source: realtime)'),
                exception=WEBSOCKET_IMPORT_ERROR)
        self.conference_id = (self.params['conference_id'] or '').strip()
        self._check_shared_options(needs_login, needs_control)
        self._client = None
        # Why the meeting-status push could not be read in this task, once
        # it failed (it is not tried again in the same task).
        self.push_failure = None
        self._to_close = []
        if not self.params['validate_certs']:
            self.warn('validate_certs is false: the certificate of %s is not checked, so the host '
                      'password and tokens could be read by whoever answers in its place' % self.params['api_url'])

    # --- input checks (before any call) -----------------------------------

    def _check_shared_options(self, needs_login, needs_control):
        params = self.params
        problems = []
        if not is_meeting_id(self.conference_id):
            problems.append("conference_id must be the meeting ID, digits only (got '%s')" % params['conference_id'])
        # Login credentials matter only to a module that logs in: one that makes
        # access-token calls, or reads the host password from the meeting's
        # details because neither host_password nor conference_token is given.
        # The others ignore them (module_defaults and HWMEETING_* set them for
        # every task).
        password_from_login = needs_control and not any(
            given(params[option]) for option in ('host_password', 'conference_token'))
        problems.extend(check(params, uses_login=needs_login or password_from_login, needs_login=needs_login))
        if params.get('wait_timeout') is not None and params['wait_timeout'] < 0:
            problems.append('wait_timeout must be 0 or more seconds (got %s)' % params['wait_timeout'])
        if password_from_login and not has_login(params):
            problems.append('give host_password (the meeting\'s host password) or conference_token to control '
                            'the meeting, or login credentials (access_token, or app_id and app_key, or account '
                            'and account_password) with which the module reads the host password from the '
                            'meeting\'s details')
        if problems:
            which = 'meeting %s' % self.conference_id if is_meeting_id(self.conference_id) else 'the meeting'
            self.fail_json(msg='Invalid options for %s: %s.' % (which, '; '.join(problems)))

    # --- the client --------------------------------------------------------------

    @property
    def client(self):
        if self._client is None:
            params = self.params
            self._client = build_client(
                params, warn=self.warn, register_secret=self.no_log_values.add,
                conference_id=self.conference_id, host_password=params['host_password'],
                conference_token=params['conference_token'])
        return self._client

    def closing(self, resource):
        """Close ``resource`` (it has ``close()``) when the task ends, however
        it ends: in direct execution the worker process lives on."""
        self._to_close.append(resource)
        return resource

    def _close_all(self):
        while self._to_close:
            self._to_close.pop().close()
        if self._client is not None:
            self._client.close()

    # --- the result -----------------------------------------------------------------

    def _with_waits(self, result):
        """How long the task waited for the gateway's rate limit, and why
        (``gateway_waits``, shown with -v), when it did."""
        client = getattr(self, '_client', None)  # AnsibleModule fails bad arguments before there is one
        if client is not None and client.gateway_waits:
            result.setdefault('gateway_waits', list(client.gateway_waits))
        return result

    def exit_json(self, **result):
        super(MeetingModule, self).exit_json(**self._with_waits(result))

    def fail_json(self, msg, **result):
        super(MeetingModule, self).fail_json(msg=msg, **self._with_waits(result))

    # --- failures -----------------------------------------------------------------

    def fail_meeting(self, error, **result):
        """Fail the task from a MeetingError: its sentence as ``msg``, the
        facts as ``status``, ``error_code``, ``error_msg``, ``request_id``."""
        result.update(error.to_result())
        self.fail_json(msg=str(error), **result)

    def run(self, body):
        """Run ``body(self)`` and turn any MeetingError into a failed task.
        Anything else is a bug of ours: it still fails the task with words,
        not a traceback (no_log values are masked in msg as everywhere)."""
        try:
            body(self)
        except MeetingError as error:
            self.fail_meeting(error)
        except Exception as error:  # pylint: disable=broad-exception-caught
            self.fail_json(msg='Unexpected error for meeting %s: %s: %s. This is a bug of hwcloud.meeting; '
                               'please report it with this message.'
                           % (self.conference_id, error.__class__.__name__, error))
        finally:
            self._close_all()
