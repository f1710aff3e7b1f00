# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one HTTP client of the collection: session, retries, logins, control
token and errors for the Huawei Cloud Meeting REST API (docs/dev/service_contract.md).

Every module builds exactly one MeetingClient per run.  Tokens are fetched
lazily, the first time a call needs them, so a task never logs in or asks for
a control token it does not use.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import hashlib
import hmac
import random
import re
import socket
import threading
import time
import traceback
import uuid
import warnings

from ansible_collections.hwcloud.meeting.plugins.module_utils import ratelimit

REQUESTS_IMPORT_ERROR = None
try:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.exceptions import InsecureRequestWarning
    from urllib3.util.retry import Retry
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = traceback.format_exc()
    Retry = object  # keeps the class statement below importable
    InsecureRequestWarning = Warning
else:
    HAS_REQUESTS = True

DEFAULT_API_URL = 'https://api.meeting.huaweicloud.com'
USER_AGENT = 'hwcloud.meeting-ansible-collection'

# Statuses the gateway and the service use for "try again" (the service
# contract, docs/dev/service_contract.md, "Errors").
TRANSIENT_STATUSES = frozenset((429, 500, 502, 503, 504))
# The longest wait before one retry that a Retry-After asks for, spread and
# backoff included (the doc fragment promises it): an event-day task must not
# sleep for an hour because a proxy said so.
MAX_RETRY_AFTER = 60.0
BACKOFF_FACTOR = 0.5
BACKOFF_JITTER = 0.5

PATH_ACCOUNT_LOGIN = '/v1/usg/acs/auth/account'
PATH_APP_LOGIN = '/v2/usg/acs/auth/appauth'
PATH_ONLINE = '/v1/mmc/management/conferences/online/confDetail'
PATH_START = '/v1/mmc/management/conferences/start'
PATH_CONTROL_TOKEN = '/v1/mmc/control/conferences/token'
PATH_REALTIME = '/v1/mmc/control/conferences/realTimeInfo'
PATH_RECORD = '/v1/mmc/control/conferences/record'
PATH_LIVE = '/v1/mmc/control/conferences/live'
PATH_BROADCAST = '/v1/mmc/control/conferences/participants/broadcast'
PATH_CANCEL_BROADCAST = '/v1/mmc/control/conferences/cancelBroadcast'
PATH_WS_TOKEN = '/v1/mmc/control/conferences/wsToken'
PATH_DETAILS = '/v1/mmc/management/conferences/confDetail'
PATH_LIST = '/v1/mmc/management/conferences'
PATH_LIST_ONLINE = '/v1/mmc/management/conferences/online'
LIST_PAGE_SIZE = 100
# A page count past which the lists are not followed: a service that keeps
# answering full pages must not keep an inventory sync busy forever.
MAX_LIST_PAGES = 1000

CLIENT_TYPE = 72
APP_SIGNATURE_LIFETIME = 600  # seconds, "about ten minutes ahead" (the service contract)
CONTROL_TOKEN_LIFETIME = 1800  # "a token lives 30 minutes", when the answer does not say
WS_TOKEN_LIFETIME = 60  # a push token lives one minute

THROTTLED = 'APIG.0308'
NOT_IN_PROGRESS = 'MMC.111070005'
MEETING_ENDED = 'MMC.111072006'
# The service's ways of saying a meeting is not running: nothing records,
# streams or is broadcast in it.
NOT_RUNNING = (NOT_IN_PROGRESS, MEETING_ENDED)

# What the vendor's codes mean and what an operator should do about them.
ERROR_HINTS = {
    'MMC.111072065': 'the meeting was not found or the meeting password is wrong: check conference_id and host_password',
    NOT_IN_PROGRESS: ('the meeting is not in progress (not activated yet, or no such meeting): '
                      'activate it with hwcloud.meeting.meeting_activate before controlling it'),
    MEETING_ENDED: 'the meeting has ended; an ended meeting cannot be controlled or started again',
    'MMC.111070009': 'the meeting password must not be empty: set host_password',
    'MMC.111072050': 'the meeting is locked',
    'USG.206010000': 'wrong account or password: check account and account_password',
    'USG.206010025': 'the App ID check failed: check app_id, app_key, user_id and corp_id',
    'USG.206010057': "the App ID authentication expired: check the controller's clock and the App ID's validity",
    THROTTLED: ('the gateway\'s rate limit of calls per API: run fewer meetings at once (forks, serial, job slices) '
                'or raise rate_limit_wait'),
}

_ACCESS = 'access'
_CONTROL = 'control'


class MeetingError(Exception):
    """Every failure of the client: a sentence for a person, plus the facts."""

    def __init__(self, message, status=None, error_code=None, error_msg=None, request_id=None,
                 no_such_meeting=False):
        super(MeetingError, self).__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        # The service said the meeting does not exist (not merely that it
        # is not in progress): no task succeeds on it.
        self.no_such_meeting = no_such_meeting

    def __str__(self):
        return self.message

    def to_result(self):
        """The structured fields a failed task returns beside ``msg``."""
        return dict(status=self.status, error_code=self.error_code,
                    error_msg=self.error_msg, request_id=self.request_id)


class _CappedRetry(Retry):
    """urllib3's Retry, with Retry-After capped (see MAX_RETRY_AFTER) and
    spread out.

    urllib3 sleeps exactly Retry-After. When a gateway throttles many clients
    at once (forks of one run, runs of one event) and tells them all
    "Retry-After: 1", they would all come back in the same instant and be
    throttled again together. So Retry-After is honoured as the least wait,
    and a random part of up to as much again, plus the usual exponential
    backoff of consecutive failures, is added to it; the whole wait is never
    longer than MAX_RETRY_AFTER.
    """

    # Called just before each resend (after the backoff sleep): the pacer
    # must count every send that reaches the gateway, not only the first
    # attempt of a call (build_retry). Carried over to the copies urllib3
    # makes of a Retry on each attempt (``new``).
    on_resend = None

    def new(self, **kwargs):
        retry = super(_CappedRetry, self).new(**kwargs)
        retry.on_resend = self.on_resend
        return retry

    def sleep(self, response=None):
        super(_CappedRetry, self).sleep(response)
        if self.on_resend is not None:
            self.on_resend()

    def is_retry(self, method, status_code, has_retry_after=False):
        # A 429 without Retry-After is the gateway's rate limit (APIG.0308):
        # the pacer waits for its window (MeetingClient._call), not a backoff
        # of seconds that ends before the window reopens.
        if status_code == 429 and not has_retry_after:
            return False
        return super(_CappedRetry, self).is_retry(method, status_code, has_retry_after)

    def parse_retry_after(self, retry_after):
        return min(super(_CappedRetry, self).parse_retry_after(retry_after), MAX_RETRY_AFTER)

    def get_retry_after(self, response):
        retry_after = super(_CappedRetry, self).get_retry_after(response)
        if not retry_after:
            return retry_after
        wait = retry_after + random.uniform(0, retry_after) + self.get_backoff_time()
        return min(wait, MAX_RETRY_AFTER)


def build_retry(retries, on_resend=None):
    """Retries of transient failures: connection errors, read timeouts and
    TRANSIENT_STATUSES, exponential backoff with jitter, Retry-After honoured.
    ``on_resend`` is called before each resend, after its backoff.

    Every call of this API is idempotent (starting a started meeting, or
    recording a recorded one, changes nothing), so POST and PUT are retried too.
    """
    options = dict(
        total=retries, connect=retries, read=retries, status=retries, other=0,
        redirect=0, allowed_methods=None, status_forcelist=TRANSIENT_STATUSES,
        backoff_factor=BACKOFF_FACTOR, respect_retry_after_header=True,
        raise_on_status=False, raise_on_redirect=False,
    )
    try:
        retry = _CappedRetry(backoff_jitter=BACKOFF_JITTER, **options)
    except TypeError:  # urllib3 < 2 has no jitter; the backoff still applies
        retry = _CappedRetry(**options)
    retry.on_resend = on_resend
    return retry


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


def _first(mapping, *keys):
    for key in keys:
        value = mapping.get(key)
        if value not in (None, ''):
            return value
    return None


_TAG = re.compile(r'<[^>]+>')
_TITLE = re.compile(r'<title[^>]*>(.*?)</title>', re.IGNORECASE | re.DOTALL)


def describe_body(text):
    """Words for an answer that is not the service's JSON error body."""
    stripped = (text or '').strip()
    if not stripped:
        return 'an empty body'
    if stripped.startswith('<') or '<html' in stripped[:200].lower():
        title = _TITLE.search(stripped)
        words = title.group(1) if title else _TAG.sub(' ', stripped)
        words = ' '.join(words.split())[:120]
        return 'an HTML page, probably from a proxy or gateway in between (%s)' % (words or 'no title')
    return 'a body that is not the service\'s JSON (%s)' % ' '.join(stripped.split())[:120]


def parse_error(response):
    """(error_code, error_msg, description) from a failed answer, whichever of
    the spellings of the service contract the gateway used; the description always says
    something, even for an empty or HTML body."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        code = _first(data, 'error_code', 'errorCode', 'code')
        message = _first(data, 'error_msg', 'errorMsg', 'message')
        if code is not None or message is not None:
            code = None if code is None else str(code)
            message = None if message is None else str(message)
            parts = ['error %s' % code if code else 'no error code']
            if message:
                parts.append('"%s"' % message)
            hint = ERROR_HINTS.get(code)
            if hint:
                parts.append('(%s)' % hint)
            return code, message, ' '.join(parts)
    return None, None, describe_body(response.text)


class MeetingClient(object):
    """The calls of the service contract for one meeting, with the credentials a module was given.

    ``register_secret`` is called with every token the service issues, so the
    module can keep it out of its output (AnsibleModule.no_log_values).
    """

    def __init__(self, api_url=DEFAULT_API_URL, conference_id=None,
                 access_token=None, app_id=None, app_key=None, user_id=None, corp_id=None,
                 account=None, account_password=None,
                 host_password=None, conference_token=None,
                 validate_certs=True, ca_path=None, timeout=30, retries=3,
                 register_secret=None, cache=None, rate_limit_wait=ratelimit.DEFAULT_MAX_WAIT, pacer=None):
        self.base_url = (api_url or DEFAULT_API_URL).rstrip('/')
        self.conference_id = conference_id
        self.timeout = timeout
        self.retries = retries
        self._app_id = app_id
        self._app_key = app_key
        self._user_id = user_id
        self._corp_id = corp_id
        self._account = account
        self._account_password = account_password
        self._host_password = host_password
        self._access_token = access_token
        self._control_token = conference_token
        # The push server's base URL (wsURL), which comes with a control token,
        # and the push token that comes with it (tmpWsToken: one minute, one
        # connection), until it is used.
        self.ws_url = None
        self._temporary_ws_token = None
        # The host password read from the meeting's details with the login
        # (passwordEntry, role chair): in memory only, never cached on disk.
        self._password_from_login = None
        self._register_secret = register_secret or (lambda value: None)
        # Tokens this client obtains are shared with later tasks through the
        # cache; tokens the user gave are used as given and never cached.
        self._cache = cache
        # The gateway's rate limit: paced for every fork and task of the
        # controller beside the token cache, else for this process.
        if pacer is None:
            private = getattr(cache, 'private', None)
            store = ratelimit.FileStore(private=private) if private is not None else ratelimit.MemoryStore()
            pacer = ratelimit.Pacer(store, rate_limit_wait)
        self._pacer = pacer
        # How long the calls of this client waited for the gateway, and why.
        self.gateway_waits = []
        # An explicit CA bundle wins; True lets requests honour REQUESTS_CA_BUNDLE.
        # It is passed on every request: a Session-level verify=False would be
        # overridden by REQUESTS_CA_BUNDLE (requests issue #3829).
        self._verify = (ca_path or True) if validate_certs else False

        # The call being sent in this thread (its bucket, what it waited for
        # the gateway, when its last attempt left), for the resends urllib3
        # makes inside one send.
        self._sending = threading.local()
        self._session = requests.Session()
        adapter = HTTPAdapter(max_retries=build_retry(retries, on_resend=self._before_resend))
        self._session.mount('https://', adapter)
        self._session.mount('http://', adapter)
        self._session.headers.update({'User-Agent': USER_AGENT, 'Accept': 'application/json'})

    # --- credentials ---------------------------------------------------------

    @property
    def can_log_in(self):
        return bool((self._app_id and self._app_key) or (self._account and self._account_password))

    @property
    def can_read_host_password(self):
        """Whether the login may be asked for the meeting's details, which
        carry the host password: used when no host_password is given."""
        return bool(self._access_token or self.can_log_in)

    def _for_meeting(self, what):
        return '%s for meeting %s' % (what, self.conference_id) if self.conference_id else what

    def _issued(self, token, what):
        if not token or not isinstance(token, str):
            raise MeetingError('Could not %s: the answer carried no token' % self._for_meeting(what))
        self._register_secret(token)
        return token

    def login(self):
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
            self._cache.put(self._access_identity(), self._access_token, _number(answer.get('validPeriod')))
        return self._access_token

    def fetch_control_token(self):
        """Get a control token with the host password (given, or read from
        the meeting's details with the login) and keep it."""
        what = 'get a control token'
        password = self.host_password(what)
        headers = {'X-Password': password, 'X-Login-Type': '1'}
        answer = self._call('GET', PATH_CONTROL_TOKEN, what, params=self._meeting_query(), headers=headers)
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
            lifetime = _number(data.get('confTokenExpireTime'))
            if lifetime is None and _number(data.get('expireTime')):
                lifetime = _number(data.get('expireTime')) / 1000.0 - time.time()
            self._cache.put(self._control_identity(), self._control_token, lifetime or CONTROL_TOKEN_LIFETIME)
            if self.ws_url:
                # Not a secret, but only known with a control token: kept
                # beside it so a task with a cached token can reach the push.
                self._cache.put(self._push_identity(), self.ws_url, lifetime or CONTROL_TOKEN_LIFETIME)
        return self._control_token

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

    def _auth_headers(self, auth):
        if auth == _ACCESS:
            if not self._access_token:
                if self.can_log_in:
                    self._access_token = self._obtain(self._access_identity(), self.login)
                else:
                    self.login()  # says which credentials are missing
            return {'X-Access-Token': self._access_token}
        if auth == _CONTROL:
            if not self._control_token:
                if self._host_password or self.can_read_host_password:
                    self._control_token = self._obtain(self._control_identity(), self.fetch_control_token)
                else:
                    self.fetch_control_token()  # says what is missing
            return {'X-Conference-Authorization': self._control_token}
        return {}

    def _renew(self, auth):
        """After a 401: get a fresh token for ``auth`` (never from the cache,
        whose entry is evicted), if the credentials allow; the caller retries
        once.  False when there is nothing to renew it with."""
        if auth == _ACCESS and self.can_log_in:
            if self._cache:
                self._cache.evict(self._access_identity())
            self.login()
            return True
        if auth == _CONTROL and (self._host_password or self.can_read_host_password):
            if self._cache:
                self._cache.evict(self._control_identity())
            self.fetch_control_token()
            return True
        return False

    def _unrenewable(self, auth, what, status, request_id):
        if auth == _ACCESS:
            reason = ('the access token was rejected (HTTP 401): it has expired or is invalid; '
                      'give app_id and app_key, or account and account_password, so the module can log in')
        else:
            reason = ('the control token (conference_token) was rejected (HTTP 401): it has expired or is '
                      'not for this meeting; give host_password, or login credentials that may read the '
                      'meeting\'s details, so the module can fetch a new one')
        return MeetingError('Could not %s: %s' % (self._for_meeting(what), reason),
                            status=status, request_id=request_id)

    # --- transport -------------------------------------------------------------

    def _meeting_query(self, **extra):
        query = {'conferenceID': self.conference_id}
        query.update(extra)
        return query

    def _send(self, method, path, what, params, body, headers):
        url = self.base_url + path
        reason = 'the request to %s failed' % self.base_url
        try:
            with warnings.catch_warnings():
                if self._verify is False:
                    # said once, by the module, in words (validate_certs is false)
                    warnings.simplefilter('ignore', InsecureRequestWarning)
                return self._session.request(method, url, params=params, json=body, headers=headers,
                                             timeout=self.timeout, verify=self._verify)
        except requests.exceptions.SSLError as exc:
            reason = ('the TLS certificate of %s could not be verified (%s); set ca_path to the CA bundle '
                      'that signed it, or validate_certs: false for a test service'
                      % (self.base_url, _reason(exc)))
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            # Once the retries are spent, requests reports a read timeout as a
            # ConnectionError; the innermost reason tells them apart.
            if isinstance(exc, requests.exceptions.Timeout) or _timed_out(exc):
                reason = ('no answer from %s within %s seconds, %d attempt(s); the service is slow or '
                          'unreachable (raise timeout if it is just slow)'
                          % (self.base_url, self.timeout, self.retries + 1))
            else:
                reason = 'could not connect to %s after %d attempt(s) (%s)' % (
                    self.base_url, self.retries + 1, _reason(exc))
        except requests.exceptions.RequestException as exc:
            reason = 'the request to %s failed (%s)' % (self.base_url, _reason(exc))
        raise MeetingError('Could not %s: %s' % (self._for_meeting(what), reason))

    def _call(self, method, path, what, auth=None, params=None, body=None, headers=None, expect_json=True):
        """One logical call: send (urllib3 retries transient failures), renew
        the token once on a 401, turn any failure into a MeetingError, decode
        the answer.  A 200 whose JSON is broken is retried like a transient
        failure: it is what a connection cut mid-answer looks like."""
        renewed = False
        broken_answers = 0
        sending = self._sending
        sending.waited = 0.0
        while True:
            all_headers = dict(headers or {})
            all_headers.update(self._auth_headers(auth))
            sending.bucket = self._bucket(method, path, auth)
            try:
                sending.waited += self._pacer.before_call(sending.bucket, sending.waited)
                self._note_wait()
                sending.sent_at = time.time()
                try:
                    response = self._send(method, path, what, params, body, all_headers)
                finally:
                    bucket, sent_at, sending.bucket = sending.bucket, sending.sent_at, None
                if response.status_code == 429:
                    # The gateway's limit (urllib3 retried any 429 that said
                    # Retry-After): wait until its window reopens, and again.
                    sending.waited += self._pacer.on_throttled(bucket, response.headers, sent_at, sending.waited)
                    self._note_wait()
                    continue
            except ratelimit.RateLimitWait as limit:
                raise MeetingError('Could not %s: %s' % (self._for_meeting(what), limit), status=429,
                                   error_code=THROTTLED)
            self._pacer.after_call(bucket, response.headers, sent_at)
            request_id = response.headers.get('X-Request-Id')
            if response.status_code == 401 and auth and not renewed:
                if not self._renew(auth):
                    raise self._unrenewable(auth, what, response.status_code, request_id)
                renewed = True
                continue
            if response.status_code >= 400:
                raise self._failure(response, what)
            if not expect_json:
                return None  # writes: "the body may be empty or a small JSON object: ignore it"
            try:
                answer = response.json()
                if not isinstance(answer, dict):
                    raise ValueError('not a JSON object')  # every answer of this API is one
                return answer
            except ValueError:
                if broken_answers < self.retries:
                    broken_answers += 1
                    time.sleep(BACKOFF_FACTOR * broken_answers + random.random() * BACKOFF_JITTER)
                    continue
                raise MeetingError(
                    'Could not %s: HTTP %s with %s%s'
                    % (self._for_meeting(what), response.status_code, describe_body(response.text),
                       _request_id_text(request_id)),
                    status=response.status_code, request_id=request_id)

    def _before_resend(self):
        """urllib3 sends the call again (a 5xx, a dropped connection, a
        timeout): the gateway counts that send too, so the pacer records it
        (and waits first when its window is full), as for the first."""
        bucket = getattr(self._sending, 'bucket', None)
        if bucket is None:
            return
        self._sending.waited += self._pacer.before_call(bucket, self._sending.waited)
        self._note_wait()
        self._sending.sent_at = time.time()

    def _bucket(self, method, path, auth):
        """Who the gateway counts a call against, and the API: the login for
        the calls made with an access token and for the logins, else one
        caller for the control calls of this controller (the contract,
        "The gateway's rate limit")."""
        api = '%s %s' % (method, path)
        if auth == _ACCESS or path in (PATH_APP_LOGIN, PATH_ACCOUNT_LOGIN):
            caller = self._access_identity() if self.can_log_in else ('access_token', self._access_token or '')
        else:
            caller = ('control',)
        return ('gateway', self.base_url) + tuple(caller) + (api,)

    def _note_wait(self):
        wait = self._pacer.last_wait
        if wait is not None:
            self.gateway_waits.append('%s%s' % (str(wait), self._for_meeting_suffix()))

    def _for_meeting_suffix(self):
        return ' (meeting %s)' % self.conference_id if self.conference_id else ''

    def _failure(self, response, what):
        code, message, description = parse_error(response)
        request_id = response.headers.get('X-Request-Id')
        text = 'Could not %s: HTTP %s, %s%s' % (
            self._for_meeting(what), response.status_code, description, _request_id_text(request_id))
        return MeetingError(text, status=response.status_code, error_code=code, error_msg=message,
                            request_id=request_id)

    # --- the calls of the service contract ----------------------------------------

    def online_details(self):
        """The online check: the meeting's details when it is in progress,
        None when the service says it is not (MMC.111070005)."""
        try:
            return self._call('GET', PATH_ONLINE, 'check whether the meeting is in progress',
                              auth=_ACCESS, params=self._meeting_query())
        except MeetingError as err:
            if err.error_code == NOT_IN_PROGRESS:
                return None
            raise

    def meeting_details(self):
        """The meeting's details (confDetail), passwords included: only for
        the login that scheduled the meeting or an admin. A meeting that does
        not exist is said so (the code MMC.111070005 of this call means it:
        a meeting that exists has details whether it runs or not)."""
        try:
            return self._call('GET', PATH_DETAILS, "read the meeting's details", auth=_ACCESS,
                              params=self._meeting_query())
        except MeetingError as error:
            if error.error_code != NOT_IN_PROGRESS:
                raise
            raise MeetingError(
                'Meeting %s does not exist: the service has no meeting with that ID (%s %s); check conference_id.'
                % (self.conference_id, error.error_code, error.error_msg or ''),
                status=error.status, error_code=error.error_code, error_msg=error.error_msg,
                request_id=error.request_id, no_such_meeting=True)

    def check_meeting_exists(self):
        """Fails (no_such_meeting) when the meeting does not exist; says
        nothing when the login may not read its details (only the scheduler
        or an administrator may), since then it cannot tell."""
        try:
            self.meeting_details()
        except MeetingError as error:
            if error.status != 403:
                raise

    def host_password(self, what):
        """The host password: the one given, else the one read from the
        meeting's details with the login; ``what`` needs it (words for the
        error when there is neither)."""
        if self._host_password:
            return self._host_password
        if self.can_read_host_password:
            return self.host_password_from_login()
        raise MeetingError('Cannot %s for meeting %s: give host_password or conference_token, or login '
                           'credentials that may read the meeting\'s details' % (what, self.conference_id))

    def host_password_from_login(self):
        """The host password (passwordEntry, role chair) from the meeting's
        details, read once per run with the login.  Registered as a secret
        the moment it is known; kept in memory, never cached on disk."""
        if self._password_from_login:
            return self._password_from_login
        try:
            answer = self.meeting_details()
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

    def list_meetings(self, online=False, search=None, offset=0, limit=LIST_PAGE_SIZE):
        """One page of the meeting list (scheduled and running meetings), or
        of the meetings in progress with ``online``: ``{offset, limit, count,
        data}``.  queryAll=true: an admin sees the enterprise's meetings."""
        params = {'offset': offset, 'limit': limit, 'queryAll': 'true'}
        if search:
            params['searchKey'] = search
        what = 'list the meetings in progress' if online else 'list the meetings'
        return self._call('GET', PATH_LIST_ONLINE if online else PATH_LIST, what, auth=_ACCESS, params=params)

    def all_meetings(self, online=False, search=None, page_size=LIST_PAGE_SIZE):
        """Every meeting of the list, following its pages to the end."""
        meetings = []
        offset = 0
        for _page in range(MAX_LIST_PAGES):
            answer = self.list_meetings(online=online, search=search, offset=offset, limit=page_size)
            page = answer.get('data')
            if not isinstance(page, list):
                raise MeetingError('Could not %s: the answer carried no list of meetings (data)'
                                   % ('list the meetings in progress' if online else 'list the meetings'))
            meetings.extend(item for item in page if isinstance(item, dict))
            offset += len(page)
            count = _number(answer.get('count'))
            if not page or (count is not None and offset >= count) or (count is None and len(page) < page_size):
                return meetings
        raise MeetingError('Could not list the meetings: the list did not end after %d pages of %d'
                           % (MAX_LIST_PAGES, page_size))

    def start_meeting(self, password):
        return self._call('POST', PATH_START, 'activate the meeting', auth=_ACCESS,
                          body={'conferenceID': self.conference_id, 'password': password})

    def realtime_info(self):
        return self._call('GET', PATH_REALTIME, 'read the realtime state', auth=_CONTROL,
                          params=self._meeting_query())

    def set_recording(self, recording):
        self._call('PUT', PATH_RECORD, '%s recording' % ('start' if recording else 'stop'), auth=_CONTROL,
                   params=self._meeting_query(), body={'isRecord': 1 if recording else 0}, expect_json=False)

    def set_live(self, live):
        self._call('PUT', PATH_LIVE, '%s the live broadcast' % ('start' if live else 'stop'), auth=_CONTROL,
                   params=self._meeting_query(), body={'isLive': 1 if live else 0}, expect_json=False)

    def broadcast(self, participant_id):
        self._call('PUT', PATH_BROADCAST, 'broadcast participant %s' % participant_id, auth=_CONTROL,
                   params=self._meeting_query(participantID=participant_id), expect_json=False)

    def cancel_broadcast(self):
        self._call('PUT', PATH_CANCEL_BROADCAST, 'cancel the broadcast', auth=_CONTROL,
                   params=self._meeting_query(), expect_json=False)

    def take_temporary_ws_token(self):
        """The tmpWsToken of the control token this client fetched, or one an
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
        self._auth_headers(_CONTROL)
        token, self._temporary_ws_token = self._temporary_ws_token, None
        if token:
            self._cache.put(self._temporary_ws_identity(), token, WS_TOKEN_LIFETIME)

    def push_token(self):
        """A token for one push connection when no tmpWsToken is at hand: a
        wsToken, or, when the gateway's window of wsToken is full and that of
        the control token is not, and the host password is known without a
        call, the tmpWsToken of a fresh control token: on an event's second
        run the record and broadcast tasks of a meeting each need a push
        token, and two APIs of one call each fill no window twice as fast."""
        password_at_hand = bool(self._host_password or self._password_from_login)
        ws_token_waits = password_at_hand and self._pacer.opens_in(self._bucket('GET', PATH_WS_TOKEN, _CONTROL)) > 0
        if ws_token_waits and self._pacer.opens_in(self._bucket('GET', PATH_CONTROL_TOKEN, None)) == 0:
            if self._cache:
                self._cache.evict(self._control_identity())
            self._control_token = None
            self._auth_headers(_CONTROL)
            token = self.take_temporary_ws_token()
            if token:
                return token
        return self.websocket_token()

    def websocket_token(self):
        """A one-minute, one-use token for the meeting-status push (wsToken)."""
        what = 'get a token for the meeting-status push'
        answer = self._call('GET', PATH_WS_TOKEN, what, auth=_CONTROL, params=self._meeting_query())
        return self._issued(answer.get('webSocketToken'), what)

    def push_url(self):
        """The push server's base URL (wsURL) of the control token in use,
        or None when it is not known: a control token given as
        conference_token carries none, unless an earlier task's is cached."""
        self._auth_headers(_CONTROL)  # a control token, and with it wsURL
        if not self.ws_url and self._cache:
            self.ws_url = self._cache.get(self._push_identity())
        return self.ws_url

    @property
    def control_token(self):
        self._auth_headers(_CONTROL)
        return self._control_token

    @property
    def tls_options(self):
        """(validate_certs, CA bundle or None) as the HTTP calls use them."""
        if self._verify is False:
            return False, None
        return True, self._verify if isinstance(self._verify, str) else None

    def close(self):
        self._session.close()


def _number(value):
    """A lifetime from an answer, as a float, or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _request_id_text(request_id):
    return ' (request ID %s)' % request_id if request_id else ''


def _causes(exc):
    """The exception and the reasons it wraps, outermost first."""
    seen = [exc]
    for _depth in range(5):
        inner = getattr(seen[-1], 'reason', None)
        if inner is None and seen[-1].args and isinstance(seen[-1].args[0], Exception):
            inner = seen[-1].args[0]
        if not isinstance(inner, Exception) or inner in seen:
            break
        seen.append(inner)
    return seen


def _timed_out(exc):
    return any(isinstance(cause, (socket.timeout, TimeoutError)) or 'timed out' in str(cause).lower()
               for cause in _causes(exc))


def _reason(exc):
    """The innermost reason of a requests/urllib3 exception, without the pool
    and URL boilerplate that wraps it."""
    reason = _causes(exc)[-1]
    text = str(reason)
    # "<urllib3.connection.HTTPConnection object at 0x..>: Failed to ..." -> "Failed to ..."
    text = re.sub(r'^<[^>]+>:\s*', '', text)
    return text or reason.__class__.__name__
