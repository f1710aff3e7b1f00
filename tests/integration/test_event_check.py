# The preflight, hwcloud.meeting.event_check, with real ansible-playbook runs
# against the simulator: meetings in serial batches, problems named with the
# module's sentence, the estimate of how long event_start takes, the AWX
# artifacts, and nothing changed.
import re

import event_scale as scale  # tests/benchmark/event_scale.py (tests/conftest.py puts it on the path)
import pytest
from hwmeeting_sim import Simulator

from .conftest import run_runbook, summary_lines

MEETINGS = 6
OPTIONS = ['-f', '3', '-e', 'event_batch=3', '-e', 'meeting_retries=0']
UNKNOWN, WRONG_PASSWORD, ABSENT_SPEAKER, ENDED = 'webinar0000', 'webinar0002', 'webinar0004', 'webinar0005'


@pytest.fixture
def event(tmp_path):
    config = scale.event_config(MEETINGS)
    config['meetings'][4]['state'] = 'Created'           # already in progress, without its speaker
    config['meetings'][4]['participants'] = config['meetings'][4]['participants'][1:]
    config['meetings'][5]['state'] = 'Destroyed'
    with Simulator(config=config) as sim:
        sim.configure(api_rate_limit=50, api_rate_window=60)
        yield sim, config, str(tmp_path / 'inventory.json')


def check(sim, inventory, *args, keep=None):
    return run_runbook('event_check', sim, inventory, *args, keep=keep)


def check_lines(run):
    return summary_lines(run, task='Say what needs a person, and when to start')


def writes(sim):
    return [call for call in sim.calls if call['method'] in ('POST', 'PUT') and 'auth' not in call['path']]


def test_the_preflight_names_what_is_not_ready_and_says_when_to_start(event):
    sim, config, inventory = event
    hosts = scale.hosts_of(config)
    hosts[UNKNOWN]['conference_id'] = '999999999'
    hosts[WRONG_PASSWORD]['host_password'] = 'not-the-password'
    scale.write_inventory(inventory, hosts, sim.url)

    run = check(sim, inventory, *OPTIONS, '-e', 'event_time=09:00', '-e', 'event_broadcast=true', keep='event-check')
    assert run.rc == 2, run
    lines = check_lines(run)
    assert lines[0] == 'event_check: 6 meetings: 2 ready, 4 not ready'
    assert lines[1] == '4 need a person:'
    named = dict((line.split()[0], line.split('): ', 1)[1]) for line in lines[2:6])
    assert sorted(named) == [UNKNOWN, WRONG_PASSWORD, ABSENT_SPEAKER, ENDED]
    assert named[UNKNOWN].startswith('Meeting 999999999 does not exist')
    assert named[WRONG_PASSWORD] == ("Meeting %s is not ready: host_password is not the meeting's host password "
                                     "(its details say another)." % scale.meeting_id(2))
    assert "'Keynote Speaker', the participant to broadcast, has not joined it" in named[ABSENT_SPEAKER]
    assert named[ENDED] == 'Meeting %s is not ready: it has ended.' % scale.meeting_id(5)
    assert lines[6].startswith("Re-run just these (add this run's -e options): ansible-playbook "
                               "hwcloud.meeting.event_check")
    # the limit came from the gateway's headers in this run
    assert re.match(r"6 meetings: at least (less than a minute|[0-9.]+ minutes) at the gateway's 50 calls of an "
                    r"API a minute; start by 0?8:[0-5][0-9] for 09:00\.$", lines[7]), lines[7]
    assert not writes(sim)  # a preflight changes nothing
    for number in range(4):
        assert sim.meeting(scale.meeting_id(number))['state'] == 'Schedule'


def test_all_ready_and_an_estimate_from_the_documented_limit(event, tmp_path):
    sim, config, inventory = event
    sim.configure(api_rate_limit=None)
    hosts = scale.hosts_of(config, range(4))
    scale.write_inventory(inventory, hosts, sim.url)
    run = check(sim, inventory, *OPTIONS)
    assert run.rc == 0, run
    lines = check_lines(run)
    assert lines[:2] == ['event_check: 4 meetings: 4 ready, 0 not ready', 'Nothing needs a person.']
    # the simulator, not enforcing, says a nominal limit: the estimate uses what the gateway said
    assert lines[2].startswith('4 meetings: at least ') and 'start it at least' in lines[2]


@pytest.mark.parametrize('event_time', ['9am', '25:00'])
def test_a_bad_event_time_is_one_sentence_before_any_call(event, event_time):
    sim, config, inventory = event
    scale.write_inventory(inventory, scale.hosts_of(config), sim.url)
    run = check(sim, inventory, '-e', 'event_time=%s' % event_time)
    assert run.rc == 2
    assert "event_time must be a time of day as HH:MM, such as 09:00 (got '%s')." % event_time in run.out
    assert sim.calls == []


def test_an_empty_inventory_is_one_sentence(event, tmp_path):
    sim, _config, inventory = event
    scale.write_inventory(inventory, {}, sim.url)
    run = check(sim, inventory)
    assert run.rc == 2
    assert "No meeting to work on: the inventory has no host in 'meetings' (event_hosts)" in run.out
    assert sim.calls == []
