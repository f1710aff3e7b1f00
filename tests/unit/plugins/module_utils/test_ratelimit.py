# Unit tests of the rate-limit pacer. No network, no real sleeping: a fake
# clock whose sleep advances it, and a fake gateway that counts calls the way
# the vendor's does (a sliding window per login and API, one per API across
# all logins) and answers their headers and 429s.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fcntl
import hashlib
import heapq
import json
import multiprocessing
import os
import random
import stat
import threading
import time

import pytest
from requests.structures import CaseInsensitiveDict

from ansible_collections.hwcloud.meeting.plugins.module_utils import ratelimit
from ansible_collections.hwcloud.meeting.plugins.module_utils import token_cache as cache_module
from ansible_collections.hwcloud.meeting.plugins.module_utils.ratelimit import (
    FileStore,
    Limit,
    MemoryStore,
    Pacer,
    RateLimitWait,
    parse_limit,
    read_headers,
)
from ansible_collections.hwcloud.meeting.plugins.module_utils.token_cache import MemoryTokenCache, TokenCache

from .fakes import FakeClock

API = 'GET /v1/mmc/control/conferences/wsToken'
SECRET = '223344'  # a host password: a bucket's file name must not give it away
LOGIN = ('https://meeting.example.test', 'app-1', SECRET)
BUCKET = LOGIN + (API,)
API_HEADER = 'X-APIG-Ratelimit-Api'
ALLENV_HEADER = 'X-APIG-Ratelimit-Api-Allenv'


# --- fakes ---------------------------------------------------------------------------

class VirtualTime(object):
    """Threads (forks, controllers) that block only in sleep() run one at a
    time, in the order of their wake-up times (ties: the order they fell
    asleep); when all sleep, time jumps to the next wake-up. So runs of many
    threads are exactly repeatable, and take no real time."""

    def __init__(self, now=1000.0):
        self.now = now
        self._condition = threading.Condition()
        self._queue = []
        self._sequence = 0
        self._turn = None
        self.errors = []

    def clock(self):
        return self.now

    def _enqueue(self, wake):
        self._sequence += 1
        heapq.heappush(self._queue, (wake, self._sequence))
        return self._sequence

    def _await_turn(self, ticket):
        while self._turn != ticket:
            if not self._condition.wait(30):
                raise AssertionError('virtual time stuck')

    def sleep(self, seconds):
        with self._condition:
            ticket = self._enqueue(self.now + max(0.0, seconds))
            self._turn = None
            self._condition.notify_all()
            self._await_turn(ticket)

    def _body(self, ticket, function):
        with self._condition:
            self._await_turn(ticket)
        try:
            function()
        except BaseException as exc:  # reported by run()
            self.errors.append(exc)
        finally:
            with self._condition:
                self._turn = None
                self._condition.notify_all()

    def run(self, functions):
        with self._condition:
            tickets = [self._enqueue(self.now) for _function in functions]
        threads = [threading.Thread(target=self._body, args=(ticket, function))
                   for ticket, function in zip(tickets, functions)]
        for thread in threads:
            thread.start()
        with self._condition:
            while True:
                while self._turn is not None:
                    if not self._condition.wait(30):
                        raise AssertionError('virtual time stuck')
                if not self._queue:
                    break
                wake, self._turn = heapq.heappop(self._queue)
                self.now = max(self.now, wake)
                self._condition.notify_all()
        for thread in threads:
            thread.join(30)
        if self.errors:
            raise self.errors[0]


def _time_text(window):
    return {1.0: '1 second', 60.0: '1 minute'}.get(window, '%g seconds' % window)


class FakeGateway(object):
    """Counts admitted calls in a sliding window per (login, API) and per API
    across logins; a call that would pass either limit is refused with a 429
    (not counted) whose full window says remain:0."""

    def __init__(self, clock, limit=100, window=60.0, allenv_limit=10000, allenv_window=1.0):
        self.clock = clock
        self.limit, self.window = limit, window
        self.allenv_limit, self.allenv_window = allenv_limit, allenv_window
        self.admitted = {}
        self.answers = []  # (time, login, status)

    def call(self, login, api):
        now = self.clock()
        windows = [(API_HEADER, (login, api), self.limit, self.window),
                   (ALLENV_HEADER, (api,), self.allenv_limit, self.allenv_window)]
        logs = []
        for _header, key, _limit, window in windows:
            self.admitted[key] = [t for t in self.admitted.get(key, []) if t + window > now]
            logs.append(self.admitted[key])
        refused = any(len(log) >= limit for log, (_h, _k, limit, _w) in zip(logs, windows))
        headers = CaseInsensitiveDict()
        for log, (header, _key, limit, window) in zip(logs, windows):
            if not refused:
                log.append(now)
            headers[header] = 'remain:%d,limit:%d,time:%s' % (limit - len(log), limit, _time_text(window))
        status = 429 if refused else 200
        self.answers.append((now, login, status))
        return status, headers

    def count(self, status, login=None):
        return sum(1 for _t, who, code in self.answers if code == status and login in (None, who))


def paced_call(pacer, gateway, login=LOGIN, api=API, sleep=None, latency=0.0):
    """A call as the client makes it: before_call, send, then on_throttled
    and again on a 429, after_call otherwise. Returns the seconds waited.
    ``latency``: the round trip (half each way), or a function giving it."""
    bucket = login + (api,)
    waited = 0.0
    while True:
        waited += pacer.before_call(bucket, waited)
        sent_at = gateway.clock()
        trip = latency() if callable(latency) else latency
        if trip:
            sleep(trip / 2)  # on the way
        status, headers = gateway.call(login, api)
        if trip:
            sleep(trip / 2)  # on the way back
        if status == 429:
            waited += pacer.on_throttled(bucket, headers, sent_at, waited)
            continue
        pacer.after_call(bucket, headers, sent_at)
        return waited


def make_pacer(clock, store=None, max_wait=300, rand=lambda: 0.5, **options):
    def sleep(seconds):
        # The pacer sleeps only until a window has room: a sleep of nothing
        # would be a loop that spins (in virtual time, forever).
        assert seconds > 0, 'the pacer slept for %r seconds' % seconds
        clock.sleep(seconds)
    return Pacer(store if store is not None else MemoryStore(), max_wait, clock=clock.clock, sleep=sleep,
                 rand=rand, **options)


def headers(remain, limit=100, window='1 minute', kind=API_HEADER):
    return {kind: 'remain:%d,limit:%d,time:%s' % (remain, limit, window)}


# --- the headers -----------------------------------------------------------------------

def test_the_vendors_headers():
    assert parse_limit('remain:99,limit:100,time:1 minute') == Limit(99, 100, 60.0)
    assert parse_limit('remain:199,limit:200,time:1 second') == Limit(199, 200, 1.0)


@pytest.mark.parametrize('value, expected', [
    ('remain:0,limit:100,time:1 minute', Limit(0, 100, 60.0)),
    ('remain:4,limit:5,time:5 second', Limit(4, 5, 5.0)),
    ('remain:4,limit:5,time:2.5 second', Limit(4, 5, 2.5)),
    ('remain:4,limit:5,time:.5 second', Limit(4, 5, 0.5)),
    ('remain:4,limit:5,time:2 seconds', Limit(4, 5, 2.0)),
    ('remain:4,limit:5,time:10 Minutes', Limit(4, 5, 600.0)),
    ('remain:4,limit:5,time:1 HOUR', Limit(4, 5, 3600.0)),
    ('remain:4,limit:5,time:2 hours', Limit(4, 5, 7200.0)),
    ('remain:4,limit:5,time:1 Day', Limit(4, 5, 86400.0)),
    ('remain:4,limit:5,time:3 days', Limit(4, 5, 259200.0)),
    ('  remain : 3 ,  limit :10 , time :  2   minute  ', Limit(3, 10, 120.0)),
    ('time:1 minute,limit:100,remain:98', Limit(98, 100, 60.0)),
    ('Remain:1,LIMIT:2,Time:1 second', Limit(1, 2, 1.0)),
    ('remain:1,limit:2,time:1minute', Limit(1, 2, 60.0)),
    ('remain:1,limit:2,time:1 second,policy:user,', Limit(1, 2, 1.0)),
    (b'remain:1,limit:2,time:1 second', Limit(1, 2, 1.0)),
])
def test_parse_limit(value, expected):
    assert parse_limit(value) == expected


@pytest.mark.parametrize('value', [
    None, '', 12, 'garbage', ',,,', 'remain:99,limit:100', 'limit:100,time:1 minute',
    'remain:99,time:1 minute', 'remain:x,limit:100,time:1 minute', 'remain:-1,limit:100,time:1 minute',
    'remain:1.5,limit:100,time:1 minute', 'remain:101,limit:100,time:1 minute', 'remain:0,limit:0,time:1 minute',
    'remain:1,limit:2,time:0 second', 'remain:1,limit:2,time:1 fortnight', 'remain:1,limit:2,time:minute',
    'remain:1,limit:2,time:1', 'remain:1,limit:2,time:-1 second', 'remain:1,limit:2,time:1 minute 30 seconds',
    'remain:1,limit:2,time:1e3 second', 'remain:,limit:2,time:1 second', 'remain 1,limit 2,time 1 second',
    'remain:1,limit:2,time:1 secondx', 'remain:1,limit:2,time:1 minutess',  # only a plural's s comes off
    'remain:1,limit:2,time:%s second' % ('9' * 400),  # a window too long for a float: infinite
])
def test_malformed_headers_are_ignored(value):
    assert parse_limit(value) is None


def test_read_headers_in_any_case_and_mapping():
    wanted = {'api': Limit(99, 100, 60.0), 'allenv': Limit(199, 200, 1.0)}
    vendor = {'X-APIG-Ratelimit-Api': 'remain:99,limit:100,time:1 minute',
              'X-APIG-Ratelimit-Api-Allenv': 'remain:199,limit:200,time:1 second'}
    assert read_headers(CaseInsensitiveDict(vendor)) == wanted
    assert read_headers(dict((key.lower(), value) for key, value in vendor.items())) == wanted
    assert read_headers(dict((key.upper(), value) for key, value in vendor.items())) == wanted
    assert read_headers({'X-APIG-Ratelimit-Api': 'junk', 'x-apig-ratelimit-api-allenv': vendor[ALLENV_HEADER]}) \
        == {'allenv': Limit(199, 200, 1.0)}
    assert read_headers(None) == {}
    assert read_headers({}) == {}
    assert read_headers({'Content-Type': 'application/json'}) == {}


@pytest.mark.parametrize('window, text', [
    (1, 'a second'), (60, 'a minute'), (3600, 'an hour'), (86400, 'a day'), (5, 'every 5 seconds'),
    (2.5, 'every 2.5 seconds'), (120, 'every 2 minutes'), (90, 'every 90 seconds'), (7200, 'every 2 hours'),
])
def test_windows_in_words(window, text):
    assert ratelimit.per(window) == text


# --- pacing one controller ------------------------------------------------------------------

def test_an_unknown_limit_never_waits():
    clock = FakeClock()
    pacer = make_pacer(clock)
    for _call in range(1000):
        assert pacer.before_call(BUCKET) == 0.0
        pacer.after_call(BUCKET, {'Content-Type': 'application/json'}, clock.now)
    assert clock.slept == [] and clock.now == 1000.0
    assert pacer.last_wait is None


def hundred_calls(pacer, clock, gateway, step=0.25):
    for call in range(100):
        if call:
            clock.now += step
        assert paced_call(pacer, gateway) == 0.0


def test_the_101st_call_waits_until_the_oldest_leaves_the_window():
    clock = FakeClock()
    gateway = FakeGateway(clock.clock)
    pacer = make_pacer(clock)
    hundred_calls(pacer, clock, gateway)          # 1000.0, 1000.25, ..., 1024.75
    clock.now = 1025.0
    assert pacer.before_call(BUCKET) == 35.5      # until 1000.0 + 60 s + the 0.5 s margin
    assert clock.now == 1060.5 and clock.slept == [35.5]
    assert str(pacer.last_wait) == ('waited 35.5 s for the gateway: GET /v1/mmc/control/conferences/wsToken, '
                                    '100 calls a minute, window full')
    assert pacer.last_wait == ratelimit.Wait(35.5, API, 'api', 100, 60.0, 'window full')
    assert pacer.before_call(BUCKET) == 0.25      # the next oldest, 1000.25, leaves at 1060.75
    assert clock.now == 1060.75
    assert gateway.count(429) == 0


def test_without_a_margin_exactly_one_window():
    clock = FakeClock()
    gateway = FakeGateway(clock.clock)
    pacer = make_pacer(clock, latency_margin=0)
    hundred_calls(pacer, clock, gateway)
    clock.now = 1025.0
    assert pacer.before_call(BUCKET) == 35.0
    assert clock.now == 1060.0
    status, _headers = gateway.call(LOGIN, API)
    assert status == 200                           # the gateway agrees that the window has room


def test_a_call_with_room_reports_no_wait():
    clock = FakeClock()
    gateway = FakeGateway(clock.clock)
    pacer = make_pacer(clock)
    hundred_calls(pacer, clock, gateway)
    clock.now = 1025.0
    pacer.before_call(BUCKET)
    assert pacer.last_wait is not None
    clock.now = 2000.0
    assert pacer.before_call(BUCKET) == 0.0
    assert pacer.last_wait is None


def test_a_window_of_a_second_across_all_callers_is_paced_too():
    clock = FakeClock()
    gateway = FakeGateway(clock.clock, limit=1000, allenv_limit=3, allenv_window=1.0)
    pacer = make_pacer(clock)
    for call in range(3):
        clock.now = 1000.0 + 0.25 * call
        assert paced_call(pacer, gateway) == 0.0
    clock.now = 1000.5
    assert pacer.before_call(BUCKET) == pytest.approx(0.6, abs=1e-9)   # 1000.0 + 1 s + 0.1 s margin
    assert clock.now == pytest.approx(1001.1, abs=1e-9)
    assert str(pacer.last_wait) == ('waited 0.6 s for the gateway: GET /v1/mmc/control/conferences/wsToken, '
                                    '3 calls a second across all callers, window full')
    assert pacer.last_wait.kind == 'allenv'
    assert gateway.call(LOGIN, API)[0] == 200
    assert gateway.count(429) == 0


def test_forks_sharing_a_store_share_the_window():
    clock = FakeClock()
    gateway = FakeGateway(clock.clock, limit=4)
    store = MemoryStore()
    forks = [make_pacer(clock, store) for _fork in range(2)]
    for call in range(4):
        clock.now = 1000.0 + call
        assert paced_call(forks[call % 2], gateway) == 0.0
    clock.now = 1010.0
    assert forks[0].before_call(BUCKET) == 50.5   # the other fork's calls count as well
    assert gateway.count(429) == 0


def test_remain_tells_what_others_used():
    clock = FakeClock()
    pacer = make_pacer(clock)
    assert pacer.before_call(BUCKET) == 0.0
    pacer.after_call(BUCKET, headers(5, limit=10), 1000.0)    # 5 used, 1 of them ours: others used 4
    for call in range(5):                                     # room for 10 - 1 - 4 = 5 more
        clock.now = 1001.0 + call
        assert pacer.before_call(BUCKET) == 0.0
    clock.now = 1010.0
    # ours: 6, others: 4 until one window after their answer (1000.0 + 60): then ours alone count
    assert pacer.before_call(BUCKET) == 50.0
    assert clock.now == 1060.0


def test_our_own_calls_are_not_counted_as_others():
    clock = FakeClock()
    pacer = make_pacer(clock)
    pacer.after_call(BUCKET, headers(9, limit=10), 1000.0)   # learns the limit: 1 call, not ours
    for call in range(3):                                   # three forks send before any answer
        clock.now = 1001.0 + call
        pacer.before_call(BUCKET)
    clock.now = 1004.0
    pacer.after_call(BUCKET, headers(6, limit=10), 1003.0)   # 4 used by the third: the first and 3 of ours
    for call in range(6):                                   # 10 - 3 - 1 = 6 more
        clock.now = 1005.0 + call
        assert pacer.before_call(BUCKET) == 0.0
    clock.now = 1020.0
    assert pacer.before_call(BUCKET) == 41.5                # the first of ours, 1001.0, leaves at 1061.5


def test_the_answer_to_an_older_call_does_not_undo_a_newer_estimate():
    clock = FakeClock()
    pacer = make_pacer(clock)
    pacer.after_call(BUCKET, headers(99, limit=100), 999.0)
    for call in range(2):
        clock.now = 1000.0 + call
        pacer.before_call(BUCKET)
    clock.now = 1005.0
    pacer.after_call(BUCKET, headers(10, limit=100), 1001.0)  # the second call: 90 used, 2 ours: others 88
    pacer.after_call(BUCKET, headers(95, limit=100), 1000.0)  # the first call's answer, come late: ignored
    waits = [pacer.before_call(BUCKET) for _call in range(11)]  # room for 100 - 2 - 88 = 10 more
    assert waits == [0.0] * 10 + [55.5]                       # the 11th: when our first leaves, 1060.5


def test_a_changed_limit_replaces_the_old_one():
    clock = FakeClock()
    pacer = make_pacer(clock, max_wait=None)                 # no bound
    pacer.after_call(BUCKET, headers(0, limit=1), 1000.0)
    pacer.after_call(BUCKET, headers(49, limit=50, window='1 hour'), 1000.0)
    for _call in range(49):
        assert pacer.before_call(BUCKET) == 0.0
    assert pacer.before_call(BUCKET) == 3600.0               # others' 1 call, until 1000.0 + 1 hour
    assert pacer.last_wait.limit == 50 and pacer.last_wait.window == 3600.0


def test_a_clock_set_back_counts_sends_from_the_future_as_now():
    clock = FakeClock()
    gateway = FakeGateway(clock.clock, limit=2)
    pacer = make_pacer(clock)
    for _call in range(2):
        paced_call(pacer, gateway)
    clock.now = 900.0                                        # NTP stepped the clock back 100 s
    assert pacer.before_call(BUCKET) == 60.5                 # not 1000.0 + 60.5 - 900.0
    assert clock.now == 960.5


def test_waking_up_it_looks_again_since_other_forks_compete():
    clock = FakeClock()
    store = MemoryStore()
    gateway = FakeGateway(clock.clock, limit=2)
    other = make_pacer(clock, store)

    def sleep_while_another_fork_takes_the_room(seconds):
        clock.sleep(seconds)
        if len(clock.slept) == 1:
            assert other.before_call(BUCKET) == 0.0
    pacer = Pacer(store, 300, clock=clock.clock, sleep=sleep_while_another_fork_takes_the_room,
                  rand=lambda: 0.5)
    paced_call(pacer, gateway)
    clock.now = 1001.0
    paced_call(pacer, gateway)
    clock.now = 1010.0
    assert pacer.before_call(BUCKET) == 51.5                 # 1060.5: taken by the other fork; 1061.5
    assert clock.slept == [50.5, 1.0]
    assert store._states[BUCKET]['sends'] == [1060.5, 1061.5]  # 1001.0 left the window


def lock_free_at_each_sleep(store, lock_is_free):
    """Make the pacer wait twice (a full window, then a 429): at each of its
    sleeps, whether lock_is_free() found the store's lock free."""
    clock = FakeClock()
    free = []

    def sleep(seconds):
        free.append(lock_is_free())
        clock.sleep(seconds)
    pacer = Pacer(store, 300, clock=clock.clock, sleep=sleep, rand=lambda: 0.5)
    pacer.after_call(BUCKET, headers(0, limit=1), 1000.0)
    pacer.before_call(BUCKET)
    pacer.on_throttled(BUCKET, headers(0, limit=1), 1060.0)
    return free


def test_no_lock_is_held_while_sleeping():
    store = MemoryStore()

    def lock_is_free():
        acquired = store._lock.acquire(False)  # False if the pacer slept holding it
        if acquired:
            store._lock.release()
        return acquired
    assert lock_free_at_each_sleep(store, lock_is_free) == [True, True]


# --- a 429 ----------------------------------------------------------------------------------

def ten_calls_then_429(clock, pacer):
    """Ten calls of ours, one a second from 1000.0; the gateway says another
    controller used the other 90 of 100 and refuses the tenth."""
    for call in range(10):
        clock.now = 1000.0 + call
        assert pacer.before_call(BUCKET) == 0.0
    clock.now = 1009.5
    return headers(0, limit=100)


def test_a_429_waits_until_the_window_reopens_plus_a_jitter():
    clock = FakeClock()
    pacer = make_pacer(clock)
    answer = ten_calls_then_429(clock, pacer)
    # reopens when our oldest (1000.0) leaves: 1060.5; jitter 0.5 x 5 % of a minute
    assert pacer.on_throttled(BUCKET, answer, 1009.0) == 52.5
    assert clock.slept == [52.5] and clock.now == 1062.0
    assert str(pacer.last_wait) == ('waited 52.5 s for the gateway: GET /v1/mmc/control/conferences/wsToken, '
                                    '100 calls a minute, throttled (HTTP 429)')
    # the retry at 1062.0: 1000.0 and 1001.0 have left (the jitter), 1002.0 leaves at 1062.5
    assert [pacer.before_call(BUCKET) for _call in range(3)] == [0.0, 0.0, 0.5]


def test_the_jitter_spreads_forks_throttled_together():
    waits = []
    for rand in (0.0, 0.3, 0.999):
        clock = FakeClock()
        pacer = make_pacer(clock, rand=lambda value=rand: value)
        waits.append(pacer.on_throttled(BUCKET, ten_calls_then_429(clock, pacer), 1009.0))
    assert waits == [51.0, pytest.approx(51.9), pytest.approx(53.997)]


def test_a_429_when_no_call_in_the_window_was_ours_waits_one_window():
    clock = FakeClock()
    pacer = make_pacer(clock)
    assert pacer.on_throttled(BUCKET, headers(0, limit=100), 1000.0) == 61.5   # 60 s from now + jitter


def test_a_429_without_headers_and_no_limit_known():
    clock = FakeClock()
    pacer = make_pacer(clock)
    pacer.before_call(BUCKET)
    assert pacer.on_throttled(BUCKET, {}, 1000.0) == 61.5   # a window of a minute assumed, + jitter
    assert str(pacer.last_wait) == ('waited 61.5 s for the gateway: GET /v1/mmc/control/conferences/wsToken, '
                                    'limit unknown, throttled (HTTP 429)')
    assert pacer.before_call(BUCKET) == 0.0


def test_forks_wait_out_a_429_without_a_limit_too():
    clock = FakeClock()
    store = MemoryStore()
    pacer, fork = make_pacer(clock, store), make_pacer(clock, store)
    pacer.before_call(BUCKET)
    with pytest.raises(RateLimitWait):
        Pacer(store, 10, clock=clock.clock, sleep=clock.sleep).on_throttled(BUCKET, {}, 1000.0)
    assert clock.slept == []
    assert fork.before_call(BUCKET) == 60.0                  # blocked until 1000.0 + 60 s


def test_a_429_without_remain_0_fills_this_logins_window():
    clock = FakeClock()
    pacer = make_pacer(clock)
    ten_calls_then_429(clock, pacer)
    pacer.after_call(BUCKET, dict(headers(50, limit=100), **headers(150, 200, '1 second', ALLENV_HEADER)),
                     1008.0)
    clock.now = 1009.5
    answer = dict(headers(1, limit=100), **headers(150, 200, '1 second', ALLENV_HEADER))
    assert pacer.on_throttled(BUCKET, answer, 1009.0) == 52.5
    assert pacer.last_wait.kind == 'api'


def test_a_429_of_the_window_across_callers():
    clock = FakeClock()
    pacer = make_pacer(clock)
    for call in range(3):
        clock.now = 1000.0 + call * 0.25
        pacer.before_call(BUCKET)
    answer = dict(headers(96, limit=100), **headers(0, 200, '1 second', ALLENV_HEADER))
    assert pacer.on_throttled(BUCKET, answer, 1000.5) == pytest.approx(0.6 + 0.025)  # 1000.0 + 1.1, jitter
    assert pacer.last_wait.kind == 'allenv' and pacer.last_wait.limit == 200


def test_a_429_that_would_pass_the_bound_raises_without_sleeping():
    clock = FakeClock()
    pacer = make_pacer(clock, max_wait=30)
    answer = ten_calls_then_429(clock, pacer)
    with pytest.raises(RateLimitWait) as raised:
        pacer.on_throttled(BUCKET, answer, 1009.0)
    assert clock.slept == []
    error = raised.value
    assert (error.api, error.kind, error.limit, error.window, error.waited, error.needed, error.max_wait) \
        == (API, 'api', 100, 60.0, 0.0, 51.0, 30)
    assert str(error) == (
        'the gateway allows 100 calls of GET /v1/mmc/control/conferences/wsToken a minute for this login, and the '
        'window would not reopen within rate_limit_wait (30 s): run fewer meetings at once (forks, serial, job '
        'slices) or raise rate_limit_wait')


def test_the_jitter_is_cut_to_the_bound():
    clock = FakeClock()
    pacer = make_pacer(clock, max_wait=52)
    assert pacer.on_throttled(BUCKET, ten_calls_then_429(clock, pacer), 1009.0) == 52.0
    assert clock.slept == [52.0]


def test_the_bound_counts_the_earlier_waits_of_the_call():
    clock = FakeClock()
    pacer = make_pacer(clock, max_wait=60)
    answer = ten_calls_then_429(clock, pacer)
    with pytest.raises(RateLimitWait) as raised:
        pacer.on_throttled(BUCKET, answer, 1009.0, waited=10.0)   # 10 + 51 > 60
    assert raised.value.waited == 10.0 and clock.slept == []


# --- the bound in before_call -------------------------------------------------------------

def test_before_call_raises_without_sleeping_when_the_window_would_not_reopen_in_time():
    clock = FakeClock()
    gateway = FakeGateway(clock.clock)
    pacer = make_pacer(clock, max_wait=30)
    hundred_calls(pacer, clock, gateway)
    clock.now = 1025.0
    with pytest.raises(RateLimitWait) as raised:
        pacer.before_call(BUCKET)
    assert clock.slept == []
    error = raised.value
    assert (error.api, error.limit, error.window, error.waited, error.needed) == (API, 100, 60.0, 0.0, 35.5)
    assert error.sentence() == str(error) == (
        'the gateway allows 100 calls of GET /v1/mmc/control/conferences/wsToken a minute for this login, and the '
        'window would not reopen within rate_limit_wait (30 s): run fewer meetings at once (forks, serial, job '
        'slices) or raise rate_limit_wait')
    pacer.max_wait = 35.5
    assert pacer.before_call(BUCKET) == 35.5                 # exactly the bound: allowed


def test_before_call_counts_what_the_call_already_waited():
    clock = FakeClock()
    pacer = make_pacer(clock, max_wait=300)
    pacer.after_call(BUCKET, headers(0, limit=1), 1000.0)
    with pytest.raises(RateLimitWait) as raised:
        pacer.before_call(BUCKET, waited=250.0)
    assert raised.value.waited == 250.0 and raised.value.needed == 60.0
    assert clock.slept == []


def test_the_bound_covers_waits_after_losing_the_room_to_another_fork():
    clock = FakeClock()
    store = MemoryStore()
    rival = make_pacer(clock, store)

    def sleep(seconds):
        clock.sleep(seconds)
        rival.before_call(BUCKET)  # wins each time the window reopens
    pacer = Pacer(store, 100, clock=clock.clock, sleep=sleep)
    pacer.after_call(BUCKET, headers(0, limit=1), 1000.0)
    with pytest.raises(RateLimitWait) as raised:
        pacer.before_call(BUCKET)
    assert clock.slept == [60.0]                            # the second wait, 60.5 more, would pass 100
    assert raised.value.waited == 60.0 and raised.value.needed == 60.5


def test_the_sentences_of_the_other_windows():
    across = RateLimitWait(API, 'allenv', 200, 1.0, 0.0, 2.0, 1)
    assert str(across) == (
        'the gateway allows 200 calls of GET /v1/mmc/control/conferences/wsToken a second across all its callers, '
        'and the window would not reopen within rate_limit_wait (1 s): the API is busy for everyone; try again '
        'later or raise rate_limit_wait')
    unknown = RateLimitWait(API, None, None, 60.0, 0.0, 61.0, 2.5)
    assert str(unknown) == (
        'the gateway throttled GET /v1/mmc/control/conferences/wsToken (HTTP 429) without saying its limit, and '
        'would not take the call again within rate_limit_wait (2.5 s): run fewer meetings at once (forks, serial, '
        'job slices) or raise rate_limit_wait')


# --- controllers against the fake gateway ---------------------------------------------------

def forks_calling(clock, gateway, pacer, login, calls, latency=0.05):
    """A fork of a controller: ``calls`` calls one after the other."""
    def fork():
        for _call in range(calls):
            paced_call(pacer, gateway, login=login, sleep=clock.sleep, latency=latency)
    return fork


def test_one_controller_with_forks_is_never_throttled():
    clock = VirtualTime()
    gateway = FakeGateway(clock.clock, limit=100)
    store = MemoryStore()
    forks = [forks_calling(clock, gateway, make_pacer(clock, store), LOGIN, 100) for _fork in range(3)]
    clock.run(forks)
    assert gateway.count(200) == 300
    assert gateway.count(429) == 0
    # 300 calls at 100 a minute: two windows and their margins (121 s), and the
    # time three forks take to send 100 calls at 0.05 s each (1.7 s): no more
    assert clock.now == pytest.approx(1122.7)


def jittery(*trips):
    """Round trips taking one of ``trips`` at (seeded, repeatable) random."""
    chooser = random.Random(2026)
    return lambda: chooser.choice(trips)


@pytest.mark.parametrize('latency_margin, throttled', [(0.5, 0), (0, 4)])
def test_the_margin_covers_the_jitter_of_the_latency(latency_margin, throttled):
    # Calls take 0.05 s or 0.8 s (a new TLS connection): sent one window
    # apart, a slow one and a fast one arrive less than a window apart.
    clock = VirtualTime()
    gateway = FakeGateway(clock.clock, limit=100)
    store = MemoryStore()
    latency = jittery(0.05, 0.8)
    forks = [forks_calling(clock, gateway, make_pacer(clock, store, latency_margin=latency_margin), LOGIN, 100,
                           latency=latency) for _fork in range(3)]
    clock.run(forks)
    assert gateway.count(200) == 300
    assert gateway.count(429) == throttled


def test_two_controllers_sharing_a_login_get_every_call_through():
    clock = VirtualTime()
    gateway = FakeGateway(clock.clock, limit=100)
    controllers = []
    for _controller in range(2):
        store = MemoryStore()  # no shared disk: only remain tells one what the other did
        controllers += [forks_calling(clock, gateway, make_pacer(clock, store), LOGIN, 100) for _fork in range(2)]
    clock.run(controllers)
    assert gateway.count(200) == 400
    # A 429 is a call of the other controller in flight (sent, not yet answered,
    # so not in our estimate) when the window fills: the three at 1001.3 when
    # it first does, three at 1062.9 and one at 1124.2 as it fills again.
    assert [round(when, 3) for when, _login, status in gateway.answers if status == 429] \
        == [1001.275] * 3 + [1062.875] * 2 + [1062.925, 1124.225]
    assert clock.now == pytest.approx(1185.75)  # 400 calls at 100 a minute: 3 windows and the start


def test_the_window_across_callers_is_shared_by_other_logins():
    clock = VirtualTime()
    gateway = FakeGateway(clock.clock, limit=1000, allenv_limit=10, allenv_window=1.0)
    other_login = ('https://meeting.example.test', 'app-2', 'other')
    callers = [forks_calling(clock, gateway, make_pacer(clock), LOGIN, 100),
               forks_calling(clock, gateway, make_pacer(clock), other_login, 100)]
    clock.run(callers)
    assert gateway.count(200) == 200
    # Each window of a second fills again at once from both logins, and the
    # other login's call in flight then is refused: one 429 a window, no more.
    assert gateway.count(429) == 19
    assert clock.now == pytest.approx(1021.4)


# --- the file store ---------------------------------------------------------------------------

@pytest.fixture
def directory(tmp_path):
    return str(tmp_path / 'tokens')


def pace_files(directory):
    return sorted(name for name in os.listdir(directory) if name.endswith('.pace'))


def test_forks_share_the_file_store(directory):
    clock = FakeClock()
    gateway = FakeGateway(clock.clock, limit=2)
    first, second = make_pacer(clock, FileStore(directory)), make_pacer(clock, FileStore(directory))
    assert paced_call(first, gateway) == 0.0
    clock.now = 1001.0
    assert paced_call(second, gateway) == 0.0
    clock.now = 1002.0
    assert first.before_call(BUCKET) == 58.5
    assert second.before_call(BUCKET) == 1.0
    assert gateway.count(429) == 0
    with open(os.path.join(directory, pace_files(directory)[0])) as handle:
        assert json.load(handle)['sends'] == [1060.5, 1061.5]


def test_the_file_store_is_private(directory):
    pacer = make_pacer(FakeClock(), FileStore(directory))
    pacer.before_call(BUCKET)
    pacer.after_call(BUCKET, headers(99), 1000.0)
    assert stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    names = os.listdir(directory)
    assert len(pace_files(directory)) == 1 and '.key' in names
    assert len([name for name in names if name.endswith('.pace.lock')]) == 1
    for name in names:
        assert stat.S_IMODE(os.stat(os.path.join(directory, name)).st_mode) == 0o600, name


def test_file_names_say_nothing_of_the_bucket(directory):
    pacer = make_pacer(FakeClock(), FileStore(directory))
    pacer.before_call(BUCKET)
    names = ' '.join(os.listdir(directory))
    for part in BUCKET + ('wsToken', 'meeting.example', 'app-1'):
        assert part not in names
    for identity in (BUCKET, ('rate-limit',) + BUCKET):
        assert hashlib.sha256('\0'.join(identity).encode()).hexdigest() not in names
    with open(os.path.join(directory, pace_files(directory)[0])) as handle:
        content = handle.read()
    assert SECRET not in content and 'wsToken' not in content


def test_a_directory_others_can_read_falls_back_to_memory(tmp_path):
    shared = tmp_path / 'shared'
    shared.mkdir()
    os.chmod(str(shared), 0o755)
    warnings = []
    store = FileStore(str(shared), warn=warnings.append)
    clock = FakeClock()
    pacer = make_pacer(clock, store)
    pacer.after_call(BUCKET, headers(0, limit=1), 1000.0)
    assert pacer.before_call(BUCKET) == 60.0                 # still paced, in this process
    assert pacer.before_call(BUCKET) == 60.5
    assert os.listdir(str(shared)) == []
    assert store.in_memory
    assert warnings == ['the token cache %s is not private to its owner (mode 755); the rate limit is paced '
                        'for this process only' % shared]


def test_a_failed_write_falls_back_to_memory_with_one_warning(directory, monkeypatch):
    warnings = []
    store = FileStore(directory, warn=warnings.append)
    clock = FakeClock()
    pacer = make_pacer(clock, store)

    def full_disk(source, destination):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(cache_module.os, 'replace', full_disk)
    pacer.after_call(BUCKET, headers(1, limit=3), 1000.0)   # does not raise; kept in memory
    pacer.before_call(BUCKET)
    monkeypatch.undo()
    assert pacer.before_call(BUCKET) == 60.0                 # others' 2 and our 1: until theirs leave
    assert len(warnings) == 1
    assert warnings[0].startswith('the token cache %s cannot be written (' % directory)
    assert 'No space left on device' in warnings[0]
    assert [name for name in os.listdir(directory) if name.startswith('.tmp-')] == []
    assert pace_files(directory) == []


def test_a_damaged_file_is_forgotten(directory):
    clock = FakeClock()
    pacer = make_pacer(clock, FileStore(directory))
    pacer.after_call(BUCKET, headers(0, limit=1), 1000.0)
    path = os.path.join(directory, pace_files(directory)[0])
    for damage in ('{"sen', '[1, 2]', '{"sends": "x", "windows": {"api": {"limit": "many"}}, "blocked": 7}',
                   '{"sends": [NaN, "x", true, null], "windows": [], "blocked": [1, "x"]}'):
        with open(path, 'w') as handle:
            handle.write(damage)
        assert pacer.before_call(BUCKET) == 0.0
    with open(path) as handle:
        assert json.load(handle) == {'sends': [1000.0], 'windows': {}, 'blocked': None}


def test_the_file_stores_lock_is_free_while_sleeping(directory):
    def lock_is_free():
        locks = [name for name in os.listdir(directory) if name.endswith('.pace.lock')]
        handle = os.open(os.path.join(directory, locks[0]), os.O_RDWR)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)  # raises if a fork held it
            return True
        finally:
            os.close(handle)
    assert lock_free_at_each_sleep(FileStore(directory), lock_is_free) == [True, True]


def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_the_token_cache_and_the_pacer_sweep_only_their_own(directory):
    cache = TokenCache(directory)
    cache.put(('control', 'x'), 'token-1', 1800)
    store = FileStore(directory)
    Pacer(store, 300).before_call(BUCKET)
    in_use = pace_files(directory)[0]
    _age(os.path.join(directory, in_use), 3600)               # an hour old: a window may still need it
    cache.put(('control', 'y'), 'token-2', 1800)              # the token cache's sweep
    assert pace_files(directory) == [in_use]
    old = 'c' * 64 + '.pace'
    with open(os.path.join(directory, old), 'w') as handle:
        handle.write('{}')
    _age(os.path.join(directory, old), ratelimit.STALE + 60)
    Pacer(FileStore(directory), 300).before_call(BUCKET[:-1] + ('POST /v1/other',))  # a new store sweeps once
    assert old not in pace_files(directory) and in_use in pace_files(directory)
    assert len(pace_files(directory)) == 2
    assert len([name for name in os.listdir(directory) if name.endswith('.token')]) == 2


def _reserve(directory):
    pacer = Pacer(FileStore(directory), 0)
    try:
        pacer.before_call(BUCKET)
    except RateLimitWait:
        os._exit(3)
    os._exit(0)


@pytest.mark.parametrize('limit, sent', [(1000, 20), (5, 5)])
def test_processes_reserving_at_once_each_count(directory, limit, sent):
    # A window of an hour: every process runs within it, however slow.
    Pacer(FileStore(directory), 0).after_call(BUCKET, headers(limit, limit=limit, window='1 hour'), time.time())
    workers = [multiprocessing.Process(target=_reserve, args=(directory,)) for _worker in range(20)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    codes = sorted(worker.exitcode for worker in workers)
    assert codes == [0] * sent + [3] * (20 - sent)           # no more than the limit went through
    with open(os.path.join(directory, pace_files(directory)[0])) as handle:
        assert len(json.load(handle)['sends']) == sent       # and no send was lost


def test_threads_sharing_a_memory_store_each_count():
    store = MemoryStore()
    pacer = Pacer(store, 0)
    pacer.after_call(BUCKET, headers(300, limit=300, window='1 hour'), time.time())
    outcomes = []

    def thread():
        for _call in range(50):
            try:
                pacer.before_call(BUCKET)
                outcomes.append('sent')
            except RateLimitWait:
                outcomes.append('refused')
    threads = [threading.Thread(target=thread) for _thread in range(8)]
    for each in threads:
        each.start()
    for each in threads:
        each.join(60)
    assert (outcomes.count('sent'), outcomes.count('refused')) == (300, 100)
    assert len(store._states[BUCKET]['sends']) == 300


def test_pacer_for_shares_the_token_caches_directory_or_keeps_to_the_process(directory):
    shared = ratelimit.pacer_for(TokenCache(directory), 12)
    assert isinstance(shared.store, FileStore) and shared.store.directory == directory and shared.max_wait == 12
    shared.before_call(BUCKET)
    assert len(pace_files(directory)) == 1  # in the token cache's directory: every fork and task sees it
    for cache in (MemoryTokenCache(), None):  # token_cache: false, and no cache at all
        assert isinstance(ratelimit.pacer_for(cache).store, MemoryStore)


@pytest.mark.parametrize('count, words', [(1, '1 call'), (2, '2 calls'), (100, '100 calls')])
def test_a_count_of_calls_in_words(count, words):
    assert ratelimit.calls(count) == words


def test_others_calls_are_forgotten_once_their_window_has_passed():
    clock = FakeClock()
    pacer = make_pacer(clock)
    pacer.after_call(BUCKET, headers(1, limit=10), 1000.0)    # 9 calls of others in the window of 1000.0
    assert pacer.before_call(BUCKET) == 0.0                   # the 10th is ours
    clock.now = 1061.0                                        # past their window (and ours)
    assert [pacer.before_call(BUCKET) for _call in range(10)] == [0.0] * 10  # the whole limit is ours again
