# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The token cache: access and control tokens reused by later tasks and runs
on the same controller until shortly before they expire (docs/token_cache.md).

- One file per token in a directory only its owner can enter (0700), each
  file readable by its owner only (0600).
- A file's name is an HMAC of what the token was obtained with (API URL,
  credentials, meeting): it says nothing about them, and since the HMAC key
  is a random secret kept in the directory, a weak host password cannot be
  found from a file name by trying them all.
- Writes go to a temporary file in the same directory and replace the entry
  atomically, so twenty forks reading and writing at once never see half a
  file; the last writer wins, which is harmless.
- Expired entries are dropped when read and swept on each write; a token the
  service rejects (401) is evicted by the client.

The private directory itself (its checks, key, file names, locks, atomic
writes and sweep) is PrivateDirectory, which the rate-limit pacer
(ratelimit.py) shares: its files sit beside the tokens, with a suffix of
their own.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import errno
import fcntl
import hashlib
import hmac
import json
import os
import stat
import tempfile
import threading
import time

CACHE_DIR_ENV = 'HWMEETING_TOKEN_CACHE_DIR'
KEY_FILE = '.key'
SUFFIX = '.token'
LOCK_SUFFIX = '.lock'
TEMPORARY_PREFIX = '.tmp-'
STALE_LOCK = 86400  # a lock file untouched for a day is swept
STALE_TEMPORARY = 60  # a temporary file older than a minute was left by a crash
# Reuse a token until this long before it expires: a task must not start with
# a token that dies in its first seconds.
MIN_MARGIN = 30
MAX_MARGIN = 300


def default_directory():
    """$HWMEETING_TOKEN_CACHE_DIR, else $XDG_CACHE_HOME/hwcloud.meeting/tokens,
    else ~/.cache/hwcloud.meeting/tokens."""
    if os.environ.get(CACHE_DIR_ENV):
        return os.path.expanduser(os.environ[CACHE_DIR_ENV])
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'hwcloud.meeting', 'tokens')


def margin_for(lifetime):
    return max(MIN_MARGIN, min(MAX_MARGIN, lifetime / 10.0))


class PrivateDirectory(object):
    """A directory only its owner can enter, whose files are named by an HMAC
    of what they hold (a tuple of strings) with a random key kept in it.

    Used by the token cache and by the rate-limit pacer. Nothing here raises
    on I/O except ``write_atomically`` (its callers give up with their own
    words); ``ready()`` says whether the directory can be used, and ``warn``
    is told once why not.
    """

    def __init__(self, directory, warn=None, what='the token cache', unused='it is not used',
                 fallback='logging in each time'):
        self.directory = directory
        self._warn = warn or (lambda message: None)
        self._what = what
        self._unused = unused
        self._fallback = fallback
        self.key = None
        self.broken = False

    def ready(self):
        """Create or check the directory and the HMAC key; False if unusable."""
        if self.broken:
            return False
        if self.key is not None:
            return True
        try:
            try:
                os.makedirs(self.directory, 0o700)
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise
            info = os.stat(self.directory)
            if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
                self.give_up('%s %s is not private to its owner (mode %o); %s'
                             % (self._what, self.directory, stat.S_IMODE(info.st_mode), self._unused))
                return False
            self.key = self._load_key()
            return True
        except (OSError, IOError, ValueError) as exc:
            self.give_up('%s %s cannot be used (%s); %s' % (self._what, self.directory, exc, self._fallback))
            return False

    def _load_key(self):
        """The directory's HMAC key, created once. Forks that start together
        must agree on it, so it is created with link(), which never replaces
        an existing file: the first fork's key wins and the others read it."""
        path = os.path.join(self.directory, KEY_FILE)
        if not os.path.exists(path):
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=TEMPORARY_PREFIX)  # created 0600
            try:
                with os.fdopen(handle, 'wb') as stream:
                    stream.write(os.urandom(32))
                    stream.flush()
                    os.fsync(stream.fileno())
                try:
                    os.link(temporary, path)
                except OSError as exc:
                    if exc.errno != errno.EEXIST:
                        raise
            finally:
                os.unlink(temporary)
        with open(path, 'rb') as handle:
            key = handle.read()
        if len(key) < 32:
            raise ValueError('the key file %s is damaged; remove it' % path)
        return key

    def give_up(self, message):
        """Stop using the directory, and say why (once)."""
        if not self.broken:
            self.broken = True
            self._warn(message)

    def name(self, identity, suffix):
        """The file name of ``identity``: it says nothing about it. Call only
        once ``ready()``."""
        data = '\0'.join(identity).encode('utf-8')
        return hmac.new(self.key, data, hashlib.sha256).hexdigest() + suffix

    def path(self, name):
        return os.path.join(self.directory, name)

    def write_atomically(self, name, data, durable=True):
        """Replace the file ``name`` with ``data`` (created 0600), so that a
        reader never sees half a file. ``durable``: fsync before the rename
        (a token must survive a crash; a counter need not). Raises OSError."""
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=TEMPORARY_PREFIX)  # created 0600
        try:
            with os.fdopen(handle, 'wb') as stream:
                stream.write(data)
                if durable:
                    stream.flush()
                    os.fsync(stream.fileno())
            os.replace(temporary, os.path.join(self.directory, name))
        except Exception:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise

    @contextlib.contextmanager
    def lock(self, name):
        """Hold an exclusive flock on the lock file ``name`` (created 0600)
        for the block; yields True, or False when no lock could be had. The
        block then runs unlocked: at worst two forks log in, or the pacer
        misses a send (and the gateway's answers correct its count)."""
        if not self.ready():
            yield False
            return
        path = os.path.join(self.directory, name)
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            yield False
            return
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)
                locked = True
            except (OSError, IOError):
                locked = False  # e.g. a file system without locks
            try:
                os.utime(path, None)  # in use: not swept
            except OSError:
                pass
            yield locked
        finally:
            os.close(handle)  # releases the lock

    def sweep(self, expired):
        """Drop temporary files left by a crash, lock files untouched for a
        day, and each entry that ``expired`` (a mapping of a file suffix to a
        function of the path and the time, True when the entry may go) says
        is expired. Files of other suffixes are left alone. Raises OSError
        if the directory cannot be listed."""
        now = time.time()
        for name in os.listdir(self.directory):
            path = os.path.join(self.directory, name)
            if name.startswith(TEMPORARY_PREFIX):
                self._remove_older(path, now, STALE_TEMPORARY)
                continue
            if name.endswith(LOCK_SUFFIX):
                self._remove_older(path, now, STALE_LOCK)
                continue
            for suffix, is_expired in expired.items():
                if name.endswith(suffix):
                    if is_expired(path, now):
                        self.remove(path)
                    break

    def _remove_older(self, path, now, age):
        try:
            if now - os.stat(path).st_mtime > age:
                self.remove(path)
        except OSError:
            pass

    @staticmethod
    def remove(path):
        try:
            os.unlink(path)
        except OSError:
            pass


class TokenCache(object):
    """Tokens by an identity (a tuple of strings). Never raises on I/O: a
    cache that cannot be used only means logging in again; ``warn`` is told
    once why."""

    def __init__(self, directory=None, warn=None):
        self.directory = directory or default_directory()
        # Shared with the rate-limit pacer's file store (ratelimit.FileStore).
        self.private = PrivateDirectory(self.directory, warn)

    def _path(self, identity):
        return self.private.path(self.private.name(identity, SUFFIX))

    # --- the interface -------------------------------------------------------------

    def get(self, identity):
        """The cached token for ``identity``, or None (absent or expiring)."""
        if not self.private.ready():
            return None
        path = self._path(identity)
        try:
            with open(path) as handle:
                entry = json.load(handle)
            token, reuse_until = entry['token'], float(entry['reuse_until'])
        except (OSError, IOError, ValueError, KeyError, TypeError):
            return None
        if time.time() >= reuse_until:
            self.private.remove(path)
            return None
        return token

    def put(self, identity, token, lifetime):
        """Keep ``token`` for ``lifetime`` seconds (minus a safety margin)."""
        if not token or not lifetime or lifetime <= 0 or not self.private.ready():
            return
        entry = {'token': token, 'reuse_until': time.time() + lifetime - margin_for(lifetime)}
        try:
            self.private.write_atomically(self.private.name(identity, SUFFIX), json.dumps(entry).encode('utf-8'))
            self.private.sweep({SUFFIX: _token_expired})
        except (OSError, IOError) as exc:
            self.private.give_up('the token cache %s cannot be written (%s)' % (self.directory, exc))

    def obtain(self, identity, fetch):
        """``(token, from_cache)``: the cached token, or ``fetch()``'s, fetched
        under a lock so that forks starting together log in once: the others
        wait for it and then find its token here. ``fetch`` stores the token
        itself (with put) and raises on failure."""
        token = self.get(identity)
        if token:
            return token, True
        with self._lock(identity):
            token = self.get(identity)  # a fork that held the lock may have fetched it
            if token:
                return token, True
            return fetch(), False

    @contextlib.contextmanager
    def _lock(self, identity):
        # Blocks while another fork fetches: that is bounded by its own
        # timeout and retries. Without a lock, at worst two forks log in.
        if not self.private.ready():
            yield
            return
        with self.private.lock(self.private.name(identity, LOCK_SUFFIX)):
            yield

    def evict(self, identity):
        if self.private.ready():
            self.private.remove(self._path(identity))


def _token_expired(path, now):
    """An entry past its reuse time, or one that cannot be read."""
    try:
        with open(path) as handle:
            return now >= float(json.load(handle)['reuse_until'])
    except (OSError, IOError, ValueError, KeyError, TypeError):
        return True


class MemoryTokenCache(object):
    """TokenCache's interface in this process's memory, for the clients of
    one long-lived process (the event source's watchers) when the token
    cache is off: they log in once between them instead of once each.
    Thread-safe; nothing is written to disk."""

    def __init__(self):
        self.directory = None
        self.private = None
        self._entries = {}
        self._lock = threading.Lock()
        self._fetching = {}

    def get(self, identity):
        with self._lock:
            entry = self._entries.get(tuple(identity))
        if entry is None or time.time() >= entry[1]:
            return None
        return entry[0]

    def put(self, identity, token, lifetime):
        if not token or not lifetime or lifetime <= 0:
            return
        with self._lock:
            self._entries[tuple(identity)] = (token, time.time() + lifetime - margin_for(lifetime))

    def obtain(self, identity, fetch):
        token = self.get(identity)
        if token:
            return token, True
        with self._lock:
            fetching = self._fetching.setdefault(tuple(identity), threading.Lock())
        with fetching:  # one thread fetches, the others wait for its token
            token = self.get(identity)
            if token:
                return token, True
            return fetch(), False

    def evict(self, identity):
        with self._lock:
            self._entries.pop(tuple(identity), None)
