# The outputs README.md and docs/ quote that no other test keeps: a few
# cheap runs against the simulator with the demo meetings, kept with
# conftest.keep_output for tests/docs (which checks every quoted line against
# them). Each run also asserts what the pages say of it, so a page and the
# product cannot part unseen. Sources: messages (the failures and warnings of
# troubleshooting.md, authentication.md, realtime_state.md, runbooks.md),
# results (meeting_info's result as YAML), gateway (the rate limit), inventory
# (an inventory source that fails, with and without enable_plugins), adhoc
# (what ansible-core prints of a failed ad-hoc task) and sim (make sim).
import json
import os
import re
import signal
import socket
import subprocess
import sys

import requests
from ansible.release import __version__ as ANSIBLE_CORE
from hwmeeting_sim import DEMO_MEETINGS, Simulator

from .conftest import BIN, ROOT, ansible_env, keep_output, run_playbook

KEYNOTE, BOARD, WEBINAR, TOWNHALL = '914044873', '914083136', '914047751', '914055512'
PASSWORDS = {KEYNOTE: '118822', BOARD: '227711', WEBINAR: '556677', TOWNHALL: '665544'}
APP = dict(app_id='demo-app-id', app_key='demo-app-key-not-secret', user_id='demo-user')
PUSH_PATH = '/cms/open/websocket/confctl/increment/conn'
REALTIME_PATH = '/v1/mmc/control/conferences/realTimeInfo'
TOKEN_PATH = '/v1/mmc/control/conferences/token'

# A host per meeting, as the runbooks have them.
INVENTORY = {'meetings': {'hosts': {
    'keynote': {'conference_id': KEYNOTE}, 'board': {'conference_id': BOARD},
    'webinar': {'conference_id': WEBINAR}, 'townhall': {'conference_id': TOWNHALL},
}, 'vars': {'ansible_connection': 'local'}}}


def folded(text):
    return ' '.join(text.split())


def play(tmp_path, sim, name, tasks, *args, env=None):
    """Run ``tasks`` (each ``(host, YAML text)``), a play for each run of
    tasks of one host, in order, with the simulator in module_defaults; the
    caller keeps the output."""
    inventory = tmp_path / 'inventory.yml'
    inventory.write_text(json.dumps(INVENTORY))
    plays = []
    for host, text in tasks:
        if not plays or plays[-1][0] != host:
            plays.append((host, []))
        plays[-1][1].append(text)
    playbook = tmp_path / ('%s.yml' % name)
    playbook.write_text(''.join(PLAY % (host, '\n'.join(texts)) for host, texts in plays))
    return run_playbook(str(playbook), sim, '-i', str(inventory), *args, env=env)


PLAY = '''
- name: The outputs the pages quote
  hosts: %s
  gather_facts: false
  module_defaults:
    group/hwcloud.meeting.meeting:
      api_url: "{{ sim_url }}"
      conference_id: "{{ conference_id }}"
  tasks:
%s
'''


def fault(host, **spec):
    """A task that makes the simulator answer the next call of a path with a
    fault (its admin interface)."""
    return host, '''
    - name: "(the simulator: a fault on %s)"
      ansible.builtin.uri:
        url: "{{ sim_url }}/_sim/faults"
        method: POST
        body_format: json
        body: %s
        status_code: 201
''' % (spec['path'], json.dumps(spec))


def simulator_settings(host, **settings):
    return host, '''
    - name: "(the simulator: %s)"
      ansible.builtin.uri:
        url: "{{ sim_url }}/_sim/config"
        method: POST
        body_format: json
        body: %s
''' % (', '.join(sorted(settings)), json.dumps(settings))


CLEAR_FAULTS = 'keynote', '''
    - name: "(the simulator: no fault left)"
      ansible.builtin.uri:
        url: "{{ sim_url }}/_sim/faults"
        method: DELETE
'''


def task(name, host, module, arguments, **keywords):
    """``(host, a task of that meeting that may fail)``: the pages quote its
    failure."""
    body = {'name': name, 'hwcloud.meeting.' + module: arguments, 'ignore_errors': True}
    body.update(keywords)
    return host, '    - ' + json.dumps(body)  # JSON is YAML


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def shadow(directory, package):
    """A directory with a ``package`` that cannot be imported: on PYTHONPATH,
    it hides the installed one from a module process."""
    path = directory / ('shadow_%s' % package) / package
    path.mkdir(parents=True)
    (path / '__init__.py').write_text('raise ImportError("not here: %s")\n' % package)
    return str(path.parent)


def test_messages(tmp_path):
    """The failures and warnings troubleshooting.md, authentication.md,
    realtime_state.md and runbooks.md quote: the keynote in progress, the
    board not activated yet, the webinar ended, a town hall with two Alexes."""
    wrapper = tmp_path / 'python3'  # another path to this Python: the task runs as a module process
    wrapper.write_text('#!/bin/sh\nexec %s "$@"\n' % sys.executable)
    wrapper.chmod(0o755)
    open_cache = tmp_path / 'open-cache'
    open_cache.mkdir()
    open_cache.chmod(0o755)
    keynote = dict(host_password=PASSWORDS[KEYNOTE])
    tasks = [
        task('Log in with an App ID whose authentication expired', 'keynote', 'meeting_activate', APP),
        task('Log in with a wrong App key', 'keynote', 'meeting_activate', dict(APP, app_key='not-the-app-key')),
        task('Log in with a wrong account password', 'keynote', 'meeting_activate',
             dict(account='demo@example.com', account_password='not-the-password')),
        task('Use an access token the service rejects', 'keynote', 'meeting_activate',
             dict(access_token='not-an-access-token')),
        task('Activate without a login', 'keynote', 'meeting_activate', {}),
        task('Control without a host password or a login', 'keynote', 'meeting_record', dict(state='started')),
        task('Read the host password with a login that may not', 'keynote', 'meeting_record',
             dict(state='started', account='demo@example.com', account_password='demo-account-password-not-secret')),
        task('A wrong host password', 'keynote', 'meeting_record', dict(state='started', host_password='wrong-pw')),
        task('A control token the service rejects', 'keynote', 'meeting_live',
             dict(state='started', conference_token='not-a-control-token')),
        task('Start recording in a meeting not activated yet', 'board', 'meeting_record',
             dict(state='started', host_password=PASSWORDS[BOARD])),
        task('Stop cloud recording', 'board', 'meeting_record', dict(state='stopped', host_password=PASSWORDS[BOARD])),
        task('Stop the live stream', 'board', 'meeting_live', dict(state='stopped', host_password=PASSWORDS[BOARD])),
        task('Cancel the broadcast', 'board', 'meeting_broadcast',
             dict(state='absent', host_password=PASSWORDS[BOARD])),
        task('Read a meeting not activated yet', 'board', 'meeting_info', dict(host_password=PASSWORDS[BOARD])),
        task('Activate an ended meeting', 'webinar', 'meeting_activate', APP),
        task('Stop recording in an ended meeting', 'webinar', 'meeting_record',
             dict(state='stopped', host_password=PASSWORDS[WEBINAR])),
        task('Read an ended meeting', 'webinar', 'meeting_info', dict(host_password=PASSWORDS[WEBINAR])),
        task('A meeting ID that does not exist, with a login', 'keynote', 'meeting_info',
             dict(APP, conference_id='999999999')),
        task('A meeting ID that does not exist, with a host password', 'keynote', 'meeting_info',
             dict(conference_id='999999999', host_password=PASSWORDS[KEYNOTE])),
        task('Activate with a password the service takes as empty', 'board', 'meeting_activate',
             dict(APP, host_password=PASSWORDS[BOARD])),
        task('Start recording in a locked meeting', 'keynote', 'meeting_record', dict(keynote, state='started')),
        task('Broadcast a name nobody has', 'keynote', 'meeting_broadcast',
             dict(keynote, participant='Keynote Speakr')),
        task('Broadcast a name two people have', 'townhall', 'meeting_broadcast',
             dict(host_password=PASSWORDS[TOWNHALL], participant='Alex')),
        fault('keynote', path=PUSH_PATH, status=403, count=2, body='<html><title>Blocked by policy</title></html>'),
        task('Start recording with the push blocked', 'keynote', 'meeting_record',
             dict(keynote, state='started', wait=True)),
        CLEAR_FAULTS,
        simulator_settings('keynote', state_change_delay=30),
        task('Stop recording, and the change is slow to show', 'keynote', 'meeting_record',
             dict(keynote, state='stopped', wait=True, wait_timeout=2)),
        simulator_settings('keynote', state_change_delay=0),
        fault('keynote', path=REALTIME_PATH, delay=3),
        task('A service slower than the timeout', 'keynote', 'meeting_live',
             dict(keynote, state='started', timeout=1, retries=0)),
        task('A service that cannot be reached', 'keynote', 'meeting_live',
             dict(keynote, state='started', retries=0, api_url='http://127.0.0.1:{{ closed_port }}')),
        fault('keynote', path=REALTIME_PATH, status=403, body='<html><head><title>403 Forbidden</title></head></html>'),
        task('A proxy answers with its own page', 'keynote', 'meeting_live', dict(keynote, state='started', retries=0)),
        fault('keynote', path=REALTIME_PATH, status=502, body=''),
        task('A proxy answers with nothing', 'keynote', 'meeting_live', dict(keynote, state='started', retries=0)),
        task('Several options wrong', 'keynote', 'meeting_info',
             dict(keynote, conference_id='9140-44873', api_url='api.example.com', timeout=0)),
        task('A Python without requests', 'keynote', 'meeting_info', keynote,
             vars={'ansible_python_interpreter': str(wrapper)},
             environment={'PYTHONPATH': shadow(tmp_path, 'requests')}),
        task('A Python without websocket-client', 'keynote', 'meeting_info', keynote,
             vars={'ansible_python_interpreter': str(wrapper)},
             environment={'PYTHONPATH': shadow(tmp_path, 'websocket')}),
        task('A token cache directory others may read', 'keynote', 'meeting_info', keynote,
             environment={'HWMEETING_TOKEN_CACHE_DIR': str(open_cache)}),
    ]
    with Simulator(meetings_file=DEMO_MEETINGS) as sim:
        # The first call of each of these paths in the run is the task that
        # quotes the fault (the ones before it fail earlier, or call nothing).
        sim.inject_fault('/v2/usg/acs/auth/appauth', status=401, error_code='USG.206010057')
        sim.inject_fault('/v1/mmc/management/conferences/start', status=400, error_code='MMC.111070009')
        sim.inject_fault('/v1/mmc/control/conferences/record', status=400, error_code='MMC.111072050')
        sim.set_meeting(KEYNOTE, state='Created')
        sim.set_meeting(WEBINAR, state='Destroyed')
        sim.add_meeting(id=TOWNHALL, subject='Town Hall', owner='demo-user', host_password=PASSWORDS[TOWNHALL],
                        state='Created', participants=[
                            dict(pid='c0a8000116f111eea1b2000000000021', name='Alex', phone='+99111000021'),
                            dict(pid='c0a8000116f111eea1b2000000000022', name='Alex', phone='+99111000022'),
                            dict(pid='c0a8000116f111eea1b2000000000023', name='Host', phone='+99111000023')])
        run = play(tmp_path, sim, 'messages', tasks, '-v', '-e', 'closed_port=%d' % closed_port())
        keep_output('messages', 'messages', run.out)
        assert run.rc == 0, run
        text = folded(run.out)
        for words in (
                'error USG.206010057', 'error USG.206010025', 'error USG.206010000', 'the access token was rejected',
                'no login credentials', 'give host_password', 'this login may not read them', 'MMC.111072065',
                'the control token (conference_token) was rejected', 'MMC.111070005', 'already stopped: the meeting '
                'is not in progress', 'already cancelled: the meeting is not in progress',
                'Meeting 914083136 is not in progress', 'MMC.111072006', 'is not in progress (it has ended)',
                'Meeting 999999999 does not exist', 'MMC.111070009', 'MMC.111072050', 'nobody in the meeting matches',
                '2 participants match', 'refused the connection: HTTP 403 Forbidden, an HTML page',
                'It does not wait for it either.', 'was not stopped within 2 seconds', 'no answer from',
                'could not connect to', 'an HTML page, probably from a proxy', 'an empty body',
                "conference_id must be the meeting ID, digits only (got '9140-44873')",
                'Failed to import the required Python library (requests)',
                'Failed to import the required Python library (websocket-client)',
                'is not private to its owner (mode 755)'):
            assert words in text, words
        assert 'InsecureRequestWarning' not in text and 'Traceback' not in text
        assert sim.meeting(BOARD)['state'] == 'Schedule'  # the activation the fault answered did nothing


def test_results(tmp_path):
    """meeting_info's result as YAML (the result format a page shows): the
    demo keynote after event_start, the board not activated yet."""
    with Simulator(meetings_file=DEMO_MEETINGS) as sim:
        sim.set_meeting(KEYNOTE, state='Created', recording=True, live=True, mode='BROADCAST',
                        broadcast_pid='c0a8000116f111eea1b2000000000002')
        tasks = [task('Read the realtime state', host, 'meeting_info', dict(host_password=PASSWORDS[meeting]))
                 for host, meeting in (('keynote', KEYNOTE), ('board', BOARD))]
        run = play(tmp_path, sim, 'results', tasks, '-v', env={'ANSIBLE_CALLBACK_RESULT_FORMAT': 'yaml'})
        keep_output('results', 'results', run.out)
        assert run.rc == 0, run
        text = folded(run.out)
        # the simulator streams live, but the vendor publishes no live state: unknown
        assert 'live: null' in text and 'live: true' not in text
        assert 'msg: Meeting 914044873 is in progress' in text and 'msg: Meeting 914083136 is not in progress' in text


def test_the_gateways_rate_limit(tmp_path):
    """gateway_waits with -v, when the window is full; and the one sentence
    of a call that would wait longer than rate_limit_wait."""
    # A deployment whose realTimeInfo reports the state, a recording that
    # shows 3 s after the call, and 2 calls of an API every 6 s: the task's
    # wait reads realTimeInfo again, and its third read waits for the window.
    with Simulator(meetings_file=DEMO_MEETINGS, api_rate_limit=2, api_rate_window=6, confinfo_state=True,
                   state_change_delay=3) as sim:
        sim.set_meeting(KEYNOTE, state='Created')
        tasks = [task('Start cloud recording', 'keynote', 'meeting_record',
                      dict(host_password=PASSWORDS[KEYNOTE], state='started', wait=True, state_source='realtime'))]
        run = play(tmp_path, sim, 'waits', tasks, '-v')
        keep_output('gateway', 'waits', run.out)
        assert run.rc == 0 and 'failed=0' in run.out, run
        assert re.search(r'"gateway_waits": \["waited \d+\.\d s for the gateway: GET '
                         r'/v1/mmc/control/conferences/realTimeInfo, 2 calls every 6 seconds, window full '
                         r'\(meeting 914044873\)"\]', run.out), run
        assert sim.meeting(KEYNOTE)['recording'] is True
    with Simulator(meetings_file=DEMO_MEETINGS, api_rate_limit=100) as sim:
        sim.set_meeting(KEYNOTE, state='Created')
        # Others (the same caller for the gateway) used the minute's 100 calls of realTimeInfo.
        with requests.Session() as session:
            token = session.get(sim.url + TOKEN_PATH, params={'conferenceID': KEYNOTE}, timeout=10,
                                headers={'X-Password': PASSWORDS[KEYNOTE], 'X-Login-Type': '1'}).json()['data']['token']
            for _call in range(100):
                answer = session.get(sim.url + REALTIME_PATH, params={'conferenceID': KEYNOTE}, timeout=10,
                                     headers={'X-Conference-Authorization': token})
                assert answer.status_code == 200
        tasks = [task('Start the live stream', 'keynote', 'meeting_live',
                      dict(host_password=PASSWORDS[KEYNOTE], state='started', rate_limit_wait=5))]
        run = play(tmp_path, sim, 'too_long', tasks)
        keep_output('gateway', 'too_long', run.out)
        assert run.rc == 0, run
        assert ('Could not read the realtime state for meeting 914044873: the gateway allows 100 calls of GET '
                '/v1/mmc/control/conferences/realTimeInfo a minute for this login, and the window would not reopen '
                'within rate_limit_wait (5 s): run fewer meetings at once (forks, serial, job slices) or raise '
                'rate_limit_wait') in run.out, run
        assert '"error_code": "APIG.0308"' in run.out and '"status": 429' in run.out
        assert sim.meeting(KEYNOTE)['live'] is False


def inventory_run(path, *args, env=None):
    completed = subprocess.run([os.path.join(BIN, 'ansible-inventory'), '-i', path, '--list'] + list(args),
                               env=ansible_env(env), capture_output=True, text=True, check=False, timeout=120,
                               cwd=os.path.dirname(path))
    return completed.stdout + completed.stderr, completed.returncode


def test_an_inventory_source_that_fails(tmp_path):
    """ansible-core tries its yaml and ini plugins on the file too, and says
    how they failed, unless enable_plugins names only ours."""
    path = tmp_path / 'meetings.hwcloud_meeting.yml'
    path.write_text('plugin: hwcloud.meeting.meetings\napi_url: meeting.example.com\n')
    ours = ("Invalid options for the hwcloud.meeting.meetings inventory: api_url must be an http:// or https:// "
            "URL, such as https://api.meeting.huaweicloud.com (got 'meeting.example.com')")
    unparsed = {'ANSIBLE_INVENTORY_UNPARSED_FAILED': 'true', 'ANSIBLE_INVENTORY_UNPARSED_WARNING': 'true'}
    every_plugin, code = inventory_run(str(path), env=unparsed)
    keep_output('inventory', 'every_plugin', every_plugin)
    assert code != 0 and ours in folded(every_plugin)
    assert "with 'yaml' plugin" in every_plugin and "with 'ini' plugin" in every_plugin
    only_ours, code = inventory_run(str(path), env=dict(unparsed, ANSIBLE_INVENTORY_ENABLED='hwcloud.meeting.meetings'))
    keep_output('inventory', 'only_ours', only_ours)
    assert code != 0 and ours in folded(only_ours)
    assert "'yaml' plugin" not in only_ours and "'ini' plugin" not in only_ours


def test_a_failed_ad_hoc_task_shows_its_arguments(tmp_path):
    """ansible-core 2.19 prints a failed ad-hoc task's argument text in its
    error (Origin): a host password given on the command line shows there,
    whatever no_log says. The result itself is masked as always."""
    with Simulator(meetings_file=DEMO_MEETINGS) as sim:
        command = [os.path.join(BIN, 'ansible'), 'localhost', '-i', 'localhost,', '-c', 'local', '-m',
                   'hwcloud.meeting.meeting_record', '-a',
                   'host_password=not-the-host-password conference_id=914044873 state=started api_url=%s' % sim.url]
        completed = subprocess.run(command, env=ansible_env(), capture_output=True, text=True, check=False,
                                   timeout=120, cwd=str(tmp_path))
        out = completed.stdout + completed.stderr
        keep_output('adhoc', 'adhoc', out)
        assert completed.returncode != 0 and 'MMC.111072065' in out
        if ANSIBLE_CORE.startswith('2.19.'):
            assert "'host_password': 'not-the-host-password'" in out


def test_make_sim_prints_the_exports(tmp_path):
    """make sim: the simulator, and the lines to paste into another shell;
    the inventory of the demo works with them."""
    process = subprocess.Popen([sys.executable, os.path.join(ROOT, 'tests', 'demo', 'sim.py')], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith('Ctrl-C stops'):
                break
        exports = dict(re.findall(r'^export (HWMEETING_\w+)=(.*)$', ''.join(lines), re.MULTILINE))
        completed = subprocess.run([os.path.join(BIN, 'ansible-inventory'), '-i',
                                    'tests/demo/meetings.hwcloud_meeting.yml', '--graph'], env=ansible_env(exports),
                                   capture_output=True, text=True, check=False, timeout=120, cwd=ROOT)
    finally:
        process.send_signal(signal.SIGTERM)
        rest = process.communicate(timeout=30)[0]
    keep_output('sim', 'make_sim', ''.join(lines) + rest)
    assert process.returncode == 0 and 'hwmeeting-sim stopped' in rest
    assert sorted(exports) == ['HWMEETING_API_URL', 'HWMEETING_APP_ID', 'HWMEETING_APP_KEY', 'HWMEETING_USER_ID']
    assert completed.returncode == 0 and 'product_keynote' in completed.stdout, completed.stderr
