# Fixtures for every unit test module.
import pytest
import requests


class NetworkUsed(AssertionError):
    pass


@pytest.fixture
def no_network(monkeypatch):
    """Any HTTP request fails the test: input checks happen before calls."""
    def refuse(*args, **kwargs):
        raise NetworkUsed('an HTTP request was made: %r %r' % (args[1:3], kwargs.get('params')))
    monkeypatch.setattr(requests.Session, 'request', refuse)


@pytest.fixture(autouse=True)
def private_token_cache(tmp_path, monkeypatch):
    """Each test starts with an empty token cache of its own."""
    monkeypatch.setenv('HWMEETING_TOKEN_CACHE_DIR', str(tmp_path / 'tokens'))


@pytest.fixture(autouse=True)
def no_warning_from_an_earlier_test():
    """AnsibleModule keeps warnings in a process-wide registry (a module
    process has one task): start each test without another test's."""
    from ansible.module_utils.common import warnings as module_warnings
    for name in ('_global_warnings', '_global_deprecations'):
        registry = getattr(module_warnings, name, None)
        if registry is not None:
            registry.clear()
