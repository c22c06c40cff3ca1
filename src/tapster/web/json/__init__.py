"""JSON helpers that use the current app's provider (``app.json``) when there is one."""

from __future__ import annotations

import json as _json
from typing import IO, TYPE_CHECKING, Any

from ..globals import _cv_app
from .provider import DefaultJSONProvider, JSONProvider, _default

if TYPE_CHECKING:
    from ..response import Response

__all__ = ["DefaultJSONProvider", "JSONProvider", "dump", "dumps", "jsonify", "load", "loads"]


def dumps(obj: Any, **kwargs: Any) -> str:
    """Serialise to JSON with the current app's provider, or with Flask's defaults."""
    context = _cv_app.get(None)
    if context is not None:
        return context.app.json.dumps(obj, **kwargs)
    kwargs.setdefault("default", _default)
    return _json.dumps(obj, **kwargs)


def dump(obj: Any, fp: IO[str], **kwargs: Any) -> None:
    """Serialise into a text file (see ``dumps``)."""
    fp.write(dumps(obj, **kwargs))


def loads(s: str | bytes, **kwargs: Any) -> Any:
    """Parse JSON with the current app's provider, or with the standard library."""
    context = _cv_app.get(None)
    if context is not None:
        return context.app.json.loads(s, **kwargs)
    return _json.loads(s, **kwargs)


def load(fp: IO[Any], **kwargs: Any) -> Any:
    """Parse the JSON document in a file (see ``loads``)."""
    return loads(fp.read(), **kwargs)


def jsonify(*args: Any, **kwargs: Any) -> Response:
    """A JSON response: ``jsonify(obj)``, ``jsonify(a, b)`` (a list) or ``jsonify(key=value)``.

    Needs an application context; it is ``current_app.json.response``.
    """
    from ..globals import current_app

    return current_app.json.response(*args, **kwargs)
