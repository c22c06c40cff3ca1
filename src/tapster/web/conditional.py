"""Conditional and range requests, evaluated as RFC 9110 §13.2.2 orders them.

Two sans-IO functions, shared by ``Response.make_conditional`` and
``send_file`` so that both answer the same request the same way:

- ``evaluate_preconditions``: ``If-Match``, else ``If-Unmodified-Since``
  (412 when false); then ``If-None-Match``, else ``If-Modified-Since``
  (304 for GET and HEAD, 412 otherwise);
- ``select_byte_range``: the part of the body a ``Range`` asks for, once
  ``If-Range`` holds; ``RequestedRangeNotSatisfiable`` (416) when a single
  byte range lies outside the body.

Where Werkzeug 3.1's ``make_conditional`` answers otherwise, this follows
the RFC (``tests/web/test_header_deviations.py`` shows each case):
preconditions come before the range (a matching ``If-None-Match`` is a 304
even with a ``Range``); ``If-Unmodified-Since`` is honoured; ``If-Match: *``
holds; ``If-Match`` compares strongly (a weak ``ETag`` never matches) and
fails when the response has no ``ETag``, and when it holds it does not
cancel a matching ``If-None-Match``; ``If-Modified-Since`` is ignored when
``If-None-Match`` is present; ``If-Range`` needs a strong tag or the exact
``Last-Modified`` date and is judged alone; a ``Range`` of another unit,
of several ranges or of invalid syntax is ignored (200, RFC 9110 §14.2),
not a 416.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from .etags import parse_etags
from .exceptions import RequestedRangeNotSatisfiable
from .http import parse_date, unquote_etag
from .ranges import parse_if_range_header, parse_range_header

__all__ = ["evaluate_preconditions", "preconditions_of", "select_byte_range"]


def _seconds(moment: datetime | None) -> datetime | None:
    """``moment`` at HTTP's one-second resolution, aware (naive means UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.replace(microsecond=0)


def evaluate_preconditions(
    method: str,
    etag: str | None,
    last_modified: datetime | None,
    if_match: str | None = None,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
    if_unmodified_since: str | None = None,
) -> int | None:
    """The status the preconditions call for, 412 or 304, or ``None`` to go on.

    ``etag`` is the response's ``ETag`` field value (quoted, maybe ``W/``),
    ``last_modified`` its ``Last-Modified``; the other arguments are the
    request's field values. The response is taken to have a current
    representation, so ``*`` matches it.
    """
    tag, weak = unquote_etag(etag)
    modified = _seconds(last_modified)

    # Step 1-2: If-Match with strong comparison (§13.1.1), else If-Unmodified-Since.
    if if_match is not None:
        wanted = parse_etags(if_match)
        if not (wanted.star_tag or (tag is not None and not weak and wanted.is_strong(tag))):
            return 412
    elif if_unmodified_since is not None and modified is not None:
        since = parse_date(if_unmodified_since)  # an invalid date is ignored (§13.1.4)
        if since is not None and modified > since:
            return 412

    # Step 3-4: If-None-Match with weak comparison (§13.1.2), else If-Modified-Since.
    safe = method in ("GET", "HEAD")
    if if_none_match is not None:
        listed = parse_etags(if_none_match)
        if listed.star_tag or (tag is not None and listed.contains_weak(tag)):
            return 304 if safe else 412
    elif safe and if_modified_since is not None and modified is not None:
        since = parse_date(if_modified_since)  # an invalid date is ignored (§13.1.3)
        if since is not None and modified <= since:
            return 304
    return None


def preconditions_of(
    environ: Mapping[str, Any], etag: str | None, last_modified: datetime | None
) -> int | None:
    """``evaluate_preconditions`` for the request of a WSGI environ."""
    return evaluate_preconditions(
        environ.get("REQUEST_METHOD", "GET"),
        etag,
        last_modified,
        if_match=environ.get("HTTP_IF_MATCH"),
        if_none_match=environ.get("HTTP_IF_NONE_MATCH"),
        if_modified_since=environ.get("HTTP_IF_MODIFIED_SINCE"),
        if_unmodified_since=environ.get("HTTP_IF_UNMODIFIED_SINCE"),
    )


def _if_range_holds(if_range: str | None, etag: str | None, last_modified: datetime | None) -> bool:
    """§13.1.5: a strong tag equal to the current strong ``ETag``, or the exact date."""
    if if_range is None:
        return True
    condition = parse_if_range_header(if_range)
    if condition.date is not None:
        return last_modified is not None and condition.date == _seconds(last_modified)
    tag, weak = unquote_etag(etag)
    return condition.etag is not None and not condition.weak and not weak and condition.etag == tag


def select_byte_range(
    range_value: str | None,
    if_range: str | None,
    length: int | None,
    etag: str | None = None,
    last_modified: datetime | None = None,
) -> tuple[int, int] | None:
    """The ``(start, stop)`` bytes a ``Range`` asks for of a ``length``-byte body, or ``None``.

    ``None`` means "send the whole body": no ``Range``, an ``If-Range`` that
    does not hold, a length of 0 or unknown, or a ``Range`` the server may
    ignore (another unit, several ranges, invalid syntax). A single byte
    range that starts past the end raises ``RequestedRangeNotSatisfiable``.
    """
    if range_value is None or not length or not _if_range_holds(if_range, etag, last_modified):
        return None
    requested = parse_range_header(range_value)
    if requested is None or requested.units != "bytes" or len(requested.ranges) != 1:
        return None
    selected = requested.range_for_length(length)
    if selected is None:
        raise RequestedRangeNotSatisfiable(length=length)
    return selected
