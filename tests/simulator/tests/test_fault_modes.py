"""The fault modes of an event morning, each bounded in time: an outage of the
gateway (every REST call answers 503 for a while), push channels dropped every
N seconds, tokens that die early. The per-API rate limit stays enforced
through all of them. Times are judged by the simulator's own records and by
order (wait_until polls for a condition, then the test asserts it), never by
measuring elapsed time.
"""

import base64
import copy
import json
import struct
import time

import pytest
import requests
import websocket

from hwmeeting_sim import ConfigError, Simulator, SimulatorAdmin, SimulatorAdminError
from hwmeeting_sim import cli

HOST_PW = "424242"
MEETING = "300000001"
ACCOUNT, ACCOUNT_PASSWORD = "faults@example.com", "faults-account-password"
CONFIG = {
    "accounts": [{"account": ACCOUNT, "password": ACCOUNT_PASSWORD, "admin": True}],
    "meetings": [{"id": MEETING, "subject": "Faults", "host_password": HOST_PW, "state": "Created",
                  "participants": [{"pid": "pid-speaker", "name": "Speaker"}]}],
}

LOGIN = "/v1/usg/acs/auth/account"
TOKEN = "/v1/mmc/control/conferences/token"
REALTIME = "/v1/mmc/control/conferences/realTimeInfo"
WS_TOKEN = "/v1/mmc/control/conferences/wsToken"
RECORD = "/v1/mmc/control/conferences/record"
ONLINE = "/v1/mmc/management/conferences/online/confDetail"
PUSH = "/cms/open/websocket/confctl/increment/conn"


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

def get(sim, path, **kw):
    kw.setdefault("timeout", 10)
    return requests.get(sim.url + path, **kw)


def login(sim):
    basic = base64.b64encode(("%s:%s" % (ACCOUNT, ACCOUNT_PASSWORD)).encode()).decode()
    return requests.post(sim.url + LOGIN, headers={"Authorization": "Basic " + basic},
                         json={"account": ACCOUNT, "clientType": 72}, timeout=10)


def control(sim):
    return get(sim, TOKEN, params={"conferenceID": MEETING},
               headers={"X-Login-Type": "1", "X-Password": HOST_PW})


def realtime(sim, token):
    return get(sim, REALTIME, params={"conferenceID": MEETING},
               headers={"X-Conference-Authorization": token})


def online(sim, access_token):
    return get(sim, ONLINE, params={"conferenceID": MEETING}, headers={"X-Access-Token": access_token})


def subscribed(sim):
    """A control token, a wsToken and a subscribed channel whose two full
    messages were read."""
    data = control(sim).json()["data"]
    ws_token = get(sim, WS_TOKEN, params={"conferenceID": MEETING},
                   headers={"X-Conference-Authorization": data["token"]}).json()["webSocketToken"]
    ws = websocket.create_connection("%s%s?confID=%s&tmpToken=%s" % (sim.ws_url, PUSH, MEETING, ws_token),
                                     timeout=10)
    conf_token = "Basic " + base64.b64encode(data["token"].encode()).decode()
    ws.send(json.dumps({"sequence": "1", "action": "Subscribe", "data": json.dumps(
        {"conferenceID": MEETING, "subscribeType": ["ConfDynamicInfoNotify", "ParticipantsNotify"],
         "confToken": conf_token})}))
    actions = [json.loads(ws.recv())["action"] for _message in range(3)]
    assert actions == ["Subscribe", "ConfDynamicInfoNotify", "ParticipantsNotify"]
    return ws


def recv_close(ws):
    """Read until the server's close frame: (code, reason)."""
    while True:
        opcode, data = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return struct.unpack("!H", data[:2])[0], data[2:].decode("utf-8")


def statuses(sim, path):
    return [call["status"] for call in sim.calls if call["path"] == path]


# ---------------------------------------------------------------------------
# an outage
# ---------------------------------------------------------------------------

def test_an_outage_answers_503_to_every_rest_call_in_the_error_shape_uncounted(sim):
    sim.configure(api_rate_limit=2, api_rate_window=600)
    outage = sim.outage(duration=600)
    assert outage["ends"] - outage["starts"] == 600 and outage["status"] == 503
    answers = [login(sim), control(sim), realtime(sim, "no-such-token"), get(sim, "/no/such/path")]
    for answer in answers + [control(sim), control(sim)]:
        assert answer.status_code == 503
        assert answer.json() == {"error_code": "SIM.OUTAGE.503", "error_msg": "injected outage: HTTP 503"}
        assert answer.headers["X-APIG-Ratelimit-Api"].startswith("remain:2,limit:2,")
    assert sim.rate_windows() == []                   # nothing was counted
    assert [call["status"] for call in sim.calls] == [503] * 6
    assert sim.outages() == [outage]
    sim.clear_outages()
    assert sim.outages() == []
    # the rate limit is still there, whole, once the outage is over
    assert [control(sim).status_code for _call in range(3)] == [200, 200, 429]


def test_an_outage_in_the_error_style_and_with_a_status_of_its_own(sim):
    sim.configure(error_style="errorCode")
    sim.outage(duration=600, status=502, error_code="APIG.0201", error_msg="Backend unavailable")
    answer = control(sim)
    assert answer.status_code == 502
    assert answer.json() == {"errorCode": "APIG.0201", "errorMsg": "Backend unavailable"}


def test_an_outage_begins_and_ends_when_it_says(sim, wait_until):
    token = control(sim).json()["data"]["token"]
    outage = sim.outage(duration=0.5, start=0.5)
    assert realtime(sim, token).status_code == 200       # not yet
    assert wait_until(lambda: realtime(sim, token).status_code == 503)
    assert wait_until(lambda: realtime(sim, token).status_code == 200)
    assert sim.outages() == []
    answered = [call for call in sim.calls if call["path"] == REALTIME]
    assert answered[0]["status"] == 200 and answered[0]["time"] < outage["starts"]
    failed = [call["time"] for call in answered if call["status"] == 503]
    assert failed and outage["starts"] <= min(failed) and max(failed) < outage["ends"]
    assert answered[-1]["status"] == 200 and answered[-1]["time"] >= outage["ends"]


def test_an_outage_leaves_the_push_alone_unless_told(sim):
    ws = subscribed(sim)                                  # an open channel...
    sim.outage(duration=600, push=True)
    assert control(sim).status_code == 503
    ws.send(json.dumps({"sequence": "2", "action": "HeartBeat"}))
    assert json.loads(ws.recv())["action"] == "HeartBeat"  # ...stays open
    ws.close()
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection("%s%s?confID=%s&tmpToken=x" % (sim.ws_url, PUSH, MEETING), timeout=10)
    assert refused.value.status_code == 503
    assert statuses(sim, PUSH)[-1] == 503


@pytest.mark.parametrize("bad", [dict(duration=0), dict(duration=-1), dict(duration=10, start=-1),
                                 dict(duration=10, status=200), dict(duration=True),
                                 dict(duration=float("inf"))])
def test_a_bad_outage_is_refused(sim, bad):
    with pytest.raises(ConfigError):
        sim.outage(**bad)


def test_outages_over_the_admin_interface(sim):
    with SimulatorAdmin(sim.url) as admin:
        outage = admin.outage(duration=600, start=300)
        assert admin.outages() == [outage]
        assert outage["ends"] - outage["starts"] == 600
        assert control(sim).status_code == 200
        admin.outage(duration=600)
        assert control(sim).status_code == 503
        admin.clear_outages()
        assert admin.outages() == []
        assert control(sim).status_code == 200
        with pytest.raises(SimulatorAdminError) as bad:
            admin.outage(duration=0)
        assert bad.value.status == 400


def test_reset_ends_an_outage(sim):
    sim.outage(duration=600)
    sim.reset()
    assert sim.outages() == []
    assert control(sim).status_code == 200


# ---------------------------------------------------------------------------
# push channels dropped every N seconds
# ---------------------------------------------------------------------------

def test_push_channels_are_dropped_every_interval(sim, wait_until):
    first = subscribed(sim)
    sim.configure(push_drop_interval=0.3)
    assert recv_close(first) == (1001, "push server restarting")
    second = subscribed(sim)                              # a new one is dropped too
    assert recv_close(second) == (1001, "push server restarting")
    first.close()
    second.close()
    closes = [frame for frame in sim.frames if frame["action"] == "close" and frame["direction"] == "out"]
    assert [frame["code"] for frame in closes][:2] == [1001, 1001]
    assert len(set(frame["connection"] for frame in closes)) >= 2
    sim.configure(push_drop_interval=None)
    assert wait_until(lambda: sim.push_connections() == [])
    dropped = len(closes)
    third = subscribed(sim)
    # no more drops: a HeartBeat is echoed on the same channel after what
    # would have been several intervals (the frame log says nothing closed it)
    time.sleep(1.0)
    third.send(json.dumps({"sequence": "3", "action": "HeartBeat"}))
    assert json.loads(third.recv())["action"] == "HeartBeat"
    assert len([frame for frame in sim.frames if frame["action"] == "close"
                and frame["direction"] == "out"]) == dropped
    third.close()


def test_push_drops_leave_the_rest_calls_and_their_limit_alone(sim):
    sim.configure(push_drop_interval=0.2, api_rate_limit=2, api_rate_window=600)
    assert [control(sim).status_code for _call in range(3)] == [200, 200, 429]


@pytest.mark.parametrize("bad", [-1, "10", True, [1]])
def test_a_bad_push_drop_interval_is_refused(sim, bad):
    with pytest.raises(ConfigError):
        sim.configure(push_drop_interval=bad)


def test_push_drops_from_the_constructor_and_off_with_zero():
    with Simulator(config=copy.deepcopy(CONFIG), push_drop_interval=5) as s:
        assert s.configure()["push_drop_interval"] == 5.0
        assert s.configure(push_drop_interval=0)["push_drop_interval"] is None
        s.configure(push_drop_interval=3)
        s.reset()
        assert s.configure()["push_drop_interval"] == 5.0  # the start-up setting


# ---------------------------------------------------------------------------
# tokens that die early
# ---------------------------------------------------------------------------

def test_tokens_die_after_a_random_lifetime_in_the_range_unannounced(sim, wait_until):
    sim.configure(token_expiry_range=[0.3, 0.6])
    issued = time.time()
    answer = login(sim).json()
    access = answer["accessToken"]
    assert answer["validPeriod"] == 43200                # what the answer states
    data = control(sim).json()["data"]
    assert data["confTokenExpireTime"] == 1800
    records = sim._state.access_tokens[access], sim._state.control_tokens[data["token"]]
    for record in records:
        assert issued + 0.3 <= record["expires"] <= time.time() + 0.6
    assert wait_until(lambda: online(sim, access).status_code == 401)
    assert wait_until(lambda: realtime(sim, data["token"]).status_code == 401)
    # a new one is fine again (for a while)
    assert realtime(sim, control(sim).json()["data"]["token"]).status_code in (200, 401)
    sim.configure(token_expiry_range=None)
    assert realtime(sim, control(sim).json()["data"]["token"]).status_code == 200


def test_tokens_drawn_differently(sim):
    sim.configure(token_expiry_range=[100, 10000])
    tokens = [control(sim).json()["data"]["token"] for _call in range(5)]
    lifetimes = set(round(sim._state.control_tokens[token]["expires"]) for token in tokens)
    assert len(lifetimes) > 1


def test_token_expiry_keeps_the_rate_limit(sim):
    sim.configure(token_expiry_range=[20, 40], api_rate_limit=2, api_rate_window=600)
    assert [control(sim).status_code for _call in range(3)] == [200, 200, 429]


@pytest.mark.parametrize("bad", [[0, 1], [2, 1], [1], "20,40", [True, 2], [-1, 5]])
def test_a_bad_token_expiry_range_is_refused(sim, bad):
    with pytest.raises(ConfigError):
        sim.configure(token_expiry_range=bad)


def test_the_command_line_refuses_a_bad_range(capsys):
    assert cli.main(["--token-expiry-range", "forty", "--meetings", "/nonexistent.yml"]) == 2
    assert "token-expiry-range" in capsys.readouterr().err
    assert cli.main(["--token-expiry-range", "40,20"]) == 2
    assert "token_expiry_range" in capsys.readouterr().err
