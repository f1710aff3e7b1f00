# The browser tests: headless Chromium from Debian's package (make test
# installs it where it is missing: the Makefile's chromium step).
import pytest

from .chromium import missing


@pytest.fixture(autouse=True)
def chromium_here():
    why = missing()
    if why:
        pytest.fail(why, pytrace=False)


@pytest.fixture(autouse=True)
def private_token_cache(tmp_path, monkeypatch):
    """An empty token cache of each test's own, as in tests/integration."""
    monkeypatch.setenv('HWMEETING_TOKEN_CACHE_DIR', str(tmp_path / 'tokens'))
    monkeypatch.delenv('HWMEETING_DIRECT_EXECUTION', raising=False)
