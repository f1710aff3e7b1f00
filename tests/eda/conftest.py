# Fixtures of the event source's tests.
import os
import runpy

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The event source as `make collection` installed it.
PLUGIN = os.path.join(ROOT, '.build', 'collections', 'ansible_collections', 'hwcloud', 'meeting', 'extensions',
                      'eda', 'plugins', 'event_source', 'meeting_events.py')


@pytest.fixture(scope='module')
def plugin():
    """The event source's module namespace (runpy, as ansible-rulebook runs it)."""
    assert os.path.exists(PLUGIN), 'run `make collection` first'
    return runpy.run_path(PLUGIN)
