# Unit tests of the realtime state reader (docs/dev/service_contract.md, "Where the state is").
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import idle_meeting, read_meeting

FULL = {
    'attendees': [{'accountID': 'user01', 'userUUID': 'u-1', 'name': 'Ada', 'phone': '+99111****815'}],
    'participants': [
        {'pid': 'p1', 'name': 'Ada', 'phone': '+991', 'state': 0, 'video': 1, 'mute': 1, 'hand': 0},
        {'pid': 'p2', 'name': 'Bob', 'phone': '+992', 'state': 0, 'video': 0, 'mute': 0, 'hand': 1},
        {'pid': 'p3', 'name': 'Cy', 'phone': '+993', 'state': 2, 'video': 0, 'mute': 0, 'hand': 0},
    ],
    'confInfo': {'chairID': 'p1', 'coHosts': ['p2'], 'state': 'Created', 'recState': 1, 'liveState': 0,
                 'mode': 'BROADCAST', 'broadcastPid': 'p2'},
}


def test_full_answer():
    meeting, unreported = read_meeting('914044873', FULL)
    assert unreported == set()
    assert meeting == {
        'conference_id': '914044873',
        'in_progress': True,
        'recording': True,
        'live': False,
        'mode': 'BROADCAST',
        'broadcast_participant': {'pid': 'p2', 'name': 'Bob', 'phone': '+992'},
        'chair_id': 'p1',
        'co_hosts': ['p2'],
        'participant_count': 2,
        'participants': [
            {'pid': 'p1', 'name': 'Ada', 'phone': '+991', 'state': 0, 'video': True, 'muted': True, 'hand_raised': False},
            {'pid': 'p2', 'name': 'Bob', 'phone': '+992', 'state': 0, 'video': False, 'muted': False, 'hand_raised': True},
            {'pid': 'p3', 'name': 'Cy', 'phone': '+993', 'state': 2, 'video': False, 'muted': False, 'hand_raised': False},
        ],
        'attendees': [{'account_id': 'user01', 'user_uuid': 'u-1', 'name': 'Ada', 'phone': '+99111****815'}],
    }


def test_empty_answer_is_unknown_not_off():
    meeting, unreported = read_meeting('1', {})
    assert unreported == {'state', 'recState', 'liveState', 'mode', 'broadcastPid'}
    for key in ('in_progress', 'recording', 'live', 'mode', 'broadcast_participant', 'chair_id', 'co_hosts'):
        assert meeting[key] is None, key
    assert meeting['participants'] == [] and meeting['attendees'] == []
    assert meeting['participant_count'] == 0


def test_vendor_seed_answer_has_no_state():
    # The example answer of the vendor's page: confInfo is empty.
    seed = {'attendees': [{'accountID': 'user01', 'name': 'user01', 'phone': '+99111****815'}],
            'participants': [{'pid': 'a6b4', 'name': 'user01', 'phone': '+99111****815', 'state': 0,
                              'video': 1, 'mute': 1, 'hand': 0}],
            'confInfo': {}}
    meeting, unreported = read_meeting('914083136', seed)
    assert meeting['recording'] is None and meeting['live'] is None and meeting['in_progress'] is None
    assert 'recState' in unreported and 'liveState' in unreported
    assert meeting['participants'][0]['muted'] is True
    assert meeting['attendees'][0]['user_uuid'] is None


def test_partial_answer_reports_only_what_is_missing():
    meeting, unreported = read_meeting('1', {'confInfo': {'state': 'Created', 'liveState': 1, 'mode': 'FREE'}})
    assert unreported == {'recState'}
    assert meeting['recording'] is None
    assert meeting['live'] is True
    assert meeting['broadcast_participant'] is None


def test_zero_is_off_and_known():
    meeting, unreported = read_meeting('1', {'confInfo': {'recState': 0, 'liveState': 0}})
    assert meeting['recording'] is False and meeting['live'] is False
    assert not {'recState', 'liveState'} & unreported


def test_broadcast_mode_without_pid_is_unknown():
    meeting, unreported = read_meeting('1', {'confInfo': {'mode': 'BROADCAST'}})
    assert meeting['broadcast_participant'] is None
    assert 'broadcastPid' in unreported


def test_broadcast_of_someone_not_listed_keeps_the_pid():
    meeting, _unreported = read_meeting('1', {'confInfo': {'mode': 'BROADCAST', 'broadcastPid': 'gone'}})
    assert meeting['broadcast_participant'] == {'pid': 'gone', 'name': None, 'phone': None}


def test_unexpected_values_are_unknown():
    meeting, unreported = read_meeting('1', {'confInfo': {'recState': 'yes', 'liveState': None}, 'participants': 'x'})
    assert meeting['recording'] is None and meeting['live'] is None
    assert {'recState', 'liveState'} <= unreported
    assert meeting['participants'] == []


def test_other_states_are_not_in_progress():
    for state in ('Schedule', 'Destroyed'):
        meeting, _unreported = read_meeting('1', {'confInfo': {'state': state}})
        assert meeting['in_progress'] is False


def test_idle_meeting_is_not_in_progress_and_otherwise_unknown():
    meeting = idle_meeting('914044873')
    assert meeting['in_progress'] is False
    assert meeting['conference_id'] == '914044873'
    assert all(meeting[key] is None for key in ('recording', 'live', 'mode', 'broadcast_participant',
                                                'chair_id', 'co_hosts', 'participant_count'))
    assert meeting['participants'] == [] and meeting['attendees'] == []
    assert set(meeting) == set(read_meeting('1', FULL)[0])


def test_a_broadcast_pid_without_the_mode_is_not_nobody_broadcast():
    # Without the mode, a broadcastPid does not tell whether anybody is
    # broadcast: unknown (unreported), never "nobody" as a known fact.
    for pid in ('p2', ''):
        meeting, unreported = read_meeting('1', dict(FULL, confInfo={'broadcastPid': pid}))
        assert meeting['broadcast_participant'] is None and meeting['mode'] is None
        assert {'mode', 'broadcastPid'} <= unreported


def test_another_mode_is_nobody_broadcast_as_a_known_fact():
    meeting, unreported = read_meeting('1', dict(FULL, confInfo={'mode': 'FREE', 'broadcastPid': 'p2'}))
    assert meeting['broadcast_participant'] is None and meeting['mode'] == 'FREE'
    assert 'broadcastPid' not in unreported and 'mode' not in unreported


def test_broadcast_mode_with_an_empty_pid_is_nobody_and_known():
    meeting, unreported = read_meeting('1', {'confInfo': {'mode': 'BROADCAST', 'broadcastPid': ''}})
    assert meeting['broadcast_participant'] is None
    assert 'broadcastPid' not in unreported
