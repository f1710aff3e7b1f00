# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The input of the filters a runbook's last play calls on the controller
    # (event_summary, event_estimate): what every meeting's tasks registered.
    DOCUMENTATION = r'''
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  meetings:
    description: The meetings (host names) of the run, in order; C(ansible_play_hosts_all) of the last play.
    type: list
    elements: str
    required: true
'''
