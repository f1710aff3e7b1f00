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
import time

CACHE_DIR_ENV = 'HWMEETING_TOKEN_CACHE_DIR'
KEY_FILE = '.key'
SUFFIX = '.token'
LOCK_SUFFIX = '.lock'
STALE_LOCK = 86400  # a lock file untouched for a day is swept
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


class TokenCache(object):
    """Tokens by an identity (a tuple of strings). Never raises on I/O: a
    cache that cannot be used only means logging in again; ``warn`` is told
    once why."""

    def __init__(self, directory=None, warn=None):
        self.directory = directory or default_directory()
        self._warn = warn or (lambda message: None)
        self._key = None
        self._broken = False

    # --- storage ---------------------------------------------------------------

    def _ready(self):
        """Create or check the directory and the HMAC key; False if unusable."""
        if self._broken:
            return False
        if self._key is not None:
            return True
        try:
            try:
                os.makedirs(self.directory, 0o700)
            except OSError as exc:
                if exc.errno != errno.EEXIST:
                    raise
            info = os.stat(self.directory)
            if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
                self._give_up('the token cache %s is not private to its owner (mode %o); it is not used'
                              % (self.directory, stat.S_IMODE(info.st_mode)))
                return False
            self._key = self._load_key()
            return True
        except (OSError, IOError, ValueError) as exc:
            self._give_up('the token cache %s cannot be used (%s); logging in each time' % (self.directory, exc))
            return False

    def _load_key(self):
        """The cache's HMAC key, created once. Forks that start together must
        agree on it, so it is created with link(), which never replaces an
        existing file: the first fork's key wins and the others read it."""
        path = os.path.join(self.directory, KEY_FILE)
        if not os.path.exists(path):
            handle, temporary = tempfile.mkstemp(dir=self.directory, prefix='.tmp-')  # created 0600
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

    def _write_atomically(self, name, data):
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix='.tmp-')  # created 0600
        try:
            with os.fdopen(handle, 'wb') as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, os.path.join(self.directory, name))
        except Exception:
            try:
                os.unlink(temporary)
            except OSError:
                pass
            raise

    def _give_up(self, message):
        self._broken = True
        self._warn(message)

    def _name(self, identity):
        data = '\0'.join(identity).encode('utf-8')
        return hmac.new(self._key, data, hashlib.sha256).hexdigest() + SUFFIX

    # --- the interface -------------------------------------------------------------

    def get(self, identity):
        """The cached token for ``identity``, or None (absent or expiring)."""
        if not self._ready():
            return None
        path = os.path.join(self.directory, self._name(identity))
        try:
            with open(path) as handle:
                entry = json.load(handle)
            token, reuse_until = entry['token'], float(entry['reuse_until'])
        except (OSError, IOError, ValueError, KeyError, TypeError):
            return None
        if time.time() >= reuse_until:
            self._remove(path)
            return None
        return token

    def put(self, identity, token, lifetime):
        """Keep ``token`` for ``lifetime`` seconds (minus a safety margin)."""
        if not token or not lifetime or lifetime <= 0 or not self._ready():
            return
        entry = {'token': token, 'reuse_until': time.time() + lifetime - margin_for(lifetime)}
        try:
            self._write_atomically(self._name(identity), json.dumps(entry).encode('utf-8'))
            self._sweep()
        except (OSError, IOError) as exc:
            self._give_up('the token cache %s cannot be written (%s)' % (self.directory, exc))

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
        if not self._ready():
            yield
            return
        path = os.path.join(self.directory, self._name(identity)[:-len(SUFFIX)] + LOCK_SUFFIX)
        try:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            yield  # no lock: at worst two forks log in
            return
        try:
            # Blocks while another fork fetches: that is bounded by its own
            # timeout and retries.
            fcntl.flock(handle, fcntl.LOCK_EX)
            os.utime(path, None)
            yield
        finally:
            os.close(handle)  # releases the lock

    def evict(self, identity):
        if self._ready():
            self._remove(os.path.join(self.directory, self._name(identity)))

    def _sweep(self):
        """Drop every expired entry (and temporary files left by a crash)."""
        now = time.time()
        for name in os.listdir(self.directory):
            path = os.path.join(self.directory, name)
            if name.startswith('.tmp-'):
                try:
                    if now - os.stat(path).st_mtime > 60:
                        self._remove(path)
                except OSError:
                    pass
                continue
            if name.endswith(LOCK_SUFFIX):
                try:
                    if now - os.stat(path).st_mtime > STALE_LOCK:
                        self._remove(path)
                except OSError:
                    pass
                continue
            if not name.endswith(SUFFIX):
                continue
            try:
                with open(path) as handle:
                    expired = now >= float(json.load(handle)['reuse_until'])
            except (OSError, IOError, ValueError, KeyError, TypeError):
                expired = True
            if expired:
                self._remove(path)

    @staticmethod
    def _remove(path):
        try:
            os.unlink(path)
        except OSError:
            pass
