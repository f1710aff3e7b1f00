"""Self-tests of the simulator's meeting-status push (a WebSocket).

Driven with `websocket-client` (the library the collection's client uses)
against a simulator in this process, plus raw sockets where a test needs a
frame no well-behaved client would send.  Timing is asserted through the
simulator's own records (call log, frame log) and by order, never by
measuring elapsed time.
"""

import base64
import copy
import hashlib
import json
import os
import re
import socket
import struct
import threading
import time

import pytest
import requests
import websocket

from hwmeeting_sim import ConfigError, Simulator, SimulatorAdmin, SimulatorAdminError

HOST_PW = "111111"
MEETING, OTHER, IDLE = "200000001", "200000002", "200000003"
CHAIR, SPEAKER, CALLING = "pid-chair", "pid-speaker", "pid-calling"

CONFIG = {
    "meetings": [
        {"id": MEETING, "subject": "Keynote", "host_password": HOST_PW, "state": "Created",
         "chair_id": CHAIR, "co_hosts": [SPEAKER],
         "participants": [
             {"pid": CHAIR, "name": "Chair", "phone": "+1001"},
             {"pid": SPEAKER, "name": "Speaker", "phone": "+1002", "mute": 1, "hand": 1,
              "camera": False},                            # video on, camera off
             {"pid": CALLING, "name": "Being Called", "phone": "+1003", "state": 1,
              "video": 0},
         ]},
        {"id": OTHER, "subject": "Other", "host_password": HOST_PW, "state": "Created"},
        {"id": IDLE, "subject": "Not started", "host_password": HOST_PW},
    ],
}

PUSH = "/cms/open/websocket/confctl/increment/conn"
TOKEN = "/v1/mmc/control/conferences/token"
WS_TOKEN = "/v1/mmc/control/conferences/wsToken"
REALTIME = "/v1/mmc/control/conferences/realTimeInfo"
CONTROL = "/v1/mmc/control/conferences/"
TYPES = ("ConfDynamicInfoNotify", "ParticipantsNotify")
SEQ = "000000000000000001702459164879"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

class Push(object):
    """REST calls and WebSocket connections against one simulator."""

    def __init__(self, sim):
        self.sim = sim
        self.verify = sim.ca_path or True
        self.sslopt = {"ca_certs": sim.ca_path} if sim.ca_path else None

    def get(self, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.get(self.sim.url + path, verify=self.verify, **kw)

    def put(self, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.put(self.sim.url + path, verify=self.verify, **kw)

    def control(self, conf_id=MEETING):
        """The control token's data: token, tmpWsToken, wsURL..."""
        r = self.get(TOKEN, params={"conferenceID": conf_id},
                     headers={"X-Login-Type": "1", "X-Password": HOST_PW})
        assert r.status_code == 200, r.text
        return r.json()["data"]

    def ws_token_call(self, conf_id, control_token):
        return self.get(WS_TOKEN, params={"conferenceID": conf_id},
                        headers={"X-Conference-Authorization": control_token})

    def ws_token(self, conf_id, control_token):
        r = self.ws_token_call(conf_id, control_token)
        assert r.status_code == 200, r.text
        return r.json()["webSocketToken"]

    def url(self, conf_id, tmp_token):
        query = "confID=%s" % conf_id
        if tmp_token is not None:
            query += "&tmpToken=%s" % tmp_token
        return "%s%s?%s" % (self.sim.ws_url, PUSH, query)

    def connect(self, conf_id=MEETING, tmp_token=None, **kw):
        return websocket.create_connection(self.url(conf_id, tmp_token), timeout=10,
                                           sslopt=self.sslopt, **kw)

    def open(self, conf_id=MEETING):
        """Control token + wsToken + connection: (ws, control data)."""
        data = self.control(conf_id)
        ws = self.connect(conf_id, self.ws_token(conf_id, data["token"]))
        return ws, data

    def write(self, kind, token, conf_id=MEETING, value=None, pid=None):
        params = {"conferenceID": conf_id}
        headers = {"X-Conference-Authorization": token}
        if kind == "record":
            return self.put(CONTROL + "record", params=params, headers=headers,
                            json={"isRecord": 1 if value is None else value})
        if kind == "live":
            return self.put(CONTROL + "live", params=params, headers=headers,
                            json={"isLive": 1 if value is None else value})
        if kind == "broadcast":
            params["participantID"] = pid
            return self.put(CONTROL + "participants/broadcast", params=params,
                            headers=headers)
        return self.put(CONTROL + "cancelBroadcast", params=params, headers=headers)


ABSENT = object()     # subscribe_frame(conf_id=ABSENT): no conferenceID at all


def subscribe_frame(control_token, conf_id=MEETING, types=TYPES, seq=SEQ, raw_token=False,
                    as_object=False):
    """A Subscribe: `data` a JSON string as documented (or an object), the
    confToken "Basic base64(token)" as documented (or `raw_token` as given)."""
    conf_token = control_token if raw_token else (
        "Basic " + base64.b64encode(control_token.encode()).decode())
    data = {} if conf_id is ABSENT else {"conferenceID": conf_id}
    data.update({"subscribeType": list(types), "confToken": conf_token})
    return json.dumps({"sequence": seq, "action": "Subscribe",
                       "data": data if as_object else json.dumps(data)})


def recv_json(ws):
    opcode, data = ws.recv_data()
    assert opcode == websocket.ABNF.OPCODE_TEXT, (opcode, data)
    return json.loads(data.decode("utf-8"))


def recv_close(ws):
    """Read until the server's close frame: (code, reason)."""
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else None
            return code, data[2:].decode("utf-8")


def subscribed(push, conf_id=MEETING, types=TYPES):
    """An open, subscribed channel whose full messages were read: (ws, data, fulls)."""
    ws, data = push.open(conf_id)
    ws.send(subscribe_frame(data["token"], conf_id, types))
    reply = recv_json(ws)
    assert reply["data"]["returnCode"] == 0, reply
    fulls = [recv_json(ws) for _type in types
             if _type in ("ConfDynamicInfoNotify", "ParticipantsNotify")]
    return ws, data, fulls


def heartbeat(ws, seq="000000000000000000000000000042"):
    ws.send(json.dumps({"sequence": seq, "action": "HeartBeat"}))
    return seq


def next_non_heartbeat_is_none(ws):
    """Prove that nothing was queued before a HeartBeat echo: the next frame
    after sending a HeartBeat is its echo."""
    seq = heartbeat(ws, "000000000000000000000000009999")
    assert recv_json(ws) == {"sequence": seq, "action": "HeartBeat"}


@pytest.fixture
def push(sim):
    return Push(sim)


def frames_of(sim, connection=None, direction=None):
    return [f for f in sim.frames
            if (connection is None or f["connection"] == connection)
            and (direction is None or f["direction"] == direction)]


# ---------------------------------------------------------------------------
# tokens: control token fields, the wsToken call, one use, expiry
# ---------------------------------------------------------------------------

def test_control_token_carries_ws_url_and_tmp_ws_token(sim, push):
    data = push.control()
    assert data["wsURL"] == "ws://127.0.0.1:%d" % sim.port == sim.ws_url
    assert data["tmpWsToken"] in sim.issued_tokens()
    assert data["tmpWsToken"] != data["token"]
    # the tmpWsToken opens a channel, as a wsToken does
    ws = push.connect(MEETING, data["tmpWsToken"])
    ws.send(subscribe_frame(data["token"]))
    assert recv_json(ws)["data"] == {"returnCode": 0, "returnDesc": "SUCCESS"}
    ws.close()


def test_ws_token_call(sim, push):
    data = push.control()
    r = push.ws_token_call(MEETING, data["token"])
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-Id"])
    body = r.json()
    assert list(body) == ["webSocketToken"]
    assert body["webSocketToken"] in sim.issued_tokens()
    call = sim.calls[-1]
    assert (call["method"], call["path"], call["query"], call["status"]) == (
        "GET", WS_TOKEN, {"conferenceID": MEETING}, 200)


@pytest.mark.parametrize("case,status,code", [
    ("no token", 401, "MMC.111070001"),
    ("bogus token", 401, "MMC.111070001"),
    ("other meeting's token", 401, "MMC.111070001"),
    ("expired token", 401, "MMC.111070001"),
    ("not in progress", 400, "MMC.111070005"),
    ("ended", 400, "MMC.111072006"),
    ("no conferenceID", 400, "SIM.INVALID_PARAMETER"),
])
def test_ws_token_call_checks_as_realtime_info(sim, push, case, status, code):
    token = push.control()["token"]
    conf_id = MEETING
    if case == "no token":
        token = None
    elif case == "bogus token":
        token = "stb-bogus"
    elif case == "other meeting's token":
        token = push.control(OTHER)["token"]
    elif case == "expired token":
        sim.expire_tokens("control")
    elif case == "not in progress":
        sim.set_meeting(MEETING, state="Schedule")
    elif case == "ended":
        sim.set_meeting(MEETING, state="Destroyed")
    elif case == "no conferenceID":
        conf_id = ""
    headers = {"X-Conference-Authorization": token} if token else {}
    r = push.get(WS_TOKEN, params={"conferenceID": conf_id} if conf_id else {},
                 headers=headers)
    assert r.status_code == status
    assert r.json()["error_code"] == code


def test_ws_token_is_good_for_one_connection(sim, push):
    data = push.control()
    tmp = push.ws_token(MEETING, data["token"])
    first = push.connect(MEETING, tmp)
    first.send(subscribe_frame(data["token"]))
    assert recv_json(first)["data"]["returnCode"] == 0
    assert [recv_json(first)["action"] for _t in TYPES] == list(TYPES)
    second = push.connect(MEETING, tmp)                  # the upgrade completes...
    code, reason = recv_close(second)                    # ...then the channel closes
    assert (code, reason) == (1008, "authentication failed")
    assert [(c["path"], c["status"]) for c in sim.calls if c["path"] == PUSH] == [
        (PUSH, 101), (PUSH, 101)]
    # the first channel is not affected
    seq = heartbeat(first)
    assert recv_json(first) == {"sequence": seq, "action": "HeartBeat"}
    first.close()
    second.close()


def test_ws_token_expires(sim, push):
    data = push.control()
    expired = push.ws_token(MEETING, data["token"])
    assert sim.expire_tokens("ws") == 2              # tmpWsToken and the wsToken
    assert recv_close(push.connect(MEETING, expired))[0] == 1008
    assert recv_close(push.connect(MEETING, data["tmpWsToken"]))[0] == 1008
    # the lifetime is a setting (ws_token_ttl, default 60 s)
    assert sim.configure()["ws_token_ttl"] == 60.0
    sim.configure(ws_token_ttl=0.05)
    short = push.ws_token(MEETING, data["token"])
    time.sleep(0.2)                                  # past its 0.05 s lifetime
    assert recv_close(push.connect(MEETING, short))[0] == 1008
    sim.configure(ws_token_ttl=60)
    ws = push.connect(MEETING, push.ws_token(MEETING, data["token"]))
    ws.send(subscribe_frame(data["token"]))
    assert recv_json(ws)["data"]["returnCode"] == 0       # a fresh token works
    ws.close()


@pytest.mark.parametrize("case", ["missing", "bogus", "other meeting", "control token",
                                  "meeting not in progress"])
def test_bad_tmp_token_closes_with_1008(sim, push, case, wait_until):
    data = push.control()
    conf_id = MEETING
    if case == "missing":
        tmp = None
    elif case == "bogus":
        tmp = "stb" + "0" * 48
    elif case == "other meeting":
        tmp = push.ws_token(OTHER, push.control(OTHER)["token"])
    elif case == "control token":
        tmp = data["token"]
    else:
        tmp = push.ws_token(MEETING, data["token"])
        sim.set_meeting(MEETING, state="Schedule")
    ws = push.connect(conf_id, tmp)
    assert ws.getstatus() == 101
    code, reason = recv_close(ws)
    assert code == 1008
    assert reason in ("authentication failed", "the meeting is not in progress")
    for token in sim.issued_tokens():
        assert token not in reason
    assert wait_until(lambda: sim.push_connections() == [])
    ws.close()


# ---------------------------------------------------------------------------
# Subscribe, full messages
# ---------------------------------------------------------------------------

def test_subscribe_reply_and_full_messages(sim, push):
    ws, data = push.open()
    ws.send(subscribe_frame(data["token"]))
    reply = recv_json(ws)
    assert reply == {"action": "Subscribe", "sequence": SEQ,
                     "data": {"returnCode": 0, "returnDesc": "SUCCESS"}}

    dynamic = recv_json(ws)
    assert dynamic["action"] == "ConfDynamicInfoNotify"
    assert dynamic["msgMode"] == 0 and dynamic["confID"] == MEETING
    assert isinstance(dynamic["createTime"], int) and dynamic["createTime"] > 1e12
    assert dynamic["version"] == dynamic["createTime"]      # full: a ms timestamp
    assert re.fullmatch(r"[0-9a-f]{32}", dynamic["msgID"])
    assert (dynamic["state"], dynamic["mode"], dynamic["recState"]) == ("Created", "FREE", 0)
    assert (dynamic["lock"], dynamic["mute"], dynamic["recOccurred"]) == (0, 0, 0)
    assert isinstance(dynamic["endTime"], str) and dynamic["endTime"].isdigit()
    assert "data" not in dynamic                             # flat

    parts = recv_json(ws)
    assert parts["action"] == "ParticipantsNotify"
    assert parts["msgMode"] == 0 and parts["confID"] == MEETING
    assert parts["msgID"] != dynamic["msgID"]
    assert [p["pid"] for p in parts["data"]] == [CHAIR, SPEAKER, CALLING]
    assert all(p["mode"] == 0 for p in parts["data"])
    for entry in parts["data"]:
        assert all(isinstance(v, str) for v in entry["pinfoMap"].values())
    chair, speaker, calling = [p["pinfoMap"] for p in parts["data"]]
    assert (chair["NAME"], chair["TEL"], chair["ROLE"], chair["STATE"]) == (
        "Chair", "+1001", "1", "0")
    assert list(chair) == ["NAME", "TEL", "ROLE", "STATE", "HAND", "MUTE", "VIDEO",
                           "CAMERASTATE", "BROADCAST", "ROLLCALL", "SHARE"]
    # CAMERASTATE: the file's camera, or as video when it names none
    assert (chair["CAMERASTATE"], speaker["CAMERASTATE"], calling["CAMERASTATE"]) == (
        "1", "0", "0")
    assert (speaker["ROLE"], speaker["MUTE"], speaker["HAND"], speaker["VIDEO"],
            speaker["BROADCAST"]) == ("0", "1", "1", "1", "0")
    assert (calling["STATE"], calling["VIDEO"]) == ("1", "0")    # being called: listed too

    # no live state anywhere: the vendor publishes none
    assert "liveState" not in json.dumps([dynamic, parts])
    ws.close()


def test_subscribe_one_type_gets_one_full_message(sim, push):
    ws, data, fulls = subscribed(push, types=["ParticipantsNotify"])
    assert [m["action"] for m in fulls] == ["ParticipantsNotify"]
    next_non_heartbeat_is_none(ws)
    # and only that type's incrementals
    push.write("record", data["token"])
    push.write("broadcast", data["token"], pid=SPEAKER)
    msg = recv_json(ws)
    assert msg["action"] == "ParticipantsNotify"
    ws.close()


@pytest.mark.parametrize("style,expected", [
    ("object", {"returnCode": 0, "returnDesc": "SUCCESS"}),
    ("string", json.dumps({"returnCode": 0, "returnDesc": "SUCCESS"}, separators=(",", ":"))),
    ("space", {"returnCode": 0, "returnDesc ": "SUCCESS"}),
    ("none", None),
])
def test_subscribe_reply_styles(sim, push, style, expected):
    assert sim.configure()["push_subscribe_reply"] == "object"          # the default
    sim.configure(push_subscribe_reply=style)
    ws, data = push.open()
    ws.send(subscribe_frame(data["token"]))
    first = recv_json(ws)
    if expected is None:                      # no reply: the full messages come all the same
        fulls = [first, recv_json(ws)]
    else:
        assert first == {"action": "Subscribe", "sequence": SEQ, "data": expected}
        fulls = [recv_json(ws) for _t in TYPES]
    assert [m["action"] for m in fulls] == list(TYPES)
    replies = [f for f in frames_of(sim, direction="out") if f["action"] == "Subscribe"]
    if expected is None:
        assert replies == []
    else:
        assert [(f["returnCode"], f["reply"]) for f in replies] == [(0, style)]
    ws.close()


@pytest.mark.parametrize("style", ["string", "space", "none"])
def test_subscribe_failures_in_each_reply_style(sim, push, style):
    sim.configure(push_subscribe_reply=style)
    ws, data = push.open()
    ws.send(json.dumps({"sequence": "8", "action": "Subscribe", "data": "not json"}))
    if style != "none":
        reply = recv_json(ws)["data"]
        reply = json.loads(reply) if style == "string" else reply
        assert reply["returnCode"] == 2
        key = "returnDesc " if style == "space" else "returnDesc"
        assert reply[key].startswith("INVALID_PARAMETER") and len(reply) == 2
    next_non_heartbeat_is_none(ws)            # (no reply at all with "none")
    ws.send(subscribe_frame("stb" + "0" * 48, raw_token=True))
    if style != "none":
        reply = recv_json(ws)["data"]
        assert (json.loads(reply) if style == "string" else reply)["returnCode"] == 1
    assert recv_close(ws) == (1008, "authentication failed")
    ws.close()


@pytest.mark.parametrize("style", ["list", "string"])
def test_participants_data_styles(sim, push, style):
    assert sim.configure()["push_participants_data"] == "list"          # the default
    sim.configure(push_participants_data=style)
    ws, data, fulls = subscribed(push)
    full = fulls[1]["data"]
    assert isinstance(full, str if style == "string" else list)
    full = json.loads(full) if style == "string" else full
    assert [p["pid"] for p in full] == [CHAIR, SPEAKER, CALLING]
    assert full[0]["pinfoMap"]["NAME"] == "Chair"
    push.write("broadcast", data["token"], pid=SPEAKER)
    parts = [recv_json(ws) for _m in range(2)][1]           # after ConfDynamicInfoNotify
    increment = json.loads(parts["data"]) if style == "string" else parts["data"]
    assert isinstance(parts["data"], str if style == "string" else list)
    assert increment == [{"pid": SPEAKER, "mode": 0, "pinfoMap": {"BROADCAST": "1"}}]
    logged = [(f["msgMode"], f["dataType"]) for f in frames_of(sim, direction="out")
              if f["action"] == "ParticipantsNotify"]
    assert logged == [(0, style), (1, style)]
    ws.close()


def test_push_styles_change_for_open_channels_and_are_validated(sim, push):
    ws, data, _fulls = subscribed(push)
    with SimulatorAdmin(sim.url) as admin:
        config = admin.configure(push_participants_data="string", push_subscribe_reply="space")
        assert (config["push_participants_data"], config["push_subscribe_reply"]) == (
            "string", "space")
        push.write("broadcast", data["token"], pid=CHAIR)
        parts = [recv_json(ws) for _m in range(2)][1]           # after ConfDynamicInfoNotify
        assert json.loads(parts["data"])[0]["pid"] == CHAIR          # the next message
        ws.send(subscribe_frame(data["token"], seq="9"))             # a second Subscribe
        assert recv_json(ws)["data"] == {"returnCode": 0, "returnDesc ": "SUCCESS"}
        for bad in ({"push_subscribe_reply": "loud"}, {"push_subscribe_reply": None},
                    {"push_participants_data": "dict"}, {"push_participants_data": 1}):
            r = requests.post(sim.url + "/_sim/config", json=bad, timeout=10)
            assert r.status_code == 400, bad
            with pytest.raises(ConfigError):
                sim.configure(**bad)
            with pytest.raises(ConfigError):
                Simulator(config=CONFIG, **bad)
        assert admin.settings()["push_subscribe_reply"] == "space"
    ws.close()


def test_push_styles_from_the_constructor():
    with Simulator(config=copy.deepcopy(CONFIG), push_subscribe_reply="string",
                   push_participants_data="string") as s:
        ws, data = Push(s).open()
        ws.send(subscribe_frame(data["token"]))
        assert json.loads(recv_json(ws)["data"])["returnCode"] == 0
        recv_json(ws)
        assert isinstance(recv_json(ws)["data"], str)
        ws.close()
        s.reset()                                            # back to these settings
        assert s.configure()["push_subscribe_reply"] == "string"


@pytest.mark.parametrize("conf_id", ["absent", "null", "the channel's"])
@pytest.mark.parametrize("raw_token", [False, True], ids=["Basic base64", "raw token"])
@pytest.mark.parametrize("as_object", [False, True], ids=["data string", "data object"])
def test_subscribe_as_real_clients_send_it(sim, push, conf_id, raw_token, as_object):
    """conferenceID absent (the channel's confID stands), null or the
    channel's; confToken documented or raw; data a JSON string or object."""
    ws, data = push.open()
    conf = {"absent": ABSENT, "null": None, "the channel's": MEETING}[conf_id]
    ws.send(subscribe_frame(data["token"], conf, raw_token=raw_token, as_object=as_object))
    assert recv_json(ws) == {"action": "Subscribe", "sequence": SEQ,
                             "data": {"returnCode": 0, "returnDesc": "SUCCESS"}}
    fulls = [recv_json(ws) for _t in TYPES]
    assert [(m["action"], m["msgMode"], m["confID"]) for m in fulls] == [
        (t, 0, MEETING) for t in TYPES]
    assert sim.push_connections()[0]["subscribed"] == list(TYPES)
    ws.close()


@pytest.mark.parametrize("case", ["not Basic", "other meeting's token",
                                  "other meeting's raw token", "expired control token",
                                  "expired raw token", "bogus raw token",
                                  "other conferenceID", "other conferenceID, data object",
                                  "no conferenceID, other meeting's token",
                                  "empty conferenceID", "empty confToken", "bogus base64"])
def test_subscribe_with_a_bad_conf_token(sim, push, case):
    ws, data = push.open()
    token, conf_id, raw, as_object = data["token"], MEETING, False, False
    if case == "not Basic":
        token, raw = "Bearer " + token, True
    elif case == "other meeting's token":
        token = push.control(OTHER)["token"]
    elif case == "other meeting's raw token":
        token, raw = push.control(OTHER)["token"], True
    elif case == "expired control token":
        sim.expire_tokens("control")
    elif case == "expired raw token":
        sim.expire_tokens("control")
        raw = True
    elif case == "bogus raw token":
        token, raw = "stb" + "0" * 48, True
    elif case == "other conferenceID":
        conf_id = OTHER
    elif case == "other conferenceID, data object":
        conf_id, as_object = OTHER, True
    elif case == "no conferenceID, other meeting's token":
        token, conf_id = push.control(OTHER)["token"], ABSENT
    elif case == "empty conferenceID":
        conf_id = ""
    elif case == "empty confToken":
        token, raw = "", True
    else:
        token, raw = "Basic %%%not-base64", True
    ws.send(subscribe_frame(token, conf_id, raw_token=raw, as_object=as_object))
    reply = recv_json(ws)
    assert reply["action"] == "Subscribe" and reply["sequence"] == SEQ
    assert reply["data"]["returnCode"] != 0
    assert recv_close(ws) == (1008, "authentication failed")
    assert "ConfDynamicInfoNotify" not in [f["action"] for f in sim.frames]
    ws.close()


@pytest.mark.parametrize("data", [{"conferenceID": MEETING}, "not json", "[1, 2]", [1, 2], None,
                                  json.dumps({"conferenceID": MEETING,
                                              "subscribeType": "ParticipantsNotify"}),
                                  {"conferenceID": int(MEETING), "subscribeType": list(TYPES)}])
def test_subscribe_with_malformed_data(sim, push, data):
    ws, control = push.open()
    ws.send(json.dumps({"sequence": "7", "action": "Subscribe", "data": data}))
    reply = recv_json(ws)
    assert reply["sequence"] == "7" and reply["data"]["returnCode"] == 2
    assert reply["data"]["returnDesc"].startswith("INVALID_PARAMETER")
    # the channel stays open: a good Subscribe still works
    ws.send(subscribe_frame(control["token"]))
    assert recv_json(ws)["data"]["returnCode"] == 0
    ws.close()


def test_heartbeat_echo(sim, push):
    ws, _data, _fulls = subscribed(push)
    for seq in ("000000000000000001702459164880", "000000000000000001702459164881"):
        heartbeat(ws, seq)
        assert recv_json(ws) == {"sequence": seq, "action": "HeartBeat"}
    ws.close()


def test_heartbeat_before_subscribe_and_unknown_actions(sim, push):
    ws, _data = push.open()
    ws.send(json.dumps({"sequence": "1", "action": "SomethingElse"}))
    ws.send("not json at all")
    seq = heartbeat(ws)
    assert recv_json(ws) == {"sequence": seq, "action": "HeartBeat"}
    ins = [(f["action"], f.get("malformed")) for f in frames_of(sim, direction="in")]
    assert ins == [("SomethingElse", None), (None, True), ("HeartBeat", None)]
    ws.close()


def test_heartbeat_timeout_closes(sim, push):
    assert sim.configure()["push_heartbeat_timeout"] == 180.0
    sim.configure(push_heartbeat_timeout=0.5)
    ws, _data, _fulls = subscribed(push)
    heartbeat(ws)
    assert recv_json(ws)["action"] == "HeartBeat"
    assert recv_close(ws) == (1001, "no heartbeat in time")
    # the simulator's own times: the close came at least the timeout after
    # the last heartbeat it received
    frames = sim.frames
    last_in = [f for f in frames if f["direction"] == "in" and f["action"] == "HeartBeat"][-1]
    closed = [f for f in frames if f["direction"] == "out" and f["action"] == "close"][0]
    assert closed["code"] == 1001
    assert closed["time"] - last_in["time"] >= 0.5
    ws.close()


# ---------------------------------------------------------------------------
# incremental messages
# ---------------------------------------------------------------------------

def test_incrementals_for_rest_writes(sim, push):
    ws, data, _fulls = subscribed(push)
    token = data["token"]

    assert push.write("record", token).status_code == 200
    msg = recv_json(ws)
    assert msg["action"] == "ConfDynamicInfoNotify" and msg["msgMode"] == 1
    changed = {k: v for k, v in msg.items()
               if k not in ("action", "version", "createTime", "msgID", "msgMode", "confID")}
    assert changed == {"recState": 1, "recOccurred": 1}
    first_version = msg["version"]

    assert push.write("broadcast", token, pid=SPEAKER).status_code == 200
    dyn, parts = recv_json(ws), recv_json(ws)
    assert dyn["mode"] == "BROADCAST" and "recState" not in dyn
    assert dyn["version"] > first_version                      # ascending sequence
    assert parts["msgMode"] == 1
    assert parts["data"] == [{"pid": SPEAKER, "mode": 0, "pinfoMap": {"BROADCAST": "1"}}]

    # broadcasting another participant moves the flag
    assert push.write("broadcast", token, pid=CHAIR).status_code == 200
    parts = recv_json(ws)                                      # mode is unchanged
    assert parts["action"] == "ParticipantsNotify"
    assert parts["data"] == [{"pid": CHAIR, "mode": 0, "pinfoMap": {"BROADCAST": "1"}},
                             {"pid": SPEAKER, "mode": 0, "pinfoMap": {"BROADCAST": "0"}}]

    assert push.write("cancelBroadcast", token).status_code == 200
    dyn, parts = recv_json(ws), recv_json(ws)
    assert dyn["mode"] == "FREE"
    assert parts["data"] == [{"pid": CHAIR, "mode": 0, "pinfoMap": {"BROADCAST": "0"}}]

    assert push.write("record", token, value=0).status_code == 200
    msg = recv_json(ws)
    assert msg["recState"] == 0 and "recOccurred" not in msg   # it did occur: still 1

    # live changes nothing in the push; an idempotent write neither
    assert push.write("live", token).status_code == 200
    assert push.write("record", token, value=0).status_code == 200
    next_non_heartbeat_is_none(ws)
    assert all("liveState" not in m for m in (msg, dyn, parts))
    ws.close()


def test_incrementals_for_admin_changes(sim, push):
    ws, _data, _fulls = subscribed(push)
    sim.set_meeting(MEETING, recording=True, mode="FIXED")
    msg = recv_json(ws)
    assert (msg["recState"], msg["mode"], msg["msgMode"]) == (1, "FIXED", 1)

    sim.set_meeting(MEETING, broadcast_pid=CALLING)
    parts = recv_json(ws)
    assert parts["data"] == [{"pid": CALLING, "mode": 0, "pinfoMap": {"BROADCAST": "1"}}]

    # participants: one changed, one left, one joined
    participants = copy.deepcopy(CONFIG["meetings"][0]["participants"])
    participants[0]["mute"] = 1                              # the chair mutes
    del participants[2]                                      # the called one leaves
    participants.append({"pid": "pid-new", "name": "Newcomer", "phone": "+1004"})
    sim.set_meeting(MEETING, participants=participants, broadcast_pid="")
    parts = recv_json(ws)
    assert parts["data"] == [
        {"pid": CHAIR, "mode": 0, "pinfoMap": {"MUTE": "1"}},
        {"pid": "pid-new", "mode": 0, "pinfoMap": {
            "NAME": "Newcomer", "TEL": "+1004", "ROLE": "0", "STATE": "0", "HAND": "0",
            "MUTE": "0", "VIDEO": "1", "CAMERASTATE": "1", "BROADCAST": "0", "ROLLCALL": "0",
            "SHARE": "0"}},
        {"pid": CALLING, "mode": 1, "pinfoMap": {}},
    ]
    # the chair moves: ROLE follows chair_id
    sim.set_meeting(MEETING, chair_id=SPEAKER)
    parts = recv_json(ws)
    assert parts["data"] == [{"pid": CHAIR, "mode": 0, "pinfoMap": {"ROLE": "0"}},
                             {"pid": SPEAKER, "mode": 0, "pinfoMap": {"ROLE": "1"}}]
    # a change nobody sees in the push sends nothing
    sim.set_meeting(MEETING, subject="Renamed", live=True)
    next_non_heartbeat_is_none(ws)
    ws.close()


def test_camera_changes_are_pushed(sim, push):
    ws, _data, _fulls = subscribed(push)
    participants = copy.deepcopy(CONFIG["meetings"][0]["participants"])
    participants[1]["camera"] = True                         # the speaker's camera goes on
    assert sim.set_meeting(MEETING, participants=participants)["participants"][1]["camera"]
    assert recv_json(ws)["data"] == [{"pid": SPEAKER, "mode": 0,
                                      "pinfoMap": {"CAMERASTATE": "1"}}]
    participants[1]["video"] = 0                             # video alone: the camera stays
    sim.set_meeting(MEETING, participants=participants)
    assert recv_json(ws)["data"] == [{"pid": SPEAKER, "mode": 0, "pinfoMap": {"VIDEO": "0"}}]
    participants[0]["video"] = 0                             # no camera given: it follows video
    sim.set_meeting(MEETING, participants=participants)
    assert recv_json(ws)["data"] == [{"pid": CHAIR, "mode": 0,
                                      "pinfoMap": {"VIDEO": "0", "CAMERASTATE": "0"}}]
    # through the admin interface, which shows the field too
    participants[0]["camera"] = True
    r = requests.patch(sim.url + "/_sim/meetings/" + MEETING, timeout=10,
                       json={"participants": participants})
    assert r.json()["meeting"]["participants"][0]["camera"] is True
    assert recv_json(ws)["data"] == [{"pid": CHAIR, "mode": 0,
                                      "pinfoMap": {"CAMERASTATE": "1"}}]
    with SimulatorAdmin(sim.url) as admin:
        assert [p["camera"] for p in admin.meeting(MEETING)["participants"]] == [
            True, True, False]
        participants[0]["camera"] = "off"
        with pytest.raises(SimulatorAdminError) as err:
            admin.set_meeting(MEETING, participants=participants)
        assert err.value.status == 400
    with pytest.raises(ConfigError):
        sim.set_meeting(MEETING, participants=participants)
    ws.close()


def test_camera_from_a_meetings_file(tmp_path):
    path = tmp_path / "meetings.yml"
    path.write_text('meetings:\n  - {id: "%s", host_password: "%s", state: Created,\n'
                    '     participants: [{pid: a, video: 1, camera: false}, {pid: b, video: 0},\n'
                    '                    {pid: c, video: 0, camera: true}]}\n'
                    % (MEETING, HOST_PW))
    with Simulator(meetings_file=str(path)) as s:
        assert [p["camera"] for p in s.meeting(MEETING)["participants"]] == [False, False, True]
        ws, _data, fulls = subscribed(Push(s))
        assert [p["pinfoMap"]["CAMERASTATE"] for p in fulls[1]["data"]] == ["0", "0", "1"]
        ws.close()


def test_incrementals_through_the_admin_interface(sim, push):
    ws, _data, _fulls = subscribed(push)
    with SimulatorAdmin(sim.url) as admin:
        admin.set_meeting(MEETING, recording=True)
        assert recv_json(ws)["recState"] == 1
        # and activation: a meeting set back to Schedule, then started again
        admin.set_meeting(MEETING, state="Schedule")
        assert recv_json(ws)["state"] == "Schedule"
    ws.close()


def test_incremental_for_an_activation(sim, push):
    cfg = copy.deepcopy(CONFIG)
    cfg["accounts"] = [{"account": "a@example.com", "password": "pw-not-secret"}]
    with Simulator(config=cfg) as s:
        p = Push(s)
        ws, _data, _fulls = subscribed(p)
        s.set_meeting(MEETING, state="Schedule")
        assert recv_json(ws)["state"] == "Schedule"
        basic = base64.b64encode(b"a@example.com:pw-not-secret").decode()
        access = requests.post(s.url + "/v1/usg/acs/auth/account", timeout=10,
                               headers={"Authorization": "Basic " + basic},
                               json={"account": "a@example.com"}).json()["accessToken"]
        r = requests.post(s.url + "/v1/mmc/management/conferences/start", timeout=10,
                          headers={"X-Access-Token": access},
                          json={"conferenceID": MEETING, "password": HOST_PW})
        assert r.status_code == 200
        msg = recv_json(ws)
        assert (msg["action"], msg["msgMode"], msg["state"]) == (
            "ConfDynamicInfoNotify", 1, "Created")
        ws.close()


def test_every_subscribed_connection_of_the_meeting_gets_incrementals(sim, push):
    a, data, _f = subscribed(push)
    b, _d, _f = subscribed(push)
    other, _d, _f = subscribed(push, OTHER)
    push.write("record", data["token"])
    assert recv_json(a)["recState"] == 1
    assert recv_json(b)["recState"] == 1
    next_non_heartbeat_is_none(other)
    conns = {f["connection"] for f in sim.frames
             if f["action"] == "ConfDynamicInfoNotify" and f["msgMode"] == 1}
    assert len(conns) == 2
    for ws in (a, b, other):
        ws.close()


def test_state_change_delay(sim, push):
    assert sim.configure()["state_change_delay"] == 0.0
    sim.configure(state_change_delay=0.4, confinfo_state=True)
    ws, data, _fulls = subscribed(push)
    token = data["token"]
    assert push.write("record", token, value=1).status_code == 200
    assert push.write("record", token, value=0).status_code == 200
    assert push.write("broadcast", token, pid=SPEAKER).status_code == 200
    # applied in order, each its delay after its write
    first, second, third, parts = (recv_json(ws), recv_json(ws), recv_json(ws),
                                   recv_json(ws))
    assert (first["recState"], second["recState"], third["mode"]) == (1, 0, "BROADCAST")
    assert parts["data"] == [{"pid": SPEAKER, "mode": 0, "pinfoMap": {"BROADCAST": "1"}}]
    writes = [c for c in sim.calls if c["method"] == "PUT"]
    incrementals = [f for f in sim.frames if f.get("msgMode") == 1
                    and f["action"] == "ConfDynamicInfoNotify"]
    assert len(writes) == len(incrementals) == 3
    for write, frame in zip(writes, incrementals):
        assert frame["time"] - write["time"] >= 0.4
    # realTimeInfo shows the state once applied
    info = push.get(REALTIME, params={"conferenceID": MEETING},
                    headers={"X-Conference-Authorization": token}).json()["confInfo"]
    assert (info["recState"], info["mode"], info["broadcastPid"]) == (0, "BROADCAST", SPEAKER)
    ws.close()


def test_changes_keep_their_order_when_the_delay_is_shortened(sim, push):
    sim.configure(state_change_delay=0.3)
    ws, data, _fulls = subscribed(push)
    assert push.write("record", data["token"], value=1).status_code == 200
    sim.configure(state_change_delay=0)
    assert push.write("record", data["token"], value=0).status_code == 200
    assert [recv_json(ws)["recState"] for _change in range(2)] == [1, 0]
    assert sim.meeting(MEETING)["recording"] is False
    ws.close()


def test_state_change_delay_shows_in_realtime_info_later(sim, push):
    sim.configure(state_change_delay=3600, confinfo_state=True)
    data = push.control()
    assert push.write("record", data["token"]).status_code == 200   # answered at once
    info = push.get(REALTIME, params={"conferenceID": MEETING},
                    headers={"X-Conference-Authorization": data["token"]}).json()
    assert info["confInfo"]["recState"] == 0                         # not yet
    assert sim.meeting(MEETING)["recording"] is False
    sim.reset()                                                       # forgets it
    assert sim._state.changes._heap == []
    assert sim.meeting(MEETING)["recording"] is False


def test_destroyed_sends_state_then_closes(sim, push, wait_until):
    ws, _data, _fulls = subscribed(push)
    waiting, _d = push.open()                                   # not subscribed
    next_non_heartbeat_is_none(waiting)                         # (and authenticated)
    sim.set_meeting(MEETING, state="Destroyed")
    msg = recv_json(ws)
    assert (msg["action"], msg["msgMode"], msg["state"]) == (
        "ConfDynamicInfoNotify", 1, "Destroyed")
    assert recv_close(ws) == (1000, "the meeting has ended")
    assert recv_close(waiting) == (1000, "the meeting has ended")
    assert wait_until(lambda: sim.push_connections() == [])
    for w in (ws, waiting):
        w.close()


# ---------------------------------------------------------------------------
# push faults
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("body", [None, "<html><body>Forbidden by proxy</body></html>"])
def test_fault_refuses_the_upgrade(sim, push, body):
    sim.inject_fault(PUSH, status=403, body=body)
    data = push.control()
    tmp = push.ws_token(MEETING, data["token"])
    with pytest.raises(websocket.WebSocketBadStatusException) as err:
        push.connect(MEETING, tmp)
    assert err.value.status_code == 403
    if body:
        assert err.value.resp_body.decode() == body
    else:
        assert json.loads(err.value.resp_body)["error_code"] == "SIM.FAULT.403"
    last = sim.calls[-1]
    assert (last["path"], last["status"], last["websocket"]) == (PUSH, 403, True)
    assert "tmpToken" not in last["query"]
    # the fault is used up: the next upgrade works (with a fresh token)
    ws = push.connect(MEETING, push.ws_token(MEETING, data["token"]))
    assert ws.getstatus() == 101
    ws.close()


def test_fault_drop(sim, push):
    sim.inject_fault(PUSH, drop=True)
    data = push.control()
    with pytest.raises((websocket.WebSocketException, ConnectionError, OSError)):
        push.connect(MEETING, data["tmpWsToken"])
    assert (sim.calls[-1]["path"], sim.calls[-1]["status"]) == (PUSH, 0)


def test_fault_close_after_subscribe(sim, push):
    sim.inject_fault(PUSH, push="close")
    ws, data = push.open()
    ws.send(subscribe_frame(data["token"]))
    assert recv_json(ws)["data"]["returnCode"] == 0
    assert recv_close(ws) == (1011, "injected fault")
    assert [f["action"] for f in frames_of(sim, direction="out")] == ["Subscribe", "close"]
    ws.close()


def test_fault_delay_holds_the_reply_and_full_messages(sim, push):
    sim.inject_fault(PUSH, delay=0.5)
    ws, data = push.open()                                   # the upgrade is not delayed
    ws.send(subscribe_frame(data["token"]))
    seq = heartbeat(ws)                                      # answered meanwhile
    assert recv_json(ws) == {"sequence": seq, "action": "HeartBeat"}
    assert recv_json(ws)["action"] == "Subscribe"
    assert [recv_json(ws)["action"] for _t in TYPES] == list(TYPES)
    frames = sim.frames
    sub_in = [f for f in frames if f["direction"] == "in" and f["action"] == "Subscribe"][0]
    sub_out = [f for f in frames if f["direction"] == "out" and f["action"] == "Subscribe"][0]
    assert sub_out["time"] - sub_in["time"] >= 0.5
    ws.close()


def test_fault_no_full(sim, push):
    sim.inject_fault(PUSH, push="no_full")
    ws, data = push.open()
    ws.send(subscribe_frame(data["token"]))
    assert recv_json(ws)["data"]["returnCode"] == 0
    next_non_heartbeat_is_none(ws)                           # no full message came
    push.write("record", data["token"])
    msg = recv_json(ws)                                      # incrementals still do
    assert (msg["msgMode"], msg["recState"]) == (1, 1)
    assert not [f for f in sim.frames if f.get("msgMode") == 0]
    ws.close()


def test_fault_garbage_frame(sim, push):
    sim.inject_fault(PUSH, push="garbage")
    ws, data = push.open()
    ws.send(subscribe_frame(data["token"]))
    opcode, garbage = ws.recv_data()
    assert opcode == websocket.ABNF.OPCODE_TEXT
    with pytest.raises(ValueError):
        json.loads(garbage.decode())
    assert recv_json(ws)["data"]["returnCode"] == 0          # then as usual
    assert [recv_json(ws)["action"] for _t in TYPES] == list(TYPES)
    out = frames_of(sim, direction="out")
    assert (out[0]["action"], out[0]["malformed"]) == (None, True)
    ws.close()


def test_push_faults_are_used_in_order_and_once(sim, push):
    sim.inject_fault(PUSH, push="close")
    sim.inject_fault(PUSH, status=503)
    ws, data = push.open()
    ws.send(subscribe_frame(data["token"]))
    recv_json(ws)
    assert recv_close(ws)[0] == 1011
    with pytest.raises(websocket.WebSocketBadStatusException):
        push.connect(MEETING, push.ws_token(MEETING, data["token"]))
    ws2, _data, fulls = subscribed(push)                     # back to normal
    assert len(fulls) == 2
    for w in (ws, ws2):
        w.close()


def test_push_fault_validation(sim):
    with pytest.raises(ConfigError):
        sim.inject_fault(WS_TOKEN, push="close")           # push faults: the WebSocket only
    with pytest.raises(ConfigError):
        sim.inject_fault(PUSH, push="explode")
    with pytest.raises(ConfigError):
        sim.inject_fault(PUSH, push="close", status=403)   # one answer per fault


def test_push_fault_through_the_admin_interface(sim, push):
    with SimulatorAdmin(sim.url) as admin:
        fault = admin.inject_fault(PUSH, push="no_full", delay=0.1)
        assert (fault["push"], fault["delay"]) == ("no_full", 0.1)
        assert admin.faults()[0]["push"] == "no_full"
    ws, data = push.open()
    ws.send(subscribe_frame(data["token"]))
    assert recv_json(ws)["data"]["returnCode"] == 0
    next_non_heartbeat_is_none(ws)
    ws.close()


def test_fault_on_the_ws_token_call(sim, push):
    sim.inject_fault(WS_TOKEN, status=503)
    data = push.control()
    r = push.ws_token_call(MEETING, data["token"])
    assert r.status_code == 503 and r.json()["error_code"] == "SIM.FAULT.503"
    assert push.ws_token_call(MEETING, data["token"]).status_code == 200


def test_rate_limit_counts_ws_token_and_upgrade(sim, push, wait_until):
    data = push.control()
    # start from an empty window (the control-token call leaves it after a second)
    assert wait_until(lambda: sim._state.rate_status(None, "")["all_remain"] == 1000)
    sim.configure(rate_limit=2)
    tmp = push.ws_token(MEETING, data["token"])                 # 1
    ws = push.connect(MEETING, tmp)                             # 2
    r = push.ws_token_call(MEETING, data["token"])              # 3: refused
    assert r.status_code == 429
    assert [c["status"] for c in sim.calls[-3:]] == [200, 101, 429]
    ws.close()


def test_api_rate_limit_does_not_count_the_upgrade(sim, push):
    """The upgrade is the push server's, not an API of the gateway: the
    per-API limit never counts or refuses it, and its answer carries only
    the per-second header."""
    sim.configure(api_rate_limit=2)
    data, other = push.control(), push.control(OTHER)              # the token API: 2 of 2
    assert push.get(TOKEN, params={"conferenceID": MEETING},
                    headers={"X-Login-Type": "1", "X-Password": HOST_PW}).status_code == 429
    tmp = [data["tmpWsToken"], other["tmpWsToken"]]
    tmp += [push.ws_token(MEETING, data["token"]) for _c in range(2)]   # wsToken: 2 of 2
    assert push.ws_token_call(MEETING, data["token"]).status_code == 429
    sock, head = _raw_upgrade(sim, tmp[0])
    sock.close()
    assert head.startswith("HTTP/1.1 101 ")
    assert re.search(r"(?im)^x-apig-ratelimit-api-allenv: remain:\d+,limit:1000,time:1 second\r$",
                     head)
    assert not re.search(r"(?im)^x-apig-ratelimit-api:", head)
    channels = [push.connect(OTHER, tmp[1])] + [push.connect(MEETING, t) for t in tmp[2:]]
    assert [ws.getstatus() for ws in channels] == [101, 101, 101]
    upgrades = [c for c in sim.calls if c["path"] == PUSH]
    assert [(c["status"], c["api"], c["caller"], c["remain"], c["limit"]) for c in upgrades] == [
        (101, "GET " + PUSH, "ip:127.0.0.1", None, None)] * 4
    assert [w["api"] for w in sim.rate_windows()] == ["GET " + TOKEN, "GET " + WS_TOKEN]
    for ws in channels:
        ws.close()


def test_delay_setting_applies_to_the_upgrade(sim, push):
    data = push.control()
    tmp = push.ws_token(MEETING, data["token"])
    sim.configure(delay=0.3)
    ws = push.connect(MEETING, tmp)
    sim.configure(delay=0)
    ws.send(subscribe_frame(data["token"]))
    recv_json(ws)
    upgrade = [c for c in sim.calls if c["path"] == PUSH][0]
    first_frame = sim.frames[0]
    assert first_frame["time"] - upgrade["time"] >= 0.3
    ws.close()


# ---------------------------------------------------------------------------
# the WebSocket protocol itself
# ---------------------------------------------------------------------------

def _raw_upgrade(sim, tmp_token, key="dGhlIHNhbXBsZSBub25jZQ==", extra=""):
    sock = socket.create_connection(("127.0.0.1", sim.port), timeout=10)
    sock.sendall(("GET %s?confID=%s&tmpToken=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n"
                  % (PUSH, MEETING, tmp_token, key, extra)).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, head
        head += chunk
    return sock, head.decode()


def _read_server_frame(sock):
    def exact(n):
        out = b""
        while len(out) < n:
            chunk = sock.recv(n - len(out))
            assert chunk, "connection closed"
            out += chunk
        return out
    b0, b1 = exact(2)
    assert not b1 & 0x80                       # server frames are never masked
    length = b1 & 0x7F
    if length == 126:
        length = struct.unpack("!H", exact(2))[0]
    elif length == 127:
        length = struct.unpack("!Q", exact(8))[0]
    return b0 & 0x0F, exact(length)


def test_handshake_accept_key(sim, push):
    data = push.control()
    sock, head = _raw_upgrade(sim, data["tmpWsToken"])
    try:
        assert head.startswith("HTTP/1.1 101 ")
        # RFC 6455's own example key and answer
        assert "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in head
        assert re.search(r"(?im)^upgrade: websocket\r$", head)
        assert re.search(r"(?im)^x-request-id: [0-9a-f]{32}\r$", head)
    finally:
        sock.close()
    # and for a random key, as RFC 6455 computes it
    key = base64.b64encode(os.urandom(16)).decode()
    sock, head = _raw_upgrade(sim, push.control()["tmpWsToken"], key=key)
    sock.close()
    expected = base64.b64encode(hashlib.sha1(
        (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
    assert "Sec-WebSocket-Accept: %s\r\n" % expected in head


def test_not_an_upgrade(sim, push):
    r = push.get(PUSH, params={"confID": MEETING, "tmpToken": "x"})
    assert r.status_code == 426 and r.json()["error_code"] == "SIM.INVALID_PARAMETER"
    r = push.get(PUSH, params={"confID": MEETING},
                 headers={"Upgrade": "websocket", "Connection": "Upgrade",
                          "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
                          "Sec-WebSocket-Version": "8"})
    assert r.status_code == 426 and r.headers["Sec-WebSocket-Version"] == "13"
    r = push.get(PUSH, headers={"Upgrade": "websocket", "Connection": "Upgrade",
                                "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": "short"})
    assert r.status_code == 400
    r = requests.post(sim.url + PUSH, timeout=10)
    assert r.status_code == 405 and r.headers["Allow"] == "GET"
    assert all(c["websocket"] for c in sim.calls if c["path"] == PUSH)
    assert [c["status"] for c in sim.calls if c["path"] == PUSH] == [426, 426, 400, 405]
    assert all("tmpToken" not in c["query"] for c in sim.calls)


def test_unmasked_client_frame_is_a_protocol_error(sim, push):
    data = push.control()
    sock, head = _raw_upgrade(sim, data["tmpWsToken"])
    try:
        assert head.startswith("HTTP/1.1 101 ")
        payload = json.dumps({"sequence": "1", "action": "HeartBeat"}).encode()
        sock.sendall(bytes([0x81, len(payload)]) + payload)       # no mask bit
        opcode, body = _read_server_frame(sock)
        assert opcode == 0x8 and struct.unpack("!H", body[:2])[0] == 1002
    finally:
        sock.close()


def test_fragmented_message_ping_binary_and_client_close(sim, push, wait_until):
    ws, data = push.open()
    text = subscribe_frame(data["token"])
    half = len(text) // 2
    ws.send_frame(websocket.ABNF.create_frame(text[:half], websocket.ABNF.OPCODE_TEXT, fin=0))
    ws.ping("are you there")                                   # between the fragments
    ws.send_frame(websocket.ABNF.create_frame(text[half:], websocket.ABNF.OPCODE_CONT, fin=1))
    opcode, payload = ws.recv_data(control_frame=True)
    assert (opcode, payload) == (websocket.ABNF.OPCODE_PONG, b"are you there")
    assert recv_json(ws)["data"]["returnCode"] == 0            # reassembled
    assert [recv_json(ws)["action"] for _t in TYPES] == list(TYPES)
    # the client closes: the server answers with the same code
    ws.send_close(websocket.STATUS_GOING_AWAY, b"bye")
    assert recv_close(ws)[0] == 1001
    assert wait_until(lambda: sim.push_connections() == [])
    closes = [(f["direction"], f["code"]) for f in sim.frames if f["action"] == "close"]
    assert closes == [("in", 1001), ("out", 1001)]
    ws.close()

    ws, _data = push.open()
    ws.send_binary(b"\x00\x01")
    assert recv_close(ws)[0] == 1003
    ws.close()


# ---------------------------------------------------------------------------
# TLS, logs, admin interface
# ---------------------------------------------------------------------------

def test_wss_with_the_generated_ca():
    with Simulator(config=copy.deepcopy(CONFIG), tls=True) as s:
        p = Push(s)
        data = p.control()
        assert data["wsURL"] == "wss://127.0.0.1:%d" % s.port
        ws, data, fulls = subscribed(p)
        assert [m["action"] for m in fulls] == list(TYPES)
        p.write("record", data["token"])
        assert recv_json(ws)["recState"] == 1
        seq = heartbeat(ws)
        assert recv_json(ws)["sequence"] == seq
        ws.close()
        # an unverified peer is refused by a verifying client
        with pytest.raises((websocket.WebSocketException, OSError)):
            websocket.create_connection(p.url(MEETING, data["tmpWsToken"]), timeout=10)


def test_call_log_and_frame_log_hold_no_token(sim, push, wait_until):
    ws, data, _fulls = subscribed(push)
    push.write("record", data["token"])
    recv_json(ws)
    heartbeat(ws)
    recv_json(ws)
    ws.close()
    assert wait_until(lambda: sim.push_connections() == [])
    bad = push.connect(MEETING, "stb" + "1" * 48)
    recv_close(bad)
    bad.close()
    upgrade = [c for c in sim.calls if c["path"] == PUSH][0]
    assert upgrade == {"method": "GET", "path": PUSH, "query": {"confID": MEETING},
                       "status": 101, "time": upgrade["time"],
                       "request_id": upgrade["request_id"], "websocket": True,
                       "api": "GET " + PUSH, "caller": "ip:127.0.0.1",
                       "remain": None, "limit": None}
    # calls without the WebSocket are not marked
    assert all("websocket" not in c for c in sim.calls if c["path"] != PUSH)
    dumped = json.dumps([sim.calls, sim.frames, sim.push_connections()])
    tokens = sim.issued_tokens() + ["stb" + "1" * 48]
    assert len(tokens) >= 4
    for token in tokens:
        assert token not in dumped
        assert base64.b64encode(token.encode()).decode() not in dumped


def test_frame_log_shape(sim, push, wait_until):
    ws, data, _fulls = subscribed(push)
    seq = heartbeat(ws)
    recv_json(ws)
    ws.close()
    assert wait_until(lambda: len([f for f in sim.frames if f["action"] == "close"]) == 2)
    frames = sim.frames
    conn = frames[0]["connection"]
    assert all(f["connection"] == conn and f["conference_id"] == MEETING for f in frames)
    assert [(f["direction"], f["action"], f.get("msgMode"), f.get("sequence"))
            for f in frames] == [
        ("in", "Subscribe", None, SEQ),
        ("out", "Subscribe", None, SEQ),
        ("out", "ConfDynamicInfoNotify", 0, None),
        ("out", "ParticipantsNotify", 0, None),
        ("in", "HeartBeat", None, seq),
        ("out", "HeartBeat", None, seq),
        ("in", "close", None, None),
        ("out", "close", None, None),
    ]
    assert [f["code"] for f in frames if f["action"] == "close"] == [1000, 1000]
    assert all(isinstance(f["time"], float) for f in frames)
    assert [f["time"] for f in frames] == sorted(f["time"] for f in frames)
    # frames are not calls
    assert [c["path"] for c in sim.calls] == [TOKEN, WS_TOKEN, PUSH]
    # a second connection has its own id
    ws2, _d, _f = subscribed(push)
    assert sim.frames[-1]["connection"] != conn
    ws2.close()


def test_frame_log_is_cleared(sim, push):
    ws, _data, _fulls = subscribed(push)
    assert sim.frames
    sim.clear_calls()                           # clears both logs
    assert sim.frames == [] and sim.calls == []
    heartbeat(ws)
    recv_json(ws)
    assert len(sim.frames) == 2
    sim.clear_frames()
    assert sim.frames == []
    heartbeat(ws)
    recv_json(ws)
    with SimulatorAdmin(sim.url) as admin:
        assert len(admin.frames) == 2
        assert requests.get(sim.url + "/_sim/frames", timeout=10).json()["frames"] == sim.frames
        assert requests.delete(sim.url + "/_sim/frames", timeout=10).json() == {"frames": []}
        assert admin.frames == []
        heartbeat(ws)
        recv_json(ws)
        admin.clear_calls()
        assert admin.frames == []
    # reset clears the frame log and closes the channel (1001)
    sim.reset()
    assert recv_close(ws) == (1001, "simulator reset")
    ws.close()


def test_admin_lists_and_closes_push_channels(sim, push, wait_until):
    a, _d, _f = subscribed(push)
    b, _d, _f = subscribed(push, OTHER)
    with SimulatorAdmin(sim.url) as admin:
        conns = admin.push_connections()
        assert [(c["conference_id"], c["subscribed"]) for c in conns] == [
            (MEETING, list(TYPES)), (OTHER, list(TYPES))]
        assert requests.get(sim.url + "/_sim/push", timeout=10).json()["connections"] == conns
        assert admin.close_push(MEETING, code=1001) == 1
        assert recv_close(a) == (1001, "closed by the simulator")
        next_non_heartbeat_is_none(b)                       # the other meeting's stays
        r = requests.post(sim.url + "/_sim/push/close", timeout=10,
                          json={"conference_id": OTHER, "code": 4000, "reason": "test"})
        assert r.json() == {"closed": 1}
        assert recv_close(b) == (4000, "test")
        r = requests.post(sim.url + "/_sim/push/close", timeout=10, json={"code": 1005})
        assert r.status_code == 400
    assert wait_until(lambda: sim.push_connections() == [])
    assert sim.close_push() == 0
    for ws in (a, b):
        ws.close()


def test_stop_ends_push_channels():
    s = Simulator(config=copy.deepcopy(CONFIG)).start()
    try:
        p = Push(s)
        ws, _data, _fulls = subscribed(p)
    finally:
        s.stop()
    # a close frame (1001) or an abrupt end; never silence until a timeout
    try:
        outcome = recv_close(ws)
    except websocket.WebSocketTimeoutException:
        outcome = "still open"
    except (websocket.WebSocketConnectionClosedException, ConnectionError, OSError):
        outcome = "dropped"
    assert outcome in ((1001, "simulator stopping"), "dropped")
    ws.close()


def test_concurrent_writers_and_readers(sim, push):
    """Writes from several threads while the channel is read: every change
    arrives, in the order the meeting changed."""
    ws, data, _fulls = subscribed(push)
    token = data["token"]

    def toggle(n):
        for i in range(n):
            push.write("record", token, value=(i + 1) % 2)

    threads = [threading.Thread(target=toggle, args=(6,)) for _t in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    final = sim.meeting(MEETING)["recording"]
    states = []
    heartbeat(ws, "end")                     # everything queued before comes first
    msg = recv_json(ws)
    while msg["action"] != "HeartBeat":
        states.append(msg["recState"])
        msg = recv_json(ws)
    assert states, "no incremental message"
    assert all(a != b for a, b in zip(states, states[1:]))   # each one a change
    assert states[-1] == (1 if final else 0)
    ws.close()
