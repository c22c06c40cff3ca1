"""The request's containers (``from tapster.datastructures import FileStorage, MultiDict``).

They live in ``tapster.web.datastructures``; this module is the public
name, as ``werkzeug.datastructures`` is for Flask users.
"""

from .web.datastructures import *  # noqa: F403
from .web.datastructures import __all__  # noqa: F401
