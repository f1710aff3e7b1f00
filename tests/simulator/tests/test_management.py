"""Self-tests of the simulator's management calls (hwmeeting_sim/management.py):
a meeting's details with passwordEntry, only for its scheduler or an admin;
the list of meetings and the list of meetings in progress, with paging and
searchKey; the meetings file's owner, start_time, end_time and admin keys.

Plain `requests` against a simulator started in this process.
"""

import base64
import hashlib
import hmac
import time
import uuid

import pytest
import requests

from hwmeeting_sim import ConfigError, Simulator
from hwmeeting_sim.state import format_meeting_time, parse_meeting_time

DETAILS = "/v1/mmc/management/conferences/confDetail"
LIST = "/v1/mmc/management/conferences"
ONLINE = "/v1/mmc/management/conferences/online"

OWNER, OWNER_PW = "owner@example.com", "owner-pw-not-secret"
OTHER, OTHER_PW = "other@example.com", "other-pw-not-secret"
ADMIN, ADMIN_PW = "admin@example.com", "admin-pw-not-secret"
APP_ID, APP_KEY, APP_USER = "mgmt-app", "mgmt-app-key-not-secret", "app-user"
ADMIN_APP, ADMIN_APP_KEY = "admin-app", "admin-app-key-not-secret"

CONFIG = {
    "accounts": [{"account": OWNER, "password": OWNER_PW},
                 {"account": OTHER, "password": OTHER_PW},
                 {"account": ADMIN, "password": ADMIN_PW, "admin": True}],
    "apps": [{"app_id": APP_ID, "app_key": APP_KEY, "user_id": APP_USER},
             {"app_id": ADMIN_APP, "app_key": ADMIN_APP_KEY, "admin": True}],
    "meetings": [
        {"id": "200000001", "subject": "Weekly Sync", "host_password": "510001",
         "guest_password": "610001", "owner": OWNER, "state": "Schedule",
         "start_time": "2030-01-02 09:00", "end_time": "2030-01-02 10:30"},
        {"id": "200000002", "subject": "Keynote rehearsal", "host_password": "510002",
         "owner": OWNER, "state": "Created", "start_time": "now-10m"},
        {"id": "200000003", "subject": "Over already", "host_password": "510003",
         "owner": OWNER, "state": "Destroyed"},
        {"id": "200000004", "subject": "App meeting", "host_password": "510004",
         "owner": APP_USER, "state": "Created"},
        {"id": "200000005", "subject": "Nobody's", "host_password": "510005"},
    ],
}


def account_token(sim, account, password):
    basic = base64.b64encode(("%s:%s" % (account, password)).encode()).decode()
    answer = requests.post(sim.url + "/v1/usg/acs/auth/account", timeout=10,
                           headers={"Authorization": "Basic " + basic},
                           json={"account": account, "clientType": 72})
    assert answer.status_code == 200, answer.text
    return answer.json()["accessToken"]


def app_token(sim, app_id, app_key, user_id=""):
    expire, nonce = int(time.time()) + 600, uuid.uuid4().hex
    message = ":".join([app_id, user_id, str(expire), nonce])
    signature = hmac.new(app_key.encode(), message.encode(), hashlib.sha256).hexdigest().upper()
    access = base64.b64encode(app_id.encode()).decode()
    answer = requests.post(sim.url + "/v2/usg/acs/auth/appauth", timeout=10,
                           headers={"Authorization": "HMAC-SHA256 signature=%s,access=%s" % (signature, access)},
                           json={"appId": app_id, "userId": user_id, "corpId": "",
                                 "expireTime": expire, "nonce": nonce, "clientType": 72})
    assert answer.status_code == 200, answer.text
    return answer.json()["accessToken"]


def get(sim, path, token, **params):
    return requests.get(sim.url + path, params=params, timeout=10,
                        headers={"X-Access-Token": token} if token else {})


def passwords(conference_data):
    return {entry["conferenceRole"]: entry["password"] for entry in conference_data["passwordEntry"]}


# -- details ---------------------------------------------------------------------

def test_details_for_the_owner_carry_the_passwords_and_times(sim):
    token = account_token(sim, OWNER, OWNER_PW)
    answer = get(sim, DETAILS, token, conferenceID="200000001")
    assert answer.status_code == 200, answer.text
    data = answer.json()["conferenceData"]
    assert data["conferenceID"] == "200000001"
    assert data["subject"] == "Weekly Sync"
    assert data["conferenceState"] == "Schedule"
    assert data["startTime"] == "2030-01-02 09:00"
    assert data["endTime"] == "2030-01-02 10:30"
    assert passwords(data) == {"chair": "510001", "general": "610001"}


def test_details_of_a_running_and_an_ended_meeting(sim):
    token = account_token(sim, OWNER, OWNER_PW)
    running = get(sim, DETAILS, token, conferenceID="200000002").json()["conferenceData"]
    ended = get(sim, DETAILS, token, conferenceID="200000003").json()["conferenceData"]
    assert (running["conferenceState"], ended["conferenceState"]) == ("Created", "Destroyed")
    assert passwords(running) == {"chair": "510002"}     # no guest password: no general entry


@pytest.mark.parametrize("login, conf_id", [
    ((OTHER, OTHER_PW), "200000001"),       # someone else's meeting
    ((OWNER, OWNER_PW), "200000004"),       # the app user's meeting
    ((OWNER, OWNER_PW), "200000005"),       # a meeting without an owner
])
def test_details_refused_to_anyone_but_the_owner(sim, login, conf_id):
    answer = get(sim, DETAILS, account_token(sim, *login), conferenceID=conf_id)
    assert answer.status_code == 403
    assert answer.json()["error_code"] == "SIM.NOT_MEETING_OWNER"
    assert "510" not in answer.text


def test_details_for_an_admin_account_and_an_admin_app(sim):
    for token in (account_token(sim, ADMIN, ADMIN_PW), app_token(sim, ADMIN_APP, ADMIN_APP_KEY)):
        answer = get(sim, DETAILS, token, conferenceID="200000005")
        assert answer.status_code == 200, answer.text
        assert passwords(answer.json()["conferenceData"])["chair"] == "510005"


def test_details_for_the_app_user_who_owns_it(sim):
    token = app_token(sim, APP_ID, APP_KEY)       # the app's default user_id
    answer = get(sim, DETAILS, token, conferenceID="200000004")
    assert answer.status_code == 200, answer.text
    assert passwords(answer.json()["conferenceData"])["chair"] == "510004"


def test_details_errors(sim):
    token = account_token(sim, ADMIN, ADMIN_PW)
    assert get(sim, DETAILS, token, conferenceID="299999999").json()["error_code"] == "MMC.111070005"
    assert get(sim, DETAILS, token).status_code == 400
    assert get(sim, DETAILS, None, conferenceID="200000001").status_code == 401
    assert get(sim, DETAILS, "stb-invalid", conferenceID="200000001").status_code == 401


# -- lists ---------------------------------------------------------------------

def ids(answer):
    assert answer.status_code == 200, answer.text
    return [item["conferenceID"] for item in answer.json()["data"]]


def test_list_shows_the_owner_its_scheduled_and_running_meetings_by_start(sim):
    token = account_token(sim, OWNER, OWNER_PW)
    answer = get(sim, LIST, token, offset=0, limit=10, queryAll="true")
    # the running one started 10 minutes ago, the weekly sync is in 2030; the ended one is not listed
    assert ids(answer) == ["200000002", "200000001"]
    assert answer.json()["count"] == 2
    assert ids(get(sim, ONLINE, token, queryAll="true")) == ["200000002"]


def test_list_shows_an_admin_everything_only_with_query_all(sim):
    token = account_token(sim, ADMIN, ADMIN_PW)
    assert sorted(ids(get(sim, LIST, token, queryAll="true"))) == [
        "200000001", "200000002", "200000004", "200000005"]
    assert ids(get(sim, LIST, token)) == []               # owns nothing itself
    assert sorted(ids(get(sim, ONLINE, token, queryAll="true"))) == ["200000002", "200000004"]


def test_list_search_key_matches_subject_any_case_or_id(sim):
    token = account_token(sim, ADMIN, ADMIN_PW)
    assert ids(get(sim, LIST, token, queryAll="true", searchKey="KEYNOTE")) == ["200000002"]
    assert ids(get(sim, LIST, token, queryAll="true", searchKey="200000004")) == ["200000004"]
    assert ids(get(sim, LIST, token, queryAll="true", searchKey="no such")) == []


def test_list_pages(sim):
    for number in range(7):
        sim.add_meeting(id="30000000%d" % number, subject="Paged %d" % number, host_password="1",
                        owner=OTHER, start_time="2031-01-01 0%d:00" % number)
    token = account_token(sim, OTHER, OTHER_PW)
    seen, offset, pages = [], 0, 0
    while True:
        answer = get(sim, LIST, token, offset=offset, limit=3)
        body = answer.json()
        assert (body["offset"], body["limit"], body["count"]) == (offset, 3, 7)
        page = ids(answer)
        if not page:
            break
        seen.extend(page)
        offset += len(page)
        pages += 1
    assert pages == 3
    assert seen == ["30000000%d" % number for number in range(7)]


@pytest.mark.parametrize("limit", ["0", "501", "x"])
def test_list_bad_limit(sim, limit):
    answer = get(sim, LIST, account_token(sim, OWNER, OWNER_PW), limit=limit)
    assert answer.status_code == 400


def test_lists_need_an_access_token(sim):
    assert get(sim, LIST, None).status_code == 401
    assert get(sim, ONLINE, "stb-invalid").status_code == 401


# -- the meetings file ------------------------------------------------------------

def test_meeting_times():
    now = 1800000000.0
    assert parse_meeting_time("now", "t", now=now) == 1800000000.0 // 60 * 60
    assert parse_meeting_time("now+2h", "t", now=now) - parse_meeting_time("now", "t", now=now) == 7200
    assert parse_meeting_time("now-30m", "t", now=now) - parse_meeting_time("now", "t", now=now) == -1800
    assert format_meeting_time(parse_meeting_time("2030-01-02 09:00", "t")) == "2030-01-02 09:00"


@pytest.mark.parametrize("fields, words", [
    ({"start_time": "tomorrow"}, "start_time must be"),
    ({"start_time": "2030-01-02 10:00", "end_time": "2030-01-02 09:00"}, "end_time must not be before"),
    ({"owner": ["x"]}, "owner must be a string"),
])
def test_bad_management_fields(fields, words):
    config = {"meetings": [dict({"id": "1", "host_password": "1"}, **fields)]}
    with pytest.raises(ConfigError, match=words):
        Simulator(config=config)


def test_admin_must_be_a_boolean():
    with pytest.raises(ConfigError, match="admin must be true or false"):
        Simulator(config={"accounts": [{"account": "a", "password": "b", "admin": "yes"}]})


def test_default_end_is_an_hour_after_the_start():
    with Simulator(config={"meetings": [{"id": "1", "host_password": "1",
                                         "start_time": "2030-01-02 09:00"}]}) as simulator:
        meeting = simulator.meeting("1")
    assert meeting["end_time"] - meeting["start_time"] == 3600
    assert meeting["owner"] == ""
