"""Run the simulator without setting PYTHONPATH: `python tests/simulator/run.py ...`.

Same flags as `python -m hwmeeting_sim`; see README.md.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from hwmeeting_sim.cli import main  # noqa: E402  (needs the path above)

if __name__ == "__main__":
    sys.exit(main())
