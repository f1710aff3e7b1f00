"""The HTTP(S) front of the simulator: the gateway behaviour around the calls
(request IDs, rate-limit headers, delay, faults, 429, 404/405, the call log),
the /_sim/ admin interface, and the in-process `Simulator` object.

Standard library only (http.server), HTTP/1.1 with keep-alive, every answer
with a Content-Length, one daemon thread per connection, bound to 127.0.0.1.
"""

import copy
import json
import math
import os
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from . import api as api_mod
from . import push as push_mod
from . import state as state_mod
from . import tls as tls_mod

HOST = "127.0.0.1"          # never anything else: the simulator is for loopback only
MAX_BODY = 1024 * 1024
JSON_TYPE = "application/json;charset=UTF-8"
ADMIN_PREFIX = "/_sim/"

DEMO_MEETINGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                             "demo_meetings.yml")

# What a broken_body fault sends: a JSON answer cut off mid-string.
BROKEN_BODY = b'{"result": {"truncated": "this answer was cut sh'

# The gateway's rate limits: its headers and its 429 (state.py counts).
THROTTLED = "APIG.0308"
RATE_HEADER_API = "X-APIG-Ratelimit-Api"             # this API, this caller, per window
RATE_HEADER_ALLENV = "X-APIG-Ratelimit-Api-Allenv"   # all calls, all callers, per second


class _BadRequest(Exception):
    """The HTTP request itself is malformed (framing, size)."""

    def __init__(self, status, message):
        super(_BadRequest, self).__init__(message)
        self.status = status
        self.message = message


def _json_bytes(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _guess_content_type(body):
    """Content type for a raw fault body: HTML, JSON or plain text."""
    text = body.lstrip()
    if text.startswith("<"):
        return "text/html;charset=UTF-8"
    try:
        json.loads(body)
        return JSON_TYPE
    except ValueError:
        return "text/plain;charset=UTF-8"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"     # keep-alive, like the real gateway
    timeout = 120                     # an idle keep-alive connection is closed after this

    # -- plumbing ------------------------------------------------------------

    def version_string(self):
        return "api-gateway"          # what the vendor's answers say in Server:

    def log_message(self, format, *args):  # noqa: A002 - base class signature
        pass                          # the call log replaces the access log

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    @property
    def sim(self):
        return self.server.sim

    def _read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    raise _BadRequest(400, "bad chunked encoding")
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass          # trailers
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise _BadRequest(413, "request body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            length = int(length)
        except ValueError:
            raise _BadRequest(400, "bad Content-Length")
        if length < 0 or length > MAX_BODY:
            raise _BadRequest(413, "request body too large")
        return self.rfile.read(length)

    def _send(self, status, body=b"", content_type=JSON_TYPE, headers=None):
        """One complete answer, always with a Content-Length."""
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if content_type is not None:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        # Headers and body leave in one write: two small writes would meet
        # Nagle + delayed ACK and cost ~40 ms per answer.
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD" and body:
            self._headers_buffer.append(body)
        self.flush_headers()

    def _drop(self):
        """Close the connection without a byte of answer."""
        self.close_connection = True
        try:
            # socket.socket.shutdown, not SSLSocket.shutdown: no TLS close_notify,
            # an abrupt end as a failing proxy would give.
            socket.socket.shutdown(self.connection, socket.SHUT_RDWR)
        except OSError:
            pass

    # -- dispatch ------------------------------------------------------------

    def _dispatch(self):
        request_id = uuid.uuid4().hex
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        admin = path.startswith(ADMIN_PREFIX) or path == ADMIN_PREFIX.rstrip("/")
        try:
            body = self._read_body()
        except _BadRequest as exc:
            # The stream is out of step now: close, and say so.
            self.close_connection = True
            headers = {"X-Request-Id": request_id, "Connection": "close"}
            if not admin:                  # still an API call: headers and log entry
                caller = api_mod.caller_of(self.sim._state, path, self.headers, b"",
                                           self.client_address[0])
                entry = self._entry(path, query, request_id, caller)
                self._rate_headers(self._rate_status(path, caller), headers, entry)
                self._finish(entry, exc.status)
            self._send(exc.status, _json_bytes(api_mod.error_body(
                api_mod.INVALID_PARAMETER, exc.message)), headers=headers)
            return
        try:
            if admin:
                self._admin(path, query, body, request_id)
            else:
                self._api(path, query, body, request_id)
        except (ConnectionError, ssl.SSLError, socket.timeout):
            self.close_connection = True   # the client went away mid-answer

    # -- the vendor API, behind the "gateway" ----------------------------------

    def _entry(self, path, query, request_id, caller):
        """A call-log entry; the push's upgrade is marked and never shows its
        tmpToken.  `remain`/`limit` are filled in as X-APIG-Ratelimit-Api
        answers them (None when no such header went out)."""
        entry = {"method": self.command, "path": path,
                 "query": push_mod.loggable_query(path, query), "status": None,
                 "time": time.time(), "request_id": request_id,
                 "api": "%s %s" % (self.command, path), "caller": caller,
                 "remain": None, "limit": None}
        if path == state_mod.PUSH_PATH:
            entry["websocket"] = True
        return entry

    def _gated_api(self, path):
        """The API the per-API limit counts this call as, or None for the
        push's upgrade (the push server's, not the API gateway's)."""
        return None if path == state_mod.PUSH_PATH else "%s %s" % (self.command, path)

    def _rate_status(self, path, caller):
        return self.sim._state.rate_status(self._gated_api(path), caller)

    @staticmethod
    def _rate_headers(gate, headers, entry):
        """The gateway's rate-limit headers, and their figures in the call log."""
        if gate["api"] is not None:
            headers[RATE_HEADER_API] = "remain:%d,limit:%d,time:%s" % (
                gate["api_remain"], gate["api_limit"],
                state_mod.format_window(gate["api_window"]))
            entry["remain"], entry["limit"] = gate["api_remain"], gate["api_limit"]
        headers[RATE_HEADER_ALLENV] = "remain:%d,limit:%d,time:%s" % (
            gate["all_remain"], gate["all_limit"], state_mod.format_window(1))

    @staticmethod
    def _throttled_message(gate):
        """APIG.0308's error_msg for the limit a gate stands for: the per-API
        one, or the per-second one (the push's upgrade, or when it refused)."""
        if gate["api"] is not None and gate["throttled"] != "all":
            return state_mod.throttled_message(
                gate["api_limit"], state_mod.format_window(gate["api_window"]))
        return state_mod.throttled_message(gate["all_limit"], state_mod.format_window(1))

    def _api(self, path, query, body, request_id):
        sim = self.sim
        st = sim._state
        method = self.command
        caller = api_mod.caller_of(st, path, self.headers, body, self.client_address[0])
        entry = self._entry(path, query, request_id, caller)
        headers = {"X-Request-Id": request_id}

        settings = st.get_settings()
        if settings["delay"]:
            sim._stopping.wait(settings["delay"])   # a stop cuts the delay short

        fault = st.take_fault(method, path)
        push_fault = None
        if fault is not None:
            refuses = (fault["drop"] or fault["broken_body"]
                       or fault["status"] is not None)
            if path == state_mod.PUSH_PATH and not refuses:
                push_fault = fault    # delay/push act on the channel, not the upgrade
            else:
                if fault["delay"]:
                    sim._stopping.wait(fault["delay"])
                if self._fault_answer(fault, entry, headers, caller):
                    return

        outage = st.outage_now(path)
        if outage is not None:
            # like a faulted answer: the headers, but not counted in a window
            self._rate_headers(self._rate_status(path, caller), headers, entry)
            self._api_error(entry, headers, outage["status"], outage["error_code"],
                            outage["error_msg"], settings["error_style"])
            return

        gate = st.admit(self._gated_api(path), caller)
        self._rate_headers(gate, headers, entry)
        if gate["throttled"]:
            if settings["rate_limit_retry_after"]:      # the vendor's gateway sends none
                headers["Retry-After"] = (
                    str(max(1, math.ceil(gate["api_wait"])))
                    if gate["throttled"] == "api" else "1")
            self._api_error(entry, headers, 429, THROTTLED, self._throttled_message(gate),
                            "error_code")
            return

        if path == state_mod.PUSH_PATH:
            self._push(query, entry, headers, push_fault, settings)
            return

        methods = sim._api.routes.get(path)
        if methods is None:
            self._api_error(entry, headers, 404, "SIM.NOT_FOUND",
                            "no such API: %s" % path, settings["error_style"])
            return
        handler = methods.get(method)
        if handler is None:
            headers["Allow"] = ", ".join(sorted(methods))
            self._api_error(entry, headers, 405, "SIM.METHOD_NOT_ALLOWED",
                            "%s does not support %s" % (path, method),
                            settings["error_style"])
            return

        req = api_mod.Request(method, path, query, self.headers, body,
                              client_ip=self.client_address[0])
        try:
            answer = handler(req)
        except api_mod.ApiError as exc:
            self._api_error(entry, headers, exc.status, exc.code, exc.message,
                            settings["error_style"])
            return
        except Exception:  # a simulator bug: answer 500 and show it on stderr
            traceback.print_exc()
            self._api_error(entry, headers, 500, "SIM.INTERNAL_ERROR",
                            "simulator bug, see its stderr", settings["error_style"])
            return
        headers.update(answer.headers)
        payload = b"" if answer.body is None else _json_bytes(answer.body)
        self._finish(entry, answer.status)
        self._send(answer.status, payload, headers=headers)

    def _push(self, query, entry, headers, fault, settings):
        """The meeting-status push: answer the upgrade, then run the channel
        in this thread until it closes (push.py)."""
        if self.command != "GET":
            headers["Allow"] = "GET"
            self._api_error(entry, headers, 405, "SIM.METHOD_NOT_ALLOWED",
                            "%s does not support %s" % (state_mod.PUSH_PATH, self.command),
                            settings["error_style"])
            return
        problem = push_mod.handshake_problem(self.headers)
        if problem is not None:
            status, message, extra = problem
            headers.update(extra)
            self._api_error(entry, headers, status, api_mod.INVALID_PARAMETER, message,
                            settings["error_style"])
            return
        self._finish(entry, 101)
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept",
                         push_mod.accept_key(self.headers["Sec-WebSocket-Key"]))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True      # whatever happens, no HTTP after this
        leftover = b""
        try:
            self.connection.setblocking(False)
            leftover = self.rfile.read1(65536) or b""
        except (OSError, ValueError):
            pass
        push_mod.PushConnection(self.sim._push, self.connection,
                                query.get("confID", ""), query.get("tmpToken"),
                                fault=fault, leftover=leftover).run()

    def _finish(self, entry, status):
        """Log the call before its answer goes out, so a client that has its
        answer always finds the call in the log."""
        entry["status"] = status
        self.sim._record(entry)

    def _api_error(self, entry, headers, status, code, message, style):
        self._finish(entry, status)
        self._send(status, _json_bytes(api_mod.error_body(code, message, style)),
                   headers=headers)

    def _fault_answer(self, fault, entry, headers, caller):
        """Answer as the fault says; False when it only delays.  A faulted
        answer shows the rate limits without counting the call."""
        if fault["drop"]:
            self._finish(entry, 0)
            self._drop()
            return True
        gate = self._rate_status(entry["path"], caller)
        self._rate_headers(gate, headers, entry)
        if fault["broken_body"]:
            self._finish(entry, 200)
            self._send(200, BROKEN_BODY, headers=headers)
            return True
        if fault["status"] is None:
            return False                  # delay only: answer normally
        status = fault["status"]
        if fault["retry_after"] is not None:
            headers["Retry-After"] = fault["retry_after"]
        if fault["body"] is not None:
            body = fault["body"].encode("utf-8")
            ctype = fault["content_type"] or (
                _guess_content_type(fault["body"]) if body else None)
        else:
            if status == 429 and fault["error_code"] is None:
                code = THROTTLED
                message = fault["error_msg"] or self._throttled_message(gate)
            else:
                code = fault["error_code"] or "SIM.FAULT.%d" % status
                message = fault["error_msg"] or "injected fault: HTTP %d" % status
            body = _json_bytes(api_mod.error_body(code, message, fault["error_style"]))
            ctype = fault["content_type"] or JSON_TYPE
        self._finish(entry, status)
        self._send(status, body, content_type=ctype, headers=headers)
        return True

    # -- the admin interface (/_sim/) ---------------------------------------------

    def _admin(self, path, query, body, request_id):
        headers = {"X-Request-Id": request_id}
        try:
            status, payload = self._admin_route(path, body)
        except (state_mod.ConfigError, TypeError, ValueError) as exc:
            status, payload = 400, api_mod.error_body("SIM.ADMIN_BAD_REQUEST", str(exc))
        except KeyError as exc:
            status, payload = 404, api_mod.error_body("SIM.ADMIN_NOT_FOUND",
                                                      str(exc.args[0]) if exc.args else "")
        self._send(status, _json_bytes(payload), headers=headers)

    def _admin_body(self, body):
        if not body.strip():
            return {}
        data = json.loads(body.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("the admin request body must be a JSON object")
        return data

    def _admin_route(self, path, body):
        sim, method = self.sim, self.command
        rest = path[len(ADMIN_PREFIX):].strip("/")
        if rest == "health" and method == "GET":
            return 200, {"status": "ok", "url": sim.url, "tls": sim.tls,
                         "ca_path": sim.ca_path, "meetings": len(sim._state.meetings)}
        if rest == "calls":
            if method == "GET":
                return 200, {"calls": sim.calls}
            if method == "DELETE":
                sim.clear_calls()
                return 200, {"calls": []}
        if rest == "faults":
            if method == "GET":
                return 200, {"faults": sim._state.list_faults()}
            if method == "POST":
                return 201, {"fault": sim.inject_fault(**self._admin_body(body))}
            if method == "DELETE":
                sim.clear_faults()
                return 200, {"faults": []}
        if rest == "meetings":
            if method == "GET":
                return 200, {"meetings": sim._state.list_meetings()}
            if method == "POST":
                return 201, {"meeting": sim.add_meeting(**self._admin_body(body))}
        if rest.startswith("meetings/") and "/" not in rest[len("meetings/"):]:
            meeting_id = rest[len("meetings/"):]
            if method == "GET":
                return 200, {"meeting": sim.meeting(meeting_id)}
            if method == "PATCH":
                return 200, {"meeting": sim.set_meeting(meeting_id, **self._admin_body(body))}
        if rest == "config":
            if method == "GET":
                return 200, {"config": sim._state.get_settings()}
            if method == "POST":
                return 200, {"config": sim.configure(**self._admin_body(body))}
        if rest == "outages":
            if method == "GET":
                return 200, {"outages": sim._state.list_outages()}
            if method == "POST":
                return 201, {"outage": sim.outage(**self._admin_body(body))}
            if method == "DELETE":
                sim.clear_outages()
                return 200, {"outages": []}
        if rest == "expire-tokens" and method == "POST":
            kind = self._admin_body(body).get("kind", "all")
            return 200, {"expired": sim.expire_tokens(kind)}
        if rest == "tokens" and method == "GET":
            return 200, {"tokens": sim.issued_tokens()}
        if rest == "rate-windows" and method == "GET":
            return 200, {"windows": sim.rate_windows()}
        if rest == "frames":
            if method == "GET":
                return 200, {"frames": sim.frames}
            if method == "DELETE":
                sim.clear_frames()
                return 200, {"frames": []}
        if rest == "push" and method == "GET":
            return 200, {"connections": sim.push_connections()}
        if rest == "push/close" and method == "POST":
            return 200, {"closed": sim.close_push(**self._admin_body(body))}
        if rest == "reset" and method == "POST":
            sim.reset()
            return 200, {"status": "reset"}
        raise KeyError("no admin endpoint %s %s" % (method, path))


class _Server(ThreadingHTTPServer):
    daemon_threads = True            # never keep the process alive for a client

    def __init__(self, sim, port, ssl_context):
        self.sim = sim
        self.ssl_context = ssl_context
        self.open_connections = set()
        self.open_lock = threading.Lock()
        super(_Server, self).__init__((HOST, port), _Handler)

    def finish_request(self, request, client_address):
        # Runs in the connection's own thread, so a slow TLS handshake only
        # holds up that client, never the accept loop.
        conn = request
        try:
            request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        if self.ssl_context is not None:
            request.settimeout(10)
            try:
                conn = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError):
                return                  # a failed handshake is the client's problem
        with self.open_lock:
            self.open_connections.add(conn)
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            with self.open_lock:
                self.open_connections.discard(conn)
            if conn is not request:
                try:
                    conn.close()
                except OSError:
                    pass

    def close_open_connections(self):
        with self.open_lock:
            conns = list(self.open_connections)
        for conn in conns:
            try:
                socket.socket.shutdown(conn, socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address):
        # Clients that vanish are normal here (drop faults, timeouts, stop);
        # anything else is a bug worth a traceback on stderr.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ssl.SSLError, socket.timeout, OSError, ValueError)):
            return
        super(_Server, self).handle_error(request, client_address)


class Simulator(object):
    """A Huawei Cloud Meeting simulator running in this process.

    >>> with Simulator(config={...}, tls=True) as sim:
    ...     requests.get(sim.url + "/_sim/health", verify=sim.ca_path)
    """

    def __init__(self, meetings_file=None, config=None, tls=False, cert_dir=None,
                 delay=0.0, access_token_ttl=state_mod.DEFAULT_ACCESS_TOKEN_TTL,
                 conf_token_ttl=state_mod.DEFAULT_CONF_TOKEN_TTL, rate_limit=None,
                 port=0, omit_fields=None, write_json=False, error_style="error_code",
                 rate_limit_retry_after=False, on_call=None, confinfo_state=False,
                 state_change_delay=0.0, ws_token_ttl=state_mod.DEFAULT_WS_TOKEN_TTL,
                 push_heartbeat_timeout=state_mod.DEFAULT_PUSH_HEARTBEAT_TIMEOUT,
                 api_rate_limit=None, api_rate_window=state_mod.DEFAULT_API_RATE_WINDOW,
                 push_subscribe_reply="object", push_participants_data="list",
                 token_expiry_range=None, push_drop_interval=None):
        if meetings_file is not None and config is not None:
            raise ValueError("give meetings_file or config, not both")
        if config is None:
            config = state_mod.load_config_file(meetings_file or DEMO_MEETINGS)
        self.meetings_file = meetings_file
        self.tls = bool(tls)
        self.port = port
        self._cert_dir = cert_dir
        self._own_cert_dir = None
        self._on_call = on_call          # called with each call-log entry (CLI --log-calls)
        self._state = state_mod.State(config, {
            "delay": delay, "access_token_ttl": access_token_ttl,
            "conf_token_ttl": conf_token_ttl, "rate_limit": rate_limit,
            "omit_fields": omit_fields or [], "write_json": write_json,
            "error_style": error_style, "rate_limit_retry_after": rate_limit_retry_after,
            "confinfo_state": confinfo_state, "state_change_delay": state_change_delay,
            "ws_token_ttl": ws_token_ttl, "push_heartbeat_timeout": push_heartbeat_timeout,
            "api_rate_limit": api_rate_limit, "api_rate_window": api_rate_window,
            "push_subscribe_reply": push_subscribe_reply,
            "push_participants_data": push_participants_data,
            "token_expiry_range": token_expiry_range,
            "push_drop_interval": push_drop_interval,
        })
        self._api = api_mod.Api(self._state, ws_url=lambda: self.ws_url)
        self._push = push_mod.PushHub(self._state)
        self._server = None
        self._thread = None
        self._dropper = None
        self._stopping = threading.Event()
        self.ca_path = None
        self.cert_path = None
        self.key_path = None
        self.url = None
        self.ws_url = None

    # -- lifecycle ------------------------------------------------------------

    def start(self):
        if self._server is not None:
            raise RuntimeError("the simulator is already running")
        context = None
        if self.tls:
            cert_dir = self._cert_dir
            if cert_dir is None:
                cert_dir = self._own_cert_dir = tempfile.mkdtemp(prefix="hwmeeting-sim-")
            self.ca_path, self.cert_path, self.key_path = tls_mod.generate(cert_dir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(self.cert_path, self.key_path)
        self._stopping.clear()
        try:
            self._server = _Server(self, self.port, context)
        except OSError:
            self._remove_own_cert_dir()   # e.g. the port is taken
            raise
        self.port = self._server.server_address[1]
        self.url = "%s://%s:%d" % ("https" if self.tls else "http", HOST, self.port)
        self.ws_url = "%s://%s:%d" % ("wss" if self.tls else "ws", HOST, self.port)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name="hwmeeting-sim", daemon=True)
        self._thread.start()
        self._dropper = threading.Thread(target=self._drop_push_channels, name="hwmeeting-sim-push-drops",
                                         daemon=True)
        self._dropper.start()
        return self

    def _drop_push_channels(self):
        """push_drop_interval: every that many seconds (from when it was set),
        close every open push channel, as a push server that restarts."""
        interval, due = None, None
        while not self._stopping.wait(0.05):
            current = self._state.get_settings()["push_drop_interval"]
            if current != interval:
                interval = current
                due = None if interval is None else time.monotonic() + interval
            if due is not None and time.monotonic() >= due:
                self._push.close(None, push_mod.CLOSE_GOING_AWAY, "push server restarting")
                due += interval

    def stop(self):
        """Stop serving, end open connections, remove a temporary cert dir."""
        if self._server is None:
            return
        self._stopping.set()
        self._state.changes.cancel_all()
        self._push.close(code=push_mod.CLOSE_GOING_AWAY, reason="simulator stopping")
        self._server.shutdown()
        self._server.close_open_connections()
        self._server.server_close()
        self._thread.join(timeout=5)
        self._dropper.join(timeout=5)
        self._dropper = None
        self._server = None
        self._thread = None
        self._remove_own_cert_dir()

    def _remove_own_cert_dir(self):
        if self._own_cert_dir is not None:
            shutil.rmtree(self._own_cert_dir, ignore_errors=True)
            self._own_cert_dir = None

    @property
    def running(self):
        return self._server is not None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # -- call log -----------------------------------------------------------------

    def _record(self, entry):
        self._state.log_call(entry)
        if self._on_call is not None:
            self._on_call(copy.deepcopy(entry))

    @property
    def calls(self):
        """Every API call served so far (admin calls excluded), oldest first."""
        return self._state.get_calls()

    def clear_calls(self):
        """Empty the call log and the push's frame log."""
        self._state.clear_calls()
        self._push.clear_frames()

    # -- the meeting-status push --------------------------------------------------------

    @property
    def frames(self):
        """Every push frame in or out so far, oldest first (no tokens, no bodies)."""
        return self._push.frames

    def clear_frames(self):
        self._push.clear_frames()

    def push_connections(self):
        """The open push channels: connection, conference_id, subscribed, ..."""
        return self._push.list_connections()

    def close_push(self, conference_id=None, code=push_mod.CLOSE_GOING_AWAY, reason=""):
        """Close the push channels of a meeting (all when None); returns how many."""
        return self._push.close(conference_id, code, reason)

    # -- faults -------------------------------------------------------------------

    def inject_fault(self, path, count=1, method=None, status=None,
                     error_style="error_code", body=None, delay=None, drop=False,
                     broken_body=False, retry_after=None, error_code=None,
                     error_msg=None, content_type=None, push=None):
        """Make the next `count` calls of `path` (and `method`) misbehave."""
        return self._state.add_fault(
            path=path, count=count, method=method, status=status,
            error_style=error_style, body=body, delay=delay, drop=drop,
            broken_body=broken_body, retry_after=retry_after,
            error_code=error_code, error_msg=error_msg, content_type=content_type,
            push=push)

    def clear_faults(self):
        self._state.clear_faults()

    def outage(self, duration, start=0.0, status=503, error_code=None, error_msg=None, push=False):
        """From `start` seconds from now, for `duration` seconds, every call of
        the gateway's REST paths (the push's upgrade too with `push`) answers
        `status` (503) with an error body; returns the outage (absolute
        `starts` and `ends`, Unix times)."""
        return self._state.add_outage(duration=duration, start=start, status=status,
                                      error_code=error_code, error_msg=error_msg, push=push)

    def outages(self):
        """The outages not over yet."""
        return self._state.list_outages()

    def clear_outages(self):
        self._state.clear_outages()

    # -- meetings -----------------------------------------------------------------

    def meeting(self, meeting_id):
        """A copy of a meeting's state (KeyError when unknown)."""
        return self._state.get_meeting(meeting_id)

    def set_meeting(self, meeting_id, **fields):
        return self._state.set_meeting(meeting_id, **fields)

    def add_meeting(self, **fields):
        return self._state.add_meeting(**fields)

    # -- settings and tokens ----------------------------------------------------------

    def configure(self, **settings):
        """Change delay, api_rate_limit, api_rate_window, rate_limit,
        rate_limit_retry_after, access_token_ttl, conf_token_ttl,
        omit_fields, write_json, error_style, confinfo_state,
        state_change_delay, ws_token_ttl, push_heartbeat_timeout,
        push_subscribe_reply, push_participants_data, token_expiry_range or
        push_drop_interval; returns every setting."""
        return self._state.configure(**settings)

    def rate_windows(self):
        """The gateway's per-API windows that hold calls now:
        [{"api", "caller", "used", "limit", "window"}]."""
        return self._state.rate_windows()

    def expire_tokens(self, kind="all"):
        return self._state.expire_tokens(kind)

    def issued_tokens(self):
        return self._state.issued_tokens()

    def reset(self):
        """Back to the meetings as loaded and the start-up settings; clears
        tokens, faults, the call and frame logs, the rate-limit windows,
        writes still waiting for state_change_delay, and closes every push
        channel (issued_tokens() is kept)."""
        self._push.reset()
        self._state.reset()
