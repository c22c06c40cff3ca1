"""HTTP errors as exceptions (``from tapster.exceptions import NotFound``).

The classes live in ``tapster.web.exceptions``; this module is the public
name, as ``werkzeug.exceptions`` is for Flask users.
"""

from .web.exceptions import *  # noqa: F403
from .web.exceptions import __all__  # noqa: F401
