"""Shared fixtures of the simulator's self-tests.

Puts `tests/simulator` on sys.path (so `import hwmeeting_sim` works however
pytest is started), and gives every test module the same fixtures:

- `sim`: a simulator on a free port of 127.0.0.1, loaded with a deep copy of
  the test module's own `CONFIG`, stopped after the test;
- `tls_sim`: the same over HTTPS with a generated CA;
- `wait_until`: polls for a condition the test then asserts.
"""

import copy
import os
import sys
import time

import pytest

SIM_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if SIM_DIR not in sys.path:
    sys.path.insert(0, SIM_DIR)

from hwmeeting_sim import Simulator  # noqa: E402  (needs the path above)


def _module_config(request):
    config = getattr(request.module, "CONFIG", None)
    if config is None:
        raise RuntimeError("%s defines no CONFIG for the sim fixture" % request.module.__name__)
    return copy.deepcopy(config)


@pytest.fixture
def sim(request):
    """A running simulator with the test module's CONFIG."""
    with Simulator(config=_module_config(request)) as simulator:
        yield simulator


@pytest.fixture
def tls_sim(request):
    """A running simulator with the test module's CONFIG, over HTTPS."""
    with Simulator(config=_module_config(request), tls=True) as simulator:
        yield simulator


def _wait_until(predicate, limit=20.0):
    """Poll for a condition the test then asserts; the limit only bounds a
    failing run, nothing is measured."""
    deadline = time.monotonic() + limit
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


@pytest.fixture
def wait_until():
    """`wait_until(predicate, limit=20.0)`: True once predicate() holds."""
    return _wait_until
