# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The failures of the service in words: MeetingError, the vendor's codes
and what an operator should do about them, and the words for an answer
that is not the service's JSON (docs/dev/service_contract.md, "Errors").

It imports nothing of the collection: the client, the tokens (auth.py) and
the push all say their failures with it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import socket

# Who the collection says it is, on every HTTP call and push connection.
USER_AGENT = 'hwcloud.meeting-ansible-collection'

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


class MeetingError(Exception):
    """Every failure of the client: a sentence for a person, plus the facts."""

    def __init__(self, message, status=None, error_code=None, error_msg=None, request_id=None,
                 no_such_meeting=False):
        super(MeetingError, self).__init__(message)
        self.message = message
        # The facts a failed task returns beside msg (to_result).
        self.status, self.error_code, self.error_msg, self.request_id = status, error_code, error_msg, request_id
        # The service said the meeting does not exist (not merely that it
        # is not in progress): no task succeeds on it.
        self.no_such_meeting = no_such_meeting

    def __str__(self):
        return self.message

    def to_result(self):
        """The structured fields a failed task returns beside ``msg``."""
        return dict(status=self.status, error_code=self.error_code,
                    error_msg=self.error_msg, request_id=self.request_id)


def for_meeting(what, conference_id):
    """``what`` (words for a call), followed by the meeting it is for."""
    return '%s for meeting %s' % (what, conference_id) if conference_id else what


def request_id_text(request_id):
    return ' (request ID %s)' % request_id if request_id else ''


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


def failure(response, what, conference_id):
    """The MeetingError of a failed answer (HTTP 400 or more) to ``what``."""
    code, message, description = parse_error(response)
    request_id = response.headers.get('X-Request-Id')
    text = 'Could not %s: HTTP %s, %s%s' % (
        for_meeting(what, conference_id), response.status_code, description, request_id_text(request_id))
    return MeetingError(text, status=response.status_code, error_code=code, error_msg=message,
                        request_id=request_id)


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


def timed_out(exc):
    """Whether a failed request ran out of time, by its reasons."""
    return any(isinstance(cause, (socket.timeout, TimeoutError)) or 'timed out' in str(cause).lower()
               for cause in _causes(exc))


def connection_reason(exc):
    """The innermost reason of a requests/urllib3 exception, without the pool
    and URL boilerplate that wraps it."""
    reason = _causes(exc)[-1]
    text = str(reason)
    # "<urllib3.connection.HTTPConnection object at 0x..>: Failed to ..." -> "Failed to ..."
    text = re.sub(r'^<[^>]+>:\s*', '', text)
    return text or reason.__class__.__name__
