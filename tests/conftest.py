# Shared by every pytest suite of the repository.
import os
import sys

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)

# The simulator package (tests/simulator/hwmeeting_sim), and the benchmark's
# scripts, whose scenarios the load tests run small (tests/benchmark).
sys.path.insert(0, os.path.join(TESTS, 'simulator'))
sys.path.insert(0, os.path.join(TESTS, 'benchmark'))

# The collection as built and installed by `make collection`; PYTHONPATH
# already points there under make, this helps a bare `pytest` run.
_installed = os.path.join(ROOT, '.build', 'collections')
if os.path.isdir(_installed) and _installed not in sys.path:
    sys.path.insert(0, _installed)
