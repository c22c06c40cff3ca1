"""Testing without a server: build WSGI environs, call the app as a browser would, run commands.

- ``EnvironBuilder`` makes a complete PEP 3333 environ from what a test
  states (path, query, form, files, JSON, headers, auth); the app's
  ``test_request_context()`` uses it too.
- ``Client`` (``app.test_client()``) calls the app with such environs, keeps
  cookies between requests (``cookiejar``), follows redirects when asked and
  wraps each answer in a ``TestResponse``. Inside ``with client:`` the last
  request's contexts stay pushed, so ``request``, ``session`` and ``g`` can
  be inspected after the response.
- ``CliRunner`` (``app.test_cli_runner()``) invokes the app's click commands.

The client works with any WSGI callable; the app's ``config``
(``SERVER_NAME``, ``APPLICATION_ROOT``, ``PREFERRED_URL_SCHEME``), ``json``
provider and ``request_class`` are used when it has them.
"""

from __future__ import annotations

import base64
import io
import json as _json
import mimetypes
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from datetime import datetime, timedelta, timezone
from types import TracebackType
from typing import Any
from urllib.parse import quote, unquote_to_bytes, urlencode, urljoin, urlsplit

import click
import click.testing

from .. import __version__
from .cli import ScriptInfo
from .cookiejar import Cookie, CookieJar, cookie_expiry
from .response import Response, run_wsgi_app

__all__ = [
    "CliRunner",
    "Client",
    "ClientRedirectError",
    "EnvironBuilder",
    "TestResponse",
    "run_wsgi_app",
]

#: The environ key through which an app hands its contexts to ``with client:``.
PRESERVE_CONTEXT_KEY = "tapster.preserve_context"

#: The statuses ``follow_redirects`` follows.
REDIRECT_STATUSES = frozenset({301, 302, 303, 305, 307, 308})

#: Beyond this many hops a redirect chain is an error, even without a loop.
MAX_REDIRECTS = 30

# Characters of a path that stay as they are in REQUEST_URI: RFC 3986 pchar,
# "/" and "%" (a path may arrive percent-encoded already).
_PATH_SAFE = "/%:@!$&'()*+,;=~"

# Headers that describe a request body, dropped when a redirect turns the
# request into a GET (the Fetch standard's "request-body-header names").
_BODY_HEADERS = ("CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_CONTENT_ENCODING",
                 "HTTP_CONTENT_LANGUAGE", "HTTP_CONTENT_LOCATION", "HTTP_TRANSFER_ENCODING")


class ClientRedirectError(Exception):
    """``follow_redirects`` met a loop, or a chain longer than ``MAX_REDIRECTS``."""


# -- building environs ------------------------------------------------------------------


def _wsgi_path(path: str) -> str:
    """A URL path as PEP 3333 wants PATH_INFO: percent-decoded bytes, as latin-1 text.

    A path given with non-ASCII characters is taken as UTF-8, as browsers send it.
    """
    return unquote_to_bytes(path).decode("latin-1")


def _iter_pairs(data: Any) -> Iterator[tuple[str, Any]]:
    """(key, value) pairs of a dict, a MultiDict or a list of pairs; list values repeat the key."""
    if hasattr(data, "items"):
        try:
            items = data.items(multi=True)  # a MultiDict: every value of every key
        except TypeError:
            items = data.items()
    else:
        items = data
    for key, value in items:
        if isinstance(value, list):
            for item in value:
                yield key, item
        else:
            yield key, value


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Headers given as a dict, a list of pairs or a ``Headers`` object, as a list of pairs."""
    if headers is None:
        return []
    if hasattr(headers, "to_wsgi_list"):
        return [(str(name), str(value)) for name, value in headers.to_wsgi_list()]
    items = headers.items() if isinstance(headers, Mapping) else headers
    pairs = []
    for name, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs.extend((str(name), str(item)) for item in values)
    return pairs


def _is_file(value: Any) -> bool:
    return hasattr(value, "read") or isinstance(value, tuple)


def _file_part(value: Any) -> tuple[bytes, str | None, str]:
    """Content, filename and content type of a form value that is a file.

    ``value`` is a readable object (an open file, ``BytesIO``, a
    ``FileStorage``) or a tuple ``(file, filename)`` or ``(file, filename,
    content_type)`` whose ``file`` may also be bytes.
    """
    filename: str | None = None
    content_type: str | None = None
    if isinstance(value, tuple):
        if not 1 <= len(value) <= 3:
            raise TypeError("a file is (file, filename) or (file, filename, content_type)")
        stream, filename, content_type = (*value, None, None)[:3]
    else:
        stream = value
        filename = getattr(value, "filename", None)
        content_type = getattr(value, "content_type", None)
        if filename is None:
            name = getattr(value, "name", None)
            # A real file's name is its path: send only its last part, as browsers do.
            if isinstance(name, str) and not (name.startswith("<") and name.endswith(">")):
                filename = os.path.basename(name)
    content = stream if isinstance(stream, (bytes, bytearray)) else stream.read()
    if isinstance(content, str):
        content = content.encode()
    if content_type is None:
        guessed = mimetypes.guess_type(filename)[0] if filename else None
        content_type = guessed or "application/octet-stream"
    return bytes(content), filename, content_type


def _quote_parameter(text: str) -> str:
    # The HTML standard's escaping of names in multipart/form-data.
    return text.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def encode_multipart(
    fields: Iterable[tuple[str, Any]], boundary: str | None = None
) -> tuple[bytes, str]:
    """Encode form fields and files as multipart/form-data (RFC 7578).

    ``fields`` are (name, value) pairs; a value that is readable, or a tuple
    ``(file, filename[, content_type])``, is a file. Returns the body and
    the ``Content-Type`` value, boundary included.
    """
    boundary = boundary or "tapster-" + secrets.token_hex(16)
    body = io.BytesIO()
    for name, value in fields:
        disposition = f'form-data; name="{_quote_parameter(str(name))}"'
        head = []
        if _is_file(value):
            content, filename, content_type = _file_part(value)
            if filename is not None:
                disposition += f'; filename="{_quote_parameter(filename)}"'
            head.append(f"Content-Type: {content_type}")
        elif isinstance(value, (bytes, bytearray)):
            content = bytes(value)
        else:
            content = str(value).encode()
        lines = [f"--{boundary}", f"Content-Disposition: {disposition}", *head, "", ""]
        body.write("\r\n".join(lines).encode())
        body.write(content)
        body.write(b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


class EnvironBuilder:
    """Build a complete WSGI environ for a request to ``app`` (any WSGI callable, or None).

    The URL is ``base_url`` joined with ``path``; without ``base_url`` it is
    made from the app's ``SERVER_NAME`` (else ``localhost``),
    ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME``, with ``subdomain``
    and ``url_scheme`` applied. ``path`` may carry a query (``/?a=1``), and
    may be a whole URL (``https://example.com/x``), which sets the scheme
    and host. ``query_string`` (a str, or a dict/list of pairs) replaces the
    path's query.

    The body is one of: ``data`` (a dict of fields, urlencoded, or
    multipart/form-data when a value is a file or ``content_type`` asks for
    it; str or bytes sent as they are; a readable object used as the
    stream), ``json`` (dumped with the app's JSON provider, sent as
    ``application/json``), or ``input_stream``. ``headers`` is a dict, a
    list of pairs or a ``Headers``; ``auth=(user, password)`` sends Basic
    credentials. ``environ_base`` fills the environ first and
    ``environ_overrides`` last.

    Arguments after ``base_url`` are keyword-only: Flask's and Werkzeug's
    builders put different arguments in third place, so a positional one
    would mean different things to readers of each.
    """

    #: The protocol the environ says the request used.
    server_protocol = "HTTP/1.1"
    #: PEP 3333's ``wsgi.version``.
    wsgi_version = (1, 0)
    #: The request class of ``get_request()`` (else the app's ``request_class``).
    request_class: type | None = None

    def __init__(
        self,
        app: Any = None,
        path: str = "/",
        base_url: str | None = None,
        *,
        query_string: Mapping[str, Any] | Iterable[tuple[str, Any]] | str | bytes | None = None,
        method: str = "GET",
        input_stream: Any = None,
        content_type: str | None = None,
        content_length: int | None = None,
        errors_stream: Any = None,
        multithread: bool = False,
        multiprocess: bool = False,
        run_once: bool = False,
        headers: Any = None,
        data: Any = None,
        environ_base: Mapping[str, Any] | None = None,
        environ_overrides: Mapping[str, Any] | None = None,
        json: Any = None,
        subdomain: str | None = None,
        url_scheme: str | None = None,
        auth: tuple[str, str] | Any = None,
    ) -> None:
        self.app = app
        target = urlsplit(path)
        if base_url is not None and (subdomain or url_scheme):
            raise TypeError('cannot pass "subdomain" or "url_scheme" with "base_url"')
        if base_url is None:
            config = getattr(app, "config", None) or {}
            host = config.get("SERVER_NAME") or "localhost"
            if subdomain:
                host = f"{subdomain}.{host}"
            scheme = url_scheme or config.get("PREFERRED_URL_SCHEME") or "http"
            root = config.get("APPLICATION_ROOT") or "/"
            base_url = f"{target.scheme or scheme}://{target.netloc or host}/{root.lstrip('/')}"
        base = urlsplit(base_url)
        #: ``http`` or ``https``.
        self.url_scheme = base.scheme or "http"
        #: The Host: name and optional port.
        self.host = base.netloc or "localhost"
        #: Where the app is mounted (SCRIPT_NAME, as a URL path).
        self.script_root = base.path.rstrip("/")
        #: The path below the script root (PATH_INFO, as a URL path).
        self.path = target.path
        self.method = method

        if query_string is None:
            self.query_string = target.query
        elif isinstance(query_string, bytes):
            self.query_string = query_string.decode("latin-1")
        elif isinstance(query_string, str):
            self.query_string = query_string.removeprefix("?")
        else:
            self.query_string = urlencode(list(_iter_pairs(query_string)))

        self.headers = _header_pairs(headers)
        if content_type is None:
            content_type = self._pop_header("Content-Type")
        if content_length is None:
            given = self._pop_header("Content-Length")
            content_length = int(given) if given is not None else None
        self._pop_header("Content-Type")
        self._pop_header("Content-Length")
        if auth is not None:
            self._pop_header("Authorization")
            self.headers.append(("Authorization", self._authorization(auth)))

        self.errors_stream = errors_stream
        self.multithread = multithread
        self.multiprocess = multiprocess
        self.run_once = run_once
        self.environ_base = dict(environ_base or {})
        self.environ_overrides = dict(environ_overrides or {})
        #: The body, unless it comes from ``input_stream``.
        self.body: bytes | None = None
        self.input_stream = input_stream
        self.content_type = content_type
        self.content_length = content_length
        self._files: list[Any] = []

        if json is not None:
            if data is not None:
                raise TypeError("can't provide both json and data")
            data = self.json_dumps(json)
            if self.content_type is None:
                self.content_type = "application/json"
        if data is not None:
            if input_stream is not None:
                raise TypeError("can't provide both input_stream and data")
            self._set_data(data)

    def _pop_header(self, name: str) -> str | None:
        """Remove every ``name`` header; the last value, if any."""
        found = None
        kept = []
        for key, value in self.headers:
            if key.lower() == name.lower():
                found = value
            else:
                kept.append((key, value))
        self.headers = kept
        return found

    @staticmethod
    def _authorization(auth: Any) -> str:
        if isinstance(auth, tuple):
            username, password = auth
            token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
            return f"Basic {token}"
        if hasattr(auth, "to_header"):
            return str(auth.to_header())
        raise TypeError("auth is (username, password) or an object with to_header()")

    def _set_data(self, data: Any) -> None:
        if hasattr(data, "read"):
            self.input_stream = data
            return
        if isinstance(data, str):
            self.body = data.encode()
            return
        if isinstance(data, (bytes, bytearray, memoryview)):
            self.body = bytes(data)
            return
        pairs = list(_iter_pairs(data))
        self._files = [value for _, value in pairs if hasattr(value, "read")]
        self._files += [value[0] for _, value in pairs
                        if isinstance(value, tuple) and hasattr(value[0], "read")]
        mimetype = (self.content_type or "").partition(";")[0].strip().lower()
        if mimetype == "multipart/form-data" or any(_is_file(value) for _, value in pairs):
            self.body, self.content_type = encode_multipart(pairs)
        elif mimetype in ("", "application/x-www-form-urlencoded"):
            self.body = urlencode(pairs).encode("ascii")
            if pairs and self.content_type is None:
                self.content_type = "application/x-www-form-urlencoded"
        else:
            raise TypeError(
                f"form data cannot be sent as {self.content_type!r}: give the body as str or "
                f"bytes, or use json="
            )

    def json_dumps(self, obj: Any) -> str:
        """Serialize ``json=``: with the app's JSON provider when it has one."""
        provider = getattr(self.app, "json", None)
        if provider is not None and hasattr(provider, "dumps"):
            return str(provider.dumps(obj))
        return _json.dumps(obj)

    @property
    def base_url(self) -> str:
        """The URL up to the script root, with a trailing slash."""
        return f"{self.url_scheme}://{self.host}{self.script_root}/"

    @property
    def server_name(self) -> str:
        """The host name without the port."""
        return urlsplit(f"//{self.host}").hostname or "localhost"

    @property
    def server_port(self) -> int:
        """The port in the host, else the scheme's default."""
        port = urlsplit(f"//{self.host}").port
        if port is not None:
            return port
        return 443 if self.url_scheme == "https" else 80

    def get_environ(self) -> dict[str, Any]:
        """A new environ for this request (a fresh input stream each time)."""
        if self.input_stream is not None:
            stream = self.input_stream
            content_length = self.content_length
        else:
            stream = io.BytesIO(self.body or b"")
            content_length = len(self.body) if self.body is not None else self.content_length
        uri = quote(self.script_root + self.path, safe=_PATH_SAFE)
        if self.query_string:
            uri += "?" + self.query_string
        environ: dict[str, Any] = {"REMOTE_ADDR": "127.0.0.1"}
        environ.update(self.environ_base)
        environ.update(
            {
                "REQUEST_METHOD": self.method,
                "SCRIPT_NAME": _wsgi_path(self.script_root),
                "PATH_INFO": _wsgi_path(self.path),
                "QUERY_STRING": self.query_string,
                "REQUEST_URI": uri,
                "RAW_URI": uri,
                "SERVER_NAME": self.server_name,
                "SERVER_PORT": str(self.server_port),
                "SERVER_PROTOCOL": self.server_protocol,
                "HTTP_HOST": self.host,
                "wsgi.version": self.wsgi_version,
                "wsgi.url_scheme": self.url_scheme,
                "wsgi.input": stream,
                "wsgi.errors": self.errors_stream if self.errors_stream is not None else sys.stderr,
                "wsgi.multithread": self.multithread,
                "wsgi.multiprocess": self.multiprocess,
                "wsgi.run_once": self.run_once,
            }
        )
        if self.content_type is not None:
            environ["CONTENT_TYPE"] = self.content_type
        if content_length is not None:
            environ["CONTENT_LENGTH"] = str(content_length)
        joined: dict[str, list[str]] = {}
        for name, value in self.headers:
            joined.setdefault("HTTP_" + name.upper().replace("-", "_"), []).append(value)
        for key, values in joined.items():
            # One field per name, as a server folds repeated fields (RFC 9110 §5.3);
            # cookies are joined the way RFC 6265 §5.4 writes them.
            environ[key] = ("; " if key == "HTTP_COOKIE" else ", ").join(values)
        environ.update(self.environ_overrides)
        return environ

    def get_request(self, cls: type | None = None) -> Any:
        """A request object for this environ: ``cls``, else the app's ``request_class``."""
        return _request_class(self.app, cls or self.request_class)(self.get_environ())

    def close(self) -> None:
        """Close the files given in ``data`` (they have been read)."""
        for file in self._files:
            file.close()
        self._files = []


def _request_class(app: Any, cls: type | None = None) -> type:
    if cls is not None:
        return cls
    app_class = getattr(app, "request_class", None)
    if app_class is not None:
        return app_class  # type: ignore[no-any-return]
    from .request import Request  # the default when testing a plain WSGI callable

    return Request


def _current_url(environ: Mapping[str, Any]) -> str:
    """The URL an environ asks for (scheme, host, script root, path and query)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = str(environ.get("SERVER_PORT", ""))
        if port and port != ("443" if scheme == "https" else "80"):
            host = f"{host}:{port}"
    path = (environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")).encode("latin-1")
    url = f"{scheme}://{host}{quote(path, safe=_PATH_SAFE)}"
    query = environ.get("QUERY_STRING")
    return f"{url}?{query}" if query else url


# -- responses -------------------------------------------------------------------------


class TestResponse(Response):
    """A response the test client received, with the ``request`` that asked for it.

    ``history`` holds the redirect responses ``follow_redirects`` went
    through to get here, oldest first.
    """

    __test__ = False  # not a pytest test class, despite the name

    #: Headers show what the app sent: no Content-Type is added when it sent none.
    default_mimetype = None

    def __init__(
        self,
        response: Iterable[bytes],
        status: str,
        headers: Any,
        request: Any,
        history: tuple[TestResponse, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(response, status, headers, **kwargs)
        #: The request object of this response's environ.
        self.request = request
        #: Earlier responses of a followed redirect chain.
        self.history = history

    @property
    def text(self) -> str:
        """The body decoded as text (``get_data(as_text=True)``)."""
        return str(self.get_data(as_text=True))


# -- the client ----------------------------------------------------------------------------


class Client:
    """Call a WSGI app as a browser would: ``client.get("/")`` returns a ``TestResponse``.

    ``response_wrapper`` is the response class to build on (the app's
    ``response_class``); cookies are kept across requests unless
    ``use_cookies`` is false. ``environ_base`` holds environ keys every
    request starts from (the remote address and a User-Agent).
    """

    __test__ = False

    def __init__(
        self,
        application: Callable[..., Any],
        response_wrapper: type | None = None,
        use_cookies: bool = True,
        allow_subdomain_redirects: bool = False,
    ) -> None:
        self.application = application
        if response_wrapper is None or response_wrapper is Response:
            response_wrapper = TestResponse
        elif not issubclass(response_wrapper, TestResponse):
            response_wrapper = type("TestResponse", (TestResponse, response_wrapper), {})
        self.response_wrapper: type[TestResponse] = response_wrapper
        #: The cookie jar (None when the client keeps no cookies).
        self.cookie_jar: CookieJar | None = CookieJar() if use_cookies else None
        #: Whether ``follow_redirects`` may go to a subdomain of the current host.
        self.allow_subdomain_redirects = allow_subdomain_redirects
        #: Environ keys every request starts with.
        self.environ_base: dict[str, Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": f"tapster/{__version__}",
        }
        #: True inside ``with client:``: the last request's contexts stay pushed.
        self.preserve_context = False
        self._new_contexts: list[AbstractContextManager[Any]] = []
        self._context_stack = ExitStack()

    # -- cookies ---------------------------------------------------------------------

    def _jar(self) -> CookieJar:
        if self.cookie_jar is None:
            raise TypeError("cookies are disabled: create the client with use_cookies=True")
        return self.cookie_jar

    def get_cookie(self, key: str, domain: str = "localhost", path: str = "/") -> Cookie | None:
        """The cookie named ``key`` stored for exactly ``domain`` and ``path``, or None."""
        return self._jar().get(key, domain, path)

    def set_cookie(
        self,
        key: str,
        value: str = "",
        *,
        domain: str = "localhost",
        origin_only: bool = True,
        path: str = "/",
        max_age: int | timedelta | None = None,
        expires: Any = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
    ) -> None:
        """Put a cookie in the jar as if ``domain`` had set it.

        ``origin_only`` sends it to ``domain`` alone, not to its subdomains.
        ``max_age`` is seconds or a timedelta, ``expires`` a datetime or
        seconds since the epoch; a cookie that is already expired
        (``max_age=0``) deletes the stored one instead.
        """
        now = time.time()
        if isinstance(max_age, timedelta):
            max_age = int(max_age.total_seconds())
        if isinstance(expires, (int, float)):
            expires = datetime.fromtimestamp(expires, timezone.utc)
        elif isinstance(expires, datetime) and expires.tzinfo is None:
            expires = expires.replace(tzinfo=timezone.utc)  # naive times are UTC, as in cookies
        cookie = Cookie(
            key=key,
            value=value,
            decoded_key=key,
            decoded_value=value,
            expires=expires,
            max_age=max_age,
            domain=domain.lower(),
            origin_only=origin_only,
            path=path,
            secure=secure,
            http_only=httponly,
            same_site=samesite,
            expiry=cookie_expiry(now, max_age, expires),
        )
        self._jar().store(cookie, now)

    def delete_cookie(
        self, key: str, *, domain: str = "localhost", path: str = "/", **_attributes: Any
    ) -> None:
        """Forget the cookie named ``key`` for ``domain`` and ``path``.

        ``secure``, ``httponly`` and ``samesite`` are accepted, as Werkzeug's
        client takes them, and have no effect on deleting.
        """
        self._jar().delete(key, domain, path)

    # -- requests ------------------------------------------------------------------------

    def _environ_with_base(self, environ: Mapping[str, Any]) -> dict[str, Any]:
        merged = {**self.environ_base, **environ}
        if self.preserve_context:
            merged[PRESERVE_CONTEXT_KEY] = self._new_contexts.append
        return merged

    def _environ_from(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The environ ``open()``'s arguments describe."""
        if args and isinstance(args[0], EnvironBuilder):
            return self._environ_with_base(args[0].get_environ())
        if args and isinstance(args[0], Mapping):
            return self._environ_with_base(args[0])
        if args and hasattr(args[0], "environ"):
            return self._environ_with_base(args[0].environ)  # a request object
        kwargs["environ_base"] = self._environ_with_base(kwargs.get("environ_base") or {})
        builder = EnvironBuilder(self.application, *args, **kwargs)
        try:
            return builder.get_environ()
        finally:
            builder.close()

    def open(
        self,
        *args: Any,
        buffered: bool = False,
        follow_redirects: bool = False,
        **kwargs: Any,
    ) -> TestResponse:
        """Make a request and return the response.

        The request is an ``EnvironBuilder``, an environ dict, a request
        object, or ``EnvironBuilder``'s arguments (``path``, ``method``,
        ``data``, ``json``, ``headers``...). ``buffered`` reads the whole
        body before returning; ``follow_redirects`` makes the requests the
        redirects ask for and returns the last response, the others in its
        ``history``.
        """
        environ = self._environ_from(args, kwargs)
        # The previous request's preserved contexts end when a new request starts.
        self._context_stack.close()
        self._new_contexts.clear()
        explicit_cookie = environ.get("HTTP_COOKIE")
        response = self._run(environ, buffered)
        history: list[TestResponse] = []
        seen: set[tuple[str, int]] = set()
        while follow_redirects and response.status_code in REDIRECT_STATUSES:
            given = response.headers.get("Location")
            if given is None:
                break  # a 3xx without a Location is the final answer, as for a browser
            location = urljoin(_current_url(environ), given)
            if (location, response.status_code) in seen:
                raise ClientRedirectError(
                    f"Loop detected: A {response.status_code} redirect to {location} was "
                    "already made."
                )
            if len(history) >= MAX_REDIRECTS:
                raise ClientRedirectError(f"more than {MAX_REDIRECTS} redirects")
            seen.add((location, response.status_code))
            environ = self._redirect_environ(environ, response.status_code, location)
            # Read and close the redirect's body now: only the last response is returned open.
            response.get_data()
            response.close()
            history.append(response)
            if explicit_cookie is not None:
                environ["HTTP_COOKIE"] = explicit_cookie
            self._new_contexts.clear()  # only the final request's contexts are kept
            response = self._run(environ, buffered)
        response.history = tuple(history)
        json_provider = getattr(self.application, "json", None)
        if json_provider is not None:
            response.json_module = json_provider
        for context in self._new_contexts:
            self._context_stack.enter_context(context)
        self._new_contexts.clear()
        return response

    def _run(self, environ: dict[str, Any], buffered: bool) -> TestResponse:
        """Send the jar's cookies, call the app, keep the cookies it sets.

        ``environ`` gets the ``Cookie`` field; the request object and the
        app each get a copy of it, so what they store in theirs stays out
        of a redirect's next request.
        """
        host, path = self._send_cookies(environ)
        request = _request_class(self.application)(dict(environ))
        # run_wsgi_app gives the app its own copy of the environ too.
        app_iter, status, headers = run_wsgi_app(self.application, environ, buffered)
        if self.cookie_jar is not None:
            self.cookie_jar.extract(headers.getlist("Set-Cookie"), host, path)
        response = self.response_wrapper(app_iter, status, headers, request=request)
        # The request body's stream ends with the response, as with a server.
        body = environ.get("wsgi.input")
        if body is not None and hasattr(body, "close"):
            response.call_on_close(body.close)
        return response

    def _send_cookies(self, environ: dict[str, Any]) -> tuple[str, str]:
        """Add the jar's cookies for the URL of ``environ``; its host and path."""
        url = urlsplit(_current_url(environ))
        host = url.hostname or "localhost"
        if self.cookie_jar is not None:
            cookie = self.cookie_jar.header_for(host, url.path, url.scheme == "https")
            if cookie is not None:
                given = environ.get("HTTP_COOKIE")
                environ["HTTP_COOKIE"] = f"{given}; {cookie}" if given else cookie
        return host, url.path

    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """Open the session the next request would see, to read or change it in a block.

        ``with client.session_transaction() as session: session["user"] = 1``.
        The arguments are ``EnvironBuilder``'s (a path, ``base_url``...),
        which pick the cookies sent to the session interface. After the
        block, the session is saved and its cookie goes into the jar.
        """
        jar = self._jar()
        app = self.application
        interface = getattr(app, "session_interface", None)
        if interface is None:
            raise TypeError("session_transaction() needs an app with a session_interface")
        builder = EnvironBuilder(app, *args, **kwargs)
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        host, path = self._send_cookies(environ)
        context = app.request_context(environ)
        with context:
            session = interface.open_session(app, context.request)
        if session is None:
            raise RuntimeError("Session backend did not open a session.")
        yield session
        if interface.is_null_session(session):
            return
        response = app.response_class()
        with context:
            interface.save_session(app, session, response)
        jar.extract(response.headers.getlist("Set-Cookie"), host, path)

    def _redirect_environ(
        self, previous: dict[str, Any], code: int, location: str
    ) -> dict[str, Any]:
        """The environ of the request a redirect (``code``, ``location``) asks for."""
        target = urlsplit(location)
        current = urlsplit(_current_url(previous))
        to_host, from_host = target.hostname or "", current.hostname or ""
        if to_host != from_host:
            if to_host.endswith("." + from_host):
                if not self.allow_subdomain_redirects:
                    raise RuntimeError("Following subdomain redirects is not enabled.")
            else:
                raise RuntimeError("Following external redirects is not supported.")

        script_root = previous.get("SCRIPT_NAME", "").encode("latin-1").decode()
        path = target.path or "/"
        if script_root and (path == script_root or path.startswith(script_root + "/")):
            path = path[len(script_root):]
        else:
            script_root = ""

        method = previous["REQUEST_METHOD"]
        # The Fetch standard's rules (as browsers follow them): 303 makes
        # anything but HEAD a GET; 301 and 302 make a POST a GET; 305, 307
        # and 308 repeat the request as it was, body included.
        becomes_get = (code == 303 and method not in ("GET", "HEAD")) or (
            code in (301, 302) and method == "POST"
        )
        builder = EnvironBuilder(
            None,
            path=path,
            base_url=f"{target.scheme}://{target.netloc}{script_root}/",
            query_string=target.query,
            method="GET" if becomes_get else method,
            headers=[(key[5:].replace("_", "-").title(), value)
                     for key, value in previous.items()
                     if key.startswith("HTTP_") and key not in ("HTTP_HOST", "HTTP_COOKIE")],
            # Everything else of the environ carries over (REMOTE_ADDR, the
            # client's and the test's own keys); the builder remakes the rest.
            environ_base={key: value for key, value in previous.items()
                          if not key.startswith(("HTTP_", "wsgi.")) and key not in _BODY_HEADERS},
            errors_stream=previous.get("wsgi.errors"),
            multithread=previous.get("wsgi.multithread", False),
            multiprocess=previous.get("wsgi.multiprocess", False),
            run_once=previous.get("wsgi.run_once", False),
        )
        new_environ = builder.get_environ()
        if becomes_get:
            for key in _BODY_HEADERS:
                new_environ.pop(key, None)
            new_environ["wsgi.input"] = io.BytesIO()
        else:
            for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                if key in previous:
                    new_environ[key] = previous[key]
            new_environ["wsgi.input"] = self._repeat_body(previous, code)
        if self.preserve_context:
            new_environ[PRESERVE_CONTEXT_KEY] = self._new_contexts.append
        return new_environ

    @staticmethod
    def _repeat_body(previous: dict[str, Any], code: int) -> Any:
        """A stream with the request body again, for a redirect that repeats the request."""
        stream = previous.get("wsgi.input")
        if stream is None:
            return io.BytesIO()
        if hasattr(stream, "getvalue"):
            return io.BytesIO(stream.getvalue())
        if hasattr(stream, "seekable") and stream.seekable():
            stream.seek(0)
            return io.BytesIO(stream.read())
        raise RuntimeError(
            f"cannot follow a {code} redirect: the request body came from a "
            "stream that cannot be read again"
        )

    def get(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open()`` with ``method="GET"``."""
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open()`` with ``method="POST"``."""
        return self.open(*args, method="POST", **kwargs)

    def put(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open()`` with ``method="PUT"``."""
        return self.open(*args, method="PUT", **kwargs)

    def patch(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open()`` with ``method="PATCH"``."""
        return self.open(*args, method="PATCH", **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open()`` with ``method="DELETE"``."""
        return self.open(*args, method="DELETE", **kwargs)

    def head(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open()`` with ``method="HEAD"``."""
        return self.open(*args, method="HEAD", **kwargs)

    def options(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open()`` with ``method="OPTIONS"``."""
        return self.open(*args, method="OPTIONS", **kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> TestResponse:
        """``open()`` with ``method="TRACE"``."""
        return self.open(*args, method="TRACE", **kwargs)

    # -- with client: ------------------------------------------------------------------

    def __enter__(self) -> Client:
        if self.preserve_context:
            raise RuntimeError("Cannot nest client invocations")
        self.preserve_context = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.preserve_context = False
        self._context_stack.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.application!r}>"


# -- the command runner ----------------------------------------------------------------------


class CliRunner(click.testing.CliRunner):
    """Invoke an app's click commands in a test (``app.test_cli_runner()``)."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: click.Command | None = None, args: Any = None, **kwargs: Any
    ) -> click.testing.Result:
        """Run ``cli`` (the app's ``cli`` group by default) with ``args``.

        Commands load the app through a ``ScriptInfo`` that returns this
        runner's app, so ``with_appcontext`` and ``pass_script_info`` work
        as under the ``tapster`` command.
        """
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        return super().invoke(cli, args, **kwargs)
