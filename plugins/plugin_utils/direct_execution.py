# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Direct execution: run a hwcloud.meeting module inside the Ansible worker.

Our modules only talk HTTPS to the meeting service. With ``connection: local``
(how they are meant to run), the usual way to run a module costs more than the
module's own work: a new Python process per task, which unpacks the module
and imports ``ansible.module_utils.basic`` again (about 0.3 CPU-seconds a
task on a small machine, against some 0.02 s for Ansible's own per-task work).

When nothing would tell the two ways apart, the action plugin of each module
runs the module's own ``main()`` in the worker process Ansible has already
forked for the task: the same ``AnsibleModule`` code checks the options,
masks ``no_log`` values and formats the result, which goes through the same
JSON profile and the same result parsing as a module's output. Every module
is routed to the one action plugin ``hwcloud.meeting.meeting``
(``plugin_routing`` in meta/runtime.yml).

It runs as an ordinary module process instead (and ``-vvvv`` says why) when
the connection is not ``local``, the task uses ``become`` or ``async``,
``ansible_python_interpreter`` names another Python than the one running
Ansible, that Python cannot import ``requests``, the ansible-core version is
not one listed in DIRECT_EXECUTION_CORE_VERSIONS or lacks anything this uses,
or ``HWMEETING_DIRECT_EXECUTION=false`` is set in the controller's environment.

ansible-core's private names are looked up only when a task may run directly,
never when this file is imported, so a release that moved them still loads
the plugin and runs every task as a module process.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import os
import sys

from ansible import constants as C
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.plugins.action.normal import ActionModule as NormalAction
from ansible.release import __version__ as ANSIBLE_CORE_VERSION
from ansible.utils.display import Display

display = Display()

COLLECTION = 'hwcloud.meeting'
# The ansible-core release lines whose private internals (below) direct
# execution was written for and that the project's suites have run on. Any
# other version, older or newer, runs the module as a process: a newer
# ansible-core may move or change what this uses (2.21 did) without notice.
DIRECT_EXECUTION_CORE_VERSIONS = ('2.19',)
# Our modules declare no serialization profile: ansible-core gives them this one.
PROFILE = 'legacy'
SWITCH = 'HWMEETING_DIRECT_EXECUTION'


def core_line(version=None):
    """'2.19' of '2.19.14' (or of '2.19.0rc1'); of the running ansible-core by default."""
    return '.'.join(to_text(version or ANSIBLE_CORE_VERSION).split('.')[:2])


class _Core(object):
    """ansible-core's private names that direct execution uses, looked up
    only when a task may run directly (never when this file is imported)."""

    def __init__(self):
        from ansible.module_utils import basic, _internal
        from ansible.module_utils.common import warnings as module_warnings
        from ansible.module_utils.common.json import Direction, get_module_encoder
        from ansible.vars.clean import remove_internal_keys

        self.basic = basic
        self.internal = _internal
        self.module_warnings = module_warnings
        self.remove_internal_keys = remove_internal_keys
        self.encoder = get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)
        missing = [name for owner, name in (
            (basic, '_ANSIBLE_ARGS'), (basic, '_ANSIBLE_PROFILE'), (_internal, 'is_controller'),
            (module_warnings, '_global_warnings'), (module_warnings, '_global_deprecations'),
            (ActionBase, '_update_module_args'), (ActionBase, '_parse_returned_data'),
            (ActionBase, '_compute_environment_string'),
        ) if not hasattr(owner, name)]
        if missing:
            raise ImportError('missing %s' % ', '.join(missing))


class MeetingAction(NormalAction):
    """The action plugin of every hwcloud.meeting module: ansible-core's
    normal action (a module process), unless the module can run directly."""

    def run(self, tmp=None, task_vars=None):
        task_vars = task_vars or {}
        refusal = self._direct_execution_refusal(task_vars)
        if not refusal:
            # Anything missing or failing before the module runs means a
            # module process, never a failed task: nothing has been sent yet.
            try:
                core = _Core()
                payload, environment = self._prepare(core, task_vars)
            except Exception as error:  # pylint: disable=broad-exception-caught
                refusal = 'ansible-core %s lacks what direct execution uses (%s: %s)' % (
                    ANSIBLE_CORE_VERSION, type(error).__name__, to_text(error))
        if refusal:
            display.vvvv('%s runs as a module process: %s' % (self._task.action, refusal),
                         host=task_vars.get('inventory_hostname'))
            return super(MeetingAction, self).run(tmp, task_vars)
        display.vvvv('%s runs in the Ansible worker process (direct execution)' % self._task.action,
                     host=task_vars.get('inventory_hostname'))
        result = ActionBase.run(self, tmp, task_vars)  # the base checks of every action, without a module process
        result.update(self._execute_directly(core, payload, environment))
        return result

    # -- when ----------------------------------------------------------------

    def _direct_execution_refusal(self, task_vars):
        """Why the module must run as a process of its own, or None."""
        switch = os.environ.get(SWITCH, '')
        if switch.strip():
            try:
                if not boolean(switch, strict=True):
                    return '%s=%s' % (SWITCH, switch)
            except TypeError:
                display.warning('%s=%s is not a boolean (true or false); %s runs as a module process.'
                                % (SWITCH, switch, self._task.action))
                return '%s=%s is not a boolean' % (SWITCH, switch)
        if core_line() not in DIRECT_EXECUTION_CORE_VERSIONS:
            return 'direct execution is only used on ansible-core %s, and this is %s' % (
                ' and '.join(DIRECT_EXECUTION_CORE_VERSIONS), ANSIBLE_CORE_VERSION)
        if getattr(self._connection, 'transport', None) != 'local':
            return 'the connection is not local'
        if self._task.async_val:
            return 'the task is async'
        if self._play_context.become:
            return 'the task uses become'
        interpreter = self._interpreter(task_vars)
        if interpreter and not interpreter.startswith('auto') and interpreter != sys.executable:
            return 'ansible_python_interpreter is %s, not the Python running Ansible (%s)' % (
                interpreter, sys.executable)
        if importlib.util.find_spec('requests') is None:
            return 'the Python running Ansible (%s) has no requests' % sys.executable
        return None

    def _interpreter(self, task_vars):
        """The Python a module process would run with, as configured (or auto)."""
        value = task_vars.get('ansible_python_interpreter')
        if value is None:
            value = C.config.get_config_value('INTERPRETER_PYTHON', variables=task_vars)
        return to_text(self._templar.template(value)) if value else None

    # -- how -----------------------------------------------------------------

    def _module_name(self):
        """The module of the task: every module is routed to this one action
        plugin (meta/runtime.yml), so it is the task's, not the plugin's name."""
        action = getattr(self._task, 'resolved_action', None) or self._task.action
        return action.rsplit('.', 1)[-1]

    def _prepare(self, core, task_vars):
        """The module's arguments as a module process would get them, and the
        task's environment."""
        module_args = dict(self._task.args)
        self._update_module_args('%s.%s' % (COLLECTION, self._module_name()), module_args, task_vars)
        payload = json.dumps({'ANSIBLE_MODULE_ARGS': module_args}, cls=core.encoder).encode('utf-8')
        environment = {}
        self._compute_environment_string(environment)
        return payload, environment

    def _execute_directly(self, core, payload, environment):
        stdout = io.StringIO()
        # What a module process would write to its stderr (a library's
        # warning): kept from the worker's own stderr, which Ansible reports
        # as "errantly sent data directly to stderr", and shown at -vvvv.
        written = io.StringIO()
        stderr = ''
        with _as_module(core, payload, environment):
            try:
                module = importlib.import_module('ansible_collections.%s.plugins.modules.%s'
                                                 % (COLLECTION, self._module_name()))
                with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(written):
                    module.main()
            except SystemExit:
                pass
            except Exception as error:  # a bug of ours: in words, as a module process would fail
                stderr = '%s: %s' % (type(error).__name__, to_text(error))
        if written.getvalue().strip():
            display.vvvv('%s wrote to stderr: %s' % (self._task.action, written.getvalue().strip()))
        data = self._parse_returned_data({'rc': 0, 'stdout': stdout.getvalue(), 'stderr': stderr}, PROFILE)
        if not isinstance(data, dict):  # cannot happen on a listed version; the module has run, so say so
            return {'failed': True, 'msg': '%s ran, but ansible-core %s gave its result as %s; set %s=false and '
                                           'report this to hwcloud.meeting.'
                                           % (self._task.action, ANSIBLE_CORE_VERSION, type(data).__name__, SWITCH)}
        core.remove_internal_keys(data)
        return data


@contextlib.contextmanager
def _as_module(core, payload, environment):
    """What a module process would have: its arguments, the task's environment,
    module_utils in target mode, and no warning left from an earlier item."""
    basic, internal, module_warnings = core.basic, core.internal, core.module_warnings
    saved_environ = dict(os.environ)
    saved_module = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, internal.is_controller)
    registries = (module_warnings._global_warnings, module_warnings._global_deprecations)
    saved_registries = [dict(registry) for registry in registries]
    basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, internal.is_controller = payload, PROFILE, False
    for registry in registries:
        registry.clear()
    os.environ.update(dict((to_text(key), to_text(value)) for key, value in environment.items()))
    try:
        yield
    finally:
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, internal.is_controller = saved_module
        for registry, saved in zip(registries, saved_registries):
            registry.clear()
            registry.update(saved)
        os.environ.clear()
        os.environ.update(saved_environ)
