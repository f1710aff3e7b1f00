# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every token of a task, in one object: Credentials.

The logins (App ID, then account), the access token, the meeting's control
token and the push server's address that comes with it, renewal after a 401,
the token cache's keys, the host password (given, or read from the
meeting's details with the login) and the push tokens (the tmpWsToken handed
over, or a wsToken). The HTTP client asks it for the headers of a call and
for who the gateway counts the call against, and asks it to renew a token
the service refused; it makes its token calls through the client's
transport, and reads the meeting's details through the client's call of the
contract, both given to it (it imports nothing of the client).

Tokens are fetched lazily, the first time a call needs them, so a task never
logs in or asks for a control token it does not use.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import time
import uuid

from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import MeetingError, for_meeting


class Token(object):
    """The kinds of token a call of the contract is made with (its ``token``)."""

    ACCESS = 'access'  # X-Access-Token: the login's
    CONTROL = 'control'  # X-Conference-Authorization: the meeting's control token


PATH_ACCOUNT_LOGIN = '/v1/usg/acs/auth/account'
PATH_APP_LOGIN = '/v2/usg/acs/auth/appauth'
PATH_CONTROL_TOKEN = '/v1/mmc/control/conferences/token'
PATH_WS_TOKEN = '/v1/mmc/control/conferences/wsToken'
LOGIN_PATHS = (PATH_APP_LOGIN, PATH_ACCOUNT_LOGIN)

CLIENT_TYPE = 72
APP_SIGNATURE_LIFETIME = 600  # seconds, "about ten minutes ahead" (the service contract)
CONTROL_TOKEN_LIFETIME = 1800  # "a token lives 30 minutes", when the answer does not say
WS_TOKEN_LIFETIME = 60  # a push token lives one minute


def app_signature(app_key, app_id, user_id, expire_time, nonce, corp_id=None):
    """The App ID login signature (the service contract): upper-case hex HMAC-SHA256 over
    ``appId:userId:expireTime:nonce``, with ``corpId`` after ``appId`` for a
    multi-tenant app (one that sends a non-empty corpId)."""
    parts = [app_id]
    if corp_id:
        parts.append(corp_id)
    parts.extend([user_id or '', str(expire_time), nonce])
    data = ':'.join(parts)
    return hmac.new(app_key.encode('utf-8'), data.encode('utf-8'), hashlib.sha256).hexdigest().upper()


def positive_number(value):
    """A token's lifetime from an answer, as a float; None unless it is a
    positive number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


class Credentials(object):
    """The credentials a task was given and the tokens they obtain.

    ``call(method, path, what, token=None, params=None, body=None,
    headers=None)``: the client's transport (MeetingClient.call), for the
    logins and the token calls; ``read_details()``: the meeting's details
    (MeetingClient.meeting_details), which carry the host password.
    ``register_secret`` is called with every token the service issues, so
    the module can keep it out of its output. Tokens this object obtains are
    shared with later tasks through ``cache``; tokens the user gave are used
    as given and never cached.
    """

    def __init__(self, call, read_details, pacer, base_url, conference_id=None, access_token=None,
                 app_id=None, app_key=None, user_id=None, corp_id=None, account=None, account_password=None,
                 host_password=None, conference_token=None, cache=None, register_secret=None):
        self._call = call
        self._read_details = read_details
        self._pacer = pacer
        self.base_url = base_url
        self.conference_id = conference_id
        self._app_id = app_id
        self._app_key = app_key
        self._user_id = user_id
        self._corp_id = corp_id
        self._account = account
        self._account_password = account_password
        self._host_password = host_password
        self._access_token = access_token
        self._control_token = conference_token
        self._cache = cache
        self._register_secret = register_secret or (lambda value: None)
        # The push server's base URL (wsURL), which comes with a control token,
        # and the push token that comes with it (tmpWsToken: one minute, one
        # connection), until it is used.
        self.ws_url = None
        self._temporary_ws_token = None
        # The host password read from the meeting's details with the login
        # (passwordEntry, role chair): in memory only, never cached on disk.
        self._password_from_login = None

    # --- what the credentials allow -------------------------------------------

    @property
    def can_log_in(self):
        return bool((self._app_id and self._app_key) or (self._account and self._account_password))

    @property
    def can_read_host_password(self):
        """Whether the login may be asked for the meeting's details, which
        carry the host password: used when no host_password is given."""
        return bool(self._access_token or self.can_log_in)

    def _issued(self, token, what):
        if not token or not isinstance(token, str):
            raise MeetingError('Could not %s: the answer carried no token' % for_meeting(what, self.conference_id))
        self._register_secret(token)
        return token

    # --- the access token ------------------------------------------------------

    def log_in(self):
        """Log in (App ID first, then account: the documented precedence) and
        keep the access token."""
        if self._app_id and self._app_key:
            what = 'log in with App ID %s' % self._app_id
            expire_time = int(time.time()) + APP_SIGNATURE_LIFETIME
            nonce = uuid.uuid4().hex + uuid.uuid4().hex[:16]  # 48 characters
            signature = app_signature(self._app_key, self._app_id, self._user_id, expire_time, nonce, self._corp_id)
            access = base64.b64encode(self._app_id.encode('utf-8')).decode('ascii')
            headers = {'Authorization': 'HMAC-SHA256 signature=%s,access=%s' % (signature, access)}
            body = {'appId': self._app_id, 'userId': self._user_id or '', 'corpId': self._corp_id or '',
                    'expireTime': expire_time, 'nonce': nonce, 'clientType': CLIENT_TYPE}
            answer = self._call('POST', PATH_APP_LOGIN, what, body=body, headers=headers)
        elif self._account and self._account_password:
            what = 'log in as account %s' % self._account
            basic = base64.b64encode(('%s:%s' % (self._account, self._account_password)).encode('utf-8')).decode('ascii')
            headers = {'Authorization': 'Basic %s' % basic}
            body = {'account': self._account, 'clientType': CLIENT_TYPE}
            answer = self._call('POST', PATH_ACCOUNT_LOGIN, what, body=body, headers=headers)
        else:
            raise MeetingError('Cannot log in for meeting %s: give access_token, app_id and app_key, '
                               'or account and account_password' % self.conference_id)
        self._access_token = self._issued(answer.get('accessToken'), what)
        if self._cache:
            self._cache.put(self._access_identity(), self._access_token, positive_number(answer.get('validPeriod')))
        return self._access_token

    # --- the control token and the push server ----------------------------------

    def fetch_control_token(self):
        """Get a control token with the host password (given, or read from
        the meeting's details with the login) and keep it."""
        what = 'get a control token'
        password = self.host_password(what)
        headers = {'X-Password': password, 'X-Login-Type': '1'}
        answer = self._call('GET', PATH_CONTROL_TOKEN, what, params={'conferenceID': self.conference_id},
                            headers=headers)
        data = (answer.get('data') if isinstance(answer, dict) else None) or {}
        self._control_token = self._issued(data.get('token'), what)
        if isinstance(data.get('tmpWsToken'), str) and data['tmpWsToken']:
            # A push token that comes with the control token: it opens this
            # task's first push connection without a wsToken call (one call
            # of each API per meeting when 200 meetings start at once).
            self._register_secret(data['tmpWsToken'])
            self._temporary_ws_token = data['tmpWsToken']
        ws_url = data.get('wsURL')
        self.ws_url = ws_url if isinstance(ws_url, str) and ws_url.strip() else None
        if self._cache:
            lifetime = positive_number(data.get('confTokenExpireTime'))
            if lifetime is None and positive_number(data.get('expireTime')):
                lifetime = positive_number(data.get('expireTime')) / 1000.0 - time.time()
            self._cache.put(self._control_identity(), self._control_token, lifetime or CONTROL_TOKEN_LIFETIME)
            if self.ws_url:
                # Not a secret, but only known with a control token: kept
                # beside it so a task with a cached token can reach the push.
                self._cache.put(self._push_identity(), self.ws_url, lifetime or CONTROL_TOKEN_LIFETIME)
        return self._control_token

    def obtain_control_token(self):
        """The control token in use: the one given or kept, else one from the
        cache, else one fetched from the service now."""
        self.headers(Token.CONTROL)
        return self._control_token

    def fetch_push_url(self):
        """The push server's base URL (wsURL) of the control token in use
        (fetching one when there is none), or None when it is not known: a
        control token given as conference_token carries none, unless an
        earlier task's is cached."""
        self.headers(Token.CONTROL)  # a control token, and with it wsURL
        if not self.ws_url and self._cache:
            self.ws_url = self._cache.get(self._push_identity())
        return self.ws_url

    # --- the host password -----------------------------------------------------------

    def host_password(self, purpose):
        """The host password: the one given, else the one read from the
        meeting's details with the login; ``purpose`` (words for what needs
        it) says what cannot be done when there is neither."""
        if self._host_password:
            return self._host_password
        if self.can_read_host_password:
            return self.read_host_password()
        raise MeetingError('Cannot %s for meeting %s: give host_password or conference_token, or login '
                           'credentials that may read the meeting\'s details' % (purpose, self.conference_id))

    def read_host_password(self):
        """The host password (passwordEntry, role chair) from the meeting's
        details, read once per run with the login.  Registered as a secret
        the moment it is known; kept in memory, never cached on disk."""
        if self._password_from_login:
            return self._password_from_login
        try:
            answer = self._read_details()
        except MeetingError as error:
            if error.status != 403:
                raise
            raise MeetingError(
                'Could not read the host password of meeting %s from its details: this login may not read '
                'them (%s). Only the meeting\'s scheduler or an administrator of the enterprise may: log in '
                'as one of them, or give host_password for this meeting.'
                % (self.conference_id, error.message.split(': ', 1)[-1]),
                status=error.status, error_code=error.error_code, error_msg=error.error_msg,
                request_id=error.request_id)
        data = answer.get('conferenceData') if isinstance(answer.get('conferenceData'), dict) else {}
        entries = data.get('passwordEntry') if isinstance(data.get('passwordEntry'), list) else []
        password = None
        for entry in entries:
            if not isinstance(entry, dict) or not entry.get('password'):
                continue
            self._register_secret(str(entry['password']))  # the guest password is a secret too
            if entry.get('conferenceRole') == 'chair':
                password = str(entry['password'])
        if not password:
            raise MeetingError(
                'Could not read the host password of meeting %s: its details carry no host (chair) password '
                'for this login; give host_password for this meeting.' % self.conference_id)
        self._password_from_login = password
        return password

    # --- the push tokens ------------------------------------------------------------------

    def take_temporary_ws_token(self):
        """The tmpWsToken of the control token this task fetched, or one an
        earlier task handed over through the cache, once (it opens one
        connection); None when there is none."""
        token, self._temporary_ws_token = self._temporary_ws_token, None
        if token is None and self._cache:
            token = self._cache.get(self._temporary_ws_identity())
            if token:
                self._cache.evict(self._temporary_ws_identity())
                self._register_secret(token)
        return token

    def hand_over_control_token(self):
        """Fetch the control token now and leave it, with the push token of
        its answer, in the cache for the tasks that follow: for a task that
        read the host password from the meeting's details (which is never
        written to disk), so that the control tasks after it need not read
        the details again. Nothing without a cache."""
        if not self._cache:
            return
        self.headers(Token.CONTROL)
        token, self._temporary_ws_token = self._temporary_ws_token, None
        if token:
            self._cache.put(self._temporary_ws_identity(), token, WS_TOKEN_LIFETIME)

    def fetch_push_token(self):
        """A token for one push connection when no tmpWsToken is at hand: a
        wsToken, or, when the gateway's window of wsToken is full and that of
        the control token is not, and the host password is known without a
        call, the tmpWsToken of a fresh control token: on an event's second
        run the record and broadcast tasks of a meeting each need a push
        token, and two APIs of one call each fill no window twice as fast."""
        password_at_hand = bool(self._host_password or self._password_from_login)
        ws_token_waits = self._pacer.would_wait(self.gateway_bucket('GET', PATH_WS_TOKEN, Token.CONTROL))
        control_token_waits = self._pacer.would_wait(self.gateway_bucket('GET', PATH_CONTROL_TOKEN, None))
        if password_at_hand and ws_token_waits and not control_token_waits:
            if self._cache:
                self._cache.evict(self._control_identity())
            self._control_token = None
            self.headers(Token.CONTROL)
            token = self.take_temporary_ws_token()
            if token:
                return token
        return self.fetch_ws_token()

    def fetch_ws_token(self):
        """A one-minute, one-use token for the meeting-status push (wsToken)."""
        what = 'get a token for the meeting-status push'
        answer = self._call('GET', PATH_WS_TOKEN, what, token=Token.CONTROL, params={'conferenceID': self.conference_id})
        return self._issued(answer.get('webSocketToken'), what)

    # --- for the transport: headers, renewal, the gateway's buckets -----------------

    def headers(self, token):
        """The headers of a call made with ``token`` (a Token kind, or None),
        obtaining the token first when there is none yet."""
        if token == Token.ACCESS:
            if not self._access_token:
                if self.can_log_in:
                    self._access_token = self._obtain(self._access_identity(), self.log_in)
                else:
                    self.log_in()  # says which credentials are missing
            return {'X-Access-Token': self._access_token}
        if token == Token.CONTROL:
            if not self._control_token:
                if self._host_password or self.can_read_host_password:
                    self._control_token = self._obtain(self._control_identity(), self.fetch_control_token)
                else:
                    self.fetch_control_token()  # says what is missing
            return {'X-Conference-Authorization': self._control_token}
        return {}

    def renew(self, token, what, response):
        """After a 401 (``response``) to the call ``what``: get a fresh
        ``token`` (never from the cache, whose entry is evicted), so the
        caller sends once more; a MeetingError when the credentials cannot."""
        if token == Token.ACCESS and self.can_log_in:
            if self._cache:
                self._cache.evict(self._access_identity())
            self.log_in()
            return
        if token == Token.CONTROL and (self._host_password or self.can_read_host_password):
            if self._cache:
                self._cache.evict(self._control_identity())
            self.fetch_control_token()
            return
        if token == Token.ACCESS:
            reason = ('the access token was rejected (HTTP 401): it has expired or is invalid; '
                      'give app_id and app_key, or account and account_password, so the module can log in')
        else:
            reason = ('the control token (conference_token) was rejected (HTTP 401): it has expired or is '
                      'not for this meeting; give host_password, or login credentials that may read the '
                      'meeting\'s details, so the module can fetch a new one')
        raise MeetingError('Could not %s: %s' % (for_meeting(what, self.conference_id), reason),
                           status=response.status_code, request_id=response.headers.get('X-Request-Id'))

    def gateway_bucket(self, method, path, token):
        """Who the gateway counts a call against, and the API (the pacer's
        bucket): the login for the calls made with an access token and for
        the logins, else one caller for the control calls of this controller
        (the contract, "The gateway's rate limit")."""
        api = '%s %s' % (method, path)
        if token == Token.ACCESS or path in LOGIN_PATHS:
            caller = self._access_identity() if self.can_log_in else ('access_token', self._access_token or '')
        else:
            caller = ('control',)
        return ('gateway', self.base_url) + tuple(caller) + (api,)

    # --- the token cache's keys ------------------------------------------------------

    def _access_identity(self):
        if self._app_id and self._app_key:
            return ('access', self.base_url, 'app', self._app_id, self._user_id or '', self._corp_id or '',
                    self._app_key)
        return ('access', self.base_url, 'account', self._account or '', self._account_password or '')

    def _control_identity(self):
        """What a control token was obtained with.  With a host password read
        from the meeting's details, that is the login (not the password,
        which is not known before the details are read): a later task with the
        same login and meeting reuses the token without reading them again."""
        if self._host_password:
            return ('control', self.base_url, self.conference_id or '', self._host_password)
        if self.can_log_in:
            login = self._access_identity()[2:]
        else:
            login = ('access_token', self._access_token or '')
        return ('control', self.base_url, self.conference_id or '', 'from-login') + tuple(login)

    def _push_identity(self):
        return ('push', self.base_url, self.conference_id or '')

    def _temporary_ws_identity(self):
        return ('push-token', self.base_url, self.conference_id or '')

    def _obtain(self, identity, fetch):
        """A token from the cache, or from ``fetch`` (which caches it)."""
        if not self._cache:
            return fetch()
        token, from_cache = self._cache.obtain(identity, fetch)
        if from_cache:
            self._register_secret(token)
        return token
