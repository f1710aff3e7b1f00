# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: event_report_problem
short_description: Why a path cannot take event_status's page, in one sentence
version_added: 0.1.0
description:
  - C(hwcloud.meeting.event_status) checks C(event_report) with it before any meeting is read, so a page that could
    not be written fails the run at once, in one sentence, instead of after every meeting was read.
  - It creates and removes a file in the page's directory, as the writing will.
options:
  _input:
    description: The page's path (C(event_report)); empty or null means no page.
    type: path
    required: true
'''

EXAMPLES = r'''
- name: Check that the status page can be written
  ansible.builtin.fail:
    msg: "{{ event_report | hwcloud.meeting.event_report_problem }}"
  when: (event_report | hwcloud.meeting.event_report_problem) | length > 0
'''

RETURN = r'''
_value:
  description: The sentence, or an empty string when the page can be written there.
  type: str
'''

from ansible_collections.hwcloud.meeting.plugins.plugin_utils.event_report import report_problem


def event_report_problem(path):
    return report_problem(path)


class FilterModule(object):
    def filters(self):
        return {'event_report_problem': event_report_problem}
