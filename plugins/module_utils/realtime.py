# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The realtime state reader: a realTimeInfo answer, or the state of the
meeting-status push, in; the ``meeting`` structure that meeting_info returns out.

The contract (docs/dev/service_contract.md, "Where the state is"): the push reports
``state``, ``recState`` and ``mode`` (``ConfDynamicInfoNotify``), who is
broadcast and the participants (``ParticipantsNotify``); ``confInfo`` of
realTimeInfo reports them only on a deployment that does, and is the only
place ``liveState`` could be. A field that is absent means *unknown*, which
this reader returns as None, never as False.  Each reader's second result
names the fields (STATE_FIELDS, plus ``participants``) it could not report,
so a module can say ``state_verified: false`` for exactly the state it
manages; ``merge`` takes each field from the first source that reported it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

IN_PROGRESS = 'Created'
BROADCAST_MODE = 'BROADCAST'
# 0 is "in the meeting"; 1 being called, 2 ringing, and so on (vendor page).
PARTICIPANT_JOINED = 0


def _flag(value):
    """0/1 (or a bool) to False/True; anything else, absent included, to None."""
    if isinstance(value, bool):
        return value
    if value in (0, 1, '0', '1'):
        return int(value) == 1
    return None


def _text(value):
    return None if value is None else str(value)


def _in_progress(value):
    return None if value is None else value == IN_PROGRESS


class Field(object):
    """A plain field of the realtime state contract: its name in
    ``confInfo`` and in ``ConfDynamicInfoNotify`` (``name``), the key of
    ``meeting`` it fills (``key``), how a value is read (``read``: None
    means unknown), whether the push carries it, and words for warnings."""

    def __init__(self, name, key, read, push, words):
        self.name = name
        self.key = key
        self.read = read
        self.push = push
        self.words = words


# The plain fields; who is broadcast (broadcastPid) and the participants are
# read from more than one value, below. A module that manages a new plain
# field adds one row here.
FIELDS = (
    Field('state', 'in_progress', _in_progress, True, 'whether the meeting is in progress (state)'),
    Field('recState', 'recording', _flag, True, 'the recording state (recState)'),
    Field('liveState', 'live', _flag, False, 'the live streaming state (liveState)'),
    Field('mode', 'mode', _text, True, 'the view mode (mode)'),
)
STATE_FIELDS = tuple(field.name for field in FIELDS) + ('broadcastPid',)
# Where each field lives in ``meeting``.
MEETING_KEYS = dict((field.name, (field.key,)) for field in FIELDS)
MEETING_KEYS.update(broadcastPid=('broadcast_participant',), participants=('participants', 'participant_count'))
PUSH_REPORTS = frozenset([field.name for field in FIELDS if field.push] + ['broadcastPid', 'participants'])
# Words for the fields, in warnings.
FIELD_WORDS = dict((field.name, field.words) for field in FIELDS)
FIELD_WORDS.update(broadcastPid='who is broadcast', participants='the participants')


def participant_view(raw):
    """A participant of ``participants[]`` in the collection's snake_case."""
    return {
        'pid': _text(raw.get('pid')),
        'name': _text(raw.get('name')),
        'phone': _text(raw.get('phone')),
        'state': raw.get('state'),
        'video': _flag(raw.get('video')),
        'muted': _flag(raw.get('mute')),
        'hand_raised': _flag(raw.get('hand')),
    }


def attendee_view(raw):
    return {
        'account_id': _text(raw.get('accountID')),
        'user_uuid': _text(raw.get('userUUID')),
        'name': _text(raw.get('name')),
        'phone': _text(raw.get('phone')),
    }


def broadcast_view(pid, participants):
    """``broadcast_participant``: who is broadcast, from the participant list."""
    for person in participants:
        if person['pid'] == pid:
            return {'pid': pid, 'name': person['name'], 'phone': person['phone']}
    return {'pid': pid, 'name': None, 'phone': None}  # broadcast, but not listed online


def joined(participants):
    """The participants who are in the meeting: state 0, or no state said."""
    return [person for person in participants if person['state'] in (None, PARTICIPANT_JOINED)]


def _list_of_dicts(value):
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def read_meeting(conference_id, answer):
    """Return ``(meeting, unreported)``: the normalised meeting and the set of
    ``confInfo`` state fields (STATE_FIELDS) the answer did not carry."""
    answer = answer if isinstance(answer, dict) else {}
    conf_info = answer.get('confInfo')
    conf_info = conf_info if isinstance(conf_info, dict) else {}
    participants = [participant_view(raw) for raw in _list_of_dicts(answer.get('participants'))]
    meeting = idle_meeting(conference_id)
    unreported = set()
    for field in FIELDS:
        meeting[field.key] = field.read(conf_info.get(field.name))
        # A value the service sent but that is not one we understand is as
        # good as absent for deciding anything.
        if meeting[field.key] is None:
            unreported.add(field.name)
    mode = meeting['mode']
    pid = conf_info.get('broadcastPid')
    if mode is None:
        broadcast = None  # unknown
        unreported.add('broadcastPid')  # nor, then, whom
    elif mode != BROADCAST_MODE:
        broadcast = None  # known: nobody is broadcast
    elif pid is None:
        broadcast = None  # broadcasting, but whom is unknown
        unreported.add('broadcastPid')
    elif pid == '':
        broadcast = None
    else:
        broadcast = broadcast_view(str(pid), participants)

    co_hosts = conf_info.get('coHosts')
    meeting.update({
        'broadcast_participant': broadcast,
        'chair_id': _text(conf_info.get('chairID')),
        'co_hosts': [str(host) for host in co_hosts] if isinstance(co_hosts, list) else None,
        'participant_count': len(joined(participants)),
        'participants': participants,
        'attendees': [attendee_view(raw) for raw in _list_of_dicts(answer.get('attendees'))],
    })
    return meeting, unreported


def idle_meeting(conference_id):
    """The meeting as reported when it is not in progress (MMC.111070005):
    known not in progress, everything else unknown or empty."""
    meeting = dict((field.key, None) for field in FIELDS)
    meeting.update({
        'conference_id': conference_id,
        'in_progress': False,
        'broadcast_participant': None,
        'chair_id': None,
        'co_hosts': None,
        'participant_count': None,
        'participants': [],
        'attendees': [],
    })
    return meeting


def _whole_number(value):
    """An integer from a string of the push (STATE), or None."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def push_participant_view(pid, info):
    """A participant of ParticipantsNotify (``pinfoMap``, string values) in
    the collection's snake_case, as participant_view gives it."""
    return {
        'pid': pid,
        'name': _text(info.get('NAME')),
        'phone': _text(info.get('TEL')),
        'state': _whole_number(info.get('STATE')),
        'video': _flag(info.get('VIDEO')),
        'muted': _flag(info.get('MUTE')),
        'hand_raised': _flag(info.get('HAND')),
    }


def read_push(conference_id, dynamic, participants):
    """``(meeting, unreported)`` from the meeting-status push:
    ``dynamic`` the ConfDynamicInfoNotify fields seen (or None), and
    ``participants`` pid -> pinfoMap (or None). The push never reports
    ``liveState``, ``chairID``, ``coHosts`` or the attendees."""
    dynamic = dynamic or {}
    meeting = idle_meeting(conference_id)
    unreported = set(['participants'])
    for field in FIELDS:
        meeting[field.key] = field.read(dynamic.get(field.name)) if field.push else None
        if meeting[field.key] is None:
            unreported.add(field.name)
    if participants is None:
        unreported.add('broadcastPid')
        return meeting, unreported
    unreported.discard('participants')
    people = [push_participant_view(pid, info) for pid, info in participants.items()]  # in the push's order
    meeting['participants'] = people
    meeting['participant_count'] = len(joined(people))
    broadcast = [person['pid'] for person in people if str(participants[person['pid']].get('BROADCAST')) == '1']
    meeting['broadcast_participant'] = broadcast_view(broadcast[0], people) if broadcast else None
    return meeting, unreported


def merge(readings):
    """Each field from the first of ``readings`` (``(source, meeting,
    unreported)`` tuples, a meeting None when that source was not read)
    that reported it. Returns ``(meeting, unreported, sources)``; sources
    maps each field of MEETING_KEYS to the source it came from, or None.
    chair_id, co_hosts and attendees come from the realtime reading."""
    readings = [reading for reading in readings if reading[1] is not None]
    if not readings:
        raise ValueError('no reading to merge')
    base = [meeting for source, meeting, _unreported in readings if source == 'realtime']
    meeting = dict(base[0] if base else readings[0][1])
    unreported = set()
    sources = {}
    for field, keys in MEETING_KEYS.items():
        for source, reading, missing in readings:
            if field not in missing:
                meeting.update((key, reading[key]) for key in keys)
                sources[field] = source
                break
        else:
            sources[field] = None
            unreported.add(field)
            meeting.update((key, idle_meeting('')[key]) for key in keys)
            if field not in ('broadcastPid', 'participants'):
                meeting[keys[0]] = None
    return meeting, unreported, sources
