# Unit tests of the module base: the shared options, their environment
# fallbacks, and input checks that fail before any HTTP call.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.hwcloud.meeting.plugins.module_utils.base import (
    SHARED_ARGUMENT_SPEC,
    MeetingModule,
    meeting_argument_spec,
)

from ...helpers import run_module, run_module_with_output

GOOD = dict(conference_id='914044873', host_password='host-pw-base-1')


def probe(needs_login=False, needs_control=True, echo=None):
    """A module that returns what its client was given (and, with ``echo``,
    the value of that option as it is)."""
    def main():
        module = MeetingModule(argument_spec={}, needs_login=needs_login, needs_control=needs_control)
        client = module.client
        extra = dict(echoed=module.params[echo]) if echo else {}
        module.exit_json(changed=False, params=dict(
            api_url=client.base_url, timeout=client.timeout, retries=client.retries,
            validate_certs=module.params['validate_certs'], app_id=module.params['app_id'],
            verify=client._verify), **extra)
    return main


def test_secret_options_are_no_log():
    for option in ('access_token', 'app_key', 'account_password', 'host_password', 'conference_token'):
        assert SHARED_ARGUMENT_SPEC[option]['no_log'] is True, option
    for option in ('app_id', 'user_id', 'corp_id', 'account', 'conference_id', 'api_url'):
        assert not SHARED_ARGUMENT_SPEC[option].get('no_log'), option


def test_module_options_win_over_shared_ones():
    spec = meeting_argument_spec(host_password=dict(type='str', no_log=True, required=True), state=dict(type='str'))
    assert spec['host_password']['required'] is True
    assert 'state' in spec and 'api_url' in spec
    assert 'required' not in SHARED_ARGUMENT_SPEC['host_password']


def test_defaults(capsys, no_network):
    result = run_module(probe(), GOOD, capsys)
    assert result['params'] == dict(api_url='https://api.meeting.huaweicloud.com', timeout=30.0, retries=3,
                                    validate_certs=True, app_id=None, verify=True)
    assert 'warnings' not in result


def test_environment_fallbacks(capsys, monkeypatch, no_network):
    monkeypatch.setenv('HWMEETING_API_URL', 'http://127.0.0.1:9/')
    monkeypatch.setenv('HWMEETING_APP_ID', 'env-app')
    monkeypatch.setenv('HWMEETING_APP_KEY', 'env-key-secret')
    monkeypatch.setenv('HWMEETING_VALIDATE_CERTS', 'false')
    # The module hands the key back: a secret from the environment is masked
    # like one given as an option.
    result, output = run_module_with_output(probe(needs_login=True, echo='app_key'), GOOD, capsys)
    assert result['params']['api_url'] == 'http://127.0.0.1:9'
    assert result['params']['app_id'] == 'env-app'
    assert result['params']['validate_certs'] is False and result['params']['verify'] is False
    assert any('validate_certs is false' in warning for warning in result['warnings'])
    assert result['echoed'] == 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER'
    assert '"echoed"' in output and 'env-key-secret' not in output


def test_explicit_options_beat_the_environment(capsys, monkeypatch, no_network):
    monkeypatch.setenv('HWMEETING_API_URL', 'http://127.0.0.1:9')
    result = run_module(probe(), dict(GOOD, api_url='https://meeting.example.test'), capsys)
    assert result['params']['api_url'] == 'https://meeting.example.test'


@pytest.mark.parametrize('args, words', [
    (dict(conference_id=''), 'conference_id must be the meeting ID, digits only'),
    (dict(conference_id='91404487x'), "digits only (got '91404487x')"),
    (dict(conference_id='\uff19\uff11\uff14'), 'digits only'),  # full-width digits: str.isdigit() says yes
    (dict(timeout=float('nan')), 'timeout must be a number of seconds greater than 0 (got nan)'),
    (dict(timeout=float('inf')), 'timeout must be a number of seconds greater than 0 (got inf)'),
    (dict(api_url='ftp://meeting.example.test'), 'api_url must be an http:// or https:// URL'),
    (dict(api_url='meeting.example.test'), 'api_url must be an http:// or https:// URL'),
    (dict(timeout=0), 'timeout must be a number of seconds greater than 0'),
    (dict(retries=-1), 'retries must be 0 or more'),
    (dict(ca_path='/nonexistent/ca.pem'), 'ca_path /nonexistent/ca.pem does not exist'),
    (dict(host_password=None), 'give host_password'),
])
def test_bad_input_fails_before_any_call(capsys, no_network, args, words):
    result = run_module(probe(), dict(GOOD, **args), capsys)
    assert result['failed'] is True
    assert words in result['msg'], result['msg']


HALF_PAIRS = [
    (dict(access_token='acc-123456', app_id='app-1'), 'app_id is set but app_key is missing'),
    (dict(access_token='acc-123456', app_key='key-only-123'), 'app_key is set but app_id is missing'),
    (dict(access_token='acc-123456', account='ops@example.com'), 'account is set but account_password is missing'),
    (dict(access_token='acc-123456', account_password='pw-only-123'), 'account_password is set but account is missing'),
    (dict(access_token='acc-123456', user_id='u1'), 'user_id is set but app_id is missing'),
]


@pytest.mark.parametrize('args, words', HALF_PAIRS)
def test_half_a_login_fails_a_module_that_logs_in(capsys, no_network, args, words):
    result = run_module(probe(needs_login=True), dict(GOOD, **args), capsys)
    assert result['failed'] is True
    assert words in result['msg'], result['msg']


@pytest.mark.parametrize('args, words', HALF_PAIRS)
def test_login_options_do_not_matter_to_a_module_that_does_not_log_in(capsys, no_network, args, words):
    # module_defaults and HWMEETING_* give every task the same options
    assert not run_module(probe(), dict(GOOD, **args), capsys).get('failed')


def test_empty_environment_variables_count_as_unset(capsys, monkeypatch, no_network):
    # AWX injects optional credential fields as empty strings
    for name in ('HWMEETING_API_URL', 'HWMEETING_VALIDATE_CERTS', 'HWMEETING_APP_ID', 'HWMEETING_APP_KEY',
                 'HWMEETING_CA_PATH', 'HWMEETING_TOKEN_CACHE'):
        monkeypatch.setenv(name, '')
    result = run_module(probe(), GOOD, capsys)
    assert result['params']['api_url'] == 'https://api.meeting.huaweicloud.com'
    assert result['params']['validate_certs'] is True and result['params']['app_id'] is None


def test_login_credentials_are_required_when_needed(capsys, no_network):
    result = run_module(probe(needs_login=True), GOOD, capsys)
    assert 'no login credentials' in result['msg']


@pytest.mark.parametrize('creds', [dict(access_token='acc-123456'), dict(app_id='app-1', app_key='key-123456'),
                                   dict(account='ops', account_password='pw-123456')])
def test_each_login_kind_is_enough(capsys, no_network, creds):
    result = run_module(probe(needs_login=True), dict(GOOD, **creds), capsys)
    assert not result.get('failed'), result


def test_control_is_satisfied_by_a_conference_token(capsys, no_network):
    args = dict(GOOD, conference_token='ctl-123456')
    del args['host_password']
    assert not run_module(probe(), args, capsys).get('failed')


def test_all_problems_are_named_at_once(capsys, no_network):
    result = run_module(probe(needs_login=True), dict(conference_id='x', retries=-2, app_id='a', host_password=None),
                        capsys)
    for words in ('digits only', 'retries', 'app_key is missing', 'no login credentials'):
        assert words in result['msg']


def test_an_unexpected_error_fails_with_words_not_a_traceback(capsys, no_network):
    def main():
        module = MeetingModule(argument_spec={})
        module.run(lambda _module: {}['missing key'])
    result = run_module(main, GOOD, capsys)
    assert result['failed'] is True
    assert result['msg'].startswith("Unexpected error for meeting 914044873: KeyError: 'missing key'.")
    assert 'Traceback' not in result['msg'] and 'Traceback' not in result.get('exception', '')


WITHOUT_REQUESTS = '''
import sys
sys.modules['requests'] = None  # "import requests" raises ImportError, as where it is not installed
from ansible.module_utils.testing import patch_module_args
from ansible_collections.hwcloud.meeting.plugins.modules import %s as module
with patch_module_args(%r):
    module.main()
'''


@pytest.mark.parametrize('name', ['meeting_info', 'meeting_activate'])
def test_a_python_without_requests_fails_with_missing_required_lib(name):
    # In a process of its own: requests must not be importable from the start.
    args = dict(GOOD, app_id='app-1', app_key='key-123456')
    # the child imports what this process imports (ansible-test units sets up
    # its import path itself, not through PYTHONPATH)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    completed = subprocess.run([sys.executable, '-c', WITHOUT_REQUESTS % (name, args)], env=env,
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 1, completed.stderr
    result = json.loads(completed.stdout)
    assert result['failed'] is True
    assert 'Failed to import the required Python library (requests)' in result['msg'], result['msg']
    assert sys.executable in result['msg']  # says which Python lacks it
    assert 'Traceback' not in completed.stderr


WITHOUT_WEBSOCKET = '''
import json
import sys
sys.modules['websocket'] = None  # "import websocket" raises ImportError, as without websocket-client
import requests
from ansible.module_utils.testing import patch_module_args
from ansible_collections.hwcloud.meeting.plugins.module_utils import push
from ansible_collections.hwcloud.meeting.plugins.modules import %s as module
assert not push.HAS_WEBSOCKET
ANSWERS = {
    '/v1/mmc/control/conferences/token': {'data': {'token': 'ctl-nows-1'}},
    '/v1/mmc/control/conferences/realTimeInfo': {
        'confInfo': {'state': 'Created', 'recState': 0, 'mode': 'FREE'},
        'participants': [{'pid': 'p1', 'name': 'Keynote Speaker', 'phone': '+991', 'state': 0}]},
    '/v1/mmc/control/conferences/record': {},
    '/v1/mmc/control/conferences/participants/broadcast': {},
}


def answer(self, method, url, **kwargs):
    reply = requests.Response()
    reply.status_code = 200
    reply._content = json.dumps(ANSWERS[url.split('?')[0].split('.test', 1)[1]]).encode('utf-8')
    reply.headers['Content-Type'] = 'application/json'
    sys.stderr.write('CALL %%s %%s\\\\n' %% (method, url.split('?')[0]))
    return reply
requests.Session.request = answer
with patch_module_args(%r):
    module.main()
'''


def _without_websocket(name, arguments, tmp_path):
    args = dict(GOOD, api_url='https://meeting.example.test', **arguments)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path),
               HWMEETING_TOKEN_CACHE_DIR=str(tmp_path / 'tokens'))
    completed = subprocess.run([sys.executable, '-c', WITHOUT_WEBSOCKET % (name, args)], env=env,
                               capture_output=True, text=True, timeout=120, check=False)
    assert 'Traceback' not in completed.stderr, completed.stderr
    return json.loads(completed.stdout), completed


@pytest.mark.parametrize('name, arguments, state_source', [
    ('meeting_info', {}, 'auto'), ('meeting_info', {}, 'push'), ('meeting_record', dict(state='started'), 'auto'),
    ('meeting_broadcast', dict(state='present', participant='Keynote Speaker'), 'auto')])
def test_without_websocket_client_the_push_fails_with_missing_required_lib(tmp_path, name, arguments, state_source):
    result, completed = _without_websocket(name, dict(arguments, state_source=state_source), tmp_path)
    assert completed.returncode == 1 and result['failed'] is True
    assert result['msg'].startswith('Failed to import the required Python library (websocket-client)'), result['msg']
    assert 'to read the meeting-status push (or set state_source: realtime)' in result['msg']
    assert 'Unexpected error' not in result['msg']
    assert 'CALL' not in completed.stderr  # refused before any call


def test_without_websocket_client_state_source_realtime_reads_the_meeting(tmp_path):
    result, completed = _without_websocket('meeting_info', dict(state_source='realtime'), tmp_path)
    assert completed.returncode == 0 and not result.get('failed'), result
    assert result['meeting']['in_progress'] is True and result['meeting']['recording'] is False
    assert 'CALL GET https://meeting.example.test/v1/mmc/control/conferences/realTimeInfo' in completed.stderr


@pytest.mark.parametrize('name, arguments, call', [
    ('meeting_record', dict(state='started'), 'CALL PUT https://meeting.example.test/v1/mmc/control/conferences/record'),
    ('meeting_broadcast', dict(state='present', participant='Keynote Speaker'),
     'CALL PUT https://meeting.example.test/v1/mmc/control/conferences/participants/broadcast')])
def test_without_websocket_client_state_source_realtime_controls_the_meeting(tmp_path, name, arguments, call):
    result, completed = _without_websocket(name, dict(arguments, state_source='realtime'), tmp_path)
    assert completed.returncode == 0 and not result.get('failed'), result
    assert result['changed'] is True and result['state_verified'] is True
    assert call in completed.stderr
