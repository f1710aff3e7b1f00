"""The meeting-status push: a WebSocket (RFC 6455) on the simulator's own port.

    GET /cms/open/websocket/confctl/increment/conn?confID=ID&tmpToken=T

server.py answers the upgrade (gateway steps, faults, call log) and hands
the socket to a `PushConnection`, which runs in that connection's thread:

- the tmpToken (from wsToken or the control token's tmpWsToken) must be an
  unexpired, unused WebSocket token of that meeting, else close 1008;
- `Subscribe` (its `data` a JSON string, or object, with subscribeType,
  confToken "Basic base64(control token)" or the raw control token, and
  conferenceID, which may be absent) is answered
  `{"action": "Subscribe", "sequence": S, "data": {"returnCode": 0,
  "returnDesc": "SUCCESS"}}`, then one full message (msgMode 0) per
  subscribed type (ConfDynamicInfoNotify, ParticipantsNotify);
- every change of the meeting (a write, an activation, the admin interface)
  sends incremental messages (msgMode 1) holding only what changed;
- `HeartBeat` is echoed; no HeartBeat for push_heartbeat_timeout seconds
  closes the channel (1001); a meeting that ends closes it (1000).

Standard library only.  The frame log (`PushHub.frames`) records each frame
that came in or went out: action, sequence, msgMode, close codes, never a
token or a body.
"""

import base64
import binascii
import collections
import hashlib
import itertools
import json
import select
import socket
import ssl
import struct
import time
import traceback
import uuid

from .state import PUSH_PATH

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

DYNAMIC = "ConfDynamicInfoNotify"
PARTICIPANTS = "ParticipantsNotify"
# Types a Subscribe may name; the simulator sends the first two only.
KNOWN_TYPES = (DYNAMIC, PARTICIPANTS, "ConfBasicInfoNotify", "AttendeesNotify",
               "SpeakerChangeNotify")

# Close codes (RFC 6455, 7.4.1) and why the simulator sends them.
CLOSE_NORMAL = 1000          # the meeting ended
CLOSE_GOING_AWAY = 1001      # no heartbeat in time; admin close default; reset/stop
CLOSE_PROTOCOL = 1002        # unmasked/reserved bits/bad control frame
CLOSE_UNSUPPORTED = 1003     # a binary message
CLOSE_BAD_DATA = 1007        # text that is not UTF-8
CLOSE_POLICY = 1008          # authentication failed (tmpToken or confToken)
CLOSE_TOO_BIG = 1009         # a message over MAX_MESSAGE
CLOSE_FAULT = 1011           # the push="close" fault

MAX_MESSAGE = 1024 * 1024
CLOSE_WAIT = 2.0             # seconds to wait for the peer's close frame
WRITE_TIMEOUT = 10.0

RETURN_OK = {"returnCode": 0, "returnDesc": "SUCCESS"}
# Own choices (the vendor documents no failure codes for Subscribe):
RETURN_AUTH_FAILED = 1       # confToken or conferenceID not valid for this channel
RETURN_BAD_REQUEST = 2       # data not a JSON object (or string of one) of the expected shape

GARBAGE = "<html><body>502 Bad Gateway</body></html>"   # push="garbage": not JSON


# --------------------------------------------------------------------------
# The opening handshake
# --------------------------------------------------------------------------

def loggable_query(path, query):
    """The query as the call log may show it: never the tmpToken."""
    if path != PUSH_PATH:
        return query
    return {k: v for k, v in query.items() if k != "tmpToken"}


def _tokens(value):
    return [t.strip().lower() for t in (value or "").split(",")]


def handshake_problem(headers):
    """None for a valid client handshake, else (status, message, headers)."""
    if "websocket" not in _tokens(headers.get("Upgrade")):
        return 426, "this path takes a WebSocket upgrade only", {"Upgrade": "websocket"}
    if "upgrade" not in _tokens(headers.get("Connection")):
        return 400, "Connection: Upgrade is missing", {}
    if (headers.get("Sec-WebSocket-Version") or "").strip() != "13":
        return 426, "Sec-WebSocket-Version must be 13", {"Sec-WebSocket-Version": "13"}
    key = (headers.get("Sec-WebSocket-Key") or "").strip()
    try:
        if len(base64.b64decode(key, validate=True)) != 16:
            raise ValueError(key)
    except (binascii.Error, ValueError):
        return 400, "Sec-WebSocket-Key is missing or malformed", {}
    return None


def accept_key(key):
    digest = hashlib.sha1((key.strip() + WS_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


# --------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def encode_frame(opcode, payload=b""):
    """One unfragmented, unmasked (server-to-client) frame."""
    head = bytearray([0x80 | opcode])
    n = len(payload)
    if n < 126:
        head.append(n)
    elif n < 65536:
        head.append(126)
        head += struct.pack("!H", n)
    else:
        head.append(127)
        head += struct.pack("!Q", n)
    return bytes(head) + payload


def close_payload(code, reason=""):
    return struct.pack("!H", code) + reason.encode("utf-8")[:123]


class ProtocolError(Exception):
    def __init__(self, code, reason):
        super(ProtocolError, self).__init__(reason)
        self.code = code
        self.reason = reason


def _unmask(data, mask):
    n = len(data)
    if not n:
        return b""
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def parse_frame(buf):
    """(fin, opcode, payload, consumed) for the first frame in buf, or None
    when it is incomplete.  Client frames must be masked (RFC 6455, 5.1)."""
    if len(buf) < 2:
        return None
    b0, b1 = buf[0], buf[1]
    fin, rsv, opcode = b0 & 0x80, b0 & 0x70, b0 & 0x0F
    masked, length = b1 & 0x80, b1 & 0x7F
    pos = 2
    if length == 126:
        if len(buf) < 4:
            return None
        length = struct.unpack("!H", bytes(buf[2:4]))[0]
        pos = 4
    elif length == 127:
        if len(buf) < 10:
            return None
        length = struct.unpack("!Q", bytes(buf[2:10]))[0]
        pos = 10
    if rsv:
        raise ProtocolError(CLOSE_PROTOCOL, "reserved bits set")
    if not masked:
        raise ProtocolError(CLOSE_PROTOCOL, "client frames must be masked")
    if opcode in (OP_CLOSE, OP_PING, OP_PONG):
        if not fin or length > 125:
            raise ProtocolError(CLOSE_PROTOCOL, "bad control frame")
    elif opcode not in (OP_CONT, OP_TEXT, OP_BINARY):
        raise ProtocolError(CLOSE_PROTOCOL, "unknown opcode %d" % opcode)
    if length > MAX_MESSAGE:
        raise ProtocolError(CLOSE_TOO_BIG, "message too big")
    if len(buf) < pos + 4 + length:
        return None
    mask = bytes(buf[pos:pos + 4])
    payload = _unmask(bytes(buf[pos + 4:pos + 4 + length]), mask)
    return bool(fin), opcode, payload, pos + 4 + length


def _now_ms():
    return int(time.time() * 1000)


# --------------------------------------------------------------------------
# What the push shows of a meeting
# --------------------------------------------------------------------------

def _flag(value):
    return "1" if value else "0"


class PushHub(object):
    """Every open push connection, the frame log, and the diffs that turn
    meeting changes into incremental messages.  Shares the state's lock."""

    def __init__(self, state):
        self.state = state
        self.lock = state.lock
        self.connections = collections.OrderedDict()   # id -> PushConnection
        self._frames = []
        self._ids = itertools.count(1)
        self._end_times = {}
        self._rec_occurred = set()
        state.listeners.append(self.sync)

    # -- views -----------------------------------------------------------------

    def dynamic_view(self, meeting):
        """The ConfDynamicInfoNotify fields (vendor example, meeting_21_1513)."""
        conf_id = meeting["id"]
        if meeting["recording"]:
            self._rec_occurred.add(conf_id)
        end = self._end_times.setdefault(conf_id, str(_now_ms() + 2 * 3600 * 1000))
        return collections.OrderedDict([
            ("state", meeting["state"]), ("endTime", end), ("mode", meeting["mode"]),
            ("vas", 1), ("picNum", 16), ("lock", 0), ("mute", 0), ("lockSharing", 0),
            ("canUnmute", 1), ("chairView", 0),
            ("recState", 1 if meeting["recording"] else 0), ("aiRecState", 0),
            ("recOccurred", 1 if conf_id in self._rec_occurred else 0),
        ])

    @staticmethod
    def participant_views(meeting):
        """pid -> pinfoMap (string values), one per participant (meeting_21_1514)."""
        views = collections.OrderedDict()
        for p in meeting["participants"]:
            views[p["pid"]] = collections.OrderedDict([
                ("NAME", p["name"]), ("TEL", p["phone"]),
                ("ROLE", _flag(p["pid"] == meeting["chair_id"])),
                ("STATE", str(p["state"])), ("HAND", str(p["hand"])),
                ("MUTE", str(p["mute"])), ("VIDEO", str(p["video"])),
                ("CAMERASTATE", _flag(p["camera"])),
                ("BROADCAST", _flag(meeting["broadcast_pid"]
                                    and p["pid"] == meeting["broadcast_pid"])),
                ("ROLLCALL", "0"), ("SHARE", "0"),
            ])
        return views

    def views(self, conf_id):
        """(dynamic, participants) of a meeting, or None when it is gone."""
        meeting = self.state.meetings.get(conf_id)
        if meeting is None:
            return None
        return self.dynamic_view(meeting), self.participant_views(meeting)

    @staticmethod
    def message(action, conf_id, msg_mode, version, fields):
        """The frame every push shares, then `fields` (flat) at the top level."""
        now = _now_ms()
        msg = collections.OrderedDict([
            ("action", action), ("version", now if msg_mode == 0 else version),
            ("createTime", now), ("msgID", uuid.uuid4().hex), ("msgMode", msg_mode),
            ("confID", conf_id)])
        msg.update(fields)
        return msg

    # -- changes -----------------------------------------------------------------

    def sync(self, conf_id):
        """Send each subscribed connection of the meeting what changed."""
        with self.lock:
            conns = [c for c in self.connections.values() if c.conf_id == conf_id]
            if not conns:
                return
            meeting = self.state.meetings.get(conf_id)
            ended = meeting is None or meeting["state"] == "Destroyed"
            new = self.views(conf_id)
            for conn in conns:
                if conn.closing:
                    continue
                if conn.baseline is not None and new is not None:
                    conn.send_changes(conn.baseline, new)
                    conn.baseline = new
                if ended:
                    conn.enqueue_close(CLOSE_NORMAL, "the meeting has ended")

    # -- registry ----------------------------------------------------------------

    def register(self, conn):
        with self.lock:
            conn.id = next(self._ids)
            self.connections[conn.id] = conn

    def unregister(self, conn):
        with self.lock:
            self.connections.pop(conn.id, None)

    def list_connections(self):
        with self.lock:
            return [c.describe() for c in self.connections.values()]

    def close(self, conference_id=None, code=CLOSE_GOING_AWAY, reason=""):
        """Close the channels of one meeting (or all); returns how many."""
        if isinstance(code, bool) or not isinstance(code, int) or not (
                code in (1000, 1001, 1008, 1011, 1012, 1013) or 3000 <= code <= 4999):
            raise ValueError("code must be 1000, 1001, 1008, 1011, 1012, 1013 or 3000-4999")
        if not isinstance(reason, str):
            raise ValueError("reason must be a string")
        count = 0
        with self.lock:
            for conn in self.connections.values():
                if conference_id is not None and conn.conf_id != str(conference_id):
                    continue
                if not conn.closing:
                    conn.enqueue_close(code, reason or "closed by the simulator")
                    count += 1
        return count

    # -- frame log ---------------------------------------------------------------

    def log_frame(self, conn, direction, action, **fields):
        entry = {"time": time.time(), "conference_id": conn.conf_id,
                 "direction": direction, "action": action, "connection": conn.id}
        entry.update((k, v) for k, v in fields.items() if v is not None)
        with self.lock:
            self._frames.append(entry)

    @property
    def frames(self):
        with self.lock:
            return [dict(f) for f in self._frames]

    def clear_frames(self):
        with self.lock:
            self._frames = []

    def reset(self):
        """reset(): close every channel, forget the frame log."""
        with self.lock:
            self.close(code=CLOSE_GOING_AWAY, reason="simulator reset")
            self._frames = []
            self._end_times = {}
            self._rec_occurred = set()


# --------------------------------------------------------------------------
# One connection
# --------------------------------------------------------------------------

class PushConnection(object):
    """Runs in the HTTP handler's thread after the 101 answer.  Other
    threads only queue frames (under the hub's lock) and wake it up; this
    thread alone reads and writes the socket."""

    def __init__(self, hub, sock, conf_id, token, fault=None, leftover=b""):
        self.hub = hub
        self.sock = sock
        self.conf_id = conf_id
        self.id = None
        self._token = token                 # checked once, then forgotten
        self.fault = fault or {}
        self.buf = bytearray(leftover)
        self.out = collections.deque()
        self._poller = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.subscribed = []
        self.baseline = None                # what the client was last told
        self.version = 0                    # incremental messages' sequence
        self.opened = time.time()
        self.last_heartbeat = time.monotonic()
        self.last_heartbeat_time = None
        self.closing = False                # a close frame is queued or sent
        self.close_sent_at = None
        self.peer_closed = False
        self.scheduled = []                 # [(due, fn)]
        self._message = None                # (opcode, bytearray) while fragmented
        self._subscribes = 0
        self._dead = False                  # stop reading (protocol error)

    def describe(self):
        return {"connection": self.id, "conference_id": self.conf_id,
                "subscribed": list(self.subscribed), "opened": self.opened,
                "last_heartbeat": self.last_heartbeat_time, "closing": self.closing}

    # -- queueing (any thread, under the hub's lock) ----------------------------------

    def _wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass                            # buffer full: a wake-up is pending anyway

    def enqueue_json(self, obj, **log):
        if self.closing:
            return
        self.out.append(("text", json.dumps(obj, ensure_ascii=False), log))
        self._wake()

    def enqueue_close(self, code, reason):
        if self.closing:
            return
        self.closing = True
        self.out.append(("close", code, reason))
        self._wake()

    def _send_participants(self, msg_mode, version, data):
        """ParticipantsNotify: `data` a list, or (push_participants_data
        "string") a JSON string of it, as fastjson-based servers send it."""
        style = self.hub.state.settings["push_participants_data"]
        if style == "string":
            data = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        self.enqueue_json(self.hub.message(PARTICIPANTS, self.conf_id, msg_mode, version,
                                           {"data": data}),
                          action=PARTICIPANTS, msgMode=msg_mode, dataType=style)

    def send_full(self, views):
        dyn, parts = views
        if DYNAMIC in self.subscribed:
            self.enqueue_json(self.hub.message(DYNAMIC, self.conf_id, 0, 0, dyn),
                              action=DYNAMIC, msgMode=0)
        if PARTICIPANTS in self.subscribed:
            self._send_participants(0, 0, [{"pid": pid, "mode": 0, "pinfoMap": info}
                                           for pid, info in parts.items()])

    def send_changes(self, old, new):
        (old_dyn, old_parts), (new_dyn, new_parts) = old, new
        if DYNAMIC in self.subscribed:
            changed = collections.OrderedDict(
                (k, v) for k, v in new_dyn.items() if old_dyn.get(k) != v)
            if changed:
                self.version += 1
                self.enqueue_json(self.hub.message(DYNAMIC, self.conf_id, 1, self.version,
                                                   changed),
                                  action=DYNAMIC, msgMode=1)
        if PARTICIPANTS in self.subscribed:
            data = []
            for pid, info in new_parts.items():
                before = old_parts.get(pid, {})
                diff = collections.OrderedDict(
                    (k, v) for k, v in info.items() if before.get(k) != v)
                if diff:
                    data.append({"pid": pid, "mode": 0, "pinfoMap": diff})
            for pid in old_parts:
                if pid not in new_parts:
                    data.append({"pid": pid, "mode": 1, "pinfoMap": {}})
            if data:
                self.version += 1
                self._send_participants(1, self.version, data)

    # -- the connection's own thread ---------------------------------------------------

    def run(self):
        self.hub.register(self)
        try:
            self._authenticate()
            self._loop()
        except Exception:  # a simulator bug: show it, end the channel with 1011
            traceback.print_exc()
            try:
                self.sock.settimeout(1.0)
                self.sock.sendall(encode_frame(OP_CLOSE, close_payload(
                    CLOSE_FAULT, "simulator bug, see its stderr")))
            except OSError:
                pass
        finally:
            self.hub.unregister(self)
            for s in (self._wake_r, self._wake_w):
                s.close()

    def _authenticate(self):
        token, self._token = self._token, None
        st = self.hub.state
        with self.hub.lock:
            ok = st.take_ws_token(token, self.conf_id)
            meeting = st.meetings.get(self.conf_id)
            if not ok:
                self.enqueue_close(CLOSE_POLICY, "authentication failed")
            elif meeting is None or meeting["state"] != "Created":
                self.enqueue_close(CLOSE_POLICY, "the meeting is not in progress")

    def _heartbeat_deadline(self):
        return self.last_heartbeat + self.hub.state.settings["push_heartbeat_timeout"]

    def _loop(self):
        self.sock.setblocking(False)
        if self.buf:                        # frames read with the handshake
            self._read_frames()
        while True:
            now = time.monotonic()
            for item in [i for i in self.scheduled if i[0] <= now]:
                self.scheduled.remove(item)
                item[1]()
            if not self._flush():
                return
            if self.close_sent_at is not None:
                if self.peer_closed or now >= self.close_sent_at + CLOSE_WAIT:
                    return
                deadline = self.close_sent_at + CLOSE_WAIT
            else:
                deadline = self._heartbeat_deadline()
                if now >= deadline:
                    with self.hub.lock:
                        self.enqueue_close(CLOSE_GOING_AWAY, "no heartbeat in time")
                    continue
            deadline = min([deadline] + [i[0] for i in self.scheduled])
            readable = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending() > 0
            if not readable:
                # poll(), not select(): select takes no descriptor above
                # 1023, and hundreds of channels in one process pass it
                try:
                    if self._poller is None:
                        # the numbers as registered: a socket closed by
                        # stop() says -1 after, and poll() says POLLNVAL
                        self._poll_fds = (self.sock.fileno(), self._wake_r.fileno())
                        self._poller = select.poll()
                        for fd in self._poll_fds:
                            self._poller.register(fd, select.POLLIN)
                    ready = set(fd for fd, _events in self._poller.poll(max(0.0, deadline - now) * 1000))
                except (OSError, ValueError):
                    return
                if self._poll_fds[1] in ready:
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except OSError:
                        pass
                readable = self._poll_fds[0] in ready
            if readable:
                try:
                    data = self.sock.recv(65536)
                except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
                    continue
                except OSError:
                    return
                if not data:
                    return                  # the peer (or stop()) closed the TCP connection
                if not self._dead and not self.peer_closed:
                    self.buf += data
                    self._read_frames()

    def _flush(self):
        """Write what is queued; False when the socket failed."""
        while True:
            with self.hub.lock:
                if not self.out or self.close_sent_at is not None:
                    return True
                item = self.out.popleft()
            kind = item[0]
            if kind == "text":
                frame = encode_frame(OP_TEXT, item[1].encode("utf-8"))
            elif kind == "garbage":
                frame = encode_frame(OP_TEXT, GARBAGE.encode("utf-8"))
            elif kind == "pong":
                frame = encode_frame(OP_PONG, item[1])
            else:
                frame = encode_frame(OP_CLOSE, close_payload(item[1], item[2]))
            # Logged before it is sent (as calls are), so a client that has
            # the frame always finds it in the frame log.
            if kind == "text":
                self.hub.log_frame(self, "out", **item[2])
            elif kind == "garbage":
                self.hub.log_frame(self, "out", None, malformed=True)
            elif kind == "pong":
                self.hub.log_frame(self, "out", "pong")
            else:
                self.hub.log_frame(self, "out", "close", code=item[1])
                self.close_sent_at = time.monotonic()
            try:
                self.sock.settimeout(WRITE_TIMEOUT)
                self.sock.sendall(frame)
            except OSError:
                return False
            finally:
                try:
                    self.sock.setblocking(False)
                except OSError:
                    pass

    # -- incoming ----------------------------------------------------------------------

    def _read_frames(self):
        while True:
            try:
                parsed = parse_frame(self.buf)
            except ProtocolError as exc:
                self._fail(exc.code, exc.reason)
                return
            if parsed is None:
                return
            fin, opcode, payload, used = parsed
            del self.buf[:used]
            try:
                self._frame(fin, opcode, payload)
            except ProtocolError as exc:
                self._fail(exc.code, exc.reason)
                return
            if self.peer_closed:
                return

    def _fail(self, code, reason):
        self._dead = True
        with self.hub.lock:
            self.enqueue_close(code, reason)

    def _frame(self, fin, opcode, payload):
        if opcode == OP_CLOSE:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            self.hub.log_frame(self, "in", "close", code=code)
            self.peer_closed = True
            with self.hub.lock:
                # echo the code (RFC 6455, 5.5.1); 1005 means "none given"
                self.enqueue_close(1000 if code in (1005, 1006, 1015) else code, "")
            return
        if opcode == OP_PING:
            self.hub.log_frame(self, "in", "ping")
            with self.hub.lock:
                if not self.closing:
                    self.out.append(("pong", payload))
            return
        if opcode == OP_PONG:
            self.hub.log_frame(self, "in", "pong")
            return
        # data frames, possibly fragmented (RFC 6455, 5.4)
        if opcode == OP_CONT:
            if self._message is None:
                raise ProtocolError(CLOSE_PROTOCOL, "continuation without a message")
            self._message[1].extend(payload)
            if len(self._message[1]) > MAX_MESSAGE:
                raise ProtocolError(CLOSE_TOO_BIG, "message too big")
        else:
            if self._message is not None:
                raise ProtocolError(CLOSE_PROTOCOL, "new message inside a fragmented one")
            self._message = (opcode, bytearray(payload))
        if not fin:
            return
        opcode, data = self._message
        self._message = None
        if opcode == OP_BINARY:
            self.hub.log_frame(self, "in", None, binary=True)
            raise ProtocolError(CLOSE_UNSUPPORTED, "binary messages are not supported")
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError(CLOSE_BAD_DATA, "text is not UTF-8")
        self._text(text)

    def _text(self, text):
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        if not isinstance(msg, dict):
            self.hub.log_frame(self, "in", None, malformed=True)
            return
        action, seq = msg.get("action"), msg.get("sequence")
        self.hub.log_frame(self, "in", action if isinstance(action, str) else None,
                           sequence=seq)
        if self.closing:
            return
        if action == "HeartBeat":
            self.last_heartbeat = time.monotonic()
            self.last_heartbeat_time = time.time()
            with self.hub.lock:
                self.enqueue_json({"sequence": seq, "action": "HeartBeat"},
                                  action="HeartBeat", sequence=seq)
        elif action == "Subscribe":
            self._subscribe(msg, seq)
        # anything else: ignored, as a server ignores actions it does not know

    def _reply(self, seq, code, desc):
        """The Subscribe reply, spelled as push_subscribe_reply says: "object"
        (documented), "string" (data a JSON string of it), "space" (the key
        "returnDesc " as in the vendor's example) or "none" (no reply at all,
        for success and failure alike)."""
        style = self.hub.state.settings["push_subscribe_reply"]
        if style == "none":
            return
        data = collections.OrderedDict([
            ("returnCode", code), ("returnDesc " if style == "space" else "returnDesc", desc)])
        if style == "string":
            data = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        self.enqueue_json({"action": "Subscribe", "sequence": seq, "data": data},
                          action="Subscribe", sequence=seq, returnCode=code, reply=style)

    def _subscribe(self, msg, seq):
        # `data` as the vendor documents it (a JSON string), or as a JSON
        # object, which clients built on JSON libraries send as well.
        data = msg.get("data")
        try:
            if isinstance(data, str):
                data = json.loads(data)
            if not isinstance(data, dict):
                raise ValueError("data must be a JSON object or a JSON string of one")
            types = data.get("subscribeType")
            if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
                raise ValueError("subscribeType must be a list of strings")
            conf_id = data.get("conferenceID")
            if conf_id is not None and not isinstance(conf_id, str):
                raise ValueError("conferenceID must be a string")
        except ValueError as exc:
            with self.hub.lock:
                self._reply(seq, RETURN_BAD_REQUEST, "INVALID_PARAMETER: %s" % exc)
            return
        if not self._conf_token_ok(data):
            with self.hub.lock:
                self._reply(seq, RETURN_AUTH_FAILED, "AUTHENTICATION_FAILED")
                self.enqueue_close(CLOSE_POLICY, "authentication failed")
            return
        self._subscribes += 1
        delay = self.fault.get("delay") if self._subscribes == 1 else None
        if delay:
            self.scheduled.append((time.monotonic() + delay,
                                   lambda: self._subscribed(seq, types)))
        else:
            self._subscribed(seq, types)

    def _conf_token_ok(self, data):
        """conferenceID absent (null) or this channel's; confToken "Basic " +
        base64(control token), or the raw control token (as real clients
        send it), valid and of this meeting."""
        conf_id = data.get("conferenceID")
        if conf_id is not None and conf_id != self.conf_id:
            return False
        auth = data.get("confToken")
        if not isinstance(auth, str) or not auth.strip():
            return False
        if auth.startswith("Basic "):
            try:
                token = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                return False
        else:
            token = auth.strip()
        record = self.hub.state.check_control_token(token)
        return isinstance(record, dict) and record["conference_id"] == self.conf_id

    def _subscribed(self, seq, types):
        push = self.fault.get("push")
        with self.hub.lock:
            if self.closing:
                return
            if push == "garbage" and self._subscribes == 1:
                self.out.append(("garbage",))
            self._reply(seq, RETURN_OK["returnCode"], RETURN_OK["returnDesc"])
            if push == "close":
                self.enqueue_close(CLOSE_FAULT, "injected fault")
                return
            self.subscribed = [t for t in dict.fromkeys(types) if t in KNOWN_TYPES]
            views = self.hub.views(self.conf_id)
            if views is None:
                self.enqueue_close(CLOSE_NORMAL, "the meeting has ended")
                return
            self.baseline = views
            if push != "no_full":
                self.send_full(views)
            if views[0]["state"] == "Destroyed":
                self.enqueue_close(CLOSE_NORMAL, "the meeting has ended")
