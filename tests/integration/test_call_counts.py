# HTTP calls per task, counted from the simulator's call log: the floor the
# performance issue sets. Each case runs one task with ansible-playbook,
# once with an empty token cache ("cold") and once after another task of the
# same run left its tokens there ("warm").
import os

import pytest
import yaml

from .conftest import run_playbook

KEYNOTE, WEBINAR = '900000001', '900000002'
REALTIME = 'GET /v1/mmc/control/conferences/realTimeInfo'
TOKEN = 'GET /v1/mmc/control/conferences/token'
ONLINE = 'GET /v1/mmc/management/conferences/online/confDetail'
LOGIN = 'POST /v2/usg/acs/auth/appauth'
START = 'POST /v1/mmc/management/conferences/start'
RECORD = 'PUT /v1/mmc/control/conferences/record'
LIVE = 'PUT /v1/mmc/control/conferences/live'
BROADCAST = 'PUT /v1/mmc/control/conferences/participants/broadcast'
CONTROL = dict(conference_id=KEYNOTE, host_password='it-host-pw-900001')
APP = dict(app_id='it-app-id', app_key='it-app-key-4f9c2a81', user_id='it-user')

# name: (module, arguments, calls with a cached token); a cold cache adds the
# token call (control modules) or the login (meeting_activate) first.
CASES = {
    'record no-op': ('meeting_record', dict(CONTROL, state='stopped'), [REALTIME]),
    'record change': ('meeting_record', dict(CONTROL, state='started'), [REALTIME, RECORD]),
    'record change and wait': ('meeting_record', dict(CONTROL, state='started', wait=True),
                               [REALTIME, RECORD, REALTIME]),
    'live no-op': ('meeting_live', dict(CONTROL, state='stopped'), [REALTIME]),
    'live change': ('meeting_live', dict(CONTROL, state='started'), [REALTIME, LIVE]),
    'broadcast no-op': ('meeting_broadcast', dict(CONTROL, state='absent'), [REALTIME]),
    'broadcast change': ('meeting_broadcast', dict(CONTROL, participant='Keynote Speaker'), [REALTIME, BROADCAST]),
    'info': ('meeting_info', CONTROL, [REALTIME]),
    'activate no-op': ('meeting_activate', dict(APP, conference_id=KEYNOTE, host_password='it-host-pw-900001'),
                       [ONLINE]),
    'activate change': ('meeting_activate', dict(APP, conference_id=WEBINAR, host_password='it-host-pw-900002'),
                        [ONLINE, START]),
}


def task_playbook(tmp_path, name, module, arguments):
    path = os.path.join(str(tmp_path), name.replace(' ', '_') + '.yml')
    play = [{'name': name, 'hosts': 'localhost', 'gather_facts': False,
             'tasks': [{'name': name, 'hwcloud.meeting.' + module: dict(arguments, api_url='{{ sim_url }}'),
                        'register': 'result'},
                       {'name': 'It did what was asked', 'ansible.builtin.assert': {'that': ['result is not failed']}}]}]
    with open(path, 'w') as handle:
        yaml.safe_dump(play, handle)
    return path


def calls_of(sim):
    return ['%s %s' % (call['method'], call['path']) for call in sim.calls]


def warm_up(sim, tmp_path, module):
    """Another task of the run: leaves an access or control token in the cache."""
    if module == 'meeting_activate':
        primer = task_playbook(tmp_path, 'log in', 'meeting_activate',
                               dict(APP, conference_id=KEYNOTE, host_password='it-host-pw-900001'))
    else:
        primer = task_playbook(tmp_path, 'read', 'meeting_info', CONTROL)
    assert run_playbook(primer, sim).rc == 0
    sim.clear_calls()


@pytest.mark.parametrize('warm', [False, True], ids=['cold', 'warm'])
@pytest.mark.parametrize('case', sorted(CASES))
def test_calls_per_task(sim, tmp_path, case, warm):
    module, arguments, expected = CASES[case]
    if warm:
        warm_up(sim, tmp_path, module)
    else:
        expected = [LOGIN if module == 'meeting_activate' else TOKEN] + expected
    run = run_playbook(task_playbook(tmp_path, case, module, arguments), sim)
    assert run.rc == 0, run
    assert calls_of(sim) == expected
