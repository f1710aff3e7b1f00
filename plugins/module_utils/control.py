# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one state machine of the modules: read the realtime state, compare it
with the desired state, act only when they differ (never in check mode),
optionally wait, and report ``changed``, ``diff``, ``state_verified`` and a
message in one pattern."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.hwcloud.meeting.plugins.module_utils.client import NOT_RUNNING, MeetingError
from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import read_meeting

WAIT_ARGUMENT_SPEC = dict(
    wait=dict(type='bool', default=False),
    wait_timeout=dict(type='int', default=60),
)

# The options of a module that switches something on or off (record, live).
SWITCH_ARGUMENT_SPEC = dict(
    state=dict(type='str', required=True, choices=['started', 'stopped']),
    **WAIT_ARGUMENT_SPEC
)

# Polling for wait: first look at once (the service usually applies a change
# before it answers), then back off to at most one read every two seconds.
POLL_FIRST_DELAY = 0.5
POLL_MAX_DELAY = 2.0


def read_state(module):
    """(meeting, unreported) from one realTimeInfo call."""
    return read_meeting(module.conference_id, module.client.realtime_info())


def read_state_to_switch_off(module, key, off, msg):
    """read_state for a task that switches something off: on a meeting that
    is not in progress, or has ended, nothing records, streams or is
    broadcast, so the task has nothing to do and exits ``ok`` (event_stop
    can run again after the event)."""
    try:
        return read_state(module)
    except MeetingError as error:
        if error.error_code not in NOT_RUNNING:
            raise
        result = {key: off, 'changed': False, 'state_verified': True,
                  'msg': '%s: the meeting is not in progress' % msg}
        if module._diff:
            result['diff'] = dict(before={key: off}, after={key: off})
        module.exit_json(**result)


class Outcome(object):
    """The messages of one managed state, in the collection's one pattern:
    ``done`` ("Recording of meeting 1 started"), ``already`` ("... already
    started"), ``would`` ("Would start recording of meeting 1")."""

    def __init__(self, done, already, would, timed_out):
        self.done = done
        self.already = already
        self.would = would
        self.timed_out = timed_out


def wait_until(module, reached, outcome):
    """Poll realTimeInfo until ``reached(meeting)``; fail after wait_timeout."""
    deadline = time.monotonic() + module.params['wait_timeout']
    delay = POLL_FIRST_DELAY
    while True:
        meeting, _unreported = read_state(module)
        if reached(meeting):
            return meeting
        if time.monotonic() + delay > deadline:
            module.fail_json(msg='%s within %s seconds.' % (outcome.timed_out, module.params['wait_timeout']),
                             changed=True)
        time.sleep(delay)
        delay = min(delay * 2, POLL_MAX_DELAY)


def converge(module, key, current, desired, verified, apply, outcome, reached=None, unreported_names=''):
    """Make the state ``key`` go from ``current`` to ``desired`` and exit.

    ``verified`` is False when the service did not report the state: then the
    call is sent anyway (the service treats it as idempotent), the task says
    changed, and warns.  ``reached(meeting)`` tells ``wait`` when it is done.
    """
    changed = (not verified) or current != desired
    if not verified:
        module.warn('The service did not report %s of meeting %s (realTimeInfo confInfo lacks %s), so the module '
                    'cannot tell whether anything changes; it sends the call anyway and reports changed.'
                    % (key.replace('_', ' '), module.conference_id, unreported_names))
    if changed and not module.check_mode:
        apply()
        if module.params.get('wait'):
            if verified:
                wait_until(module, reached, outcome)
            else:
                module.warn('wait was skipped for meeting %s: the service does not report the state to wait for.'
                            % module.conference_id)
    if changed:
        msg = outcome.would if module.check_mode else outcome.done
    else:
        msg = outcome.already
    result = {key: desired if changed else current, 'changed': changed, 'state_verified': verified, 'msg': msg}
    if module._diff:
        result['diff'] = dict(before={key: current}, after={key: desired if changed else current})
    module.exit_json(**result)


def converge_switch(module, key, field, switch, subject, thing):
    """Converge an on/off state (``state: started | stopped``).

    ``key``: the result key (``recording``); ``field``: its confInfo field
    (``recState``); ``switch(on)``: the client call; ``subject`` and ``thing``
    name it in messages ("Recording", "recording").
    """
    wanted = module.params['state'] == 'started'
    verb, done = ('start', 'started') if wanted else ('stop', 'stopped')
    cid = module.conference_id
    if wanted:
        meeting, unreported = read_state(module)
    else:
        meeting, unreported = read_state_to_switch_off(
            module, key, False, '%s of meeting %s already stopped' % (subject, cid))
    converge(
        module, key, meeting[key], wanted,
        verified=field not in unreported,
        apply=lambda: switch(wanted),
        reached=lambda now: now[key] == wanted,
        unreported_names=field,
        outcome=Outcome(
            done='%s of meeting %s %s' % (subject, cid, done),
            already='%s of meeting %s already %s' % (subject, cid, done),
            would='Would %s %s of meeting %s' % (verb, thing, cid),
            timed_out='%s of meeting %s was not %s' % (subject, cid, done),
        ),
    )
