# Fixtures shared by the unit tests of module_utils and of the modules.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest
import requests

from ansible_collections.hwcloud.meeting.plugins.module_utils import control, push

from .module_utils.fakes import FakeWebSocket, ScriptedSession


@pytest.fixture
def push_service(monkeypatch):
    """A scripted service with a meeting-status push, no network:
    ``push_service(http, frames=(), connect_error=None)`` replaces the HTTP
    session by ``ScriptedSession(http)`` and the WebSocket by
    ``FakeWebSocket(frames)``; returns ``(session, socket, connections)``,
    ``connections`` holding each connection's options, ``url`` and
    ``closes_before`` (how many closes of the socket came before it)."""
    def install(http, frames=(), connect_error=None):
        session = ScriptedSession(http)
        monkeypatch.setattr(requests.Session, 'request', lambda self, method, url, **kw: session(method, url, **kw))
        socket = FakeWebSocket(frames)
        connections = []

        def connect(url, **options):
            connections.append(dict(options, url=url, closes_before=socket.closes))
            if connect_error is not None:
                raise connect_error
            return socket
        monkeypatch.setattr(push.websocket, 'create_connection', connect)
        return session, socket, connections
    monkeypatch.setattr(push, 'FULL_MESSAGES_WAIT', 0.05)
    monkeypatch.setattr(control, 'POLL_FIRST_DELAY', 0.01)
    monkeypatch.setattr(control, 'POLL_MAX_DELAY', 0.01)
    return install
