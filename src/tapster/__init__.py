"""tapster: a production-grade HTTP/1.1 WSGI server in pure Python.

``tapster.serve(app, **settings)`` serves any WSGI application; the
``tapster serve MODULE:APP`` command does the same from a shell.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .settings import Settings, SettingsError
from .wsgi import serve

__all__ = ["Settings", "SettingsError", "__version__", "serve"]
