# No secret ever printed: the runbooks and the failure cases run at -vvv
# (ANSIBLE_DEBUG off) with --diff; every line of output, every returned result
# and the token cache's file names are searched for every secret value: the
# app key, the account password, the host passwords, wrong passwords a person
# typed, and every token the simulator issued.
import json
import os

import pytest
import yaml

from .conftest import MEETINGS_FILE, ROOT, fixture_secrets, run_playbook, run_task

# Every case runs both ways a module can run: inside Ansible's worker
# process, and as a module process (docs/direct_execution.md).
pytestmark = pytest.mark.usefixtures('both_ways')

KEYNOTE, WEBINAR = '900000001', '900000002'
APP = dict(app_id='it-app-id', app_key='it-app-key-4f9c2a81', user_id='it-user')
WRONG = ['wrong-host-pw-5150', 'wrong-app-key-8c1d', 'wrong-account-pw-77aa']


def inventory(tmp_path, sim, **credentials):
    with open(MEETINGS_FILE) as handle:
        meetings = {meeting['subject']: meeting for meeting in yaml.safe_load(handle)['meetings']}
    hosts = {name.lower(): {'conference_id': meetings[name]['id'], 'host_password': meetings[name]['host_password']}
             for name in ('Keynote', 'Webinar')}
    hosts['keynote']['keynote_speaker'] = 'Keynote Speaker'
    variables = dict(meeting_api_url=sim.url, **{'meeting_' + key: value for key, value in credentials.items()})
    path = tmp_path / 'inventory.yml'
    path.write_text(yaml.safe_dump({'meetings': {'hosts': hosts, 'vars': variables}}))
    return str(path)


def secrets_of(sim):
    return fixture_secrets() + WRONG + list(sim.issued_tokens())


def assert_clean(text, sim, where):
    for secret in secrets_of(sim):
        assert secret not in text, 'a secret (%s...) reached %s' % (secret[:3], where)


@pytest.mark.parametrize('credentials', [
    dict(app_id='it-app-id', app_key='it-app-key-4f9c2a81', user_id='it-user'),
    dict(account='it-ops@example.com', account_password='it-account-password-7d31c'),
], ids=['app-id', 'account'])
def test_the_runbooks_at_vvv(sim, tmp_path, private_token_cache, credentials):
    hosts = inventory(tmp_path, sim, **credentials)
    outputs = []
    for playbook, extra in (('event_start', ['--diff']), ('event_start', ['--diff', '--check']),
                            ('event_status', []), ('event_stop', ['--diff'])):
        run = run_playbook(os.path.join(ROOT, 'playbooks', playbook + '.yml'), sim, '-i', hosts, '-vvv', *extra,
                           env={'ANSIBLE_DEBUG': '0'})
        assert run.rc == 0, run
        outputs.append(run.out)
    output = '\n'.join(outputs)
    assert 'Keynote Speaker' in output and '"recording": true' in output  # results really were printed
    assert len(sim.issued_tokens()) >= 2
    assert_clean(output, sim, 'the output at -vvv')
    assert_clean(' '.join(os.listdir(str(private_token_cache))), sim, "the token cache's file names")


FAILURES = [
    ('meeting_record', dict(conference_id=KEYNOTE, host_password=WRONG[0], state='started')),
    ('meeting_activate', dict(conference_id=WEBINAR, host_password='it-host-pw-900002', app_id='it-app-id',
                              app_key=WRONG[1], user_id='it-user')),
    ('meeting_activate', dict(conference_id=WEBINAR, host_password='it-host-pw-900002',
                              account='it-ops@example.com', account_password=WRONG[2])),
    ('meeting_broadcast', dict(conference_id=KEYNOTE, host_password='it-host-pw-900001', participant='Bob Smith')),
    ('meeting_live', dict(conference_id=KEYNOTE, conference_token='given-token-not-valid-91ab', state='started')),
    ('meeting_activate', dict(conference_id=WEBINAR, host_password='it-host-pw-900002', app_id='it-app-id')),
]


@pytest.mark.parametrize('module, arguments', FAILURES,
                         ids=['wrong host password', 'wrong app key', 'wrong account password',
                              'ambiguous participant', 'invalid control token', 'half a login'])
def test_failures_at_vvv(sim, tmp_path, private_token_cache, module, arguments):
    run, result = run_task(sim, tmp_path, module, arguments, '-vvv', '--diff', env={'ANSIBLE_DEBUG': '0'})
    assert result['failed'] is True
    secrets = secrets_of(sim) + [arguments.get('conference_token', 'given-token-not-valid-91ab')]
    for secret in secrets:
        assert secret not in run.out, 'a secret (%s...) reached the output' % secret[:3]
        assert secret not in json.dumps(result), 'a secret (%s...) reached the result' % secret[:3]
    if os.path.isdir(str(private_token_cache)):
        assert_clean(' '.join(os.listdir(str(private_token_cache))), sim, "the token cache's file names")


def test_a_proxy_page_and_a_warning_at_vvv(sim, tmp_path):
    sim.inject_fault('/v1/mmc/control/conferences/realTimeInfo', count=10, status=502,
                     body='<html><title>Bad Gateway</title></html>')
    run, result = run_task(sim, tmp_path, 'meeting_info', dict(conference_id=KEYNOTE, host_password='it-host-pw-900001',
                                                               validate_certs=False, retries=0), '-vvv')
    assert result['failed'] is True and 'validate_certs is false' in run.out
    assert_clean(run.out + json.dumps(result), sim, 'the output')
