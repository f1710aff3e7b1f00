"""`python -m hwmeeting_sim ...` (with tests/simulator on PYTHONPATH)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
