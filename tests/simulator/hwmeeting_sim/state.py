"""The simulator's mutable world: meetings, accounts, tokens, faults, the call
log, the gateway's rate-limit windows and the runtime settings.

Everything here is plain Python guarded by one re-entrant lock, so the HTTP
layer (many handler threads), the in-process API and the admin endpoints can
all touch it safely.  Nothing in this module knows about HTTP.
"""

import collections
import copy
import datetime
import decimal
import json
import math
import os
import random
import re
import secrets
import threading
import time

from . import changes as changes_mod

MEETING_STATES = ("Schedule", "Created", "Destroyed")
MODES = ("FREE", "FIXED", "ROLLCALL", "BROADCAST")

# confInfo fields of realTimeInfo (the service contract's "The realtime state contract").
# omit_fields may name any of them.
CONF_INFO_FIELDS = ("chairID", "coHosts", "state", "recState", "liveState",
                    "mode", "broadcastPid")

ERROR_STYLES = ("error_code", "errorCode", "code")

TOKEN_KINDS = ("access", "control", "ws", "all")

DEFAULT_ACCESS_TOKEN_TTL = 43200.0
DEFAULT_CONF_TOKEN_TTL = 1800.0
DEFAULT_WS_TOKEN_TTL = 60.0              # the vendor: "valid for one minute"
DEFAULT_PUSH_HEARTBEAT_TIMEOUT = 180.0   # the vendor: "at least one every 180 s"

# The WebSocket of the meeting-status push (push.py); faults may name it.
PUSH_PATH = "/cms/open/websocket/confctl/increment/conn"
PUSH_FAULTS = ("close", "no_full", "garbage")
# How the push spells its Subscribe reply: `data` an object (default), a JSON
# string of it, the object with the vendor example's "returnDesc " key, or
# no reply at all.
PUSH_SUBSCRIBE_REPLIES = ("object", "string", "space", "none")
# ParticipantsNotify's `data`: a list (default) or a JSON string of it.
PUSH_PARTICIPANTS_DATA = ("list", "string")

DEFAULT_API_RATE_WINDOW = 60.0          # the vendor's gateway: "limit:100,time:1 minute"

# Runtime settings and their defaults.  `configure()` accepts exactly these.
DEFAULT_SETTINGS = {
    "delay": 0.0,                    # seconds slept before answering any API call
    # -- the gateway's rate limits (X-APIG-Ratelimit-Api / -Api-Allenv) --
    "api_rate_limit": None,          # calls of one API per caller per window; None/0 = off
    "api_rate_window": DEFAULT_API_RATE_WINDOW,   # seconds, the per-API window
    "rate_limit": None,              # API calls of all callers per sliding second; None/0 = off
    "rate_limit_retry_after": False,  # send Retry-After with the gateway's 429s
    "access_token_ttl": DEFAULT_ACCESS_TOKEN_TTL,
    "conf_token_ttl": DEFAULT_CONF_TOKEN_TTL,
    "omit_fields": [],               # confInfo fields realTimeInfo leaves out
    "write_json": False,             # writes answer a small JSON object, not ""
    "error_style": "error_code",     # spelling of every error body
    # -- the meeting-status push (push.py) --
    "confinfo_state": False,         # realTimeInfo's confInfo also carries state fields
    "state_change_delay": 0.0,       # seconds between a write's answer and its effect
    "ws_token_ttl": DEFAULT_WS_TOKEN_TTL,
    "push_heartbeat_timeout": DEFAULT_PUSH_HEARTBEAT_TIMEOUT,
    "push_subscribe_reply": "object",   # one of PUSH_SUBSCRIBE_REPLIES
    "push_participants_data": "list",   # one of PUSH_PARTICIPANTS_DATA
    # -- faults over time (the fault modes of an event morning) --
    # [low, high] or None: every access and control token issued from then on
    # dies after a random lifetime in that range (seconds), while its answer
    # still states access_token_ttl / conf_token_ttl: a service that revokes
    # tokens early, unannounced.
    "token_expiry_range": None,
    # seconds or None/0 (off): the push server closes every open channel
    # (1001 "push server restarting") every this many seconds
    "push_drop_interval": None,
}

# Shown while a rate limit is off: a gateway always sends its headers, and a
# client must be able to parse them either way.  Calls are still counted, so
# `remain` counts down; the limit is never enforced.
NOMINAL_RATE_LIMIT = 1000                # X-APIG-Ratelimit-Api-Allenv, per second
NOMINAL_API_RATE_LIMIT = 1000000         # X-APIG-Ratelimit-Api, per api_rate_window

# The gateway's names for its windows (the "time:" of its headers); any other
# length is "<seconds> second".
_WINDOW_NAMES = {1.0: "1 second", 60.0: "1 minute", 3600.0: "1 hour"}

# Fields of the management calls (meeting details and the meeting lists):
# who scheduled the meeting, and when it starts and ends.
MANAGEMENT_MEETING_FIELDS = ("owner", "start_time", "end_time")

MEETING_FIELDS = ("subject", "host_password", "guest_password",
                  "allow_guest_start", "state", "recording", "live", "mode",
                  "broadcast_pid", "chair_id", "co_hosts", "participants",
                  "attendees", "omit_fields") + MANAGEMENT_MEETING_FIELDS

DEFAULT_MEETING_LENGTH = 3600.0   # seconds, when a meeting names no end_time


class ConfigError(ValueError):
    """A meetings file, a meeting update or a setting is invalid."""


# --------------------------------------------------------------------------
# Loading and validating the meetings file
# --------------------------------------------------------------------------

def load_config_file(path):
    """Read a meetings file; YAML or JSON is chosen by the extension."""
    path = os.fspath(path)
    with open(path, "r", encoding="utf-8") as handle:
        text = handle.read()
    if path.lower().endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError("%s: not valid JSON: %s" % (path, exc))
    elif path.lower().endswith((".yml", ".yaml")):
        import yaml  # only needed for YAML files
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError("%s: not valid YAML: %s" % (path, exc))
    else:
        raise ConfigError("%s: the meetings file must end in .yml, .yaml or .json"
                          % path)
    if not isinstance(data, dict):
        raise ConfigError("%s: the top level must be a mapping" % path)
    return data


def _want_str(value, what, allow_empty=True):
    if value is None:
        value = ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigError("%s must be a string, not %r" % (what, value))
    value = str(value)
    if not allow_empty and not value:
        raise ConfigError("%s must not be empty" % what)
    return value


def _want_bool(value, what):
    if not isinstance(value, bool):
        raise ConfigError("%s must be true or false, not %r" % (what, value))
    return value


def _want_int(value, what):
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError("%s must be an integer, not %r" % (what, value))
    return value


def _want_list(value, what):
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError("%s must be a list, not %r" % (what, value))
    return value


def normalize_omit_fields(value, what="omit_fields"):
    fields = _want_list(value, what)
    for name in fields:
        if name not in CONF_INFO_FIELDS:
            raise ConfigError("%s: unknown confInfo field %r (known: %s)"
                              % (what, name, ", ".join(CONF_INFO_FIELDS)))
    return list(dict.fromkeys(fields))


def normalize_participant(raw, what):
    if not isinstance(raw, dict):
        raise ConfigError("%s must be a mapping" % what)
    unknown = set(raw) - {"pid", "name", "phone", "state", "video", "mute", "hand", "camera"}
    if unknown:
        raise ConfigError("%s: unknown keys %s" % (what, sorted(unknown)))
    video = _want_int(raw.get("video", 1), what + ".video")
    camera = raw.get("camera")
    return {
        "pid": _want_str(raw.get("pid"), what + ".pid", allow_empty=False),
        "name": _want_str(raw.get("name", ""), what + ".name"),
        "phone": _want_str(raw.get("phone", ""), what + ".phone"),
        "state": _want_int(raw.get("state", 0), what + ".state"),
        "video": video,
        "mute": _want_int(raw.get("mute", 0), what + ".mute"),
        "hand": _want_int(raw.get("hand", 0), what + ".hand"),
        # the push's pinfoMap CAMERASTATE (camera on/off); as video when not given
        "camera": bool(video) if camera is None else _want_bool(camera, what + ".camera"),
    }


def normalize_attendee(raw, what):
    if not isinstance(raw, dict):
        raise ConfigError("%s must be a mapping" % what)
    unknown = set(raw) - {"account_id", "user_uuid", "name", "phone"}
    if unknown:
        raise ConfigError("%s: unknown keys %s" % (what, sorted(unknown)))
    return {
        "account_id": _want_str(raw.get("account_id", ""), what + ".account_id"),
        "user_uuid": _want_str(raw.get("user_uuid", ""), what + ".user_uuid"),
        "name": _want_str(raw.get("name", ""), what + ".name"),
        "phone": _want_str(raw.get("phone", ""), what + ".phone"),
    }


# -- management fields: owner, start_time, end_time ---------------------------

# "YYYY-MM-DD HH:MM" (UTC, the vendor's format), or a time relative to when
# the meetings file is loaded: "now", "now+2h", "now-30m", "now+1d".
_RELATIVE_TIME = re.compile(r"now(?:([+-])(\d+)([mhd]))?\Z")
_UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400}
TIME_FORMAT = "%Y-%m-%d %H:%M"


def parse_meeting_time(value, what, now=None):
    """A meeting time from the meetings file, as a Unix time in seconds."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ConfigError("%s must be \"YYYY-MM-DD HH:MM\" (UTC), \"now\", \"now+2h\" "
                          "or a Unix time, not %r" % (what, value))
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip()
    relative = _RELATIVE_TIME.match(text)
    if relative:
        base = time.time() if now is None else now
        if not relative.group(1):
            return float(int(base) // 60 * 60)
        offset = int(relative.group(2)) * _UNIT_SECONDS[relative.group(3)]
        return float(int(base) // 60 * 60 + (offset if relative.group(1) == "+" else -offset))
    try:
        moment = datetime.datetime.strptime(text, TIME_FORMAT)
    except ValueError:
        raise ConfigError("%s must be \"YYYY-MM-DD HH:MM\" (UTC), \"now\", \"now+2h\" "
                          "or a Unix time, not %r" % (what, value))
    return moment.replace(tzinfo=datetime.timezone.utc).timestamp()


def format_meeting_time(seconds):
    """The vendor's time format: "YYYY-MM-DD HH:MM", UTC."""
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(TIME_FORMAT)


def _normalize_management_field(key, value, where):
    if key == "owner":
        return _want_str(value, where)
    return parse_meeting_time(value, where)


def normalize_meeting_fields(fields, what):
    """Validate a (partial) set of meeting fields; return a normalized copy."""
    out = {}
    for key, value in fields.items():
        where = "%s.%s" % (what, key)
        if key not in MEETING_FIELDS:
            raise ConfigError("%s: unknown meeting field (known: id, %s)"
                              % (where, ", ".join(MEETING_FIELDS)))
        if key in ("subject", "host_password", "guest_password", "broadcast_pid",
                   "chair_id"):
            out[key] = _want_str(value, where)
        elif key in ("allow_guest_start", "recording", "live"):
            out[key] = _want_bool(value, where)
        elif key == "state":
            if value not in MEETING_STATES:
                raise ConfigError("%s must be one of %s, not %r"
                                  % (where, ", ".join(MEETING_STATES), value))
            out[key] = value
        elif key == "mode":
            if value not in MODES:
                raise ConfigError("%s must be one of %s, not %r"
                                  % (where, ", ".join(MODES), value))
            out[key] = value
        elif key == "co_hosts":
            out[key] = [_want_str(v, where) for v in _want_list(value, where)]
        elif key == "participants":
            out[key] = [normalize_participant(p, "%s[%d]" % (where, i))
                        for i, p in enumerate(_want_list(value, where))]
        elif key == "attendees":
            out[key] = [normalize_attendee(a, "%s[%d]" % (where, i))
                        for i, a in enumerate(_want_list(value, where))]
        elif key == "omit_fields":
            out[key] = normalize_omit_fields(value, where)
        elif key in MANAGEMENT_MEETING_FIELDS:
            out[key] = _normalize_management_field(key, value, where)
    return out


def new_meeting(raw, what):
    if not isinstance(raw, dict):
        raise ConfigError("%s must be a mapping" % what)
    meeting_id = _want_str(raw.get("id"), what + ".id", allow_empty=False)
    if not meeting_id.isdigit():
        raise ConfigError("%s.id must be digits, not %r" % (what, meeting_id))
    meeting = {
        "id": meeting_id,
        "subject": "",
        "host_password": "",
        "guest_password": "",
        "allow_guest_start": False,
        "state": "Schedule",
        "recording": False,
        "live": False,
        "mode": "FREE",
        "broadcast_pid": "",
        "chair_id": "",
        "co_hosts": [],
        "participants": [],
        "attendees": [],
        "omit_fields": [],
        # management fields: no owner means only an admin login may read
        # the meeting's details; it starts when loaded and lasts an hour
        "owner": "",
        "start_time": parse_meeting_time("now", what),
        "end_time": None,
    }
    meeting.update(normalize_meeting_fields(
        {k: v for k, v in raw.items() if k != "id"}, "%s(%s)" % (what, meeting_id)))
    if not meeting["host_password"]:
        raise ConfigError("%s(%s).host_password must be set" % (what, meeting_id))
    if meeting["end_time"] is None:
        meeting["end_time"] = meeting["start_time"] + DEFAULT_MEETING_LENGTH
    if meeting["end_time"] < meeting["start_time"]:
        raise ConfigError("%s(%s).end_time must not be before start_time" % (what, meeting_id))
    return meeting


def parse_config(data):
    """Turn the meetings-file mapping into (accounts, apps, meetings)."""
    if not isinstance(data, dict):
        raise ConfigError("the configuration must be a mapping")
    unknown = set(data) - {"accounts", "apps", "meetings"}
    if unknown:
        raise ConfigError("unknown top-level keys %s" % sorted(unknown))

    accounts = {}
    for i, raw in enumerate(_want_list(data.get("accounts"), "accounts")):
        what = "accounts[%d]" % i
        if not isinstance(raw, dict):
            raise ConfigError("%s must be a mapping" % what)
        name = _want_str(raw.get("account"), what + ".account", allow_empty=False)
        accounts[name] = {
            "account": name,
            "password": _want_str(raw.get("password"), what + ".password",
                                  allow_empty=False),
            # an admin of the enterprise reads every meeting's details
            "admin": _want_bool(raw.get("admin", False), what + ".admin"),
        }

    apps = {}
    for i, raw in enumerate(_want_list(data.get("apps"), "apps")):
        what = "apps[%d]" % i
        if not isinstance(raw, dict):
            raise ConfigError("%s must be a mapping" % what)
        app_id = _want_str(raw.get("app_id"), what + ".app_id", allow_empty=False)
        apps[app_id] = {
            "app_id": app_id,
            "app_key": _want_str(raw.get("app_key"), what + ".app_key",
                                 allow_empty=False),
            "user_id": _want_str(raw.get("user_id", ""), what + ".user_id"),
            "corp_id": _want_str(raw.get("corp_id", ""), what + ".corp_id"),
            "admin": _want_bool(raw.get("admin", False), what + ".admin"),
        }

    meetings = collections.OrderedDict()
    for i, raw in enumerate(_want_list(data.get("meetings"), "meetings")):
        meeting = new_meeting(raw, "meetings[%d]" % i)
        if meeting["id"] in meetings:
            raise ConfigError("meeting %s is defined twice" % meeting["id"])
        meetings[meeting["id"]] = meeting
    return accounts, apps, meetings


def normalize_settings(updates, current=None):
    """Validate runtime settings; return the merged settings dict."""
    settings = dict(current if current is not None else DEFAULT_SETTINGS)
    for key, value in updates.items():
        if key not in DEFAULT_SETTINGS:
            raise ConfigError("unknown setting %r (known: %s)"
                              % (key, ", ".join(sorted(DEFAULT_SETTINGS))))
        if key == "delay":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError("delay must be a number of seconds >= 0")
            value = float(value)
        elif key in ("rate_limit", "api_rate_limit"):
            if value in (None, 0):
                value = None
            elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ConfigError("%s must be a positive integer, 0 or null" % key)
        elif key == "api_rate_window":
            if (isinstance(value, bool) or not isinstance(value, (int, float))
                    or not math.isfinite(value) or value <= 0):
                raise ConfigError("api_rate_window must be a number of seconds > 0")
            value = float(value)
        elif key in ("access_token_ttl", "conf_token_ttl", "ws_token_ttl",
                     "push_heartbeat_timeout"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigError("%s must be a number of seconds > 0" % key)
            value = float(value)
        elif key == "omit_fields":
            value = normalize_omit_fields(value)
        elif key == "token_expiry_range":
            value = _expiry_range(value)
        elif key == "push_drop_interval":
            if value in (None, 0):
                value = None
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ConfigError("push_drop_interval must be a number of seconds > 0, 0 or null")
            else:
                value = float(value)
        elif key == "state_change_delay":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ConfigError("state_change_delay must be a number of seconds >= 0")
            value = float(value)
        elif key in ("write_json", "rate_limit_retry_after", "confinfo_state"):
            value = _want_bool(value, key)
        elif key == "error_style":
            if value not in ERROR_STYLES:
                raise ConfigError("error_style must be one of %s" % ", ".join(ERROR_STYLES))
        elif key in ("push_subscribe_reply", "push_participants_data"):
            choices = (PUSH_SUBSCRIBE_REPLIES if key == "push_subscribe_reply"
                       else PUSH_PARTICIPANTS_DATA)
            if not isinstance(value, str) or value not in choices:
                raise ConfigError("%s must be one of %s, not %r"
                                  % (key, ", ".join(choices), value))
        settings[key] = value
    return settings


def _expiry_range(value):
    """token_expiry_range: None, or [low, high] seconds, 0 < low <= high."""
    if value is None:
        return None
    if (not isinstance(value, (list, tuple)) or len(value) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in value)
            or not 0 < value[0] <= value[1]):
        raise ConfigError("token_expiry_range must be null or [low, high] seconds, 0 < low <= high")
    return [float(value[0]), float(value[1])]


# --------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------

def make_fault(path, count=1, method=None, status=None, error_style="error_code",
               error_code=None, error_msg=None, body=None, content_type=None,
               delay=None, drop=False, broken_body=False, retry_after=None, push=None):
    """Validate a fault description; return it as a plain dict.

    A fault replaces the answer to the next `count` calls of `path` (and
    `method`, when given).  It may combine a `delay` (sleep first) with one
    answer: `drop`, `broken_body`, `status` (+ `error_style`, `error_code`,
    `error_msg`, or a raw `body`), or `retry_after`.  A delay on its own
    answers normally after sleeping.
    """
    if not isinstance(path, str) or not path.startswith("/"):
        raise ConfigError("fault path must start with '/'")
    if path.startswith("/_sim/"):
        raise ConfigError("faults cannot target the admin interface")
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ConfigError("fault count must be an integer >= 1")
    if method is not None:
        if not isinstance(method, str) or not method:
            raise ConfigError("fault method must be an HTTP method name")
        method = method.upper()
    if status is not None:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
            raise ConfigError("fault status must be an HTTP status code")
    if error_style not in ERROR_STYLES:
        raise ConfigError("error_style must be one of %s" % ", ".join(ERROR_STYLES))
    if body is not None and not isinstance(body, str):
        raise ConfigError("fault body must be a string (use \"\" for an empty body)")
    if delay is not None:
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise ConfigError("fault delay must be a number of seconds >= 0")
        delay = float(delay)
    drop = _want_bool(drop, "drop")
    broken_body = _want_bool(broken_body, "broken_body")
    if retry_after is not None:
        retry_after = str(retry_after)

    if push is not None:
        if push not in PUSH_FAULTS:
            raise ConfigError("fault push must be one of %s" % ", ".join(PUSH_FAULTS))
        if path != PUSH_PATH:
            raise ConfigError("a push fault applies to %s only" % PUSH_PATH)

    answers = [drop, broken_body, status is not None or body is not None
               or retry_after is not None, push is not None]
    if sum(bool(a) for a in answers) > 1:
        raise ConfigError("a fault answers one way: choose drop, broken_body, "
                          "status/body/retry_after or push")
    if not any(answers) and delay is None:
        raise ConfigError("a fault needs status, body, retry_after, delay, drop, "
                          "broken_body or push")
    if status is None and retry_after is not None and body is None:
        status = 429     # Retry-After alone: the gateway's "come back later"
    elif status is None and body is not None:
        status = 200     # a raw body alone: e.g. a proxy's HTML page with 200

    return {
        "path": path, "count": count, "method": method, "status": status,
        "error_style": error_style, "error_code": error_code,
        "error_msg": error_msg, "body": body, "content_type": content_type,
        "delay": delay, "drop": drop, "broken_body": broken_body,
        "retry_after": retry_after, "push": push,
    }


def make_outage(duration, start=0.0, status=503, error_code=None, error_msg=None,
                push=False, now=None):
    """Validate an outage; return it as a plain dict with absolute times.

    From `start` seconds after `now` and for `duration` seconds, every call
    of the gateway's REST paths (and the push's upgrade too, with `push`)
    answers `status` with an error body in the simulator's error_style.
    """
    for name, value, least in (("duration", duration, 0.0), ("start", start, 0.0)):
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not math.isfinite(value) or value < least or (name == "duration" and value == 0)):
            raise ConfigError("outage %s must be a number of seconds %s 0"
                              % (name, ">" if name == "duration" else ">="))
    if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
        raise ConfigError("outage status must be an HTTP status code of 400 to 599")
    now = time.time() if now is None else now
    return {"starts": now + float(start), "ends": now + float(start) + float(duration),
            "status": status, "error_code": error_code or "SIM.OUTAGE.%d" % status,
            "error_msg": error_msg or "injected outage: HTTP %d" % status,
            "push": _want_bool(push, "push")}


# --------------------------------------------------------------------------
# The state itself
# --------------------------------------------------------------------------

def format_window(seconds):
    """A rate-limit window as the gateway's headers name it: 60 -> "1 minute",
    1 -> "1 second", 3600 -> "1 hour", otherwise "<seconds> second" ("5 second",
    "2.5 second"), the number in plain decimal notation (never "1e-05")."""
    seconds = float(seconds)
    if seconds in _WINDOW_NAMES:
        return _WINDOW_NAMES[seconds]
    if seconds.is_integer():
        return "%d second" % int(seconds)
    return "%s second" % format(decimal.Decimal(repr(seconds)), "f")


def throttled_message(limit, time_text):
    """The error_msg of the gateway's APIG.0308 answer."""
    return ("The throttling threshold has been reached: policy user over ratelimit,"
            "limit:%d,time:%s" % (limit, time_text))


def _login_caller(subject):
    """The rate-limit caller of an access token: the login it belongs to."""
    if subject.get("appId"):
        parts = ["app:" + subject["appId"]]
        if subject.get("userId"):
            parts.append("user:" + subject["userId"])
        if subject.get("corpId"):
            parts.append("corp:" + subject["corpId"])
        return ",".join(parts)
    return "account:" + subject.get("userAccount", "")


def _new_token():
    # Looks like the vendor's ("stb" + random); 48 hex chars of randomness so
    # a leak test can grep for it without false positives.
    return "stb" + secrets.token_hex(24)


class State(object):
    """All mutable simulator state, behind one lock."""

    def __init__(self, config_data, settings=None):
        self.lock = threading.RLock()
        self._config_data = copy.deepcopy(config_data)
        self._initial_settings = normalize_settings(settings or {})
        # every token value ever issued; kept across reset() on purpose, so a
        # leak test still sees tokens handed out before a reset
        self._issued = []
        self.listeners = []            # called with a meeting ID after it changed (push.py)
        self.changes = changes_mod.DeferredChanges(self)
        self.reset()

    # -- lifecycle ---------------------------------------------------------

    def reset(self):
        """Back to the loaded meetings file and the start-up settings."""
        accounts, apps, meetings = parse_config(copy.deepcopy(self._config_data))
        with self.lock:
            self.accounts = accounts
            self.apps = apps
            self.meetings = meetings
            self.settings = dict(self._initial_settings)
            self.access_tokens = {}    # token -> {"expires": t, "subject": ...}
            self.control_tokens = {}   # token -> {"expires": t, "conference_id": id}
            self.faults = []
            self.outages = []          # make_outage(): time-bounded, every REST call
            self.calls = []
            self.rate_window = collections.deque()   # admitted calls, all callers, 1 s
            self.api_windows = {}      # (api, caller) -> deque of admitted calls
            self.ws_tokens = {}        # token -> {"expires", "conference_id", "used"}
        self.changes.cancel_all()      # writes still waiting for state_change_delay

    # -- settings ----------------------------------------------------------

    def configure(self, **updates):
        with self.lock:
            self.settings = normalize_settings(updates, self.settings)
            return self.get_settings()

    def get_settings(self):
        with self.lock:
            return copy.deepcopy(self.settings)

    # -- meetings ----------------------------------------------------------

    def get_meeting(self, meeting_id):
        with self.lock:
            meeting = self.meetings.get(str(meeting_id))
            if meeting is None:
                raise KeyError("no meeting %s" % meeting_id)
            return copy.deepcopy(meeting)

    def list_meetings(self):
        with self.lock:
            return [copy.deepcopy(m) for m in self.meetings.values()]

    def set_meeting(self, meeting_id, **fields):
        updates = normalize_meeting_fields(fields, "meeting %s" % meeting_id)
        with self.lock:
            meeting = self.meetings.get(str(meeting_id))
            if meeting is None:
                raise KeyError("no meeting %s" % meeting_id)
            if "host_password" in updates and not updates["host_password"]:
                raise ConfigError("host_password must not be empty")
            meeting.update(updates)
            self.changed(meeting_id)
            return copy.deepcopy(meeting)

    def add_meeting(self, **fields):
        meeting = new_meeting(fields, "meeting")
        with self.lock:
            if meeting["id"] in self.meetings:
                raise ConfigError("meeting %s already exists" % meeting["id"])
            self.meetings[meeting["id"]] = meeting
            return copy.deepcopy(meeting)

    # -- tokens ------------------------------------------------------------

    def issue_access_token(self, subject):
        with self.lock:
            token = _new_token()
            ttl = self.settings["access_token_ttl"]
            self.access_tokens[token] = {"expires": time.time() + self._lifetime(ttl),
                                         "subject": subject,
                                         "caller": _login_caller(subject),
                                         "user": subject.get("userId", ""),
                                         "admin": self._login_is_admin(subject)}
            self._issued.append(token)
            return token, ttl

    def issue_control_token(self, conference_id):
        with self.lock:
            token = _new_token()
            ttl = self.settings["conf_token_ttl"]
            expires = time.time() + ttl
            self.control_tokens[token] = {"expires": time.time() + self._lifetime(ttl),
                                          "conference_id": conference_id}
            self._issued.append(token)
            return token, ttl, expires

    def _lifetime(self, ttl):
        """How long a token issued now really lives: `ttl` (what the answer
        states), or a random lifetime of token_expiry_range."""
        span = self.settings["token_expiry_range"]
        return ttl if span is None else random.uniform(span[0], span[1])

    def _login_is_admin(self, subject):
        """Whether the account or App ID that logged in is marked admin."""
        if subject.get("appId"):
            app = self.apps.get(subject["appId"])
            return bool(app and app["admin"])
        account = self.accounts.get(subject.get("userAccount", ""))
        return bool(account and account["admin"])

    @staticmethod
    def _check(store, token):
        """'missing', 'invalid', 'expired', or the token's record."""
        if not token:
            return "missing"
        record = store.get(token)
        if record is None:
            return "invalid"
        if record["expires"] <= time.time():
            return "expired"
        return record

    def check_access_token(self, token):
        with self.lock:
            return self._check(self.access_tokens, token)

    def access_token_caller(self, token):
        """The rate-limit caller of an access token this simulator issued
        (expired ones too), or None."""
        with self.lock:
            record = self.access_tokens.get(token) if token else None
            return record["caller"] if record is not None else None

    def check_control_token(self, token):
        with self.lock:
            return self._check(self.control_tokens, token)

    def expire_tokens(self, kind="all"):
        """Make every token of a kind expired now; return how many."""
        if kind not in TOKEN_KINDS:
            raise ConfigError("kind must be one of %s" % ", ".join(TOKEN_KINDS))
        count = 0
        with self.lock:
            stores = []
            if kind in ("access", "all"):
                stores.append(self.access_tokens)
            if kind in ("control", "all"):
                stores.append(self.control_tokens)
            if kind in ("ws", "all"):
                stores.append(self.ws_tokens)
            for store in stores:
                for record in store.values():
                    record["expires"] = 0.0
                    count += 1
        return count

    def issued_tokens(self):
        with self.lock:
            return list(self._issued)

    # -- WebSocket tokens (wsToken, tmpWsToken): one connection each -----------

    def issue_ws_token(self, conference_id):
        with self.lock:
            token = _new_token()
            self.ws_tokens[token] = {
                "expires": time.time() + self.settings["ws_token_ttl"],
                "conference_id": conference_id, "used": False}
            self._issued.append(token)
            return token

    def take_ws_token(self, token, conference_id):
        """True when `token` is an unexpired, unused WebSocket token of this
        meeting.  Any presented token is spent, whatever the outcome."""
        with self.lock:
            record = self.ws_tokens.get(token) if token else None
            if record is None:
                return False
            fresh = not record["used"] and record["expires"] > time.time()
            record["used"] = True
            return fresh and record["conference_id"] == conference_id

    # -- state changes (the push listens) ----------------------------------------

    def changed(self, meeting_id):
        """Tell the listeners that a meeting may have changed."""
        with self.lock:
            for listener in list(self.listeners):
                listener(str(meeting_id))

    def change_meeting(self, meeting_id, updates):
        """A write's effect: now, or `state_change_delay` seconds later."""
        self.changes.submit(str(meeting_id), dict(updates),
                            self.settings["state_change_delay"])

    def apply_change(self, meeting_id, updates):
        with self.lock:
            meeting = self.meetings.get(meeting_id)
            if meeting is None:
                return
            meeting.update(updates)
            self.changed(meeting_id)

    # -- faults ------------------------------------------------------------

    def add_fault(self, **kwargs):
        fault = make_fault(**kwargs)
        with self.lock:
            self.faults.append(fault)
            return dict(fault)

    def clear_faults(self):
        with self.lock:
            self.faults = []

    def list_faults(self):
        with self.lock:
            return [dict(f) for f in self.faults]

    def take_fault(self, method, path):
        """Consume one use of the first fault matching this call, if any."""
        with self.lock:
            for fault in self.faults:
                if fault["path"] == path and fault["method"] in (None, method):
                    fault["count"] -= 1
                    if fault["count"] <= 0:
                        self.faults.remove(fault)
                    return dict(fault)
        return None

    # -- outages: every REST call answers an error for a while ------------------

    def add_outage(self, **kwargs):
        outage = make_outage(**kwargs)
        with self.lock:
            self.outages.append(outage)
            return dict(outage)

    def clear_outages(self):
        with self.lock:
            self.outages = []

    def list_outages(self):
        """The outages not over yet."""
        now = time.time()
        with self.lock:
            return [dict(o) for o in self.outages if o["ends"] > now]

    def outage_now(self, path):
        """The outage that answers a call of `path` now, if any."""
        now = time.time()
        with self.lock:
            self.outages = [o for o in self.outages if o["ends"] > now]
            for outage in self.outages:
                if outage["starts"] <= now and (path != PUSH_PATH or outage["push"]):
                    return dict(outage)
        return None

    # -- the gateway's rate limits ----------------------------------------------
    #
    # Two sliding windows, both counting admitted calls only (a refused call
    # does not count, so `limit` calls a window always get through):
    # - per API (method + path) and caller, `api_rate_window` seconds long,
    #   limited by `api_rate_limit` (X-APIG-Ratelimit-Api);
    # - all calls of all callers in the last second, limited by `rate_limit`
    #   (X-APIG-Ratelimit-Api-Allenv).
    # A limit that is off is shown as a nominal one and still counted.

    def _prune_all(self, now):
        while self.rate_window and self.rate_window[0] <= now - 1.0:
            self.rate_window.popleft()

    def _api_window(self, key, now):
        """The (pruned) window of one API and caller; None when it is empty."""
        window = self.api_windows.get(key)
        if window is None:
            return None
        span = self.settings["api_rate_window"]
        while window and window[0] <= now - span:
            window.popleft()
        if not window:
            del self.api_windows[key]
            return None
        return window

    def _gate(self, api, caller, now):
        """The limits as they stand for one call, before it is counted."""
        settings = self.settings
        self._prune_all(now)
        all_limit = settings["rate_limit"] or NOMINAL_RATE_LIMIT
        gate = {
            "api": api, "caller": caller,
            "api_enforced": bool(settings["api_rate_limit"]),
            "api_limit": settings["api_rate_limit"] or NOMINAL_API_RATE_LIMIT,
            "api_window": settings["api_rate_window"],
            "api_used": 0, "api_wait": 0.0,
            "all_enforced": bool(settings["rate_limit"]),
            "all_limit": all_limit, "all_used": len(self.rate_window),
        }
        if api is not None:
            window = self._api_window((api, caller), now)
            if window:
                gate["api_used"] = len(window)
                # until the oldest admitted call leaves the window
                gate["api_wait"] = max(window[0] + gate["api_window"] - now, 0.0)
        return gate

    @staticmethod
    def _shown(gate, throttled=None):
        """The headers' figures: remain (0 on that limit's own 429) and limit."""
        gate["api_remain"] = 0 if throttled == "api" else max(
            gate["api_limit"] - gate["api_used"], 0)
        gate["all_remain"] = 0 if throttled == "all" else max(
            gate["all_limit"] - gate["all_used"], 0)
        gate["throttled"] = throttled
        return gate

    def admit(self, api, caller):
        """Count one call of `api` ("GET /v1/...") by `caller` in both windows,
        if both have room.  `api` None: a call that only the all-callers
        window counts (the push's upgrade).

        Returns a dict: throttled (None, "api" or "all": which limit refused
        it), api_remain, api_limit, api_window, api_wait (seconds until the
        per-API window has room again), all_remain, all_limit.
        """
        with self.lock:
            now = time.monotonic()
            gate = self._gate(api, caller, now)
            if api is not None and gate["api_enforced"] and gate["api_used"] >= gate["api_limit"]:
                return self._shown(gate, "api")
            if gate["all_enforced"] and gate["all_used"] >= gate["all_limit"]:
                return self._shown(gate, "all")
            self.rate_window.append(now)
            gate["all_used"] += 1
            if api is not None:
                self.api_windows.setdefault((api, caller), collections.deque()).append(now)
                gate["api_used"] += 1
            return self._shown(gate)

    def rate_status(self, api, caller):
        """admit()'s answer without counting a call: for faulted answers."""
        with self.lock:
            return self._shown(self._gate(api, caller, time.monotonic()))

    def rate_windows(self):
        """The per-API windows that hold calls now, sorted by API and caller:
        [{"api", "caller", "used", "limit", "window"}]; `limit` as the header
        shows it (nominal while api_rate_limit is off)."""
        with self.lock:
            now = time.monotonic()
            limit = self.settings["api_rate_limit"] or NOMINAL_API_RATE_LIMIT
            out = []
            for key in sorted(self.api_windows):
                window = self._api_window(key, now)
                if window:
                    out.append({"api": key[0], "caller": key[1], "used": len(window),
                                "limit": limit, "window": self.settings["api_rate_window"]})
            return out

    # -- call log ----------------------------------------------------------

    def log_call(self, entry):
        with self.lock:
            self.calls.append(entry)

    def get_calls(self):
        with self.lock:
            return copy.deepcopy(self.calls)

    def clear_calls(self):
        with self.lock:
            self.calls = []
