"""Flask's ``flask.templating`` under tapster's name (the code is in ``tapster.web.templating``)."""

from .web.templating import *  # noqa: F403
from .web.templating import __all__  # noqa: F401
