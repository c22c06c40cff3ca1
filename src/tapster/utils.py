"""Helpers for applications (``from tapster.utils import secure_filename``).

They live in ``tapster.web.utils``; this module is the public name, as
``werkzeug.utils`` is for Flask users.
"""

from .web.utils import *  # noqa: F403
from .web.utils import __all__  # noqa: F401
