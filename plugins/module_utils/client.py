# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The HTTP client of the collection: the transport (a requests session,
urllib3's retries of transient failures, the pacer around every send, a
failure in words) and one method per call of the service contract
(docs/dev/service_contract.md) about a meeting.

Every module builds exactly one MeetingClient per run. The tokens and the
logins are its Credentials' (auth.py): the client asks them for the headers
of a call, and to renew a token the service refused.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import random
import threading
import time
import traceback
import warnings

from ansible_collections.hwcloud.meeting.plugins.module_utils.auth import Credentials, Token, positive_number
from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import (
    NOT_IN_PROGRESS,
    THROTTLED,
    USER_AGENT,
    MeetingError,
    connection_reason,
    describe_body,
    failure,
    for_meeting,
    request_id_text,
    timed_out,
)
from ansible_collections.hwcloud.meeting.plugins.module_utils.ratelimit import RateLimitWait

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

# Statuses the gateway and the service use for "try again" (the service
# contract, docs/dev/service_contract.md, "Errors").
TRANSIENT_STATUSES = frozenset((429, 500, 502, 503, 504))
# The longest wait before one retry that a Retry-After asks for, spread and
# backoff included (the doc fragment promises it): an event-day task must not
# sleep for an hour because a proxy said so.
MAX_RETRY_AFTER = 60.0
BACKOFF_FACTOR = 0.5
BACKOFF_JITTER = 0.5

PATH_ONLINE = '/v1/mmc/management/conferences/online/confDetail'
PATH_START = '/v1/mmc/management/conferences/start'
PATH_REALTIME = '/v1/mmc/control/conferences/realTimeInfo'
PATH_RECORD = '/v1/mmc/control/conferences/record'
PATH_LIVE = '/v1/mmc/control/conferences/live'
PATH_BROADCAST = '/v1/mmc/control/conferences/participants/broadcast'
PATH_CANCEL_BROADCAST = '/v1/mmc/control/conferences/cancelBroadcast'
PATH_DETAILS = '/v1/mmc/management/conferences/confDetail'
PATH_LIST = '/v1/mmc/management/conferences'
PATH_LIST_ONLINE = '/v1/mmc/management/conferences/online'
LIST_PAGE_SIZE = 100
# A page count past which the lists are not followed: a service that keeps
# answering full pages must not keep an inventory sync busy forever.
MAX_LIST_PAGES = 1000


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


class _Sending(object):
    """One logical call of a client: its bucket while a send is under way,
    what it waited for the gateway, retries included, and when its last
    attempt left."""

    __slots__ = ('bucket', 'waited', 'sent_at')

    def __init__(self):
        self.bucket = None
        self.waited = 0.0
        self.sent_at = None


class MeetingClient(object):
    """The calls of the service contract for one meeting.

    ``pacer``: the gateway's rate limit (ratelimit.pacer_for, built by
    options.py). ``credentials``: the keyword arguments of auth.Credentials
    (the logins, ``host_password``, ``conference_token``), whose object is
    ``self.credentials``; ``cache`` and ``register_secret`` go to it too.
    """

    def __init__(self, pacer, api_url=DEFAULT_API_URL, conference_id=None, validate_certs=True, ca_path=None,
                 timeout=30, retries=3, register_secret=None, cache=None, **credentials):
        self.base_url = (api_url or DEFAULT_API_URL).rstrip('/')
        self.conference_id = conference_id
        self.timeout = timeout
        self.retries = retries
        self.pacer = pacer
        self.credentials = Credentials(self._call, self.meeting_details, pacer, self.base_url, conference_id,
                                       cache=cache, register_secret=register_secret, **credentials)
        # How long the calls of this client waited for the gateway, and why.
        self.gateway_waits = []
        # An explicit CA bundle wins; True lets requests honour REQUESTS_CA_BUNDLE.
        # It is passed on every request: a Session-level verify=False would be
        # overridden by REQUESTS_CA_BUNDLE (requests issue #3829).
        self._verify = (ca_path or True) if validate_certs else False

        # The call being sent in this thread (a _Sending), for the resends
        # urllib3 makes inside one send.
        self._local = threading.local()
        # The meeting's details as read in this task (they carry the host
        # password): read once, however many checks and steps need them.
        self._details = None
        self._session = requests.Session()
        adapter = HTTPAdapter(max_retries=build_retry(retries, on_resend=self._before_resend))
        self._session.mount('https://', adapter)
        self._session.mount('http://', adapter)
        self._session.headers.update({'User-Agent': USER_AGENT, 'Accept': 'application/json'})

    # --- transport -------------------------------------------------------------

    def _meeting_query(self, **extra):
        query = {'conferenceID': self.conference_id}
        query.update(extra)
        return query

    def _call(self, method, path, what, token=None, params=None, body=None, headers=None, expect_json=True):
        """One logical call made with ``token`` (a Token kind, or None): sent
        through the pacer (``_send_paced``), the token renewed once on a 401,
        any failure a MeetingError, the answer decoded. A 200 whose JSON is
        broken is sent again like a transient failure: it is what a
        connection cut mid-answer looks like."""
        sending = _Sending()
        # What the call had waited for the gateway when its token was last
        # renewed: a token rejected again is renewed again only when the call
        # waited since (a renewed token can die while the pacer holds the
        # call for a window), so a token refused at once fails the call.
        renewed_after = None
        broken_answers = 0
        while True:
            response = self._send_paced(sending, method, path, what, token, params, body, headers)
            if response.status_code == 401 and token and (renewed_after is None or sending.waited > renewed_after):
                self.credentials.renew(token, what, response)  # or says why it cannot
                renewed_after = sending.waited
                continue
            if response.status_code >= 400:
                raise failure(response, what, self.conference_id)
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
                request_id = response.headers.get('X-Request-Id')
                raise MeetingError(
                    'Could not %s: HTTP %s with %s%s'
                    % (for_meeting(what, self.conference_id), response.status_code, describe_body(response.text),
                       request_id_text(request_id)),
                    status=response.status_code, request_id=request_id)

    def _send_paced(self, sending, method, path, what, token, params, body, headers):
        """One send of a call and its answer, paced: the pacer waits first
        while the gateway's window is full (urllib3 resends transient
        failures, each paced by ``_before_resend``), and a 429 of the gateway
        waits for its window and is sent again. A wait longer than
        rate_limit_wait is a MeetingError. ``sending``: the call's _Sending
        (a token fetched for the headers is a call of its own, with its own)."""
        while True:
            all_headers = dict(headers or {})
            all_headers.update(self.credentials.headers(token))
            sending.bucket = self.credentials.gateway_bucket(method, path, token)
            try:
                sending.waited += self.pacer.before_call(sending.bucket, sending.waited)
                self._note_wait()
                sending.sent_at = time.time()
                outer, self._local.sending = getattr(self._local, 'sending', None), sending
                try:
                    response = self._send(method, path, what, params, body, all_headers)
                finally:
                    self._local.sending = outer
                    bucket, sent_at, sending.bucket = sending.bucket, sending.sent_at, None
                if response.status_code == 429:
                    # The gateway's limit (urllib3 retried any 429 that said
                    # Retry-After): wait until its window reopens, and again.
                    sending.waited += self.pacer.on_throttled(bucket, response.headers, sent_at, sending.waited)
                    self._note_wait()
                    continue
            except RateLimitWait as limit:
                raise MeetingError('Could not %s: %s' % (for_meeting(what, self.conference_id), limit), status=429,
                                   error_code=THROTTLED)
            self.pacer.after_call(bucket, response.headers, sent_at)
            return response

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
                      % (self.base_url, connection_reason(exc)))
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            # Once the retries are spent, requests reports a read timeout as a
            # ConnectionError; the innermost reason tells them apart.
            if isinstance(exc, requests.exceptions.Timeout) or timed_out(exc):
                reason = ('no answer from %s within %s seconds, %d attempt(s); the service is slow or '
                          'unreachable (raise timeout if it is just slow)'
                          % (self.base_url, self.timeout, self.retries + 1))
            else:
                reason = 'could not connect to %s after %d attempt(s) (%s)' % (
                    self.base_url, self.retries + 1, connection_reason(exc))
        except requests.exceptions.RequestException as exc:
            reason = 'the request to %s failed (%s)' % (self.base_url, connection_reason(exc))
        raise MeetingError('Could not %s: %s' % (for_meeting(what, self.conference_id), reason))

    def _before_resend(self):
        """urllib3 sends the call again (a 5xx, a dropped connection, a
        timeout): the gateway counts that send too, so the pacer records it
        (and waits first when its window is full), as for the first."""
        sending = getattr(self._local, 'sending', None)
        if sending is None or sending.bucket is None:
            return
        sending.waited += self.pacer.before_call(sending.bucket, sending.waited)
        self._note_wait()
        sending.sent_at = time.time()

    def _note_wait(self):
        wait = self.pacer.last_wait
        if wait is not None:
            self.gateway_waits.append('%s%s' % (str(wait), ' (meeting %s)' % self.conference_id
                                                if self.conference_id else ''))

    # --- the calls of the service contract ----------------------------------------

    def online_details(self):
        """The online check: the meeting's details when it is in progress,
        None when the service says it is not (MMC.111070005)."""
        try:
            return self._call('GET', PATH_ONLINE, 'check whether the meeting is in progress',
                              token=Token.ACCESS, params=self._meeting_query())
        except MeetingError as err:
            if err.error_code == NOT_IN_PROGRESS:
                return None
            raise

    def meeting_details(self):
        """The meeting's details (confDetail), passwords included: only for
        the login that scheduled the meeting or an admin. A meeting that does
        not exist is said so (the code MMC.111070005 of this call means it:
        a meeting that exists has details whether it runs or not). Read once
        per task."""
        if self._details is not None:
            return self._details
        try:
            self._details = self._call('GET', PATH_DETAILS, "read the meeting's details", token=Token.ACCESS,
                                       params=self._meeting_query())
            return self._details
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

    def list_meetings(self, online=False, search=None, offset=0, limit=LIST_PAGE_SIZE):
        """One page of the meeting list (scheduled and running meetings), or
        of the meetings in progress with ``online``: ``{offset, limit, count,
        data}``.  queryAll=true: an admin sees the enterprise's meetings."""
        params = {'offset': offset, 'limit': limit, 'queryAll': 'true'}
        if search:
            params['searchKey'] = search
        what = 'list the meetings in progress' if online else 'list the meetings'
        return self._call('GET', PATH_LIST_ONLINE if online else PATH_LIST, what, token=Token.ACCESS, params=params)

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
            count = positive_number(answer.get('count'))
            if not page or (count is not None and offset >= count) or (count is None and len(page) < page_size):
                return meetings
        raise MeetingError('Could not list the meetings: the list did not end after %d pages of %d'
                           % (MAX_LIST_PAGES, page_size))

    def start_meeting(self, password):
        return self._call('POST', PATH_START, 'activate the meeting', token=Token.ACCESS,
                          body={'conferenceID': self.conference_id, 'password': password})

    def realtime_info(self):
        return self._call('GET', PATH_REALTIME, 'read the realtime state', token=Token.CONTROL,
                          params=self._meeting_query())

    def set_recording(self, recording):
        self._call('PUT', PATH_RECORD, '%s recording' % ('start' if recording else 'stop'), token=Token.CONTROL,
                   params=self._meeting_query(), body={'isRecord': 1 if recording else 0}, expect_json=False)

    def set_live(self, live):
        self._call('PUT', PATH_LIVE, '%s the live broadcast' % ('start' if live else 'stop'), token=Token.CONTROL,
                   params=self._meeting_query(), body={'isLive': 1 if live else 0}, expect_json=False)

    def broadcast(self, participant_id):
        self._call('PUT', PATH_BROADCAST, 'broadcast participant %s' % participant_id, token=Token.CONTROL,
                   params=self._meeting_query(participantID=participant_id), expect_json=False)

    def cancel_broadcast(self):
        self._call('PUT', PATH_CANCEL_BROADCAST, 'cancel the broadcast', token=Token.CONTROL,
                   params=self._meeting_query(), expect_json=False)

    def learnt_limit(self, method, path):
        """``{'limit': n, 'window': seconds}`` of this login's calls of an API
        as the gateway's answers said it, or None when they did not."""
        learnt = self.pacer.learnt_limit(self.credentials.gateway_bucket(method, path, Token.ACCESS))
        return None if learnt is None else {'limit': learnt[0], 'window': learnt[1]}

    @property
    def tls_options(self):
        """(validate_certs, CA bundle or None) as the HTTP calls use them."""
        if self._verify is False:
            return False, None
        return True, self._verify if isinstance(self._verify, str) else None

    def close(self):
        self._session.close()
