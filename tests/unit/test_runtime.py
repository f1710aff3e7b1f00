# meta/runtime.yml: every module is in the action group and routed to the one
# action plugin that runs it in the worker process (docs/direct_execution.md);
# a module left out would lose module_defaults or direct execution silently.
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def modules():
    return sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, 'plugins', 'modules'))
                  if name.endswith('.py') and not name.startswith('_'))


def runtime():
    with open(os.path.join(ROOT, 'meta', 'runtime.yml')) as handle:
        return yaml.safe_load(handle)


def test_there_are_modules():
    assert 'meeting_record' in modules()


def test_every_module_is_in_the_action_group():
    assert sorted(runtime()['action_groups']['meeting']) == modules()


def test_every_module_is_routed_to_the_one_action_plugin():
    routing = runtime()['plugin_routing']['modules']
    assert sorted(routing) == modules()
    for module in modules():
        assert routing[module] == {'action_plugin': 'hwcloud.meeting.meeting'}, module


def test_the_action_plugin_is_the_only_one_and_runs_modules_directly():
    assert os.listdir(os.path.join(ROOT, 'plugins', 'action')) in (['meeting.py'], ['meeting.py', '__pycache__'])
    with open(os.path.join(ROOT, 'plugins', 'action', 'meeting.py')) as handle:
        assert 'class ActionModule(MeetingAction)' in handle.read()
