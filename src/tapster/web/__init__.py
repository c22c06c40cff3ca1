"""tapster's web framework: Flask's API, written here (``tapster.App`` and friends).

A plain WSGI application: it runs on tapster's server, under gunicorn, or
under any WSGI server, and imports the server only inside ``App.run()``.
The names below are re-exported from ``tapster``, so a Flask app ports by
changing ``from flask import ...`` to ``from tapster import ...``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import json
from .app import App
from .blueprints import Blueprint
from .config import Config
from .ctx import (
    after_this_request,
    copy_current_request_context,
    has_app_context,
    has_request_context,
)
from .exceptions import abort
from .files import send_file, send_from_directory
from .globals import current_app, g, request, session
from .helpers import (
    flash,
    get_flashed_messages,
    make_response,
    redirect,
    stream_with_context,
    url_for,
)
from .json import jsonify
from .request import Request
from .response import Response

if TYPE_CHECKING:
    from .templating import (
        get_template_attribute,
        render_template,
        render_template_string,
        stream_template,
        stream_template_string,
    )

# Jinja2 is imported when templates are first used, not with the framework.
_TEMPLATING = {
    "get_template_attribute",
    "render_template",
    "render_template_string",
    "stream_template",
    "stream_template_string",
}

__all__ = [
    "App",
    "Blueprint",
    "Config",
    "Request",
    "Response",
    "abort",
    "after_this_request",
    "copy_current_request_context",
    "current_app",
    "flash",
    "g",
    "get_flashed_messages",
    "get_template_attribute",
    "has_app_context",
    "has_request_context",
    "json",
    "jsonify",
    "make_response",
    "redirect",
    "render_template",
    "render_template_string",
    "request",
    "send_file",
    "send_from_directory",
    "session",
    "stream_template",
    "stream_template_string",
    "stream_with_context",
    "url_for",
]


def __getattr__(name: str) -> Any:
    if name in _TEMPLATING:
        from . import templating

        return getattr(templating, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
