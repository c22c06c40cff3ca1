"""Flask's ``flask.testing`` under tapster's name (the code is in ``tapster.web.testing``)."""

from .web.testing import *  # noqa: F403
from .web.testing import __all__  # noqa: F401
