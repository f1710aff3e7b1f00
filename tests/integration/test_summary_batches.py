# A batch that fails whole does not end the run (issue 25, point 3): real
# ansible-playbook runs of the runbooks against the simulator, with event_batch
# 2 over 6 meetings and an outage that fails every meeting of the first batch.
# Every meeting of the later batches is still tried and converges; the run
# ends with rc != 0; the summary names the failed meetings with the module's
# sentence and prints the line that re-runs just those, which, run as
# printed (with this run's -e options), converges them.
import re
import shlex

import event_scale as scale  # tests/benchmark/event_scale.py (tests/conftest.py puts it on the path)
import pytest
from hwmeeting_sim import Simulator

from .conftest import run_runbook, summary_lines

ONLINE = '/v1/mmc/management/conferences/online/confDetail'
MEETINGS = 6
BATCH = 2
# No retry, so one refused online check fails its meeting: 2 refusals fail
# the whole first batch and nothing else.
OPTIONS = ['-f', '2', '-e', 'event_batch=%d' % BATCH, '-e', 'meeting_retries=0', '-e', 'event_live=false']


@pytest.fixture
def event(tmp_path):
    config = scale.event_config(MEETINGS)
    with Simulator(config=config) as sim:
        hosts = scale.hosts_of(config)
        inventory = scale.write_inventory(str(tmp_path / 'inventory.json'), hosts, sim.url)
        yield sim, inventory, sorted(hosts), dict((host, hosts[host]['conference_id']) for host in hosts)


def rerun_line(run):
    found = re.findall(r"Re-run just these \(add this run's -e options\): (ansible-playbook [^\"]*)", run.out)
    assert len(found) == 1, run
    return found[0]


def test_a_batch_that_fails_whole_does_not_abandon_the_later_batches(event):
    sim, inventory, hosts, ids = event
    first_batch, later = hosts[:BATCH], hosts[BATCH:]
    sim.inject_fault(ONLINE, count=BATCH, status=503)

    run = run_runbook('event_start', sim, inventory, *OPTIONS, keep='batch-failed')
    assert run.rc != 0, run
    # every meeting of the later batches was tried, and started
    checked = [call['query'].get('conferenceId') or call['query'].get('conferenceID') for call in sim.calls
               if call['path'] == ONLINE]
    assert sorted(set(checked)) == sorted(ids.values()), checked
    for host in later:
        meeting = sim.meeting(ids[host])
        assert (meeting['state'], meeting['recording']) == ('Created', True), host
    for host in first_batch:
        assert sim.meeting(ids[host])['state'] == 'Schedule', host

    lines = summary_lines(run)
    assert lines[0] == 'event_start: 6 meetings: 0 converged, 4 changed, 2 failed, 0 unverified, 0 not in progress', lines
    assert lines[1] == '2 need a person:'
    for number, host in enumerate(first_batch):
        assert lines[2 + number].startswith('  %s (%s): ' % (host, ids[host])), lines
        assert '503' in lines[2 + number], lines  # the module's own sentence
    assert len(lines) == 5, lines
    assert 'fatal: [%s]: FAILED! => {"changed": false, "msg": "2 of 6 meetings failed (listed above)' % hosts[0] \
        in run.out

    # The re-run, as printed (plus this run's -e options): converges the two
    rerun = shlex.split(rerun_line(run))
    assert rerun[:2] == ['ansible-playbook', 'hwcloud.meeting.event_start']
    assert rerun[-2:] == ['--limit', ','.join(first_batch)]
    again = run_runbook('event_start', sim, inventory, *(rerun[2:] + OPTIONS[2:]), keep='batch-rerun')
    assert again.rc == 0, again
    for host in hosts:
        assert sim.meeting(ids[host])['recording'], host
    assert summary_lines(again) == [
        'event_start: 2 meetings: 0 converged, 2 changed, 0 failed, 0 unverified, 0 not in progress',
        'Nothing needs a person.']


def test_a_dry_run_and_a_diff_still_work_with_the_blocks(event):
    sim, inventory, hosts, _ids = event
    dry = run_runbook('event_start', sim, inventory, *OPTIONS, '--check', '--diff')
    assert dry.rc == 0, dry
    assert summary_lines(dry)[0] == \
        'event_start: 6 meetings: 0 converged, 6 changed, 0 failed, 0 unverified, 0 not in progress'
    assert not [call for call in sim.calls if call['method'] in ('PUT', 'POST') and 'conferences/start' in call['path']]
    sim.inject_fault(ONLINE, count=1, status=503)
    dry_failed = run_runbook('event_start', sim, inventory, *OPTIONS, '--check', '--diff')
    assert dry_failed.rc != 0
    # one of the first batch drew the refusal (whichever fork came first)
    assert re.search(r' --check --diff --limit (%s)$' % '|'.join(hosts[:BATCH]), rerun_line(dry_failed)), \
        rerun_line(dry_failed)
