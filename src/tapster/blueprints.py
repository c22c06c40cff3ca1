"""Flask's ``flask.blueprints`` under tapster's name (the code is in ``tapster.web.blueprints``)."""

from .web.blueprints import *  # noqa: F403
from .web.blueprints import __all__  # noqa: F401
