# The preflight's estimate of how long event_start takes at least: the
# gateway's windows against the controller's time, per batch.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.hwcloud.meeting.plugins.plugin_utils.event_estimate import (
    STEP_FACTOR,
    EstimateError,
    batches,
    estimate,
    estimate_from_run,
    floor_seconds,
    start_by,
)


def test_batches_of_the_runbook():
    assert batches(250, 100) == [100, 100, 50]
    assert batches(200, 100) == [100, 100]
    assert batches(30, 100) == [30]
    assert batches(30, 0) == [30]  # event_batch 0: one batch


def test_the_floor_is_the_benchmarks_for_batches_shorter_than_a_window():
    # (k - 1) x max(W, T/k) + T/k: 200 meetings, batches of 100, 5 rounds of
    # 20 forks at 10 s
    assert floor_seconds(200, 100, 60, 100, 10, 20) == pytest.approx(60 + 50)
    # rounds of 15 s: a batch of 75 s, which the next one waits for, not the window
    assert floor_seconds(200, 100, 60, 100, 15, 20) == pytest.approx(75 + 75)
    # 1000 meetings: nine windows, then the last batch
    assert floor_seconds(1000, 100, 60, 100, 30, 50) == pytest.approx(9 * 60 + 60)


def test_a_batch_smaller_than_the_forks_is_one_round():
    assert floor_seconds(30, 20, 60, 20, 19, 20) == pytest.approx(60 + 19)


def test_one_batch_larger_than_the_limit_waits_for_windows_within_it():
    # 250 calls of an API at 100 a minute: the last 50 wait two windows
    assert floor_seconds(250, 100, 60, 0, 1, 10) == pytest.approx(2 * 60 + 25 / 3.0)
    # two calls of an API a meeting halve what a window takes
    assert floor_seconds(100, 100, 60, 100, 1, 10, calls=2) == pytest.approx(60 + 5)


def test_a_small_event_is_the_controllers_time_alone():
    assert floor_seconds(10, 100, 60, 100, 5, 20) == pytest.approx(5)


def test_the_sentence_with_an_event_time():
    result = estimate(1000, 30, 50, limit=100, window=60, batch=100, event_time='09:00')
    assert result['sentence'] == ("1000 meetings: at least 10 minutes at the gateway's 100 calls of an API a "
                                  "minute; start by 08:50 for 09:00.")
    assert (result['seconds'], result['batches'], result['start_by'], result['learnt']) == (600.0, 10, '08:50', True)


def test_without_a_learnt_limit_the_documented_one_is_said_so():
    result = estimate(200, 15, 20)
    assert result['sentence'] == ("200 meetings: at least 2.5 minutes at the gateway's documented 100 calls of an "
                                  "API a minute; start it at least 3 minutes before the event (event_time=HH:MM "
                                  "says when).")
    assert result['learnt'] is False


def test_start_by_rounds_the_start_up_to_whole_minutes():
    assert start_by('09:00', 9.5 * 60) == '08:50'
    assert start_by('09:00', 60) == '08:59'
    assert start_by(' 00:05 ', 600) == '23:55'


@pytest.mark.parametrize('arguments, words', [
    (dict(meetings=0, round_seconds=1, forks=5), 'the number of meetings must be a whole number greater than 0'),
    (dict(meetings=10, round_seconds=-1, forks=5), 'the seconds a round of meetings takes must be a number greater'),
    (dict(meetings=10, round_seconds='x', forks=5), 'the seconds a round of meetings takes must be a number'),
    (dict(meetings=10, round_seconds=1, forks=0), 'forks must be a whole number greater than 0'),
    (dict(meetings=10, round_seconds=1, forks=5, event_time='9 am'), 'event_time must be a time of day as HH:MM'),
])
def test_bad_input_is_one_sentence(arguments, words):
    with pytest.raises(EstimateError) as caught:
        estimate(**arguments)
    assert str(caught.value).startswith(words)


def checked(count, began=1000.0, seconds_each=0.25, batch=100, limit=None):
    """A preflight's run: the first batch's checks end one after another."""
    meetings = []
    for index in range(count):
        done = began + seconds_each * (index % batch + 1) + 60 * (index // batch)
        meetings.append({'done': done, 'gateway_limit': limit})
    return meetings


def test_the_controllers_time_comes_from_the_first_batch_of_the_preflight():
    limit = {'limit': 100, 'window': 60.0}
    # the first batch of 100 checks took 25 s at 20 forks: 5 rounds of 5 s
    result = estimate_from_run(checked(200, limit=limit), 1000.0, 20, batch=100, steps=4, event_time='09:00')
    assert result['round_seconds'] == pytest.approx(5 * 4 * STEP_FACTOR)
    assert result['seconds'] == pytest.approx(floor_seconds(200, 100, 60, 100, 20 * STEP_FACTOR, 20), abs=0.1)
    assert result['learnt'] is True and result['limit'] == 100


def test_the_strictest_limit_the_gateway_said_wins():
    meetings = checked(4, limit={'limit': 100, 'window': 60.0})
    meetings[2]['gateway_limit'] = {'limit': 50, 'window': 60.0}
    meetings[3]['gateway_limit'] = None
    assert estimate_from_run(meetings, 1000.0, 5)['limit'] == 50


def test_without_a_finished_check_there_is_no_estimate():
    with pytest.raises(EstimateError) as caught:
        estimate_from_run([{'done': None, 'gateway_limit': None}], 1000.0, 5)
    assert "controller's time per meeting is unknown" in str(caught.value)
    with pytest.raises(EstimateError):
        estimate_from_run([], 1000.0, 5)


def test_small_batches_share_a_window():
    # 6 meetings in batches of 3 at 50 calls a minute: no batch waits
    assert floor_seconds(6, 50, 60, 3, 4, 3) == pytest.approx(8)
    # 150 meetings in batches of 50 at 100 a minute: the third waits for the first to leave the window
    assert floor_seconds(150, 100, 60, 50, 10, 50) == pytest.approx(60 + 10)
