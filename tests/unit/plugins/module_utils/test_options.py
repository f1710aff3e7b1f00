# The one table of connection and login options (module_utils/options.py)
# holds every plugin kind: the modules' argument spec, the doc fragment, the
# inventory plugin and the event source take the same options, with the same
# types, defaults, variables and checks.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import ast
import os

import pytest
import yaml

from ansible_collections.hwcloud.meeting.plugins.doc_fragments.connection import ModuleDocFragment as Connection
from ansible_collections.hwcloud.meeting.plugins.module_utils import options
from ansible_collections.hwcloud.meeting.plugins.module_utils.base import SHARED_ARGUMENT_SPEC, MeetingModule
from ansible_collections.hwcloud.meeting.plugins.module_utils.ratelimit import FileStore, MemoryStore
from ansible_collections.hwcloud.meeting.plugins.module_utils.token_cache import MemoryTokenCache, TokenCache

from ...helpers import run_module

COLLECTION = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(options.__file__))))
EVENT_SOURCE = os.path.join(COLLECTION, 'extensions', 'eda', 'plugins', 'event_source', 'meeting_events.py')
INVENTORY = os.path.join(COLLECTION, 'plugins', 'inventory', 'meetings.py')
NAMES = [option.name for option in options.CONNECTION_OPTIONS]


def documentation_of(path):
    """A plugin's DOCUMENTATION, read without importing it (importing the
    controller's plugin code would put AnsibleModule in controller mode for
    the other tests of this process)."""
    with open(path) as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and [target.id for target in node.targets] == ['DOCUMENTATION']:
            return yaml.safe_load(ast.literal_eval(node.value))
    raise AssertionError('%s has no DOCUMENTATION' % path)


def test_the_secrets_are_the_no_log_options():
    assert [name for name in NAMES if options.BY_NAME[name].no_log] == ['access_token', 'app_key', 'account_password']


@pytest.mark.parametrize('name', NAMES)
def test_the_modules_take_each_option_as_the_table_says(name):
    option, spec = options.BY_NAME[name], SHARED_ARGUMENT_SPEC[name]
    assert spec['type'] == option.kind
    assert spec.get('default') == option.default
    assert bool(spec.get('no_log')) == option.no_log
    assert (spec['fallback'][1] if 'fallback' in spec else None) == ([option.env] if option.env else None)


@pytest.mark.parametrize('name', NAMES)
def test_the_doc_fragment_documents_each_option_as_the_table_says(name):
    option = options.BY_NAME[name]
    documented = yaml.safe_load(Connection.DOCUMENTATION)['options'][name]
    assert documented['type'] == option.kind
    assert documented.get('default') == option.default
    text = ' '.join(documented['description'])
    assert ('E(%s)' % option.env in text) == bool(option.env), text


def test_the_doc_fragment_holds_the_table_and_nothing_else():
    assert set(yaml.safe_load(Connection.DOCUMENTATION)['options']) == set(NAMES)


def test_the_inventory_plugin_uses_the_fragment_and_has_no_option_of_its_own_among_them():
    documentation = documentation_of(INVENTORY)
    assert 'hwcloud.meeting.connection' in documentation['extends_documentation_fragment']
    assert not set(documentation['options']) & set(NAMES)


@pytest.mark.parametrize('name', NAMES)
def test_the_event_source_documents_each_option_as_the_table_says(name):
    option = options.BY_NAME[name]
    documented = documentation_of(EVENT_SOURCE)['options'][name]
    assert documented['type'] == option.kind
    assert documented.get('default') == option.default
    assert documented.get('env') == ([{'name': option.env}] if option.env else None)


ENVIRONMENTS = [
    {},
    {'HWMEETING_VALIDATE_CERTS': 'no', 'HWMEETING_API_URL': 'http://127.0.0.1:9', 'HWMEETING_TOKEN_CACHE': 'off'},
    {'HWMEETING_VALIDATE_CERTS': '', 'HWMEETING_APP_ID': 'env-app', 'HWMEETING_APP_KEY': 'env-key-123'},
    {'HWMEETING_ACCOUNT': 'ops@example.com', 'HWMEETING_ACCOUNT_PASSWORD': 'pw-123456', 'HWMEETING_CORP_ID': 'c1'},
]


@pytest.mark.parametrize('environment', ENVIRONMENTS)
def test_a_module_and_resolve_agree_on_every_value_and_problem(capsys, monkeypatch, no_network, environment):
    """What a module does with its argument spec is what the inventory
    plugin and the event source do with resolve() and check()."""
    for name in list(os.environ):
        if name.startswith('HWMEETING_') and name != 'HWMEETING_TOKEN_CACHE_DIR':
            monkeypatch.delenv(name)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    def main():
        module = MeetingModule(argument_spec={}, needs_control=False)
        module.exit_json(changed=False, values=dict((name, module.params[name]) for name in NAMES),
                         problems=options.check(module.params, uses_login=True, needs_login=True))

    result = run_module(main, dict(conference_id='914044873'), capsys)
    resolved, conversion_problems = options.resolve({})
    assert conversion_problems == []
    masked = dict((name, 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' if options.BY_NAME[name].no_log and value else value)
                  for name, value in resolved.items())
    assert result['values'] == masked
    assert result['problems'] == options.check(resolved, uses_login=True, needs_login=True)


@pytest.mark.parametrize('values, environment, words', [
    ({'validate_certs': 'maybe'}, {}, 'validate_certs must be true or false (got maybe)'),
    ({}, {'HWMEETING_VALIDATE_CERTS': 'maybe'}, 'HWMEETING_VALIDATE_CERTS must be true or false (got maybe)'),
    ({'timeout': 'soon'}, {}, 'timeout must be a number (got soon)'),
    ({'retries': 2.5}, {}, 'retries must be a whole number (got 2.5)'),
])
def test_resolve_names_a_value_it_cannot_convert(values, environment, words):
    resolved, problems = options.resolve(values, environment)
    assert problems == [words]
    assert resolved[words.split(' ')[0].replace('HWMEETING_', '').lower()] == \
        options.BY_NAME[words.split(' ')[0].replace('HWMEETING_', '').lower()].default


def test_resolve_prefers_a_given_value_then_a_non_empty_variable_then_the_default():
    environment = {'HWMEETING_API_URL': 'https://env.example', 'HWMEETING_APP_ID': '', 'HWMEETING_TOKEN_CACHE': 'no'}
    resolved, problems = options.resolve({'api_url': '', 'app_id': None, 'timeout': '7', 'retries': '2'}, environment)
    assert problems == []
    assert resolved['api_url'] == 'https://env.example'
    assert resolved['app_id'] is None
    assert resolved['token_cache'] is False
    assert resolved['timeout'] == 7.0 and resolved['retries'] == 2
    assert resolved['validate_certs'] is True


@pytest.mark.parametrize('values, uses_login, needs_login, words', [
    ({'timeout': 0.0}, False, False, ['timeout must be a number of seconds greater than 0 (got 0.0)']),
    ({'retries': -1}, False, False, ['retries must be 0 or more (got -1)']),
    ({'rate_limit_wait': -1}, False, False, ['rate_limit_wait must be 0 or more seconds (got -1.0)']),
    ({'user_id': 'u'}, True, False, ['user_id is set but app_id is missing']),
    ({'user_id': 'u'}, False, False, []),
    ({}, True, True, [options.NO_LOGIN]),
    ({'access_token': 'a'}, True, True, []),
])
def test_check(values, uses_login, needs_login, words):
    resolved, _problems = options.resolve(values, {})
    assert options.check(resolved, uses_login=uses_login, needs_login=needs_login) == words


def test_a_path_option_has_its_home_expanded_and_others_are_taken_as_given(monkeypatch):
    monkeypatch.setenv('HOME', '/home/operator')
    resolved, problems = options.resolve({'ca_path': '~/ca.pem', 'account': '~ops', 'app_id': '~app',
                                          'app_key': 'key-1'}, environ={})
    assert problems == []
    assert resolved['ca_path'] == '/home/operator/ca.pem'
    assert resolved['account'] == '~ops' and resolved['app_id'] == '~app'


@pytest.mark.parametrize('option, value, words', [
    (options.Option('n', 'float', greater_than=0), 0, 'n must be a number greater than 0 (got 0)'),
    (options.Option('n', 'float', greater_than=0, unit='seconds'), -1, 'n must be a number of seconds greater than 0 (got -1)'),
    (options.Option('n', 'float', greater_than=0), float('nan'), 'n must be a number greater than 0 (got nan)'),
    (options.Option('n', 'int', at_least=1), 0, 'n must be 1 or more (got 0)'),
    (options.Option('n', 'int', at_least=1, unit='calls'), 0, 'n must be 1 or more calls (got 0)'),
    (options.Option('n', 'float', greater_than=0), 0.5, None),
    (options.Option('n', 'int', at_least=1), 1, None),
    (options.Option('n', 'int', at_least=1), None, None),
])
def test_an_option_out_of_its_bounds_is_said_in_words(option, value, words):
    assert option.out_of_bounds(value) == words


@pytest.mark.parametrize('token_cache', [True, False])
def test_shared_gives_the_watchers_one_cache_and_one_pacer(token_cache, tmp_path, monkeypatch):
    # bounded by rate_limit_wait; in the token cache's directory when the cache is on
    monkeypatch.setenv('HWMEETING_TOKEN_CACHE_DIR', str(tmp_path / 'tokens'))
    resolved, problems = options.resolve({'token_cache': token_cache, 'rate_limit_wait': 7}, {})
    assert problems == []
    kept = options.shared(resolved)
    assert isinstance(kept['cache'], TokenCache if token_cache else MemoryTokenCache)
    assert isinstance(kept['pacer'].store, FileStore if token_cache else MemoryStore)
    assert kept['pacer'].max_wait == 7
