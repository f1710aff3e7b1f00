"""The Huawei Cloud Meeting calls of the service contract
(docs/dev/service_contract.md), as functions over the State.

Each handler takes a Request and returns an Answer; the HTTP layer (server.py)
does the rest (headers, delay, faults, rate limits, call log).  Codes and
checks follow the contract; where it is silent the simulator's own choices are
marked "own choice" and listed in README.md.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import time

# -- error codes -------------------------------------------------------------
# From the contract ("Errors" and "Answers the modules must tell apart"):
CONF_NOT_FOUND_OR_AUTH_FAILED = ("MMC.111072065", "CONF_NOT_FOUND_OR_AUTH_FAILED")
CONF_NOT_EXIST = ("MMC.111070005", "CONF_NOT_EXIST")
CONF_ENDED = ("MMC.111072006", "CONF_HAS_ENDED")
CONF_PASSWORD_EMPTY = ("MMC.111070009", "CONF_PASSWORD_IS_EMPTY")
ACCOUNT_AUTH_FAILED = ("USG.206010000", "Account or password is incorrect")
APPID_AUTH_FAILED = ("USG.206010025", "App ID authentication failed")
APPID_AUTH_EXPIRED = ("USG.206010057", "App ID authentication expired")
# Own choices (the contract only says "401, code varies" / "400"):
ACCESS_TOKEN_INVALID = "USG.201040001"
CONTROL_TOKEN_INVALID = "MMC.111070001"
INVALID_PARAMETER = "SIM.INVALID_PARAMETER"
PARTICIPANT_NOT_ONLINE = "SIM.PARTICIPANT_NOT_ONLINE"

# The small JSON object writes answer with write_json on (39 bytes, the
# Content-Length the vendor's record/live/broadcast examples show).
WRITE_JSON_BODY = {"returnCode": 0, "returnDesc": "Success"}


class Request(object):
    def __init__(self, method, path, query, headers, body, client_ip="127.0.0.1"):
        self.method = method
        self.path = path
        self.query = query          # dict: name -> last value
        self.headers = headers      # email.message.Message (case-insensitive)
        self.body = body            # bytes
        self.client_ip = client_ip

    def header(self, name):
        value = self.headers.get(name)
        return value.strip() if value is not None else None


class Answer(object):
    """status + JSON-able body (or None for an empty body) + extra headers."""

    def __init__(self, status, body=None, headers=None):
        self.status = status
        self.body = body
        self.headers = headers or {}


class ApiError(Exception):
    def __init__(self, status, code, message):
        super(ApiError, self).__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _err(status, code_msg):
    return ApiError(status, code_msg[0], code_msg[1])


def _bad(message):
    return ApiError(400, INVALID_PARAMETER, message)


def error_body(code, message, style="error_code"):
    """The error body in one of the spellings gateways use (the contract's "Errors")."""
    if style == "errorCode":
        return {"errorCode": code, "errorMsg": message}
    if style == "code":
        return {"code": code, "message": message}
    return {"error_code": code, "error_msg": message}


def _json_body(req, required=True):
    """Parse the request body as a JSON object."""
    if not req.body or not req.body.strip():
        if required:
            raise _bad("request body is missing")
        return {}
    try:
        data = json.loads(req.body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise _bad("request body is not valid JSON")
    if not isinstance(data, dict):
        raise _bad("request body must be a JSON object")
    return data


def _conference_id(req):
    conf_id = req.query.get("conferenceID")
    if not conf_id:
        raise _bad("query parameter conferenceID is missing")
    return conf_id


def _now_ms():
    return int(time.time() * 1000)


PATH_ACCOUNT_LOGIN = "/v1/usg/acs/auth/account"
PATH_APP_LOGIN = "/v2/usg/acs/auth/appauth"


def _body_field(body, name):
    """A non-empty string field of a JSON object body, or None (no errors:
    the gateway only peeks, the call itself judges the body)."""
    try:
        data = json.loads(body.decode("utf-8")) if body and body.strip() else None
    except (ValueError, UnicodeDecodeError):
        return None
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def _basic_account(header):
    """The account part of "Basic base64(account:password)", or None."""
    if not header or not header.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    account, sep, _password = decoded.partition(":")
    return account if sep and account else None


def caller_of(state, path, headers, body, client_ip):
    """Who the gateway's per-API limit counts a call against: a label for
    the call log, never a secret.

    - a login call: the account ("account:NAME") or the App ID ("app:ID")
      being logged in (the body's, else the Basic header's account);
    - a call with an X-Access-Token this simulator issued (expired too):
      the login it belongs to ("account:NAME", or "app:ID,user:U,corp:C"
      without the empty parts);
    - any other call (control-token calls, the control-token call itself,
      unknown or missing tokens): the client's address ("ip:127.0.0.1").
    """
    if path == PATH_ACCOUNT_LOGIN:
        account = (_body_field(body, "account")
                   or _basic_account((headers.get("Authorization") or "").strip()))
        if account:
            return "account:" + account
    elif path == PATH_APP_LOGIN:
        app_id = _body_field(body, "appId")
        if app_id:
            return "app:" + app_id
    token = (headers.get("X-Access-Token") or "").strip()
    login = state.access_token_caller(token) if token else None
    if login:
        return login
    return "ip:" + client_ip


class Api(object):
    """The vendor calls; `routes` maps path -> {method: handler}."""

    def __init__(self, state, ws_url=None):
        self.state = state
        self._ws_url = ws_url or (lambda: "")   # the push's base URL (server.py)
        self.routes = {
            PATH_ACCOUNT_LOGIN: {"POST": self.account_login},
            PATH_APP_LOGIN: {"POST": self.app_login},
            "/v1/mmc/management/conferences/online/confDetail": {"GET": self.conf_detail},
            "/v1/mmc/management/conferences/start": {"POST": self.start},
            "/v1/mmc/control/conferences/token": {"GET": self.conf_token},
            "/v1/mmc/control/conferences/realTimeInfo": {"GET": self.realtime_info},
            "/v1/mmc/control/conferences/record": {"PUT": self.record},
            "/v1/mmc/control/conferences/live": {"PUT": self.live},
            "/v1/mmc/control/conferences/participants/broadcast": {"PUT": self.broadcast},
            "/v1/mmc/control/conferences/cancelBroadcast": {"PUT": self.cancel_broadcast},
            "/v1/mmc/control/conferences/wsToken": {"GET": self.ws_token},
        }
        # The management calls (meeting details, meeting lists): management.py.
        from hwmeeting_sim.management import Management
        self.routes.update(Management(self).routes)

    # -- helpers -----------------------------------------------------------

    def _login_answer(self, req, subject):
        token, ttl = self.state.issue_access_token(subject)
        now = _now_ms()
        valid = int(-(-ttl // 1))   # whole seconds, rounded up (ttl may be a float)
        return Answer(200, {
            "accessToken": token,
            "tokenIp": req.client_ip,
            "validPeriod": valid,
            "expireTime": now + int(ttl * 1000),
            "createTime": now,
            "user": subject,
            "clientType": 72,
            "firstLogin": False,
            "pwdExpired": False,
            "delayDelete": False,
            "tokenType": 0,
        })

    def _need_access_token(self, req):
        result = self.state.check_access_token(req.header("X-Access-Token"))
        if isinstance(result, str):
            raise ApiError(401, ACCESS_TOKEN_INVALID,
                           "X-Access-Token is %s" % {"missing": "missing",
                                                     "invalid": "invalid",
                                                     "expired": "expired"}[result])
        return result

    def _need_control_token(self, req, conf_id):
        """A valid, unexpired control token issued for THIS meeting."""
        result = self.state.check_control_token(req.header("X-Conference-Authorization"))
        if isinstance(result, str):
            raise ApiError(401, CONTROL_TOKEN_INVALID,
                           "X-Conference-Authorization is %s" % result)
        if result["conference_id"] != conf_id:
            raise ApiError(401, CONTROL_TOKEN_INVALID,
                           "X-Conference-Authorization was issued for another meeting")
        return result

    def _meeting(self, conf_id):
        """The live meeting dict (caller holds the lock), or None."""
        return self.state.meetings.get(conf_id)

    @staticmethod
    def _need_in_progress(meeting):
        if meeting is None:
            raise _err(400, CONF_NOT_EXIST)
        if meeting["state"] == "Destroyed":
            raise _err(400, CONF_ENDED)
        if meeting["state"] != "Created":
            raise _err(400, CONF_NOT_EXIST)

    def _write_answer(self):
        if self.state.settings["write_json"]:
            return Answer(200, dict(WRITE_JSON_BODY))
        return Answer(200, None)

    # -- login -------------------------------------------------------------

    def account_login(self, req):
        data = _json_body(req)
        auth = req.header("Authorization") or ""
        if not auth.startswith("Basic "):
            raise _err(401, ACCOUNT_AUTH_FAILED)
        try:
            decoded = base64.b64decode(auth[6:].strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise _err(401, ACCOUNT_AUTH_FAILED)
        account, sep, password = decoded.partition(":")
        if not isinstance(data.get("account"), str) or not data.get("account"):
            raise _bad("account is missing from the body")
        known = self.state.accounts.get(account)
        if (not sep or known is None or data["account"] != account
                or not hmac.compare_digest(known["password"].encode("utf-8"),
                                           password.encode("utf-8"))):
            raise _err(401, ACCOUNT_AUTH_FAILED)
        return self._login_answer(req, {"userId": account, "name": account,
                                        "userAccount": account, "corpId": ""})

    def app_login(self, req):
        data = _json_body(req)
        app_id = data.get("appId")
        if not isinstance(app_id, str) or not app_id:
            raise _bad("appId is missing from the body")
        # The SDK sends null for unset userId/corpId (and a deptCode): null is "".
        user_id = data.get("userId") or ""
        corp_id = data.get("corpId") or ""
        if not isinstance(user_id, str) or not isinstance(corp_id, str):
            raise _bad("userId and corpId must be strings")
        expire_time = data.get("expireTime")
        if isinstance(expire_time, str) and expire_time.isdigit():
            expire_time = int(expire_time)
        if isinstance(expire_time, bool) or not isinstance(expire_time, int):
            raise _bad("expireTime must be a Unix time in seconds")
        nonce = data.get("nonce")
        if not isinstance(nonce, str) or not 32 <= len(nonce) <= 64:
            raise _bad("nonce must be a string of 32 to 64 characters")

        # Authorization: HMAC-SHA256 signature=<HEX>,access=<base64(appId)>
        auth = req.header("Authorization") or ""
        scheme, _space, params = auth.partition(" ")
        if scheme != "HMAC-SHA256":
            raise _err(401, APPID_AUTH_FAILED)
        parts = {}
        for item in params.split(","):
            key, _equals, value = item.strip().partition("=")
            parts[key] = value
        try:
            access = base64.b64decode(parts.get("access", ""), validate=True).decode("utf-8")
        except (binascii.Error, ValueError):
            raise _err(401, APPID_AUTH_FAILED)
        app = self.state.apps.get(app_id)
        if app is None or access != app_id:
            raise _err(401, APPID_AUTH_FAILED)
        if corp_id and app["corp_id"] and corp_id != app["corp_id"]:
            raise _err(401, APPID_AUTH_FAILED)
        # Multi-tenant (non-empty corpId) signs "appId:corpId:userId:expireTime:nonce".
        fields = [app_id, corp_id, user_id] if corp_id else [app_id, user_id]
        message = ":".join(fields + [str(expire_time), nonce])
        expected = hmac.new(app["app_key"].encode("utf-8"), message.encode("utf-8"),
                            hashlib.sha256).hexdigest().upper()
        # Compared exactly: the contract says upper-case hex, so lower case is wrong.
        if not hmac.compare_digest(expected, parts.get("signature", "")):
            raise _err(401, APPID_AUTH_FAILED)
        # Checked only after the signature: until then expireTime is not trusted.
        if expire_time <= int(time.time()):
            raise _err(401, APPID_AUTH_EXPIRED)
        return self._login_answer(req, {"userId": user_id or app["user_id"],
                                        "name": user_id or app["user_id"] or app_id,
                                        "appId": app_id, "corpId": corp_id})

    # -- management (X-Access-Token) ---------------------------------------

    def conf_detail(self, req):
        self._need_access_token(req)
        conf_id = _conference_id(req)
        offset = self._int_query(req, "offset", 0)
        limit = self._int_query(req, "limit", 20)
        with self.state.lock:
            meeting = self._meeting(conf_id)
            self._need_in_progress(meeting)
            online = [{
                "participantID": p["pid"],
                "name": p["name"],
                "subscriberID": p["phone"],
                "role": 1 if p["pid"] == meeting["chair_id"] else 0,
                "state": "MEETTING",   # sic: the SDK documents this spelling
                "attendeeType": "normal",
                "accountId": "",
            } for p in meeting["participants"]]
            return Answer(200, {
                "conferenceData": {
                    "conferenceID": meeting["id"],
                    "subject": meeting["subject"],
                    "conferenceState": meeting["state"],
                    "size": len(meeting["attendees"]),
                    "mediaTypes": "Voice,Video,Data",
                    "conferenceType": 0,
                    "isAutoRecord": 0,
                    "language": "en-US",
                },
                "data": {"offset": offset, "limit": limit, "count": len(online),
                         "data": online[offset:offset + limit]},
            })

    @staticmethod
    def _int_query(req, name, default):
        value = req.query.get(name)
        if value is None or value == "":
            return default
        if not value.isdigit():
            raise _bad("query parameter %s must be a non-negative integer" % name)
        return int(value)

    def start(self, req):
        self._need_access_token(req)
        data = _json_body(req)
        conf_id = data.get("conferenceID")
        if not isinstance(conf_id, str) or not conf_id:
            raise _bad("conferenceID is missing from the body")
        password = data.get("password")
        if not password:
            raise _err(400, CONF_PASSWORD_EMPTY)
        if not isinstance(password, str):
            raise _bad("password must be a string")
        with self.state.lock:
            meeting = self._meeting(conf_id)
            if meeting is None:
                raise _err(400, CONF_NOT_FOUND_OR_AUTH_FAILED)
            host_ok = password == meeting["host_password"]
            guest_ok = (meeting["allow_guest_start"] and meeting["guest_password"]
                        and password == meeting["guest_password"])
            if not (host_ok or guest_ok):
                raise _err(400, CONF_NOT_FOUND_OR_AUTH_FAILED)
            if meeting["state"] == "Destroyed":
                raise _err(400, CONF_ENDED)
            meeting["state"] = "Created"      # idempotent when already Created
            self.state.changed(conf_id)
        return Answer(200, {"uuid": "stb" + secrets.token_hex(24),
                            "regionIP": "127.0.0.1"})

    # -- the control token ---------------------------------------------------

    def conf_token(self, req):
        conf_id = _conference_id(req)
        # Own choice: X-Login-Type must be 1 (host password), as the contract says.
        if req.header("X-Login-Type") != "1":
            raise _bad("X-Login-Type must be 1")
        password = req.header("X-Password") or ""
        with self.state.lock:
            meeting = self._meeting(conf_id)
            # Only the host password grants control; an empty one is wrong too.
            if (meeting is None or not password
                    or password != meeting["host_password"]):
                raise _err(400, CONF_NOT_FOUND_OR_AUTH_FAILED)
            self._need_in_progress(meeting)
            token, ttl, expires = self.state.issue_control_token(conf_id)
            ws_token = self.state.issue_ws_token(conf_id)
        return Answer(200, {"data": {
            "token": token,
            "tmpWsToken": ws_token,          # a WebSocket token too (one use)
            "wsURL": self._ws_url(),         # the push server: scheme://host:port
            "expireTime": int(expires * 1000),
            "confTokenExpireTime": int(-(-ttl // 1)),
            "role": 1,
            "participantID": "",
            "userID": "",
            "orgID": "",
            "vmrCurrentConfID": "",
            "supportNotifyType": [],
        }})

    # -- control calls (X-Conference-Authorization) ---------------------------

    def _control(self, req):
        """Token for this meeting, then the meeting must be in progress.

        Returns the live meeting dict; the caller must hold state.lock.
        """
        conf_id = _conference_id(req)
        self._need_control_token(req, conf_id)
        meeting = self._meeting(conf_id)
        self._need_in_progress(meeting)
        return meeting

    def realtime_info(self, req):
        with self.state.lock:
            meeting = self._control(req)
            # As the vendor documents confInfo: chairID and coHosts only.
            conf_info = {
                "chairID": meeting["chair_id"],
                "coHosts": list(meeting["co_hosts"]),
            }
            if self.state.settings["confinfo_state"]:   # a deployment that reports state
                conf_info.update({
                    "state": meeting["state"],
                    "recState": 1 if meeting["recording"] else 0,
                    "liveState": 1 if meeting["live"] else 0,
                    "mode": meeting["mode"],
                    "broadcastPid": meeting["broadcast_pid"],
                })
            omit = set(self.state.settings["omit_fields"]) | set(meeting["omit_fields"])
            for name in omit:
                conf_info.pop(name, None)
            return Answer(200, {
                "attendees": [{"accountID": a["account_id"], "userUUID": a["user_uuid"],
                               "name": a["name"], "phone": a["phone"]}
                              for a in meeting["attendees"]],
                # as the vendor documents them: the camera is the push's only
                "participants": [{k: v for k, v in p.items() if k != "camera"}
                                 for p in meeting["participants"]],
                "confInfo": conf_info,
            })

    @staticmethod
    def _switch(data, name):
        value = data.get(name)
        if isinstance(value, bool) or value not in (0, 1):
            raise _bad("%s must be 0 or 1" % name)
        return value == 1

    # Writes check under the lock, then change the meeting through
    # state.change_meeting (outside the lock): now, or state_change_delay later.

    def record(self, req):
        with self.state.lock:
            meeting = self._control(req)
            on = self._switch(_json_body(req), "isRecord")
        self.state.change_meeting(meeting["id"], {"recording": on})
        return self._write_answer()

    def live(self, req):
        with self.state.lock:
            meeting = self._control(req)
            on = self._switch(_json_body(req), "isLive")
        self.state.change_meeting(meeting["id"], {"live": on})
        return self._write_answer()

    def broadcast(self, req):
        with self.state.lock:
            meeting = self._control(req)
            pid = req.query.get("participantID")
            if not pid:
                raise _bad("query parameter participantID is missing")
            online = [p for p in meeting["participants"]
                      if p["pid"] == pid and p["state"] == 0]
            if not online:
                raise ApiError(400, PARTICIPANT_NOT_ONLINE,
                               "participant %s is not in the meeting" % pid)
        # One participant at a time: broadcasting another replaces it.
        self.state.change_meeting(meeting["id"], {"mode": "BROADCAST", "broadcast_pid": pid})
        return self._write_answer()

    def cancel_broadcast(self, req):
        with self.state.lock:
            meeting = self._control(req)
        self.state.change_meeting(meeting["id"], {"mode": "FREE", "broadcast_pid": ""})
        return self._write_answer()

    # -- the meeting-status push's token -------------------------------------------

    def ws_token(self, req):
        """GET wsToken: checks as realTimeInfo; a token for one connection."""
        with self.state.lock:
            meeting = self._control(req)
            token = self.state.issue_ws_token(meeting["id"])
        return Answer(200, {"webSocketToken": token})
