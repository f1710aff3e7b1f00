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
        if isinstance(answer, Exception):
            raise answer
        return answer

    def paths(self):
        return [entry['path'] for entry in self.requests]
