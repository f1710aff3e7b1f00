"""The management calls of the service contract (docs/dev/service_contract.md)
beside the online check and activation: a meeting's details with its
passwords (``passwordEntry``), the list of meetings and the list of meetings
in progress, with paging.

Who may read what: a meeting's details go to the login that scheduled it
(the meeting's ``owner``: an account name, or an App ID's user ID) or to an
admin of the enterprise (an account or app marked ``admin`` in the meetings
file); anyone else gets 403.  The lists show a login its own meetings, and
an admin every meeting when it asks with ``queryAll=true``.
"""

from hwmeeting_sim.api import (CONF_NOT_EXIST, Answer, ApiError, _bad, _conference_id,
                               _err)
from hwmeeting_sim.state import format_meeting_time

# Own choice: the contract says only the scheduler or an admin may read a meeting's
# details; the vendor's answer to anyone else is not documented.
NOT_MEETING_OWNER = "SIM.NOT_MEETING_OWNER"
LIST_LIMIT_MAX = 500       # own choice: the largest page a list call serves
LIST_LIMIT_DEFAULT = 20

PATH_DETAILS = "/v1/mmc/management/conferences/confDetail"
PATH_LIST = "/v1/mmc/management/conferences"
PATH_LIST_ONLINE = "/v1/mmc/management/conferences/online"


def may_read(login, meeting):
    """The meeting's scheduler, or an admin of the enterprise."""
    return login["admin"] or (bool(login["user"]) and login["user"] == meeting["owner"])


def conference_data(meeting):
    """A meeting as the management calls answer it, passwords included (only
    ever served to a login that may read them)."""
    entries = [{"conferenceRole": "chair", "password": meeting["host_password"]}]
    if meeting["guest_password"]:
        entries.append({"conferenceRole": "general", "password": meeting["guest_password"]})
    return {
        "conferenceID": meeting["id"],
        "subject": meeting["subject"],
        "startTime": format_meeting_time(meeting["start_time"]),
        "endTime": format_meeting_time(meeting["end_time"]),
        "conferenceState": meeting["state"],
        "scheduserName": meeting["owner"],
        "size": len(meeting["attendees"]),
        "mediaTypes": "Voice,Video,Data",
        "conferenceType": 0,
        "isAutoRecord": 0,
        "language": "en-US",
        "passwordEntry": entries,
    }


class Management(object):
    """Handlers over the Api's state and helpers; ``routes`` as Api's."""

    def __init__(self, api):
        self.api = api
        self.state = api.state
        self.routes = {
            PATH_DETAILS: {"GET": self.meeting_details},
            PATH_LIST: {"GET": self.list_meetings},
            PATH_LIST_ONLINE: {"GET": self.list_online_meetings},
        }

    def meeting_details(self, req):
        """Any meeting's details, ended ones too, with passwordEntry."""
        login = self.api._need_access_token(req)
        conf_id = _conference_id(req)
        offset = self.api._int_query(req, "offset", 0)
        limit = self.api._int_query(req, "limit", 20)
        with self.state.lock:
            meeting = self.state.meetings.get(conf_id)
            if meeting is None:
                raise _err(400, CONF_NOT_EXIST)
            if not may_read(login, meeting):
                raise ApiError(403, NOT_MEETING_OWNER,
                               "only the meeting's scheduler or an enterprise admin may read its details")
            online = []
            if meeting["state"] == "Created":
                online = [{"participantID": p["pid"], "name": p["name"], "subscriberID": p["phone"],
                           "role": 1 if p["pid"] == meeting["chair_id"] else 0, "state": "MEETTING",
                           "attendeeType": "normal", "accountId": ""}
                          for p in meeting["participants"]]
            return Answer(200, {
                "conferenceData": conference_data(meeting),
                "data": {"offset": offset, "limit": limit, "count": len(online),
                         "data": online[offset:offset + limit]},
            })

    def _list(self, req, states):
        """One page of the meetings the login may see in ``states``, ordered
        by start time, then ID.  searchKey matches the subject (any case) or
        the meeting ID."""
        login = self.api._need_access_token(req)
        offset = self.api._int_query(req, "offset", 0)
        limit = self.api._int_query(req, "limit", LIST_LIMIT_DEFAULT)
        if not 1 <= limit <= LIST_LIMIT_MAX:
            raise _bad("query parameter limit must be 1 to %d" % LIST_LIMIT_MAX)
        query_all = (req.query.get("queryAll") or "").lower() == "true"
        search = (req.query.get("searchKey") or "").strip().lower()
        with self.state.lock:
            found = [m for m in self.state.meetings.values()
                     if m["state"] in states
                     and ((query_all and login["admin"])
                          or (bool(login["user"]) and m["owner"] == login["user"]))
                     and (not search or search in m["subject"].lower() or search in m["id"])]
            found.sort(key=lambda m: (m["start_time"], m["id"]))
            page = [conference_data(m) for m in found[offset:offset + limit]]
        return Answer(200, {"offset": offset, "limit": limit, "count": len(found), "data": page})

    def list_meetings(self, req):
        """Scheduled and running meetings (not ended ones)."""
        return self._list(req, ("Schedule", "Created"))

    def list_online_meetings(self, req):
        """Meetings in progress."""
        return self._list(req, ("Created",))
