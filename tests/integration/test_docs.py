# ansible-doc renders every module of the installed collection, with the
# shared options, truthful attributes, examples that parse, and a RETURN.
import glob
import json
import os
import re
import subprocess

import pytest
import yaml

from ansible_collections.hwcloud.meeting.plugins.module_utils.base import SHARED_ARGUMENT_SPEC

from .conftest import BIN, ROOT, ansible_env

MODULES = ['meeting_activate', 'meeting_record', 'meeting_live', 'meeting_broadcast', 'meeting_info', 'meeting_check']
# Every shared option the modules take (not a copy of the list, which would
# miss an option added later) must be documented with its type and default.
SHARED = set(SHARED_ARGUMENT_SPEC)


@pytest.fixture(scope='module')
def docs():
    completed = subprocess.run([os.path.join(BIN, 'ansible-doc'), '--json'] +
                               ['hwcloud.meeting.' + name for name in MODULES],
                               env=ansible_env(), capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


@pytest.mark.parametrize('name', MODULES)
def test_module_documentation(docs, name):
    entry = docs['hwcloud.meeting.' + name]
    doc = entry['doc']
    assert SHARED <= set(doc['options']), sorted(SHARED - set(doc['options']))
    for option in SHARED:
        spec, documented = SHARED_ARGUMENT_SPEC[option], doc['options'][option]
        assert documented['type'] == spec['type'], (name, option)
        assert documented.get('default') == spec.get('default'), (name, option)
        fallback = spec.get('fallback')
        if fallback:  # "If not set, the environment variable E(HWMEETING_...) is used."
            assert 'E(%s)' % fallback[1][0] in ' '.join(documented['description']), (name, option)
    for secret in ('access_token', 'app_key', 'account_password', 'host_password', 'conference_token'):
        assert doc['options'][secret]['type'] == 'str'
    attributes = doc['attributes']
    assert attributes['check_mode']['support'] == 'full'
    assert attributes['action_group']['membership'] == ['hwcloud.meeting.meeting']
    # the modules that change nothing have no diff; the preflight says whether
    # the meeting is ready, the others whether they could verify the state
    reads_only = name in ('meeting_info', 'meeting_check')
    assert attributes['diff_mode']['support'] == ('none' if reads_only else 'full')
    examples = yaml.safe_load(entry['examples'])
    assert examples, name
    assert ('ready' if name == 'meeting_check' else 'state_verified') in entry['return'] and 'msg' in entry['return']
    assert {'status', 'error_code', 'request_id'} <= set(entry['return'])


def test_the_shared_options_include_the_token_cache():
    assert {'token_cache', 'api_url', 'conference_id', 'host_password', 'retries', 'state_source'} <= SHARED


@pytest.mark.parametrize('name', MODULES)
def test_no_module_requires_the_host_password(docs, name):
    # without it, the login reads it from the meeting's details
    options = docs['hwcloud.meeting.' + name]['doc']['options']
    assert not options['host_password'].get('required')
    assert 'details' in ' '.join(options['host_password']['description'])


def test_the_action_group_names_every_module():
    with open(os.path.join(os.path.dirname(__file__), '..', '..', 'meta', 'runtime.yml')) as handle:
        runtime = yaml.safe_load(handle)
    assert sorted(runtime['action_groups']['meeting']) == sorted(MODULES)


def test_the_stated_ansible_core_range_is_the_tested_one():
    """meta/runtime.yml, the README, the getting-started page and the AWX
    execution environment state exactly the ansible-core versions `make
    matrix` tests (one tests/matrix/ansible-core-<version>.txt each)."""
    tested = sorted(tuple(int(part) for part in re.search(r'ansible-core-(\d+)\.(\d+)\.txt$', path).groups())
                    for path in glob.glob(os.path.join(ROOT, 'tests', 'matrix', 'ansible-core-*.txt')))
    assert len(tested) >= 2
    assert [version[1] for version in tested] == list(range(tested[0][1], tested[-1][1] + 1))  # no gap
    (major, low), high = tested[0], tested[-1][1]
    with open(os.path.join(ROOT, 'meta', 'runtime.yml')) as handle:
        requires = yaml.safe_load(handle)['requires_ansible']
    assert requires == '>=%d.%d.0,<%d.%d.0' % (major, low, major, high + 1)
    stated = '%d.%d' % (major, low), '%d.%d' % (major, high)
    with open(os.path.join(ROOT, 'README.md')) as handle:
        assert '`%s`' % requires in handle.read()
    with open(os.path.join(ROOT, 'docs', 'getting_started.md')) as handle:
        assert 'ansible-core %s to %s' % stated in ' '.join(handle.read().split())
    with open(os.path.join(ROOT, 'docs', 'awx', 'execution-environment.yml')) as handle:
        assert 'ansible-core>=%s,<%d.%d' % (stated[0], major, high + 1) in handle.read()


FILTERS = sorted(os.path.basename(path)[:-3] for path in glob.glob(os.path.join(ROOT, 'plugins', 'filter', '*.py'))
                 if not os.path.basename(path).startswith('_'))


@pytest.mark.parametrize('name', FILTERS)
def test_filter_documentation_is_its_signature(name):
    """ansible-doc renders every filter, its doc fragments merged in, and its
    options are the function's parameters: the first is _input, a parameter
    without a default is required, and a default is the one documented (a
    list's default of [] is None in Python)."""
    import importlib
    import inspect
    completed = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', 'filter', '--json', 'hwcloud.meeting.' + name],
                               env=ansible_env(), capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    doc = json.loads(completed.stdout)['hwcloud.meeting.' + name]['doc']
    function = getattr(importlib.import_module('ansible_collections.hwcloud.meeting.plugins.filter.' + name), name)
    parameters = list(inspect.signature(function).parameters.values())
    assert sorted(doc['options']) == sorted(['_input'] + [parameter.name for parameter in parameters[1:]])
    assert doc['options']['_input'].get('required')
    for parameter in parameters[1:]:
        option = doc['options'][parameter.name]
        if parameter.default is inspect.Parameter.empty:
            assert option.get('required'), (name, parameter.name)
        else:  # None stands for an empty list in Python (no mutable default)
            documented = option.get('default')
            assert not option.get('required'), (name, parameter.name)
            assert documented == parameter.default or (parameter.default is None and documented == []), \
                (name, parameter.name, documented)
