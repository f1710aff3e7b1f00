# HTTP calls per task, counted from the simulator's call log: the floor the
# performance issue sets. Each case runs one task with ansible-playbook,
# once with an empty token cache ("cold") and once after another task of the
# same run left its tokens there ("warm").
import pytest

from .conftest import run_task

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


def calls_of(sim):
    return ['%s %s' % (call['method'], call['path']) for call in sim.calls]


def warm_up(sim, tmp_path, module):
    """Another task of the run: leaves an access or control token in the cache."""
    if module == 'meeting_activate':
        _run, result = run_task(sim, tmp_path, 'meeting_activate',
                                dict(APP, conference_id=KEYNOTE, host_password='it-host-pw-900001'))
    else:
        _run, result = run_task(sim, tmp_path, 'meeting_info', CONTROL)
    assert not result.get('failed'), result
    sim.clear_calls()


@pytest.mark.parametrize('warm', [False, True], ids=['cold', 'warm'])
@pytest.mark.parametrize('case', sorted(CASES))
def test_calls_per_task(sim, tmp_path, case, warm):
    module, arguments, expected = CASES[case]
    if warm:
        warm_up(sim, tmp_path, module)
    else:
        expected = [LOGIN if module == 'meeting_activate' else TOKEN] + expected
    _run, result = run_task(sim, tmp_path, module, arguments)
    assert not result.get('failed'), result
    assert calls_of(sim) == expected
