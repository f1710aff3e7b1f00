"""Command line: run the simulator until SIGTERM/SIGINT.

    python -m hwmeeting_sim --meetings demo_meetings.yml --tls --port 0

Prints exactly one line, `hwmeeting-sim listening on <url>`, once it serves
(plus one line per call with --log-calls).  Diagnostics go to stderr.
"""

import argparse
import os
import signal
import sys
import threading
from urllib.parse import urlencode

from . import state as state_mod
from .server import DEMO_MEETINGS, Simulator


def _parser():
    p = argparse.ArgumentParser(
        prog="hwmeeting-sim",
        description="A Huawei Cloud Meeting REST API simulator for tests (127.0.0.1 only).")
    p.add_argument("--meetings", metavar="FILE", default=DEMO_MEETINGS,
                   help="meetings file, YAML (.yml/.yaml) or JSON (.json) "
                        "(default: demo_meetings.yml next to the package)")
    p.add_argument("--port", type=int, default=0,
                   help="TCP port on 127.0.0.1 (default 0: any free port)")
    p.add_argument("--tls", action="store_true",
                   help="serve HTTPS with a freshly generated CA and certificate")
    p.add_argument("--cert-dir", metavar="DIR",
                   help="where --tls writes ca.pem, server.pem and server-key.pem "
                        "(default: a temporary directory removed at exit)")
    p.add_argument("--delay", type=float, default=0.0, metavar="SECONDS",
                   help="sleep this long before answering every API call")
    p.add_argument("--access-token-ttl", type=float,
                   default=state_mod.DEFAULT_ACCESS_TOKEN_TTL, metavar="SECONDS",
                   help="access token lifetime (default 43200)")
    p.add_argument("--conf-token-ttl", type=float,
                   default=state_mod.DEFAULT_CONF_TOKEN_TTL, metavar="SECONDS",
                   help="control token lifetime (default 1800)")
    p.add_argument("--api-rate-limit", type=int, default=None, metavar="N",
                   help="answer 429 past N calls of one API by one caller per "
                        "--api-rate-window (default: off)")
    p.add_argument("--api-rate-window", type=float,
                   default=state_mod.DEFAULT_API_RATE_WINDOW, metavar="SECONDS",
                   help="length of the per-API rate-limit window (default 60)")
    p.add_argument("--rate-limit", type=int, default=None, metavar="N",
                   help="answer 429 past N API calls of all callers per second (default: off)")
    p.add_argument("--omit-fields", default="", metavar="LIST",
                   help="comma-separated confInfo fields realTimeInfo leaves out")
    p.add_argument("--write-json", action="store_true",
                   help="writes answer a small JSON object instead of an empty body")
    p.add_argument("--error-style", choices=state_mod.ERROR_STYLES, default="error_code",
                   help="spelling of error bodies (default error_code/error_msg)")
    p.add_argument("--confinfo-state", action="store_true",
                   help="realTimeInfo's confInfo also carries state, recState, liveState, "
                        "mode and broadcastPid (default: chairID and coHosts only, "
                        "as the vendor documents)")
    p.add_argument("--state-change-delay", type=float, default=0.0, metavar="SECONDS",
                   help="a control write takes effect this long after its answer")
    p.add_argument("--ws-token-ttl", type=float, default=state_mod.DEFAULT_WS_TOKEN_TTL,
                   metavar="SECONDS", help="WebSocket token lifetime (default 60)")
    p.add_argument("--push-heartbeat-timeout", type=float,
                   default=state_mod.DEFAULT_PUSH_HEARTBEAT_TIMEOUT, metavar="SECONDS",
                   help="close a push channel after this long without a HeartBeat "
                        "(default 180)")
    p.add_argument("--push-subscribe-reply", choices=state_mod.PUSH_SUBSCRIBE_REPLIES,
                   default="object",
                   help="the push's Subscribe reply: data an object (default), a JSON "
                        "string of it, the key spelled \"returnDesc \" (space), or no reply")
    p.add_argument("--push-participants-data", choices=state_mod.PUSH_PARTICIPANTS_DATA,
                   default="list",
                   help="ParticipantsNotify's data: a list (default) or a JSON string of it")
    p.add_argument("--token-expiry-range", metavar="LOW,HIGH",
                   help="every access and control token dies after a random lifetime "
                        "of LOW to HIGH seconds, unannounced (e.g. 20,40)")
    p.add_argument("--push-drop-interval", type=float, metavar="SECONDS",
                   help="close every open push channel every SECONDS (default: never)")
    p.add_argument("--url-file", metavar="FILE",
                   help="write the base URL to FILE once listening (removed at stop)")
    p.add_argument("--log-calls", action="store_true",
                   help="print each API call (method, path, query, status) to stdout")
    return p


def _print_call(entry):
    query = "?" + urlencode(entry["query"]) if entry["query"] else ""
    try:
        print("hwmeeting-sim call: %s %s%s -> %s"
              % (entry["method"], entry["path"], query, entry["status"]), flush=True)
    except (OSError, ValueError):
        pass        # nobody reads stdout any more: keep serving regardless


def _write_url_file(path, url):
    # Written whole then renamed, so a script polling for it never reads half.
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(url + "\n")
    os.replace(tmp, path)


def main(argv=None):
    args = _parser().parse_args(argv)
    omit = [f.strip() for f in args.omit_fields.split(",") if f.strip()]
    try:
        expiry = None
        if args.token_expiry_range:
            try:
                expiry = [float(part) for part in args.token_expiry_range.split(",")]
            except ValueError:
                raise state_mod.ConfigError("--token-expiry-range must be LOW,HIGH (seconds)")
        sim = Simulator(meetings_file=args.meetings, tls=args.tls, cert_dir=args.cert_dir,
                        delay=args.delay, access_token_ttl=args.access_token_ttl,
                        conf_token_ttl=args.conf_token_ttl, rate_limit=args.rate_limit,
                        port=args.port, omit_fields=omit, write_json=args.write_json,
                        error_style=args.error_style, confinfo_state=args.confinfo_state,
                        state_change_delay=args.state_change_delay,
                        ws_token_ttl=args.ws_token_ttl,
                        push_heartbeat_timeout=args.push_heartbeat_timeout,
                        api_rate_limit=args.api_rate_limit,
                        api_rate_window=args.api_rate_window,
                        push_subscribe_reply=args.push_subscribe_reply,
                        push_participants_data=args.push_participants_data,
                        token_expiry_range=expiry,
                        push_drop_interval=args.push_drop_interval,
                        on_call=_print_call if args.log_calls else None)
    except (OSError, state_mod.ConfigError) as exc:
        print("hwmeeting-sim: %s" % exc, file=sys.stderr)
        return 2

    stop = threading.Event()

    def _on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    try:
        sim.start()
    except OSError as exc:       # port in use, unwritable cert dir...
        print("hwmeeting-sim: cannot start: %s" % exc, file=sys.stderr)
        return 1
    try:
        if args.url_file:
            _write_url_file(args.url_file, sim.url)
        if sim.ca_path:
            print("hwmeeting-sim: CA certificate %s" % sim.ca_path, file=sys.stderr, flush=True)
        print("hwmeeting-sim listening on %s" % sim.url, flush=True)
        while not stop.wait(0.5):
            pass
    finally:
        sim.stop()
        if args.url_file:
            try:
                with open(args.url_file, encoding="utf-8") as handle:
                    ours = handle.read().strip() == sim.url
                if ours:
                    os.remove(args.url_file)
            except OSError:
                pass
    return 0
