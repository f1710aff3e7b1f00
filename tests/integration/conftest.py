# Integration tests: real ansible-playbook runs against the simulator,
# started in this process on 127.0.0.1 and a free port.
import json
import os
import subprocess
import sys

import pytest
import yaml
from hwmeeting_sim import Simulator

HERE = os.path.dirname(os.path.abspath(__file__))
TARGETS = os.path.join(HERE, 'targets')
MEETINGS_FILE = os.path.join(HERE, 'meetings.yml')
BIN = os.path.dirname(sys.executable)
ROOT = os.path.dirname(os.path.dirname(HERE))
# The collection as `make collection` built and installed it.
COLLECTIONS = os.environ.get('ANSIBLE_COLLECTIONS_PATH') or os.path.join(ROOT, '.build', 'collections')


def fixture_secrets():
    """Every secret of meetings.yml: none may ever reach the output."""
    with open(MEETINGS_FILE) as handle:
        config = yaml.safe_load(handle)
    secrets = [app['app_key'] for app in config['apps']]
    secrets += [account['password'] for account in config['accounts']]
    for meeting in config['meetings']:
        secrets += [meeting[key] for key in ('host_password', 'guest_password') if meeting.get(key)]
    return secrets


@pytest.fixture(autouse=True)
def private_token_cache(tmp_path, monkeypatch):
    """Each test starts with an empty token cache of its own (ansible-playbook
    inherits it through ansible_env)."""
    directory = tmp_path / 'tokens'
    monkeypatch.setenv('HWMEETING_TOKEN_CACHE_DIR', str(directory))
    return directory


@pytest.fixture(autouse=True)
def direct_execution(monkeypatch):
    """Tests run the modules as shipped: inside Ansible's worker process
    (docs/direct_execution.md), whatever the developer's shell says."""
    monkeypatch.delenv('HWMEETING_DIRECT_EXECUTION', raising=False)


@pytest.fixture(params=['direct execution', 'module process'])
def both_ways(request, monkeypatch):
    """Run a test both ways a module can run: inside the worker, and as a
    module process of its own."""
    if request.param == 'module process':
        monkeypatch.setenv('HWMEETING_DIRECT_EXECUTION', 'false')
    return request.param


@pytest.fixture
def sim():
    with Simulator(meetings_file=MEETINGS_FILE) as simulator:
        yield simulator


class PlaybookRun(object):
    def __init__(self, completed):
        self.rc = completed.returncode
        self.out = completed.stdout + completed.stderr

    def __repr__(self):
        failures = [line[:3000] for line in self.out.splitlines()
                    if line.startswith(('fatal:', 'failed:', '[ERROR]', 'ERROR!')) or 'FAILED!' in line]
        return 'ansible-playbook exited %s; failures:\n%s\n--- end of output:\n%s' % (
            self.rc, '\n'.join(failures), self.out[-1500:])


def ansible_env(extra=None):
    env = dict(os.environ)
    env.update({
        'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
        'ANSIBLE_PYTHON_INTERPRETER': sys.executable,
        'ANSIBLE_LOCALHOST_WARNING': 'false',
        'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'false',
        'ANSIBLE_RETRY_FILES_ENABLED': 'false',
        'ANSIBLE_NOCOLOR': '1',
        'ANSIBLE_FORCE_COLOR': '0',
        'ANSIBLE_DEPRECATION_WARNINGS': 'false',
    })
    # A test sets what it needs; nothing leaks in from the developer's shell
    # (but the test's own token cache directory and the way modules run, from
    # the fixtures above).
    for name in list(env):
        if name.startswith('HWMEETING_') and name not in ('HWMEETING_TOKEN_CACHE_DIR', 'HWMEETING_DIRECT_EXECUTION'):
            del env[name]
    env.update(extra or {})
    return env


def run_playbook(playbook, sim, *args, env=None):
    """Run ``playbook`` (a path, or a target name under targets/) with
    ``sim_url`` set, and return its exit code and output."""
    if os.path.sep not in playbook:
        playbook = os.path.join(TARGETS, playbook + '.yml')
    command = [os.path.join(BIN, 'ansible-playbook'), playbook, '-e', 'sim_url=%s' % sim.url]
    command.extend(args)
    completed = subprocess.run(command, cwd=HERE, env=ansible_env(env), capture_output=True, text=True, check=False,
                               timeout=600)
    return PlaybookRun(completed)


def run_task(sim, directory, module, arguments, *args, task=None, **options):
    """Run one task of ``hwcloud.meeting.<module>`` with ansible-playbook
    (failures ignored) and return ``(run, result)``: the playbook run and the
    task's registered result, as the module returned it. ``task``: more
    keywords of the task (``check_mode: true``)."""
    directory = str(directory)
    result_file = os.path.join(directory, 'result.json')
    if os.path.exists(result_file):
        os.remove(result_file)
    play = [{'name': 'One task', 'hosts': 'localhost', 'gather_facts': False, 'tasks': [
        dict({'name': 'The task',
              'hwcloud.meeting.' + module: dict(arguments, api_url=arguments.get('api_url', '{{ sim_url }}')),
              'register': 'result', 'ignore_errors': True}, **(task or {})),
        {'name': 'Keep the result', 'ansible.builtin.copy': {'content': '{{ result | to_json }}', 'dest': result_file}},
    ]}]
    path = os.path.join(directory, 'task_%s.yml' % module)
    with open(path, 'w') as handle:
        yaml.safe_dump(play, handle)
    run = run_playbook(path, sim, *args, **options)
    assert run.rc == 0, run
    with open(result_file) as handle:
        return run, json.load(handle)


def assert_no_secret(run, sim):
    for secret in fixture_secrets() + list(sim.issued_tokens()):
        assert secret not in run.out, 'a secret reached the output'


OUTPUTS = os.path.join(ROOT, '.build', 'outputs')


def keep_output(source, name, text):
    """Keep what a run of the product printed, for tests/docs (the outputs
    README.md and docs/ quote must be in it): .build/outputs/<source>/<name>.txt."""
    directory = os.path.join(OUTPUTS, source)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, '%s.txt' % name), 'w') as handle:
        handle.write(text)


def run_runbook(name, sim, inventory, *args, keep=None):
    """Run the runbook playbooks/<name>.yml on ``inventory``: no traceback and
    no secret in its output; ``keep``: keep the output (source 'summary',
    which docs/runbooks.md quotes)."""
    run = run_playbook(os.path.join(ROOT, 'playbooks', name + '.yml'), sim, '-i', inventory, *args)
    if keep:
        keep_output('summary', keep, run.out)
    assert 'Traceback' not in run.out
    assert_no_secret(run, sim)
    return run


def summary_lines(run, task='Say what needs a person'):
    """The lines of a runbook's summary (the msg of its debug task ``task``)."""
    block = run.out.split('TASK [%s]' % task, 1)[1]
    block = block[block.index('{'):block.index('\n}\n') + 2]
    return json.loads(block)['msg']
