# The summary at the end of each runbook (issue 27, point 1), with real
# ansible-playbook runs against the simulator: meetings in serial batches,
# three of them made to fail in three different ways (an unknown meeting, a
# wrong host password, a speaker who is not in the meeting). The summary
# names exactly those three with the module's sentence and a re-run line,
# which, run as printed once the causes are fixed, converges them.
import shlex

import event_scale as scale  # tests/benchmark/event_scale.py (tests/conftest.py puts it on the path)
import pytest
from hwmeeting_sim import Simulator

from .conftest import run_runbook, summary_lines

MEETINGS = 9
OPTIONS = ['-f', '3', '-e', 'event_batch=3', '-e', 'meeting_retries=0']
UNKNOWN, WRONG_PASSWORD, NO_SPEAKER = 'webinar0001', 'webinar0004', 'webinar0008'


@pytest.fixture
def event(tmp_path):
    config = scale.event_config(MEETINGS)
    with Simulator(config=config) as sim:
        yield sim, config, str(tmp_path / 'inventory.json')


def test_three_problems_named_with_their_reasons_and_a_rerun_that_converges_them(event):
    sim, config, inventory = event
    hosts = scale.hosts_of(config)
    good = dict((host, dict(variables)) for host, variables in hosts.items())
    hosts[UNKNOWN]['conference_id'] = '999999999'
    hosts[WRONG_PASSWORD]['host_password'] = 'not-the-password'
    hosts[NO_SPEAKER]['keynote_speaker'] = 'Nobody Here'
    scale.write_inventory(inventory, hosts, sim.url)

    run = run_runbook('event_start', sim, inventory, *OPTIONS, keep='three-problems')
    assert run.rc == 2, run
    lines = summary_lines(run)
    assert len(lines) == 6, lines
    assert lines[0] == 'event_start: 9 meetings: 0 converged, 6 changed, 3 failed, 0 unverified, 0 not in progress'
    assert lines[1] == '3 need a person:'
    named = dict((line.split()[0], line) for line in lines[2:5])
    assert sorted(named) == sorted([UNKNOWN, WRONG_PASSWORD, NO_SPEAKER])
    assert 'meeting 999999999' in named[UNKNOWN] and 'MMC.111072065' in named[UNKNOWN], named[UNKNOWN]
    assert 'password' in named[WRONG_PASSWORD].lower(), named[WRONG_PASSWORD]
    assert 'Nobody Here' in named[NO_SPEAKER], named[NO_SPEAKER]
    # the module's own sentence: what the failed task printed
    for line in named.values():
        reason = line.split('): ', 1)[1]
        assert reason.replace('"', '\\"') in run.out
    for host in hosts:
        if host not in named:
            assert scale.started(sim, hosts[host]['conference_id']), host

    # AWX's artifacts: set_stats gave the same (checked with ansible-runner
    # in test_awx_runner.py); fix the causes, run the printed line
    scale.write_inventory(inventory, good, sim.url)
    rerun = shlex.split(lines[5].split(': ', 1)[1])
    assert rerun[-2:] == ['--limit', ','.join(sorted(named))]
    again = run_runbook('event_start', sim, inventory, *(rerun[2:] + OPTIONS[2:]), keep='three-problems-rerun')
    assert again.rc == 0, again
    assert summary_lines(again)[0].startswith('event_start: 3 meetings: 0 converged, 3 changed, 0 failed')
    for host in hosts:
        assert scale.started(sim, good[host]['conference_id']), host

    # status then stop, over every meeting: all as started, then converged
    status = run_runbook('event_status', sim, inventory, *OPTIONS, keep='status-all-started')
    assert status.rc == 0, status
    assert summary_lines(status) == [
        'event_status: 9 meetings: 9 as started, 0 not as started, 0 failed, 0 unverified, 0 not in progress',
        'Nothing needs a person.']
    stop = run_runbook('event_stop', sim, inventory, *OPTIONS)
    assert stop.rc == 0, stop
    assert summary_lines(stop)[0] == \
        'event_stop: 9 meetings: 0 converged, 9 changed, 0 failed, 0 unverified, 0 not in progress'
    stop_again = run_runbook('event_stop', sim, inventory, *OPTIONS)
    assert summary_lines(stop_again)[0] == \
        'event_stop: 9 meetings: 9 converged, 0 changed, 0 failed, 0 unverified, 0 not in progress'


def test_status_names_the_meetings_not_as_started(event):
    sim, config, inventory = event
    hosts = scale.hosts_of(config)
    scale.write_inventory(inventory, hosts, sim.url)
    assert run_runbook('event_start', sim, inventory, *OPTIONS).rc == 0
    sim.set_meeting(hosts['webinar0002']['conference_id'], recording=False)
    sim.set_meeting(hosts['webinar0005']['conference_id'], state='Destroyed')
    status = run_runbook('event_status', sim, inventory, *OPTIONS, '-e', 'event_fail_on_problems=true',
                         keep='status-problems')
    assert status.rc == 2, status
    lines = summary_lines(status)
    assert lines[0] == \
        'event_status: 9 meetings: 7 as started, 1 not as started, 0 failed, 0 unverified, 1 not in progress'
    assert lines[2:4] == ['  webinar0002 (%s): recording off' % hosts['webinar0002']['conference_id'],
                          '  webinar0005 (%s): not in progress (ended)' % hosts['webinar0005']['conference_id']]
    assert lines[4].startswith("Run event_start on just these (add this run's -e options): ansible-playbook "
                               'hwcloud.meeting.event_start ')
    assert lines[4].endswith('--limit webinar0002,webinar0005')


def test_an_empty_inventory_says_so_in_one_sentence(event, tmp_path):
    sim, _config, _inventory = event
    empty = tmp_path / 'empty.yml'
    empty.write_text('meetings:\n  hosts: {}\n')
    for name in ('event_start', 'event_status', 'event_stop'):
        run = run_runbook(name, sim, str(empty))
        assert run.rc != 0, run
        assert "No meeting to work on: the inventory has no host in 'meetings' (event_hosts); check the " \
               'inventory (-i) and event_hosts.' in run.out, run
        assert 'Sum up' not in run.out
