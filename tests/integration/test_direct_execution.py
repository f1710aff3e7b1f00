# Direct execution: with connection local the modules run inside the Ansible
# worker process (plugins/plugin_utils/direct_execution.py), and as a module
# process of their own whenever that could make a difference. These tests
# check which way a task took (from the -vvvv line the action plugin writes),
# that both ways give the same result, and that nothing of one task or loop
# item (environment, warnings) leaks into the next.
import os
import sys

import yaml

from .conftest import keep_output, run_playbook, run_task

KEYNOTE = '900000001'
CONTROL = dict(conference_id=KEYNOTE, host_password='it-host-pw-900001')
DIRECT = 'hwcloud.meeting.meeting_record runs in the Ansible worker process'
PROCESS = 'hwcloud.meeting.meeting_record runs as a module process: '
MODULE_FILE = 'meeting_record.py'


def used_module_file(run):
    return any(line.startswith('Using module file') and line.endswith(MODULE_FILE) for line in run.out.splitlines())


def record(sim, tmp_path, *args, **options):
    run, result = run_task(sim, tmp_path, 'meeting_record', dict(CONTROL, state='started'), '-vvvv', *args, **options)
    assert not result.get('failed'), result
    assert result['changed'] is True
    assert result['recording'] is True
    assert sim.meeting(KEYNOTE)['recording'] is True
    return run, result


def test_runs_in_the_worker_by_default(sim, tmp_path):
    run, _result = record(sim, tmp_path)
    keep_output('direct_execution', 'worker', run.out)  # docs/direct_execution.md quotes it (tests/docs)
    assert DIRECT in run.out
    assert PROCESS not in run.out
    assert not used_module_file(run)


def test_switched_off_runs_as_a_module_process(sim, tmp_path):
    run, _result = record(sim, tmp_path, env={'HWMEETING_DIRECT_EXECUTION': 'false'})
    assert PROCESS + 'HWMEETING_DIRECT_EXECUTION=false' in run.out
    assert DIRECT not in run.out
    assert used_module_file(run)


def test_a_switch_that_is_not_a_boolean_is_said_and_runs_as_a_module_process(sim, tmp_path):
    run, _result = record(sim, tmp_path, env={'HWMEETING_DIRECT_EXECUTION': 'maybe'})
    assert 'HWMEETING_DIRECT_EXECUTION=maybe is not a boolean' in run.out
    assert used_module_file(run)


def test_another_python_runs_as_a_module_process(sim, tmp_path):
    # another path to the same Python (with its venv): a wrapper, not a
    # symlink, which a venv's Python does not follow to its packages
    python = tmp_path / 'python3'
    python.write_text('#!/bin/sh\nexec %s "$@"\n' % sys.executable)
    python.chmod(0o755)
    run, _result = record(sim, tmp_path, '-e', 'ansible_python_interpreter=%s' % python)
    assert PROCESS + 'ansible_python_interpreter is %s' % python in run.out, [
        line for line in run.out.splitlines() if 'runs ' in line]
    assert used_module_file(run)


def test_both_ways_give_the_same_result(sim, tmp_path):
    results = {}
    for way, env in (('direct', {}), ('process', {'HWMEETING_DIRECT_EXECUTION': 'false'})):
        sim.set_meeting(KEYNOTE, recording=False)
        _run, result = record(sim, tmp_path, env=env)
        results[way] = result
    assert results['direct'] == results['process']


def write_play(tmp_path, tasks):
    path = str(tmp_path / 'play.yml')
    with open(path, 'w') as handle:
        yaml.safe_dump([{'name': 'Play', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}], handle)
    return path


def test_async_runs_as_a_module_process(sim, tmp_path):
    play = write_play(tmp_path, [
        {'name': 'Record in the background', 'async': 60, 'poll': 1, 'register': 'result',
         'hwcloud.meeting.meeting_record': dict(CONTROL, state='started', api_url='{{ sim_url }}')},
        {'ansible.builtin.assert': {'that': ['result is changed', 'result.recording']}},
    ])
    # async_wrapper expands the async dir (~/.ansible_async) with the
    # environment's HOME, async_status with the user's home directory: they
    # differ where HOME is not the user's (a CI run with an empty HOME), so
    # the test gives both the same absolute directory of its own
    run = run_playbook(play, sim, '-vvvv', env={'ANSIBLE_ASYNC_DIR': str(tmp_path / 'async')})
    keep_output('direct_execution', 'async', run.out)  # docs/direct_execution.md quotes it (tests/docs)
    assert run.rc == 0, run
    assert PROCESS + 'the task is async' in run.out
    assert sim.meeting(KEYNOTE)['recording'] is True


def test_task_environment_reaches_the_module_and_stays_with_its_item(sim, tmp_path):
    """The `environment` keyword feeds the HWMEETING_* fallbacks as it does a
    module process; a loop item's environment does not carry over."""
    play = write_play(tmp_path, [
        {'name': 'Two items, the first with certificate checks off from the environment',
         'hwcloud.meeting.meeting_info': dict(CONTROL, api_url='{{ sim_url }}'),
         'environment': {'HWMEETING_VALIDATE_CERTS': "{{ 'false' if item == 1 else '' }}"},
         'loop': [1, 2], 'register': 'info'},
        {'ansible.builtin.copy': {'content': '{{ info | to_json }}', 'dest': str(tmp_path / 'info.json')}},
    ])
    run = run_playbook(play, sim, '-vvvv')
    assert run.rc == 0, run
    assert DIRECT.replace('meeting_record', 'meeting_info') in run.out
    with open(str(tmp_path / 'info.json')) as handle:
        first, second = yaml.safe_load(handle)['results']
    assert first['invocation']['module_args']['validate_certs'] is False
    assert 'validate_certs is false: the certificate of %s is not checked' % sim.url in run.out
    assert second['invocation']['module_args']['validate_certs'] is True
    # (A warning of one item cannot reach the next: the unit tests of
    # direct_execution check that; here the display would merge the two.)


def test_an_ansible_core_that_moved_its_internals_runs_the_task_as_a_module_process(sim, tmp_path):
    """ansible-core 2.21 has no ansible.vars.clean.remove_internal_keys. A
    worker whose ansible-core lacks it (removed here after ansible-core's own
    action base has imported it, as 2.21 looks to our plugin) still runs
    every task, as a module process, with the same result."""
    shim = tmp_path / 'shim'
    shim.mkdir()
    (shim / 'sitecustomize.py').write_text(
        'import ansible.plugins.action  # ansible-core keeps its own reference\n'
        'import ansible.vars.clean\n'
        'del ansible.vars.clean.remove_internal_keys\n')
    path = '%s%s%s' % (shim, os.pathsep, os.environ.get('PYTHONPATH', ''))
    run, result = record(sim, tmp_path, env={'PYTHONPATH': path})
    assert PROCESS + 'ansible-core ' in run.out and 'remove_internal_keys' in run.out, [
        line for line in run.out.splitlines() if 'runs ' in line]
    assert DIRECT not in run.out
    assert used_module_file(run)
    assert result['state_verified'] is True


def test_every_module_runs_in_the_worker(sim, tmp_path):
    # every module is routed to the one action plugin (meta/runtime.yml): one
    # left out would silently run as a module process
    modules = sorted(name[:-3] for name in os.listdir(os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'plugins', 'modules'))
        if name.startswith('meeting_') and name.endswith('.py'))
    assert modules == ['meeting_activate', 'meeting_broadcast', 'meeting_check', 'meeting_info', 'meeting_live',
                       'meeting_record']
    sim.set_meeting(CONTROL['conference_id'], owner='it-user')  # the preflight's login may read the details
    arguments = {'meeting_activate': dict(CONTROL, app_id='it-app-id', app_key='it-app-key-4f9c2a81'),
                 'meeting_check': dict(CONTROL, app_id='it-app-id', app_key='it-app-key-4f9c2a81', user_id='it-user'),
                 'meeting_broadcast': dict(CONTROL, state='absent'), 'meeting_info': CONTROL,
                 'meeting_live': dict(CONTROL, state='stopped'), 'meeting_record': dict(CONTROL, state='stopped')}
    for module in modules:
        run, result = run_task(sim, tmp_path, module, arguments[module], '-vvvv')
        assert not result.get('failed'), result
        assert 'hwcloud.meeting.%s runs in the Ansible worker process' % module in run.out, module
        assert not any(line.startswith('Using module file') and line.endswith('/%s.py' % module)
                       for line in run.out.splitlines()), module
