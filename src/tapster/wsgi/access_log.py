"""The access log: one line per response, in gunicorn's format and atoms, or JSON lines.

Off by default; when off, nothing of this module runs per request. What can
be decided once (the format, JSON or not, colour or not) is decided when the
``AccessLog`` is made, not per request.

Every value that comes from outside (the request line, headers, what an
application or middleware put in the environ) is escaped: CR, LF, other
control characters, DEL, bytes 0x80-0xff (WSGI strings are latin-1, one
character per byte), and ``"`` and ``\\`` become ``\\xNN``, as nginx writes
them. A client can then neither start a forged line nor break the quoting
of a field.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

__all__ = ["AccessLog", "escape"]

# Everything but printable ASCII, and the quote and backslash a field is
# delimited and escaped with.
_UNSAFE = re.compile(r'[^\x20\x21\x23-\x5b\x5d-\x7e]')


def _escape_character(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code <= 0xFF:
        return f"\\x{code:02x}"
    # Beyond latin-1 only an application's own values (REMOTE_USER...):
    # printable text stays, line and paragraph separators and the like do not.
    if match.group().isprintable():
        return match.group()
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def escape(value: str) -> str:
    """``value`` with control, non-ASCII and delimiter characters written as ``\\xNN``."""
    if _UNSAFE.search(value) is None:
        return value
    return _UNSAFE.sub(_escape_character, value)


#: ANSI colours of a status code on a terminal, by its class: 2xx green,
#: 3xx cyan, 4xx yellow, 5xx red.
_STATUS_COLOURS = {1: "", 2: "\x1b[32m", 3: "\x1b[36m", 4: "\x1b[33m", 5: "\x1b[31m"}
_RESET = "\x1b[0m"


def _status(atoms: _Atoms) -> Any:
    colours = atoms.log.status_colours
    if colours is None:
        return atoms.status
    return f"{colours[atoms.status // 100]}{atoms.status}{_RESET}"


def _request_line(atoms: _Atoms) -> str:
    environ = atoms.environ
    return escape(f"{environ['REQUEST_METHOD']} {environ.get('RAW_URI', '')} "
                  f"{environ['SERVER_PROTOCOL']}")


#: gunicorn's atoms: how each is computed from one response's ``_Atoms``.
_ATOMS: dict[str, Callable[[_Atoms], Any]] = {
    "h": lambda atoms: escape(atoms.environ.get("REMOTE_ADDR") or "-"),
    "l": lambda atoms: "-",
    "u": lambda atoms: escape(atoms.environ.get("REMOTE_USER") or "-"),
    "t": lambda atoms: atoms.log.clf_time(),
    "r": _request_line,
    "m": lambda atoms: escape(atoms.environ["REQUEST_METHOD"]),
    "U": lambda atoms: escape(atoms.environ.get("PATH_INFO", "")),
    "q": lambda atoms: escape(atoms.environ.get("QUERY_STRING", "")),
    "H": lambda atoms: escape(atoms.environ["SERVER_PROTOCOL"]),
    "s": _status,
    "B": lambda atoms: atoms.body_bytes,
    "b": lambda atoms: atoms.body_bytes or "-",
    "f": lambda atoms: escape(atoms.environ.get("HTTP_REFERER", "-")),
    "a": lambda atoms: escape(atoms.environ.get("HTTP_USER_AGENT", "-")),
    "T": lambda atoms: int(atoms.seconds),
    "M": lambda atoms: int(atoms.seconds * 1000),
    "D": lambda atoms: int(atoms.seconds * 1_000_000),
    "L": lambda atoms: f"{atoms.seconds:.6f}",
    "p": lambda atoms: f"<{os.getpid()}>",
}


class _Atoms(dict):  # type: ignore[type-arg]
    """The atoms of one line, each computed only when the format asks for it."""

    __slots__ = ("body_bytes", "environ", "log", "seconds", "status")

    def __init__(self, log: AccessLog, environ: dict[str, Any], status: int,
                 body_bytes: int, seconds: float) -> None:
        self.log = log
        self.environ = environ
        self.status = status
        self.body_bytes = body_bytes
        self.seconds = seconds

    def __missing__(self, key: str) -> Any:
        atom = _ATOMS.get(key)
        if atom is not None:
            return atom(self)
        if key.startswith("{") and key.endswith("}i"):  # a request header: {user-agent}i
            name = key[1:-2].upper().replace("-", "_")
            if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                name = "HTTP_" + name
            return escape(str(self.environ.get(name, "-")))
        if key.startswith("{") and key.endswith("}e"):  # an environ variable: {REMOTE_USER}e
            return escape(str(self.environ.get(key[1:-2], "-")))
        raise KeyError(key)


class AccessLog:
    """Formats and emits access log lines to the ``tapster.access`` logger.

    The format uses gunicorn's atoms: ``h`` remote address, ``l`` ``-``,
    ``u`` user (``REMOTE_USER`` or ``-``), ``t`` time, ``r`` request line,
    ``m`` method, ``U`` path, ``q`` query, ``H`` protocol, ``s`` status,
    ``B`` body bytes, ``b`` body bytes or ``-``, ``f`` referer, ``a`` user
    agent, ``T`` seconds, ``M`` milliseconds, ``D`` microseconds, ``L``
    decimal seconds, ``p`` pid, ``{Header-Name}i`` a request header,
    ``{NAME}e`` an environ variable. The format ``json`` writes one JSON
    object per line instead. With ``colour``, the status code is coloured by
    its class (for a terminal).
    """

    def __init__(
        self, log_format: str, logger: logging.Logger | None = None, *, colour: bool = False
    ) -> None:
        self.format = log_format
        self.logger = logger or logging.getLogger("tapster.access")
        self.json = log_format.strip().lower() == "json"
        #: ANSI colour by status class, or None for plain text (decided once, here).
        self.status_colours = _STATUS_COLOURS if colour and not self.json else None
        self._second = -1
        self._clf_time = ""

    def clf_time(self) -> str:
        """The time as the common log format writes it, formatted once per second."""
        now = time.time()
        second = int(now)
        if second != self._second:  # a race between threads writes the same text twice
            self._clf_time = time.strftime("[%d/%b/%Y:%H:%M:%S %z]", time.localtime(now))
            self._second = second
        return self._clf_time

    def log(
        self,
        environ: dict[str, Any],
        status: int,
        body_bytes: int,
        seconds: float,
    ) -> None:
        """Emit the line for one response."""
        if self.json:
            line = self._json_line(environ, status, body_bytes, seconds)
        else:
            atoms = _Atoms(self, environ, status, body_bytes, seconds)
            try:
                line = self.format % atoms
            except (KeyError, ValueError, TypeError) as error:
                line = f"invalid access log format ({error}): {atoms['r']} {status}"
        self.logger.info(line)

    def _json_line(
        self, environ: dict[str, Any], status: int, body_bytes: int, seconds: float
    ) -> str:
        # The same escaping as the text format, so that both logs show a
        # request alike; json.dumps then escapes the backslashes it adds.
        return json.dumps({
            "time": datetime.now().astimezone().isoformat(timespec="milliseconds"),
            "remote_addr": escape(environ.get("REMOTE_ADDR") or ""),
            "user": escape(environ.get("REMOTE_USER") or ""),
            "method": escape(environ["REQUEST_METHOD"]),
            "target": escape(environ.get("RAW_URI", "")),
            "path": escape(environ.get("PATH_INFO", "")),
            "query": escape(environ.get("QUERY_STRING", "")),
            "protocol": escape(environ["SERVER_PROTOCOL"]),
            "status": status,
            "bytes": body_bytes,
            "referer": escape(environ.get("HTTP_REFERER", "")),
            "user_agent": escape(environ.get("HTTP_USER_AGENT", "")),
            "duration_us": int(seconds * 1_000_000),
            "pid": os.getpid(),
        })
