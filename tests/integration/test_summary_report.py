# event_status -e event_report=PATH (issue 27, point 3) with real
# ansible-playbook runs against the simulator: the page and PATH.json, from
# what the run read; bad input in one sentence before any meeting is read.
# The page in a real browser: tests/browser.
import json
import os
import re

import event_scale as scale  # tests/benchmark/event_scale.py (tests/conftest.py puts it on the path)
import pytest
from hwmeeting_sim import Simulator

from .conftest import ROOT, assert_no_secret, keep_output, run_playbook

OPTIONS = ['-f', '3', '-e', 'event_batch=3', '-e', 'meeting_retries=0']


@pytest.fixture
def event(tmp_path):
    config = scale.event_config(6)
    with Simulator(config=config) as sim:
        hosts = scale.hosts_of(config)
        inventory = scale.write_inventory(str(tmp_path / 'inventory.json'), hosts, sim.url)
        yield sim, hosts, inventory


def status(sim, inventory, *args, keep=None):
    run = run_playbook(os.path.join(ROOT, 'playbooks', 'event_status.yml'), sim, '-i', inventory, *(OPTIONS + list(args)))
    if keep:
        keep_output('summary', keep, run.out)
    assert 'Traceback' not in run.out
    assert_no_secret(run, sim)
    return run


def test_the_page_and_its_json(event, tmp_path):
    sim, hosts, inventory = event
    run = run_playbook(os.path.join(ROOT, 'playbooks', 'event_start.yml'), sim, '-i', inventory, *OPTIONS)
    assert run.rc == 0, run
    sim.set_meeting(hosts['webinar0001']['conference_id'], recording=False)
    sim.set_meeting(hosts['webinar0004']['conference_id'], state='Destroyed')
    reports = tmp_path / 'reports'
    reports.mkdir()
    page = reports / 'status.html'
    page.write_text('the page of an earlier run')
    run = status(sim, inventory, '-e', 'event_report=%s' % page, keep='status-report')
    assert run.rc == 0, run
    # the page, and the same data as JSON; nothing else left in the directory
    assert sorted(os.listdir(str(reports))) == ['status.html', 'status.html.json']
    html = page.read_text()
    data = json.loads((reports / 'status.html.json').read_text())
    assert [(row['name'], row['outcome'], row['problem']) for row in data['meetings']] == [
        ('webinar0001', 'not_as_started', 'recording off'),
        ('webinar0004', 'not_in_progress', 'not in progress (ended)'),
        ('webinar0000', 'converged', ''), ('webinar0002', 'converged', ''), ('webinar0003', 'converged', ''),
        ('webinar0005', 'converged', '')]
    assert data['counts'] == {'converged': 4, 'not_as_started': 1, 'failed': 0, 'unverified': 0,
                              'not_in_progress': 1}
    converged = data['meetings'][2]
    assert (converged['conference_id'], converged['in_progress'], converged['recording'], converged['live'],
            converged['broadcast'], converged['participants']) == \
        (hosts['webinar0000']['conference_id'], True, True, None, 'Keynote Speaker', 3)
    names = re.findall(r'<tr class="\w+" data-outcome="\w+"><td class="label"[^>]*>[^<]*</td><td>([^<]*)</td>', html)
    assert names == [row['name'] for row in data['meetings']]
    assert 'Event status: 6 meetings, 2 problems' in html
    # the reads of this run, not a second reading: one realTimeInfo per meeting
    reads = [call for call in sim.calls if call['path'].endswith('/realTimeInfo')]
    assert len(reads) <= 6 * 2
    assert re.search(r'changed: \[webinar0000\] => \(item=%s\)' % re.escape(str(page)), run.out)


def test_an_unwritable_page_fails_in_one_sentence_before_any_meeting_is_read(event, tmp_path):
    sim, _hosts, inventory = event
    missing = tmp_path / 'missing-directory' / 'status.html'
    for limit in ([], ['--limit', 'webinar0001']):
        sim.clear_calls()
        run = status(sim, inventory, '-e', 'event_report=%s' % missing, *limit,
                     keep='status-report-unwritable%s' % ('-limit' if limit else ''))
        assert run.rc != 0, run
        sentence = ('Cannot write the status page to %s: %s does not exist; create it or give another event_report.'
                    % (missing, missing.parent))
        assert '"msg": "%s"' % sentence in run.out, run
        assert sim.calls == [], 'meetings were read'
        assert 'Sum up the status' not in run.out


def test_without_event_report_no_file_is_written(event, tmp_path, monkeypatch):
    sim, _hosts, inventory = event
    monkeypatch.chdir(str(tmp_path))
    run = status(sim, inventory)
    assert run.rc == 0, run
    assert sorted(os.listdir(str(tmp_path))) == ['inventory.json', 'tokens']
