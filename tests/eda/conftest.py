# Fixtures of the event source's tests.
import os
import runpy

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# The event source as `make collection` installed it.
PLUGIN = os.path.join(ROOT, '.build', 'collections', 'ansible_collections', 'hwcloud', 'meeting', 'extensions',
                      'eda', 'plugins', 'event_source', 'meeting_events.py')


@pytest.fixture(autouse=True)
def private_token_cache(tmp_path, monkeypatch):
    """Each test starts with an empty token cache of its own: the cache is
    keyed by the API URL, and a simulator of a later test may get the port
    of an earlier one, whose tokens it refuses (a 401 and a renewal the
    test's call counts do not expect)."""
    monkeypatch.setenv('HWMEETING_TOKEN_CACHE_DIR', str(tmp_path / 'tokens'))


@pytest.fixture(scope='module')
def plugin():
    """The event source's module namespace (runpy, as ansible-rulebook runs it)."""
    assert os.path.exists(PLUGIN), 'run `make collection` first'
    return runpy.run_path(PLUGIN)
