"""hwmeeting_sim: a stand-in for Huawei Cloud Meeting's REST API, for tests,
demos and benchmarks.  See tests/simulator/README.md.

    from hwmeeting_sim import Simulator, SimulatorAdmin
"""

from .client import SimulatorAdmin, SimulatorAdminError
from .server import DEMO_MEETINGS, Simulator
from .state import ConfigError

__all__ = ["Simulator", "SimulatorAdmin", "SimulatorAdminError", "ConfigError",
           "DEMO_MEETINGS"]
