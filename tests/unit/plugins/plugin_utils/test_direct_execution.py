# Unit tests of direct execution: when a task may run inside the Ansible
# worker, and that running there leaves the worker as it found it.
# (tests/integration/test_direct_execution.py runs both ways for real.)
import importlib
import importlib.util
import os
import sys

import pytest
from ansible.module_utils import _internal, basic
from ansible.module_utils.common import warnings as module_warnings


def _import_as_a_test():
    """Importing controller code (the action plugin) marks the whole process
    as Ansible's controller, and module_utils then send warnings to the
    display instead of the result. The modules' unit tests share this
    process, so that is put back as it was."""
    saved = (_internal.is_controller, _internal.import_controller_module, _internal.get_controller_serialize_map)
    try:
        return importlib.import_module('ansible_collections.hwcloud.meeting.plugins.plugin_utils.direct_execution')
    finally:
        _internal.is_controller, _internal.import_controller_module, _internal.get_controller_serialize_map = saved


direct_execution = _import_as_a_test()
MeetingAction = direct_execution.MeetingAction
_as_module = direct_execution._as_module


class Fake(object):
    def __init__(self, **attributes):
        self.__dict__.update(attributes)


class Templar(object):
    def template(self, value):
        return value


def action(transport='local', async_val=0, become=False):
    plugin = MeetingAction.__new__(MeetingAction)
    plugin._connection = Fake(transport=transport)
    plugin._task = Fake(async_val=async_val, action='hwcloud.meeting.meeting_record')
    plugin._play_context = Fake(become=become)
    plugin._templar = Templar()
    return plugin


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    monkeypatch.delenv('HWMEETING_DIRECT_EXECUTION', raising=False)
    monkeypatch.delenv('ANSIBLE_PYTHON_INTERPRETER', raising=False)


@pytest.fixture
def warnings_shown(monkeypatch):
    shown = []
    monkeypatch.setattr(direct_execution.display, 'warning', shown.append)
    return shown


@pytest.mark.parametrize('task_vars', [
    {},
    {'ansible_python_interpreter': sys.executable},
    {'ansible_python_interpreter': 'auto_silent'},
], ids=['interpreter unset', 'the Python running Ansible', 'auto'])
def test_local_tasks_run_in_the_worker(task_vars):
    assert action()._direct_execution_refusal(task_vars) is None


@pytest.mark.parametrize('setting', ['true', 'yes', '1', '', '  '])
def test_switch_on_or_unset_keeps_direct_execution(monkeypatch, setting):
    monkeypatch.setenv('HWMEETING_DIRECT_EXECUTION', setting)
    assert action()._direct_execution_refusal({}) is None


@pytest.mark.parametrize('plugin, task_vars, reason', [
    (action(transport='ssh'), {}, 'the connection is not local'),
    (action(async_val=60), {}, 'the task is async'),
    (action(become=True), {}, 'the task uses become'),
    (action(), {'ansible_python_interpreter': '/opt/other/bin/python3'},
     'ansible_python_interpreter is /opt/other/bin/python3, not the Python running Ansible'),
], ids=['ssh', 'async', 'become', 'another Python'])
def test_module_process_when_it_could_make_a_difference(plugin, task_vars, reason):
    assert reason in plugin._direct_execution_refusal(task_vars)


def test_configured_interpreter_counts_when_no_variable_sets_one(monkeypatch):
    monkeypatch.setenv('ANSIBLE_PYTHON_INTERPRETER', '/opt/other/bin/python3')
    assert 'ansible_python_interpreter is /opt/other/bin/python3' in action()._direct_execution_refusal({})


@pytest.mark.parametrize('setting', ['false', 'no', '0', 'off'])
def test_switch_off(monkeypatch, warnings_shown, setting):
    monkeypatch.setenv('HWMEETING_DIRECT_EXECUTION', setting)
    assert action()._direct_execution_refusal({}) == 'HWMEETING_DIRECT_EXECUTION=%s' % setting
    assert warnings_shown == []


def test_a_switch_that_is_not_a_boolean_is_warned_about(monkeypatch, warnings_shown):
    monkeypatch.setenv('HWMEETING_DIRECT_EXECUTION', 'maybe')
    assert 'is not a boolean' in action()._direct_execution_refusal({})
    assert len(warnings_shown) == 1 and 'HWMEETING_DIRECT_EXECUTION=maybe' in warnings_shown[0]


def test_no_requests_in_the_ansible_python(monkeypatch):
    real = direct_execution.importlib.util.find_spec
    monkeypatch.setattr(direct_execution.importlib.util, 'find_spec',
                        lambda name, *args: None if name == 'requests' else real(name, *args))
    assert 'has no requests' in action()._direct_execution_refusal({})


@pytest.mark.parametrize('version', ['2.16.19', '2.18.12', '2.20.0', '2.21.5', '3.0.0'])
def test_an_unlisted_ansible_core_version_runs_as_a_module_process(monkeypatch, version):
    monkeypatch.setattr(direct_execution, 'ANSIBLE_CORE_VERSION', version)
    assert direct_execution.core_line(version) not in direct_execution.DIRECT_EXECUTION_CORE_VERSIONS
    assert 'this is %s' % version in action()._direct_execution_refusal({})


def test_the_listed_versions_are_the_tested_one():
    # make test runs the suites on the ansible-core of tests/requirements.txt: the
    # version it installs must be one direct execution is used on.
    assert direct_execution.core_line() in direct_execution.DIRECT_EXECUTION_CORE_VERSIONS


class ProcessPath(object):
    """Stands in for ansible-core's normal action (the module process)."""

    def __init__(self, monkeypatch, module):
        self.calls = []
        self.result = {'changed': False, 'recording': True, 'state_verified': True}
        monkeypatch.setattr(module.NormalAction, 'run', self._run)

    def _run(self, plugin, tmp=None, task_vars=None):
        self.calls.append(task_vars)
        return dict(self.result)


def runnable_action(module):
    plugin = module.MeetingAction.__new__(module.MeetingAction)
    plugin._connection = Fake(transport='local')
    plugin._task = Fake(async_val=0, action='hwcloud.meeting.meeting_record', args={'state': 'started'})
    plugin._play_context = Fake(become=False)
    plugin._templar = Templar()
    plugin._load_name = 'hwcloud.meeting.meeting_record'
    return plugin


def shown_vvvv(monkeypatch, module):
    lines = []
    monkeypatch.setattr(module.display, 'vvvv', lambda msg, host=None: lines.append(msg))
    return lines


def test_an_unlisted_version_runs_the_task_as_a_process(monkeypatch):
    monkeypatch.setattr(direct_execution, 'ANSIBLE_CORE_VERSION', '2.20.3')
    process = ProcessPath(monkeypatch, direct_execution)
    lines = shown_vvvv(monkeypatch, direct_execution)
    monkeypatch.setattr(direct_execution.MeetingAction, '_execute_directly',
                        lambda *args: pytest.fail('ran directly on an unlisted version'))
    result = runnable_action(direct_execution).run(task_vars={'inventory_hostname': 'keynote'})
    assert result == process.result
    assert len(process.calls) == 1
    assert lines == ['hwcloud.meeting.meeting_record runs as a module process: direct execution is only '
                     'used on ansible-core %s, and this is 2.20.3'
                     % ' and '.join(direct_execution.DIRECT_EXECUTION_CORE_VERSIONS)]


def fresh_copy_of_the_plugin_utils():
    """Import direct_execution anew (under another name), as a worker of an
    ansible-core with another layout would."""
    spec = importlib.util.spec_from_file_location('hwmeeting_direct_execution_copy', direct_execution.__file__)
    module = importlib.util.module_from_spec(spec)
    saved = (_internal.is_controller, _internal.import_controller_module, _internal.get_controller_serialize_map)
    try:
        spec.loader.exec_module(module)
    finally:
        _internal.is_controller, _internal.import_controller_module, _internal.get_controller_serialize_map = saved
    return module


@pytest.fixture
def layout_of_ansible_core_2_21(monkeypatch):
    """What ansible-core 2.21 looks like to the plugin: remove_internal_keys is
    gone (2.21 has only strip_internal_keys), the result parser returns an
    object that is not a dict, and the version is 2.21.5."""
    import ansible.release
    import ansible.vars.clean
    from ansible.plugins.action import ActionBase

    class UnifiedTaskResult(object):
        pass

    monkeypatch.delattr(ansible.vars.clean, 'remove_internal_keys')
    monkeypatch.setattr(ActionBase, '_parse_returned_data', lambda self, *args, **kwargs: UnifiedTaskResult())
    monkeypatch.setattr(ansible.release, '__version__', '2.21.5')


def test_the_layout_of_ansible_core_2_21_runs_the_task_as_a_process(monkeypatch, layout_of_ansible_core_2_21):
    module = fresh_copy_of_the_plugin_utils()  # importing it must not fail
    process = ProcessPath(monkeypatch, module)
    lines = shown_vvvv(monkeypatch, module)
    result = runnable_action(module).run(task_vars={})
    assert result == process.result
    assert len(process.calls) == 1
    assert len(lines) == 1 and 'runs as a module process' in lines[0] and '2.21.5' in lines[0]


def test_a_listed_version_missing_a_private_name_runs_the_task_as_a_process(monkeypatch):
    import ansible.vars.clean
    monkeypatch.delattr(ansible.vars.clean, 'remove_internal_keys')
    process = ProcessPath(monkeypatch, direct_execution)
    lines = shown_vvvv(monkeypatch, direct_execution)
    monkeypatch.setattr(direct_execution.MeetingAction, '_execute_directly',
                        lambda *args: pytest.fail('ran directly without remove_internal_keys'))
    result = runnable_action(direct_execution).run(task_vars={})
    assert result == process.result
    assert len(lines) == 1
    assert lines[0].startswith('hwcloud.meeting.meeting_record runs as a module process: ansible-core ')
    assert 'lacks what direct execution uses (ImportError: ' in lines[0] and 'remove_internal_keys' in lines[0]


def test_a_failure_while_setting_up_runs_the_task_as_a_process(monkeypatch):
    def broken_update(self, *args):
        raise AttributeError('_update_module_args changed')
    from ansible.plugins.action import ActionBase
    monkeypatch.setattr(ActionBase, '_update_module_args', broken_update)
    process = ProcessPath(monkeypatch, direct_execution)
    lines = shown_vvvv(monkeypatch, direct_execution)
    result = runnable_action(direct_execution).run(task_vars={})
    assert result == process.result
    assert 'lacks what direct execution uses (AttributeError: _update_module_args changed)' in lines[0]


def _private(dotted):
    return any(part.startswith('_') and not part.startswith('__') for part in dotted.split('.'))


def test_nothing_private_is_imported_with_the_plugin():
    import ast
    with open(direct_execution.__file__) as source:
        tree = ast.parse(source.read())
    imported = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            imported.extend('%s.%s' % (node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            imported.extend(alias.name for alias in node.names)
    assert 'ansible.plugins.action.normal.ActionModule' in imported
    assert [name for name in imported if _private(name) or name.startswith('ansible.vars.clean')] == []


def test_running_as_a_module_leaves_the_worker_as_it_was(monkeypatch):
    monkeypatch.delenv('HWMEETING_TEST_VARIABLE', raising=False)
    before = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, _internal.is_controller,
              dict(os.environ), dict(module_warnings._global_warnings))
    with _as_module(direct_execution._Core(), b'{"ANSIBLE_MODULE_ARGS": {}}', {'HWMEETING_TEST_VARIABLE': 'set'}):
        assert basic._ANSIBLE_ARGS == b'{"ANSIBLE_MODULE_ARGS": {}}'
        assert basic._ANSIBLE_PROFILE == direct_execution.PROFILE
        assert _internal.is_controller is False
        assert os.environ['HWMEETING_TEST_VARIABLE'] == 'set'
        module_warnings.warn('a warning of this item')
        assert len(module_warnings.get_warnings()) == 1
    after = (basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE, _internal.is_controller,
             dict(os.environ), dict(module_warnings._global_warnings))
    assert after == before


def test_state_is_restored_when_the_module_raises():
    before = (basic._ANSIBLE_ARGS, _internal.is_controller, dict(os.environ))
    with pytest.raises(RuntimeError):
        with _as_module(direct_execution._Core(), b'{}', {'HWMEETING_TEST_VARIABLE': 'set'}):
            raise RuntimeError('a bug')
    assert (basic._ANSIBLE_ARGS, _internal.is_controller, dict(os.environ)) == before


@pytest.fixture
def controller_state_restored():
    """The controller objects this test builds mark the process as the
    controller (see _import_as_a_test): put that back afterwards."""
    saved = (_internal.is_controller, _internal.import_controller_module, _internal.get_controller_serialize_map)
    yield
    _internal.is_controller, _internal.import_controller_module, _internal.get_controller_serialize_map = saved


def test_a_module_that_raises_in_the_worker_fails_the_task_with_words(monkeypatch, controller_state_restored):
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook.play_context import PlayContext
    from ansible.playbook.task import Task
    from ansible.plugins.loader import connection_loader
    from ansible.template import Templar

    from ansible_collections.hwcloud.meeting.plugins.action.meeting import ActionModule
    from ansible_collections.hwcloud.meeting.plugins.modules import meeting_info

    def a_bug():
        raise RuntimeError('a bug of the module, 7d3f')
    monkeypatch.setattr(meeting_info, 'main', a_bug)

    loader = DataLoader()
    task = Task()
    task.action = 'hwcloud.meeting.meeting_info'
    # 127.0.0.1:9 is closed: should the module run as a process of its own
    # after all, it fails otherwise, and the words below are missing.
    task.args = {'conference_id': '914044873', 'host_password': 'host-pw-direct-1', 'api_url': 'http://127.0.0.1:9'}
    play_context = PlayContext()
    play_context.connection = 'local'
    connection = connection_loader.get('local', play_context, '/dev/null')
    plugin = ActionModule(task=task, connection=connection, play_context=play_context, loader=loader,
                          templar=Templar(loader=loader), shared_loader_obj=None)
    plugin._load_name = ActionModule.__module__  # as ansible-core's plugin loader names it

    result = plugin.run(task_vars={})  # must not raise: the worker reports a failed task

    assert result['failed'] is True
    words = ' '.join(str(result.get(key, '')) for key in ('msg', 'module_stderr'))
    assert 'RuntimeError' in words and 'a bug of the module, 7d3f' in words, result
    assert 'host-pw-direct-1' not in str(result)
