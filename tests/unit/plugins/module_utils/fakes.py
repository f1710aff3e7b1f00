# A stand-in for requests.Session.request: answers from a script, records
# every request. Unit tests never touch the network.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json

import requests


def response(status=200, body=None, text=None, headers=None):
    answer = requests.Response()
    answer.status_code = status
    if text is None:
        text = '' if body is None else json.dumps(body)
    answer._content = text.encode('utf-8')
    answer.encoding = 'utf-8'
    answer.headers.update(headers or {})
    if body is not None:
        answer.headers.setdefault('Content-Type', 'application/json')
    return answer


class ScriptedSession(object):
    """Replaces MeetingClient._session.request. ``script`` maps a path to a
    list of answers (a response or an exception), consumed in order; the last
    one repeats."""

    def __init__(self, script):
        self.script = {path: list(answers) for path, answers in script.items()}
        self.requests = []

    def __call__(self, method, url, params=None, json=None, headers=None, timeout=None, verify=None):
        path = url.split('://', 1)[1]
        path = path[path.index('/'):]
        self.requests.append(dict(method=method, path=path, params=params, json=json,
                                  headers=dict(headers or {}), timeout=timeout, verify=verify))
        answers = self.script[path]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if callable(answer) and not isinstance(answer, requests.Response):
            answer = answer()  # a side effect first (the push's answer to a write), then the answer
        if isinstance(answer, Exception):
            raise answer
        return answer

    def paths(self):
        return [entry['path'] for entry in self.requests]


class FakeWebSocket(object):
    """Stands in for websocket-client's WebSocket: ``incoming`` is what the
    server sends (JSON-able objects, raw strings, or exceptions), consumed in
    order; when it is empty, recv() times out as a silent server would."""

    def __init__(self, incoming=()):
        import websocket
        self._timeout_error = websocket.WebSocketTimeoutException
        self.incoming = list(incoming)
        self.sent = []
        self.closed = False
        self.closes = 0
        self.timeouts = []
        self.status = 101

    def send(self, text):
        self.sent.append(json.loads(text))

    def settimeout(self, timeout):
        self.timeouts.append(timeout)

    def recv(self):
        if not self.incoming:
            raise self._timeout_error('timed out')
        item = self.incoming.pop(0)
        if isinstance(item, Exception):
            raise item
        return item if isinstance(item, str) else json.dumps(item)

    def close(self, timeout=None):
        self.closed = True
        self.closes += 1

    def actions(self):
        return [message.get('action') for message in self.sent]


def subscribe_reply(code=0, key='returnDesc', describe='SUCCESS', as_string=False):
    """The answer to the Subscribe; ``as_string``: its data a JSON string, as
    servers built on fastjson send it."""
    data = {'returnCode': code, key: describe}
    return {'action': 'Subscribe', 'sequence': '1', 'data': json.dumps(data) if as_string else data}


def dynamic(msg_mode=0, **fields):
    message = {'action': 'ConfDynamicInfoNotify', 'version': 1, 'createTime': 1, 'msgID': 'm',
               'msgMode': msg_mode, 'confID': '914044873'}
    message.update(fields)
    return message


def participants(entries, mode=0, as_string=False):
    """ParticipantsNotify; ``as_string``: its data a JSON string of the list."""
    return {'action': 'ParticipantsNotify', 'version': 1, 'createTime': 1, 'msgID': 'p', 'msgMode': mode,
            'confID': '914044873', 'data': json.dumps(entries, separators=(',', ':')) if as_string else entries}


def person(pid, name, broadcast='0', state='0', tel='', mode=0):
    return {'pid': pid, 'mode': mode, 'pinfoMap': {'NAME': name, 'TEL': tel, 'STATE': state, 'VIDEO': '1',
                                                   'MUTE': '0', 'HAND': '0', 'ROLE': '0', 'BROADCAST': broadcast}}


class FakeClock(object):
    """A clock for code that reads the time and sleeps: ``time()``,
    ``monotonic()`` and ``clock()`` say ``now``, and ``sleep()`` moves it on
    and records each sleep in ``slept``. No test sleeps for real."""

    def __init__(self, now=1000.0):
        self.now = now
        self.slept = []

    def time(self):
        return self.now

    monotonic = clock = time

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds
