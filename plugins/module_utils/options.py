# -*- coding: utf-8 -*-
# Copyright: (c) 2026, hwcloud.meeting contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one owner of the connection and login options, for every kind of
plugin of the collection: the modules (through AnsibleModule's argument
spec), the inventory plugin and the event source (through ``resolve``).

One table says, for each option, its type, its ``HWMEETING_*`` environment
variable, its default, whether it is a secret, and its bounds; ``check``
holds the rules between options (pairs, a whole login). This is the only
file that reads the ``HWMEETING_*`` connection variables, and
``build_client`` the only place a MeetingClient is built from options. The
options are documented once, in the ``hwcloud.meeting.connection`` doc
fragment (a test holds the fragment, the modules, the inventory plugin and
the event source to this table).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os
import re

from ansible.module_utils.common.validation import check_type_bool, check_type_float, check_type_str
from ansible.module_utils.errors import AnsibleFallbackNotFound
from ansible.module_utils.six.moves.urllib.parse import urlparse

from ansible_collections.hwcloud.meeting.plugins.module_utils.client import DEFAULT_API_URL, MeetingClient
from ansible_collections.hwcloud.meeting.plugins.module_utils.ratelimit import DEFAULT_MAX_WAIT, pacer_for
from ansible_collections.hwcloud.meeting.plugins.module_utils.token_cache import MemoryTokenCache, TokenCache


# A meeting ID: ASCII digits only. str.isdigit() also takes full-width
# digits, which a meeting ID copied from some invitations has, and the
# service does not.
_MEETING_ID = re.compile(r'[0-9]+\Z')


def is_meeting_id(text):
    """Whether ``text`` (already stripped) is a meeting ID."""
    return bool(_MEETING_ID.match(text))


class Option(object):
    """One option: ``kind`` is 'str', 'bool', 'int', 'float' or 'path';
    a number's lower bound, ``at_least`` or ``greater_than``, with ``unit``
    (a number of what) for the words of a value out of bounds."""

    def __init__(self, name, kind, env=None, default=None, no_log=False, at_least=None, greater_than=None, unit=None):
        self.name = name
        self.kind = kind
        self.env = env
        self.default = default
        self.no_log = no_log
        self.at_least = at_least
        self.greater_than = greater_than
        self.unit = unit

    def out_of_bounds(self, value):
        """Words for ``value`` when it is out of the option's bounds, else None."""
        if value is None:
            return None
        if self.greater_than is not None:
            if math.isfinite(value) and value > self.greater_than:
                return None
            return '%s must be a number%s greater than %s (got %s)' % (
                self.name, ' of %s' % self.unit if self.unit else '', self.greater_than, value)
        if self.at_least is None or (math.isfinite(value) and value >= self.at_least):
            return None
        unit = ' %s' % self.unit if self.unit else ''
        return '%s must be %s or more%s (got %s)' % (self.name, self.at_least, unit, value)


# The connection and login options: the same for every plugin kind.
CONNECTION_OPTIONS = (
    Option('api_url', 'str', env='HWMEETING_API_URL', default=DEFAULT_API_URL),
    Option('access_token', 'str', env='HWMEETING_ACCESS_TOKEN', no_log=True),
    Option('app_id', 'str', env='HWMEETING_APP_ID'),
    Option('app_key', 'str', env='HWMEETING_APP_KEY', no_log=True),
    Option('user_id', 'str', env='HWMEETING_USER_ID'),
    Option('corp_id', 'str', env='HWMEETING_CORP_ID'),
    Option('account', 'str', env='HWMEETING_ACCOUNT'),
    Option('account_password', 'str', env='HWMEETING_ACCOUNT_PASSWORD', no_log=True),
    Option('validate_certs', 'bool', env='HWMEETING_VALIDATE_CERTS', default=True),
    Option('ca_path', 'path', env='HWMEETING_CA_PATH'),
    Option('timeout', 'float', default=30.0, greater_than=0, unit='seconds'),
    Option('retries', 'int', default=3, at_least=0),
    Option('token_cache', 'bool', env='HWMEETING_TOKEN_CACHE', default=True),
    Option('rate_limit_wait', 'float', env='HWMEETING_RATE_LIMIT_WAIT', default=DEFAULT_MAX_WAIT, at_least=0,
           unit='seconds'),
)
BY_NAME = dict((option.name, option) for option in CONNECTION_OPTIONS)

# The ways to log in: a bearer token, an App ID and its key, an account and its password.
LOGINS = (('access_token',), ('app_id', 'app_key'), ('account', 'account_password'))
# Options that must come in pairs: the first without the second is a typo or
# a missing secret, and is refused rather than ignored.
PAIRS = (('app_id', 'app_key'), ('app_key', 'app_id'),
         ('account', 'account_password'), ('account_password', 'account'),
         ('user_id', 'app_id'), ('corp_id', 'app_id'))

NO_LOGIN = ('no login credentials: give access_token, or app_id and app_key, or account and account_password '
            '(or the HWMEETING_* environment variables)')

_ANSIBLE_TYPES = {'str': 'str', 'bool': 'bool', 'int': 'int', 'float': 'float', 'path': 'path'}


def given(value):
    """An option counts as given unless it is None or empty: AWX injects
    optional credential fields as empty strings."""
    return value is not None and value != ''


def has_login(options):
    """Whether ``options`` (a mapping of option names) hold one whole way to
    log in; an empty value counts as not given."""
    return any(all(given(options.get(name)) for name in login) for login in LOGINS)


def env_fallback(*names):
    """Like Ansible's env_fallback, but an empty variable counts as unset:
    AWX injects optional credential fields as empty strings, which must not
    replace a default (api_url) or fail a type check (validate_certs)."""
    for name in names:
        if os.environ.get(name):
            return os.environ[name]
    raise AnsibleFallbackNotFound


def argument_spec():
    """The options as an AnsibleModule argument spec."""
    spec = {}
    for option in CONNECTION_OPTIONS:
        entry = dict(type=_ANSIBLE_TYPES[option.kind])
        if option.default is not None:
            entry['default'] = option.default
        if option.no_log:
            entry['no_log'] = True
        if option.env:
            entry['fallback'] = (env_fallback, [option.env])
        spec[option.name] = entry
    return spec


def _convert(option, value, name):
    """``value`` (from a file, an argument or a variable) as the option's
    type, by Ansible's own type checks; ValueError with words (naming it
    ``name``) when it is not one. Ours where they differ: a bool is no
    number; an int may be written 3.0 (check_type_int takes that only from
    ansible-core 2.19); a path expands ``~`` but not variables."""
    if option.kind == 'bool':
        try:
            return check_type_bool(value)
        except TypeError:
            raise ValueError('%s must be true or false (got %s)' % (name, value))
    if option.kind in ('int', 'float'):
        try:
            if isinstance(value, bool):
                raise TypeError(value)
            number = check_type_float(value)
            if option.kind == 'int' and math.isfinite(number) and number != int(number):
                raise TypeError(value)
        except TypeError:
            raise ValueError('%s must be a %s (got %s)' % (
                name, 'whole number' if option.kind == 'int' else 'number', value))
        return int(number) if option.kind == 'int' and math.isfinite(number) else number
    if option.kind == 'path':
        return os.path.expanduser(check_type_str(value))
    return check_type_str(value)


def resolve(values, environ=None, table=CONNECTION_OPTIONS):
    """``(options, problems)``: every option of ``table`` from ``values`` (a
    mapping; a value that is None or empty counts as not given), else from
    its non-empty environment variable, else its default, converted to its
    type; ``problems`` names each value that could not be converted."""
    environ = os.environ if environ is None else environ
    options, problems = {}, []
    for option in table:
        value, name = values.get(option.name), option.name
        if not given(value) and option.env:
            value, name = environ.get(option.env), option.env
        if not given(value):
            options[option.name] = option.default
            continue
        try:
            options[option.name] = _convert(option, value, name)
        except ValueError as error:
            problems.append(str(error))
            options[option.name] = option.default
    return options, problems


def check(options, uses_login=False, needs_login=False):
    """The problems of resolved ``options``, in words, before any call:
    bounds, the API URL, the CA bundle; with ``uses_login`` (the plugin logs
    in) a login option without its partner; with ``needs_login`` a missing
    login."""
    problems = []
    url = urlparse(options.get('api_url') or '')
    if url.scheme not in ('http', 'https') or not url.netloc:
        problems.append("api_url must be an http:// or https:// URL, such as %s (got '%s')"
                        % (DEFAULT_API_URL, options.get('api_url')))
    problems.extend(out_of_bounds(options))
    if options.get('ca_path') and not os.path.exists(options['ca_path']):
        problems.append('ca_path %s does not exist' % options['ca_path'])
    for option, partner in PAIRS if uses_login else ():
        if given(options.get(option)) and not given(options.get(partner)):
            problems.append('%s is set but %s is missing' % (option, partner))
    if needs_login and not has_login(options):
        problems.append(NO_LOGIN)
    return problems


def out_of_bounds(options, table=CONNECTION_OPTIONS):
    """Words for each resolved option of ``table`` out of its bounds."""
    return [words for words in (option.out_of_bounds(options.get(option.name)) for option in table) if words]


def build_client(options, warn=None, register_secret=None, cache=None, pacer=None, **meeting):
    """The MeetingClient of resolved ``options``; ``meeting`` holds
    ``conference_id``, ``host_password`` and ``conference_token`` when the
    client controls a meeting. ``cache`` and ``pacer``: shared by the clients
    of one process (the event source's watchers), else made from the
    options."""
    if cache is None and options['token_cache']:
        cache = TokenCache(warn=warn)
    if pacer is None:
        pacer = pacer_for(cache, options['rate_limit_wait'])
    return MeetingClient(
        pacer, api_url=options['api_url'], access_token=options['access_token'],
        app_id=options['app_id'], app_key=options['app_key'], user_id=options['user_id'],
        corp_id=options['corp_id'], account=options['account'], account_password=options['account_password'],
        validate_certs=options['validate_certs'], ca_path=options['ca_path'],
        timeout=options['timeout'], retries=options['retries'],
        register_secret=register_secret, cache=cache, **meeting)


def shared(options, warn=None):
    """A token cache and a pacer for all the clients of one long-lived
    process (the event source's watchers), as keyword arguments of
    build_client: one login serves them all, and their calls are paced
    together (and with the modules of the controller, through the token
    cache's directory, when the cache is on)."""
    cache = TokenCache(warn=warn) if options['token_cache'] else MemoryTokenCache()
    return dict(cache=cache, pacer=pacer_for(cache, options['rate_limit_wait']))
