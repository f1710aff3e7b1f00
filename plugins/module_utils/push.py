# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The meeting-status push reader (docs/dev/service_contract.md, "The
meeting-status push").

The vendor's REST ``realTimeInfo`` answers no recording, broadcast or meeting
state; the push does. A channel is opened for one task: a push token
(``wsToken``), the WebSocket connection, a Subscribe to
``ConfDynamicInfoNotify`` and ``ParticipantsNotify``, and the full messages
that follow it. The channel then keeps the state up to date from the
incremental messages, so a task that waits for its change waits on the same
connection, and closes cleanly at the end of the task.

The reader is as tolerant as the vendor's own clients of the push: the
answer to the Subscribe is checked when it comes (a refusal is a PushError)
but not waited for, as a server may send none; its ``data`` and that of
``ParticipantsNotify`` may be an object (a list) or a JSON string of one;
``returnDesc`` may carry the vendor's trailing space. A ``ParticipantsNotify``
whose ``data`` cannot be read counts as ``malformed`` and is passed over: it
never says the meeting is empty.

Every failure of the push is a PushError whose text says what happened in
words and never holds a token (the push token travels in the URL's query).
The caller decides what the state is then: unknown, or read from
``realTimeInfo``.

A channel is given what it needs (the push server's address, a push token,
the control token, the TLS settings); it never calls the HTTP client
(control.open_channel gets them from it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import ssl
import time
import traceback

from ansible.module_utils.six.moves.urllib.parse import urlencode, urlparse

from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import USER_AGENT, describe_body

WEBSOCKET_IMPORT_ERROR = None
try:
    import websocket
except ImportError:
    HAS_WEBSOCKET = False
    WEBSOCKET_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_WEBSOCKET = True

PUSH_PATH = '/cms/open/websocket/confctl/increment/conn'
DYNAMIC = 'ConfDynamicInfoNotify'
PARTICIPANTS = 'ParticipantsNotify'
SUBSCRIBE_TYPES = [DYNAMIC, PARTICIPANTS]
FULL = 0
PARTICIPANT_REMOVED = 1
# The vendor does not promise full messages after a Subscribe (its examples
# show them): wait this long at most (and never longer than the timeout).
FULL_MESSAGES_WAIT = 5.0
# The server closes a channel without a heartbeat for 180 s.
HEARTBEAT_INTERVAL = 60.0
CLOSE_WAIT = 2.0


class PushError(Exception):
    """The push could not be read; the text says why, in words.
    ``refused``: the push server turned the connection away before any
    message (an upgrade refused with 401 or 403, or a channel closed before
    anything came after the Subscribe), as it does for a push token it does
    not take."""

    def __init__(self, message, refused=False):
        super(PushError, self).__init__(message)
        self.refused = refused


def _sequence():
    """The vendor's sequence: a millisecond time stamp, zero-padded to 30."""
    return '%030d' % int(time.time() * 1000)


def _json_value(value):
    """``value``, or what the JSON string ``value`` holds (servers built on
    fastjson may send a ``data`` so); None when that string is not JSON."""
    if isinstance(value, bytes):
        value = value.decode('utf-8', 'replace')
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _decoded(value):
    return value.decode('utf-8', 'replace') if isinstance(value, bytes) else str(value or '')


def _text_of(value, limit=120):
    return ' '.join(_decoded(value).split())[:limit]


class PushChannel(object):
    """One subscribed connection to the meeting-status push of one meeting.

    ``dynamic``: the fields of ``ConfDynamicInfoNotify`` seen so far (full
    message, then increments), or None when none came. ``participants``:
    ``pid`` -> ``pinfoMap`` from ``ParticipantsNotify``, or None when the
    full list never came (an increment alone does not tell who else is in).
    ``answered``: whether the server answered the Subscribe (it need not).
    ``malformed``: how many messages were passed over as unreadable.
    """

    # Seconds between HeartBeats on a long wait: None is HEARTBEAT_INTERVAL
    # (the event source sets its own).
    heartbeat_interval = None

    def __init__(self, conference_id, server, timeout, validate_certs=True, ca_path=None, register_secret=None):
        """``server``: the push server's base URL (the control token's
        wsURL); ``validate_certs`` and ``ca_path`` as for the HTTP calls.
        PushError when the address is not a ws:// or wss:// URL, or when
        websocket-client is missing."""
        if not HAS_WEBSOCKET:
            raise PushError('the Python library websocket-client is missing, so the meeting-status push cannot be '
                            'read: install it (python -m pip install websocket-client) where the task runs')
        self.conference_id = conference_id
        self.timeout = timeout
        self._validate_certs = validate_certs
        self._ca_path = ca_path
        self._register_secret = register_secret or (lambda value: None)
        self._secrets = []
        self._socket = None
        self._last_heartbeat = None
        parts = urlparse(server or '')
        if parts.scheme not in ('ws', 'wss') or not parts.netloc:
            raise PushError("the push server's address (wsURL) is not a ws:// or wss:// URL (%s)" % _text_of(server))
        self.server = '%s://%s' % (parts.scheme, parts.netloc)
        self.dynamic = None
        self.participants = None
        self.malformed = 0
        self.ended = False
        self.answered = False
        self._heard = False  # whether the server sent anything yet

    # --- opening -------------------------------------------------------------

    def open(self, token, control_token):
        """Connect with the push token ``token`` (wsToken, one use), Subscribe
        with the control token, and collect the full messages. Raises
        PushError."""
        self._secret(token)
        url = '%s%s?%s' % (self.server, PUSH_PATH, urlencode([('confID', self.conference_id), ('tmpToken', token)]))
        self._connect(url)
        self._subscribe(control_token)
        self._collect_full_messages()
        return self

    def _secret(self, value):
        self._secrets.append(value)
        self._register_secret(value)

    def _clean(self, text):
        text = _text_of(text, 300)
        for secret in self._secrets:
            text = text.replace(secret, '********')
        return text

    def _connect(self, url):
        try:
            self._socket = websocket.create_connection(
                url, timeout=self.timeout, sslopt=self._ssl_options(), header=['User-Agent: %s' % USER_AGENT],
                suppress_origin=True, enable_multithread=False)
        except websocket.WebSocketBadStatusException as error:
            body = _decoded(getattr(error, 'resp_body', b''))
            # an HTML page by its title, as the HTTP calls say it
            raise PushError('the push server %s refused the connection: HTTP %s%s%s' % (
                self.server, error.status_code, ' %s' % error.status_message if error.status_message else '',
                ', %s' % self._clean(describe_body(body)) if body.strip() else ''),
                refused=error.status_code in (401, 403))
        except (ssl.SSLError, ssl.CertificateError) as error:
            raise PushError('the TLS certificate of the push server %s could not be verified (%s); set ca_path to '
                            'the CA bundle that signed it, or validate_certs: false for a test service'
                            % (self.server, self._clean(error)))
        except websocket.WebSocketTimeoutException:
            raise PushError('the push server %s did not answer within %s seconds' % (self.server, self.timeout))
        except websocket.WebSocketProxyException as error:
            raise PushError('the proxy refused the connection to the push server %s (%s); the proxy must allow '
                            'WebSocket connections to it' % (self.server, self._clean(error)))
        except (websocket.WebSocketException, OSError, ValueError) as error:
            raise PushError('could not connect to the push server %s (%s)' % (
                self.server, self._clean(error) or type(error).__name__))
        self._last_heartbeat = time.monotonic()

    def _ssl_options(self):
        if not self._validate_certs:
            return {'cert_reqs': ssl.CERT_NONE, 'check_hostname': False}
        ca_path = self._ca_path or _requests_ca_bundle()
        return {'cert_reqs': ssl.CERT_REQUIRED, 'ca_certs': ca_path} if ca_path else {'cert_reqs': ssl.CERT_REQUIRED}

    def _subscribe(self, control_token):
        conf_token = 'Basic %s' % base64.b64encode(control_token.encode('utf-8')).decode('ascii')
        self._secret(conf_token)
        data = json.dumps({'conferenceID': self.conference_id, 'subscribeType': SUBSCRIBE_TYPES,
                           'confToken': conf_token})
        self._send({'sequence': _sequence(), 'action': 'Subscribe', 'data': data})

    def _collect_full_messages(self):
        """The full messages that follow the Subscribe, whether or not its
        answer comes (an answer that refuses is a PushError, in _apply): up
        to the timeout for the server's first message, then up to
        FULL_MESSAGES_WAIT (never longer than the timeout) for the rest."""
        wait = min(self.timeout, FULL_MESSAGES_WAIT)
        deadline = time.monotonic() + self.timeout
        heard = False
        while not (self._has_full_dynamic and self.participants is not None):
            message = self._receive(deadline, 'the full messages' if heard else 'the reply to the subscription')
            if message is None:
                break
            if not heard:
                heard = True
                deadline = time.monotonic() + wait
            self._apply(message)
        if not heard:
            raise PushError('the push server %s did not reply to the subscription within %s seconds'
                            % (self.server, self.timeout))
        if self.dynamic is None and self.participants is None:
            raise PushError('no meeting state came on the push within %s seconds of subscribing' % wait)

    # --- messages ------------------------------------------------------------

    _has_full_dynamic = False

    def _send(self, message):
        try:
            self._socket.send(json.dumps(message))
        except (websocket.WebSocketException, OSError) as error:
            raise PushError('the push channel broke while sending (%s)' % (self._clean(error) or type(error).__name__))

    def _receive(self, deadline, waiting_for):
        """The next JSON message, or None when ``deadline`` passed first."""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self._socket.settimeout(min(remaining, self.timeout))
            try:
                raw = self._socket.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except websocket.WebSocketConnectionClosedException:
                raise PushError(self._closed_text(waiting_for), refused=not self._heard)
            except (websocket.WebSocketException, OSError, ValueError) as error:
                raise PushError('the push channel broke while waiting for %s (%s)'
                                % (waiting_for, self._clean(error) or type(error).__name__))
            if raw in (None, '', b''):  # a close frame
                raise PushError(self._closed_text(waiting_for), refused=not self._heard)
            self._heard = True
            try:
                message = json.loads(raw)
            except ValueError:
                self.malformed += 1  # not the vendor's JSON: passed over
                continue
            if isinstance(message, dict):
                return message
            self.malformed += 1

    def _closed_text(self, waiting_for):
        status = getattr(self._socket, 'status', None)
        if self.ended:
            return 'the meeting has ended, and the push server closed the channel'
        return 'the push server closed the channel while waiting for %s%s' % (
            waiting_for, '' if status in (None, 101) else ' (status %s)' % status)

    def _receive_and_apply(self, deadline, waiting_for):
        message = self._receive(deadline, waiting_for)
        if message is not None:
            self._apply(message)
        return message

    def _apply(self, message):
        action = message.get('action')
        full = str(message.get('msgMode')) == str(FULL)
        if action == 'Subscribe':
            self._check_answer(message)
        elif action == DYNAMIC:
            fields = dict((key, value) for key, value in message.items()
                          if key not in ('action', 'version', 'createTime', 'msgID', 'msgMode', 'confID'))
            if full or self.dynamic is None:
                self.dynamic = {}
            self.dynamic.update(fields)
            self._has_full_dynamic = self._has_full_dynamic or full
            if fields.get('state') == 'Destroyed':
                self.ended = True
        elif action == PARTICIPANTS:
            entries = _json_value(message.get('data'))
            if not isinstance(entries, list):
                # Neither a list nor a JSON string of one: it does not say
                # that nobody is in. A full list that cannot be read is as if
                # it never came; a change that cannot be read leaves the list
                # unknown until the next full one (it may have been a leave).
                self.malformed += 1
                if not full:
                    self.participants = None
                return
            entries = [entry for entry in entries if isinstance(entry, dict)]
            if full:
                self.participants = {}
            elif self.participants is None:
                return  # a change to a list we never had says nothing of the others
            for entry in entries:
                pid = entry.get('pid')
                if pid in (None, ''):
                    continue
                pid = str(pid)
                if str(entry.get('mode')) == str(PARTICIPANT_REMOVED):
                    self.participants.pop(pid, None)
                    continue
                info = entry.get('pinfoMap') if isinstance(entry.get('pinfoMap'), dict) else {}
                self.participants.setdefault(pid, {}).update(info)

    def _check_answer(self, message):
        """The answer to the Subscribe: PushError when it refuses (a
        returnCode other than 0); one that cannot be read is passed over."""
        answer = _json_value(message.get('data'))
        if not isinstance(answer, dict):
            self.malformed += 1
            return
        answer = dict((str(key).strip(), value) for key, value in answer.items())  # "returnDesc " too
        code = answer.get('returnCode')
        if code in (None, ''):
            self.malformed += 1
            return
        if str(code).strip() != '0':
            describe = answer.get('returnDesc')
            raise PushError('the push server refused the subscription (returnCode %s%s)'
                            % (self._clean(code), ', %s' % self._clean(describe) if describe else ''))
        self.answered = True

    # --- waiting -------------------------------------------------------------

    def wait(self, done, deadline):
        """Read messages until ``done()`` is true (True) or ``deadline``
        (a time.monotonic() value) passes (False); a heartbeat keeps the
        channel open on a long wait. PushError when the channel fails."""
        interval = HEARTBEAT_INTERVAL if self.heartbeat_interval is None else self.heartbeat_interval
        while not done():
            now = time.monotonic()
            if now >= deadline:
                return False
            if now - self._last_heartbeat >= interval:
                self._send({'sequence': _sequence(), 'action': 'HeartBeat'})
                self._last_heartbeat = now
            self._receive_and_apply(min(deadline, self._last_heartbeat + interval),
                                    'the change to show')
        return True

    def close(self):
        """A close frame while the channel is open, then the socket in any
        case: websocket-client's close() does nothing once the channel is no
        longer ``connected`` (as after the server's close frame), and its
        socket would stay open until the garbage collector found it."""
        if self._socket is None:
            return
        sock, self._socket = self._socket, None
        try:
            sock.close(timeout=min(self.timeout, CLOSE_WAIT))
        except Exception:  # pylint: disable=broad-exception-caught
            pass  # closing is a courtesy; the task has what it needs
        finally:
            try:
                sock.shutdown()  # closes the socket whatever ``connected`` says; nothing when close() did
            except Exception:  # pylint: disable=broad-exception-caught
                pass


def _requests_ca_bundle():
    """REQUESTS_CA_BUNDLE (or CURL_CA_BUNDLE), honoured as the HTTP calls do."""
    return os.environ.get('REQUESTS_CA_BUNDLE') or os.environ.get('CURL_CA_BUNDLE') or None
