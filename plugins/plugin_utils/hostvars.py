# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the runbooks' last play reads of each meeting: a variable of its
``hostvars``, as plain data (dicts, lists, texts, numbers), for the filters
event_summary and event_estimate."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.six import string_types


def plain(value):
    """Plain dicts, lists and texts out of whatever hostvars hands over."""
    if isinstance(value, dict):
        return dict((to_text(key), plain(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, string_types):
        return to_text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return to_text(value)


def meeting_variable(hostvars, meeting, name):
    """The variable ``name`` of the host ``meeting``, plain; None when the
    host or the variable is not there, or the variable cannot be read (an
    undefined or broken variable of the inventory: as if unset)."""
    try:
        variables = hostvars[to_text(meeting)]
        if name in variables:
            return plain(variables[name])
    except Exception:  # KeyError for a host that is not there; anything an inventory variable raises
        return None
    return None
