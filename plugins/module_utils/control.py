# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one state machine of the modules: read the realtime state, compare it
with the desired state, act only when they differ (never in check mode),
optionally wait, and report ``changed``, ``diff``, ``state_verified`` and a
message in one pattern.

A module describes what it manages with a Target (what to read, how to
compare, how to act, how to say it) and calls ``converge(module, target)``;
an on/off state is a Switch, a Target of a few lines (docs/development.md).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import NOT_RUNNING, MeetingError
from ansible_collections.hwcloud.meeting.plugins.module_utils.push import PushChannel, PushError
from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import (
    FIELD_WORDS,
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
SOURCE_WORDS = {'push': 'the meeting-status push', 'realtime': 'realTimeInfo'}


class Reading(object):
    """The state of the meeting as one task read it: ``meeting``,
    ``unreported`` (fields no source reported), ``sources`` (field -> 'push',
    'realtime' or None), ``tried`` (the sources read), and ``channel``, the
    open push channel (None when the push was not read or failed)."""

    def __init__(self, conference_id, channel, realtime, tried, push=None):
        self.conference_id = conference_id
        self.channel = channel
        self._realtime = realtime
        self.tried = tried
        self._merge(push)

    def refresh(self):
        """Merge again, with what the push channel has received since."""
        return self._merge(None)

    def _merge(self, push):
        """``push``: the push's reading when it is already made (read_state
        made it to decide what else to read)."""
        readings = []
        if self.channel is not None:
            if push is None:
                push = read_push(self.conference_id, self.channel.dynamic, self.channel.participants)
            readings.append(('push',) + push)
        if self._realtime is not None:
            readings.append(('realtime',) + self._realtime)
        if not readings:
            readings.append((None,) + read_push(self.conference_id, None, None))  # nothing known
        self.meeting, self.unreported, self.sources = merge(readings)
        return self.meeting


def open_channel(client, timeout, register_secret=None, heartbeat_interval=None):
    """A subscribed push channel of the client's meeting: the push server's
    address and a push token from the client, given to the channel. Raises
    PushError when the push cannot be had, MeetingError for what fails the
    task anyway (a meeting that is not in progress, a refused control token)."""
    credentials = client.credentials
    server = credentials.fetch_push_url()
    if not server:
        raise PushError("the control token came without the push server's address (wsURL); a control token "
                        "given as conference_token carries none, host_password fetches one that does")
    validate_certs, ca_path = client.tls_options

    def attempt(token):
        channel = PushChannel(client.conference_id, server, timeout, validate_certs=validate_certs, ca_path=ca_path,
                              register_secret=register_secret)
        if heartbeat_interval is not None:
            channel.heartbeat_interval = heartbeat_interval
        try:
            return channel.open(token, credentials.obtain_control_token())
        except BaseException:
            channel.close()
            raise

    # The push token that came with a control token fetched in this task
    # saves a wsToken call; should the push server turn it away, a push
    # token of its own is tried once.
    temporary = credentials.take_temporary_ws_token()
    if temporary:
        try:
            return attempt(temporary)
        except PushError as error:
            if not error.refused:
                raise
    return attempt(_push_token(credentials))


def _push_token(credentials):
    try:
        return credentials.fetch_push_token()
    except MeetingError as error:
        if error.error_code in NOT_RUNNING or error.status == 401:
            raise
        raise PushError('the service gave no push token (%s)' % error)


def _open_push(module):
    """An open, subscribed push channel, or None (and a warning) when the
    push cannot be had; the task goes on without it."""
    if module.push_failure:
        return None  # it failed once in this task already: not again
    try:
        channel = open_channel(module.client, module.params['timeout'], register_secret=module.no_log_values.add)
    except PushError as error:
        module.push_failure = str(error)
        then = ('state_source is push, so that state is unknown' if module.params['state_source'] == 'push'
                else 'the state comes from realTimeInfo where it reports it, else it is unknown')
        module.warn('The meeting-status push of meeting %s could not be read: %s; %s.'
                    % (module.conference_id, error, then))
        return None
    module.closing(channel)
    return channel


def read_state(module, needs, push=True):
    """Read what the task ``needs`` (fields of the realtime state contract,
    ``participants``, ``details``) in the order of the service contract
    (docs/dev/service_contract.md): the push first, realTimeInfo for what
    the push did not report or never carries, and no source that the task
    does not need. ``state_source`` pins one. ``push`` false: realTimeInfo
    only (a wait that polls)."""
    source = module.params['state_source']
    needs = set(needs)
    channel = None
    tried = []
    if push and source != 'realtime' and needs & PUSH_REPORTS:
        tried.append('push')
        channel = _open_push(module)
    missing = set(needs)
    pushed = None
    if channel is not None:
        pushed = read_push(module.conference_id, channel.dynamic, channel.participants)
        missing &= pushed[1] | set([DETAILS])
    realtime = None
    if source != 'push' and missing:
        tried.append('realtime')
        realtime = read_meeting(module.conference_id, module.client.realtime_info())
    return Reading(module.conference_id, channel, realtime, tried, pushed)


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


# What a Target's ``value_if_not_running`` says when a meeting that is not
# running leaves the task something it cannot do (it fails).
NOT_DONE_IF_NOT_RUNNING = object()


class Target(object):
    """What a module manages, for ``converge``.

    ``key``: the result key and the key of ``meeting`` it reads;
    ``fields``: the contract fields that tell its current value (when a
    source did not report one, the call is sent anyway, the task says
    changed and warns); ``needs``: what to read (``fields`` by default);
    ``words``: words for it in messages and warnings; ``value_if_not_running``:
    its value on a meeting that is not running, when the task asks for that
    value (then such a meeting leaves the task nothing to do), else
    NOT_DONE_IF_NOT_RUNNING.
    """

    key = None
    fields = ()
    words = None

    @property
    def needs(self):
        return self.fields

    def in_words(self):
        """Its words, or its key's."""
        return self.words or self.key.replace('_', ' ')

    def value_if_not_running(self, module):
        return NOT_DONE_IF_NOT_RUNNING

    def read(self, module, push=True):
        """The state this target needs; ``push`` false: without the push."""
        return read_state(module, self.needs, push)

    def current(self, module, reading, desired):
        return reading.meeting[self.key]

    def desired(self, module, reading):
        raise NotImplementedError

    def apply(self, module, desired):
        raise NotImplementedError

    def reached(self, meeting, desired):
        return meeting[self.key] == desired

    def outcome(self, module, desired):
        raise NotImplementedError

    def result(self):
        """Keys of the result beside ``key`` (after ``apply``)."""
        return {}


class Switch(Target):
    """An on/off state (``state: started | stopped``): ``key`` the result
    key (``recording``), ``field`` its contract field (``recState``),
    ``write`` the call that sets it, given the client and the value
    (``MeetingClient.set_recording``), ``subject`` and ``words`` name it in
    messages ("Recording", "recording")."""

    def __init__(self, key, field, write, subject, words):
        self.key = key
        self.fields = (field,)
        self.write = write
        self.subject = subject
        self.words = words

    def value_if_not_running(self, module):
        return NOT_DONE_IF_NOT_RUNNING if self.desired(module, None) else False

    def desired(self, module, reading):
        return module.params['state'] == 'started'

    def apply(self, module, desired):
        self.write(module.client, desired)

    def outcome(self, module, desired):
        verb, done = ('start', 'started') if desired else ('stop', 'stopped')
        subject, cid = self.subject, module.conference_id
        return Outcome(
            done='%s of meeting %s %s' % (subject, cid, done),
            already='%s of meeting %s already %s' % (subject, cid, done),
            would='Would %s %s of meeting %s' % (verb, self.words, cid),
            timed_out='%s of meeting %s was not %s' % (subject, cid, done),
        )

    def converge(self, module):
        converge(module, self)


def _timed_out(module, outcome):
    seconds = module.params['wait_timeout']
    module.fail_json(msg='%s within %s second%s.' % (outcome.timed_out, seconds, '' if seconds == 1 else 's'),
                     changed=True)


def wait_until(module, target, reading, desired, outcome):
    """Wait until the target is ``desired``: on the push channel's messages
    when the push reported the state, else by polling realTimeInfo; fail
    after wait_timeout. A push that breaks is opened once more in the task,
    never per poll (each opening costs a push-token call against the
    gateway's window). True once the state shows ``desired``; False when no
    source left can show it (the push broke twice, or could not be opened
    again, and realTimeInfo does not report it)."""
    field = target.fields[0]
    deadline = time.monotonic() + module.params['wait_timeout']
    reopened = False
    while reading.channel is not None and reading.sources.get(field) == 'push':
        channel = reading.channel
        try:
            if channel.wait(lambda: target.reached(reading.refresh(), desired), deadline):
                return True
            _timed_out(module, outcome)
        except PushError as error:
            channel.close()
            if reopened:
                module.push_failure = str(error)
                module.warn('The meeting-status push of meeting %s broke again: %s; it is not opened a third '
                            'time.' % (module.conference_id, error))
                break
            module.warn('The meeting-status push of meeting %s broke: %s; the module opens it once more.'
                        % (module.conference_id, error))
        reopened = True
        reading = target.read(module)
        if field not in reading.unreported and target.reached(reading.meeting, desired):
            return True
    delay = POLL_FIRST_DELAY
    while True:
        again = target.read(module, push=False)
        if field in again.unreported:
            return False
        if target.reached(again.meeting, desired):
            return True
        if time.monotonic() + delay > deadline:
            _timed_out(module, outcome)
        time.sleep(delay)
        delay = min(delay * 2, POLL_MAX_DELAY)


def _exit(module, target, current, desired, changed, verified, msg):
    result = {target.key: desired if changed else current, 'changed': changed, 'state_verified': verified,
              'msg': msg}
    result.update(target.result())
    if module._diff:
        result['diff'] = dict(before={target.key: current}, after={target.key: desired if changed else current})
    module.exit_json(**result)


def converge(module, target):
    """Read, compare, act (unless check mode), wait when asked, and exit."""
    value_if_not_running = target.value_if_not_running(module)
    try:
        reading = target.read(module)
    except MeetingError as error:
        # On a meeting that is not in progress, or has ended, nothing
        # records, streams or is broadcast: a task that switches it off has
        # nothing to do (event_stop can run again after the event).
        if value_if_not_running is NOT_DONE_IF_NOT_RUNNING or error.error_code not in NOT_RUNNING \
                or error.no_such_meeting:
            raise
        _exit(module, target, value_if_not_running, value_if_not_running, False, True,
              '%s: the meeting is not in progress' % target.outcome(module, value_if_not_running).already)
    desired = target.desired(module, reading)
    current = target.current(module, reading, desired)
    outcome = target.outcome(module, desired)
    verified = not [field for field in target.fields if field in reading.unreported]
    changed = (not verified) or current != desired
    if not verified and module.params['warn_unverified']:
        warning = unverified_warning(module, reading, target.in_words(), target.fields)
        if module.params.get('wait') and not module.check_mode:
            warning += ' It does not wait for it either.'
        module.warn(warning)
    if changed and not module.check_mode:
        target.apply(module, desired)
        if module.params.get('wait') and verified:
            verified = wait_until(module, target, reading, desired, outcome)
            if not verified and module.params['warn_unverified']:
                module.warn('The change to %s of meeting %s was sent, but it cannot be confirmed: the meeting-status '
                            'push is gone and realTimeInfo does not report %s.'
                            % (target.in_words(), module.conference_id,
                               ' or '.join(FIELD_WORDS[field] for field in target.fields)))
    if changed:
        msg = outcome.would if module.check_mode else outcome.done
    else:
        msg = outcome.already
    _exit(module, target, current, desired, changed, verified, msg)
