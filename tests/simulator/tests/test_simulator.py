"""Self-tests of the Huawei Cloud Meeting simulator (tests/simulator).

Plain `requests` against a simulator started in this process, so every
assertion is about what goes over the wire.  Covers each call of the service
contract (docs/dev/service_contract.md), each row of its "Answers the modules
must tell apart" table, App ID signatures, token expiry, faults, the
per-second rate limit, TLS, omit_fields, the call log, the admin interface
and the command line (the per-API rate limit: test_rate_limit.py).
"""

import base64
import copy
import hashlib
import hmac
import http.client
import ipaddress
import json
import os
import re
import selectors
import signal
import ssl
import stat
import subprocess
import sys
import threading
import time
import uuid

import pytest
import requests
import yaml
from cryptography import x509

from hwmeeting_sim import (ConfigError, DEMO_MEETINGS, Simulator, SimulatorAdmin,
                           SimulatorAdminError)

# tests/simulator: where the command line runs from
SIM_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ACCOUNT, ACCOUNT_PASSWORD = "ops@example.com", "account-pw-not-secret"
APP_ID, APP_KEY = "test-app", "test-app-key-not-secret"
MT_APP_ID, MT_APP_KEY, MT_CORP = "mt-app", "mt-app-key-not-secret", "corp-42"

IDLE, GUEST_OK, ENDED, LIVE = "100000001", "100000002", "100000003", "100000004"
HOST_PW, GUEST_PW = "111111", "222222"
SPEAKER, CALLING = "pid-speaker", "pid-calling"

P_ROW = {"video": 1, "mute": 0, "hand": 0}
CONFIG = {
    "accounts": [{"account": ACCOUNT, "password": ACCOUNT_PASSWORD}],
    "apps": [
        {"app_id": APP_ID, "app_key": APP_KEY, "user_id": "u1"},
        {"app_id": MT_APP_ID, "app_key": MT_APP_KEY, "corp_id": MT_CORP},
    ],
    "meetings": [
        {"id": IDLE, "subject": "Idle board meeting", "host_password": HOST_PW,
         "guest_password": GUEST_PW, "allow_guest_start": False, "state": "Schedule",
         "chair_id": "pid-chair", "co_hosts": ["pid-cohost"],
         "participants": [
             dict(P_ROW, pid="pid-chair", name="Chair", phone="+1001", state=0),
             dict(P_ROW, pid=SPEAKER, name="Keynote Speaker", phone="+1002", state=0),
             dict(P_ROW, pid=CALLING, name="Being Called", phone="+1003", state=1),
         ],
         "attendees": [{"account_id": "chair", "user_uuid": "uuid-1",
                        "name": "Chair", "phone": "+1001"}]},
        {"id": GUEST_OK, "subject": "Guests may start", "host_password": HOST_PW,
         "guest_password": GUEST_PW, "allow_guest_start": True, "state": "Schedule"},
        {"id": ENDED, "subject": "Over", "host_password": HOST_PW, "state": "Destroyed"},
        {"id": LIVE, "subject": "Already running", "host_password": HOST_PW,
         "state": "Created", "recording": True, "live": True, "mode": "BROADCAST",
         "broadcast_pid": SPEAKER,
         "participants": [dict(P_ROW, pid=SPEAKER, name="Keynote Speaker", phone="",
                               state=0)]},
    ],
}

AUTH_ACCOUNT = "/v1/usg/acs/auth/account"
AUTH_APP = "/v2/usg/acs/auth/appauth"
DETAIL = "/v1/mmc/management/conferences/online/confDetail"
START = "/v1/mmc/management/conferences/start"
TOKEN = "/v1/mmc/control/conferences/token"
REALTIME = "/v1/mmc/control/conferences/realTimeInfo"
RECORD = "/v1/mmc/control/conferences/record"
LIVE_PATH = "/v1/mmc/control/conferences/live"
BROADCAST = "/v1/mmc/control/conferences/participants/broadcast"
CANCEL = "/v1/mmc/control/conferences/cancelBroadcast"

# X-APIG-Ratelimit-Api: this API, this caller (default window: a minute);
# X-APIG-Ratelimit-Api-Allenv: every call of every caller, per second.
RATE_HEADER = re.compile(r"^remain:(\d+),limit:(\d+),time:1 minute$")
ALLENV_HEADER = re.compile(r"^remain:(\d+),limit:(\d+),time:1 second$")
THROTTLED_MSG = ("The throttling threshold has been reached: policy user over ratelimit,"
                 "limit:%d,time:%s")


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

class Client(object):
    """requests against one simulator; verify passed per request because
    REQUESTS_CA_BUNDLE in the environment would override Session.verify."""

    def __init__(self, sim):
        self.sim = sim
        self.url = sim.url
        self.verify = sim.ca_path if sim.ca_path else True
        self.session = requests.Session()

    def request(self, method, path, **kwargs):
        kwargs.setdefault("timeout", 10)
        kwargs.setdefault("verify", self.verify)
        return self.session.request(method, self.url + path, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    # -- the calls, the way a module would make them ------------------------

    def account_login(self, account=ACCOUNT, password=ACCOUNT_PASSWORD, body_account=None):
        basic = base64.b64encode(("%s:%s" % (account, password)).encode()).decode()
        return self.post(AUTH_ACCOUNT, headers={"Authorization": "Basic " + basic},
                         json={"account": body_account or account, "clientType": 72})

    def app_login(self, app_id=APP_ID, app_key=APP_KEY, user_id="", corp_id=None,
                  expire_time=None, nonce=None, access=None, lower=False, sign_corp=None):
        expire_time = int(time.time()) + 600 if expire_time is None else expire_time
        nonce = uuid.uuid4().hex if nonce is None else nonce
        signature = sign(app_id, app_key, user_id, expire_time, nonce,
                         corp_id if sign_corp is None else sign_corp)
        if lower:
            signature = signature.lower()
        access = base64.b64encode((access or app_id).encode()).decode()
        return self.post(AUTH_APP,
                         headers={"Authorization": "HMAC-SHA256 signature=%s,access=%s"
                                  % (signature, access)},
                         json={"appId": app_id, "userId": user_id, "corpId": corp_id,
                               "expireTime": expire_time, "nonce": nonce,
                               "clientType": 72, "deptCode": None})

    def token(self):
        r = self.account_login()
        assert r.status_code == 200, r.text
        return r.json()["accessToken"]

    def start(self, conf_id, password=HOST_PW, access_token=None):
        return self.post(START, headers={"X-Access-Token": access_token or self.token()},
                         json={"conferenceID": conf_id, "password": password})

    def detail(self, conf_id, access_token=None):
        return self.get(DETAIL, params={"conferenceID": conf_id},
                        headers={"X-Access-Token": access_token or self.token()})

    def conf_token(self, conf_id, password=HOST_PW, login_type="1"):
        headers = {"X-Password": password}
        if login_type is not None:
            headers["X-Login-Type"] = login_type
        return self.get(TOKEN, params={"conferenceID": conf_id}, headers=headers)

    def control_token(self, conf_id):
        r = self.conf_token(conf_id)
        assert r.status_code == 200, r.text
        return r.json()["data"]["token"]

    def realtime(self, conf_id, token):
        return self.get(REALTIME, params={"conferenceID": conf_id},
                        headers={"X-Conference-Authorization": token})

    def write(self, kind, conf_id, token, value=1, pid=SPEAKER):
        headers = {"X-Conference-Authorization": token}
        params = {"conferenceID": conf_id}
        if kind == "record":
            return self.put(RECORD, params=params, headers=headers, json={"isRecord": value})
        if kind == "live":
            return self.put(LIVE_PATH, params=params, headers=headers, json={"isLive": value})
        if kind == "broadcast":
            params["participantID"] = pid
            return self.put(BROADCAST, params=params, headers=headers)
        return self.put(CANCEL, params=params, headers=headers)


def sign(app_id, app_key, user_id, expire_time, nonce, corp_id=None):
    fields = [app_id, corp_id, user_id] if corp_id else [app_id, user_id]
    data = ":".join(fields + [str(expire_time), nonce])
    return hmac.new(app_key.encode(), data.encode(), hashlib.sha256).hexdigest().upper()


def assert_error(response, status, code=None):
    """An error answer: the status, a JSON {"error_code","error_msg"} body."""
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error_code", "error_msg"}, body
    assert body["error_msg"]
    if code is not None:
        assert body["error_code"] == code, body
    return body


def assert_gateway_headers(response):
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
    assert RATE_HEADER.match(response.headers["X-APIG-Ratelimit-Api"])
    assert ALLENV_HEADER.match(response.headers["X-APIG-Ratelimit-Api-Allenv"])
    assert "Content-Length" in response.headers


@pytest.fixture
def client(sim):
    c = Client(sim)
    yield c
    c.session.close()


@pytest.fixture
def running(sim, client):
    """IDLE activated; returns its control token."""
    assert client.start(IDLE).status_code == 200
    return client.control_token(IDLE)


# ---------------------------------------------------------------------------
# account login
# ---------------------------------------------------------------------------

def test_account_login_ok(client):
    r = client.account_login()
    assert r.status_code == 200
    assert_gateway_headers(r)
    body = r.json()
    assert body["validPeriod"] == 43200
    assert body["tokenType"] == 0
    assert re.fullmatch(r"stb[0-9a-f]{48}", body["accessToken"])
    assert body["accessToken"] in client.sim.issued_tokens()


@pytest.mark.parametrize("account,password,body_account", [
    (ACCOUNT, "wrong", None),
    ("nobody@example.com", ACCOUNT_PASSWORD, None),
    (ACCOUNT, ACCOUNT_PASSWORD, "someone-else@example.com"),
])
def test_account_login_wrong(client, account, password, body_account):
    r = client.account_login(account, password, body_account)
    assert_error(r, 401, "USG.206010000")
    assert_gateway_headers(r)


def test_account_login_without_authorization(client):
    r = client.post(AUTH_ACCOUNT, json={"account": ACCOUNT, "clientType": 72})
    assert_error(r, 401, "USG.206010000")


# ---------------------------------------------------------------------------
# App ID login
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("user_id", ["", "alice"])
def test_app_login_ok(client, user_id):
    r = client.app_login(user_id=user_id)
    assert r.status_code == 200, r.text
    assert r.json()["validPeriod"] == 43200
    token = r.json()["accessToken"]
    assert client.detail(LIVE, access_token=token).status_code == 200


def test_app_login_null_user_and_corp_like_the_sdk(client):
    # The SDK sends "corpId": null and "deptCode": null; userId null is "".
    exp, nonce = int(time.time()) + 600, str(uuid.uuid4())   # uuid4: 36 chars
    signature = sign(APP_ID, APP_KEY, "", exp, nonce)
    r = client.post(AUTH_APP, headers={
        "Authorization": "HMAC-SHA256 signature=%s,access=%s"
        % (signature, base64.b64encode(APP_ID.encode()).decode())},
        json={"appId": APP_ID, "userId": None, "corpId": None, "expireTime": exp,
              "nonce": nonce, "clientType": 72, "deptCode": None})
    assert r.status_code == 200, r.text


def test_app_login_multi_tenant_signs_corp_id(client):
    assert client.app_login(MT_APP_ID, MT_APP_KEY, "bob", corp_id=MT_CORP).status_code == 200
    # signed without the corpId although one is sent: rejected
    r = client.app_login(MT_APP_ID, MT_APP_KEY, "bob", corp_id=MT_CORP, sign_corp="")
    assert_error(r, 401, "USG.206010025")
    # a corpId other than the app's
    r = client.app_login(MT_APP_ID, MT_APP_KEY, "bob", corp_id="corp-other")
    assert_error(r, 401, "USG.206010025")


@pytest.mark.parametrize("kwargs", [
    {"app_key": "wrong-key"},                       # bad signature
    {"app_id": "unknown-app"},                      # unknown app
    {"access": "another-app"},                      # access is not base64(appId)
    {"lower": True},                                # hex must be upper case
    {"expire_time": int(time.time()) - 10, "app_key": "wrong-key"},  # bad sig wins
])
def test_app_login_rejected(client, kwargs):
    assert_error(client.app_login(**kwargs), 401, "USG.206010025")


def test_app_login_expired(client):
    assert_error(client.app_login(expire_time=int(time.time()) - 1), 401, "USG.206010057")


@pytest.mark.parametrize("nonce", ["x" * 31, "x" * 65, ""])
def test_app_login_bad_nonce(client, nonce):
    assert_error(client.app_login(nonce=nonce), 400)


@pytest.mark.parametrize("nonce", ["n" * 32, "n" * 64])
def test_app_login_nonce_bounds(client, nonce):
    assert client.app_login(nonce=nonce).status_code == 200


def test_app_login_bad_authorization_header(client):
    exp = int(time.time()) + 600
    r = client.post(AUTH_APP, headers={"Authorization": "Basic abc"},
                    json={"appId": APP_ID, "userId": "", "expireTime": exp,
                          "nonce": "n" * 40, "clientType": 72})
    assert_error(r, 401, "USG.206010025")


# ---------------------------------------------------------------------------
# the online check (confDetail)
# ---------------------------------------------------------------------------

def test_detail_in_progress(client):
    r = client.detail(LIVE)
    assert r.status_code == 200
    body = r.json()
    assert body["conferenceData"]["conferenceID"] == LIVE
    assert body["conferenceData"]["conferenceState"] == "Created"
    assert body["conferenceData"]["subject"] == "Already running"
    assert body["data"]["count"] == 1
    assert body["data"]["offset"] == 0
    assert body["data"]["data"][0]["participantID"] == SPEAKER


@pytest.mark.parametrize("conf_id,code", [
    (IDLE, "MMC.111070005"),        # exists, not in progress
    ("999999999", "MMC.111070005"),  # unknown
    (ENDED, "MMC.111072006"),       # ended
])
def test_detail_not_in_progress(client, conf_id, code):
    assert_error(client.detail(conf_id), 400, code)


@pytest.mark.parametrize("token", [None, "stb-not-a-token"])
def test_detail_needs_access_token(client, token):
    headers = {"X-Access-Token": token} if token else {}
    r = client.get(DETAIL, params={"conferenceID": LIVE}, headers=headers)
    assert_error(r, 401, "USG.201040001")


# ---------------------------------------------------------------------------
# activation (start)
# ---------------------------------------------------------------------------

def test_start_activates_and_is_idempotent(client, sim):
    token = client.token()
    r = client.start(IDLE, access_token=token)
    assert r.status_code == 200
    assert r.json()["regionIP"] == "127.0.0.1"
    assert r.json()["uuid"]
    assert sim.meeting(IDLE)["state"] == "Created"
    assert client.start(IDLE, access_token=token).status_code == 200
    assert sim.meeting(IDLE)["state"] == "Created"
    assert client.detail(IDLE, access_token=token).status_code == 200


@pytest.mark.parametrize("password", ["", None])
def test_start_empty_password(client, password):
    body = {"conferenceID": IDLE}
    if password is not None:
        body["password"] = password
    r = client.post(START, headers={"X-Access-Token": client.token()}, json=body)
    assert_error(r, 400, "MMC.111070009")


@pytest.mark.parametrize("conf_id,password", [
    ("999999999", HOST_PW),   # unknown meeting
    (IDLE, "000000"),         # wrong password
    (IDLE, GUEST_PW),         # guest password, guests may not start this one
])
def test_start_refused(client, sim, conf_id, password):
    assert_error(client.start(conf_id, password), 400, "MMC.111072065")
    assert sim.meeting(IDLE)["state"] == "Schedule"


def test_start_with_guest_password_when_allowed(client, sim):
    assert client.start(GUEST_OK, GUEST_PW).status_code == 200
    assert sim.meeting(GUEST_OK)["state"] == "Created"


def test_start_ended_meeting(client, sim):
    assert_error(client.start(ENDED), 400, "MMC.111072006")
    assert sim.meeting(ENDED)["state"] == "Destroyed"


def test_start_needs_access_token(client):
    r = client.post(START, json={"conferenceID": IDLE, "password": HOST_PW})
    assert_error(r, 401, "USG.201040001")


def test_start_bad_body(client):
    r = client.post(START, headers={"X-Access-Token": client.token()}, data="{not json")
    assert_error(r, 400)


# ---------------------------------------------------------------------------
# the control token
# ---------------------------------------------------------------------------

def test_conf_token_ok(client, sim):
    before = time.time()
    r = client.conf_token(LIVE)
    assert r.status_code == 200
    data = r.json()["data"]
    assert data["role"] == 1
    assert data["confTokenExpireTime"] == 1800
    assert abs(data["expireTime"] - (before + 1800) * 1000) < 5000   # absolute ms
    assert data["token"] in sim.issued_tokens()
    # ignores an X-Access-Token that comes along (the SDK sends one)
    r = client.get(TOKEN, params={"conferenceID": LIVE},
                   headers={"X-Password": HOST_PW, "X-Login-Type": "1",
                            "X-Access-Token": "whatever"})
    assert r.status_code == 200


@pytest.mark.parametrize("conf_id,password,status,code", [
    (LIVE, "000000", 400, "MMC.111072065"),        # wrong password
    (LIVE, "", 400, "MMC.111072065"),              # empty password is wrong too
    ("999999999", HOST_PW, 400, "MMC.111072065"),  # unknown meeting
    (GUEST_OK, GUEST_PW, 400, "MMC.111072065"),    # only the host password grants control
    (IDLE, HOST_PW, 400, "MMC.111070005"),         # not in progress
    (ENDED, HOST_PW, 400, "MMC.111072006"),        # ended
])
def test_conf_token_refused(client, conf_id, password, status, code):
    assert_error(client.conf_token(conf_id, password), status, code)


def test_conf_token_needs_login_type_1(client):
    assert_error(client.conf_token(LIVE, login_type=None), 400, "SIM.INVALID_PARAMETER")
    assert_error(client.conf_token(LIVE, login_type="0"), 400, "SIM.INVALID_PARAMETER")


# ---------------------------------------------------------------------------
# realTimeInfo
# ---------------------------------------------------------------------------

def test_realtime_info_confinfo_as_the_vendor_documents(client, sim):
    """Default: confInfo carries chairID and coHosts only (the vendor's page);
    the meeting's state is in the push, not here."""
    body = client.realtime(LIVE, client.control_token(LIVE)).json()
    assert body["confInfo"] == {"chairID": "", "coHosts": []}
    assert sim.configure()["confinfo_state"] is False


def test_realtime_info_full_state(client, sim):
    sim.configure(confinfo_state=True)
    r = client.realtime(LIVE, client.control_token(LIVE))
    assert r.status_code == 200
    assert_gateway_headers(r)
    body = r.json()
    assert body["confInfo"] == {"chairID": "", "coHosts": [], "state": "Created",
                                "recState": 1, "liveState": 1, "mode": "BROADCAST",
                                "broadcastPid": SPEAKER}
    assert body["participants"] == [{"pid": SPEAKER, "name": "Keynote Speaker",
                                     "phone": "", "state": 0, "video": 1, "mute": 0,
                                     "hand": 0}]
    assert body["attendees"] == []


def test_realtime_info_lists_attendees_and_participants(client, running):
    body = client.realtime(IDLE, running).json()
    assert body["attendees"] == [{"accountID": "chair", "userUUID": "uuid-1",
                                  "name": "Chair", "phone": "+1001"}]
    assert [p["pid"] for p in body["participants"]] == ["pid-chair", SPEAKER, CALLING]
    assert body["participants"][2]["state"] == 1
    # the fields the vendor documents; the camera is the push's alone
    assert all(set(p) == {"pid", "name", "phone", "state", "video", "mute", "hand"}
               for p in body["participants"])
    assert body["confInfo"] == {"chairID": "pid-chair", "coHosts": ["pid-cohost"]}


WRITES = ["record", "live", "broadcast", "cancelBroadcast"]


def _control_call(client, kind, conf_id, token):
    if kind == "realTimeInfo":
        return client.realtime(conf_id, token)
    return client.write(kind, conf_id, token)


@pytest.mark.parametrize("kind", ["realTimeInfo"] + WRITES)
def test_control_calls_need_a_valid_token(client, sim, running, kind):
    assert_error(_control_call(client, kind, IDLE, None), 401, "MMC.111070001")
    assert_error(_control_call(client, kind, IDLE, "stb-bogus"), 401, "MMC.111070001")
    # a token for another meeting
    other = client.control_token(LIVE)
    assert_error(_control_call(client, kind, IDLE, other), 401, "MMC.111070001")
    # an access token is not a control token
    assert_error(_control_call(client, kind, IDLE, client.token()), 401, "MMC.111070001")
    # expired
    sim.expire_tokens("control")
    assert_error(_control_call(client, kind, IDLE, running), 401, "MMC.111070001")


@pytest.mark.parametrize("kind", ["realTimeInfo"] + WRITES)
@pytest.mark.parametrize("state,code", [("Schedule", "MMC.111070005"),
                                        ("Destroyed", "MMC.111072006")])
def test_control_calls_need_a_meeting_in_progress(client, sim, running, kind, state, code):
    sim.set_meeting(IDLE, state=state)
    assert_error(_control_call(client, kind, IDLE, running), 400, code)


# ---------------------------------------------------------------------------
# the writes
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind,field,conf_field", [("record", "recording", "recState"),
                                                   ("live", "live", "liveState")])
def test_record_and_live(client, sim, running, kind, field, conf_field):
    sim.configure(confinfo_state=True)
    r = client.write(kind, IDLE, running, 1)
    assert r.status_code == 200
    assert r.content == b"" and r.headers["Content-Length"] == "0"
    assert_gateway_headers(r)
    assert sim.meeting(IDLE)[field] is True
    assert client.realtime(IDLE, running).json()["confInfo"][conf_field] == 1
    assert client.write(kind, IDLE, running, 1).status_code == 200   # idempotent
    assert client.write(kind, IDLE, running, 0).status_code == 200
    assert sim.meeting(IDLE)[field] is False
    assert client.realtime(IDLE, running).json()["confInfo"][conf_field] == 0


@pytest.mark.parametrize("path,body", [
    (RECORD, None), (RECORD, '{"isRecord": 2}'), (RECORD, '{"isRecord": "1"}'),
    (RECORD, '{"isRecord": true}'), (RECORD, "not json"), (RECORD, "[1]"),
    (LIVE_PATH, '{"isRecord": 1}'), (LIVE_PATH, '{"isLive": -1}'),
])
def test_writes_reject_bad_bodies(client, sim, running, path, body):
    r = client.put(path, params={"conferenceID": IDLE}, data=body,
                   headers={"X-Conference-Authorization": running,
                            "Content-Type": "application/json"})
    assert_error(r, 400, "SIM.INVALID_PARAMETER")
    assert sim.meeting(IDLE)["recording"] is False
    assert sim.meeting(IDLE)["live"] is False


def test_broadcast_and_cancel(client, sim, running):
    sim.configure(confinfo_state=True)
    r = client.write("broadcast", IDLE, running, pid=SPEAKER)
    assert r.status_code == 200 and r.content == b""
    info = client.realtime(IDLE, running).json()["confInfo"]
    assert (info["mode"], info["broadcastPid"]) == ("BROADCAST", SPEAKER)
    # one at a time: broadcasting another replaces the first
    assert client.write("broadcast", IDLE, running, pid="pid-chair").status_code == 200
    assert sim.meeting(IDLE)["broadcast_pid"] == "pid-chair"
    r = client.write("cancelBroadcast", IDLE, running)
    assert r.status_code == 200 and r.content == b""
    info = client.realtime(IDLE, running).json()["confInfo"]
    assert (info["mode"], info["broadcastPid"]) == ("FREE", "")
    assert client.write("cancelBroadcast", IDLE, running).status_code == 200  # idempotent


@pytest.mark.parametrize("pid", [CALLING, "pid-nobody"])
def test_broadcast_needs_an_online_participant(client, sim, running, pid):
    assert_error(client.write("broadcast", IDLE, running, pid=pid), 400,
                 "SIM.PARTICIPANT_NOT_ONLINE")
    assert sim.meeting(IDLE)["mode"] == "FREE"


def test_broadcast_needs_participant_id(client, running):
    r = client.put(BROADCAST, params={"conferenceID": IDLE},
                   headers={"X-Conference-Authorization": running})
    assert_error(r, 400, "SIM.INVALID_PARAMETER")


def test_control_call_without_conference_id(client, running):
    r = client.get(REALTIME, headers={"X-Conference-Authorization": running})
    assert_error(r, 400, "SIM.INVALID_PARAMETER")


@pytest.mark.parametrize("kind", WRITES)
def test_write_json_switch(client, sim, running, kind):
    sim.configure(write_json=True)
    r = client.write(kind, IDLE, running)
    assert r.status_code == 200
    assert r.json() == {"returnCode": 0, "returnDesc": "Success"}
    assert r.headers["Content-Length"] == "39"


# ---------------------------------------------------------------------------
# gateway behaviour: headers, 404, 405, keep-alive, chunked bodies
# ---------------------------------------------------------------------------

def test_every_answer_has_request_id_and_rate_headers(client):
    answers = [client.account_login(), client.account_login(password="bad"),
               client.get("/v1/nothing/here"), client.get(START), client.detail(IDLE)]
    ids = set()
    for r in answers:
        assert_gateway_headers(r)
        ids.add(r.headers["X-Request-Id"])
    assert len(ids) == len(answers)


def test_unknown_path(client, sim):
    r = client.get("/v1/mmc/nothing")
    assert_error(r, 404, "SIM.NOT_FOUND")
    assert sim.calls[-1]["status"] == 404


def test_wrong_method(client):
    r = client.get(RECORD, params={"conferenceID": IDLE})
    assert_error(r, 405, "SIM.METHOD_NOT_ALLOWED")
    assert r.headers["Allow"] == "PUT"
    assert_error(client.put(START), 405)


def test_keep_alive(sim):
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    try:
        socks = set()
        for path in (DETAIL + "?conferenceID=" + LIVE, "/nowhere", RECORD):
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            assert r.getheader("Content-Length") is not None
            assert not r.will_close
            socks.add(id(conn.sock))
        assert len(socks) == 1          # all three on one connection
    finally:
        conn.close()


def test_chunked_request_body(client, sim, running):
    def chunks():
        yield b'{"isRec'
        yield b'ord": 1}'
    r = client.put(RECORD, params={"conferenceID": IDLE}, data=chunks(),
                   headers={"X-Conference-Authorization": running,
                            "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert sim.meeting(IDLE)["recording"] is True


@pytest.mark.parametrize("framing", ["Content-Length: abc", "Content-Length: 99999999",
                                     "Transfer-Encoding: chunked"])
def test_bad_http_framing(sim, framing):
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=10)
    try:
        conn.putrequest("PUT", RECORD + "?conferenceID=" + IDLE)
        conn.putheader(*framing.split(": "))
        conn.endheaders()
        if "chunked" in framing:
            conn.send(b"zz\r\n")                 # not a hex chunk size
        r = conn.getresponse()
        body = json.loads(r.read())
        assert r.status in (400, 413)
        assert body["error_code"] == "SIM.INVALID_PARAMETER"
        assert RATE_HEADER.match(r.getheader("X-APIG-Ratelimit-Api"))
        assert ALLENV_HEADER.match(r.getheader("X-APIG-Ratelimit-Api-Allenv"))
        assert r.will_close                        # the stream is out of step: closed
    finally:
        conn.close()
    assert (sim.calls[-1]["path"], sim.calls[-1]["status"]) == (RECORD, r.status)


def test_binds_loopback_only(sim):
    assert sim._server.server_address[0] == "127.0.0.1"
    assert sim.url.startswith("http://127.0.0.1:")


def test_concurrent_requests_are_served_in_parallel(client, sim, wait_until):
    # Three calls held inside the simulator at once (an hour-long fault delay
    # each), and a fourth still answered: served in parallel, by order alone.
    sim.inject_fault("/nowhere", delay=3600, count=3)
    results = []

    def call():
        results.append(_swallow(lambda: requests.get(sim.url + "/nowhere", timeout=7200)))

    threads = [threading.Thread(target=call) for _attempt in range(3)]
    for t in threads:
        t.start()
    assert wait_until(lambda: not sim._state.list_faults())   # all three are inside
    assert client.get("/nowhere").status_code == 404
    assert all(t.is_alive() for t in threads) and results == []
    assert [c["status"] for c in sim.calls] == [404]
    sim.stop()                                   # cuts the held calls short
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)


# ---------------------------------------------------------------------------
# token lifetimes
# ---------------------------------------------------------------------------

def test_access_token_ttl(sim, client):
    sim.configure(access_token_ttl=0.6)
    r = client.account_login()
    assert r.json()["validPeriod"] == 1     # whole seconds, rounded up
    token = r.json()["accessToken"]
    assert client.detail(LIVE, access_token=token).status_code == 200
    time.sleep(0.75)
    body = assert_error(client.detail(LIVE, access_token=token), 401, "USG.201040001")
    assert "expired" in body["error_msg"]


def test_conf_token_ttl(sim, client):
    sim.configure(conf_token_ttl=0.6)
    data = client.conf_token(LIVE).json()["data"]
    assert data["confTokenExpireTime"] == 1
    assert client.realtime(LIVE, data["token"]).status_code == 200
    time.sleep(0.75)
    assert_error(client.realtime(LIVE, data["token"]), 401, "MMC.111070001")


def test_ttls_from_the_constructor():
    with Simulator(config=copy.deepcopy(CONFIG), access_token_ttl=60,
                   conf_token_ttl=30) as s:
        c = Client(s)
        assert c.account_login().json()["validPeriod"] == 60
        assert c.conf_token(LIVE).json()["data"]["confTokenExpireTime"] == 30


@pytest.mark.parametrize("kind,access_ok,control_ok", [
    ("access", False, True), ("control", True, False), ("all", False, False)])
def test_expire_tokens(sim, client, kind, access_ok, control_ok):
    access = client.token()
    control = client.control_token(LIVE)
    assert sim.expire_tokens(kind) >= 1
    assert (client.detail(LIVE, access_token=access).status_code == 200) is access_ok
    assert (client.realtime(LIVE, control).status_code == 200) is control_ok
    # tokens issued afterwards are fine
    assert client.detail(LIVE).status_code == 200
    assert client.realtime(LIVE, client.control_token(LIVE)).status_code == 200


def test_expire_tokens_rejects_unknown_kind(sim):
    with pytest.raises(ConfigError):
        sim.expire_tokens("refresh")


# ---------------------------------------------------------------------------
# faults
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("style,keys", [("error_code", ("error_code", "error_msg")),
                                        ("errorCode", ("errorCode", "errorMsg")),
                                        ("code", ("code", "message"))])
def test_fault_status_with_error_styles(client, sim, style, keys):
    sim.inject_fault(DETAIL, status=503, error_style=style, count=2)
    for _attempt in range(2):
        r = client.detail(LIVE)
        assert r.status_code == 503
        assert set(r.json()) == set(keys)
        assert r.json()[keys[0]] == "SIM.FAULT.503"
        assert_gateway_headers(r)
    assert client.detail(LIVE).status_code == 200     # consumed
    statuses = [c["status"] for c in sim.calls if c["path"] == DETAIL]
    assert statuses == [503, 503, 200]


def test_fault_with_chosen_code(client, sim):
    sim.inject_fault(DETAIL, status=400, error_code="MMC.111072050", error_msg="locked")
    assert_error(client.detail(LIVE), 400, "MMC.111072050")


def test_fault_raw_html_body(client, sim):
    sim.inject_fault(REALTIME, status=502, body="<html><body>Bad Gateway</body></html>")
    r = client.realtime(LIVE, "anything")
    assert r.status_code == 502
    assert r.headers["Content-Type"].startswith("text/html")
    assert r.text.startswith("<html>")


def test_fault_empty_body(client, sim):
    sim.inject_fault(REALTIME, status=500, body="")
    r = client.realtime(LIVE, "anything")
    assert r.status_code == 500
    assert r.content == b"" and r.headers["Content-Length"] == "0"


def test_fault_method_filter(client, sim, running):
    sim.inject_fault(RECORD, method="put", status=500)
    assert client.get(RECORD).status_code == 405        # other method: untouched
    assert client.write("record", IDLE, running).status_code == 500
    assert sim.meeting(IDLE)["recording"] is False       # a fault replaces the call
    assert client.write("record", IDLE, running).status_code == 200


def test_faults_consumed_in_order(client, sim):
    sim.inject_fault(DETAIL, status=500)
    sim.inject_fault(DETAIL, status=502)
    sim.inject_fault(DETAIL, status=504)
    token = client.token()
    got = [client.detail(LIVE, access_token=token).status_code for _attempt in range(4)]
    assert got == [500, 502, 504, 200]


def test_clear_faults(client, sim):
    sim.inject_fault(DETAIL, status=500, count=5)
    sim.clear_faults()
    assert client.detail(LIVE).status_code == 200


def test_fault_delay_then_normal_answer(client, sim):
    sim.inject_fault(DETAIL, delay=0.6)
    token = client.token()
    assert client.detail(LIVE, access_token=token).status_code == 200
    assert sim._state.list_faults() == []          # the fault was used up
    assert client.detail(LIVE, access_token=token).status_code == 200
    # the simulator's own times: the call after the delayed one began at
    # least 0.6 s after it (a lower bound, never a ceiling)
    calls = sim.calls
    assert [(c["path"], c["status"]) for c in calls[1:]] == [(DETAIL, 200), (DETAIL, 200)]
    assert calls[2]["time"] - calls[1]["time"] >= 0.6


def test_fault_delay_trips_a_client_timeout(client, sim):
    sim.inject_fault(DETAIL, delay=1.0)
    token = client.token()
    with pytest.raises(requests.exceptions.ReadTimeout):
        client.get(DETAIL, params={"conferenceID": LIVE}, timeout=0.3,
                   headers={"X-Access-Token": token})


def test_fault_drop(client, sim):
    sim.inject_fault(DETAIL, drop=True)
    token = client.token()
    with pytest.raises(requests.exceptions.ConnectionError):
        client.detail(LIVE, access_token=token)
    assert sim.calls[-1]["path"] == DETAIL and sim.calls[-1]["status"] == 0
    assert client.detail(LIVE, access_token=token).status_code == 200


def test_fault_broken_body(client, sim):
    sim.inject_fault(REALTIME, broken_body=True)
    r = client.realtime(LIVE, client.control_token(LIVE))
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        r.json()


def test_fault_retry_after(client, sim):
    sim.inject_fault(DETAIL, retry_after="2")               # alone: a 429
    r = client.detail(LIVE)
    body = assert_error(r, 429, "APIG.0308")
    # the gateway's message, with this API's (nominal) limit and window
    assert body["error_msg"] == THROTTLED_MSG % (1000000, "1 minute")
    assert r.headers["Retry-After"] == "2"
    sim.inject_fault(DETAIL, status=503, retry_after="1")
    r = client.detail(LIVE)
    assert r.status_code == 503 and r.headers["Retry-After"] == "1"


@pytest.mark.parametrize("kwargs", [
    {},                                          # no kind at all
    {"status": 500, "drop": True},               # two answers
    {"status": 99},
    {"count": 0, "status": 500},
    {"status": 500, "error_style": "camel"},
])
def test_fault_validation(sim, kwargs):
    with pytest.raises(ConfigError):
        sim.inject_fault(DETAIL, **kwargs)
    with pytest.raises(ConfigError):
        sim.inject_fault("/_sim/health", status=500)


# ---------------------------------------------------------------------------
# delay and rate limit
# ---------------------------------------------------------------------------

def test_delay_applies_to_api_calls_not_admin(client, sim, wait_until):
    sim.configure(delay=0.3)
    client.get("/nowhere")
    client.get("/nowhere")
    first, second = sim.calls
    assert second["time"] - first["time"] >= 0.3   # the first answer waited 0.3 s
    # an API call held by an hour-long delay; the admin interface still answers
    sim.configure(delay=3600)
    held = threading.Thread(target=_swallow,
                            args=(lambda: requests.get(sim.url + "/nowhere", timeout=7200),))
    held.start()
    # the session's keep-alive connection and the held one
    assert wait_until(lambda: len(sim._server.open_connections) == 2)
    assert client.get("/_sim/health").status_code == 200
    assert client.get("/_sim/calls").json()["calls"] == sim.calls   # not logged either
    assert held.is_alive() and len(sim.calls) == 2
    sim.stop()
    held.join(30)
    assert not held.is_alive()


def test_delay_from_the_constructor():
    with Simulator(config=copy.deepcopy(CONFIG), delay=0.3) as s:
        assert s.configure()["delay"] == 0.3
        requests.get(s.url + "/nowhere", timeout=10)
        requests.get(s.url + "/nowhere", timeout=10)
        first, second = s.calls
        assert second["time"] - first["time"] >= 0.3


def test_rate_limit(client, sim):
    """rate_limit: every call of every caller per sliding second, shown in
    X-APIG-Ratelimit-Api-Allenv (each API's own window is not at issue)."""
    sim.configure(rate_limit=3)
    remains = []
    for _attempt in range(3):
        r = client.get("/nowhere")
        assert r.status_code == 404
        remains.append(ALLENV_HEADER.match(r.headers["X-APIG-Ratelimit-Api-Allenv"]).groups())
    assert remains == [("2", "3"), ("1", "3"), ("0", "3")]
    r = client.get(DETAIL)
    body = assert_error(r, 429, "APIG.0308")
    assert body["error_msg"] == THROTTLED_MSG % (3, "1 second")
    assert r.headers["X-APIG-Ratelimit-Api-Allenv"] == "remain:0,limit:3,time:1 second"
    # DETAIL's own window: not counted, nothing used yet
    assert r.headers["X-APIG-Ratelimit-Api"] == "remain:1000000,limit:1000000,time:1 minute"
    assert "Retry-After" not in r.headers
    assert sim.calls[-1]["status"] == 429
    # admin calls are not the gateway's business
    assert client.get("/_sim/health").status_code == 200
    # the window slides on: once a second has passed since the admitted calls
    # (waited for, not measured), a call is admitted again
    time.sleep(1.05)
    assert client.get("/nowhere").status_code == 404
    calls = sim.calls
    assert [c["status"] for c in calls] == [404, 404, 404, 429, 404]
    assert calls[-1]["time"] - calls[0]["time"] >= 1.0


def test_rate_limit_retry_after_and_off(client, sim):
    sim.configure(rate_limit=1, rate_limit_retry_after=True)
    client.get("/nowhere")
    r = client.get("/nowhere")
    assert r.status_code == 429 and r.headers["Retry-After"] == "1"
    sim.configure(rate_limit=None)
    assert all(client.get("/nowhere").status_code == 404 for _attempt in range(30))


def test_rate_limit_from_the_constructor():
    with Simulator(config=copy.deepcopy(CONFIG), rate_limit=2) as s:
        got = [requests.get(s.url + "/nowhere", timeout=10).status_code for _attempt in range(3)]
        assert got == [404, 404, 429]


def test_rate_limit_off_by_default(client):
    assert all(client.get("/nowhere").status_code == 404 for _attempt in range(40))


# ---------------------------------------------------------------------------
# TLS
# ---------------------------------------------------------------------------

def test_tls(tmp_path):
    cert_dir = tmp_path / "certs"
    with Simulator(config=copy.deepcopy(CONFIG), tls=True, cert_dir=str(cert_dir)) as s:
        assert s.url.startswith("https://127.0.0.1:")
        assert s.ca_path == str(cert_dir / "ca.pem")
        c = Client(s)
        assert c.account_login().status_code == 200
        # verified with the CA, by IP and by name
        r = requests.get("https://localhost:%d/nowhere" % s.port, verify=s.ca_path, timeout=10)
        assert r.status_code == 404
        # not trusted without the CA
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(s.url + "/nowhere", verify=True, timeout=10)
        # the certificate: SAN IP 127.0.0.1 and DNS localhost, signed by the CA
        cert = x509.load_pem_x509_certificate((cert_dir / "server.pem").read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("127.0.0.1")]
        assert san.get_values_for_type(x509.DNSName) == ["localhost"]
        ca = x509.load_pem_x509_certificate((cert_dir / "ca.pem").read_bytes())
        assert cert.issuer == ca.subject
        cert.verify_directly_issued_by(ca)
        assert stat.S_IMODE(os.stat(cert_dir / "server-key.pem").st_mode) == 0o600
        # plain HTTP to the TLS port gets nothing useful
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get("http://127.0.0.1:%d/nowhere" % s.port, timeout=5)
        # a strict stdlib client (what the modules' requests does) verifies too
        ctx = ssl.create_default_context(cafile=s.ca_path)
        conn = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=10)
        conn.request("GET", "/nowhere")
        assert conn.getresponse().status == 404
        conn.close()
    assert (cert_dir / "ca.pem").exists()          # a given cert_dir is left in place


def test_tls_temporary_cert_dir_is_removed():
    s = Simulator(config=copy.deepcopy(CONFIG), tls=True).start()
    ca = s.ca_path
    assert os.path.exists(ca)
    s.stop()
    assert not os.path.exists(os.path.dirname(ca))


# ---------------------------------------------------------------------------
# omit_fields
# ---------------------------------------------------------------------------

def test_omit_fields_global(client, sim):
    sim.configure(confinfo_state=True, omit_fields=["recState", "broadcastPid"])
    info = client.realtime(LIVE, client.control_token(LIVE)).json()["confInfo"]
    assert "recState" not in info and "broadcastPid" not in info
    assert info["liveState"] == 1 and info["mode"] == "BROADCAST"
    sim.configure(omit_fields=[])
    info = client.realtime(LIVE, client.control_token(LIVE)).json()["confInfo"]
    assert info["recState"] == 1


def test_omit_fields_per_meeting(client, sim):
    sim.configure(confinfo_state=True)
    sim.set_meeting(LIVE, omit_fields=["liveState", "mode", "state"])
    sim.set_meeting(GUEST_OK, state="Created")
    info = client.realtime(LIVE, client.control_token(LIVE)).json()["confInfo"]
    assert set(info) == {"chairID", "coHosts", "recState", "broadcastPid"}
    other = client.realtime(GUEST_OK, client.control_token(GUEST_OK)).json()["confInfo"]
    assert "liveState" in other


def test_omit_fields_from_the_constructor():
    with Simulator(config=copy.deepcopy(CONFIG), omit_fields=["chairID"]) as s:
        c = Client(s)
        assert "chairID" not in c.realtime(LIVE, c.control_token(LIVE)).json()["confInfo"]


def test_omit_fields_rejects_unknown_names(sim):
    with pytest.raises(ConfigError):
        sim.configure(omit_fields=["recordingState"])
    with pytest.raises(ConfigError):
        sim.set_meeting(LIVE, omit_fields=["nope"])


# ---------------------------------------------------------------------------
# the call log
# ---------------------------------------------------------------------------

def test_call_log(client, sim):
    client.account_login()
    client.get("/_sim/calls")                      # admin: not logged
    client.get(DETAIL, params={"conferenceID": LIVE})
    calls = sim.calls
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", AUTH_ACCOUNT, 200), ("GET", DETAIL, 401)]
    assert calls[1]["query"] == {"conferenceID": LIVE}
    assert calls[0]["query"] == {}
    # the gateway's view: which API, whose call, the rate limit as answered
    assert [(c["api"], c["caller"], c["remain"], c["limit"]) for c in calls] == [
        ("POST " + AUTH_ACCOUNT, "account:" + ACCOUNT, 999999, 1000000),
        ("GET " + DETAIL, "ip:127.0.0.1", 999999, 1000000)]
    assert all(isinstance(c["time"], float) and abs(c["time"] - time.time()) < 60
               for c in calls)
    calls.append("mine")                           # a copy: the log is unchanged
    assert len(sim.calls) == 2
    sim.clear_calls()
    assert sim.calls == []


def test_call_log_request_id_matches_header(client, sim):
    r = client.get("/nowhere")
    assert sim.calls[-1]["request_id"] == r.headers["X-Request-Id"]


def test_on_call_hook():
    seen = []
    with Simulator(config=copy.deepcopy(CONFIG), on_call=seen.append) as s:
        requests.get(s.url + "/nowhere", timeout=10)
    assert [(c["path"], c["status"]) for c in seen] == [("/nowhere", 404)]


# ---------------------------------------------------------------------------
# the in-process API: meetings, reset, tokens
# ---------------------------------------------------------------------------

def test_meeting_and_set_meeting(sim):
    m = sim.meeting(IDLE)
    assert m["state"] == "Schedule" and m["host_password"] == HOST_PW
    m["state"] = "Created"                          # a copy
    assert sim.meeting(IDLE)["state"] == "Schedule"
    updated = sim.set_meeting(IDLE, state="Created", recording=True,
                              participants=[{"pid": "p9", "name": "New"}])
    assert updated["recording"] is True
    assert updated["participants"] == [{"pid": "p9", "name": "New", "phone": "",
                                        "state": 0, "video": 1, "mute": 0, "hand": 0,
                                        "camera": True}]
    with pytest.raises(KeyError):
        sim.meeting("123")
    for bad in ({"state": "Running"}, {"mode": "GRID"}, {"recording": "yes"},
                {"color": "red"}, {"participants": [{"name": "no pid"}]},
                {"participants": [{"pid": "p9", "camera": 1}]},
                {"participants": [{"pid": "p9", "camera": "on"}]}):
        with pytest.raises(ConfigError):
            sim.set_meeting(IDLE, **bad)


def test_add_meeting(client, sim):
    sim.add_meeting(id="555000555", host_password="9", state="Created")
    assert client.detail("555000555").status_code == 200
    with pytest.raises(ConfigError):
        sim.add_meeting(id="555000555", host_password="9")
    with pytest.raises(ConfigError):
        sim.add_meeting(id="abc", host_password="9")


def test_reset(client, sim, running):
    access = client.token()
    client.write("record", IDLE, running)
    sim.inject_fault(DETAIL, status=500)
    sim.configure(delay=0.01, rate_limit=50, api_rate_limit=5, api_rate_window=30)
    assert sim.rate_windows()
    issued = sim.issued_tokens()
    sim.reset()
    assert sim.rate_windows() == []                               # windows forgotten
    assert (sim.configure()["api_rate_limit"], sim.configure()["api_rate_window"]) == (None, 60.0)
    assert sim.meeting(IDLE)["state"] == "Schedule"
    assert sim.meeting(IDLE)["recording"] is False
    assert sim.calls == []
    assert sim.configure()["delay"] == 0.0 and sim.configure()["rate_limit"] is None
    assert_error(client.detail(LIVE, access_token=access), 401)   # tokens forgotten
    assert client.detail(LIVE).status_code == 200                 # fault cleared
    assert set(issued) <= set(sim.issued_tokens())                # kept for leak tests


def test_issued_tokens(client, sim):
    access = client.token()
    app = client.app_login().json()["accessToken"]
    data = client.conf_token(LIVE).json()["data"]
    # the control token's answer also hands out a WebSocket token (tmpWsToken)
    assert sim.issued_tokens() == [access, app, data["token"], data["tmpWsToken"]]


def test_stop_is_idempotent_and_ends_open_connections(sim):
    conn = http.client.HTTPConnection("127.0.0.1", sim.port, timeout=5)
    conn.request("GET", "/nowhere")
    conn.getresponse().read()
    sim.stop()
    sim.stop()
    assert not sim.running
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.request("GET", "/nowhere")
        conn.getresponse()
    conn.close()


def test_stop_cuts_a_delay_short(wait_until):
    # An hour-long delay: only a stop that cuts it short ends the call.
    s = Simulator(config=copy.deepcopy(CONFIG), delay=3600).start()
    outcome = []
    t = threading.Thread(target=lambda: outcome.append(
        _swallow(lambda: requests.get(s.url + "/x", timeout=7200))))
    t.start()
    assert wait_until(lambda: len(s._server.open_connections) == 1)   # it is inside
    s.stop()
    t.join(60)
    assert not t.is_alive()                      # not an hour later
    assert outcome in ([None], [404])            # cut off, or answered at once


def _swallow(fn):
    """fn()'s status code, or None when the request failed."""
    try:
        return fn().status_code
    except requests.exceptions.RequestException:
        return None


# ---------------------------------------------------------------------------
# meetings files
# ---------------------------------------------------------------------------

def test_meetings_file_yaml_and_json(tmp_path):
    for name, dump in (("m.yml", yaml.safe_dump), ("m.json", json.dumps)):
        path = tmp_path / name
        path.write_text(dump(CONFIG))
        with Simulator(meetings_file=str(path)) as s:
            assert s.meeting(LIVE)["recording"] is True
            assert Client(s).account_login().status_code == 200


@pytest.mark.parametrize("text,name", [
    ("meetings: [{id: abc, host_password: x}]", "m.yml"),
    ("meetings: [{id: '1', host_password: x, state: Running}]", "m.yml"),
    ("meetings: [{id: '1'}]", "m.yml"),
    ("meetings: [{id: '1', host_password: x}, {id: '1', host_password: y}]", "m.yml"),
    ("colors: []", "m.yml"),
    ("{not json", "m.json"),
    ("meetings: []", "m.txt"),
])
def test_meetings_file_errors(tmp_path, text, name):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(ConfigError):
        Simulator(meetings_file=str(path))


def test_meetings_file_and_config_are_exclusive(tmp_path):
    with pytest.raises(ValueError):
        Simulator(meetings_file=DEMO_MEETINGS, config=CONFIG)


def test_demo_meetings_file():
    with open(DEMO_MEETINGS) as handle:
        demo = yaml.safe_load(handle)
    assert len(demo["accounts"]) == 1 and len(demo["apps"]) == 1
    assert "not-secret" in demo["apps"][0]["app_key"]
    meetings = demo["meetings"]
    assert len(meetings) == 3
    assert all(m["state"] == "Schedule" and m["host_password"] for m in meetings)
    assert any(m["allow_guest_start"] is False for m in meetings)
    names = [p["name"] for m in meetings for p in m["participants"]]
    assert "Keynote Speaker" in names
    keynote = next(m for m in meetings if any(p["name"] == "Keynote Speaker"
                                              for p in m["participants"]))
    assert len(keynote["participants"]) >= 4
    subjects = " ".join(m["subject"].lower() for m in meetings)
    assert "keynote" in subjects and "board" in subjects and "webinar" in subjects
    # and the simulator loads it, by default
    with Simulator() as s:
        c = Client(s)
        basic = base64.b64encode(("%s:%s" % (demo["accounts"][0]["account"],
                                             demo["accounts"][0]["password"])).encode())
        r = c.post(AUTH_ACCOUNT, headers={"Authorization": "Basic " + basic.decode()},
                   json={"account": demo["accounts"][0]["account"], "clientType": 72})
        assert r.status_code == 200
        app = demo["apps"][0]
        assert c.app_login(app["app_id"], app["app_key"]).status_code == 200
        assert s.meeting(keynote["id"])["subject"] == keynote["subject"]


# ---------------------------------------------------------------------------
# the admin interface and SimulatorAdmin
# ---------------------------------------------------------------------------

def test_admin_client(tls_sim):
    sim = tls_sim
    c = Client(sim)
    with SimulatorAdmin(sim.url, ca_path=sim.ca_path) as admin:
        health = admin.health()
        assert health["status"] == "ok" and health["tls"] is True
        assert health["ca_path"] == sim.ca_path and health["url"] == sim.url

        c.get("/nowhere")
        assert [x["status"] for x in admin.calls] == [404]      # admin calls not logged
        admin.clear_calls()
        assert admin.calls == [] and sim.calls == []

        fault = admin.inject_fault(DETAIL, status=502, count=2, method="GET")
        assert fault["count"] == 2 and fault["method"] == "GET"
        assert len(admin.faults()) == 1
        assert c.detail(LIVE).status_code == 502
        admin.clear_faults()
        assert admin.faults() == []
        assert c.detail(LIVE).status_code == 200
        admin.inject_fault(DETAIL, drop=True)
        with pytest.raises(requests.exceptions.ConnectionError):
            c.detail(LIVE)
        assert admin.calls[-1]["status"] == 0

        assert admin.meeting(IDLE)["state"] == "Schedule"
        assert admin.set_meeting(IDLE, state="Created", live=True)["live"] is True
        assert sim.meeting(IDLE)["state"] == "Created"
        with pytest.raises(KeyError):
            admin.meeting("404404404")
        with pytest.raises(SimulatorAdminError) as err:
            admin.set_meeting(IDLE, state="Running")
        assert err.value.status == 400
        assert len(admin.meetings()) == 4
        assert admin.add_meeting(id="777", host_password="1")["id"] == "777"

        settings = admin.configure(delay=0.05, rate_limit=100, omit_fields=["mode"],
                                   access_token_ttl=99, conf_token_ttl=33)
        assert settings["rate_limit"] == 100 and admin.settings()["delay"] == 0.05
        assert c.account_login().json()["validPeriod"] == 99
        with pytest.raises(SimulatorAdminError):
            admin.configure(speed=3)
        admin.configure(delay=0, rate_limit=None)

        control = c.control_token(LIVE)
        assert control in admin.issued_tokens()
        assert admin.expire_tokens("control") >= 1
        assert c.realtime(LIVE, control).status_code == 401
        with pytest.raises(SimulatorAdminError):
            admin.expire_tokens("weird")

        admin.reset()
        assert admin.meeting(IDLE)["state"] == "Schedule"
        assert admin.calls == [] and admin.settings()["delay"] == 0.0


def test_admin_http_endpoints(client, sim):
    """The raw admin endpoints, one request each, as README.md shows them."""
    r = client.get("/_sim/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert re.fullmatch(r"[0-9a-f]{32}", r.headers["X-Request-Id"])
    assert client.post("/_sim/faults", json={"path": DETAIL, "status": 500}).status_code == 201
    assert client.get("/_sim/faults").json()["faults"][0]["status"] == 500
    assert client.request("DELETE", "/_sim/faults").status_code == 200
    assert client.get("/_sim/faults").json()["faults"] == []
    assert client.get("/_sim/meetings/%s" % IDLE).json()["meeting"]["id"] == IDLE
    r = client.request("PATCH", "/_sim/meetings/%s" % IDLE, json={"recording": True})
    assert r.json()["meeting"]["recording"] is True
    assert client.request("PATCH", "/_sim/meetings/1", json={}).status_code == 404
    assert client.post("/_sim/config", json={"write_json": True}).json()["config"]["write_json"]
    assert client.get("/_sim/config").json()["config"]["write_json"] is True
    client.token()
    assert len(client.get("/_sim/tokens").json()["tokens"]) == 1
    assert client.post("/_sim/expire-tokens", json={"kind": "access"}).json()["expired"] == 1
    assert len(client.get("/_sim/calls").json()["calls"]) == 1
    assert client.request("DELETE", "/_sim/calls").json() == {"calls": []}
    assert client.post("/_sim/reset").json() == {"status": "reset"}
    assert client.get("/_sim/nothing").status_code == 404
    assert client.put("/_sim/health").status_code == 404
    assert client.post("/_sim/faults", data="not json").status_code == 400
    assert client.post("/_sim/faults", json={"path": DETAIL, "bogus": 1}).status_code == 400
    assert sim.calls == []                      # none of that was logged


# ---------------------------------------------------------------------------
# the command line
# ---------------------------------------------------------------------------

LISTENING = re.compile(r"^hwmeeting-sim listening on (https?://127\.0\.0\.1:\d+)$")


def _readline(proc, timeout=20):
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        if not sel.select(timeout):
            raise AssertionError("no output from the simulator within %ss" % timeout)
        return proc.stdout.readline()
    finally:
        sel.close()


def _spawn(args, env=None):
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=SIM_DIR)


def _stop(proc, sig):
    proc.send_signal(sig)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError("the simulator did not stop on %s: %s" % (sig, err))
    return out, err


def test_cli_script_tls_sigterm(tmp_path):
    url_file = tmp_path / "url.txt"
    cert_dir = tmp_path / "certs"
    proc = _spawn([sys.executable, os.path.join(SIM_DIR, "run.py"), "--tls",
                   "--cert-dir", str(cert_dir), "--url-file", str(url_file),
                   "--log-calls", "--conf-token-ttl", "77", "--access-token-ttl", "88",
                   "--rate-limit", "100", "--delay", "0", "--api-rate-limit", "7",
                   "--api-rate-window", "5"])
    try:
        line = _readline(proc)
        match = LISTENING.match(line.rstrip("\n"))
        assert match, line
        url = match.group(1)
        assert url.startswith("https://")
        assert url_file.read_text().strip() == url
        ca = str(cert_dir / "ca.pem")
        r = requests.post(url + AUTH_ACCOUNT, verify=ca, timeout=10,
                          headers={"Authorization": "Basic " + base64.b64encode(
                              b"demo@example.com:demo-account-password-not-secret").decode()},
                          json={"account": "demo@example.com", "clientType": 72})
        assert r.status_code == 200 and r.json()["validPeriod"] == 88
        assert r.headers["X-APIG-Ratelimit-Api-Allenv"].endswith("limit:100,time:1 second")
        assert r.headers["X-APIG-Ratelimit-Api"] == "remain:6,limit:7,time:5 second"
        logged = _readline(proc)
        assert logged.strip() == "hwmeeting-sim call: POST %s -> 200" % AUTH_ACCOUNT
        with SimulatorAdmin(url, ca_path=ca) as admin:
            assert admin.health()["meetings"] == 3
    finally:
        out, err = _stop(proc, signal.SIGTERM)
    assert proc.returncode == 0, err
    assert out == ""                        # nothing after the lines already read
    assert not url_file.exists()            # removed on a clean stop
    assert "Traceback" not in err


def test_cli_module_sigint(tmp_path):
    env = dict(os.environ, PYTHONPATH=SIM_DIR)
    meetings = tmp_path / "m.json"
    meetings.write_text(json.dumps(CONFIG))
    proc = _spawn([sys.executable, "-m", "hwmeeting_sim", "--meetings", str(meetings),
                   "--port", "0", "--omit-fields", "recState,mode", "--write-json",
                   "--confinfo-state", "--state-change-delay", "0.25", "--ws-token-ttl", "5",
                   "--push-heartbeat-timeout", "7", "--push-subscribe-reply", "space",
                   "--push-participants-data", "string"],
                  env=env)
    try:
        match = LISTENING.match(_readline(proc).rstrip("\n"))
        assert match and match.group(1).startswith("http://")
        url = match.group(1)
        token = requests.get(url + TOKEN, params={"conferenceID": LIVE}, timeout=10,
                             headers={"X-Password": HOST_PW, "X-Login-Type": "1"}
                             ).json()["data"]["token"]
        info = requests.get(url + REALTIME, params={"conferenceID": LIVE}, timeout=10,
                            headers={"X-Conference-Authorization": token}).json()
        assert "recState" not in info["confInfo"] and "mode" not in info["confInfo"]
        assert info["confInfo"]["liveState"] == 1          # --confinfo-state
        settings = SimulatorAdmin(url).settings()
        assert (settings["state_change_delay"], settings["ws_token_ttl"],
                settings["push_heartbeat_timeout"]) == (0.25, 5.0, 7.0)
        assert (settings["push_subscribe_reply"], settings["push_participants_data"]) == (
            "space", "string")
        r = requests.put(url + CANCEL, params={"conferenceID": LIVE}, timeout=10,
                         headers={"X-Conference-Authorization": token})
        assert r.json()["returnCode"] == 0
    finally:
        out, err = _stop(proc, signal.SIGINT)
    assert proc.returncode == 0, err
    assert out == "" and "Traceback" not in err


def test_cli_fixed_port_and_bad_file(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("meetings: [{id: nope}]")
    proc = subprocess.run([sys.executable, os.path.join(SIM_DIR, "run.py"),
                           "--meetings", str(bad)], capture_output=True, text=True, check=False,
                          timeout=30)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "meetings[0].id must be digits" in proc.stderr

    with Simulator(config=copy.deepcopy(CONFIG)) as s:       # the port is taken
        proc = subprocess.run([sys.executable, os.path.join(SIM_DIR, "run.py"),
                               "--port", str(s.port)], capture_output=True, text=True, check=False,
                              timeout=30)
    assert proc.returncode == 1 and "cannot start" in proc.stderr


def test_cli_help_lists_every_flag():
    out = subprocess.run([sys.executable, os.path.join(SIM_DIR, "run.py"), "--help"],
                         capture_output=True, text=True, check=False, timeout=30).stdout
    for flag in ("--meetings", "--port", "--tls", "--cert-dir", "--delay",
                 "--access-token-ttl", "--conf-token-ttl", "--rate-limit", "--url-file",
                 "--log-calls", "--omit-fields", "--write-json", "--error-style",
                 "--confinfo-state", "--state-change-delay", "--ws-token-ttl",
                 "--push-heartbeat-timeout", "--api-rate-limit", "--api-rate-window",
                 "--push-subscribe-reply", "--push-participants-data"):
        assert flag in out
