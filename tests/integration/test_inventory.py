# The inventory plugin hwcloud.meeting.meetings, through ansible-inventory
# (--list, --graph) and ansible-playbook against the simulator: paging over
# several pages, filters, host names, constructed groups, the cache, errors,
# and no secret anywhere in the output at -vvv. Then the modules without any
# host password: the login reads it from the meeting's details.
import json
import os
import re
import subprocess

import pytest
from hwmeeting_sim import Simulator

from .conftest import BIN, ROOT, ansible_env, run_task

LIST = '/v1/mmc/management/conferences'
ONLINE = '/v1/mmc/management/conferences/online'
DETAILS = '/v1/mmc/management/conferences/confDetail'
TOKEN = '/v1/mmc/control/conferences/token'

APP = dict(app_id='inv-app', app_key='inv-app-key-5e7d1c', user_id='inv-user')
ADMIN = dict(account='inv-admin@example.com', account_password='inv-admin-pw-6b2f')
OTHER = dict(account='inv-other@example.com', account_password='inv-other-pw-0c4a')


def meeting(number, subject, start, state='Schedule', owner='inv-user', **extra):
    return dict(id='7000000%02d' % number, subject=subject, host_password='inv-host-pw-%02d' % number,
                guest_password='inv-guest-pw-%02d' % number, owner=owner, state=state, start_time=start, **extra)


# Nine meetings the app's user scheduled (three pages of three), one of
# another user, one ended. Times are relative to the simulator's start.
CONFIG = {
    'apps': [dict(APP)],
    'accounts': [dict(account=ADMIN['account'], password=ADMIN['account_password'], admin=True),
                 dict(account=OTHER['account'], password=OTHER['account_password'])],
    'meetings': [
        meeting(1, 'Product Keynote', 'now-30m', state='Created'),
        meeting(2, 'Customer Webinar: EMEA', 'now+1h'),
        meeting(3, 'Customer Webinar: APAC', 'now+3h'),
        meeting(4, 'Weekly Sync', 'now+2h'),
        meeting(5, 'Weekly Sync', 'now+26h'),              # the same subject: both named by ID
        meeting(6, '!!!', 'now+4h'),                       # nothing safe left: named by ID
        meeting(7, 'Board Meeting', 'now-10m', state='Created'),
        meeting(8, 'Town Hall', 'now+30h'),
        meeting(9, 'Launch Rehearsal', 'now+5h'),
        meeting(10, "Someone else's", 'now+1h', owner='someone-else'),
        meeting(11, 'Over', 'now-3h', state='Destroyed'),
    ],
}
MINE = ['7000000%02d' % number for number in range(1, 10)]
SECRETS = [APP['app_key'], ADMIN['account_password'], OTHER['account_password']] + \
    [value for item in CONFIG['meetings'] for value in (item['host_password'], item['guest_password'])]


@pytest.fixture
def inv_sim():
    with Simulator(config=CONFIG) as simulator:
        yield simulator


def credential_env(sim, login=None, **extra):
    """The login in HWMEETING_* variables, as an AWX credential injects it;
    unset fields empty, as AWX renders them."""
    login = APP if login is None else login
    env = {'HWMEETING_API_URL': sim.url, 'HWMEETING_VALIDATE_CERTS': '', 'HWMEETING_CA_PATH': '',
           'ANSIBLE_INVENTORY_UNPARSED_FAILED': 'true'}
    env.update(('HWMEETING_%s' % key.upper(), value) for key, value in login.items())
    env.update(extra)
    return env


def source(tmp_path, name='meetings', **options):
    path = tmp_path / ('%s.hwcloud_meeting.yml' % name)
    options = dict({'plugin': 'hwcloud.meeting.meetings', 'page_size': 3}, **options)
    path.write_text(json.dumps(options))  # JSON is YAML
    return str(path)


def inventory(sim, path, *args, env=None):
    completed = subprocess.run([os.path.join(BIN, 'ansible-inventory'), '-i', path] + list(args),
                               env=ansible_env(credential_env(sim) if env is None else env),
                               capture_output=True, text=True, check=False, timeout=300, cwd=ROOT)
    return completed


def listed(sim, path, *args, env=None):
    completed = inventory(sim, path, '--list', *args, env=env)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert_no_secret(completed.stdout + completed.stderr, sim)
    start = 0 if completed.stdout.startswith('{') else completed.stdout.index('\n{') + 1  # after -vvv lines
    return json.loads(completed.stdout[start:])


def assert_no_secret(text, sim):
    for secret in SECRETS + list(sim.issued_tokens()):
        assert secret not in text, 'a secret reached the output'


def plain(value):
    """ansible-inventory's JSON without its {"__ansible_unsafe": value} marks
    (ansible-core 2.19 marks text that came from the service as untrusted)."""
    if isinstance(value, dict):
        if set(value) == {'__ansible_unsafe'}:
            return value['__ansible_unsafe']
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def hostvars(data):
    return {name: plain(variables) for name, variables in data['_meta']['hostvars'].items()}


def served(sim, path):
    return [call for call in sim.calls if call['path'] == path]


# --- the list, its pages, the host variables ---------------------------------------------

def test_list_follows_every_page_and_names_hosts_from_subjects(inv_sim, tmp_path):
    data = listed(inv_sim, source(tmp_path), '-vvv')
    hosts = hostvars(data)
    assert sorted(variables['conference_id'] for variables in hosts.values()) == MINE
    assert sorted(hosts) == sorted(['product_keynote', 'customer_webinar_emea', 'customer_webinar_apac',
                                    '700000004', '700000005', '700000006', 'board_meeting', 'town_hall',
                                    'launch_rehearsal'])
    assert sorted(data['meetings']['hosts']) == sorted(hosts)
    keynote = hosts['product_keynote']
    assert set(keynote) == {'conference_id', 'subject', 'start_time', 'end_time', 'conference_state', 'in_progress'}
    assert keynote['subject'] == 'Product Keynote' and keynote['conference_state'] == 'Created'
    assert keynote['in_progress'] is True and hosts['town_hall']['in_progress'] is False
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:00Z$', keynote['start_time'])
    assert keynote['end_time'] > keynote['start_time']
    # three full pages and the end of the list: offsets 0, 3, 6 (9 meetings, count 9)
    pages = served(inv_sim, LIST)
    assert [call['query']['offset'] for call in pages] == ['0', '3', '6'], pages
    assert all(call['query']['limit'] == '3' and call['query']['queryAll'] == 'true' for call in pages)
    assert served(inv_sim, DETAILS) == []  # the inventory never reads a meeting's details


def test_an_admin_sees_every_meeting_of_the_enterprise(inv_sim, tmp_path):
    data = listed(inv_sim, source(tmp_path, page_size=4), env=credential_env(inv_sim, ADMIN))
    ids = sorted(variables['conference_id'] for variables in hostvars(data).values())
    assert ids == sorted(MINE + ['700000010'])  # not the ended one
    assert len(served(inv_sim, LIST)) == 3      # 10 meetings, pages of 4


def graph_groups(graph):
    """{group: [hosts]} from ansible-inventory --graph."""
    groups, current = {}, None
    for line in graph.splitlines():
        group = re.match(r'^  \|--@(\w+):$', line)
        host = re.match(r'^  \|  \|--([^@]\S*)$', line)
        if group:
            current = groups.setdefault(group.group(1), [])
        elif host and current is not None:
            current.append(host.group(1))
    return groups


def test_graph_with_constructed_groups_and_compose(inv_sim, tmp_path):
    path = source(tmp_path, keyed_groups=[{'key': 'conference_state | lower', 'prefix': 'state'}],
                  groups={'webinars': "'webinar' in subject | lower"},
                  compose={'keynote_speaker': "'Keynote Speaker' if 'keynote' in subject | lower else ''"})
    completed = inventory(inv_sim, path, '--graph')
    assert completed.returncode == 0, completed.stderr
    groups = graph_groups(completed.stdout)
    assert sorted(groups['webinars']) == ['customer_webinar_apac', 'customer_webinar_emea']
    assert sorted(groups['state_created']) == ['board_meeting', 'product_keynote']
    assert len(groups['state_schedule']) == 7 and len(groups['meetings']) == 9
    hosts = hostvars(listed(inv_sim, path))
    assert hosts['product_keynote']['keynote_speaker'] == 'Keynote Speaker'
    assert hosts['town_hall']['keynote_speaker'] == ''


def test_hostname_template_and_no_group(inv_sim, tmp_path):
    data = listed(inv_sim, source(tmp_path, hostname="'m' ~ conference_id[-3:]", group=''))
    assert sorted(hostvars(data)) == ['m%03d' % number for number in range(1, 10)]
    assert 'meetings' not in data


# --- filters ---------------------------------------------------------------------------------

def test_search_in_the_subject(inv_sim, tmp_path):
    hosts = hostvars(listed(inv_sim, source(tmp_path, search='WEBINAR')))
    assert sorted(hosts) == ['customer_webinar_apac', 'customer_webinar_emea']
    assert all(call['query']['searchKey'] == 'WEBINAR' for call in served(inv_sim, LIST))


def test_in_progress_only(inv_sim, tmp_path):
    hosts = hostvars(listed(inv_sim, source(tmp_path, in_progress=True)))
    assert sorted(hosts) == ['board_meeting', 'product_keynote']
    assert served(inv_sim, LIST) == [] and len(served(inv_sim, ONLINE)) == 1


def test_starting_within_hours(inv_sim, tmp_path):
    hosts = hostvars(listed(inv_sim, source(tmp_path, starting_within=3.5)))
    # running ones, and those starting in 1, 2 and 3 hours; not 4, 5, 26, 30 hours
    assert sorted(hosts) == sorted(['product_keynote', 'board_meeting', 'customer_webinar_emea',
                                    'customer_webinar_apac', 'weekly_sync'])
    # one Weekly Sync left in the window: no clash any more, so it keeps its subject's name
    assert hosts['weekly_sync']['conference_id'] == '700000004'


def test_starting_within_leaves_out_a_meeting_that_has_ended(tmp_path):
    # The list has scheduled meetings whose time is over (nobody started
    # them): not the event's.
    config = {'apps': [dict(APP)], 'meetings': [
        meeting(1, 'Missed Standup', 'now-3h', end_time='now-2h'),
        meeting(2, 'Running Late', 'now-2h', end_time='now+1h'),
        meeting(3, 'Next Session', 'now+1h'),
    ]}
    with Simulator(config=config) as simulator:
        everything = hostvars(listed(simulator, source(tmp_path)))
        assert sorted(everything) == ['missed_standup', 'next_session', 'running_late']
        hosts = hostvars(listed(simulator, source(tmp_path, starting_within=1.5)))
    assert sorted(hosts) == ['next_session', 'running_late']


def test_the_plugin_checks_the_search_itself(inv_sim, tmp_path):
    # Meeting IDs too, in the plugin's own filter (unit tests cover a
    # service that ignores searchKey).
    hosts = hostvars(listed(inv_sim, source(tmp_path, search='00000007')))
    assert sorted(hosts) == ['board_meeting']


# --- TLS ----------------------------------------------------------------------------------------

@pytest.fixture
def tls_inv_sim(tmp_path):
    with Simulator(config=CONFIG, tls=True, cert_dir=str(tmp_path / 'certs')) as simulator:
        yield simulator


def test_certificates_are_verified_when_validate_certs_is_left_unset(tls_inv_sim, tmp_path):
    # HWMEETING_VALIDATE_CERTS empty, as AWX injects an unset field
    completed = inventory(tls_inv_sim, source(tmp_path), '--list')
    assert completed.returncode != 0
    assert 'the TLS certificate of %s could not be verified' % tls_inv_sim.url in completed.stderr
    assert 'set ca_path to the CA bundle that signed it' in completed.stderr
    assert tls_inv_sim.calls == []  # no call got through the handshake


def test_a_ca_bundle_lets_the_inventory_through_without_a_warning(tls_inv_sim, tmp_path):
    completed = inventory(tls_inv_sim, source(tmp_path), '--list',
                          env=credential_env(tls_inv_sim, HWMEETING_CA_PATH=tls_inv_sim.ca_path))
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert len(hostvars(json.loads(completed.stdout))) == 9
    assert 'validate_certs is false' not in completed.stderr


def test_validate_certs_false_lets_the_inventory_through_with_a_warning(tls_inv_sim, tmp_path):
    completed = inventory(tls_inv_sim, source(tmp_path, validate_certs=False), '--list')
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert len(hostvars(json.loads(completed.stdout))) == 9
    assert 'validate_certs is false: the certificate of %s is not checked' % tls_inv_sim.url in \
        ' '.join(completed.stderr.split())


# --- the cache ----------------------------------------------------------------------------

def test_the_cache_spares_the_calls_and_holds_no_secret(inv_sim, tmp_path):
    cache_dir = tmp_path / 'inventory-cache'
    path = source(tmp_path, cache=True, cache_plugin='ansible.builtin.jsonfile', cache_connection=str(cache_dir),
                  cache_timeout=600)
    first = hostvars(listed(inv_sim, path))
    calls = len(inv_sim.calls)
    assert calls >= 4  # a login and three pages
    again = hostvars(listed(inv_sim, path))
    assert again == first and len(inv_sim.calls) == calls  # from the cache: no call at all
    cached = ''.join(entry.read_text() for entry in cache_dir.iterdir())
    assert '700000001' in cached
    assert_no_secret(cached, inv_sim)
    assert 'passwordEntry' not in cached
    listed(inv_sim, path, '--flush-cache')
    assert len(served(inv_sim, LIST)) == 6  # fetched again


def test_a_cache_that_is_off_is_never_written_even_by_a_flush(inv_sim, tmp_path):
    cache_dir = tmp_path / 'inventory-cache'
    path = source(tmp_path, cache=False, cache_plugin='ansible.builtin.jsonfile', cache_connection=str(cache_dir))
    listed(inv_sim, path)
    listed(inv_sim, path, '--flush-cache')
    assert len(served(inv_sim, LIST)) == 6  # each run fetched the list
    assert not cache_dir.exists() or list(cache_dir.iterdir()) == []


def test_a_cache_made_with_other_options_is_not_used(inv_sim, tmp_path):
    cache = dict(cache=True, cache_plugin='ansible.builtin.jsonfile', cache_connection=str(tmp_path / 'c'))
    listed(inv_sim, source(tmp_path, **cache))
    hosts = hostvars(listed(inv_sim, source(tmp_path, in_progress=True, **cache)))
    assert sorted(hosts) == ['board_meeting', 'product_keynote']
    # the entry now holds the list of these options: the next run takes it, with no call
    calls = len(inv_sim.calls)
    assert hostvars(listed(inv_sim, source(tmp_path, in_progress=True, **cache))) == hosts
    assert len(inv_sim.calls) == calls


# --- errors -------------------------------------------------------------------------------

@pytest.mark.parametrize('env_login, options, words', [
    ({}, {}, 'no login credentials: give access_token, or app_id and app_key'),
    ({'HWMEETING_APP_ID': 'inv-app'}, {}, 'app_id is set but app_key is missing'),
    (None, {'api_url': 'meeting.example.com'}, 'api_url must be an http:// or https:// URL'),
    (None, {'page_size': 0}, 'page_size must be 1 to 500'),
    (None, {'page_size': 501}, 'page_size must be 1 to 500 (got 501)'),
    (None, {'starting_within': -1}, 'starting_within must be 0 or more hours'),
    ({'HWMEETING_APP_ID': 'inv-app', 'HWMEETING_APP_KEY': 'inv-wrong-key-3a1f'}, {},
     'USG.206010025'),
    ({'HWMEETING_ACCOUNT': OTHER['account'], 'HWMEETING_ACCOUNT_PASSWORD': 'inv-wrong-pw-77'}, {},
     'wrong account or password'),
])
def test_clear_errors_and_no_secret(inv_sim, tmp_path, env_login, options, words):
    env = credential_env(inv_sim, login={}) if env_login is not None else credential_env(inv_sim)
    env.update(env_login or {})
    completed = inventory(inv_sim, source(tmp_path, **options), '--list', '-vvv', env=env)
    assert completed.returncode != 0
    output = completed.stdout + completed.stderr
    assert words in output, output[-3000:]
    assert 'Traceback' not in output
    assert_no_secret(output, inv_sim)
    for secret in ('inv-wrong-key-3a1f', 'inv-wrong-pw-77'):
        assert secret not in output


def test_input_checks_come_before_any_call(inv_sim, tmp_path):
    completed = inventory(inv_sim, source(tmp_path), '--list', env=credential_env(inv_sim, login={}))
    assert completed.returncode != 0
    assert inv_sim.calls == []


def test_options_in_the_file_beat_the_environment(inv_sim, tmp_path):
    env = credential_env(inv_sim, HWMEETING_API_URL='http://127.0.0.1:9')  # nothing listens there
    hosts = hostvars(listed(inv_sim, source(tmp_path, api_url=inv_sim.url), env=env))
    assert len(hosts) == 9


def test_unparsable_validate_certs_variable_fails_with_words(inv_sim, tmp_path):
    completed = inventory(inv_sim, source(tmp_path), '--list',
                          env=credential_env(inv_sim, HWMEETING_VALIDATE_CERTS='maybe'))
    assert completed.returncode != 0
    assert 'HWMEETING_VALIDATE_CERTS must be true or false (got maybe)' in completed.stderr


def test_ansible_doc_renders_the_plugin():
    completed = subprocess.run([os.path.join(BIN, 'ansible-doc'), '-t', 'inventory', 'hwcloud.meeting.meetings'],
                               env=ansible_env(), capture_output=True, text=True, check=False, timeout=120)
    assert completed.returncode == 0, completed.stderr
    for words in ('starting_within', 'in_progress', 'HWMEETING_APP_KEY', 'keyed_groups', 'cache_plugin',
                  'hostname'):
        assert words in completed.stdout, words


# --- the modules without a host password ----------------------------------------------------

def test_control_tasks_read_the_host_password_once_then_reuse_the_control_token(inv_sim, tmp_path):
    login = dict(APP, conference_id='700000001')
    _run, first = run_task(inv_sim, tmp_path, 'meeting_info', login)
    assert not first.get('failed'), first
    assert first['meeting']['in_progress'] is True
    assert len(served(inv_sim, DETAILS)) == 1 and len(served(inv_sim, TOKEN)) == 1
    inv_sim.clear_calls()
    run, second = run_task(inv_sim, tmp_path, 'meeting_record', dict(login, state='started'), '-vvv')
    assert second['changed'] is True and inv_sim.meeting('700000001')['recording'] is True
    # the cached control token (keyed by the login and the meeting): no details, no token call
    assert served(inv_sim, DETAILS) == [] and served(inv_sim, TOKEN) == []
    assert_no_secret(run.out, inv_sim)


def test_activation_reads_the_host_password_from_the_details(inv_sim, tmp_path):
    run, result = run_task(inv_sim, tmp_path, 'meeting_activate', dict(APP, conference_id='700000002'), '-vvv')
    assert result['changed'] is True, result
    assert inv_sim.meeting('700000002')['state'] == 'Created'
    assert len(served(inv_sim, DETAILS)) == 1
    assert_no_secret(run.out, inv_sim)


def test_a_login_that_may_not_read_the_meeting_fails_saying_so(inv_sim, tmp_path):
    run, result = run_task(inv_sim, tmp_path, 'meeting_info', dict(OTHER, conference_id='700000001'), '-vvv')
    assert result['failed'] is True and result['status'] == 403
    assert 'this login may not read them' in result['msg']
    assert 'give host_password' in result['msg']
    assert served(inv_sim, TOKEN) == []
    assert_no_secret(run.out, inv_sim)
