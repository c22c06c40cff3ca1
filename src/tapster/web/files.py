"""Sending files: ``send_file``, ``send_from_directory`` and the app's static files.

A file response carries ``Last-Modified``, an ``ETag`` and ``Cache-Control``
and answers conditional requests (RFC 9110 §13): ``If-None-Match`` and
``If-Modified-Since`` give 304, ``If-Match`` and ``If-Unmodified-Since``
412, and a single ``Range`` 206 (416 when it lies outside the file). The
body is handed to the server's ``wsgi.file_wrapper``, which tapster's server
sends with ``sendfile(2)``, unless a range asks for part of it.
"""

from __future__ import annotations

import io
import mimetypes
import os
import posixpath
import time
import unicodedata
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote

from .conditional import preconditions_of, select_byte_range
from .exceptions import NotFound, PreconditionFailed, RequestedRangeNotSatisfiable
from .globals import current_app, request
from .http import http_date, parse_date

if TYPE_CHECKING:
    from .response import Response

__all__ = ["safe_join", "send_file", "send_from_directory"]

#: Bytes per read when a range (or a server without file_wrapper) streams a file.
CHUNK_SIZE = 64 * 1024


def safe_join(directory: str, *pathnames: str) -> str | None:
    """``directory`` joined with ``pathnames``, or None if they would leave it."""
    if not directory:
        directory = "."
    parts = [directory]
    for name in pathnames:
        if name != "":
            name = posixpath.normpath(name)
        if (
            any(sep in name for sep in (os.sep, os.altsep) if sep and sep != "/")
            or os.path.isabs(name)
            or name.startswith("/")
            or name == ".."
            or name.startswith("../")
            or "\x00" in name
        ):
            return None
        parts.append(name)
    return posixpath.join(*parts)


def _content_disposition(download_name: str, as_attachment: bool) -> str:
    """``attachment`` or ``inline`` and the name (also as ``filename*`` if non-ASCII, RFC 6266)."""
    kind = "attachment" if as_attachment else "inline"
    try:
        download_name.encode("ascii")
    except UnicodeEncodeError:
        fallback = unicodedata.normalize("NFKD", download_name).encode("ascii", "ignore")
        quoted = quote(download_name, safe="!#$&+^`|~")
        simple = fallback.decode("ascii").replace("\\", "\\\\").replace('"', '\\"')
        return f"{kind}; filename=\"{simple}\"; filename*=UTF-8''{quoted}"
    escaped = download_name.replace("\\", "\\\\").replace('"', '\\"')
    return f'{kind}; filename="{escaped}"'


def send_file(
    path_or_file: os.PathLike[str] | str | IO[bytes],
    mimetype: str | None = None,
    as_attachment: bool = False,
    download_name: str | None = None,
    conditional: bool = True,
    etag: bool | str = True,
    last_modified: datetime | int | float | None = None,
    max_age: int | None = None,
) -> Response:
    """A response sending a file (a path relative to the app's root, or a binary file object).

    ``max_age`` (seconds) makes the response cacheable; by default it comes
    from ``app.get_send_file_max_age`` (``SEND_FILE_MAX_AGE_DEFAULT``, None:
    ``no-cache``, so browsers revalidate with the ETag).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    environ = request.environ
    path: str | None = None
    file: IO[bytes] | None = None
    size: int | None = None
    mtime: float | None = None
    if isinstance(path_or_file, (str, os.PathLike)):
        path = os.path.join(app.root_path, os.fspath(path_or_file))
        stat = os.stat(path)
        size, mtime = stat.st_size, stat.st_mtime
    else:
        file = path_or_file
        if isinstance(file, io.TextIOBase):
            raise ValueError("Files must be opened in binary mode or use BytesIO.")
        if isinstance(file, io.BytesIO):
            size = file.getbuffer().nbytes - file.tell()
    if download_name is None and path is not None:
        download_name = os.path.basename(path)
    if mimetype is None:
        if download_name is None:
            raise TypeError(
                "Unable to detect the MIME type because a file name is not available. Either "
                "set 'download_name', pass a path instead of a file, or set 'mimetype'."
            )
        mimetype = mimetypes.guess_type(download_name)[0] or "application/octet-stream"

    headers: list[tuple[str, str]] = []
    if download_name is not None:
        headers.append(("Content-Disposition", _content_disposition(download_name, as_attachment)))
    elif as_attachment:
        raise TypeError("No name provided for attachment.")
    if max_age is None:
        max_age = app.get_send_file_max_age(download_name)
    if max_age is not None and max_age > 0:
        headers.append(("Cache-Control", f"public, max-age={max_age}"))
        headers.append(("Expires", http_date(time.time() + max_age)))
    elif max_age is not None:
        headers.append(("Cache-Control", "no-cache, max-age=0"))
    else:
        headers.append(("Cache-Control", "no-cache"))
    modified = last_modified if last_modified is not None else mtime
    if modified is not None:
        headers.append(("Last-Modified", http_date(modified)))
    if etag is True and path is not None:
        check = zlib.adler32(path.encode("utf-8", "surrogateescape")) & 0xFFFFFFFF
        etag = f"{mtime}-{size}-{check}"
    if isinstance(etag, str) and etag:
        headers.append(("ETag", etag if etag.startswith(('"', 'W/"')) else f'"{etag}"'))

    if path is not None and app.config["USE_X_SENDFILE"]:
        headers.append(("X-Sendfile", path))
        return app.response_class(None, mimetype=mimetype, headers=headers)

    if file is None:
        file = open(path, "rb")  # type: ignore[arg-type]  # noqa: SIM115 - the response closes it
    response = app.response_class(
        _file_body(environ, file), mimetype=mimetype, headers=headers, direct_passthrough=True
    )
    if size is not None:
        response.headers["Content-Length"] = str(size)
    if conditional:
        _make_conditional(response, environ, file, size)
    return response


def _file_body(environ: dict[str, Any], file: IO[bytes]) -> Any:
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is not None:
        return wrapper(file, CHUNK_SIZE)
    return _read_file(file, None)


def _read_file(file: IO[bytes], length: int | None) -> Iterator[bytes]:
    """The file's bytes (``length`` of them, if given) in chunks; the file is closed at the end."""
    try:
        while length is None or length > 0:
            chunk = file.read(CHUNK_SIZE if length is None else min(CHUNK_SIZE, length))
            if not chunk:
                break
            if length is not None:
                length -= len(chunk)
            yield chunk
    finally:
        file.close()


def _make_conditional(
    response: Response, environ: dict[str, Any], file: IO[bytes], size: int | None
) -> None:
    """Answer the request's preconditions and range on a file response (RFC 9110 §13, §14).

    The same rules as ``Response.make_conditional`` (``conditional.py``),
    except that a failed precondition is raised as ``PreconditionFailed``
    (its error page), and a range is read by seeking in the file.
    """
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "HEAD"):
        return
    headers = response.headers
    etag = headers.get("ETag")
    modified = parse_date(headers.get("Last-Modified"))
    status = preconditions_of(environ, etag, modified)
    if status == 412:
        file.close()
        raise PreconditionFailed()
    if status == 304:
        file.close()
        response.status_code = 304
        response.response = []
        for name in ("Content-Length", "Content-Type", "Content-Disposition"):
            headers.pop(name, None)
        return

    if size is None:
        return
    headers["Accept-Ranges"] = "bytes"
    try:
        selected = select_byte_range(
            environ.get("HTTP_RANGE"), environ.get("HTTP_IF_RANGE"), size, etag, modified
        )
    except RequestedRangeNotSatisfiable:
        file.close()
        raise
    if selected is None:
        return
    start, end = selected
    file.seek(start, os.SEEK_CUR if isinstance(file, io.BytesIO) else os.SEEK_SET)
    response.response = _read_file(file, end - start)
    response.status_code = 206
    headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"
    headers["Content-Length"] = str(end - start)


def send_from_directory(
    directory: os.PathLike[str] | str, path: os.PathLike[str] | str, **kwargs: Any
) -> Response:
    """Send ``path`` from inside ``directory``; 404 if it escapes the folder or is no file.

    Unlike Flask, a symbolic link inside the folder that resolves to a file
    outside it is not followed (404): a link planted in an upload or static
    folder must not expose the rest of the disk.
    """
    directory = os.fspath(directory)
    joined = safe_join(directory, os.fspath(path))
    if joined is None:
        raise NotFound()
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    full = os.path.join(app.root_path, joined)
    if not os.path.isfile(full):
        raise NotFound()
    folder = os.path.realpath(os.path.join(app.root_path, directory))
    if not os.path.realpath(full).startswith(folder.rstrip(os.sep) + os.sep):
        raise NotFound()
    return send_file(full, **kwargs)
