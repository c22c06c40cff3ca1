"""The access log: one line per response, in gunicorn's format and atoms.

Off by default; when off, nothing of this module runs per request.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

__all__ = ["AccessLog"]


class AccessLog:
    """Formats and emits access log lines to the ``tapster.access`` logger.

    The format uses gunicorn's atoms: ``h`` remote address, ``l`` ``-``,
    ``u`` user (``-``), ``t`` time, ``r`` request line, ``m`` method,
    ``U`` path, ``q`` query, ``H`` protocol, ``s`` status, ``B`` body bytes,
    ``b`` body bytes or ``-``, ``f`` referer, ``a`` user agent, ``T`` seconds,
    ``M`` milliseconds, ``D`` microseconds, ``L`` decimal seconds, ``p`` pid.
    """

    def __init__(self, log_format: str, logger: logging.Logger | None = None) -> None:
        self.format = log_format
        self.logger = logger or logging.getLogger("tapster.access")

    def log(
        self,
        environ: dict[str, Any],
        status: int,
        body_bytes: int,
        seconds: float,
    ) -> None:
        """Emit the line for one response."""
        query = environ.get("QUERY_STRING", "")
        path = environ.get("RAW_URI", "")
        atoms = {
            "h": environ.get("REMOTE_ADDR") or "-",
            "l": "-",
            "u": "-",
            "t": time.strftime("[%d/%b/%Y:%H:%M:%S %z]"),
            "r": f"{environ['REQUEST_METHOD']} {path} {environ['SERVER_PROTOCOL']}",
            "m": environ["REQUEST_METHOD"],
            "U": environ.get("PATH_INFO", ""),
            "q": query,
            "H": environ["SERVER_PROTOCOL"],
            "s": status,
            "B": body_bytes,
            "b": body_bytes or "-",
            "f": environ.get("HTTP_REFERER", "-"),
            "a": environ.get("HTTP_USER_AGENT", "-"),
            "T": int(seconds),
            "M": int(seconds * 1000),
            "D": int(seconds * 1_000_000),
            "L": f"{seconds:.6f}",
            "p": f"<{os.getpid()}>",
        }
        try:
            line = self.format % atoms
        except (KeyError, ValueError, TypeError) as error:
            line = f"invalid access log format ({error}): {atoms['r']} {status}"
        self.logger.info(line)
