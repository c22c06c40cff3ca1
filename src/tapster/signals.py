"""Flask's ``flask.signals`` under tapster's name (the code is in ``tapster.web.signals``)."""

from .web.signals import *  # noqa: F403
from .web.signals import __all__  # noqa: F401
