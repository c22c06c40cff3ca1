"""Flask's ``flask.sessions`` under tapster's name (the code is in ``tapster.web.sessions``)."""

from .web.sessions import *  # noqa: F403
from .web.sessions import __all__  # noqa: F401
