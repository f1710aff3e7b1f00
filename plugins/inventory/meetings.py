# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: meetings
short_description: Huawei Cloud Meeting meetings as inventory hosts
version_added: 0.2.0
description:
  - A host per meeting of Huawei Cloud Meeting, from the service's meeting lists (scheduled and running
    meetings, or only those in progress), for the event-day runbooks and AWX inventory sources.
  - Reads its configuration from a file whose name ends in C(hwcloud_meeting.yml) or C(hwcloud_meeting.yaml).
  - Logs in with the same options and E(HWMEETING_*) environment variables as the modules, so one AWX
    credential serves the inventory sync and the jobs. An administrator of the enterprise sees every
    meeting, any other login the meetings it scheduled.
  - The lists are followed page by page to the end.
  - Host variables are C(conference_id), C(subject), C(start_time) and C(end_time) (ISO 8601, UTC),
    C(conference_state) (C(Schedule), C(Created) or C(Destroyed)) and C(in_progress). No password is ever
    put in the inventory; the modules read a meeting's host password themselves when they need it.
extends_documentation_fragment:
  - hwcloud.meeting.connection
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
options:
  plugin:
    description: The name of this plugin; it identifies the file as its configuration.
    required: true
    type: str
    choices: [hwcloud.meeting.meetings]
  search:
    description:
      - Only meetings whose subject contains this text (any case), or whose meeting ID does.
      - Sent to the service as C(searchKey), and checked again here.
    type: str
  in_progress:
    description:
      - Only meetings in progress (the service's list of meetings in progress); otherwise scheduled and
        running meetings.
    type: bool
    default: false
  starting_within:
    description:
      - Only meetings that start within this many hours from now and have not ended yet, for example
        V(12) for "starting within the next 12 hours". Meetings in progress are kept.
      - A meeting whose start time the service did not give is left out, with a warning.
    type: float
  page_size:
    description:
      - Meetings asked for per page of the lists (1 to 500).
    type: int
    default: 100
  hostname:
    description:
      - A Jinja2 expression (as in O(compose)) over the host variables that names each host,
        for example V("'meeting_' ~ conference_id").
      - By default the subject made safe for a host name (lower case, every run of characters other than
        letters and digits becomes C(_)).
      - A name that is empty, or that more than one meeting would get, is replaced by the meeting ID.
    type: str
  group:
    description:
      - The group every meeting's host is put in; the event-day runbooks target C(meetings) by default.
      - An empty value puts the hosts in no group of the plugin's own (use O(groups) and O(keyed_groups)).
    type: str
    default: meetings
notes:
  - The inventory is a list of meetings. It holds no password or token, and the cache (O(cache)) keeps only
    the host variables above.
  - Times are compared in UTC, with the controller's clock.
author:
  - hwcloud.meeting maintainers (@hwcloud-meeting)
'''

EXAMPLES = r'''
# Three inventory source files. The first two, as comments (one YAML document here):
#
# meetings.hwcloud_meeting.yml: every meeting the login may see, credentials from HWMEETING_*
#   plugin: hwcloud.meeting.meetings
#
# live.hwcloud_meeting.yml: the meetings in progress now, for the status runbook
#   plugin: hwcloud.meeting.meetings
#   in_progress: true

# event.hwcloud_meeting.yml: this morning's webinars, by meeting ID, with a group per state
plugin: hwcloud.meeting.meetings
search: webinar
starting_within: 12
hostname: "'webinar_' ~ conference_id"
keyed_groups:
  - key: conference_state | lower
    prefix: state
compose:
  keynote_speaker: "'Keynote Speaker' if 'keynote' in subject | lower else ''"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/hwcloud.meeting/inventory
cache_timeout: 300
'''

import datetime
import re

from ansible.errors import AnsibleParserError
from ansible.module_utils.common.text.converters import to_native
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.hwcloud.meeting.plugins.module_utils import options as option_table
from ansible_collections.hwcloud.meeting.plugins.module_utils.client import HAS_REQUESTS
from ansible_collections.hwcloud.meeting.plugins.module_utils.errors import MeetingError
from ansible_collections.hwcloud.meeting.plugins.module_utils.realtime import IN_PROGRESS

# The host variables, the only data kept from the service's answers (and the
# only data cached): never passwordEntry or anything else.
HOST_VARIABLES = ('conference_id', 'subject', 'start_time', 'end_time', 'conference_state')
_UNSAFE = re.compile(r'[\W]+', re.UNICODE)
_VENDOR_TIME_FORMATS = ('%Y-%m-%d %H:%M', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%SZ', '%Y-%m-%dT%H:%M:%S')


def parse_time(text):
    """A time of the meeting lists ("YYYY-MM-DD HH:MM", UTC) as an aware
    datetime, or None."""
    if not isinstance(text, str) or not text.strip():
        return None
    for layout in _VENDOR_TIME_FORMATS:
        try:
            return datetime.datetime.strptime(text.strip(), layout).replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            continue
    return None


def iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%SZ') if moment else None


def safe_name(subject):
    """The subject made safe for a host name: lower case, letters, digits, _."""
    return _UNSAFE.sub('_', subject or '').strip('_').lower()


def host_variables(conference_data):
    """The host variables of one meeting of a list answer."""
    start = parse_time(conference_data.get('startTime'))
    end = parse_time(conference_data.get('endTime'))
    return {
        'conference_id': str(conference_data.get('conferenceID') or ''),
        'subject': str(conference_data.get('subject') or ''),
        'start_time': iso(start),
        'end_time': iso(end),
        'conference_state': conference_data.get('conferenceState'),
    }


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):

    NAME = 'hwcloud.meeting.meetings'

    def verify_file(self, path):
        if super(InventoryModule, self).verify_file(path):
            return path.endswith(('hwcloud_meeting.yml', 'hwcloud_meeting.yaml'))
        return False

    # --- options -------------------------------------------------------------

    def _connection(self):
        """The connection options (module_utils/options.py: an option given in
        the file wins, then its non-empty HWMEETING_* variable, then its
        default), checked before any call."""
        values = dict((option.name, self.get_option(option.name)) for option in option_table.CONNECTION_OPTIONS
                      if option_table.given(self._file_options.get(option.name)))
        options, problems = option_table.resolve(values)
        problems.extend(option_table.check(options, uses_login=True, needs_login=True))
        page_size = self.get_option('page_size')
        if not 1 <= page_size <= 500:
            problems.append('page_size must be 1 to 500 (got %s)' % page_size)
        within = self.get_option('starting_within')
        if within is not None and within < 0:
            problems.append('starting_within must be 0 or more hours (got %s)' % within)
        if problems:
            raise AnsibleParserError('Invalid options for the hwcloud.meeting.meetings inventory: %s.'
                                     % '; '.join(problems))
        return options

    # --- the service ---------------------------------------------------------------

    def _fetch(self, options):
        """The host variables of every meeting of the list (all its pages)."""
        if not HAS_REQUESTS:
            raise AnsibleParserError('The hwcloud.meeting.meetings inventory needs the Python library requests '
                                     'on the controller')
        if not options['validate_certs']:
            self.display.warning('validate_certs is false: the certificate of %s is not checked, so the login '
                                 'and tokens could be read by whoever answers in its place' % options['api_url'])
        client = option_table.build_client(options, warn=self.display.warning)
        try:
            meetings = client.all_meetings(online=self.get_option('in_progress'), search=self.get_option('search'),
                                           page_size=self.get_option('page_size'))
        except MeetingError as error:
            raise AnsibleParserError('The hwcloud.meeting.meetings inventory failed: %s' % error)
        finally:
            client.close()
        return [host_variables(meeting) for meeting in meetings]

    def _query(self, options):
        """What the cached list depends on: a cache entry made with other
        options is not used."""
        return dict(api_url=options['api_url'], in_progress=self.get_option('in_progress'),
                    search=self.get_option('search') or '',
                    login=options['app_id'] or options['account'] or 'access_token',
                    user_id=options['user_id'] or '', corp_id=options['corp_id'] or '')

    # --- the inventory ----------------------------------------------------------------

    def _wanted(self, meeting, now):
        search = (self.get_option('search') or '').strip().lower()
        if search and search not in meeting['subject'].lower() and search not in meeting['conference_id']:
            return False
        within = self.get_option('starting_within')
        if within is None:
            return True
        start, end = parse_time(meeting['start_time']), parse_time(meeting['end_time'])
        if start is None:
            self.display.warning('Meeting %s has no start time the plugin could read (%r); starting_within '
                                 'leaves it out' % (meeting['conference_id'], meeting['start_time']))
            return False
        return start <= now + datetime.timedelta(hours=within) and (end is None or end > now)

    def _name(self, meeting):
        template = self.get_option('hostname')
        if not template:
            return safe_name(meeting['subject'])
        try:
            return to_native(self._compose(template, meeting) or '').strip()
        except Exception as error:
            raise AnsibleParserError('hostname %r could not be evaluated for meeting %s: %s'
                                     % (template, meeting['conference_id'], to_native(error)))

    def _populate(self, meetings):
        now = datetime.datetime.now(datetime.timezone.utc)
        chosen = []
        for meeting in meetings:
            if not meeting.get('conference_id') or not self._wanted(meeting, now):
                continue
            variables = dict((key, meeting.get(key)) for key in HOST_VARIABLES)
            variables['in_progress'] = variables['conference_state'] == IN_PROGRESS
            chosen.append(variables)
        names = [self._name(variables) for variables in chosen]
        clashes = set(name for name in names if names.count(name) > 1)
        group = self.get_option('group')
        if group:
            self.inventory.add_group(group)
        strict = self.get_option('strict')
        for name, variables in zip(names, chosen):
            if not name or name in clashes:
                name = variables['conference_id']
            self.inventory.add_host(name, group=group or None)
            for key, value in variables.items():
                self.inventory.set_variable(name, key, value)
            self._set_composite_vars(self.get_option('compose'), variables, name, strict=strict)
            self._add_host_to_composed_groups(self.get_option('groups'), variables, name, strict=strict)
            self._add_host_to_keyed_groups(self.get_option('keyed_groups'), variables, name, strict=strict)

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        self._file_options = self._read_config_data(path) or {}
        options = self._connection()
        query = self._query(options)

        cache_key = self.get_cache_key(path)
        use_cache = self.get_option('cache') and cache
        update_cache = self.get_option('cache') and not cache
        meetings = None
        if use_cache:
            try:
                entry = self._cache[cache_key]
            except KeyError:
                update_cache = True
            else:
                if isinstance(entry, dict) and entry.get('query') == query:
                    meetings = entry.get('meetings')
                else:
                    update_cache = True
        if meetings is None:
            meetings = self._fetch(options)
        if update_cache:
            self._cache[cache_key] = dict(query=query, meetings=meetings)
        self._populate(meetings)
