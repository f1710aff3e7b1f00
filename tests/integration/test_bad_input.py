# Bad input: for every option of every module, values a person might get
# wrong. Each must fail the task before any HTTP call (the simulator serves
# nothing) with a message that says what to fix, and without a traceback.
#
# The cases run as real ansible-playbook runs against the simulator, batched:
# one playbook per module, one task per case (`ignore_errors: true`), a small
# callback plugin keeping each result with the simulator's call count when it
# arrives. Each playbook runs once per pytest session, by whichever xdist
# worker claims it first (a lock file); each case is then asserted on its
# own. docs/bad_input.md is rendered from the collected messages, and a test
# fails when it is out of date. The test never writes the doc: it leaves the
# page it rendered in .build/bad_input.md, and `make bad-input-doc` (which
# `make test` does not run) copies that over docs/bad_input.md.
import fcntl
import json
import os
import re
from collections import OrderedDict, namedtuple

import pytest
import yaml
from hwmeeting_sim import Simulator

from .conftest import MEETINGS_FILE, ROOT, assert_no_secret, run_playbook

DOC = os.path.join(ROOT, 'docs', 'bad_input.md')
RENDERED = os.path.join(ROOT, '.build', 'bad_input.md')
REGENERATE = 'make bad-input-doc'

KEYNOTE, HOST_PASSWORD = '900000001', 'it-host-pw-900001'
APP_ID, APP_KEY = 'it-app-id', 'it-app-key-4f9c2a81'
ACCOUNT, ACCOUNT_PASSWORD = 'it-ops@example.com', 'it-account-password-7d31c'
MISSING_CA = '/nonexistent/hwmeeting/ca-bundle.pem'

ACTIVATE, RECORD, LIVE = 'meeting_activate', 'meeting_record', 'meeting_live'
BROADCAST, INFO = 'meeting_broadcast', 'meeting_info'
MODULES = (ACTIVATE, RECORD, LIVE, BROADCAST, INFO)
CONTROL_MODULES = (RECORD, LIVE, BROADCAST, INFO)
WAIT_MODULES = (RECORD, LIVE, BROADCAST)

# Arguments with which each module would succeed against the simulator (and
# make calls): a case changes one thing, so a check that is missing shows as
# a task that succeeds, or as calls in the simulator's log.
CONTROL = dict(conference_id=KEYNOTE, host_password=HOST_PASSWORD)
VALID = {
    ACTIVATE: dict(CONTROL, app_id=APP_ID, app_key=APP_KEY),
    RECORD: dict(CONTROL, state='started'),
    LIVE: dict(CONTROL, state='started'),
    BROADCAST: dict(CONTROL, participant='Keynote Speaker'),
    INFO: dict(CONTROL),
}
NO_APP = ('app_id', 'app_key')
ACCOUNT_LOGIN = dict(account=ACCOUNT, account_password=ACCOUNT_PASSWORD)


class Case(namedtuple('Case', 'name modules set unset expect shown gap')):
    """``set`` and ``unset`` change the valid arguments; ``expect`` is a phrase
    the message must hold; ``shown`` is the input as the doc shows it (made
    from set and unset when empty); ``gap``: a known gap (reported, not fixed
    here): the case is expected to fail until the module is fixed."""


def case(name, modules, expect, args=None, drop=(), shown='', gap=''):
    return Case(name, tuple(modules), dict(args or {}), tuple(drop), expect, shown, gap)


def digits_only(value):
    return "conference_id must be the meeting ID, digits only (got '%s')" % value


def bad_url(value):
    return "api_url must be an http:// or https:// URL, such as https://api.meeting.huaweicloud.com (got '%s')" % value


def not_converted(option, kind):
    return "argument '%s' is of type str and we were unable to convert to %s" % (option, kind)


def not_boolean(option):
    return not_converted(option, 'bool') + ": The value 'maybe' is not a valid boolean"


def state_choices(choices, got):
    return 'value of state must be one of: %s, got: %s' % (choices, got)


NO_PARTICIPANT = ('give participant (a name or phone number of someone in the meeting) or participant_id '
                  'to broadcast')
CONTROL_CREDENTIALS = ("give host_password (the meeting's host password) or conference_token to control the meeting, "
                       "or login credentials (access_token, or app_id and app_key, or account and account_password) "
                       "with which the module reads the host password from the meeting's details")

CASES = [
    # --- the shared options, on every module --------------------------------------------
    case('conference_id empty', MODULES, digits_only(''), args=dict(conference_id='')),
    case('conference_id not numeric', MODULES, digits_only('keynote'), args=dict(conference_id='keynote')),
    case('conference_id with spaces', MODULES, digits_only('900 000 001'), args=dict(conference_id='900 000 001')),
    case('conference_id with dashes', MODULES, digits_only('900-000-001'), args=dict(conference_id='900-000-001')),
    case('api_url without scheme', MODULES, bad_url('api.meeting.huaweicloud.com'),
         args=dict(api_url='api.meeting.huaweicloud.com')),
    case('api_url ftp', MODULES, bad_url('ftp://api.meeting.huaweicloud.com'),
         args=dict(api_url='ftp://api.meeting.huaweicloud.com')),
    case('api_url empty', MODULES, bad_url(''), args=dict(api_url='')),
    case('timeout 0', MODULES, 'timeout must be a number of seconds greater than 0 (got 0.0)', args=dict(timeout=0)),
    case('timeout negative', MODULES, 'timeout must be a number of seconds greater than 0 (got -5.0)',
         args=dict(timeout=-5)),
    case('timeout not numeric', MODULES, not_converted('timeout', 'float'), args=dict(timeout='30s')),
    case('retries negative', MODULES, 'retries must be 0 or more (got -1)', args=dict(retries=-1)),
    case('retries not numeric', MODULES, not_converted('retries', 'int'), args=dict(retries='three')),
    case('validate_certs not a boolean', MODULES, not_boolean('validate_certs'), args=dict(validate_certs='maybe')),
    case('ca_path missing', MODULES, 'ca_path %s does not exist' % MISSING_CA, args=dict(ca_path=MISSING_CA)),
    case('token_cache not a boolean', MODULES, not_boolean('token_cache'), args=dict(token_cache='maybe')),
    case('rate_limit_wait negative', MODULES, 'rate_limit_wait must be 0 or more seconds (got -1.0)',
         args=dict(rate_limit_wait=-1)),
    case('rate_limit_wait not numeric', MODULES, not_converted('rate_limit_wait', 'float'),
         args=dict(rate_limit_wait='5 minutes')),
    case('warn_unverified not a boolean', MODULES, not_boolean('warn_unverified'), args=dict(warn_unverified='maybe')),
    # --- control credentials (the four control modules) ---------------------------------------
    case('no host_password nor conference_token', CONTROL_MODULES, CONTROL_CREDENTIALS, drop=['host_password']),
    case('host_password empty', CONTROL_MODULES, CONTROL_CREDENTIALS, args=dict(host_password='')),
    case('conference_token empty', CONTROL_MODULES, CONTROL_CREDENTIALS, args=dict(conference_token=''),
         drop=['host_password']),
    # without host_password the login reads it from the meeting's details: its pairs are checked
    case('no host_password, app_id without app_key', CONTROL_MODULES, 'app_id is set but app_key is missing',
         args=dict(app_id=APP_ID), drop=['host_password'], shown='no `host_password`, `app_id` without `app_key`'),
    case('no host_password, account without account_password', CONTROL_MODULES,
         'account is set but account_password is missing', args=dict(account=ACCOUNT), drop=['host_password'],
         shown='no `host_password`, `account` without `account_password`'),
    # --- meeting_activate: the only module that logs in ----------------------------------------
    case('no credentials', [ACTIVATE], 'no login credentials: give access_token, or app_id and app_key, '
         'or account and account_password (or the HWMEETING_* environment variables)', drop=NO_APP,
         shown='no `access_token`, no `app_id` and `app_key`, no `account` and `account_password`'),
    case('app_id without app_key', [ACTIVATE], 'app_id is set but app_key is missing', drop=['app_key'],
         shown='`app_id` without `app_key`'),
    case('app_key without app_id', [ACTIVATE], 'app_key is set but app_id is missing', drop=['app_id'],
         shown='`app_key` without `app_id`'),
    case('account without account_password', [ACTIVATE], 'account is set but account_password is missing',
         args=dict(account=ACCOUNT), drop=NO_APP, shown='`account` without `account_password`'),
    case('account_password without account', [ACTIVATE], 'account_password is set but account is missing',
         args=dict(account_password=ACCOUNT_PASSWORD), drop=NO_APP, shown='`account_password` without `account`'),
    case('user_id without app_id', [ACTIVATE], 'user_id is set but app_id is missing',
         args=dict(ACCOUNT_LOGIN, user_id='it-user'), drop=NO_APP,
         shown='`user_id: "it-user"` with account login (no `app_id`)'),
    case('corp_id without app_id', [ACTIVATE], 'corp_id is set but app_id is missing',
         args=dict(ACCOUNT_LOGIN, corp_id='it-corp-1'), drop=NO_APP,
         shown='`corp_id: "it-corp-1"` with account login (no `app_id`)'),
    # --- meeting_record and meeting_live -----------------------------------------------------
    case('state missing', [RECORD, LIVE], 'missing required arguments: state', drop=['state']),
    case('state start', [RECORD, LIVE], state_choices('started, stopped', 'start'), args=dict(state='start')),
    case('state on', [RECORD, LIVE], state_choices('started, stopped', 'on'), args=dict(state='on')),
    case('state on unquoted', [RECORD, LIVE], state_choices('started, stopped', 'True'), args=dict(state=True),
         shown='`state: on` (unquoted, so YAML reads a boolean)'),
    # --- wait and wait_timeout (record, live, broadcast) ---------------------------------------
    case('wait not a boolean', WAIT_MODULES, not_boolean('wait'), args=dict(wait='maybe')),
    case('wait_timeout negative', WAIT_MODULES, 'wait_timeout must be 0 or more seconds (got -1)',
         args=dict(wait=True, wait_timeout=-1)),
    case('wait_timeout not numeric', WAIT_MODULES, not_converted('wait_timeout', 'int'),
         args=dict(wait=True, wait_timeout='sixty')),
    # --- meeting_broadcast ------------------------------------------------------------------
    case('participant and participant_id', [BROADCAST], 'parameters are mutually exclusive: participant_id|participant',
         args=dict(participant_id='pid-speaker')),
    case('neither participant nor participant_id', [BROADCAST],
         'state is present but any of the following are missing: participant_id, participant', drop=['participant']),
    case('participant empty', [BROADCAST], 'participant must not be empty', args=dict(participant='')),
    case('participant blank', [BROADCAST], 'participant must not be empty', args=dict(participant='  ')),
    case('participant_id empty', [BROADCAST], 'participant_id must not be empty', args=dict(participant_id=''),
         drop=['participant']),
    case('state presnt', [BROADCAST], state_choices('present, absent', 'presnt'), args=dict(state='presnt')),
    # --- values that used to get through (found by this suite, fixed in the modules) ---------
    case('conference_id in full-width digits', MODULES,
         digits_only('\uff19\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff11'),
         args=dict(conference_id='\uff19\uff10\uff10\uff10\uff10\uff10\uff10\uff10\uff11')),
    case('timeout nan', MODULES, 'timeout must be a number of seconds greater than 0 (got nan)',
         args=dict(timeout='nan')),
    case('timeout inf', MODULES, 'timeout must be a number of seconds greater than 0 (got inf)',
         args=dict(timeout='inf')),
    case('participant null', [BROADCAST], NO_PARTICIPANT, args=dict(participant=None),
         shown='`participant:` (no value, so YAML reads null)'),
    case('participant_id null', [BROADCAST], NO_PARTICIPANT, args=dict(participant_id=None), drop=['participant'],
         shown='`participant_id:` (no value, so YAML reads null)'),
]

# One playbook per module (the biggest first, so that two workers share the
# work evenly), and one for the known gaps, which make calls.
JOBS = OrderedDict((module, [(c, module) for c in CASES if module in c.modules and not c.gap])
                   for module in (BROADCAST, RECORD, LIVE, ACTIVATE, INFO))
JOBS['known_gaps'] = [(c, module) for c in CASES if c.gap for module in c.modules]


def case_id(item):
    the_case, module = item
    return '%s: %s' % (module, the_case.name)


def arguments(the_case, module):
    args = {key: value for key, value in VALID[module].items() if key not in the_case.unset}
    args.update(the_case.set)
    args['api_url'] = args.get('api_url', '{{ sim_url }}')
    return args


# --- the runs --------------------------------------------------------------------------------

# Collects each case's result and the simulator's call count the moment the
# result arrives (the tasks run one after another), and writes them at the
# end: cheaper than a set_fact task per case, and exact.
COLLECTOR = '''
import json
import os

from ansible.module_utils.urls import open_url
from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'bad_input_results'
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.collected = {}

    def _keep(self, result, failed):
        calls = json.loads(open_url(os.environ['BAD_INPUT_SIM_URL'] + '/_sim/calls').read())['calls']
        payload = getattr(result, 'result', None) or result._result  # ansible-core 2.19, or before
        kept = dict((key, value) for key, value in payload.items()
                    if key != 'invocation' and not key.startswith('_ansible'))
        self.collected[result.task_name] = {'result': kept, 'failed': failed, 'calls': len(calls)}

    def v2_runner_on_ok(self, result):
        self._keep(result, failed=False)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._keep(result, failed=True)

    def v2_playbook_on_stats(self, stats):
        with open(os.environ['BAD_INPUT_RESULTS'], 'w') as handle:
            json.dump(self.collected, handle, default=str)
'''


def write_playbook(path, items):
    """One task per case, named by the case; COLLECTOR keeps the results."""
    tasks = [{'name': case_id(item), 'hwcloud.meeting.' + item[1]: arguments(*item), 'ignore_errors': True}
             for item in items]
    play = [{'name': 'Bad input', 'hosts': 'localhost', 'gather_facts': False, 'tasks': tasks}]
    with open(path, 'w') as handle:
        yaml.safe_dump(play, handle, allow_unicode=True, sort_keys=False)


def call_text(call):
    return '%s %s (%s)' % (call['method'], call['path'], call['status'])


def run_job(name, directory):
    """Run the job's playbook against a simulator of its own; what the tests
    need of it, as JSON-able data."""
    items = JOBS[name]
    playbook = os.path.join(directory, name + '.yml')
    results_path = os.path.join(directory, name + '.results.json')
    plugins = os.path.join(directory, name + '.callback_plugins')
    os.mkdir(plugins)
    with open(os.path.join(plugins, 'bad_input_results.py'), 'w') as handle:
        handle.write(COLLECTOR)
    write_playbook(playbook, items)
    with Simulator(meetings_file=MEETINGS_FILE) as sim:
        run = run_playbook(playbook, sim, env={
            'HWMEETING_TOKEN_CACHE_DIR': os.path.join(directory, name + '.tokens'),
            'ANSIBLE_CALLBACK_PLUGINS': plugins, 'ANSIBLE_CALLBACKS_ENABLED': 'bad_input_results',
            'BAD_INPUT_RESULTS': results_path, 'BAD_INPUT_SIM_URL': sim.url})
        calls = sim.calls
        try:
            assert_no_secret(run, sim)
            secret_problem = None
        except AssertionError as error:
            secret_problem = str(error)
        sim_url = sim.url
    job = dict(rc=run.rc, run=repr(run), traceback='Traceback' in run.out, secret_problem=secret_problem,
               sim_calls=[call_text(call) for call in calls], sim_url=sim_url, cases={})
    if not os.path.exists(results_path):
        return job
    with open(results_path) as handle:
        collected = json.load(handle)
    served = 0
    for item in items:
        entry = collected.get(case_id(item))
        if entry is None:
            continue
        job['cases'][case_id(item)] = dict(result=entry['result'], failed=entry['failed'],
                                           calls=[call_text(call) for call in calls[served:entry['calls']]])
        served = entry['calls']
    return job


def shared_directory(tmp_path_factory):
    """A directory all xdist workers of this session share (their base
    temporary directories are siblings), or this run's own."""
    base = tmp_path_factory.getbasetemp()
    directory = (base.parent if os.environ.get('PYTEST_XDIST_WORKER') else base) / 'bad_input'
    directory.mkdir(exist_ok=True)
    return str(directory)


class Jobs(object):
    """The job results of this session, each job run once by whichever worker
    claims it first (an exclusive lock on its lock file)."""

    def __init__(self, directory):
        self.directory = directory
        self.loaded = {}

    def _paths(self, name):
        return os.path.join(self.directory, name + '.lock'), os.path.join(self.directory, name + '.json')

    def _run_locked(self, name, blocking):
        lock_path, data_path = self._paths(name)
        with open(lock_path, 'w') as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
            except (IOError, OSError):
                return  # another worker runs it
            if not os.path.exists(data_path):
                job = run_job(name, self.directory)
                with open(data_path + '.tmp', 'w') as handle:
                    json.dump(job, handle)
                os.rename(data_path + '.tmp', data_path)

    def claim_free_jobs(self):
        for name in JOBS:
            self._run_locked(name, blocking=False)

    def __getitem__(self, name):
        if name not in self.loaded:
            self._run_locked(name, blocking=True)
            with open(self._paths(name)[1]) as handle:
                self.loaded[name] = json.load(handle)
        return self.loaded[name]

    def case(self, item):
        name = 'known_gaps' if item[0].gap else item[1]
        job = self[name]
        assert case_id(item) in job['cases'], 'no result for this case: %s' % job['run']
        return job['cases'][case_id(item)]


@pytest.fixture(scope='session')
def jobs(tmp_path_factory):
    collected = Jobs(shared_directory(tmp_path_factory))
    collected.claim_free_jobs()
    return collected


# --- the cases ------------------------------------------------------------------------------

def crashed(result):
    """The module raised instead of failing with a message (ansible-core 2.19
    reports that as "Module failed: ...", older versions as MODULE FAILURE with
    the traceback in module_stderr)."""
    text = json.dumps(result)
    return ('Module failed:' in (result.get('msg') or '') or 'MODULE FAILURE' in text
            or 'module_stderr' in result or 'Traceback' in text)


def check_case(collected, item):
    the_case = item[0]
    outcome = collected.case(item)
    result = outcome['result']
    assert outcome['failed'], 'the task did not fail: %s' % result.get('msg')
    assert outcome['calls'] == [], 'the simulator served calls: %s; msg: %s' % (outcome['calls'], result.get('msg'))
    assert not crashed(result), 'the module crashed: %s' % result.get('msg')
    assert the_case.expect in result['msg']


ITEMS = [(c, module) for c in CASES for module in c.modules]


@pytest.mark.parametrize('item', [
    pytest.param(item, id=case_id(item),
                 marks=[pytest.mark.xfail(strict=True, reason='known gap: ' + item[0].gap)] if item[0].gap else [])
    for item in ITEMS])
def test_bad_input_fails_before_any_call(jobs, item):
    check_case(jobs, item)


@pytest.mark.parametrize('name', list(JOBS))
def test_playbook_runs_cleanly(jobs, name):
    job = jobs[name]
    assert job['rc'] == 0, job['run']
    assert len(job['cases']) == len(JOBS[name]), job['run']
    assert not job['traceback'], job['run']
    assert job['secret_problem'] is None
    if name != 'known_gaps':
        assert job['sim_calls'] == []


# --- docs/bad_input.md ----------------------------------------------------------------------

def normalized(message, sim_url):
    """What varies between runs: request IDs, the simulator's port, and the
    order in which Ansible lists the valid booleans (a set)."""
    message = message.replace(sim_url, 'http://127.0.0.1:PORT')
    message = re.sub(r'request ID [0-9a-f]+', 'request ID ...', message)
    return re.sub(r'(Valid booleans include: )(.*)$',
                  lambda match: match.group(1) + ', '.join(sorted(match.group(2).split(', '))), message)


def cell(text):
    """A message as a code span in a table cell (no Markdown inside)."""
    assert '`' not in text, text
    return '`%s`' % text.replace('|', '\\|')


def shown(the_case):
    if the_case.shown:
        return the_case.shown
    parts = ['`%s: %s`' % (key, json.dumps(value, ensure_ascii=False)) for key, value in the_case.set.items()]
    parts += ['no `%s`' % key for key in the_case.unset]
    return ', '.join(parts)


def module_names(modules):
    return 'all five' if set(modules) == set(MODULES) else ', '.join(m.replace('meeting_', '') for m in modules)


def render_doc(collected):
    """docs/bad_input.md from the messages of this run: one row per input and
    message, naming the modules that gave it."""
    rows, gaps = OrderedDict(), OrderedDict()
    for item in ITEMS:
        the_case, module = item
        job = collected['known_gaps' if the_case.gap else module]
        outcome = job['cases'][case_id(item)]
        result = outcome['result']
        message = normalized(result.get('msg') or '', job['sim_url'])
        if the_case.gap:
            what = 'failed' if outcome['failed'] else 'succeeded'
            calls = ', '.join(outcome['calls']) or 'none'
            gaps.setdefault((shown(the_case), the_case.gap, what, calls, message), []).append(module)
        else:
            rows.setdefault((shown(the_case), message), []).append(module)
    lines = [
        '# Bad input: what the modules say',
        '',
        'Every module checks its options before it makes any HTTP call. A value a person',
        'might get wrong fails the task at once, with a message that says what to fix:',
        'these are the messages, as the modules returned them in the test run of',
        '`tests/integration/test_bad_input.py` (each case changes one option of an',
        'otherwise valid task on meeting %s). Ansible itself checks types, choices,' % KEYNOTE,
        'required and mutually exclusive options first; then the module checks the',
        'values and lists every problem of the task in one message ("Invalid options',
        'for meeting ..."). The list of valid booleans is sorted here (Ansible prints',
        'it in no fixed order) and request IDs are elided.',
        '',
        'Regenerate this page (a test fails when it is out of date):',
        '',
        '```',
        REGENERATE,
        '```',
        '',
        '| input | modules | message |',
        '|---|---|---|',
    ]
    for (text, message), modules in rows.items():
        lines.append('| %s | %s | %s |' % (text, module_names(modules), cell(message)))
    if gaps:
        lines += [
            '',
            '## Known gaps',
            '',
            'Inputs that are not refused before a call yet, or are refused without a helpful',
            'message; the tests expect them to fail (xfail) until the modules are fixed.',
            '',
            '| input | modules | why | outcome | calls served | message |',
            '|---|---|---|---|---|---|',
        ]
        for (text, why, what, calls, message), modules in gaps.items():
            lines.append('| %s | %s | %s | %s | %s | %s |'
                         % (text, module_names(modules), why.replace('|', '\\|'), what, calls, cell(message)))
    return '\n'.join(lines) + '\n'


def test_doc_is_up_to_date(jobs):
    text = render_doc({name: jobs[name] for name in JOBS})
    # The page of this run, for `make bad-input-doc` to copy; the doc itself
    # is only ever compared here, so this test can fail.
    os.makedirs(os.path.dirname(RENDERED), exist_ok=True)
    with open(RENDERED, 'w') as handle:
        handle.write(text)
    assert os.path.exists(DOC), 'docs/bad_input.md is missing; make it with: ' + REGENERATE
    with open(DOC) as handle:
        assert handle.read() == text, 'docs/bad_input.md is out of date; regenerate it with: ' + REGENERATE
