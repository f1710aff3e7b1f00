# event_status's page and its JSON (plugin_utils/event_report.py and the
# filters event_report_files and event_report_problem). The page in a real
# browser: tests/browser.
import json
import os
import re

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.hwcloud.meeting.plugins.filter.event_report_files import event_report_files
from ansible_collections.hwcloud.meeting.plugins.filter.event_report_problem import event_report_problem
from ansible_collections.hwcloud.meeting.plugins.plugin_utils.event_report import CSP, render_page, report_problem
from ansible_collections.hwcloud.meeting.plugins.plugin_utils.event_summary import summarise

SPEAKER = {'name': 'Ann <Keynote>', 'pid': 'p1', 'phone': '+1'}


def meeting(name, conference_id, failure=None, keynote_speaker='Ann <Keynote>', **state):
    value = dict({'conference_id': conference_id, 'in_progress': True, 'recording': True, 'live': None,
                  'mode': 'BROADCAST', 'broadcast_participant': SPEAKER, 'participant_count': 3}, **state)
    return {'name': name, 'conference_id': conference_id, 'keynote_speaker': keynote_speaker, 'failure': failure,
            'results': {'status': None if failure else {'changed': False, 'msg': 'read', 'meeting': value}}}


def summary():
    return summarise('event_status', [
        meeting('alpha', '1'),
        meeting('bravo', '2', recording=False),
        meeting('charlie', '3', failure={'step': 'Read', 'msg': 'Meeting 3 does not exist & <gone>'}),
        meeting('delta', '4', in_progress=False),
        meeting('echo', '5', recording=None),
    ], rerun_runbook='event_start', read_at='2026-12-04T08:59:00+00:00')


def rows(page):
    return re.findall(r'<tr class="(\w+)" data-outcome="\w+"><td class="label"[^>]*>([^<]*)</td><td>([^<]*)</td>',
                      page)


def test_problems_first_with_a_text_label_beside_the_colour():
    page = render_page(summary())
    assert rows(page) == [('failed', 'FAILED', 'charlie'), ('not_as_started', 'NOT AS STARTED', 'bravo'),
                          ('not_in_progress', 'NOT IN PROGRESS', 'delta'), ('unverified', 'UNVERIFIED', 'echo'),
                          ('converged', 'OK', 'alpha')]


def test_the_header_says_the_counts_and_the_time_read():
    page = render_page(summary())
    counts = dict((outcome, int(count)) for outcome, count in
                  re.findall(r'<li class="\w+" data-outcome="(\w+)"><b>(\d+)</b>', page))
    assert counts == {'failed': 1, 'not_as_started': 1, 'not_in_progress': 1, 'unverified': 1, 'converged': 1}
    assert '<time id="read-at">2026-12-04 08:59:00 UTC</time>' in page
    assert '<title>Event status: 5 meetings, 4 problems</title>' in page


def test_the_page_loads_nothing_and_escapes_what_it_shows():
    page = render_page(summary())
    assert '<meta http-equiv="Content-Security-Policy" content="%s">' % CSP in page
    assert CSP == "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
    assert not re.search(r'\b(src|href)\s*=', page)
    assert not re.search(r'@import|url\(', page)
    assert 'Meeting 3 does not exist &amp; &lt;gone&gt;' in page and '<gone>' not in page
    assert 'broadcasting' not in page  # Ann <Keynote> is broadcast where she should be
    assert 'Ann &lt;Keynote&gt;' in page


def test_unknown_is_said_as_such():
    page = render_page(summary())
    alpha = [line for line in page.split('\n') if '<td>alpha</td>' in line][0]
    assert '<span class="unknown">unknown</span>' in alpha  # live, which the vendor does not report


def test_the_files_are_the_page_and_the_same_data_as_json(tmp_path):
    path = str(tmp_path / 'status.html')
    files = event_report_files(summary(), path)
    assert [item['dest'] for item in files] == [path, path + '.json']
    data = json.loads(files[1]['content'])
    assert [row['name'] for row in data['meetings']] == ['charlie', 'bravo', 'delta', 'echo', 'alpha']
    assert data['counts']['failed'] == 1 and data['read_at'] == '2026-12-04T08:59:00+00:00'
    assert data['rerun'].endswith('--limit bravo,charlie,delta,echo')  # in inventory order
    assert event_report_files(summary(), '') == []
    with pytest.raises(AnsibleFilterError):
        event_report_files({'counts': {}}, path)


def test_a_relative_path_is_taken_from_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert event_report_files(summary(), 'page.html')[0]['dest'] == os.path.join(str(tmp_path), 'page.html')


def test_why_a_path_cannot_take_the_page(tmp_path):
    assert report_problem(None) == '' and report_problem('') == ''
    assert event_report_problem(str(tmp_path / 'page.html')) == ''
    missing = str(tmp_path / 'no' / 'page.html')
    assert report_problem(missing) == ('Cannot write the status page to %s: %s does not exist; create it or give '
                                       'another event_report.' % (missing, os.path.dirname(missing)))
    a_file = tmp_path / 'file'
    a_file.write_text('x')
    under_a_file = str(a_file / 'page.html')
    assert report_problem(under_a_file).endswith('%s is not a directory; create it or give another event_report.'
                                                 % a_file)
    assert 'it is a directory' in report_problem(str(tmp_path))
    assert os.listdir(str(tmp_path)) == ['file']  # the probe left nothing


def test_a_directory_that_refuses_files(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, 'Permission denied')

    monkeypatch.setattr(tempfile, 'mkstemp', refuse)
    sentence = report_problem(str(tmp_path / 'page.html'))
    assert sentence == ('Cannot write the status page to %s: cannot create a file in %s (Permission denied); give '
                        'another event_report.' % (tmp_path / 'page.html', tmp_path))
