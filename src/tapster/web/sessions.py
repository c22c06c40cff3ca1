"""Sessions: a dict kept across requests in a signed cookie (``session``).

The cookie holds the session's data as tagged JSON, signed with
itsdangerous using Flask's salt (``cookie-session``), key derivation
(HMAC) and digest (SHA-1), so a cookie Flask signed reads here and back.
The signature includes a timestamp: a cookie older than
``PERMANENT_SESSION_LIFETIME``, tampered with, or signed with another key
gives an empty session, never an error. Replace ``app.session_interface``
to keep sessions elsewhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, MutableMapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from .json.tag import TaggedJSONSerializer

if TYPE_CHECKING:
    from itsdangerous import URLSafeTimedSerializer

    from .app import App
    from .request import Request
    from .response import Response

__all__ = [
    "NullSession",
    "SecureCookieSession",
    "SecureCookieSessionInterface",
    "SessionInterface",
    "SessionMixin",
]


class SessionMixin(MutableMapping[str, Any]):
    """What a session has beyond a dict: ``permanent``, ``new``, ``modified``, ``accessed``."""

    #: Set by the session interface when the session did not come from the client.
    new = False
    #: Whether the session was changed; only a modified session is stored again.
    modified = True
    #: Whether the session was read or written (adds ``Vary: Cookie``).
    accessed = True

    @property
    def permanent(self) -> bool:
        """Whether the session outlives the browser (for ``PERMANENT_SESSION_LIFETIME``)."""
        return bool(self.get("_permanent", False))

    @permanent.setter
    def permanent(self, value: bool) -> None:
        self["_permanent"] = bool(value)


class SecureCookieSession(dict, SessionMixin):  # type: ignore[type-arg]
    """The session of the cookie interface: a dict tracking reads and writes."""

    modified = False
    accessed = False

    def __init__(self, initial: Any = None) -> None:
        super().__init__(initial or ())

    def _changed(self) -> None:
        self.modified = True
        self.accessed = True

    def __getitem__(self, key: str) -> Any:
        self.accessed = True
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` or ``default`` (marks the session accessed)."""
        self.accessed = True
        return super().get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, set to ``default`` first when missing (marks it modified)."""
        self.accessed = True
        if key not in self:
            self._changed()
        return super().setdefault(key, default)

    def __contains__(self, key: object) -> bool:
        self.accessed = True
        return super().__contains__(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self._changed()
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._changed()
        super().__delitem__(key)

    def clear(self) -> None:
        """Remove everything (marks the session modified)."""
        self._changed()
        super().clear()

    def pop(self, key: str, *default: Any) -> Any:
        """Remove and return ``key`` (marks the session modified)."""
        self._changed()
        return super().pop(key, *default)

    def popitem(self) -> tuple[str, Any]:
        """Remove and return the last pair (marks the session modified)."""
        self._changed()
        return super().popitem()

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Add the pairs of a mapping or iterable (marks the session modified)."""
        self._changed()
        super().update(*args, **kwargs)


def _fail(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(
        "The session is unavailable because no secret key was set. Set the secret_key on "
        "the application to something unique and secret."
    )


class NullSession(SecureCookieSession):
    """The session when no ``SECRET_KEY`` is set: readable and empty, writing raises."""

    __setitem__ = __delitem__ = clear = pop = popitem = update = setdefault = _fail  # type: ignore[assignment]


class SessionInterface:
    """How sessions are opened and saved; subclass it to store them elsewhere."""

    #: The session class when there is no usable session (no secret key).
    null_session_class = NullSession
    #: Whether the session uses pickle (stores must then trust their data).
    pickle_based = False

    def make_null_session(self, app: App) -> NullSession:
        """The session used when ``open_session`` returns None."""
        return self.null_session_class()

    def is_null_session(self, obj: object) -> bool:
        """Whether ``obj`` is the null session (so nothing is saved)."""
        return isinstance(obj, self.null_session_class)

    def get_cookie_name(self, app: App) -> str:
        """``SESSION_COOKIE_NAME``."""
        return app.config["SESSION_COOKIE_NAME"]  # type: ignore[no-any-return]

    def get_cookie_domain(self, app: App) -> str | None:
        """``SESSION_COOKIE_DOMAIN``: None keeps the cookie to the host that set it."""
        return app.config["SESSION_COOKIE_DOMAIN"]  # type: ignore[no-any-return]

    def get_cookie_path(self, app: App) -> str:
        """``SESSION_COOKIE_PATH``, else ``APPLICATION_ROOT``."""
        return app.config["SESSION_COOKIE_PATH"] or app.config["APPLICATION_ROOT"]  # type: ignore[no-any-return]

    def get_cookie_httponly(self, app: App) -> bool:
        """``SESSION_COOKIE_HTTPONLY``: keep the cookie from scripts."""
        return bool(app.config["SESSION_COOKIE_HTTPONLY"])

    def get_cookie_secure(self, app: App) -> bool:
        """``SESSION_COOKIE_SECURE``: send the cookie over HTTPS only."""
        return bool(app.config["SESSION_COOKIE_SECURE"])

    def get_cookie_samesite(self, app: App) -> str | None:
        """``SESSION_COOKIE_SAMESITE``: ``"Lax"``, ``"Strict"``, ``"None"`` or unset."""
        return app.config["SESSION_COOKIE_SAMESITE"]  # type: ignore[no-any-return]

    def get_cookie_partitioned(self, app: App) -> bool:
        """``SESSION_COOKIE_PARTITIONED`` (CHIPS)."""
        return bool(app.config["SESSION_COOKIE_PARTITIONED"])

    def get_expiration_time(self, app: App, session: SessionMixin) -> datetime | None:
        """When a permanent session's cookie expires; None for a browser-session cookie."""
        if session.permanent:
            return datetime.now(timezone.utc) + app.permanent_session_lifetime
        return None

    def should_set_cookie(self, app: App, session: SessionMixin) -> bool:
        """Send the cookie when the session changed, or to refresh a permanent one."""
        return session.modified or (
            session.permanent and bool(app.config["SESSION_REFRESH_EACH_REQUEST"])
        )

    def open_session(self, app: App, request: Request) -> SessionMixin | None:
        """The session of ``request``, or None for the null session."""
        raise NotImplementedError

    def save_session(self, app: App, session: SessionMixin, response: Response) -> None:
        """Store the session, e.g. by setting a cookie on ``response``."""
        raise NotImplementedError


def add_vary(response: Response, field: str) -> None:
    """Add ``field`` to the response's ``Vary`` (RFC 9110 §12.5.5) unless it is there."""
    headers = response.headers
    current = headers.get("Vary")
    if not current:
        headers["Vary"] = field
    elif field.lower() not in {item.strip().lower() for item in current.split(",")}:
        headers["Vary"] = f"{current}, {field}"


class SecureCookieSessionInterface(SessionInterface):
    """Sessions in a cookie signed with the app's ``SECRET_KEY`` (the default)."""

    #: The salt Flask uses, so that cookies are interchangeable with Flask's.
    salt = "cookie-session"
    #: The signature's digest (Flask's: SHA-1 in an HMAC).
    digest_method: Callable[..., Any] = staticmethod(hashlib.sha1)
    #: How the signing key is derived from the secret key.
    key_derivation = "hmac"
    #: The payload format.
    serializer = TaggedJSONSerializer()
    session_class = SecureCookieSession

    def get_signing_serializer(self, app: App) -> URLSafeTimedSerializer | None:
        """The signer for the app's keys: ``SECRET_KEY``, and ``SECRET_KEY_FALLBACKS`` to read."""
        if not app.secret_key:
            return None
        from itsdangerous import URLSafeTimedSerializer

        keys: list[str | bytes] = list(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys.append(app.secret_key)  # itsdangerous signs with the last key
        return URLSafeTimedSerializer(
            keys,  # type: ignore[arg-type]
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    def open_session(self, app: App, request: Request) -> SecureCookieSession | None:
        """The session in the request's cookie; empty when missing, invalid or expired."""
        if not app.secret_key:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()  # the common case costs no signer
        from itsdangerous import BadSignature

        signer = self.get_signing_serializer(app)

        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            return self.session_class(signer.loads(value, max_age=max_age))  # type: ignore[union-attr]
        except (BadSignature, ValueError, TypeError):
            # Tampered, expired, signed with another key, or not even our format.
            return self.session_class()

    def save_session(self, app: App, session: SessionMixin, response: Response) -> None:
        """Set (or delete) the cookie when needed; ``Vary: Cookie`` when the session was used."""
        name = self.get_cookie_name(app)
        attributes = {
            "domain": self.get_cookie_domain(app),
            "path": self.get_cookie_path(app),
            "secure": self.get_cookie_secure(app),
            "partitioned": self.get_cookie_partitioned(app),
            "samesite": self.get_cookie_samesite(app),
            "httponly": self.get_cookie_httponly(app),
        }
        if session.accessed:
            add_vary(response, "Cookie")
        if not session:
            if session.modified:  # emptied in this request: remove the cookie
                response.delete_cookie(name, **attributes)
                add_vary(response, "Cookie")
            return
        if not self.should_set_cookie(app, session):
            return
        signer = self.get_signing_serializer(app)
        if signer is None:
            raise RuntimeError(
                "The session cannot be saved because no secret key was set. Set the "
                "secret_key on the application to something unique and secret."
            )
        response.set_cookie(
            name,
            signer.dumps(dict(session)),  # type: ignore[arg-type]
            expires=self.get_expiration_time(app, session),
            **attributes,
        )
        add_vary(response, "Cookie")
