"""HTTP errors as exceptions: raise one (or call ``abort``) and the client gets that status.

Every class carries its status ``code`` and a one-sentence ``description``;
``get_response()`` renders the short HTML page Flask users know::

    <!doctype html>
    <html lang=en>
    <title>404 Not Found</title>
    <h1>Not Found</h1>
    <p>...description...</p>

An exception is also a WSGI application, so middleware can return one as is.
The names are Flask's (Werkzeug's), so ``from tapster.exceptions import
NotFound`` replaces ``from werkzeug.exceptions import NotFound``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime, timezone
from email.utils import format_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from .response import Response

__all__ = [
    "Aborter",
    "BadGateway",
    "BadRequest",
    "BadRequestKeyError",
    "ClientDisconnected",
    "Conflict",
    "ExpectationFailed",
    "FailedDependency",
    "Forbidden",
    "GatewayTimeout",
    "Gone",
    "HTTPException",
    "HTTPVersionNotSupported",
    "ImATeapot",
    "InternalServerError",
    "LengthRequired",
    "Locked",
    "MethodNotAllowed",
    "MisdirectedRequest",
    "NotAcceptable",
    "NotFound",
    "NotImplemented",
    "PreconditionFailed",
    "PreconditionRequired",
    "RequestEntityTooLarge",
    "RequestHeaderFieldsTooLarge",
    "RequestTimeout",
    "RequestURITooLarge",
    "RequestedRangeNotSatisfiable",
    "SecurityError",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnavailableForLegalReasons",
    "UnprocessableEntity",
    "UnsupportedMediaType",
    "abort",
    "default_exceptions",
]

#: Reason phrases by status code (RFC 9110 §15), spelled as Flask (Werkzeug) spells them.
STATUS_PHRASES: dict[int, str] = {status.value: status.phrase for status in HTTPStatus}
# The standard library's phrases differ from Flask's for these codes, and
# change between Python versions (3.13 renamed 413, 416 and 422 after RFC
# 9110). Responses ("414 REQUEST URI TOO LONG") and error pages show them,
# and ported test suites compare them, so they are pinned here.
STATUS_PHRASES.update(
    {
        203: "Non Authoritative Information",
        207: "Multi Status",
        306: "Switch Proxy",
        413: "Request Entity Too Large",
        414: "Request URI Too Long",
        416: "Requested Range Not Satisfiable",
        418: "I'm a teapot",  # RFC 2324; the standard library says "I'm a Teapot"
        422: "Unprocessable Entity",
        449: "Retry With",
        511: "Network Authentication Failed",
    }
)


#: Rendered error pages by (class, description): a 404 flood renders one page.
_PAGES: dict[tuple[type, str | None], str] = {}


class HTTPException(Exception):
    """An error answered with an HTTP status: the base of every class here.

    ``description`` replaces the class's sentence for one instance; a
    ``response`` given here is sent instead of the rendered page (``abort``
    with a response does this).
    """

    code: int | None = None
    description: str | None = None

    def __init__(self, description: str | None = None, response: Response | None = None) -> None:
        super().__init__()
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The status's reason phrase, such as ``"Not Found"``."""
        return STATUS_PHRASES.get(self.code or 0, "Unknown Error")

    def get_description(self, environ: dict[str, Any] | None = None, scope: Any = None) -> str:
        """The description as HTML-escaped markup, one paragraph."""
        text = html.escape(self.description or "").replace("\n", "<br>")
        return f"<p>{text}</p>"

    def get_body(self, environ: dict[str, Any] | None = None, scope: Any = None) -> str:
        """The HTML page sent as the response body."""
        key = (type(self), self.description)
        page = _PAGES.get(key)
        if page is None:
            page = self._render_body(environ)
            if len(_PAGES) < 512 and type(self).get_description is HTTPException.get_description:
                _PAGES[key] = page  # one page per class and description: errors repeat
        return page

    def _render_body(self, environ: dict[str, Any] | None) -> str:
        return (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.code} {html.escape(self.name)}</title>\n"
            f"<h1>{html.escape(self.name)}</h1>\n"
            f"{self.get_description(environ)}\n"
        )

    def get_headers(
        self, environ: dict[str, Any] | None = None, scope: Any = None
    ) -> list[tuple[str, str]]:
        """The response fields; subclasses add ``Allow``, ``Retry-After`` and the like."""
        return [("Content-Type", "text/html; charset=utf-8")]

    def get_response(self, environ: dict[str, Any] | None = None, scope: Any = None) -> Response:
        """The response to send: ``self.response`` when one was given, else the HTML page."""
        if self.response is not None:
            return self.response
        from .response import Response  # the response module imports this one

        return Response(self.get_body(environ), self.code, self.get_headers(environ))

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Answer as a WSGI application."""
        return self.get_response(environ)(environ, start_response)

    def __str__(self) -> str:
        return f"{self.code or '???'} {self.name}: {self.description}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} '{self.code}: {self.name}'>"


class BadRequest(HTTPException):
    """400: the request is malformed or cannot be understood."""

    code = 400
    description = "The browser (or proxy) sent a request that this server could not understand."


class ClientDisconnected(BadRequest):
    """The client went away while its request body was being read."""


class SecurityError(BadRequest):
    """A request that looks like an attack, such as a path escaping a folder."""


class BadRequestKeyError(BadRequest, KeyError):
    """A key missing from ``request.form`` or ``request.args``: a ``KeyError`` answered 400."""

    #: Put the missing key in the description (Flask turns this on in debug mode).
    show_exception = False
    _description = BadRequest.description

    def __init__(self, arg: str | None = None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.args = () if arg is None else (arg,)

    @property  # type: ignore[override]
    def description(self) -> str:
        """The 400 sentence, naming the missing key when ``show_exception`` is on."""
        if self.show_exception:
            return f"{self._description}\nKeyError: {KeyError.__str__(self)}"
        return self._description

    @description.setter
    def description(self, value: str) -> None:
        self._description = value

    def __str__(self) -> str:
        return HTTPException.__str__(self)


class Unauthorized(HTTPException):
    """401: credentials are needed; each ``www_authenticate`` value is a challenge field."""

    code = 401
    description = (
        "The server could not verify that you are authorized to access the URL requested. "
        "You either supplied the wrong credentials (e.g. a bad password), or your browser "
        "doesn't understand how to supply the credentials required."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        www_authenticate: Any = None,
    ) -> None:
        super().__init__(description, response)
        if www_authenticate is not None and not isinstance(www_authenticate, (list, tuple)):
            www_authenticate = [www_authenticate]
        self.www_authenticate = list(www_authenticate or ())

    def get_headers(
        self, environ: dict[str, Any] | None = None, scope: Any = None
    ) -> list[tuple[str, str]]:
        """The HTML content type and one ``WWW-Authenticate`` per challenge."""
        headers = super().get_headers(environ)
        headers.extend(("WWW-Authenticate", str(value)) for value in self.www_authenticate)
        return headers


class Forbidden(HTTPException):
    """403: the client may not have this resource."""

    code = 403
    description = (
        "You don't have the permission to access the requested resource. "
        "It is either read-protected or not readable by the server."
    )


class NotFound(HTTPException):
    """404: no resource at this URL."""

    code = 404
    description = (
        "The requested URL was not found on the server. If you entered the URL manually "
        "please check your spelling and try again."
    )


class MethodNotAllowed(HTTPException):
    """405: the URL exists but not for this method; ``valid_methods`` fills the ``Allow`` field."""

    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self,
        valid_methods: Iterable[str] | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.valid_methods = list(valid_methods) if valid_methods is not None else None

    def get_headers(
        self, environ: dict[str, Any] | None = None, scope: Any = None
    ) -> list[tuple[str, str]]:
        """The HTML content type and ``Allow`` (RFC 9110 §15.5.6 requires it on 405)."""
        headers = super().get_headers(environ)
        if self.valid_methods:
            headers.append(("Allow", ", ".join(self.valid_methods)))
        return headers


class NotAcceptable(HTTPException):
    """406: no representation matches the request's ``Accept`` fields."""

    code = 406
    description = (
        "The resource identified by the request is only capable of generating response "
        "entities which have content characteristics not acceptable according to the accept "
        "headers sent in the request."
    )


class RequestTimeout(HTTPException):
    """408: the client took too long to send its request."""

    code = 408
    description = (
        "The server closed the network connection because the browser didn't finish the "
        "request within the specified time."
    )


class Conflict(HTTPException):
    """409: the request conflicts with the resource's current state."""

    code = 409
    description = (
        "A conflict happened while processing the request. The resource might have been "
        "modified while the request was being processed."
    )


class Gone(HTTPException):
    """410: the resource existed and is gone for good."""

    code = 410
    description = (
        "The requested URL is no longer available on this server and there is no "
        "forwarding address. If you followed a link from a foreign page, please contact "
        "the author of this page."
    )


class LengthRequired(HTTPException):
    """411: the request needs a ``Content-Length``."""

    code = 411
    description = "A request with this method requires a valid <code>Content-Length</code> header."

    def get_description(self, environ: dict[str, Any] | None = None, scope: Any = None) -> str:
        """The description, whose markup is meant (it names a header in ``<code>``)."""
        return f"<p>{self.description}</p>"


class PreconditionFailed(HTTPException):
    """412: a conditional field (``If-Match`` ...) did not hold."""

    code = 412
    description = "The precondition on the request for the URL failed positive evaluation."


class RequestEntityTooLarge(HTTPException):
    """413: the request body is larger than the application accepts."""

    code = 413
    description = "The data value transmitted exceeds the capacity limit."


class RequestURITooLarge(HTTPException):
    """414: the request target is too long."""

    code = 414
    description = (
        "The length of the requested URL exceeds the capacity limit for this server. "
        "The request cannot be processed."
    )


class UnsupportedMediaType(HTTPException):
    """415: the body's media type is not one the resource takes."""

    code = 415
    description = (
        "The server does not support the media type transmitted in the request."
    )


class RequestedRangeNotSatisfiable(HTTPException):
    """416: the ``Range`` lies outside the resource; ``length`` fills ``Content-Range``."""

    code = 416
    description = "The server cannot provide the requested range."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.length = length
        self.units = units

    def get_headers(
        self, environ: dict[str, Any] | None = None, scope: Any = None
    ) -> list[tuple[str, str]]:
        """The HTML content type and ``Content-Range: bytes */length`` (RFC 9110 §15.5.17)."""
        headers = super().get_headers(environ)
        if self.length is not None:
            headers.append(("Content-Range", f"{self.units} */{self.length}"))
        return headers


class ExpectationFailed(HTTPException):
    """417: the server cannot meet the request's ``Expect`` field."""

    code = 417
    description = "The server could not meet the requirements of the Expect header"


class ImATeapot(HTTPException):
    """418: the server refuses to brew coffee (RFC 2324)."""

    code = 418
    description = "This server is a teapot, not a coffee machine"


class MisdirectedRequest(HTTPException):
    """421: the request reached a server that cannot answer for its authority."""

    code = 421
    description = "The server is not able to produce a response."


class UnprocessableEntity(HTTPException):
    """422: the body is well-formed but its content cannot be acted on."""

    code = 422
    description = (
        "The request was well-formed but was unable to be followed due to semantic errors."
    )


class Locked(HTTPException):
    """423: the resource is locked (WebDAV)."""

    code = 423
    description = "The resource that is being accessed is locked."


class FailedDependency(HTTPException):
    """424: an action this request depended on failed (WebDAV)."""

    code = 424
    description = (
        "The method could not be performed on the resource because the requested action "
        "depended on another action and that action failed."
    )


class PreconditionRequired(HTTPException):
    """428: the request must be conditional."""

    code = 428
    description = (
        "This request is required to be conditional; try using \"If-Match\" or "
        "\"If-Unmodified-Since\"."
    )


class _RetryAfter(HTTPException):
    """A status that may say when to try again (``Retry-After``, RFC 9110 §10.2.3)."""

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        retry_after: datetime | int | None = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(
        self, environ: dict[str, Any] | None = None, scope: Any = None
    ) -> list[tuple[str, str]]:
        """The HTML content type and ``Retry-After`` as seconds or an HTTP date."""
        headers = super().get_headers(environ)
        if self.retry_after is not None:
            if isinstance(self.retry_after, datetime):
                when = self.retry_after
                if when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                value = format_datetime(when.astimezone(timezone.utc), usegmt=True)
            else:
                value = str(int(self.retry_after))
            headers.append(("Retry-After", value))
        return headers


class TooManyRequests(_RetryAfter):
    """429: the client is being rate limited."""

    code = 429
    description = (
        "This user has exceeded an allotted request count. Try again later."
    )


class RequestHeaderFieldsTooLarge(HTTPException):
    """431: one field, or all of them together, are too large."""

    code = 431
    description = "One or more header fields exceeds the maximum size."


class UnavailableForLegalReasons(HTTPException):
    """451: the resource is withheld for legal reasons."""

    code = 451
    description = "Unavailable for legal reasons."


class InternalServerError(HTTPException):
    """500: the application failed; ``original_exception`` is the error behind it, if any."""

    code = 500
    description = (
        "The server encountered an internal error and was unable to complete your request. "
        "Either the server is overloaded or there is an error in the application."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        super().__init__(description, response)
        self.original_exception = original_exception


class NotImplemented(HTTPException):  # shadows the builtin: it is the name Flask users import
    """501: the server does not support this method or feature."""

    code = 501
    description = "The server does not support the action requested by the browser."


class BadGateway(HTTPException):
    """502: an upstream server answered badly."""

    code = 502
    description = (
        "The proxy server received an invalid response from an upstream server."
    )


class ServiceUnavailable(_RetryAfter):
    """503: the server cannot answer now (overloaded or in maintenance)."""

    code = 503
    description = (
        "The server is temporarily unable to service your request due to maintenance "
        "downtime or capacity problems. Please try again later."
    )


class GatewayTimeout(HTTPException):
    """504: an upstream server did not answer in time."""

    code = 504
    description = "The connection to an upstream server timed out."


class HTTPVersionNotSupported(HTTPException):
    """505: the request's HTTP version is not supported."""

    code = 505
    description = (
        "The server does not support the HTTP protocol version used in the request."
    )


def _collect(namespace: dict[str, Any]) -> dict[int, type[HTTPException]]:
    """The most general class of each status: ``BadRequest`` for 400, not its subclasses."""
    found: dict[int, type[HTTPException]] = {}
    for value in namespace.values():
        if (
            isinstance(value, type)
            and issubclass(value, HTTPException)
            and value.code is not None
            and value.code not in found
        ):
            found[value.code] = value
    return found


#: The exception class for each status code that has one.
default_exceptions: dict[int, type[HTTPException]] = _collect(dict(globals()))


class Aborter:
    """Raise the exception for a status code; ``abort`` is the app's instance of this."""

    def __init__(
        self,
        mapping: dict[int, type[HTTPException]] | None = None,
        extra: dict[int, type[HTTPException]] | None = None,
    ) -> None:
        self.mapping = dict(default_exceptions if mapping is None else mapping)
        if extra:
            self.mapping.update(extra)

    def __call__(self, code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
        """Raise the ``HTTPException`` for ``code``, or wrap a response to send as is."""
        if not isinstance(code, int):
            raise HTTPException(response=code)
        if code not in self.mapping:
            raise LookupError(f"no exception for status code {code}")
        raise self.mapping[code](*args, **kwargs)


_default_aborter = Aborter()


def abort(code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
    """Stop the request with the error for ``code`` (``abort(404)``), or send a response as is.

    Inside an application context the app's ``aborter`` is used, so errors an
    app registers for new codes work here too.
    """
    from .globals import _cv_app  # late: the globals module builds on this one

    context = _cv_app.get(None)
    aborter = _default_aborter if context is None else context.app.aborter
    aborter(code, *args, **kwargs)
