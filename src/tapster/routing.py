"""URL routing (``from tapster.routing import BaseConverter``).

The classes live in ``tapster.web.routing``; this module is the public
name, as ``werkzeug.routing`` is for Flask users.
"""

from .web.routing import *  # noqa: F403
from .web.routing import __all__  # noqa: F401
