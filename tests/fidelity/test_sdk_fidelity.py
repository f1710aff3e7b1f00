"""Fidelity: Huawei's own Python SDK (huaweicloudsdkmeeting) against the simulator.

If the vendor's SDK can log in, activate, fetch a control token (with the
push's wsURL and tmpWsToken), fetch a WebSocket token, read the realtime
information and drive record/live/broadcast through the simulator, and reads
its errors the way it reads the real service's, the simulator speaks the same
wire format as the service (paths, headers, bodies, error bodies).

The tests hold the simulator to what the SDK models, not to the simulator's
own extras: by default realTimeInfo's confInfo carries exactly the fields of
the SDK's RealTimeConfInfo (chairID, coHosts), as the vendor documents.  The
meeting's state after a write is read from the simulator itself.

The SDK is a required test dependency (tests/requirements.txt): no skip.
Each test asserts on the SDK's response objects AND on what the simulator
saw (its call log) and did (the meeting's state).
"""

import base64
import copy
import json
import os
import sys
import warnings

import pytest
import websocket
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException, ServerResponseException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkmeeting.v1 import (BroadcastParticipantRequest, CancelBroadcastRequest,
                                      CreateConfTokenRequest, CreateWebSocketTokenRequest,
                                      LiveRequest, MeetingClient, RealTimeConfInfo,
                                      RecordRequest, RestSetLiveReqBody,
                                      RestSetRecordReqBody, ShowOnlineMeetingDetailRequest,
                                      ShowRealTimeInfoOfMeetingRequest, StartMeetingRequest,
                                      StartRequest)
from huaweicloudsdkmeeting.v1.meeting_credentials import (AuthTypeEnum, MeetingCredentials,
                                                          TenantSceneEnum)

SIM_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "simulator")
if SIM_DIR not in sys.path:
    sys.path.insert(0, SIM_DIR)

from hwmeeting_sim import Simulator  # noqa: E402

# ignore_ssl_verification=True (as the brief for this test asks) makes urllib3 warn
# on every call; test_verified_tls below shows the certificate verifies too.
pytestmark = pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")

APP_ID, APP_KEY = "fidelity-app", "fidelity-app-key-not-secret"
MT_APP_ID, MT_APP_KEY, MT_CORP = "fidelity-mt-app", "fidelity-mt-key-not-secret", "corp-7"
ACCOUNT, ACCOUNT_PASSWORD = "fidelity@example.com", "fidelity-password-not-secret"
KEYNOTE, BOARD = "914044873", "914083136"
HOST_PW, GUEST_PW = "118822", "334455"
SPEAKER, PRODUCER, CALLING = "pid-speaker", "pid-producer", "pid-calling"

CONFIG = {
    "accounts": [{"account": ACCOUNT, "password": ACCOUNT_PASSWORD}],
    "apps": [{"app_id": APP_ID, "app_key": APP_KEY},
             {"app_id": MT_APP_ID, "app_key": MT_APP_KEY, "corp_id": MT_CORP}],
    "meetings": [
        {"id": KEYNOTE, "subject": "Product Keynote", "host_password": HOST_PW,
         "guest_password": GUEST_PW, "allow_guest_start": True, "state": "Schedule",
         "chair_id": PRODUCER, "co_hosts": [SPEAKER],
         "participants": [
             {"pid": PRODUCER, "name": "Event Producer", "phone": "+99111000001"},
             {"pid": SPEAKER, "name": "Keynote Speaker", "phone": "+99111000002",
              "mute": 1},
             {"pid": CALLING, "name": "Stage Manager", "phone": "+99111000003",
              "state": 1},
         ],
         "attendees": [{"account_id": "speaker", "user_uuid": "uuid-speaker",
                        "name": "Keynote Speaker", "phone": "+99111000002"}]},
        {"id": BOARD, "subject": "Board Meeting", "host_password": "227711",
         "guest_password": "990011", "allow_guest_start": False, "state": "Schedule"},
    ],
}


@pytest.fixture
def sim():
    with Simulator(config=copy.deepcopy(CONFIG), tls=True) as s:
        yield s


def make_client(sim, credentials, verify_with_ca=False):
    config = HttpConfig.get_default_config()
    if verify_with_ca:
        config.ssl_ca_cert = sim.ca_path
        config.ignore_ssl_verification = False
    else:
        config.ignore_ssl_verification = True
    config.timeout = (5, 10)
    return (MeetingClient.new_builder()
            .with_http_config(config)
            .with_credentials(credentials)
            .with_endpoints([sim.url])
            .build())


def app_id_credentials(app_id=APP_ID, app_key=APP_KEY):
    return (MeetingCredentials()
            .with_auth_type_enum(AuthTypeEnum.APP_ID)
            .with_app_id(app_id)
            .with_app_key(app_key))


def calls_of(sim):
    return [(c["method"], c["path"], c["status"]) for c in sim.calls]


def start_meeting(client, conf_id=KEYNOTE, password=HOST_PW):
    return client.start_meeting(StartMeetingRequest(body=StartRequest(conference_id=conf_id, password=password)))


def conf_token(client, password=HOST_PW):
    return client.create_conf_token(CreateConfTokenRequest(
        conference_id=KEYNOTE, x_password=password, x_login_type=1))


def started(sim):
    """An App ID client of the SDK with the keynote activated, and the data
    of its control token (token, wsURL, tmpWsToken)."""
    client = make_client(sim, app_id_credentials())
    start_meeting(client)
    return client, conf_token(client).data


def realtime(client, token, conf_id=KEYNOTE):
    return client.show_real_time_info_of_meeting(ShowRealTimeInfoOfMeetingRequest(
        conference_id=conf_id, x_conference_authorization=token))


def test_full_meeting_control_flow_with_app_id(sim):
    client = make_client(sim, app_id_credentials())

    # activate (the SDK logs in with its App ID first)
    answer = start_meeting(client)
    assert answer.status_code == 200
    assert answer.region_ip == "127.0.0.1"
    assert answer.uuid
    assert sim.meeting(KEYNOTE)["state"] == "Created"
    assert calls_of(sim) == [("POST", "/v2/usg/acs/auth/appauth", 200),
                             ("POST", "/v1/mmc/management/conferences/start", 200)]

    # the online check, as the SDK models it
    detail = client.show_online_meeting_detail(ShowOnlineMeetingDetailRequest(
        conference_id=KEYNOTE))
    assert detail.conference_data.conference_id == KEYNOTE
    assert detail.conference_data.conference_state == "Created"
    assert detail.conference_data.subject == "Product Keynote"
    assert detail.data.count == 3
    assert [p.participant_id for p in detail.data.data] == [PRODUCER, SPEAKER, CALLING]

    # the control token
    token_resp = conf_token(client)
    token = token_resp.data.token
    assert token in sim.issued_tokens()
    assert token_resp.data.role == 1
    assert token_resp.data.conf_token_expire_time == 1800
    assert token_resp.data.expire_time > 1e12            # absolute, in milliseconds
    # the push: the server's base (no path) and a first WebSocket token
    assert token_resp.data.ws_url == sim.ws_url == "wss://127.0.0.1:%d" % sim.port
    assert token_resp.data.tmp_ws_token in sim.issued_tokens()
    assert token_resp.data.tmp_ws_token != token

    # a WebSocket token through the SDK's own call
    ws_resp = client.create_web_socket_token(CreateWebSocketTokenRequest(
        conference_id=KEYNOTE, x_conference_authorization=token))
    assert ws_resp.status_code == 200
    ws_token = ws_resp.web_socket_token
    assert ws_token in sim.issued_tokens()
    assert ws_token not in (token, token_resp.data.tmp_ws_token)

    # realtime information: confInfo is what the SDK models, no more
    info = realtime(client, token)
    assert info.conf_info.chair_id == PRODUCER
    assert info.conf_info.co_hosts == [SPEAKER]
    assert set(info.to_json_object()["confInfo"]) == set(
        RealTimeConfInfo.attribute_map.values())
    assert [(p.pid, p.name, p.state, p.mute) for p in info.participants] == [
        (PRODUCER, "Event Producer", 0, 0), (SPEAKER, "Keynote Speaker", 0, 1),
        (CALLING, "Stage Manager", 1, 0)]
    assert [(a.account_id, a.user_uuid, a.name) for a in info.attendees] == [
        ("speaker", "uuid-speaker", "Keynote Speaker")]

    # recording on, then off
    rec = client.record(RecordRequest(conference_id=KEYNOTE, x_conference_authorization=token,
                                      body=RestSetRecordReqBody(is_record=1)))
    assert rec.status_code == 200
    assert sim.meeting(KEYNOTE)["recording"] is True
    client.record(RecordRequest(conference_id=KEYNOTE, x_conference_authorization=token,
                                body=RestSetRecordReqBody(is_record=0)))
    assert sim.meeting(KEYNOTE)["recording"] is False

    # live on, then off
    live = client.live(LiveRequest(conference_id=KEYNOTE, x_conference_authorization=token,
                                   body=RestSetLiveReqBody(is_live=1)))
    assert live.status_code == 200
    assert sim.meeting(KEYNOTE)["live"] is True
    client.live(LiveRequest(conference_id=KEYNOTE, x_conference_authorization=token,
                            body=RestSetLiveReqBody(is_live=0)))
    assert sim.meeting(KEYNOTE)["live"] is False

    # broadcast the speaker, then cancel
    bc = client.broadcast_participant(BroadcastParticipantRequest(
        conference_id=KEYNOTE, participant_id=SPEAKER, x_conference_authorization=token))
    assert bc.status_code == 200
    state = sim.meeting(KEYNOTE)
    assert (state["mode"], state["broadcast_pid"]) == ("BROADCAST", SPEAKER)
    cancel = client.cancel_broadcast(CancelBroadcastRequest(
        conference_id=KEYNOTE, x_conference_authorization=token))
    assert cancel.status_code == 200
    state = sim.meeting(KEYNOTE)
    assert (state["mode"], state["broadcast_pid"]) == ("FREE", "")

    # what the simulator served: one login only (the SDK reuses its token,
    # sending X-Access-Token on control calls too, which they ignore)
    c = "/v1/mmc/control/conferences/"
    assert calls_of(sim)[2:] == [
        ("GET", "/v1/mmc/management/conferences/online/confDetail", 200),
        ("GET", c + "token", 200),
        ("GET", c + "wsToken", 200),
        ("GET", c + "realTimeInfo", 200),
        ("PUT", c + "record", 200), ("PUT", c + "record", 200),
        ("PUT", c + "live", 200), ("PUT", c + "live", 200),
        ("PUT", c + "participants/broadcast", 200),
        ("PUT", c + "cancelBroadcast", 200),
    ]
    assert sim.calls[5]["query"] == {"conferenceID": KEYNOTE}     # wsToken
    assert sim.calls[-1]["query"] == {"conferenceID": KEYNOTE}
    assert [x["query"] for x in sim.calls if x["path"].endswith("broadcast")] == [
        {"conferenceID": KEYNOTE, "participantID": SPEAKER}]


def test_wrong_host_password_for_control_token(sim):
    client = make_client(sim, app_id_credentials())
    start_meeting(client)
    with pytest.raises(ClientRequestException) as err:
        conf_token(client, password="000000")
    assert err.value.status_code == 400
    assert err.value.error_code == "MMC.111072065"
    assert err.value.error_msg == "CONF_NOT_FOUND_OR_AUTH_FAILED"
    last = sim.calls[-1]
    assert (last["path"], last["status"]) == ("/v1/mmc/control/conferences/token", 400)
    assert err.value.request_id == last["request_id"]       # X-Request-Id read by the SDK
    # a guest password does not grant control either
    with pytest.raises(ClientRequestException) as err:
        conf_token(client, password=GUEST_PW)
    assert err.value.error_code == "MMC.111072065"


@pytest.mark.parametrize("conf_id,password,code", [
    (BOARD, "990011", "MMC.111072065"),     # guest password, guests may not start it
    (BOARD, "", "MMC.111070009"),           # empty password
    ("123456789", HOST_PW, "MMC.111072065"),  # unknown meeting
])
def test_start_meeting_refused(sim, conf_id, password, code):
    client = make_client(sim, app_id_credentials())
    with pytest.raises(ClientRequestException) as err:
        start_meeting(client, conf_id=conf_id, password=password)
    assert (err.value.status_code, err.value.error_code) == (400, code)
    assert sim.meeting(BOARD)["state"] == "Schedule"


def test_control_calls_before_activation(sim):
    client = make_client(sim, app_id_credentials())
    with pytest.raises(ClientRequestException) as err:
        conf_token(client)
    assert (err.value.status_code, err.value.error_code) == (400, "MMC.111070005")
    with pytest.raises(ClientRequestException) as err:
        client.show_online_meeting_detail(ShowOnlineMeetingDetailRequest(conference_id=KEYNOTE))
    assert (err.value.status_code, err.value.error_code) == (400, "MMC.111070005")


def test_expired_control_token(sim):
    client, data = started(sim)
    token = data.token
    sim.expire_tokens("control")
    with pytest.raises(ClientRequestException) as err:
        realtime(client, token)
    assert err.value.status_code == 401
    assert err.value.error_code == "MMC.111070001"


def test_bad_app_key_fails_login(sim):
    client = make_client(sim, app_id_credentials(app_key="not-the-key"))
    with pytest.raises(ClientRequestException) as err:
        start_meeting(client)
    assert (err.value.status_code, err.value.error_code) == (401, "USG.206010025")
    assert calls_of(sim) == [("POST", "/v2/usg/acs/auth/appauth", 401)]
    assert sim.meeting(KEYNOTE)["state"] == "Schedule"


def test_multi_tenant_app_id(sim):
    credentials = (app_id_credentials(MT_APP_ID, MT_APP_KEY)
                   .with_tenant_scene_enum(TenantSceneEnum.MULTI_TENANT)
                   .with_corp_id(MT_CORP)
                   .with_user_id("alice"))
    client = make_client(sim, credentials)
    resp = start_meeting(client, password=GUEST_PW)
    assert resp.status_code == 200
    assert calls_of(sim)[0] == ("POST", "/v2/usg/acs/auth/appauth", 200)


def test_account_login(sim):
    credentials = MeetingCredentials(ACCOUNT, ACCOUNT_PASSWORD).with_auth_type_enum(
        AuthTypeEnum.ACCOUNT)
    client = make_client(sim, credentials)
    start_meeting(client)
    assert calls_of(sim) == [("POST", "/v1/usg/acs/auth/account", 200),
                             ("POST", "/v1/mmc/management/conferences/start", 200)]
    bad = make_client(sim, MeetingCredentials(ACCOUNT, "wrong").with_auth_type_enum(
        AuthTypeEnum.ACCOUNT))
    with pytest.raises(ClientRequestException) as err:
        start_meeting(bad)
    assert (err.value.status_code, err.value.error_code) == (401, "USG.206010000")


def test_verified_tls(sim):
    """The SDK verifying the simulator's certificate against its CA."""
    client = make_client(sim, app_id_credentials(), verify_with_ca=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # no InsecureRequestWarning here
        resp = start_meeting(client)
    assert resp.region_ip == "127.0.0.1"


@pytest.mark.parametrize("style", ["error_code", "errorCode", "code"])
def test_sdk_reads_every_error_body_spelling(sim, style):
    """The service contract: gateways may spell the error body three ways; the SDK reads all."""
    client = make_client(sim, app_id_credentials())
    start_meeting(client)
    sim.configure(error_style=style)
    with pytest.raises(ClientRequestException) as err:
        conf_token(client, password="000000")
    assert err.value.error_code == "MMC.111072065"
    sim.inject_fault("/v1/mmc/control/conferences/token", status=503, error_style=style,
                     error_code="SIM.BUSY", error_msg="busy")
    with pytest.raises(ServerResponseException) as err:
        conf_token(client)
    assert (err.value.status_code, err.value.error_code) == (503, "SIM.BUSY")


def test_writes_with_a_json_answer(sim):
    """The service contract: a write may answer a small JSON object instead of nothing."""
    sim.configure(write_json=True)
    client, data = started(sim)
    token = data.token
    resp = client.record(RecordRequest(conference_id=KEYNOTE, x_conference_authorization=token,
                                       body=RestSetRecordReqBody(is_record=1)))
    assert resp.status_code == 200
    assert resp.to_json_object() == {"returnCode": 0, "returnDesc": "Success"}
    assert sim.meeting(KEYNOTE)["recording"] is True


def test_broadcast_of_a_participant_not_in_the_meeting(sim):
    client, data = started(sim)
    token = data.token
    with pytest.raises(ClientRequestException) as err:
        client.broadcast_participant(BroadcastParticipantRequest(
            conference_id=KEYNOTE, participant_id=CALLING, x_conference_authorization=token))
    assert (err.value.status_code, err.value.error_code) == (400, "SIM.PARTICIPANT_NOT_ONLINE")
    assert sim.meeting(KEYNOTE)["mode"] == "FREE"


def _subscribe_frame(token, conf_id=KEYNOTE):
    data = {"conferenceID": conf_id,
            "subscribeType": ["ConfDynamicInfoNotify", "ParticipantsNotify"],
            "confToken": "Basic " + base64.b64encode(token.encode()).decode()}
    return json.dumps({"sequence": "000000000000000001702459164879", "action": "Subscribe",
                       "data": json.dumps(data)})


@pytest.mark.parametrize("source", ["create_web_socket_token", "tmp_ws_token"])
def test_the_sdks_websocket_token_opens_the_push(sim, source):
    """The tokens the SDK hands out open the channel at wsURL, once each."""
    client, data = started(sim)
    if source == "tmp_ws_token":
        ws_token = data.tmp_ws_token
    else:
        ws_token = client.create_web_socket_token(CreateWebSocketTokenRequest(
            conference_id=KEYNOTE, x_conference_authorization=data.token)).web_socket_token
    url = "%s/cms/open/websocket/confctl/increment/conn?confID=%s&tmpToken=%s" % (
        data.ws_url, KEYNOTE, ws_token)
    ws = websocket.create_connection(url, timeout=10, sslopt={"ca_certs": sim.ca_path})
    try:
        ws.send(_subscribe_frame(data.token))
        reply = json.loads(ws.recv())
        assert reply["data"] == {"returnCode": 0, "returnDesc": "SUCCESS"}
        dynamic, participants = json.loads(ws.recv()), json.loads(ws.recv())
        assert (dynamic["action"], dynamic["msgMode"], dynamic["state"]) == (
            "ConfDynamicInfoNotify", 0, "Created")
        assert [p["pid"] for p in participants["data"]] == [PRODUCER, SPEAKER, CALLING]
    finally:
        ws.close()
    # one connection per token: the second is closed at once (1008)
    again = websocket.create_connection(url, timeout=10, sslopt={"ca_certs": sim.ca_path})
    try:
        opcode, payload = again.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert int.from_bytes(payload[:2], "big") == 1008
    finally:
        again.close()


def test_websocket_token_refused(sim):
    client, data = started(sim)
    token = data.token
    with pytest.raises(ClientRequestException) as err:
        client.create_web_socket_token(CreateWebSocketTokenRequest(
            conference_id=KEYNOTE, x_conference_authorization="stb-bogus"))
    assert (err.value.status_code, err.value.error_code) == (401, "MMC.111070001")
    sim.set_meeting(KEYNOTE, state="Destroyed")
    with pytest.raises(ClientRequestException) as err:
        client.create_web_socket_token(CreateWebSocketTokenRequest(
            conference_id=KEYNOTE, x_conference_authorization=token))
    assert (err.value.status_code, err.value.error_code) == (400, "MMC.111072006")
