# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How long an event start takes at least (the preflight, event_check).

Two things bound it, and the larger wins:
- the gateway: each meeting makes one call of each API in a first
  event_start (tests/integration/test_call_counts.py pins it), and the
  gateway takes ``limit`` calls of one API a ``window``; event_start goes in
  batches of ``batch`` meetings, each through every step, and a batch whose
  calls fill the windows waits for them to reopen;
- the controller: Ansible runs ``forks`` meetings at once, each through
  every step; ``round_seconds`` is what one such round takes when nothing
  waits for the gateway, so a batch of ``b`` meetings takes
  ``T_b = ceil(b / forks) x round_seconds``.

A batch starts when the one before it is done and the gateway's window has
room for its calls. For batches of the limit that is the benchmark's floor
``(k - 1) x max(window, T_b) + T_last`` (tests/benchmark/event_scale.py,
docs/benchmark.md); smaller batches share a window, and a batch whose calls
pass the limit waits for the window within itself.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import math

# The gateway's documented limit, when the run learnt none from its headers.
DOCUMENTED_LIMIT = 100
DOCUMENTED_WINDOW = 60.0


class EstimateError(ValueError):
    """Input the estimate cannot use, in one sentence."""


def _positive(name, value, integer=False):
    try:
        number = int(value) if integer else float(value)
    except (TypeError, ValueError):
        raise EstimateError('%s must be a number (got %r)' % (name, value))
    if number <= 0 or (integer and number != float(value)):
        raise EstimateError('%s must be %s greater than 0 (got %r)' % (
            name, 'a whole number' if integer else 'a number', value))
    return number


def batches(meetings, batch):
    """Sizes of event_start's batches (``batch`` 0 or None: one batch)."""
    size = batch if batch and batch < meetings else meetings
    full, rest = divmod(meetings, size)
    return [size] * full + ([rest] if rest else [])


def floor_seconds(meetings, limit, window, batch, round_seconds, forks, calls=1):
    """The least wall time of event_start over ``meetings`` meetings."""
    meetings = _positive('the number of meetings', meetings, integer=True)
    limit = _positive("the gateway's limit", limit, integer=True)
    window = _positive("the gateway's window", window)
    round_seconds = _positive('the seconds a round of meetings takes', round_seconds)
    forks = _positive('forks', forks, integer=True)
    # Each batch (or, when its calls of an API pass the limit, each part of
    # it that the limit takes at once) starts when the previous one is done
    # and the window has room for its calls: calls counted when the batch
    # starts, which is when a step's calls leave, within the batch's time.
    sent = []  # (when, calls) of the parts started
    now = 0.0
    for size in batches(meetings, int(batch or 0)):
        controller = math.ceil(size / float(forks)) * round_seconds
        parts = int(math.ceil(size * calls / float(limit)))
        for part in range(parts):
            part_calls = min(limit, size * calls - part * limit)
            while sum(count for at, count in sent if at > now - window) + part_calls > limit:
                now = min(at for at, count in sent if at > now - window) + window
            sent.append((now, part_calls))
            now += controller / parts
    return now


def _minutes_text(seconds):
    minutes = seconds / 60.0
    if minutes < 1:
        return 'less than a minute'
    if minutes < 10:
        return '%.1f minutes' % minutes
    return '%d minutes' % int(math.ceil(minutes))


def _per(window):
    if window == 60:
        return 'a minute'
    if window == 1:
        return 'a second'
    return 'every %g seconds' % window


def start_by(event_time, seconds):
    """'08:50' for an event at '09:00' that takes 9.5 minutes: the event
    time less the whole minutes the start takes, rounded up."""
    try:
        at = datetime.datetime.strptime(str(event_time).strip(), '%H:%M')
    except ValueError:
        raise EstimateError("event_time must be a time of day as HH:MM, such as 09:00 (got '%s')" % event_time)
    start = at - datetime.timedelta(minutes=int(math.ceil(seconds / 60.0)))
    return start.strftime('%H:%M')


def estimate(meetings, round_seconds, forks, limit=None, window=None, batch=100, event_time=None, calls=1):
    """A dict: ``seconds`` (the floor), ``limit``, ``window``, ``learnt``
    (whether the limit came from the gateway's headers), ``batches``,
    ``start_by`` (HH:MM, or None) and ``sentence``."""
    learnt = bool(limit and window)
    limit = limit if learnt else DOCUMENTED_LIMIT
    window = window if learnt else DOCUMENTED_WINDOW
    seconds = floor_seconds(meetings, limit, window, batch, round_seconds, forks, calls)
    by = start_by(event_time, seconds) if event_time not in (None, '') else None
    source = "the gateway's" if learnt else "the gateway's documented"
    sentence = '%d meeting%s: at least %s at %s %d calls of an API %s; ' % (
        meetings, '' if meetings == 1 else 's', _minutes_text(seconds), source, limit, _per(window))
    if by:
        sentence += 'start by %s for %s.' % (by, str(event_time).strip())
    else:
        sentence += 'start it at least %d minute%s before the event (event_time=HH:MM says when).' % (
            int(math.ceil(seconds / 60.0)), '' if seconds <= 60 else 's')
    return dict(seconds=round(seconds, 1), limit=limit, window=window, learnt=learnt,
                batches=len(batches(int(meetings), int(batch or 0))), start_by=by, sentence=sentence)


# What one step of an event start costs the controller, in checks of the
# preflight: both are a task of one of the collection's modules through the
# same forks, and at event scale the controller's cores are the bound, so a
# step costs about what a check does (measured from 0.86 to 1.37 of it with
# tests/benchmark/preflight.py, with the machine busier or quieter:
# docs/benchmark.md, "The preflight's estimate").
STEP_FACTOR = 1.0


def estimate_from_run(checked, began, forks, batch=100, steps=4, event_time=None):
    """The estimate from a preflight's run: ``checked``, one dict per meeting
    in inventory order with ``done`` (when its check ended, seconds since the
    epoch) and ``gateway_limit`` (the module's, or None); ``began``: when the
    checks began; ``forks``: the run's. The controller's time comes from the
    first batch, which the gateway did not hold back (one call of the details
    per meeting, a batch no larger than the limit): its rounds of ``forks``
    checks, scaled to the ``steps`` of an event start."""
    if not checked:
        raise EstimateError('there are no meetings to estimate for')
    steps = _positive('the steps of an event start', steps, integer=True)
    forks = _positive('forks', forks, integer=True)
    try:
        began = float(began)
    except (TypeError, ValueError):
        raise EstimateError('began must be a time in seconds since the epoch (got %r)' % (began,))
    first = checked[:batches(len(checked), int(batch or 0))[0]]
    done = []
    for meeting in first:
        try:
            done.append(float(meeting.get('done')))
        except (TypeError, ValueError):
            continue
    if not done:
        raise EstimateError("no meeting of the first batch noted when its check ended, so the controller's time "
                            "per meeting is unknown")
    check_round = max(0.001, (max(done) - began) / math.ceil(len(first) / float(forks)))
    round_seconds = check_round * steps * STEP_FACTOR
    limits = [meeting['gateway_limit'] for meeting in checked if isinstance(meeting.get('gateway_limit'), dict)]
    # the strictest the gateway said, should the answers differ
    learnt = min(limits, key=lambda item: float(item.get('limit') or 0) / float(item.get('window') or 1)) \
        if limits else {}
    result = estimate(len(checked), round_seconds, forks, learnt.get('limit'), learnt.get('window'), batch,
                      event_time)
    result['round_seconds'] = round(round_seconds, 2)
    return result
