# Load: many meetings as inventory hosts, the runbooks against the simulator
# with 20 ms per request and the gateway's per-API rate limit (LIMIT calls of
# one API per caller in any WINDOW seconds, 429 APIG.0308 past it, no
# Retry-After), as docs/dev/service_contract.md describes it. Every meeting
# must end in the state asked for, with no host failed, and the client must
# pace its calls instead of being throttled: no answer of 429, never more
# than LIMIT calls of an API in a window (from the simulator's call log).
#
# `make test` runs a small event with a small window (each test takes
# seconds); `make load` the same tests at a larger size (the HWMEETING_LOAD_*
# variables). No test asserts on wall time: the figures are printed (-s)
# and written to .build/load/, for reading, not judging.
# The helpers are those of the scale benchmark (tests/benchmark/event_scale.py).
import json
import math
import os

import event_scale as scale  # tests/benchmark/event_scale.py (tests/conftest.py puts it on the path)
from hwmeeting_sim import Simulator

from .conftest import ROOT


MEETINGS = int(os.environ.get('HWMEETING_LOAD_MEETINGS', '16'))
FORKS = int(os.environ.get('HWMEETING_LOAD_FORKS', '8'))
# Forks no more than the limit: before the first answer of an API tells the
# client its limit, a fork does not know it, so the first wave of forks must
# fit in one window.
LIMIT = int(os.environ.get('HWMEETING_LOAD_LIMIT', '8'))
WINDOW = float(os.environ.get('HWMEETING_LOAD_WINDOW', '3'))
LATENCY = 0.02
# The longest one ansible-playbook may take before the test fails: the
# runbook's own time, and a window per step and batch, with room to spare.
TIMEOUT = 300 + 12 * math.ceil(MEETINGS / float(LIMIT)) * WINDOW


def limited_sim(config):
    return Simulator(config=config, delay=LATENCY, api_rate_limit=LIMIT, api_rate_window=WINDOW)


def runbook(name, inventory, batch, cache):
    return scale.run_playbook(name, inventory, FORKS, batch, str(cache), TIMEOUT)


def assert_converged(run, sim, hosts, wanted):
    """The run succeeded for every host, and every meeting is as wanted."""
    assert run.rc == 0, run.tail()
    assert run.failed_hosts(hosts) == [], run.tail()
    behind = [host for host in sorted(hosts) if not wanted(sim, hosts[host]['conference_id'])]
    assert behind == [], 'not converged: %s' % behind


def assert_paced(calls):
    """No answer of 429, and never more than LIMIT calls of one API (and
    caller) sent in any WINDOW-long interval."""
    throttled = scale.throttled(calls, 0)
    assert throttled == [], 'the gateway answered 429 to %d calls: %s' % (len(throttled), throttled[:5])
    busiest = scale.busiest_windows(calls, WINDOW)
    assert max(busiest.values()) <= LIMIT, busiest
    return busiest


def keep(name, figures):
    figures = dict(figures, meetings=MEETINGS, forks=FORKS, limit=LIMIT, window=WINDOW)
    print('\nload %s: %s' % (name, json.dumps(figures, sort_keys=True)))
    directory = os.path.join(ROOT, '.build', 'load')
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name + '.json'), 'w') as handle:
        json.dump(figures, handle, indent=2, sort_keys=True)


def test_a_batched_event_start_then_event_stop_under_the_per_api_limit(tmp_path, private_token_cache):
    config = scale.event_config(MEETINGS)
    hosts = scale.hosts_of(config)
    with limited_sim(config) as sim:
        inventory = scale.write_inventory(str(tmp_path / 'inventory.json'), hosts, sim.url)
        # batches of the limit's size: each batch goes through every step
        start = runbook('event_start', inventory, LIMIT, private_token_cache)
        assert_converged(start, sim, hosts, scale.started)
        calls = sim.calls
        busiest = assert_paced(calls)
        assert max(busiest.values()) == LIMIT, 'the limit never engaged: %s' % busiest
        per_api = scale.calls_per_api(calls)
        assert per_api[scale.LOGIN] == 1
        assert max(per_api.values()) <= MEETINGS, per_api  # at most one call of each API per meeting
        assert set(scale.TASKS) <= set(start.per_task())  # and the summing-up play's tasks
        for task in scale.TASKS:
            counts = start.per_task()[task]
            assert counts.get('changed') == MEETINGS, (task, counts)

        # event_stop at once, while the start's windows still hold its calls
        sim.clear_calls()
        stop = runbook('event_stop', inventory, LIMIT, private_token_cache)
        assert_converged(stop, sim, hosts, scale.stopped)
        stop_busiest = assert_paced(sim.calls)
        stop_calls = len(scale.http_calls(sim.calls))
    keep('batched', {'event_start': {'seconds': round(start.seconds, 1), 'calls_per_api': per_api,
                                     'busiest_window': busiest},
                     'event_stop': {'seconds': round(stop.seconds, 1), 'calls': stop_calls,
                                    'busiest_window': stop_busiest}})


def test_a_plain_play_under_the_per_api_limit_pays_a_window_per_step_but_converges(tmp_path, private_token_cache):
    config = scale.event_config(MEETINGS)
    hosts = scale.hosts_of(config)
    with limited_sim(config) as sim:
        inventory = scale.write_inventory(str(tmp_path / 'inventory.json'), hosts, sim.url)
        # event_batch=0: all meetings in one batch, one step at a time
        run = runbook('event_start', inventory, 0, private_token_cache)
        assert_converged(run, sim, hosts, scale.started)
        busiest = assert_paced(sim.calls)
        assert max(busiest.values()) == LIMIT, 'the limit never engaged: %s' % busiest
        assert scale.calls_per_api(sim.calls)[scale.LOGIN] == 1
    keep('plain', {'seconds': round(run.seconds, 1), 'busiest_window': busiest})


def test_two_controllers_at_once_with_a_token_cache_each(tmp_path):
    config = scale.event_config(MEETINGS)
    halves = [scale.hosts_of(config, range(0, MEETINGS // 2)), scale.hosts_of(config, range(MEETINGS // 2, MEETINGS))]
    with limited_sim(config) as sim:
        jobs = []
        for number, hosts in enumerate(halves):
            inventory = scale.write_inventory(str(tmp_path / ('inventory-%d.json' % number)), hosts, sim.url)
            jobs.append(('event_start', inventory, FORKS, LIMIT, str(tmp_path / ('tokens-%d' % number))))
        runs = scale.run_playbooks_at_once(jobs, TIMEOUT)
        for run, hosts in zip(runs, halves):
            assert_converged(run, sim, hosts, scale.started)
        calls = sim.calls
        # one login each: the controllers share neither cache nor pacer;
        # what one learns of the other is the gateway's `remain`
        assert scale.calls_per_api(calls)[scale.LOGIN] == 2
        # each controller paces its own calls, and learns of the other's only
        # from the gateway's `remain`: a 429 may come, and is waited out
        throttled = scale.throttled(calls, 0)
    keep('two_controllers', {'seconds': [round(run.seconds, 1) for run in runs], 'answered_429': len(throttled),
                             'busiest_window': scale.busiest_windows(calls, WINDOW)})
