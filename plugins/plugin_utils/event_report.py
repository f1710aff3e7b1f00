# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""event_status's page: one self-contained HTML file, and the same data as JSON.

The page loads nothing: its style and its little script (sorting, a search
box) are inline, and a Content-Security-Policy forbids anything else, so it
opens offline, from AWX's artifacts or a share. Problems come first, each
with a colour and a text label (never colour alone). ``report_problem``
says in one sentence why a path cannot take the page, before any meeting is
read. The runbook writes both files with ansible.builtin.copy, which
writes a temporary file and renames it over the old one, so a browser
never sees half a page.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import tempfile
from html import escape

from ansible_collections.hwcloud.meeting.plugins.plugin_utils.event_summary import (
    CONVERGED, DRIFTED, FAILED, NOT_IN_PROGRESS, STATUS_WORDS, UNVERIFIED)

CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
# Problems first, the worst first.
ORDER = (FAILED, DRIFTED, NOT_IN_PROGRESS, UNVERIFIED, CONVERGED)
LABELS = {FAILED: 'FAILED', DRIFTED: 'NOT AS STARTED', NOT_IN_PROGRESS: 'NOT IN PROGRESS',
          UNVERIFIED: 'UNVERIFIED', CONVERGED: 'OK'}
COLUMNS = (('outcome', 'Status'), ('name', 'Meeting'), ('conference_id', 'ID'), ('in_progress', 'In progress'),
           ('recording', 'Recording'), ('live', 'Live'), ('broadcast', 'Broadcast'),
           ('participants', 'Participants'), ('problem', 'Problem'))

STYLE = '''
:root{color-scheme:light;font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1f24}
body{margin:0 1.2rem 2rem}
h1{font-size:1.35rem;margin:1rem 0 .2rem}
.read{color:#57606a;margin:0 0 .6rem}
ul.counts{list-style:none;padding:0;margin:.4rem 0 .8rem;display:flex;flex-wrap:wrap;gap:.5rem}
ul.counts li{border:1px solid #d0d7de;border-left-width:6px;border-radius:4px;padding:.25rem .7rem}
ul.counts b{font-size:1.15rem;margin-right:.3rem;font-variant-numeric:tabular-nums}
.tools{margin:.3rem 0 .6rem}
.tools input{font:inherit;padding:.2rem .4rem;width:18rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.22rem .5rem;border-bottom:1px solid #d8dee4;vertical-align:top;white-space:nowrap}
td.problem{white-space:normal;min-width:18rem}
td.n{text-align:right;font-variant-numeric:tabular-nums}
thead th{position:sticky;top:0;background:#f6f8fa;cursor:pointer;user-select:none;white-space:nowrap;
 border-bottom:2px solid #8c959f}
thead th[aria-sort=ascending]::after{content:" \\25B2"}
thead th[aria-sort=descending]::after{content:" \\25BC"}
tbody tr:nth-child(even){background:#fafbfc}
td.label{font-weight:600;white-space:nowrap;border-left:6px solid transparent}
.failed{--c:#cf222e}.not_as_started{--c:#bc4c00}.not_in_progress{--c:#8250df}.unverified{--c:#9a6700}
.converged{--c:#1a7f37}
ul.counts li{border-left-color:var(--c)}
td.label{border-left-color:var(--c);color:var(--c)}
tr.failed,tr.not_as_started{background:#fff5f5 !important}
tr.not_in_progress,tr.unverified{background:#fbf8ff !important}
.unknown{color:#57606a;font-style:italic}
'''

SCRIPT = '''
(function(){
var table=document.getElementById('meetings'),body=table.tBodies[0],heads=table.tHead.rows[0].cells;
function key(row,i){var c=row.cells[i];return c.getAttribute('data-sort')||c.textContent;}
function sortBy(i){
 var th=heads[i],dir=th.getAttribute('aria-sort')==='ascending'?-1:1,rows=Array.prototype.slice.call(body.rows);
 var numeric=th.getAttribute('data-type')==='number';
 rows.sort(function(a,b){var x=key(a,i),y=key(b,i);
  if(numeric){x=x===''?-1:+x;y=y===''?-1:+y;return (x-y)*dir||(a.sectionRowIndex-b.sectionRowIndex);}
  return x.localeCompare(y,undefined,{numeric:true})*dir||(a.sectionRowIndex-b.sectionRowIndex);});
 for(var j=0;j<heads.length;j++){heads[j].removeAttribute('aria-sort');}
 th.setAttribute('aria-sort',dir===1?'ascending':'descending');
 var f=document.createDocumentFragment();rows.forEach(function(r){f.appendChild(r);});body.appendChild(f);
}
for(var i=0;i<heads.length;i++){(function(i){heads[i].addEventListener('click',function(){sortBy(i);});})(i);}
var search=document.getElementById('search');
search.addEventListener('input',function(){var q=search.value.toLowerCase();
 Array.prototype.forEach.call(body.rows,function(r){r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;});});
})();
'''


def _flag(value):
    if value is None:
        return '<span class="unknown">unknown</span>', ''
    return ('yes' if value else 'no'), ('1' if value else '0')


def ordered(rows):
    """Problems first (the worst first), then by meeting name."""
    rank = dict((outcome, number) for number, outcome in enumerate(ORDER))
    return sorted(rows, key=lambda row: (rank.get(row['outcome'], 0), row['name']))


def _cell(column, row, position):
    value = row.get(column)
    if column == 'outcome':
        return '<td class="label" data-sort="%d">%s</td>' % (position, escape(LABELS.get(value, value or '')))
    if column in ('in_progress', 'recording', 'live'):
        if row['outcome'] in (NOT_IN_PROGRESS, FAILED) and column != 'in_progress' or \
                (row['outcome'] == FAILED and column == 'in_progress'):
            return '<td></td>'
        text, sort = _flag(value)
        return '<td data-sort="%s">%s</td>' % (sort, text)
    if column == 'participants':
        return '<td class="n" data-sort="%s">%s</td>' % ('' if value is None else int(value),
                                                         '' if value is None else int(value))
    if column == 'broadcast' and row['outcome'] == FAILED:
        return '<td></td>'
    if column == 'broadcast' and value == 'unknown':
        return '<td><span class="unknown">unknown</span></td>'
    if column == 'problem':
        return '<td class="problem">%s</td>' % escape(value or '')
    return '<td>%s</td>' % escape('' if value is None else str(value))


def _when(read_at):
    """2026-12-04T08:59:00+00:00 as 2026-12-04 08:59:00 UTC."""
    if not read_at:
        return 'unknown time'
    text = str(read_at)
    if text.endswith('+00:00'):
        text = text[:-len('+00:00')] + ' UTC'
    return text.replace('T', ' ', 1)


def render_page(summary, title='Event status'):
    """The page of ``summary`` (event_summary's, for event_status)."""
    rows = ordered(summary.get('rows') or [])
    counts = summary.get('counts') or {}
    total = len(rows)
    items = []
    for outcome in ORDER:
        if outcome in counts:
            items.append('<li class="%s" data-outcome="%s"><b>%d</b>%s</li>'
                         % (outcome, outcome, counts[outcome], escape(STATUS_WORDS[outcome])))
    head = ''.join('<th scope="col" data-key="%s"%s>%s</th>'
                   % (key, ' data-type="number"' if key in ('participants', 'outcome') else '', escape(label))
                   for key, label in COLUMNS)
    body = []
    for position, row in enumerate(rows):
        body.append('<tr class="%s" data-outcome="%s">%s</tr>' % (
            row['outcome'], row['outcome'], ''.join(_cell(key, row, position) for key, _label in COLUMNS)))
    problems = sum(1 for row in rows if row['outcome'] != CONVERGED)
    return ''.join([
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="%s">' % CSP,
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        '<title>%s: %d meeting%s, %d problem%s</title>' % (
            escape(title), total, '' if total == 1 else 's', problems, '' if problems == 1 else 's'),
        '<style>%s</style></head><body>' % STYLE,
        '<header><h1>%s: %d meeting%s</h1>' % (escape(title), total, '' if total == 1 else 's'),
        '<p class="read">Read by hwcloud.meeting.event_status, finished at <time id="read-at">%s</time>. '
        'Problems first; click a column to sort.</p>' % escape(_when(summary.get('read_at'))),
        '<ul class="counts" id="counts">%s</ul></header>' % ''.join(items),
        '<div class="tools"><label>Find: <input id="search" type="search" '
        'placeholder="name, ID, problem"></label></div>',
        '<table id="meetings"><thead><tr>%s</tr></thead><tbody>\n' % head,
        '\n'.join(body),
        '\n</tbody></table><script>%s</script></body></html>\n' % SCRIPT,
    ])


def report_data(summary):
    """The page's data, for PATH.json."""
    return {'runbook': summary.get('runbook'), 'read_at': summary.get('read_at'), 'counts': summary.get('counts'),
            'needs_person': summary.get('needs_person'), 'rerun': summary.get('rerun'),
            'meetings': ordered(summary.get('rows') or [])}


def report_json(summary):
    return json.dumps(report_data(summary), indent=1, sort_keys=True) + '\n'


def report_paths(path):
    """(page, JSON) of an event_report path, absolute."""
    page = os.path.abspath(os.path.expanduser(path))
    return page, page + '.json'


def report_problem(path):
    """Why ``path`` cannot take the page (and PATH.json), in one sentence; ''
    when it can. Tries to create a file beside it, as the writing will."""
    if path is None or str(path).strip() == '':
        return ''
    page, _json = report_paths(str(path))
    directory = os.path.dirname(page)
    start = 'Cannot write the status page to %s: ' % page
    if os.path.isdir(page):
        return start + 'it is a directory; give a file name (event_report=%s/status.html).' % page
    if not os.path.isdir(directory):
        what = 'is not a directory' if os.path.exists(directory) else 'does not exist'
        return start + '%s %s; create it or give another event_report.' % (directory, what)
    try:
        handle, probe = tempfile.mkstemp(dir=directory, prefix='.event_report-')
        os.close(handle)
        os.remove(probe)
    except (IOError, OSError) as error:
        return start + 'cannot create a file in %s (%s); give another event_report.' % (
            directory, error.strerror or error)
    return ''
