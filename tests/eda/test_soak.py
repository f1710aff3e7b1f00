"""The event source hwcloud.meeting.meeting_events over many reconnections,
against the simulator: no file descriptor is left behind by a channel the
server closed, and failed reconnections are spaced by the backoff.

Every wait has a deadline that fails the test (never a timing assertion on
how fast something went); gaps are read from the simulator's call log.
"""
import asyncio
import gc
import os
import threading
import time

import pytest

from hwmeeting_sim import Simulator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PUSH = '/cms/open/websocket/confctl/increment/conn'
WS_TOKEN = '/v1/mmc/control/conferences/wsToken'
CONTROL_TOKEN = '/v1/mmc/control/conferences/token'
CEILING = 30.0
MEETINGS = ['95500%04d' % number for number in range(10)]
DROPS = 6
# How many more descriptors than before the run the measurement allows: the
# simulator runs in this process, and a thread of it that has not quite
# finished closing its side of a connection may still hold one or two (the
# listing of /proc/self/fd holds one of its own, in both counts). Far below
# the one descriptor per reconnection (here 60) that a leak leaves.
FD_SLACK = 2


@pytest.fixture
def sim():
    people = [{'pid': 'pid-%d' % number, 'name': 'Person %d' % number} for number in range(3)]
    config = {'meetings': [{'id': meeting, 'host_password': 'soak-%s' % meeting[-4:], 'state': 'Created',
                            'participants': people} for meeting in MEETINGS]}
    with Simulator(config=config) as simulator:
        yield simulator


def arguments(sim, meetings=MEETINGS, **extra):
    args = {'meetings': [{'conference_id': meeting, 'host_password': 'soak-%s' % meeting[-4:]}
                         for meeting in meetings],
            'api_url': sim.url, 'timeout': 10, 'retries': 0, 'token_cache': False, 'heartbeat_interval': 60,
            'reconnect_delay': 0.05, 'max_reconnect_delay': 0.1}
    args.update(extra)
    return args


def open_descriptors():
    return len(os.listdir('/proc/self/fd'))


def watcher_threads():
    return [thread for thread in threading.enumerate() if thread.name.startswith('hwcloud.meeting.meeting_events')]


def settle(predicate, what):
    """Wait (bounded) until the simulator has seen the client's side end."""
    deadline = time.monotonic() + CEILING
    while not predicate():
        assert time.monotonic() < deadline, 'no %s within %s s' % (what, CEILING)
        time.sleep(0.05)


def test_reconnections_leave_no_descriptor_behind(plugin, sim):
    snapshots = dict((meeting, 0) for meeting in MEETINGS)

    async def scenario():
        queue = asyncio.Queue()
        task = asyncio.ensure_future(plugin['main'](queue, arguments(sim)))

        async def until_every_watcher_has(count, what):
            deadline = time.monotonic() + CEILING
            while min(snapshots.values()) < count:
                assert not task.done(), task
                remaining = deadline - time.monotonic()
                assert remaining > 0, 'not every meeting had %s within %s s: %s' % (what, CEILING, snapshots)
                try:
                    event = await asyncio.wait_for(queue.get(), remaining)
                except asyncio.TimeoutError:
                    continue
                if event['type'] == 'snapshot':
                    snapshots[event['meeting']['conference_id']] += 1

        await until_every_watcher_has(1, 'its first channel')
        for drop in range(1, DROPS + 1):
            assert sim.close_push() == len(MEETINGS)  # every channel is open: each had its snapshot
            await until_every_watcher_has(drop + 1, 'reconnected after drop %d' % drop)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, CEILING)

    # No garbage collection during the run (and none before measuring): the
    # collector would close the sockets of dropped channels at a time of its
    # own choosing and hide a leak; every socket must be closed explicitly.
    before = open_descriptors()
    gc.disable()
    try:
        asyncio.run(scenario())
        assert not watcher_threads()
        settle(lambda: sim.push_connections() == [], 'end of every push channel')
        after = open_descriptors()
    finally:
        gc.enable()
    assert snapshots == dict((meeting, DROPS + 1) for meeting in MEETINGS)
    connections = [call['query']['confID'] for call in sim.calls if call['path'] == PUSH and call['status'] == 101]
    assert dict((meeting, connections.count(meeting)) for meeting in MEETINGS) == \
        dict((meeting, DROPS + 1) for meeting in MEETINGS)  # each watcher reconnected after every drop
    assert after <= before + FD_SLACK, 'open descriptors: %d before, %d after %d reconnections' % (
        before, after, DROPS * len(MEETINGS))


DELAY = 0.2
# _backoff waits reconnect_delay * 2 ** (failures - 1), at most
# max_reconnect_delay, times a jitter of 0.5 to 1.0: never less than half
# the reconnect delay. 10 ms less, for the call log's clock (time.time) and
# the threads' (time.monotonic) to differ by.
LEAST_GAP = DELAY * 0.5 - 0.01


# refusal: (the path that fails, its status, whether the channel was open and
# dropped first: the first connection's control token fails with a
# MeetingError, a reconnection's push token or upgrade with a PushError)
REFUSALS = {
    'control token 503': (CONTROL_TOKEN, 503, False),
    'push token 503': (WS_TOKEN, 503, True),
    'push upgrade 403': (PUSH, 403, True),
}


@pytest.mark.parametrize('refusal', sorted(REFUSALS))
def test_failed_connections_are_spaced_by_the_backoff(plugin, sim, refusal):
    """Every connection fails three times (the control token on the first
    one, the wsToken call or the push's upgrade after the server closed the
    channel): each attempt waits the backoff, after a close and after each
    failure."""
    meeting = MEETINGS[0]
    path, status, dropped = REFUSALS[refusal]
    failures = 3

    async def scenario():
        queue = asyncio.Queue()
        if not dropped:
            sim.inject_fault(path, status=status, count=failures)
        task = asyncio.ensure_future(plugin['main'](queue, arguments(
            sim, meetings=[meeting], reconnect_delay=DELAY, max_reconnect_delay=2 * DELAY)))
        assert (await asyncio.wait_for(queue.get(), CEILING))['type'] == 'snapshot'
        if dropped:
            sim.inject_fault(path, status=status, count=failures)
            assert sim.close_push() == 1
            again = await asyncio.wait_for(queue.get(), CEILING)  # once the faults are spent
            assert again['type'] == 'snapshot'
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, CEILING)

    asyncio.run(scenario())
    closed = [frame['time'] for frame in sim.frames if frame['action'] == 'close' and frame['direction'] == 'out']
    since = closed[0] if dropped else 0
    attempts = [call for call in sim.calls if call['path'] == path and call['time'] > since]
    assert [call['status'] for call in attempts] == [status] * failures + [101 if path == PUSH else 200]
    times = ([since] if dropped else []) + [call['time'] for call in attempts]
    gaps = [later - earlier for earlier, later in zip(times, times[1:])]
    assert min(gaps) >= LEAST_GAP, 'attempts %s s apart; the backoff is at least %s s' % (
        ', '.join('%.3f' % gap for gap in gaps), DELAY * 0.5)
