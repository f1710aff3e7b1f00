# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: event_report_files
short_description: The status page of event_status, and its data as JSON
version_added: 0.1.0
description:
  - Turns the summary of C(hwcloud.meeting.event_status) (from P(hwcloud.meeting.event_summary#filter)) into two
    files to write, each a dict with C(dest) and C(content), for C(ansible.builtin.copy) (which writes a temporary
    file and renames it over the old one, so a page open in a browser never shows half a table).
  - "The page is self-contained: inline style and script, and a Content-Security-Policy that forbids loading
    anything else, so it opens offline. A header with the counts and the time read, then a row per meeting
    (name, ID, in progress, recording, live, broadcast, participants, problem), problems first, each with a colour
    and a text label; a click on a column sorts by it, a search box filters the rows."
  - The JSON file (the page's path plus C(.json)) holds the same rows, the counts and the meetings that need a
    person.
options:
  _input:
    description: The summary of C(event_status).
    type: dict
    required: true
  path:
    description:
      - Where the page goes (a relative path is taken from the directory ansible-playbook runs in).
      - Empty gives no file (an empty list).
    type: path
    required: true
'''

EXAMPLES = r'''
- name: Write the status page and its JSON
  ansible.builtin.copy:
    dest: "{{ item.dest }}"
    content: "{{ item.content }}"
    mode: "0644"
  loop: "{{ event_status_summary | hwcloud.meeting.event_report_files(event_report | default('')) }}"
  loop_control:
    label: "{{ item.dest }}"
'''

RETURN = r'''
_value:
  description: The page and the JSON file, each C(dest) (an absolute path) and C(content).
  type: list
  elements: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.hwcloud.meeting.plugins.plugin_utils.event_report import (
    render_page, report_json, report_paths)


def event_report_files(summary, path):
    if not isinstance(summary, dict) or 'rows' not in summary:
        raise AnsibleFilterError('event_report_files: give it the summary of event_status (event_summary)')
    if path is None or str(path).strip() == '':
        return []
    page, data = report_paths(str(path))
    return [{'dest': page, 'content': render_page(summary)}, {'dest': data, 'content': report_json(summary)}]


class FilterModule(object):
    def filters(self):
        return {'event_report_files': event_report_files}
