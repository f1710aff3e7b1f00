# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: event_estimate
short_description: How long an event start will take at least, from a preflight's run
version_added: 0.1.0
extends_documentation_fragment:
  - hwcloud.meeting.event_filter
description:
  - The last play of C(hwcloud.meeting.event_check) gives it C(hostvars) and gets back the least time
    C(hwcloud.meeting.event_start) will take for the same meetings, and when to start it.
  - "Two things bound an event start, and the larger wins: the gateway's limit of calls of one API a window (each
    meeting makes one call of each API in a first start; learnt from the gateway's headers in the same run, else
    the documented 100 a minute), and the controller's time for a round of O(forks) meetings, measured from the
    preflight's own first batch and scaled to the steps of an event start (docs/benchmark.md has the factor's measurement)."
  - It reads only what the preflight's tasks registered; it never calls the meeting service.
options:
  began:
    description: When the preflight's checks began (seconds since the epoch).
    type: float
    required: true
  forks:
    description: The run's forks (C(ansible_forks)); event_start is taken to run with as many.
    type: int
    required: true
  batch:
    description: The runbooks' batch size (C(event_batch); 0 for one batch).
    type: int
    default: 100
  steps:
    description: The steps of the event start that make calls (activate, record, live, broadcast).
    type: int
    default: 4
  registered:
    description: The name the preflight's check registers its result under.
    type: str
    default: check_meeting
  done:
    description: The fact each meeting sets when its check is done (seconds since the epoch).
    type: str
    default: event_check_done
  event_time:
    description: The event's start, HH:MM, for the sentence "start by ... for ...".
    type: str
'''

EXAMPLES = r'''
- name: Say how long the event start will take
  ansible.builtin.debug:
    msg: >-
      {{ (hostvars | hwcloud.meeting.event_estimate(ansible_play_hosts_all, began=event_check_began | float,
          forks=ansible_forks, batch=100, event_time='09:00')).sentence }}
  run_once: true
'''

RETURN = r'''
_value:
  description: The estimate.
  type: dict
  contains:
    seconds:
      description: The least wall time of the event start, in seconds.
      type: float
    limit:
      description: The gateway's calls of one API a window used.
      type: int
    window:
      description: The window, in seconds.
      type: float
    learnt:
      description: Whether the limit came from the gateway's headers in this run (else the documented one).
      type: bool
    batches:
      description: How many batches the event start makes.
      type: int
    round_seconds:
      description: The controller's time for a round of O(forks) meetings through an event start's steps, as
        measured.
      type: float
    start_by:
      description: When to start for O(event_time) (HH:MM), or V(null).
      type: str
    sentence:
      description: All of it in one sentence.
      type: str
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.hwcloud.meeting.plugins.plugin_utils.event_estimate import EstimateError, estimate_from_run
from ansible_collections.hwcloud.meeting.plugins.plugin_utils.hostvars import meeting_variable


def event_estimate(hostvars, meetings, began, forks, batch=100, steps=4, registered='check_meeting',
                   done='event_check_done', event_time=None):
    if not isinstance(meetings, (list, tuple)) or not meetings:
        raise AnsibleFilterError('event_estimate: meetings must be a list of host names, not empty')
    checked = []
    for name in meetings:
        result = meeting_variable(hostvars, name, registered)
        limit = result.get('gateway_limit') if isinstance(result, dict) else None
        checked.append({'done': meeting_variable(hostvars, name, done),
                        'gateway_limit': limit if isinstance(limit, dict) else None})
    try:
        return estimate_from_run(checked, began, forks, batch=batch, steps=steps, event_time=event_time)
    except EstimateError as error:
        raise AnsibleFilterError('event_estimate: %s' % error)


class FilterModule(object):
    def filters(self):
        return {'event_estimate': event_estimate}
