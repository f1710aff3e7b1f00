# A mistyped meeting ID fails in one sentence that names it and says to check
# conference_id, with a login or without one, in every module (and in a dry
# run of the activation): never "not in progress", never "activate it".
import pytest

from .conftest import run_task

UNKNOWN = '999999999'
APP = dict(app_id='it-app-id', app_key='it-app-key-4f9c2a81', user_id='it-user')
MODULES = {
    'meeting_activate': {},
    'meeting_record': dict(state='stopped'),
    'meeting_live': dict(state='stopped'),
    'meeting_broadcast': dict(state='absent'),
    'meeting_info': {},
}


# meeting_activate always logs in: it has no case of a host password alone.
CASES = [(module, credentials) for module in sorted(MODULES)
         for credentials in ('login', 'host password', 'login and host password', 'dry run')
         if not (module == 'meeting_activate' and credentials == 'host password')]


@pytest.mark.parametrize('module, credentials', CASES)
def test_a_meeting_that_does_not_exist_fails_clearly(sim, tmp_path, module, credentials):
    arguments = dict(MODULES[module], conference_id=UNKNOWN)
    if 'login' in credentials or credentials == 'dry run' or module == 'meeting_activate':
        arguments.update(APP)
    if 'host password' in credentials:
        arguments['host_password'] = 'it-host-pw-900001'
    task = {'check_mode': True} if credentials == 'dry run' else None
    _run, result = run_task(sim, tmp_path, module, arguments, task=task)
    assert result.get('failed') is True, result
    assert UNKNOWN in result['msg'] and 'check conference_id' in result['msg'], result['msg']
    assert 'activate it' not in result['msg'] and 'not in progress' not in result['msg']
    assert sim.meeting('900000001')['state'] == 'Created'  # nothing else was touched
