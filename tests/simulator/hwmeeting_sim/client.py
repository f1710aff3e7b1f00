"""SimulatorAdmin: drive a simulator running in another process through its
/_sim/ admin interface, with the same method names as `Simulator`.

Uses `requests` (imported when an admin client is made, so the simulator
itself runs without it).
"""


class SimulatorAdminError(RuntimeError):
    def __init__(self, status, body):
        super(SimulatorAdminError, self).__init__(
            "simulator admin call failed: HTTP %s %s" % (status, body))
        self.status = status
        self.body = body


class SimulatorAdmin(object):
    """`SimulatorAdmin("https://127.0.0.1:8443", ca_path=".../ca.pem")`."""

    def __init__(self, url, ca_path=None, timeout=10):
        import requests
        self.url = url.rstrip("/")
        self.ca_path = ca_path
        self.timeout = timeout
        self._session = requests.Session()
        # An https simulator is verified against its own CA.  Passed with each
        # request, not as Session.verify: requests lets REQUESTS_CA_BUNDLE /
        # CURL_CA_BUNDLE from the environment override Session.verify.
        self._verify = ca_path if ca_path else True

    def _call(self, method, endpoint, payload=None):
        response = self._session.request(method, self.url + "/_sim/" + endpoint,
                                         json=payload, timeout=self.timeout,
                                         verify=self._verify)
        try:
            body = response.json()
        except ValueError:
            body = response.text
        if response.status_code >= 400:
            if response.status_code == 404 and endpoint.startswith("meetings/"):
                raise KeyError(body.get("error_msg") if isinstance(body, dict) else body)
            raise SimulatorAdminError(response.status_code, body)
        return body

    def close(self):
        self._session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def health(self):
        return self._call("GET", "health")

    @property
    def calls(self):
        return self._call("GET", "calls")["calls"]

    def clear_calls(self):
        self._call("DELETE", "calls")

    def inject_fault(self, path, count=1, method=None, status=None,
                     error_style="error_code", body=None, delay=None, drop=False,
                     broken_body=False, retry_after=None, error_code=None,
                     error_msg=None, content_type=None, push=None):
        payload = {"path": path, "count": count, "method": method, "status": status,
                   "error_style": error_style, "body": body, "delay": delay,
                   "drop": drop, "broken_body": broken_body,
                   "retry_after": retry_after, "error_code": error_code,
                   "error_msg": error_msg, "content_type": content_type, "push": push}
        return self._call("POST", "faults", payload)["fault"]

    def faults(self):
        return self._call("GET", "faults")["faults"]

    def clear_faults(self):
        self._call("DELETE", "faults")

    def outage(self, duration, start=0.0, status=503, error_code=None, error_msg=None, push=False):
        payload = {"duration": duration, "start": start, "status": status,
                   "error_code": error_code, "error_msg": error_msg, "push": push}
        return self._call("POST", "outages", payload)["outage"]

    def outages(self):
        return self._call("GET", "outages")["outages"]

    def clear_outages(self):
        self._call("DELETE", "outages")

    def meeting(self, meeting_id):
        return self._call("GET", "meetings/%s" % meeting_id)["meeting"]

    def meetings(self):
        return self._call("GET", "meetings")["meetings"]

    def set_meeting(self, meeting_id, **fields):
        return self._call("PATCH", "meetings/%s" % meeting_id, fields)["meeting"]

    def add_meeting(self, **fields):
        return self._call("POST", "meetings", fields)["meeting"]

    def configure(self, **settings):
        return self._call("POST", "config", settings)["config"]

    def settings(self):
        return self._call("GET", "config")["config"]

    def expire_tokens(self, kind="all"):
        return self._call("POST", "expire-tokens", {"kind": kind})["expired"]

    def issued_tokens(self):
        return self._call("GET", "tokens")["tokens"]

    def rate_windows(self):
        return self._call("GET", "rate-windows")["windows"]

    def reset(self):
        self._call("POST", "reset")

    # -- the meeting-status push --------------------------------------------------

    @property
    def frames(self):
        return self._call("GET", "frames")["frames"]

    def clear_frames(self):
        self._call("DELETE", "frames")

    def push_connections(self):
        return self._call("GET", "push")["connections"]

    def close_push(self, conference_id=None, code=1001, reason=""):
        return self._call("POST", "push/close", {"conference_id": conference_id,
                                                 "code": code, "reason": reason})["closed"]
