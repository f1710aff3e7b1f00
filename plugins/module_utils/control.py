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
from ansible_collections.hwcloud.meeting.plugins.module_utils.push import PushChannel, PushError
from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import (
    PUSH_REPORTS,
    merge,
    read_meeting,
    read_push,
)

WAIT_ARGUMENT_SPEC = dict(
    wait=dict(type='bool', default=False),
    wait_timeout=dict(type='int', default=60),
)

# The options of a module that switches something on or off (record, live).
SWITCH_ARGUMENT_SPEC = dict(
    state=dict(type='str', required=True, choices=['started', 'stopped']),
    **WAIT_ARGUMENT_SPEC
)

# Polling for wait (when the push cannot be had): first look at once (the
# service usually applies a change before it answers), then back off to at
# most one read every two seconds.
POLL_FIRST_DELAY = 0.5
POLL_MAX_DELAY = 2.0

# What a task may need: fields of the realtime state contract, the
# participants, and ``details`` (chairID, coHosts, attendees: realTimeInfo only).
DETAILS = 'details'
# Words for the fields, in warnings.
FIELD_WORDS = {
    'state': 'whether the meeting is in progress (state)',
    'recState': 'the recording state (recState)',
    'liveState': 'the live streaming state (liveState)',
    'mode': 'the view mode (mode)',
    'broadcastPid': 'who is broadcast',
    'participants': 'the participants',
}
SOURCE_WORDS = {'push': 'the meeting-status push', 'realtime': 'realTimeInfo'}


class Reading(object):
    """The state of the meeting as one task read it: ``meeting``,
    ``unreported`` (fields no source reported), ``sources`` (field -> 'push',
    'realtime' or None), ``tried`` (the sources read), and ``channel``, the
    open push channel (None when the push was not read or failed)."""

    def __init__(self, conference_id, channel, realtime, tried):
        self.conference_id = conference_id
        self.channel = channel
        self._realtime = realtime
        self.tried = tried
        self.refresh()

    def refresh(self):
        """Merge again, with what the push channel has received since."""
        readings = []
        if self.channel is not None:
            readings.append(('push',) + read_push(self.conference_id, self.channel.dynamic, self.channel.participants))
        if self._realtime is not None:
            readings.append(('realtime',) + self._realtime)
        if not readings:
            readings.append((None,) + read_push(self.conference_id, None, None))  # nothing known
        self.meeting, self.unreported, self.sources = merge(readings)
        return self.meeting


def _open_push(module):
    """An open, subscribed push channel, or None (and a warning) when the
    push cannot be had; the task goes on without it."""
    if module.push_failure:
        return None  # it failed once in this task already: not again
    channel = PushChannel(module.client, module.params['timeout'], register_secret=module.no_log_values.add)
    try:
        channel.open()
    except PushError as error:
        channel.close()
        module.push_failure = str(error)
        then = ('state_source is push, so that state is unknown' if module.params['state_source'] == 'push'
                else 'the state comes from realTimeInfo where it reports it, else it is unknown')
        module.warn('The meeting-status push of meeting %s could not be read: %s; %s.'
                    % (module.conference_id, error, then))
        return None
    except BaseException:
        channel.close()
        raise
    module.closing(channel)
    return channel


def read_state(module, needs):
    """Read what the task ``needs`` (fields of the realtime state contract,
    ``participants``, ``details``) in the order of API.md: the push first,
    realTimeInfo for what the push did not report or never carries, and no
    source that the task does not need. ``state_source`` pins one."""
    source = module.params['state_source']
    needs = set(needs)
    channel = None
    tried = []
    if source != 'realtime' and needs & PUSH_REPORTS:
        tried.append('push')
        channel = _open_push(module)
    missing = set(needs)
    if channel is not None:
        _meeting, push_unreported = read_push(module.conference_id, channel.dynamic, channel.participants)
        missing &= push_unreported | set([DETAILS])
    realtime = None
    if source != 'push' and missing:
        tried.append('realtime')
        realtime = read_meeting(module.conference_id, module.client.realtime_info())
    return Reading(module.conference_id, channel, realtime, tried)


def read_state_to_switch_off(module, needs, key, off, msg):
    """read_state for a task that switches something off: on a meeting that
    is not in progress, or has ended, nothing records, streams or is
    broadcast, so the task has nothing to do and exits ``ok`` (event_stop
    can run again after the event)."""
    try:
        return read_state(module, needs)
    except MeetingError as error:
        if error.error_code not in NOT_RUNNING:
            raise
        result = {key: off, 'changed': False, 'state_verified': True,
                  'msg': '%s: the meeting is not in progress' % msg}
        if module._diff:
            result['diff'] = dict(before={key: off}, after={key: off})
        module.exit_json(**result)


def unverified_warning(module, reading, what, fields):
    """Why the module cannot tell whether it changes anything."""
    fields = [field for field in fields if field in reading.unreported]
    if 'liveState' in fields:
        return ('The vendor publishes no live streaming state (liveState is in neither realTimeInfo nor the '
                'meeting-status push), so the module cannot tell whether %s of meeting %s is on; it sends the call anyway '
                'and reports changed.' % (what, module.conference_id))
    tried = [SOURCE_WORDS[source] for source in reading.tried]
    if not tried:
        said = 'Nothing was read that reports'
    elif len(tried) == 1:
        said = '%s did not report' % tried[0]
        said = said[0].upper() + said[1:]
    else:
        said = 'Neither %s nor %s reported' % tuple(tried)
    return ('%s %s in meeting %s, so the module cannot tell whether anything changes; it sends the call anyway '
            'and reports changed.' % (said, ' or '.join(FIELD_WORDS[field] for field in fields), module.conference_id))


class Outcome(object):
    """The messages of one managed state, in the collection's one pattern:
    ``done`` ("Recording of meeting 1 started"), ``already`` ("... already
    started"), ``would`` ("Would start recording of meeting 1")."""

    def __init__(self, done, already, would, timed_out):
        self.done = done
        self.already = already
        self.would = would
        self.timed_out = timed_out


def _timed_out(module, outcome):
    module.fail_json(msg='%s within %s seconds.' % (outcome.timed_out, module.params['wait_timeout']), changed=True)


def wait_until(module, reading, needs, field, reached, outcome):
    """Wait for ``reached(meeting)``: on the push channel's messages when the
    push reported the state, else by reading the state again; fail after
    wait_timeout."""
    deadline = time.monotonic() + module.params['wait_timeout']
    if reading.channel is not None and reading.sources.get(field) == 'push':
        try:
            if reading.channel.wait(lambda: reached(reading.refresh()), deadline):
                return reading.meeting
            _timed_out(module, outcome)
        except PushError as error:
            module.warn('The meeting-status push of meeting %s broke while waiting for the change (%s); the module '
                        'reads the state again instead.' % (module.conference_id, error))
    delay = POLL_FIRST_DELAY
    while True:
        again = read_state(module, needs)
        if again.channel is not None:
            again.channel.close()
        if field not in again.unreported and reached(again.meeting):
            return again.meeting
        if time.monotonic() + delay > deadline:
            _timed_out(module, outcome)
        time.sleep(delay)
        delay = min(delay * 2, POLL_MAX_DELAY)


def converge(module, key, current, desired, reading, needs, fields, apply, outcome, reached=None, what=None):
    """Make the state ``key`` go from ``current`` to ``desired`` and exit.

    ``fields``: the fields of the realtime state contract that tell
    ``current``; when a source did not report one (``reading.unreported``)
    the call is sent anyway (the service treats it as idempotent), the task
    says changed, and warns.  ``reached(meeting)`` tells ``wait`` when it is
    done; ``needs`` is what to read again for that.
    """
    verified = not [field for field in fields if field in reading.unreported]
    changed = (not verified) or current != desired
    if not verified:
        module.warn(unverified_warning(module, reading, what or key.replace('_', ' '), fields))
    if changed and not module.check_mode:
        apply()
        if module.params.get('wait'):
            if verified:
                wait_until(module, reading, needs, fields[0], reached, outcome)
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
    needs = [field]
    if wanted:
        reading = read_state(module, needs)
    else:
        reading = read_state_to_switch_off(
            module, needs, key, False, '%s of meeting %s already stopped' % (subject, cid))
    converge(
        module, key, reading.meeting[key], wanted, reading, needs, [field],
        apply=lambda: switch(wanted),
        reached=lambda now: now[key] == wanted,
        what=thing,
        outcome=Outcome(
            done='%s of meeting %s %s' % (subject, cid, done),
            already='%s of meeting %s already %s' % (subject, cid, done),
            would='Would %s %s of meeting %s' % (verb, thing, cid),
            timed_out='%s of meeting %s was not %s' % (subject, cid, done),
        ),
    )
