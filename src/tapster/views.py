"""Flask's ``flask.views`` under tapster's name (the code is in ``tapster.web.views``)."""

from .web.views import *  # noqa: F403
from .web.views import __all__  # noqa: F401
