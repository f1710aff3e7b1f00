# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: event_summary
short_description: Sum up what every meeting's tasks of a runbook registered
version_added: 0.1.0
extends_documentation_fragment:
  - hwcloud.meeting.event_filter
description:
  - The last play of each event runbook (C(hwcloud.meeting.event_start), C(event_status), C(event_stop)) gives it
    C(hostvars) and gets back one outcome per meeting, the counts per outcome, the meetings that need a person with
    the module's own sentence, and the command that re-runs just those.
  - It reads only what the tasks registered and the fact the runbook's rescue set on a failure; it never calls the
    meeting service.
  - "A meeting's outcome is the worst of its steps': V(failed) (the rescue recorded a failure, or no step ran because
    the run ended before its batch), V(unverified) (a step returned C(state_verified=false)), V(changed),
    V(not_in_progress) (a step did nothing because the meeting is not in progress), else V(converged).
    For C(event_status): V(failed) (the meeting could not be read), V(not_in_progress), V(not_as_started) (recording
    off, or broadcasting someone other than its C(keynote_speaker)), V(unverified) (recording or broadcast unknown),
    else V(converged)."
options:
  runbook:
    description: Which runbook ran.
    type: str
    required: true
    choices: [event_start, event_status, event_stop, event_check]
  steps:
    description: The names the runbook's tasks register their results under.
    type: list
    elements: str
    required: true
  failure:
    description: The fact the runbook's rescue sets on a failed meeting (C(step) and C(msg)).
    type: str
    required: true
  always_sent:
    description:
      - Steps whose state the service may not report at all (the live stream on the vendor's service). When such a
        step returns C(state_verified=false) it counts neither as changed nor as unverified.
    type: list
    elements: str
    default: []
  inventory_sources:
    description: The inventory sources for the re-run line (C(ansible_inventory_sources)).
    type: list
    elements: str
    default: []
  forks:
    description: The run's forks (C(ansible_forks)); the re-run line says C(-f) unless it is 5.
    type: int
  check_mode:
    description: The run was a dry run; the re-run line says C(--check).
    type: bool
    default: false
  diff_mode:
    description: The run showed differences; the re-run line says C(--diff).
    type: bool
    default: false
  rerun_runbook:
    description: The runbook the re-run line runs (C(event_status) suggests C(event_start)); default O(runbook).
    type: str
  fail_on_problems:
    description: Give a C(fail_msg) when any meeting needs a person, not only when one failed.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Count what every meeting's tasks registered
  ansible.builtin.set_fact:
    summary: >-
      {{ hostvars | hwcloud.meeting.event_summary(ansible_play_hosts_all, 'event_stop',
         steps=['stop_broadcast', 'stop_live', 'stop_recording'], failure='event_stop_failure',
         always_sent=['stop_live'], inventory_sources=ansible_inventory_sources) }}
  run_once: true

- name: Say it
  ansible.builtin.debug:
    msg: "{{ summary.lines }}"
  run_once: true
'''

RETURN = r'''
_value:
  description: The summary.
  type: dict
  contains:
    runbook:
      description: The runbook.
      type: str
    meetings:
      description: How many meetings the run had.
      type: int
    counts:
      description: Meetings per outcome (the keys of the runbook's outcomes, see above).
      type: dict
    needs_person:
      description: The meetings that need a person, each with C(meeting), C(conference_id), C(outcome), C(reason).
      type: list
      elements: dict
    rerun:
      description: The command that re-runs just those meetings (empty when none); add the run's C(-e) options.
      type: str
    lines:
      description: What the runbook prints, one line each.
      type: list
      elements: str
    fail_msg:
      description: Empty when the run succeeded, else the sentence the runbook fails with.
      type: str
    stats:
      description: What the runbooks keep with C(ansible.builtin.set_stats) for AWX, C(meetings), C(counts),
        C(needs_person) and C(rerun).
      type: dict
    rows:
      description: For C(event_status), one row per meeting for the status page.
      type: list
      elements: dict
    read_at:
      description: For C(event_status), when the summary was made (UTC, ISO 8601).
      type: str
'''

import datetime

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text

from ansible_collections.hwcloud.meeting.plugins.plugin_utils.event_summary import summarise
from ansible_collections.hwcloud.meeting.plugins.plugin_utils.hostvars import meeting_variable


def event_summary(hostvars, meetings, runbook, steps, failure, always_sent=None, inventory_sources=None, forks=None,
                  check_mode=False, diff_mode=False, rerun_runbook=None, fail_on_problems=False):
    if not isinstance(meetings, (list, tuple)):
        raise AnsibleFilterError('event_summary: meetings must be a list of host names')
    collected = []
    for name in meetings:
        name = to_text(name)
        collected.append({
            'name': name,
            'conference_id': meeting_variable(hostvars, name, 'conference_id'),
            'keynote_speaker': meeting_variable(hostvars, name, 'keynote_speaker'),
            'failure': meeting_variable(hostvars, name, failure),
            'results': dict((step, meeting_variable(hostvars, name, step)) for step in steps),
        })
    read_at = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
    try:
        return summarise(runbook, collected, always_sent=always_sent or (), inventory_sources=inventory_sources or (),
                         forks=forks, check_mode=bool(check_mode), diff_mode=bool(diff_mode),
                         rerun_runbook=rerun_runbook, fail_on_problems=bool(fail_on_problems), read_at=read_at)
    except ValueError as error:
        raise AnsibleFilterError('event_summary: %s' % error)


class FilterModule(object):
    def filters(self):
        return {'event_summary': event_summary}
