# Unit tests of the inventory plugin hwcloud.meeting.meetings, its methods
# called directly (tests/integration/test_inventory.py runs it through
# ansible-inventory against the simulator): its own search filter, which the
# simulator's filtering would hide, starting_within on ended meetings and on
# meetings without a start or an end time, its option bounds, and the TLS
# settings of its client. No network.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import datetime
import importlib

import pytest
import requests
from ansible.module_utils import _internal

from ansible_collections.hwcloud.meeting.plugins.module_utils.client import PATH_LIST

from ..module_utils.fakes import ScriptedSession, response


def _import_as_a_test(*names):
    """Importing controller code (the plugin, ansible.errors) marks the whole
    process as Ansible's controller, and module_utils then send warnings to
    the display instead of the result. The modules' unit tests share this
    process, so that is put back as it was."""
    saved = (_internal.is_controller, _internal.import_controller_module, _internal.get_controller_serialize_map)
    try:
        return [importlib.import_module(name) for name in names]
    finally:
        _internal.is_controller, _internal.import_controller_module, _internal.get_controller_serialize_map = saved


meetings, errors, data = _import_as_a_test('ansible_collections.hwcloud.meeting.plugins.inventory.meetings',
                                           'ansible.errors', 'ansible.inventory.data')
InventoryModule, host_variables = meetings.InventoryModule, meetings.host_variables
AnsibleParserError, InventoryData = errors.AnsibleParserError, data.InventoryData

NOW = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.timezone.utc)
DEFAULTS = {'plugin': 'hwcloud.meeting.meetings', 'search': None, 'in_progress': False, 'starting_within': None,
            'page_size': 100, 'hostname': None, 'group': 'meetings', 'strict': False, 'compose': None,
            'groups': None, 'keyed_groups': None, 'cache': False}


class Display(object):
    def __init__(self):
        self.warnings = []

    def warning(self, text):
        self.warnings.append(text)


def plugin(**options):
    """The plugin with ``options`` as if read from its file, and no file
    option of the connection (those come from the environment)."""
    inventory = InventoryModule()
    values = dict(DEFAULTS, **options)
    inventory.get_option = values.get
    inventory.display = Display()
    inventory._file_options = {}
    inventory.inventory = InventoryData()
    return inventory


def meeting(conference_id='700000001', subject='Product Keynote', start='2026-03-02 10:00', end='2026-03-02 11:00',
            state='Schedule'):
    return host_variables({'conferenceID': conference_id, 'subject': subject, 'startTime': start, 'endTime': end,
                           'conferenceState': state})


# --- the plugin's own search filter ------------------------------------------------------

@pytest.mark.parametrize('search, subject, conference_id, wanted', [
    ('webinar', 'Customer WEBINAR: EMEA', '700000002', True),     # any case
    ('  Webinar ', 'Customer webinar: APAC', '700000003', True),  # the search's own blanks do not count
    ('webinar', 'Town Hall', '700000008', False),
    ('00008', 'Town Hall', '700000008', True),                    # the meeting ID
    ('', 'Town Hall', '700000008', True),
    (None, 'Town Hall', '700000008', True),
])
def test_search_checks_the_subject_and_the_meeting_id_again(search, subject, conference_id, wanted):
    assert plugin(search=search)._wanted(meeting(conference_id, subject), NOW) is wanted


def test_search_filters_what_a_service_that_ignores_searchkey_returns():
    inventory = plugin(search='webinar')
    inventory._populate([meeting('700000002', 'Customer Webinar'), meeting('700000008', 'Town Hall')])
    assert sorted(inventory.inventory.hosts) == ['customer_webinar']


# --- starting_within -----------------------------------------------------------------------------

@pytest.mark.parametrize('start, end, wanted', [
    ('2026-03-02 10:00', '2026-03-02 11:00', True),    # starts in an hour
    ('2026-03-02 11:00', '2026-03-02 12:00', True),    # starts at the end of the window: kept
    ('2026-03-02 11:01', '2026-03-02 12:00', False),   # starts after it
    ('2026-03-02 08:00', '2026-03-02 10:00', True),    # in progress
    ('2026-03-02 07:00', '2026-03-02 08:59', False),   # ended
    ('2026-03-02 08:00', '2026-03-02 09:00', False),   # ends now: ended
    ('2026-03-02 10:00', None, True),                  # no end time: kept, not a crash
    ('2026-03-02 08:00', 'soon', True),                # an end time that cannot be read: as none
])
def test_starting_within_keeps_what_starts_in_the_window_and_has_not_ended(start, end, wanted):
    inventory = plugin(starting_within=2)
    assert inventory._wanted(meeting(start=start, end=end), NOW) is wanted
    assert inventory.display.warnings == []


def test_starting_within_zero_keeps_only_what_has_started():
    inventory = plugin(starting_within=0)
    assert inventory._wanted(meeting(start='2026-03-02 08:00'), NOW) is True
    assert inventory._wanted(meeting(start='2026-03-02 09:01'), NOW) is False


@pytest.mark.parametrize('start', [None, '', 'tomorrow'])
def test_a_meeting_without_a_start_time_is_left_out_with_a_warning(start):
    inventory = plugin(starting_within=12)
    assert inventory._wanted(meeting(start=start), NOW) is False
    assert len(inventory.display.warnings) == 1
    assert inventory.display.warnings[0].startswith('Meeting 700000001 has no start time the plugin could read')
    assert 'starting_within leaves it out' in inventory.display.warnings[0]


def test_without_starting_within_a_meeting_without_times_is_a_host():
    inventory = plugin()
    inventory._populate([meeting(start=None, end=None)])
    assert list(inventory.inventory.hosts) == ['product_keynote']
    variables = inventory.inventory.get_host('product_keynote').vars
    assert variables['start_time'] is None and variables['end_time'] is None
    assert inventory.display.warnings == []


def test_host_variables_are_iso_times_in_utc():
    variables = meeting(start='2026-03-02 10:00', end='2026-03-02 11:30', state='Created')
    assert variables == {'conference_id': '700000001', 'subject': 'Product Keynote',
                         'start_time': '2026-03-02T10:00:00Z', 'end_time': '2026-03-02T11:30:00Z',
                         'conference_state': 'Created'}


# --- the options' bounds --------------------------------------------------------------------

@pytest.fixture
def login(monkeypatch):
    for name in ('HWMEETING_API_URL', 'HWMEETING_APP_ID', 'HWMEETING_APP_KEY', 'HWMEETING_ACCOUNT',
                 'HWMEETING_ACCOUNT_PASSWORD', 'HWMEETING_VALIDATE_CERTS', 'HWMEETING_CA_PATH'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HWMEETING_ACCESS_TOKEN', 'acc-inventory-unit')


@pytest.mark.parametrize('options', [dict(page_size=1), dict(page_size=500), dict(starting_within=0),
                                     dict(starting_within=0.5)])
def test_options_within_their_bounds_are_taken(login, options):
    assert plugin(**options)._connection()['access_token'] == 'acc-inventory-unit'


@pytest.mark.parametrize('options, words', [
    (dict(page_size=0), 'page_size must be 1 to 500 (got 0)'),
    (dict(page_size=501), 'page_size must be 1 to 500 (got 501)'),
    (dict(starting_within=-0.5), 'starting_within must be 0 or more hours (got -0.5)'),
])
def test_options_out_of_their_bounds_fail_with_words(login, options, words):
    with pytest.raises(AnsibleParserError) as caught:
        plugin(**options)._connection()
    assert str(caught.value).startswith('Invalid options for the hwcloud.meeting.meetings inventory: ')
    assert words in str(caught.value)


# --- TLS ----------------------------------------------------------------------------------------

def _fetch(monkeypatch, inventory):
    session = ScriptedSession({PATH_LIST: [response(200, {'count': 1, 'data': [
        {'conferenceID': '700000001', 'subject': 'Product Keynote', 'startTime': '2026-03-02 10:00'}]})]})
    monkeypatch.setattr(requests.Session, 'request', lambda self, method, url, **kw: session(method, url, **kw))
    hosts = inventory._fetch(inventory._connection())
    return session, hosts


def test_certificates_are_verified_unless_validate_certs_says_otherwise(login, monkeypatch):
    inventory = plugin()
    session, hosts = _fetch(monkeypatch, inventory)
    assert [host['conference_id'] for host in hosts] == ['700000001']
    assert session.requests[0]['verify'] is True
    assert inventory.display.warnings == []


def test_validate_certs_false_is_said_in_a_warning(login, monkeypatch):
    monkeypatch.setenv('HWMEETING_VALIDATE_CERTS', 'false')
    inventory = plugin()
    session, _hosts = _fetch(monkeypatch, inventory)
    assert session.requests[0]['verify'] is False
    assert len(inventory.display.warnings) == 1
    assert inventory.display.warnings[0].startswith('validate_certs is false: the certificate of '
                                                    'https://api.meeting.huaweicloud.com is not checked')


def test_the_lists_are_asked_with_the_plugins_options(login, monkeypatch):
    inventory = plugin(search='Keynote', page_size=7)
    session, _hosts = _fetch(monkeypatch, inventory)
    assert session.requests[0]['params'] == {'offset': 0, 'limit': 7, 'queryAll': 'true', 'searchKey': 'Keynote'}


# --- host variables and names ------------------------------------------------------------------

@pytest.mark.parametrize('text', ['2026-03-02 10:00', '2026-03-02 10:00:00', '2026-03-02T10:00:00Z',
                                  '2026-03-02T10:00:00', ' 2026-03-02 10:00 '])
def test_the_times_of_the_lists_are_read_in_each_spelling_as_utc(text):
    assert meetings.parse_time(text) == datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize('subject, name', [('Weekly -- Sync!! ', 'weekly_sync'), ('__Town_Hall__', 'town_hall'),
                                           ('!!!', ''), (None, ''), ('Linux', 'linux')])
def test_host_names_are_subjects_made_safe(subject, name):
    assert meetings.safe_name(subject) == name


def test_a_meeting_without_an_id_or_subject_is_not_made_up():
    assert host_variables({}) == {'conference_id': '', 'subject': '', 'start_time': None, 'end_time': None,
                                  'conference_state': None}
    inventory = plugin()
    inventory._populate([host_variables({'subject': 'No ID'}), meeting('700000009', '')])
    assert list(inventory.inventory.hosts) == ['700000009']  # named by its ID, the one without an ID left out


@pytest.mark.parametrize('name, taken', [('event.hwcloud_meeting.yml', True), ('event.hwcloud_meeting.yaml', True),
                                         ('event.yml', False), ('event.hwcloud_meeting.json', False)])
def test_the_inventory_files_it_reads(tmp_path, name, taken):
    path = tmp_path / name
    path.write_text('plugin: hwcloud.meeting.meetings\n')
    assert bool(InventoryModule().verify_file(str(path))) is taken


def test_a_file_that_does_not_exist_is_not_taken(tmp_path):
    # verify_file answers a boolean (BaseInventoryPlugin's contract), for a missing file too
    assert InventoryModule().verify_file(str(tmp_path / 'missing.hwcloud_meeting.yml')) is False
