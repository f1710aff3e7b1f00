# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The pacer: keeps the calls of every API under the gateway's rate limit.

The gateway counts the calls of each API, and says how it counts them in two
headers of every answer::

    X-APIG-Ratelimit-Api: remain:99,limit:100,time:1 minute
    X-APIG-Ratelimit-Api-Allenv: remain:199,limit:200,time:1 second

The first is this login's limit for this API, the second the API's limit
across all its callers. Past either, the gateway answers HTTP 429
(APIG.0308) with no Retry-After. The limits differ per API and per account,
so they are learnt from the headers, never assumed.

How (per bucket: a login and base URL, and one API; per header kind):

- A log of the times this controller sent calls of the bucket (shared by all
  its forks through the store), and for each window learnt: its limit, its
  length and an estimate of the calls OTHER controllers sharing the login made
  in it. Each answer refreshes that estimate: the gateway counted
  ``limit - remain`` calls in its window, of which ours are those we sent in
  the window up to the answered call, so ``others = limit - remain - ours``
  (never below 0). Those calls were all made before the answer came, so they
  have all left the window one window after it: the estimate is trusted for
  one window from its answer, then dropped.
- Room in a window at time t = limit - (our sends in (t - window, t]) -
  others. ``before_call`` sends when every window has room; otherwise it
  sleeps until the earliest time all have room (our oldest sends leaving the
  window, or the estimate of the others running out), and looks again, under
  the store's lock, since other forks compete for the same room. This keeps
  at most ``limit`` calls in any interval of one window (a sliding log), which
  is safe whether the gateway's window slides or is fixed.
- The safety margin: a call is counted for its window plus
  ``min(latency_margin, window / 10)`` (0.5 s for a window of a minute, 0.1 s
  for a window of a second). We record a send just before the request leaves,
  the gateway counts it when it arrives; two calls sent exactly one window
  apart can arrive less than one window apart when the first one's latency was
  the longer (a new TLS connection against a reused one), and the second would
  be refused. Counting each send a little longer than the window covers that
  much latency jitter. No margin on the count of calls: it would not help
  against jitter, and costs a call in every window.
- ``on_throttled`` (a 429 all the same): the window the gateway said is full
  (the header whose remain is 0; if none says so, this login's window) is
  marked full as of the refused call, which reopens it when our oldest send
  in it leaves (or one whole window later when none of the calls was ours);
  it sleeps until then plus a random jitter (up to 5 % of the window, at most
  5 s) so that forks throttled together do not all come back at once.
- A wait is bounded by ``max_wait`` for one call, retries included (the
  caller passes what it already waited): when the window would not reopen in
  time, ``RateLimitWait`` is raised at once, without sleeping.
- The lock of the store is never held while sleeping.

Two stores: ``FileStore``, in the token cache's private directory, shared by
every fork and task on the controller; ``MemoryStore``, for one process (when
the token cache is off). What one controller cannot see of another sharing the
login is what ``remain`` tells it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import contextlib
import copy
import json
import math
import os
import random
import re
import threading
import time

from ansible_collections.hwcloud.meeting.plugins.module_utils.token_cache import (
    LOCK_SUFFIX,
    PrivateDirectory,
    default_directory,
)

KIND_API = 'api'          # this login's limit for the API
KIND_ALLENV = 'allenv'    # the API's limit across all its callers
HEADERS = ((KIND_API, 'X-APIG-Ratelimit-Api'), (KIND_ALLENV, 'X-APIG-Ratelimit-Api-Allenv'))

UNITS = {'second': 1, 'minute': 60, 'hour': 3600, 'day': 86400}

# Each send counts for its window plus min(LATENCY_MARGIN, MARGIN_FRACTION x
# the window): the latency jitter between our clock and the gateway's count.
LATENCY_MARGIN = 0.5
MARGIN_FRACTION = 0.1
# After a 429, come back at a random moment within this part of the window.
JITTER_FRACTION = 0.05
MAX_JITTER = 5.0
# A 429 when no limit was ever learnt and the answer says none: wait this long
# (the vendor's per-login limits are per minute). The only assumed number.
UNKNOWN_WINDOW = 60.0
# Sends kept when no window is known (yet): the first answers need them.
UNKNOWN_KEEP = 3600.0
# At most this many sends are kept per bucket (or twice the largest limit).
MIN_KEPT = 1000

SUFFIX = '.pace'
STALE = 86400  # a bucket's file unchanged for a day says nothing of any window of up to a day
OPTION = 'rate_limit_wait'
# Its default: a few windows of a minute, so a call waits out a busy minute or
# two of an event start, and an operator hears of a stuck one within minutes.
DEFAULT_MAX_WAIT = 300.0

CAUSE_FULL = 'window full'
CAUSE_THROTTLED = 'throttled (HTTP 429)'

Limit = collections.namedtuple('Limit', 'remain limit window_seconds')

_TIME = re.compile(r'^(\d+(?:\.\d*)?|\.\d+)\s*([a-z]+)$')
_INTEGER = re.compile(r'^\d+$')


def parse_limit(value):
    """``Limit(remain, limit, window_seconds)`` from a rate-limit header such
    as ``remain:99,limit:100,time:1 minute``, or None when it is missing or
    malformed (never raises). The time is ``<number> <unit>``, the unit second,
    minute, hour or day, singular or plural, in any case. Parts may come in any
    order, with spaces around them; unknown parts are ignored. A limit below 1,
    a window of 0 or a remain above the limit is malformed."""
    if isinstance(value, bytes):
        value = value.decode('latin-1')
    try:
        parts = value.split(',')
    except AttributeError:
        return None
    fields = {}
    for part in parts:
        key, colon, text = part.partition(':')
        if colon:
            fields[key.strip().lower()] = text.strip().lower()
    remain, limit, window = fields.get('remain'), fields.get('limit'), fields.get('time')
    if not (remain and limit and window and _INTEGER.match(remain) and _INTEGER.match(limit)):
        return None
    match = _TIME.match(window)
    if not match:
        return None
    unit = match.group(2)
    if unit not in UNITS and unit.endswith('s'):
        unit = unit[:-1]
    if unit not in UNITS:
        return None
    remain, limit, seconds = int(remain), int(limit), float(match.group(1)) * UNITS[unit]
    if limit < 1 or remain > limit or not 0 < seconds < float('inf'):
        return None
    return Limit(remain, limit, seconds)


def read_headers(headers):
    """``{kind: Limit}`` of the rate-limit headers of an answer that parse.
    ``headers``: a case-insensitive mapping (requests') or a plain dict."""
    found = {}
    if not headers:
        return found
    lowered = None
    for kind, name in HEADERS:
        try:
            value = headers.get(name)
        except AttributeError:
            return found
        if value is None:
            if lowered is None:
                lowered = dict((str(key).lower(), text) for key, text in headers.items())
            value = lowered.get(name.lower())
        limit = parse_limit(value)
        if limit is not None:
            found[kind] = limit
    return found


def _short_number(value):
    """A number in its shortest words: 60, 2.5."""
    return '%g' % value


def per(window):
    """'a minute', 'a second', 'every 5 seconds', 'every 2.5 seconds'."""
    names = ((86400, 'day'), (3600, 'hour'), (60, 'minute'), (1, 'second'))
    for seconds, name in names:
        if window == seconds:
            return ('an ' if name == 'hour' else 'a ') + name
    for seconds, name in names:
        if window >= seconds and window % seconds == 0:
            return 'every %s %ss' % (_short_number(window // seconds), name)
    return 'every %s seconds' % _short_number(window)


def _rate(api, kind, limit, window):
    if not limit:
        return '%s, limit unknown' % api
    return '%s, %s %s%s' % (api, calls(limit), per(window), ' across all callers' if kind == KIND_ALLENV else '')


def calls(count):
    """'1 call', '100 calls'."""
    return '%d call%s' % (count, '' if count == 1 else 's')


class Wait(collections.namedtuple('Wait', 'seconds api kind limit window cause')):
    """One wait of the pacer, for the client's output: ``str()`` gives e.g.
    ``waited 12.3 s for the gateway: GET /v1/mmc/control/conferences/wsToken,
    100 calls a minute, window full``. ``kind`` is 'api' or 'allenv' (None,
    with ``limit`` None, after a 429 when no limit is known); ``cause`` is
    CAUSE_FULL (paced) or CAUSE_THROTTLED (a 429)."""

    __slots__ = ()

    def __str__(self):
        return 'waited %.1f s for the gateway: %s, %s' % (
            self.seconds, _rate(self.api, self.kind, self.limit, self.window), self.cause)


class RateLimitWait(Exception):
    """The window would not reopen within ``max_wait``: raised before any
    sleep that would pass it. ``api`` (``METHOD /path``), ``kind``, ``limit``
    and ``window`` (seconds) of the window that holds the call back (``limit``
    None when the gateway throttled without saying its limit), ``waited`` (what
    the call had already waited), ``needed`` (the further wait it would take)
    and ``max_wait``. ``sentence()`` (and ``str()``) says it in one sentence."""

    def __init__(self, api, kind, limit, window, waited, needed, max_wait):
        self.api = api
        self.kind = kind
        self.limit = limit
        self.window = window
        self.waited = waited
        self.needed = needed
        self.max_wait = max_wait
        super(RateLimitWait, self).__init__(self.sentence())

    def sentence(self):
        bound = '%s (%s s)' % (OPTION, _short_number(self.max_wait))
        if not self.limit:
            return ('the gateway throttled %s (HTTP 429) without saying its limit, and would not take the call '
                    'again within %s: run fewer meetings at once (forks, serial, job slices) or raise %s'
                    % (self.api, bound, OPTION))
        if self.kind == KIND_ALLENV:
            return ('the gateway allows %s of %s %s across all its callers, and the window would not '
                    'reopen within %s: the API is busy for everyone; try again later or raise %s'
                    % (calls(self.limit), self.api, per(self.window), bound, OPTION))
        return ('the gateway allows %s of %s %s for this login, and the window would not reopen '
                'within %s: run fewer meetings at once (forks, serial, job slices) or raise %s'
                % (calls(self.limit), self.api, per(self.window), bound, OPTION))

    def __str__(self):
        return self.sentence()


# --- the state of a bucket ----------------------------------------------------------
#
# As stored (JSON): {"sends": [t, ...],
#                    "windows": {kind: {"limit": n, "window": s, "others": n,
#                                       "observed": t, "sent": t}},
#                    "blocked": [t, s] or null}
# sends: this controller's send times, oldest first. others: the other
# controllers' calls in the window, as of the answer received at ``observed``
# to the call sent at ``sent``; trusted until observed + window. blocked: a
# 429 when no limit was known: no call before t + s.


def _time(value, now):
    """A stored time, or None; one in the future (a clock set back) is now."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        return None
    return min(float(value), now)


def _load(raw, now):
    """The stored state, checked: whatever is malformed is dropped."""
    state = {'sends': [], 'windows': {}, 'blocked': None}
    if not isinstance(raw, dict):
        return state
    sends = raw.get('sends')
    if isinstance(sends, list):
        state['sends'] = sorted(t for t in (_time(value, now) for value in sends) if t is not None)
    windows = raw.get('windows')
    if isinstance(windows, dict):
        for kind, entry in windows.items():
            try:
                limit, window = int(entry['limit']), float(entry['window'])
                others = max(0, int(entry.get('others', 0)))
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
            if limit < 1 or not 0 < window < float('inf'):
                continue
            state['windows'][kind] = {'limit': limit, 'window': window, 'others': others,
                                      'observed': _time(entry.get('observed'), now) or 0.0,
                                      'sent': _time(entry.get('sent'), now) or 0.0}
    blocked = raw.get('blocked')
    if isinstance(blocked, list) and len(blocked) == 2:
        since, window = _time(blocked[0], now), blocked[1]
        if since is not None and isinstance(window, (int, float)) and 0 < window < float('inf'):
            state['blocked'] = [since, float(window)]
    return state


def _ours_before(sends, window, sent):
    """Our sends the gateway counted in its window when it took the call sent
    at ``sent``."""
    return sum(1 for t in sends if t <= sent and t + window > sent)


class Pacer(object):
    """Paces the calls of each bucket (see the module's doc).

    ``store``: a FileStore or a MemoryStore. ``max_wait``: the longest a call
    may wait, in seconds, retries included (None: no bound). ``clock``,
    ``sleep`` and ``rand`` are time.time, time.sleep and random.random, or
    stand-ins. ``latency_margin``: the most a send is counted past its window
    (see LATENCY_MARGIN).

    The caller, for each call of an API::

        waited = 0.0
        while True:
            waited += pacer.before_call(bucket, waited)   # may raise RateLimitWait
            sent_at = time.time()
            response = send()
            if throttled(response):     # 429 APIG.0308, or 429 with remain:0
                waited += pacer.on_throttled(bucket, response.headers, sent_at, waited)
                continue
            pacer.after_call(bucket, response.headers, sent_at)
            break

    A bucket is a tuple of strings: what identifies the login and the base
    URL, then, last, the API (``'GET /v1/mmc/control/conferences/wsToken'``),
    which the messages name. After a call of before_call or on_throttled that
    returned more than 0, ``last_wait`` (a Wait; kept per thread) says how
    long and why; after one that returned 0 it is None.
    """

    def __init__(self, store, max_wait, clock=time.time, sleep=time.sleep, rand=random.random,
                 latency_margin=LATENCY_MARGIN):
        self.store = store
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._rand = rand
        self.latency_margin = latency_margin
        self._local = threading.local()

    @property
    def last_wait(self):
        return getattr(self._local, 'wait', None)

    def margin(self, window):
        """How long past its window a send is still counted."""
        return min(self.latency_margin, MARGIN_FRACTION * window)

    # --- the interface -----------------------------------------------------------

    def before_call(self, bucket, waited=0.0):
        """Called just before sending a call of ``bucket``: returns at once
        (0.0) when every window learnt has room, or when none is known yet,
        and records the send; otherwise sleeps until there is room, records
        the send and returns the seconds it slept. ``waited``: what this call
        already waited (earlier before_call and on_throttled of its retries).
        Raises RateLimitWait, without sleeping, if the room would come later
        than ``max_wait`` after the call's first wait began."""
        self._local.wait = None
        start = self._clock()
        closed_window = None  # (kind, limit, window) of the full window the call waited for last
        while True:
            with self.store.update(bucket) as raw:
                now = self._clock()
                state = _load(raw, now)
                opens, kind = self._opens(state, now)
                if opens <= now:
                    state['sends'].append(now)
                    self._save(raw, state, now)
                    break
                self._save(raw, state, now)  # keeps times from the future as now (written only if changed)
                closed_window = (kind,) + self._limit_and_window(state, kind)
            needed = opens - now
            spent = waited + max(0.0, now - start)
            if self.max_wait is not None and spent + needed > self.max_wait:
                raise RateLimitWait(bucket[-1], closed_window[0], closed_window[1], closed_window[2], spent, needed,
                                    self.max_wait)
            self._sleep(needed)
        if closed_window is None:
            return 0.0
        seconds = max(0.0, now - start)
        self._local.wait = Wait(seconds, bucket[-1], closed_window[0], closed_window[1], closed_window[2], CAUSE_FULL)
        return seconds

    def opens_in(self, bucket):
        """Seconds until a call of ``bucket`` could be sent (0.0: now, or no
        limit known), reserving nothing: to choose between two APIs."""
        with self.store.update(bucket) as raw:
            now = self._clock()
            state = _load(raw, now)
            opens, _kind = self._opens(state, now)
        return max(0.0, opens - now)

    def learnt_limit(self, bucket):
        """(limit, window seconds) of this login's window of ``bucket``
        (the X-APIG-Ratelimit-Api header) as last learnt, or None."""
        with self.store.update(bucket) as raw:
            entry = _load(raw, self._clock())['windows'].get(KIND_API)
        return None if entry is None else (entry['limit'], entry['window'])

    def would_wait(self, bucket):
        """Whether a call of ``bucket`` sent now would wait for its window
        (reserving nothing): to choose between two APIs."""
        return self.opens_in(bucket) > 0

    def after_call(self, bucket, headers, sent_at):
        """Learns from an answer's headers (the call was sent at ``sent_at``,
        read from the same clock after before_call returned): each window's
        limit and length, and how much of it the others used."""
        limits = read_headers(headers)
        if not limits:
            return
        with self.store.update(bucket) as raw:
            now = self._clock()
            state, _sent = self._learn_all(raw, limits, sent_at, now)
            self._save(raw, state, now)

    def on_throttled(self, bucket, headers, sent_at, waited=0.0):
        """After a 429 of the gateway to the call of ``bucket`` sent at
        ``sent_at``: learns the headers, marks the window full, sleeps until
        it reopens plus a jitter, and returns the seconds slept; the caller
        then retries through before_call. Raises RateLimitWait, without
        sleeping, if it would not reopen within ``max_wait`` (``waited``: as
        for before_call)."""
        self._local.wait = None
        start = self._clock()
        limits = read_headers(headers)
        with self.store.update(bucket) as raw:
            now = self._clock()
            state, sent = self._learn_all(raw, limits, sent_at, now)
            full = sorted(kind for kind, limit in limits.items() if limit.remain == 0)
            if not full:
                # APIG.0308 names the user (login) policy: the Api header's.
                full = [KIND_API] if KIND_API in state['windows'] else sorted(state['windows'])
            for kind in full:
                entry = state['windows'][kind]
                current = entry['others'] if entry['observed'] + entry['window'] > now else 0
                entry['others'] = max(current, entry['limit'] - _ours_before(state['sends'], entry['window'], sent))
                entry['observed'], entry['sent'] = now, max(sent, entry['sent'])
            if not full:
                blocked = state['blocked']
                if not blocked or blocked[0] + blocked[1] < now + UNKNOWN_WINDOW:
                    state['blocked'] = [now, UNKNOWN_WINDOW]
            opens, kind = self._opens(state, now)
            if kind is None and full and opens <= now:
                kind = full[0]  # reopened while the answer came back: the jitter still spreads the forks
            limit, window = self._limit_and_window(state, kind)
            self._save(raw, state, now)
        needed = max(0.0, opens - now)
        spent = waited + max(0.0, now - start)
        if self.max_wait is not None and spent + needed > self.max_wait:
            raise RateLimitWait(bucket[-1], kind, limit, window, spent, needed, self.max_wait)
        delay = needed + self._rand() * min(MAX_JITTER, JITTER_FRACTION * window)
        if self.max_wait is not None:
            delay = min(delay, self.max_wait - spent)
        self._sleep(delay)
        seconds = max(0.0, self._clock() - start)
        self._local.wait = Wait(seconds, bucket[-1], kind, limit, window, CAUSE_THROTTLED)
        return seconds

    # --- the arithmetic ------------------------------------------------------------

    def _learn_all(self, raw, limits, sent_at, now):
        """``(state, sent)``: the state of ``raw`` with what an answer to the
        call sent at ``sent_at`` said of each window (``limits``, of
        read_headers), and that send time as stored times are (not after now)."""
        state = _load(raw, now)
        sent = _time(sent_at, now)
        sent = now if sent is None else sent
        for kind, limit in limits.items():
            self._learn(state, kind, limit, sent, now)
        return state, sent

    def _learn(self, state, kind, limit, sent, now):
        entry = state['windows'].get(kind)
        if entry is None or entry['limit'] != limit.limit or entry['window'] != limit.window_seconds:
            entry = state['windows'][kind] = {'limit': limit.limit, 'window': limit.window_seconds,
                                              'others': 0, 'observed': 0.0, 'sent': 0.0}
        elif sent < entry['sent'] and entry['observed'] + entry['window'] > now:
            return  # the answer to an older call than the one the estimate has: it knows less
        ours = _ours_before(state['sends'], entry['window'], sent)
        entry['others'] = max(0, limit.limit - limit.remain - ours)
        entry['observed'], entry['sent'] = now, sent

    def _opens_at(self, entry, sends, now):
        """The earliest time from ``now`` on at which the window has room for
        one more call, if no one else calls meanwhile."""
        limit, window = entry['limit'], entry['window']
        counted = window + self.margin(window)
        ours = [t for t in sends if t + counted > now]   # oldest first

        def earliest(allowed, not_before):
            """When at most ``allowed`` of ours are left in the window."""
            if allowed < 0:
                return None
            excess = len(ours) - allowed
            return not_before if excess <= 0 else max(not_before, ours[excess - 1] + counted)

        others_until = entry['observed'] + window
        if entry['others'] and others_until > now:
            opens = earliest(limit - 1 - entry['others'], now)
            if opens is not None and opens < others_until:
                return opens
            return earliest(limit - 1, others_until)
        return earliest(limit - 1, now)

    def _opens(self, state, now):
        """(when every window has room, the kind of the last to open)."""
        opens, kind = now, None
        blocked = state['blocked']
        if blocked and blocked[0] + blocked[1] > opens:
            opens = blocked[0] + blocked[1]
        for name in sorted(state['windows']):
            at = self._opens_at(state['windows'][name], state['sends'], now)
            if at > opens:
                opens, kind = at, name
        return opens, kind

    @staticmethod
    def _limit_and_window(state, kind):
        """(limit, window) of the window ``kind`` (None: the blocked one)."""
        if kind is None:
            blocked = state['blocked']
            return None, (blocked[1] if blocked else UNKNOWN_WINDOW)
        entry = state['windows'][kind]
        return entry['limit'], entry['window']

    def _save(self, raw, state, now):
        """Writes ``state`` back into ``raw`` with the sends no window can
        count any more dropped."""
        windows = state['windows']
        if windows:
            keep = max(entry['window'] + self.margin(entry['window']) for entry in windows.values())
            kept = max(MIN_KEPT, 2 * max(entry['limit'] for entry in windows.values()))
        else:
            keep, kept = UNKNOWN_KEEP, MIN_KEPT
        sends = [t for t in state['sends'] if t + keep > now][-kept:]
        blocked = state['blocked']
        if blocked and blocked[0] + blocked[1] <= now:
            blocked = None
        raw.clear()
        raw.update({'sends': sends, 'windows': windows, 'blocked': blocked})


# --- the stores ----------------------------------------------------------------------

def pacer_for(cache, max_wait=DEFAULT_MAX_WAIT):
    """The one place a Pacer is built: its state beside the token cache's
    (``cache.private``: every fork and task of the controller paced
    together), else in this process's memory (no cache, or a
    MemoryTokenCache)."""
    private = getattr(cache, 'private', None)
    return Pacer(FileStore(private=private) if private is not None else MemoryStore(), max_wait)


class MemoryStore(object):
    """The state of each bucket in this process's memory, thread-safe."""

    def __init__(self):
        self._states = {}
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def update(self, bucket):
        """The bucket's state (a dict) to read and change in the block, kept
        when the block ends without an exception; other updates wait."""
        with self._lock:
            state = copy.deepcopy(self._states.get(tuple(bucket), {}))
            yield state
            self._states[tuple(bucket)] = state

    def put(self, bucket, state):
        with self._lock:
            self._states[tuple(bucket)] = copy.deepcopy(state)


class FileStore(object):
    """The state of each bucket in a file of the token cache's private
    directory (token_cache.PrivateDirectory: 0700, files 0600, names an HMAC
    of the bucket), shared by every fork and task of the controller. An update
    holds the bucket's flock lock while it reads, changes and writes (a
    temporary file renamed into place). Never raises on I/O: a directory that
    cannot be used, or a file that cannot be written, makes it a MemoryStore
    for the rest of the process, and ``warn`` is told once."""

    def __init__(self, directory=None, warn=None, private=None):
        """``private``: the token cache's PrivateDirectory, shared so that a
        directory that cannot be used is said once, for both."""
        self.directory = private.directory if private is not None else (directory or default_directory())
        self._private = private or PrivateDirectory(
            self.directory, warn, what='the token cache',
            unused='the rate limit is paced for this process only',
            fallback='the rate limit is paced for this process only')
        self._memory = MemoryStore()
        self._swept = False

    @property
    def in_memory(self):
        """True once the store fell back to this process's memory."""
        return self._private.broken

    def update(self, bucket):
        """As MemoryStore.update, across processes."""
        if not self._private.ready():
            return self._memory.update(bucket)
        return self._update_file(bucket)

    @contextlib.contextmanager
    def _update_file(self, bucket):
        identity = ('rate-limit',) + tuple('%s' % part for part in bucket)
        name = self._private.name(identity, SUFFIX)
        with self._private.lock(self._private.name(identity, SUFFIX + LOCK_SUFFIX)):
            state = self._read(name)
            before = json.dumps(state, sort_keys=True)
            yield state
            after = json.dumps(state, sort_keys=True)
            if after != before:
                self._write(bucket, name, after, state)

    def _read(self, name):
        try:
            with open(self._private.path(name)) as handle:
                state = json.load(handle)
        except (OSError, IOError, ValueError):
            return {}  # none yet, or damaged: written anew
        return state if isinstance(state, dict) else {}

    def _write(self, bucket, name, text, state):
        try:
            # No fsync: a count lost in a crash only means relearning it.
            self._private.write_atomically(name, text.encode('utf-8'), durable=False)
            if not self._swept:
                self._swept = True
                self._private.sweep({SUFFIX: _stale})
        except (OSError, IOError) as exc:
            self._private.give_up('the token cache %s cannot be written (%s); the rate limit is paced for '
                                  'this process only' % (self.directory, exc))
            self._memory.put(bucket, state)


def _stale(path, now):
    """A bucket's file unchanged for a day (each update rewrites it)."""
    try:
        return now - os.stat(path).st_mtime > STALE
    except OSError:
        return False
