# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Attributes of every module: all support check mode and diff mode fully,
    # but a module that says otherwise (meeting_info has no diff).
    DOCUMENTATION = r'''
attributes:
  check_mode:
    description: Can run in check mode and report what would change, reading the meeting but never writing.
    support: full
  diff_mode:
    description: Returns the managed state before and after the task (or as it would be, in check mode).
    support: full
  action:
    description: Runs through the collection's action plugin C(hwcloud.meeting.meeting). With a local connection it
      runs the module inside the Ansible worker process instead of starting a new Python process for it (direct
      execution, see the collection's C(docs/direct_execution.md)); otherwise, or with
      C(HWMEETING_DIRECT_EXECUTION=false) set on the controller, the module runs as a process of its own.
    support: full
  async:
    description: Can run with C(async) (as a module process of its own).
    support: full
  action_group:
    description: Part of the action group C(group/hwcloud.meeting.meeting), so a play can set the shared options once
      with C(module_defaults).
    support: full
    membership:
      - hwcloud.meeting.meeting
'''

    # The option of the modules that switch something on or off (record,
    # live); each says in the description of O(state) what it switches.
    SWITCH = r'''
options:
  state:
    description:
      - V(started) switches it on, V(stopped) switches it off.
    type: str
    required: true
    choices: [started, stopped]
'''

    # Options of the modules that can wait for the meeting to reach the asked state.
    WAIT = r'''
options:
  wait:
    description:
      - After a change, read the realtime state until it is as asked, or fail when O(wait_timeout) runs out.
      - Has no effect when nothing changed, in check mode, or when the service does not report the state.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait when O(wait=true).
    type: int
    default: 60
'''
