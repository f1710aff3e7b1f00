# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.hwcloud.meeting.plugins.plugin_utils.direct_execution import MeetingAction


class ActionModule(MeetingAction):
    """The action plugin of every hwcloud.meeting module (meta/runtime.yml routes
    each one here): runs it in the worker process when it can (docs/direct_execution.md)."""
