"""Serve a WSGI app with werkzeug's development server, as Flask's ``app.run()`` does.

Usage: ``python bench/launch_werkzeug.py MODULE:APP HOST PORT``. Runs ``run_simple`` with
``threaded=True`` (Flask's default since 1.0), no reloader and no debugger.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any


def load_app(target: str) -> Any:
    """Import ``MODULE:NAME`` and return the named attribute."""
    module_name, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module_name), attribute or "app")


def main(argv: list[str]) -> None:
    """Parse ``MODULE:APP HOST PORT`` and serve until killed."""
    from werkzeug.serving import run_simple  # only in the benchmark's venv

    target, host, port = argv
    run_simple(host, int(port), load_app(target), threaded=True)


if __name__ == "__main__":
    main(sys.argv[1:])
