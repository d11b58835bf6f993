"""govcloud: blueprints, policy checks and infrastructure-as-code for a city's government cloud."""
from govcloud.api import InvalidBlueprints, load_project, validate
from govcloud.errors import GovcloudError

__version__ = "0.1.0"
__all__ = ["GovcloudError", "InvalidBlueprints", "__version__", "load_project", "validate"]
