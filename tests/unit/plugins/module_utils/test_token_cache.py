# Unit tests of the token cache and of the client's use of it. No network.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import fcntl
import json
import multiprocessing
import os
import stat
import threading
import time

import pytest

from ansible_collections.hwcloud.meeting.plugins.module_utils import token_cache as cache_module
from ansible_collections.hwcloud.meeting.plugins.module_utils.auth import (
    PATH_ACCOUNT_LOGIN,
    PATH_APP_LOGIN,
    PATH_CONTROL_TOKEN,
)
from ansible_collections.hwcloud.meeting.plugins.module_utils.client import (
    PATH_DETAILS,
    PATH_ONLINE,
    PATH_REALTIME,
    MeetingClient,
)
from ansible_collections.hwcloud.meeting.plugins.module_utils.ratelimit import pacer_for
from ansible_collections.hwcloud.meeting.plugins.module_utils.token_cache import TokenCache, default_directory

from .fakes import ScriptedSession, response

HOST_PASSWORD = '223344'  # host passwords are short: file names must not give them away
IDENTITY = ('control', 'https://meeting.example.test', '914044873', HOST_PASSWORD)


@pytest.fixture
def cache(tmp_path):
    return TokenCache(str(tmp_path / 'tokens'))


def entries(cache):
    return sorted(name for name in os.listdir(cache.directory) if name.endswith('.token'))


def test_a_token_is_kept_and_found(cache):
    assert cache.get(IDENTITY) is None
    cache.put(IDENTITY, 'ctl-token-1', 1800)
    assert cache.get(IDENTITY) == 'ctl-token-1'
    assert TokenCache(cache.directory).get(IDENTITY) == 'ctl-token-1'  # another task, same controller


def test_files_are_private(cache):
    cache.put(IDENTITY, 'ctl-token-1', 1800)
    assert stat.S_IMODE(os.stat(cache.directory).st_mode) == 0o700
    for name in os.listdir(cache.directory):
        assert stat.S_IMODE(os.stat(os.path.join(cache.directory, name)).st_mode) == 0o600, name


def test_file_names_say_nothing_of_the_credentials(cache):
    cache.put(IDENTITY, 'ctl-token-1', 1800)
    names = ' '.join(os.listdir(cache.directory))
    for part in IDENTITY:
        assert part not in names
    # not a plain hash either: without the cache's own key a 6-digit password
    # cannot be found by hashing all of them
    import hashlib
    plain = hashlib.sha256('\0'.join(IDENTITY).encode()).hexdigest()
    assert plain not in names


def test_other_identities_do_not_share(cache):
    cache.put(IDENTITY, 'ctl-token-1', 1800)
    assert cache.get(IDENTITY[:3] + ('other-password',)) is None
    assert cache.get(('control', 'https://other.example.test') + IDENTITY[2:]) is None


def test_a_token_is_not_reused_shortly_before_it_expires(cache, monkeypatch):
    now = time.time()
    cache.put(IDENTITY, 'ctl-token-1', 1800)  # margin: 180 s
    monkeypatch.setattr(cache_module.time, 'time', lambda: now + 1800 - 200)
    assert cache.get(IDENTITY) == 'ctl-token-1'
    monkeypatch.setattr(cache_module.time, 'time', lambda: now + 1800 - 100)
    assert cache.get(IDENTITY) is None
    assert entries(cache) == []  # dropped when found expired


def test_expired_entries_are_swept_on_write(cache, monkeypatch):
    now = time.time()
    cache.put(IDENTITY, 'short', 40)
    monkeypatch.setattr(cache_module.time, 'time', lambda: now + 3600)
    cache.put(IDENTITY[:3] + ('another',), 'long', 43200)
    assert len(entries(cache)) == 1


def test_evict(cache):
    cache.put(IDENTITY, 'ctl-token-1', 1800)
    cache.evict(IDENTITY)
    assert cache.get(IDENTITY) is None


@pytest.mark.parametrize('lifetime', [None, 0, -5])
def test_no_lifetime_no_entry(cache, lifetime):
    cache.put(IDENTITY, 'ctl-token-1', lifetime)
    assert cache.get(IDENTITY) is None


def test_a_directory_others_can_read_is_refused(tmp_path):
    directory = tmp_path / 'shared'
    directory.mkdir(mode=0o755)
    os.chmod(str(directory), 0o755)
    warnings = []
    cache = TokenCache(str(directory), warn=warnings.append)
    cache.put(IDENTITY, 'ctl-token-1', 1800)
    assert cache.get(IDENTITY) is None
    assert os.listdir(str(directory)) == []
    assert len(warnings) == 1 and 'not private' in warnings[0]


def test_a_corrupt_entry_is_a_miss(cache):
    cache.put(IDENTITY, 'ctl-token-1', 1800)
    path = os.path.join(cache.directory, entries(cache)[0])
    with open(path, 'w') as handle:
        handle.write('{"tok')
    assert cache.get(IDENTITY) is None


def _writer(directory, worker):
    writer = TokenCache(directory)
    for round_number in range(30):
        writer.put(IDENTITY, 'token-%d-%d' % (worker, round_number), 1800)
        assert writer.get(IDENTITY) is not None


def test_twenty_processes_at_once(tmp_path):
    directory = str(tmp_path / 'tokens')
    workers = [multiprocessing.Process(target=_writer, args=(directory, worker)) for worker in range(20)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0] * 20
    cache = TokenCache(directory)
    assert cache.get(IDENTITY).startswith('token-')
    assert len(entries(cache)) == 1
    assert [name for name in os.listdir(directory) if name.startswith('.tmp-')] == []
    with open(os.path.join(directory, entries(cache)[0])) as handle:
        assert set(json.load(handle)) == {'token', 'reuse_until'}


def test_default_directory(monkeypatch):
    monkeypatch.setenv('HWMEETING_TOKEN_CACHE_DIR', '/somewhere/tokens')
    assert default_directory() == '/somewhere/tokens'
    monkeypatch.delenv('HWMEETING_TOKEN_CACHE_DIR')
    monkeypatch.setenv('XDG_CACHE_HOME', '/xdg')
    assert default_directory() == '/xdg/hwcloud.meeting/tokens'
    # neither: the home's cache, as docs/authentication.md says
    monkeypatch.delenv('XDG_CACHE_HOME')
    monkeypatch.setenv('HOME', '/home/operator')
    assert default_directory() == '/home/operator/.cache/hwcloud.meeting/tokens'


# --- the client with a cache ------------------------------------------------------

def client_with(cache, **options):
    settings = dict(api_url='https://meeting.example.test', conference_id='914044873', retries=0, timeout=5,
                    cache=cache)
    settings.update(options)
    return MeetingClient(pacer_for(cache), **settings)


def scripted(client, script):
    session = ScriptedSession(script)
    client._session.request = session
    return session


def test_a_second_client_reuses_both_tokens(cache):
    script = {PATH_APP_LOGIN: [response(200, {'accessToken': 'acc-1', 'validPeriod': 43200})],
              PATH_ONLINE: [response(200, {'conferenceData': {}})],
              PATH_CONTROL_TOKEN: [response(200, {'data': {'token': 'ctl-1', 'confTokenExpireTime': 1800}})],
              PATH_REALTIME: [response(200, {'confInfo': {}})]}
    options = dict(app_id='app-1', app_key='key-1', host_password=HOST_PASSWORD)
    first = client_with(cache, **options)
    scripted(first, script)
    first.online_details()
    first.realtime_info()
    secrets = set()
    second = client_with(cache, register_secret=secrets.add, **options)
    calls = scripted(second, script)
    second.online_details()
    second.realtime_info()
    assert calls.paths() == [PATH_ONLINE, PATH_REALTIME]
    assert calls.requests[0]['headers']['X-Access-Token'] == 'acc-1'
    assert calls.requests[1]['headers']['X-Conference-Authorization'] == 'ctl-1'
    assert secrets == {'acc-1', 'ctl-1'}  # cached tokens are kept out of the output too


def test_a_401_evicts_and_renews_fresh(cache):
    cache_identity = ('control', 'https://meeting.example.test', '914044873', HOST_PASSWORD)
    cache.put(cache_identity, 'stale', 1800)
    client = client_with(cache, host_password=HOST_PASSWORD)
    calls = scripted(client, {
        PATH_REALTIME: [response(401, {'error_code': 'MMC.111070001', 'error_msg': 'expired'}),
                        response(200, {'confInfo': {}})],
        PATH_CONTROL_TOKEN: [response(200, {'data': {'token': 'fresh', 'confTokenExpireTime': 1800}})]})
    client.realtime_info()
    assert calls.paths() == [PATH_REALTIME, PATH_CONTROL_TOKEN, PATH_REALTIME]
    assert calls.requests[0]['headers']['X-Conference-Authorization'] == 'stale'
    assert cache.get(cache_identity) == 'fresh'


def test_given_tokens_are_never_cached(cache):
    client = client_with(cache, conference_token='given-ctl', access_token='given-acc')
    scripted(client, {PATH_REALTIME: [response(200, {'confInfo': {}})],
                      PATH_ONLINE: [response(200, {'conferenceData': {}})]})
    client.realtime_info()
    client.online_details()
    assert not os.path.isdir(cache.directory) or entries(cache) == []


def test_control_lifetime_from_the_absolute_expiry(cache):
    client = client_with(cache, host_password=HOST_PASSWORD)
    scripted(client, {PATH_CONTROL_TOKEN: [response(200, {'data': {
        'token': 'ctl-abs', 'expireTime': int((time.time() + 600) * 1000)}})],
        PATH_REALTIME: [response(200, {'confInfo': {}})]})
    client.realtime_info()
    with open(os.path.join(cache.directory, entries(cache)[0])) as handle:
        reuse_until = json.load(handle)['reuse_until']
    assert time.time() + 600 - 70 < reuse_until < time.time() + 600 - 50  # 600 s less a 60 s margin


def _log_in_once(directory, worker, log):
    cache = TokenCache(directory)

    def fetch():
        with open(log, 'a') as handle:
            handle.write('login %d\n' % worker)
        time.sleep(0.2)  # a login round trip, while the other forks wait
        cache.put(IDENTITY, 'token-from-%d' % worker, 1800)
        return 'token-from-%d' % worker
    token, _from_cache = cache.obtain(IDENTITY, fetch)
    assert token.startswith('token-from-')


def test_forks_starting_together_log_in_once(tmp_path):
    directory, log = str(tmp_path / 'tokens'), str(tmp_path / 'logins')
    workers = [multiprocessing.Process(target=_log_in_once, args=(directory, worker, log)) for worker in range(5)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [worker.exitcode for worker in workers] == [0] * 5
    with open(log) as handle:
        assert len(handle.readlines()) == 1


# --- a cache that cannot be used is only a cache miss ------------------------------------

def test_a_damaged_key_file_gives_up_the_cache_with_a_warning(tmp_path):
    directory = tmp_path / 'tokens'
    directory.mkdir(mode=0o700)
    (directory / '.key').write_bytes(b'short')  # a key is 32 random bytes
    warnings = []
    cache = TokenCache(str(directory), warn=warnings.append)
    cache.put(IDENTITY, 'ctl-token-1', 1800)
    assert cache.get(IDENTITY) is None
    assert entries(cache) == []
    assert len(warnings) == 1  # said once, not on every use
    assert 'key file %s is damaged; remove it' % (directory / '.key') in warnings[0]
    assert 'cannot be used' in warnings[0]
    # with the key removed, as the warning says, the cache works again
    os.remove(str(directory / '.key'))
    fresh = TokenCache(str(directory))
    fresh.put(IDENTITY, 'ctl-token-1', 1800)
    assert fresh.get(IDENTITY) == 'ctl-token-1'


def test_a_failed_write_gives_up_the_cache_and_leaves_no_temporary_file(cache, monkeypatch):
    warnings = []
    cache = TokenCache(cache.directory, warn=warnings.append)

    def full_disk(source, destination):
        raise OSError(28, 'No space left on device')
    monkeypatch.setattr(cache_module.os, 'replace', full_disk)
    cache.put(IDENTITY, 'ctl-token-1', 1800)  # does not raise
    monkeypatch.undo()
    assert len(warnings) == 1
    assert warnings[0].startswith('the token cache %s cannot be written' % cache.directory)
    assert 'No space left on device' in warnings[0]
    assert [name for name in os.listdir(cache.directory) if name.startswith('.tmp-')] == []
    # given up for the rest of the task: no further reads or writes, no more warnings
    cache.put(IDENTITY, 'ctl-token-2', 1800)
    assert cache.get(IDENTITY) is None and entries(cache) == []
    assert len(warnings) == 1


def test_the_client_logs_in_when_the_cache_cannot_be_written(cache, monkeypatch):
    warnings = []
    cache = TokenCache(cache.directory, warn=warnings.append)

    def denied(source, destination):
        raise OSError(13, 'Permission denied')
    monkeypatch.setattr(cache_module.os, 'replace', denied)
    client = client_with(cache, host_password=HOST_PASSWORD)
    calls = scripted(client, {
        PATH_CONTROL_TOKEN: [response(200, {'data': {'token': 'ctl-1', 'confTokenExpireTime': 1800}})],
        PATH_REALTIME: [response(200, {'confInfo': {}})]})
    assert client.realtime_info() == {'confInfo': {}}
    assert calls.paths() == [PATH_CONTROL_TOKEN, PATH_REALTIME]
    assert len(warnings) == 1 and 'cannot be written' in warnings[0]


def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_write_sweeps_old_temporary_files_and_stale_locks(cache):
    cache.put(IDENTITY, 'ctl-token-1', 1800)  # creates the directory and key
    directory = cache.directory
    files = {'.tmp-crashed': 61, '.tmp-in-flight': 5,                  # a fork may be writing that one
             'a' * 64 + '.lock': cache_module.STALE_LOCK + 60, 'b' * 64 + '.lock': 60,
             'notes.txt': 10 ** 6}                                    # not the cache's: left alone
    for name, age in files.items():
        path = os.path.join(directory, name)
        with open(path, 'w') as handle:
            handle.write('x')
        _age(path, age)
    cache.put(IDENTITY[:3] + ('another',), 'ctl-token-2', 1800)
    left = set(os.listdir(directory))
    assert '.tmp-crashed' not in left and 'a' * 64 + '.lock' not in left
    assert {'.tmp-in-flight', 'b' * 64 + '.lock', 'notes.txt', '.key'} <= left
    assert len(entries(cache)) == 2  # live entries stay


def test_a_corrupt_entry_is_swept_on_write(cache):
    cache.put(IDENTITY, 'ctl-token-1', 1800)
    path = os.path.join(cache.directory, entries(cache)[0])
    with open(path, 'w') as handle:
        handle.write('{"tok')
    cache.put(IDENTITY[:3] + ('another',), 'ctl-token-2', 1800)
    assert not os.path.exists(path) and len(entries(cache)) == 1


# --- a host password read from the meeting's details with the login ------------------

def _from_login_script():
    details = {'conferenceData': {'passwordEntry': [{'conferenceRole': 'chair', 'password': 'chair-pw-9911'}]}}
    return {PATH_APP_LOGIN: [response(200, {'accessToken': 'acc-2', 'validPeriod': 43200})],
            PATH_DETAILS: [response(200, details)],
            PATH_CONTROL_TOKEN: [response(200, {'data': {'token': 'ctl-2', 'confTokenExpireTime': 1800}})],
            PATH_REALTIME: [response(200, {'confInfo': {}})]}


def test_a_control_token_got_with_the_login_is_reused_without_reading_the_details(cache):
    login = dict(app_id='app-2', app_key='key-2')
    first = client_with(cache, **login)
    first_calls = scripted(first, _from_login_script())
    first.realtime_info()
    assert first_calls.paths() == [PATH_APP_LOGIN, PATH_DETAILS, PATH_CONTROL_TOKEN, PATH_REALTIME]
    assert first_calls.requests[2]['headers']['X-Password'] == 'chair-pw-9911'
    second = client_with(cache, **login)
    second_calls = scripted(second, _from_login_script())
    second.realtime_info()
    assert second_calls.paths() == [PATH_REALTIME]  # no login, no details, no control-token call
    assert second_calls.requests[0]['headers']['X-Conference-Authorization'] == 'ctl-2'
    # the password itself is nowhere on disk, not in a name nor in a file
    for name in os.listdir(cache.directory):
        assert 'chair-pw-9911' not in name
        path = os.path.join(cache.directory, name)
        if os.path.isfile(path):
            with open(path, 'rb') as handle:
                assert b'chair-pw-9911' not in handle.read()


def test_another_login_does_not_share_the_control_token(cache):
    first = client_with(cache, app_id='app-2', app_key='key-2')
    scripted(first, _from_login_script())
    first.realtime_info()
    other = client_with(cache, account='ops@example.com', account_password='pw-3')
    script = _from_login_script()
    script[PATH_ACCOUNT_LOGIN] = [response(200, {'accessToken': 'acc-3', 'validPeriod': 43200})]
    calls = scripted(other, script)
    other.realtime_info()
    assert calls.paths() == [PATH_ACCOUNT_LOGIN, PATH_DETAILS, PATH_CONTROL_TOKEN, PATH_REALTIME]


def test_a_401_on_a_control_token_got_with_the_login_renews_without_reading_the_details_again(cache):
    client = client_with(cache, app_id='app-2', app_key='key-2')
    script = _from_login_script()
    script[PATH_REALTIME] = [response(401, {'error_code': 'MMC.111070001', 'error_msg': 'expired'}),
                             response(200, {'confInfo': {}})]
    calls = scripted(client, script)
    client.realtime_info()
    assert calls.paths() == [PATH_APP_LOGIN, PATH_DETAILS, PATH_CONTROL_TOKEN, PATH_REALTIME,
                             PATH_CONTROL_TOKEN, PATH_REALTIME]


# --- a token another fork fetched while this one waited for the lock ----------------

def _found_after_the_lock(cache, token):
    """The cache as a fork sees it when another fork held the lock and
    fetched: nothing at the first look, the other fork's token after the lock."""
    looks = []
    real_get = cache.get

    def get(identity):
        looks.append(identity)
        if len(looks) == 1:
            return None
        if real_get(identity) is None:
            cache.put(identity, token, 1800)
        return real_get(identity)
    cache.get = get
    return looks


@pytest.mark.parametrize('kind', ['file', 'memory'])
def test_a_token_found_after_waiting_on_the_lock_comes_from_the_cache(tmp_path, kind):
    cache = TokenCache(str(tmp_path / 'tokens')) if kind == 'file' else cache_module.MemoryTokenCache()
    looks = _found_after_the_lock(cache, 'ctl-from-another-fork')

    def fetch():
        raise AssertionError('fetched although another fork had fetched the token')
    assert cache.obtain(IDENTITY, fetch) == ('ctl-from-another-fork', True)
    assert len(looks) == 2


def test_a_token_found_after_waiting_on_the_lock_is_registered_as_a_secret(cache):
    _found_after_the_lock(cache, 'ctl-from-another-fork')
    secrets = set()
    client = client_with(cache, host_password=HOST_PASSWORD, register_secret=secrets.add)
    calls = scripted(client, {PATH_REALTIME: [response(200, {'confInfo': {}})]})
    client.realtime_info()
    assert calls.paths() == [PATH_REALTIME]  # no control-token call of its own
    assert calls.requests[0]['headers']['X-Conference-Authorization'] == 'ctl-from-another-fork'
    assert secrets == {'ctl-from-another-fork'}  # kept out of the output like any cached token


def _lock_is_free(cache):
    """Whether another open file (another fork) can take the identity's lock now."""
    path = cache.private.path(cache.private.name(IDENTITY, cache_module.LOCK_SUFFIX))
    handle = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except (OSError, IOError):
        return False
    finally:
        os.close(handle)
    return True


def test_the_lock_is_held_while_fetching_and_released_after(cache):
    held = []

    def fetch():
        held.append(not _lock_is_free(cache))
        cache.put(IDENTITY, 'ctl-1', 1800)
        return 'ctl-1'
    assert cache.obtain(IDENTITY, fetch) == ('ctl-1', False)
    assert held == [True]
    assert _lock_is_free(cache)


def test_the_lock_is_released_when_the_fetch_fails(cache):
    def fetch():
        raise RuntimeError('the login failed')
    with pytest.raises(RuntimeError):
        cache.obtain(IDENTITY, fetch)
    assert _lock_is_free(cache)


def test_a_fork_waits_for_the_lock_then_takes_the_token_of_the_fork_that_held_it(cache):
    other = TokenCache(cache.directory)
    assert cache.private.ready()
    path = cache.private.path(cache.private.name(IDENTITY, cache_module.LOCK_SUFFIX))
    order = []

    def fetch():
        raise AssertionError('fetched although the fork that held the lock had fetched')
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(handle, fcntl.LOCK_EX)  # the other fork is logging in
    waiter = threading.Thread(target=lambda: order.append(other.obtain(IDENTITY, fetch)))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive() and order == []  # it waits for the lock
    cache.put(IDENTITY, 'ctl-of-the-other-fork', 1800)
    os.close(handle)  # the other fork is done
    waiter.join(30)
    assert order == [('ctl-of-the-other-fork', True)]


# --- the memory cache of the event source's watchers --------------------------------------

def test_the_memory_cache_keeps_finds_and_evicts():
    cache = cache_module.MemoryTokenCache()
    assert cache.get(IDENTITY) is None
    cache.put(IDENTITY, 'ctl-1', 1800)
    assert cache.get(list(IDENTITY)) == 'ctl-1'  # any sequence of the same strings
    assert cache.obtain(IDENTITY, lambda: pytest.fail('fetched a cached token')) == ('ctl-1', True)
    cache.evict(IDENTITY)
    assert cache.get(IDENTITY) is None
    assert cache.obtain(IDENTITY, lambda: 'ctl-2') == ('ctl-2', False)


@pytest.mark.parametrize('lifetime', [None, 0, -5])
def test_the_memory_cache_keeps_nothing_without_a_lifetime(lifetime):
    cache = cache_module.MemoryTokenCache()
    cache.put(IDENTITY, 'ctl-1', lifetime)
    assert cache.get(IDENTITY) is None


def test_a_token_in_the_memory_cache_is_registered_as_a_secret_by_each_client():
    cache = cache_module.MemoryTokenCache()
    cache.put(('control', 'https://meeting.example.test', '914044873', HOST_PASSWORD), 'ctl-shared', 1800)
    secrets = set()
    client = client_with(cache, host_password=HOST_PASSWORD, register_secret=secrets.add)
    calls = scripted(client, {PATH_REALTIME: [response(200, {'confInfo': {}})]})
    client.realtime_info()
    assert calls.paths() == [PATH_REALTIME] and secrets == {'ctl-shared'}


def test_a_cached_control_token_brings_its_push_server(cache):
    # The push server's address (wsURL) comes with a control token only: a
    # task that finds the token in the cache finds the address beside it.
    script = {PATH_CONTROL_TOKEN: [response(200, {'data': {'token': 'ctl-1', 'confTokenExpireTime': 1800,
                                                           'wsURL': 'wss://push.example.test:443'}})]}
    first = client_with(cache, host_password=HOST_PASSWORD)
    scripted(first, script)
    assert first.credentials.fetch_push_url() == 'wss://push.example.test:443'
    second = client_with(cache, host_password=HOST_PASSWORD)
    calls = scripted(second, script)
    assert second.credentials.fetch_push_url() == 'wss://push.example.test:443'
    assert calls.paths() == []


@pytest.mark.parametrize('lifetime, margin', [(100, 30), (300, 30), (1800, 180), (3000, 300), (43200, 300)])
def test_the_safety_margin_is_as_docs_token_cache_md_says(lifetime, margin):
    # "a tenth of the token's lifetime, at least 30 seconds and at most 5 minutes"
    assert cache_module.margin_for(lifetime) == margin


def test_a_push_token_handed_over_through_the_cache_opens_one_connection_only(cache):
    control = response(200, {'data': {'token': 'ctl-1', 'confTokenExpireTime': 1800, 'wsURL': 'wss://push.test',
                                      'tmpWsToken': 'tmp-ws-handed'}})
    first = client_with(cache, host_password='hp-1')
    scripted(first, {PATH_CONTROL_TOKEN: [control]})
    first.credentials.hand_over_control_token()
    # the next task takes it, once: a tmpWsToken opens one connection
    assert client_with(cache, host_password='hp-1').credentials.take_temporary_ws_token() == 'tmp-ws-handed'
    assert client_with(cache, host_password='hp-1').credentials.take_temporary_ws_token() is None
