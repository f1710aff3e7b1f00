"""Self-tests of the simulator's gateway rate limits, as the vendor's gateway
has them: a sliding window per API (method + path) and caller
(`api_rate_limit`, `api_rate_window`), shown in X-APIG-Ratelimit-Api, and
the all-callers per-second limit (`rate_limit`) shown in
X-APIG-Ratelimit-Api-Allenv; 429 APIG.0308 past either.

Plain `requests` against a simulator in this process.  Windows are short
and waited for through the simulator's own state (`rate_windows()`), never
measured.
"""

import base64
import hashlib
import hmac
import json
import math
import os
import subprocess
import sys
import time
import uuid

import pytest
import requests

from hwmeeting_sim import ConfigError, Simulator, SimulatorAdmin
from hwmeeting_sim.state import format_window

ALICE, ALICE_PW = "alice@example.com", "alice-pw-not-secret"
BOB, BOB_PW = "bob@example.com", "bob-pw-not-secret"
APP_ID, APP_KEY = "rate-app", "rate-app-key-not-secret"
MT_APP_ID, MT_APP_KEY, MT_CORP = "rate-mt-app", "rate-mt-key-not-secret", "corp-7"
MEETING, HOST_PW = "300000001", "313131"

CONFIG = {
    "accounts": [{"account": ALICE, "password": ALICE_PW, "admin": True},
                 {"account": BOB, "password": BOB_PW, "admin": True}],
    "apps": [{"app_id": APP_ID, "app_key": APP_KEY, "user_id": "app-user", "admin": True},
             {"app_id": MT_APP_ID, "app_key": MT_APP_KEY, "corp_id": MT_CORP, "admin": True}],
    "meetings": [{"id": MEETING, "subject": "Rates", "host_password": HOST_PW,
                  "state": "Created"}],
}

ACCOUNT_LOGIN = "/v1/usg/acs/auth/account"
APP_LOGIN = "/v2/usg/acs/auth/appauth"
LIST = "/v1/mmc/management/conferences"
ONLINE = "/v1/mmc/management/conferences/online"
TOKEN = "/v1/mmc/control/conferences/token"
REALTIME = "/v1/mmc/control/conferences/realTimeInfo"

API = "X-APIG-Ratelimit-Api"
ALLENV = "X-APIG-Ratelimit-Api-Allenv"
MESSAGE = "The throttling threshold has been reached: policy user over ratelimit,limit:%d,time:%s"
NOMINAL = 1000000               # shown while api_rate_limit is off


class Gateway(object):
    """The calls a module makes, by anyone, against one simulator."""

    def __init__(self, sim):
        self.url = sim.url

    def call(self, method, path, **kw):
        kw.setdefault("timeout", 10)
        return requests.request(method, self.url + path, **kw)

    def account_login(self, account=ALICE, password=ALICE_PW):
        basic = base64.b64encode(("%s:%s" % (account, password)).encode()).decode()
        return self.call("POST", ACCOUNT_LOGIN, headers={"Authorization": "Basic " + basic},
                         json={"account": account, "clientType": 72})

    def app_login(self, app_id=APP_ID, app_key=APP_KEY, user_id="", corp_id=""):
        expire, nonce = int(time.time()) + 600, uuid.uuid4().hex
        fields = [app_id, corp_id, user_id] if corp_id else [app_id, user_id]
        signature = hmac.new(app_key.encode(), ":".join(fields + [str(expire), nonce]).encode(),
                             hashlib.sha256).hexdigest().upper()
        access = base64.b64encode(app_id.encode()).decode()
        return self.call("POST", APP_LOGIN,
                         headers={"Authorization": "HMAC-SHA256 signature=%s,access=%s"
                                  % (signature, access)},
                         json={"appId": app_id, "userId": user_id, "corpId": corp_id,
                               "expireTime": expire, "nonce": nonce, "clientType": 72})

    def token(self, answer):
        assert answer.status_code == 200, answer.text
        return answer.json()["accessToken"]

    def list(self, token=None, path=LIST):
        return self.call("GET", path, headers={"X-Access-Token": token} if token else {})

    def control(self):
        return self.call("GET", TOKEN, params={"conferenceID": MEETING},
                         headers={"X-Login-Type": "1", "X-Password": HOST_PW})


@pytest.fixture
def gw(sim):
    return Gateway(sim)


def figures(answer, header=API):
    """(remain, limit, time) of a rate-limit header."""
    value = answer.headers[header]
    remain, limit, window = value.split(",", 2)
    assert remain.startswith("remain:") and limit.startswith("limit:"), value
    assert window.startswith("time:"), value
    return int(remain[7:]), int(limit[6:]), window[5:]


def assert_throttled(answer, limit, window):
    """The gateway's 429: APIG.0308 and its message, no Retry-After."""
    assert answer.status_code == 429, answer.text
    assert answer.json() == {"error_code": "APIG.0308", "error_msg": MESSAGE % (limit, window)}
    assert "Retry-After" not in answer.headers


# ---------------------------------------------------------------------------
# the header, on every answer
# ---------------------------------------------------------------------------

def test_headers_count_down_while_the_limit_is_off(sim, gw):
    assert (sim.configure()["api_rate_limit"], sim.configure()["api_rate_window"]) == (None, 60.0)
    token = gw.token(gw.account_login())
    answers = [gw.list(token), gw.list(token), gw.list(), gw.call("GET", "/v1/nowhere"),
               gw.call("PUT", LIST), gw.list(token)]
    assert [a.status_code for a in answers] == [200, 200, 401, 404, 405, 200]
    # this caller's calls of this API: counted, never refused
    assert [figures(a) for a in answers] == [
        (NOMINAL - 1, NOMINAL, "1 minute"), (NOMINAL - 2, NOMINAL, "1 minute"),
        (NOMINAL - 1, NOMINAL, "1 minute"),            # another caller (no token: the address)
        (NOMINAL - 1, NOMINAL, "1 minute"),            # another API
        (NOMINAL - 1, NOMINAL, "1 minute"),            # PUT is another API than GET
        (NOMINAL - 3, NOMINAL, "1 minute")]
    # every call of everyone, per second (nominal 1000 while rate_limit is off)
    # every call of everyone, per second (nominal 1000 while rate_limit is
    # off), this call included
    assert all(remain < limit == 1000 and window == "1 second"
               for remain, limit, window in (figures(a, ALLENV) for a in answers))


def test_limit_per_api_and_caller(sim, gw):
    sim.configure(api_rate_limit=2)
    alice = gw.token(gw.account_login())
    bob = gw.token(gw.account_login(BOB, BOB_PW))
    first, second, third = gw.list(alice), gw.list(alice), gw.list(alice)
    assert (first.status_code, second.status_code) == (200, 200)
    assert [figures(a) for a in (first, second, third)] == [
        (1, 2, "1 minute"), (0, 2, "1 minute"), (0, 2, "1 minute")]
    assert_throttled(third, 2, "1 minute")
    # another caller of the same API, the same caller of another API, and a
    # caller without a token (the address) are not held back
    assert (gw.list(bob).status_code, figures(gw.list(bob))) == (200, (0, 2, "1 minute"))
    assert gw.list(alice, path=ONLINE).status_code == 200
    assert gw.list().status_code == 401
    log = [(c["api"], c["caller"], c["status"], c["remain"], c["limit"]) for c in sim.calls]
    assert log == [
        ("POST " + ACCOUNT_LOGIN, "account:" + ALICE, 200, 1, 2),
        ("POST " + ACCOUNT_LOGIN, "account:" + BOB, 200, 1, 2),
        ("GET " + LIST, "account:" + ALICE, 200, 1, 2),
        ("GET " + LIST, "account:" + ALICE, 200, 0, 2),
        ("GET " + LIST, "account:" + ALICE, 429, 0, 2),
        ("GET " + LIST, "account:" + BOB, 200, 1, 2),
        ("GET " + LIST, "account:" + BOB, 200, 0, 2),
        ("GET " + ONLINE, "account:" + ALICE, 200, 1, 2),
        ("GET " + LIST, "ip:127.0.0.1", 401, 1, 2),
    ]
    assert sim.rate_windows() == [
        {"api": "GET " + LIST, "caller": "account:" + ALICE, "used": 2, "limit": 2, "window": 60.0},
        {"api": "GET " + LIST, "caller": "account:" + BOB, "used": 2, "limit": 2, "window": 60.0},
        {"api": "GET " + LIST, "caller": "ip:127.0.0.1", "used": 1, "limit": 2, "window": 60.0},
        {"api": "GET " + ONLINE, "caller": "account:" + ALICE, "used": 1, "limit": 2,
         "window": 60.0},
        {"api": "POST " + ACCOUNT_LOGIN, "caller": "account:" + ALICE, "used": 1, "limit": 2,
         "window": 60.0},
        {"api": "POST " + ACCOUNT_LOGIN, "caller": "account:" + BOB, "used": 1, "limit": 2,
         "window": 60.0},
    ]


def test_only_admitted_calls_count_and_the_window_slides(sim, gw, wait_until):
    sim.configure(api_rate_limit=2, api_rate_window=2)
    statuses = [gw.call("GET", "/v1/nowhere").status_code for _c in range(5)]
    assert statuses == [404, 404, 429, 429, 429]
    # the three refused calls are not in the window
    assert [w["used"] for w in sim.rate_windows()] == [2]
    # once the admitted calls have left the window, calls get through again
    assert wait_until(lambda: sim.rate_windows() == [])
    answer = gw.call("GET", "/v1/nowhere")
    assert (answer.status_code, figures(answer)) == (404, (1, 2, "2 second"))


@pytest.mark.parametrize("seconds,name", [(60, "1 minute"), (1, "1 second"), (3600, "1 hour"),
                                          (5, "5 second"), (2.5, "2.5 second"),
                                          (120, "120 second"), (0.25, "0.25 second"),
                                          (0.00001, "0.00001 second")])
def test_window_names(sim, gw, seconds, name):
    assert format_window(seconds) == name
    sim.configure(api_rate_limit=1, api_rate_window=seconds)
    assert figures(gw.call("GET", "/v1/nowhere")) == (0, 1, name)
    # (a short window may have slid on between two calls)
    if seconds >= 5:
        assert_throttled(gw.call("GET", "/v1/nowhere"), 1, name)


def test_retry_after_only_with_the_legacy_setting(sim, gw):
    sim.configure(api_rate_limit=1, api_rate_window=30)
    assert gw.call("GET", "/v1/nowhere").status_code == 404
    assert_throttled(gw.call("GET", "/v1/nowhere"), 1, "30 second")
    sim.configure(rate_limit_retry_after=True)
    answer = gw.call("GET", "/v1/nowhere")
    assert answer.status_code == 429
    # until the admitted call leaves the window: whole seconds, at least 1
    assert 1 <= int(answer.headers["Retry-After"]) <= 30


def test_the_per_second_limit_refuses_with_its_own_figures(sim, gw):
    sim.configure(rate_limit=1, api_rate_limit=5)
    first = gw.call("GET", "/v1/nowhere")
    assert figures(first, ALLENV) == (0, 1, "1 second")
    answer = gw.call("GET", "/v1/elsewhere")
    assert answer.status_code == 429
    assert answer.json() == {"error_code": "APIG.0308", "error_msg": MESSAGE % (1, "1 second")}
    assert "Retry-After" not in answer.headers
    assert figures(answer, ALLENV) == (0, 1, "1 second")
    assert figures(answer) == (5, 5, "1 minute")        # its own API's window: not counted
    assert [(w["api"], w["used"]) for w in sim.rate_windows()] == [("GET /v1/nowhere", 1)]
    assert [(c["status"], c["remain"], c["limit"]) for c in sim.calls] == [
        (404, 4, 5), (429, 5, 5)]


def test_fault_answers_carry_the_headers_and_are_not_counted(sim, gw):
    sim.configure(api_rate_limit=3)
    path = "/v1/nowhere"
    sim.inject_fault(path, status=503)
    sim.inject_fault(path, body="<html><body>proxy</body></html>", status=502)
    sim.inject_fault(path, broken_body=True)
    sim.inject_fault(path, retry_after="4")
    sim.inject_fault(path, delay=0.01)                  # a delay alone: answered, and counted
    answers = [gw.call("GET", path) for _c in range(5)]
    assert [a.status_code for a in answers] == [503, 502, 200, 429, 404]
    assert [figures(a) for a in answers] == [(3, 3, "1 minute")] * 4 + [(2, 3, "1 minute")]
    assert all(figures(a, ALLENV)[1:] == (1000, "1 second") for a in answers)
    # an injected 429 speaks as the gateway does (its Retry-After was asked for)
    assert answers[3].json() == {"error_code": "APIG.0308",
                                 "error_msg": MESSAGE % (3, "1 minute")}
    assert answers[3].headers["Retry-After"] == "4"
    sim.inject_fault(path, drop=True)
    with pytest.raises(requests.exceptions.ConnectionError):
        gw.call("GET", path)
    last = sim.calls[-1]
    assert (last["status"], last["remain"], last["limit"]) == (0, None, None)   # nothing answered
    assert [(c["remain"], c["limit"]) for c in sim.calls[:5]] == [(3, 3)] * 4 + [(2, 3)]


# ---------------------------------------------------------------------------
# who the caller is
# ---------------------------------------------------------------------------

def test_callers_and_no_secret_in_the_log(sim, gw):
    alice = gw.token(gw.account_login())
    assert gw.account_login(password="wrong").status_code == 401
    app = gw.token(gw.app_login())
    tenant = gw.token(gw.app_login(MT_APP_ID, MT_APP_KEY, user_id="carol", corp_id=MT_CORP))
    for token in (alice, app, tenant, "stb-never-issued"):
        gw.list(token)
    control = gw.control().json()["data"]["token"]
    gw.call("GET", REALTIME, params={"conferenceID": MEETING},
            headers={"X-Conference-Authorization": control})
    sim.expire_tokens("access")
    assert gw.list(alice).status_code == 401              # expired: still Alice's call
    assert [(c["api"], c["caller"]) for c in sim.calls] == [
        ("POST " + ACCOUNT_LOGIN, "account:" + ALICE),
        ("POST " + ACCOUNT_LOGIN, "account:" + ALICE),   # the account being logged in
        ("POST " + APP_LOGIN, "app:" + APP_ID),
        ("POST " + APP_LOGIN, "app:" + MT_APP_ID),
        ("GET " + LIST, "account:" + ALICE),
        ("GET " + LIST, "app:%s,user:app-user" % APP_ID),
        ("GET " + LIST, "app:%s,user:carol,corp:%s" % (MT_APP_ID, MT_CORP)),
        ("GET " + LIST, "ip:127.0.0.1"),                 # a token it never issued
        ("GET " + TOKEN, "ip:127.0.0.1"),                # X-Password: the address
        ("GET " + REALTIME, "ip:127.0.0.1"),             # a control token: the address
        ("GET " + LIST, "account:" + ALICE),
    ]
    dumped = json.dumps([sim.calls, sim.rate_windows()])
    for secret in sim.issued_tokens() + [ALICE_PW, APP_KEY, MT_APP_KEY, HOST_PW, "wrong"]:
        assert secret not in dumped


def test_a_login_without_a_body_is_counted_by_its_basic_account(sim, gw):
    basic = base64.b64encode(("%s:%s" % (BOB, BOB_PW)).encode()).decode()
    assert gw.call("POST", ACCOUNT_LOGIN, headers={"Authorization": "Basic " + basic}
                   ).status_code == 400
    assert gw.call("POST", ACCOUNT_LOGIN).status_code == 400
    assert [c["caller"] for c in sim.calls] == ["account:" + BOB, "ip:127.0.0.1"]
    assert BOB_PW not in json.dumps(sim.calls)


# ---------------------------------------------------------------------------
# settings: validation, constructor, admin interface, command line, reset
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("settings", [
    {"api_rate_limit": -1}, {"api_rate_limit": 1.5}, {"api_rate_limit": "5"},
    {"api_rate_limit": True}, {"api_rate_window": 0}, {"api_rate_window": -2},
    {"api_rate_window": "60"}, {"api_rate_window": True}, {"api_rate_window": None},
    {"api_rate_window": math.inf}, {"api_rate_window": math.nan},
])
def test_bad_settings(sim, settings):
    with pytest.raises(ConfigError):
        sim.configure(**settings)
    with pytest.raises(ConfigError):
        Simulator(config=CONFIG, **settings)
    assert (sim.configure()["api_rate_limit"], sim.configure()["api_rate_window"]) == (None, 60.0)


def test_zero_turns_the_limit_off(sim, gw):
    sim.configure(api_rate_limit=1)
    assert sim.configure(api_rate_limit=0)["api_rate_limit"] is None
    assert [gw.call("GET", "/v1/nowhere").status_code for _c in range(3)] == [404] * 3


def test_from_the_constructor():
    with Simulator(config=CONFIG, api_rate_limit=1, api_rate_window=2) as s:
        gw = Gateway(s)
        assert figures(gw.call("GET", "/v1/nowhere")) == (0, 1, "2 second")
        assert_throttled(gw.call("GET", "/v1/nowhere"), 1, "2 second")
        s.reset()                                         # back to these settings
        assert s.rate_windows() == []
        assert s.configure()["api_rate_limit"] == 1
        assert gw.call("GET", "/v1/nowhere").status_code == 404


def test_through_the_admin_interface(sim, gw):
    with SimulatorAdmin(sim.url) as admin:
        settings = admin.configure(api_rate_limit=2, api_rate_window=10)
        assert (settings["api_rate_limit"], settings["api_rate_window"]) == (2, 10.0)
        assert admin.settings()["api_rate_limit"] == 2
        gw.call("GET", "/v1/nowhere")
        assert admin.rate_windows() == sim.rate_windows() == [
            {"api": "GET /v1/nowhere", "caller": "ip:127.0.0.1", "used": 1, "limit": 2,
             "window": 10.0}]
        raw = requests.get(sim.url + "/_sim/rate-windows", timeout=10).json()
        assert raw == {"windows": sim.rate_windows()}
        answer = requests.post(sim.url + "/_sim/config", json={"api_rate_window": 0}, timeout=10)
        assert answer.status_code == 400
        admin.reset()
        assert admin.rate_windows() == []
    assert len(sim.calls) == 0                            # the admin calls are not counted


def test_command_line_flags():
    sim_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, os.path.join(sim_dir, "run.py"),
                           "--api-rate-window", "0"],
                          capture_output=True, text=True, check=False, timeout=30)
    assert proc.returncode == 2 and "api_rate_window" in proc.stderr
    out = subprocess.run([sys.executable, os.path.join(sim_dir, "run.py"), "--help"],
                         capture_output=True, text=True, check=False, timeout=30).stdout
    assert "--api-rate-limit" in out and "--api-rate-window" in out
