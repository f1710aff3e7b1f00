from .helpers import no_network  # noqa: F401  (a fixture for every unit test module)
