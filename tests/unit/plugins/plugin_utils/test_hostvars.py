# The runbooks' filters read each meeting's variables through one helper.
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

from ansible.module_utils.six import text_type

from ansible_collections.hwcloud.meeting.plugins.plugin_utils.hostvars import meeting_variable, plain


class Broken(dict):
    """A host's variables in which one cannot be read (an undefined template)."""

    def __getitem__(self, name):
        if name == 'broken':
            raise RuntimeError('undefined variable')
        return dict.__getitem__(self, name)


class Text(object):
    def __str__(self):
        return 'lazy text'


HOSTVARS = {'keynote': Broken({'registered': {'ok': True, 'items': (1, None, 2.5), b'raw': b'bytes', 'lazy': Text()},
                               'broken': 'x'})}


def test_a_meeting_variable_is_plain_data():
    assert meeting_variable(HOSTVARS, 'keynote', 'registered') == {
        'ok': True, 'items': [1, None, 2.5], 'raw': 'bytes', 'lazy': 'lazy text'}
    assert all(isinstance(key, text_type) for key in meeting_variable(HOSTVARS, 'keynote', 'registered'))


def test_what_is_not_there_or_cannot_be_read_is_none():
    assert meeting_variable(HOSTVARS, 'keynote', 'unset') is None
    assert meeting_variable(HOSTVARS, 'board', 'registered') is None  # no such host
    assert meeting_variable(HOSTVARS, 'keynote', 'broken') is None


def test_plain_keeps_numbers_and_booleans():
    assert plain([0, 1.5, False, None]) == [0, 1.5, False, None]
