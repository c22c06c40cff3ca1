"""The request's containers (``from tapster.datastructures import FileStorage, MultiDict``).

They live in ``tapster.web.datastructures``; this module is the public
name, as ``werkzeug.datastructures`` is for Flask users. The header value
types (``MIMEAccept``, ``ETags``, ``Range``...) are found here too, under
their Werkzeug names, loaded on first use as in ``tapster.web.datastructures``.
"""

from typing import Any

from .web import datastructures as _datastructures
from .web.datastructures import *  # noqa: F403
from .web.datastructures import __all__  # noqa: F401


def __getattr__(name: str) -> Any:
    return getattr(_datastructures, name)
