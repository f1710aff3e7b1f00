# The AWX way, proven: ansible-runner (the engine AWX and Automation Platform
# run every job with) runs the project playbook of docs/awx with a private
# data directory laid out as AWX lays it out:
#
#   env/envvars    rendered from docs/awx/credential_type.yml's injectors with
#                  a credential's inputs, by AWX's rules (a field without a
#                  value is left out of the template variables, a boolean
#                  without a value is false, file templates are written to
#                  files of the job and tower.filename points at them)
#   env/extravars  the survey answers of docs/awx/job_template_event_start.yml
#   inventory/     the hosts of an inventory sync: ansible-inventory over
#                  docs/awx/project/meetings.hwcloud_meeting.yml with the same
#                  credential, as AWX stores them (plain JSON, served by a script)
#   project/       docs/awx/project's playbooks
#
# Every file is read from docs/awx, not copied, so the docs cannot drift from
# what is proven. The simulator serves HTTPS with its own CA, which reaches
# the job through the credential's CA field.
import glob
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading

import ansible_runner
import jinja2.sandbox
import pytest
import yaml
from hwmeeting_sim import Simulator

from .conftest import COLLECTIONS, ROOT, ansible_env

AWX = os.path.join(ROOT, 'docs', 'awx')
PROJECT = os.path.join(AWX, 'project')
SOURCE = os.path.join(PROJECT, 'meetings.hwcloud_meeting.yml')

APP = dict(app_id='awx-app', app_key='awx-app-key-2d8e41', user_id='awx-user')
KEYNOTE, WEBINAR, BOARD, SYNC, OTHER = '810000001', '810000002', '810000003', '810000004', '810000005'
SPEAKER = 'pid-awx-speaker'


def awx_meeting(meeting_id, subject, start, **extra):
    participants = [{'pid': 'pid-%s-host' % meeting_id, 'name': 'Host', 'state': 0},
                    {'pid': SPEAKER if meeting_id == KEYNOTE else 'pid-%s-guest' % meeting_id,
                     'name': 'Keynote Speaker' if meeting_id == KEYNOTE else 'Guest', 'state': 0}]
    return dict(dict(id=meeting_id, subject=subject, host_password='awx-host-pw-%s' % meeting_id[-2:],
                     guest_password='awx-guest-pw-%s' % meeting_id[-2:], owner='awx-user', start_time=start,
                     participants=participants), **extra)


CONFIG = {
    'apps': [dict(APP)],
    'meetings': [
        awx_meeting(KEYNOTE, 'Product Keynote', 'now+30m'),
        awx_meeting(WEBINAR, 'Customer Webinar', 'now+1h'),
        awx_meeting(BOARD, 'Board Meeting', 'now+2h'),
        awx_meeting(SYNC, 'Weekly Sync', 'now+3h'),
        awx_meeting(OTHER, 'Next week', 'now+7d'),      # outside the source's 12 hours
    ],
}
EVENT = [KEYNOTE, WEBINAR, BOARD, SYNC]
VAULT_PASSWORD = 'awx-vault-pw-5c0b'
SECRETS = [APP['app_key'], VAULT_PASSWORD] + \
    [meeting[key] for meeting in CONFIG['meetings'] for key in ('host_password', 'guest_password')]


@pytest.fixture
def awx_sim():
    with Simulator(config=CONFIG, tls=True) as simulator:
        yield simulator


def load(name):
    with open(os.path.join(AWX, name)) as handle:
        return yaml.safe_load(handle)


# --- what AWX does before a job -------------------------------------------------------

class _Filenames(dict):
    def __getattr__(self, name):
        return self[name]


def render_injectors(credential_inputs, private_data_dir):
    """The job's environment from the credential type's injectors, by AWX's
    rules (awx/main/models/credential: CredentialType.inject_credential)."""
    credential_type = load('credential_type.yml')
    fields = credential_type['inputs']['fields']
    known = set(field['id'] for field in fields)
    assert set(credential_inputs) <= known, 'the credential has fields the type lacks'
    namespace = dict((key, value) for key, value in credential_inputs.items() if value not in (None, ''))
    for field in fields:
        if field['type'] == 'boolean' and field['id'] not in namespace:
            namespace[field['id']] = False
    filenames = _Filenames()
    namespace['tower'] = namespace['awx'] = _Filenames(filename=filenames)
    sandbox = jinja2.sandbox.ImmutableSandboxedEnvironment()
    env_dir = os.path.join(private_data_dir, 'env')
    os.makedirs(env_dir, exist_ok=True)
    for label, template in credential_type['injectors'].get('file', {}).items():
        handle, path = tempfile.mkstemp(dir=env_dir)
        with os.fdopen(handle, 'w') as stream:
            stream.write(sandbox.from_string(template).render(**namespace))
        os.chmod(path, stat.S_IRUSR)
        filenames[label.split('.', 1)[1]] = path
    return dict((name, sandbox.from_string(template).render(**namespace))
                for name, template in credential_type['injectors']['env'].items())


def survey_extravars(answers):
    """Extra variables from the survey: each answer given, else the
    question's default; a blank optional question is left out (recent AWX)."""
    template = load('job_template_event_start.yml')
    extravars = {}
    for question in template['survey_spec']['spec']:
        variable = question['variable']
        if variable in answers:
            value = answers[variable]
        elif question.get('default') not in (None, ''):
            value = question['default']
        else:
            assert not question.get('required'), 'a required question without an answer'
            continue
        if question['type'] == 'multiplechoice':
            assert value in question['choices'], (variable, value)
        extravars[variable] = value
    return extravars


def plain(value):
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return dict((key, plain(item)) for key, item in value.items())
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def inventory_sync(env, work):
    """The inventory update: ansible-inventory over the source file with the
    credential's environment; the hosts as AWX keeps them."""
    completed = subprocess.run([os.path.join(os.path.dirname(sys.executable), 'ansible-inventory'),
                                '-i', SOURCE, '--list', '--export'],
                               env=ansible_env(dict(env, ANSIBLE_INVENTORY_UNPARSED_FAILED='true')),
                               capture_output=True, text=True, check=False, timeout=300, cwd=work)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return plain(json.loads(completed.stdout)), completed.stdout + completed.stderr


INVENTORY_SCRIPT = '''#!%s
import json, sys
DATA = json.loads(%r)
if '--host' in sys.argv:
    print(json.dumps(DATA['_meta']['hostvars'].get(sys.argv[-1], {})))
else:
    print(json.dumps(DATA))
'''


def private_data_dir(base, name, env, extravars, inventory, extra_files=()):
    """A private data directory as AWX writes it for a job."""
    directory = os.path.join(str(base), name)
    os.makedirs(os.path.join(directory, 'env'))
    os.makedirs(os.path.join(directory, 'inventory'))
    shutil.copytree(PROJECT, os.path.join(directory, 'project'))
    for source, target in extra_files:
        shutil.copy(source, os.path.join(directory, 'project', target))
    job_env = dict(render_injectors(env, directory))
    # What the execution environment brings: the collection, and a fresh
    # home (so a fresh token cache) for every job.
    job_env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_NOCOLOR='1',
                   HWMEETING_TOKEN_CACHE_DIR=os.path.join(directory, 'home', 'tokens'))
    with open(os.path.join(directory, 'env', 'envvars'), 'w') as handle:
        yaml.safe_dump(job_env, handle)
    with open(os.path.join(directory, 'env', 'extravars'), 'w') as handle:
        yaml.safe_dump(extravars, handle)
    script = os.path.join(directory, 'inventory', 'hosts')
    with open(script, 'w') as handle:
        handle.write(INVENTORY_SCRIPT % (sys.executable, json.dumps(inventory)))
    os.chmod(script, 0o700)
    return directory, job_env


def run_job(directory, playbook='event_start.yml', **options):
    runner = ansible_runner.run(private_data_dir=directory, playbook=playbook, quiet=True, **options)
    return runner


def job_output(runner):
    """The job's stdout and its event artifacts: what AWX shows and keeps.
    (Not the runner's private files, such as artifacts/*/command, which
    holds the environment, like AWX's private data directory.)"""
    artifacts = runner.config.artifact_dir
    texts = [open(os.path.join(artifacts, 'stdout')).read()]
    for path in sorted(glob.glob(os.path.join(artifacts, 'job_events', '*.json'))):
        with open(path) as handle:
            texts.append(handle.read())
    return '\n'.join(texts)


def assert_no_secret(text, sim):
    for secret in SECRETS + list(sim.issued_tokens()):
        assert secret not in text, 'a secret reached the job output'


def credential(sim):
    with open(sim.ca_path) as handle:
        ca_bundle = handle.read()
    return dict(api_url=sim.url, ca_bundle=ca_bundle, **APP)


def served(sim, path):
    return [call for call in sim.calls if call['path'] == path]


DETAILS = '/v1/mmc/management/conferences/confDetail'


def event_started(sim, meeting_ids):
    for meeting_id in meeting_ids:
        meeting = sim.meeting(meeting_id)
        assert (meeting['state'], meeting['recording'], meeting['live']) == ('Created', True, True), meeting_id
    keynote = sim.meeting(KEYNOTE)
    assert (keynote['mode'], keynote['broadcast_pid']) == ('BROADCAST', SPEAKER)


# --- the jobs ---------------------------------------------------------------------------

def test_event_start_with_the_credential_alone(awx_sim, tmp_path):
    work = str(tmp_path)
    sync_env = dict(render_injectors(credential(awx_sim), work), HWMEETING_TOKEN_CACHE_DIR=str(tmp_path / 'sync'))
    inventory, sync_output = inventory_sync(sync_env, work)
    hosts = inventory['_meta']['hostvars']
    assert sorted(variables['conference_id'] for variables in hosts.values()) == EVENT
    assert hosts['product_keynote']['keynote_speaker'] == 'Keynote Speaker'
    assert_no_secret(sync_output + json.dumps(inventory), awx_sim)
    # the CA reached the sync through the credential's file injector
    assert sync_env['HWMEETING_CA_PATH'] and open(sync_env['HWMEETING_CA_PATH']).read().startswith('-----BEGIN')
    assert sync_env['HWMEETING_VALIDATE_CERTS'] == ''

    extravars = survey_extravars({})
    assert extravars == {'event_hosts': 'meetings', 'event_activate': 'true', 'event_record': 'true',
                         'event_live': 'true', 'event_broadcast': 'true'}
    directory, _env = private_data_dir(tmp_path, 'job1', credential(awx_sim), extravars, inventory)
    first = run_job(directory)
    output = job_output(first)
    assert first.status == 'successful', output[-3000:]
    event_started(awx_sim, EVENT)
    assert awx_sim.meeting(OTHER)['state'] == 'Schedule'
    assert sorted(first.stats['changed']) == sorted(hosts)
    # one details read per meeting: the activation, which also fetches the
    # control token while it knows the password; the later steps reuse it
    assert sorted(call['query']['conferenceID'] for call in served(awx_sim, DETAILS)) == sorted(EVENT)
    assert_no_secret(output, awx_sim)

    directory, _env = private_data_dir(tmp_path, 'job2', credential(awx_sim), extravars, inventory)
    again = run_job(directory)
    assert again.status == 'successful'
    # only the live broadcast, which the vendor publishes nowhere, is sent
    # again: one changed task per meeting; record and broadcast are verified
    assert again.stats['changed'] == dict((host, 1) for host in hosts), again.stats
    said = ' '.join(job_output(again).split())
    assert 'The vendor publishes no live streaming state' in said
    assert 'did not report' not in said and 'could not be read' not in said
    assert_no_secret(job_output(again), awx_sim)


def test_a_sliced_job(awx_sim, tmp_path):
    """Two slices, as job slicing makes them: each with every other host of
    the inventory, run at the same time, each in its own job."""
    work = str(tmp_path)
    inventory, _output = inventory_sync(render_injectors(credential(awx_sim), work), work)
    hosts = sorted(inventory['_meta']['hostvars'])
    slices = [hosts[0::2], hosts[1::2]]
    runners = [None, None]

    def run_slice(number):
        directory, _env = private_data_dir(tmp_path, 'slice%d' % number, credential(awx_sim),
                                           survey_extravars({}), inventory)
        runners[number] = run_job(directory, limit=','.join(slices[number]))

    threads = [threading.Thread(target=run_slice, args=(number,)) for number in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for number, runner in enumerate(runners):
        assert runner.status == 'successful', job_output(runner)[-3000:]
        assert sorted(runner.stats['ok']) == slices[number]  # each meeting in exactly one slice
        assert_no_secret(job_output(runner), awx_sim)
    event_started(awx_sim, EVENT)


def test_the_documented_way_for_host_passwords_kept_in_vault(awx_sim, tmp_path):
    """docs/awx/project/event_start_host_passwords.yml with a Vault-encrypted
    host_passwords.yml and a Vault credential (the password answered at the
    prompt, as AWX does): the modules use those host passwords and read no
    meeting's details; a meeting not in the file still gets its password
    from the login."""
    from ansible.parsing.vault import VaultLib, VaultSecret

    work = str(tmp_path)
    inventory, _output = inventory_sync(render_injectors(credential(awx_sim), work), work)
    with open(os.path.join(PROJECT, 'host_passwords.example.yml')) as handle:
        example = yaml.safe_load(handle)
    assert list(example) == ['meeting_host_passwords']
    kept = dict((meeting['id'], meeting['host_password']) for meeting in CONFIG['meetings']
                if meeting['id'] != SYNC)
    vault = VaultLib([('default', VaultSecret(VAULT_PASSWORD.encode()))])
    encrypted = tmp_path / 'host_passwords.yml'
    encrypted.write_bytes(vault.encrypt(yaml.safe_dump({'meeting_host_passwords': kept})))
    directory, _env = private_data_dir(tmp_path, 'vault', credential(awx_sim), survey_extravars({}), inventory,
                                       extra_files=[(str(encrypted), 'host_passwords.yml')])
    runner = run_job(directory, playbook='event_start_host_passwords.yml', cmdline='--ask-vault-pass',
                     passwords={r'Vault password:\s*?$': VAULT_PASSWORD})
    output = job_output(runner)
    assert runner.status == 'successful', output[-3000:]
    event_started(awx_sim, EVENT)
    details = served(awx_sim, DETAILS)
    assert [call['query']['conferenceID'] for call in details] == [SYNC]  # only the one not in the file, once
    assert_no_secret(output, awx_sim)


# --- the artifacts: what an AWX workflow branches on -------------------------------------

def stats_event(runner):
    """The job's playbook_on_stats event, as the artifacts directory keeps it
    (job_events/*.json), and as the runner's event stream gave it."""
    kept = []
    for path in sorted(glob.glob(os.path.join(runner.config.artifact_dir, 'job_events', '*.json'))):
        with open(path) as handle:
            event = json.load(handle)
        if event.get('event') == 'playbook_on_stats':
            kept.append(event)
    streamed = [event for event in runner.events if event.get('event') == 'playbook_on_stats']
    assert len(kept) == 1 and len(streamed) == 1, (len(kept), len(streamed))
    assert kept[0]['event_data'].get('artifact_data') == streamed[0]['event_data'].get('artifact_data')
    return kept[0]


def test_the_summary_reaches_awx_as_artifacts(awx_sim, tmp_path):
    """set_stats of each runbook (aggregate, not per host): the job's
    playbook_on_stats event carries the counts and the meetings that need a
    person as artifact_data (what AWX stores as the job's artifacts and gives
    the next node of a workflow as extra variables), and the artifacts
    directory holds it. One meeting of the inventory is unknown to the
    service: the start job fails, and the artifacts name that meeting."""
    work = str(tmp_path)
    inventory, _output = inventory_sync(render_injectors(credential(awx_sim), work), work)
    hosts = inventory['_meta']['hostvars']
    broken = sorted(hosts)[0]
    hosts[broken]['conference_id'] = '899999999'
    directory, _env = private_data_dir(tmp_path, 'start', credential(awx_sim), survey_extravars({}), inventory)
    start = run_job(directory)
    assert start.status == 'failed', job_output(start)[-3000:]
    artifacts = stats_event(start)['event_data']['artifact_data']
    summary = artifacts['event_start']
    assert summary['meetings'] == len(hosts)
    assert summary['counts'] == {'converged': 0, 'changed': len(hosts) - 1, 'failed': 1, 'unverified': 0,
                                 'not_in_progress': 0}
    assert [item['meeting'] for item in summary['needs_person']] == [broken]
    assert summary['needs_person'][0]['reason'].startswith('Meeting 899999999 does not exist')
    assert summary['rerun'].endswith('--limit %s' % broken)
    assert_no_secret(json.dumps(artifacts) + job_output(start), awx_sim)

    # the workflow's next node, "Event status", gets them as extra variables
    # (AWX merges the artifacts of a node's ancestors into its extra
    # variables) and keeps its own: what a notification node reads
    directory, _env = private_data_dir(tmp_path, 'status', credential(awx_sim), dict(artifacts), inventory)
    status = run_job(directory, playbook='event_status.yml')
    assert status.status == 'failed'  # the unknown meeting cannot be read
    artifacts = stats_event(status)['event_data']['artifact_data']
    assert sorted(artifacts) == ['event_status']
    assert artifacts['event_status']['counts']['failed'] == 1
    assert artifacts['event_status']['counts']['converged'] == len(hosts) - 1
    assert [item['meeting'] for item in artifacts['event_status']['needs_person']] == [broken]

    # the workflow's last node, "Event notify", with both nodes' artifacts
    directory, _env = private_data_dir(tmp_path, 'notify', credential(awx_sim),
                                       {'event_start': summary, 'event_status': artifacts['event_status']}, inventory)
    notify = run_job(directory, playbook='event_notify.yml')
    output = job_output(notify)
    assert notify.status == 'successful', output[-3000:]
    reason = artifacts['event_status']['needs_person'][0]['reason']
    assert '"msg": "%s (899999999): %s"' % (broken, reason.replace('"', '\\"')) in output, output[-3000:]
    assert 'Post it to the webhook' in output and 'skipping' in output  # no event_notify_url given
