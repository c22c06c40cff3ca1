"""The test client's cookie jar: RFC 6265's storage and sending rules, with no I/O.

Cookies arrive as ``Set-Cookie`` field values together with the URL of the
request that received them (host, path, scheme), and leave as one ``Cookie``
field value for the URL of the next request. Like a browser (RFC 6265 §5.3
and §5.4), the jar

- keeps a cookie for the host that set it, or for a whole domain when
  ``Domain`` is given, and ignores a ``Domain`` the host is not part of;
- sends it only under its ``Path`` (by default, the folder of the request
  path that set it);
- forgets it when ``Max-Age`` (which wins) or ``Expires`` says it has
  expired, and deletes the stored cookie of that name when it arrives
  already expired (that is how servers delete cookies);
- sends a ``Secure`` cookie only over https, except to a loopback host,
  which browsers treat as secure too (so an app with secure cookies can be
  tested at ``http://localhost``).

Times come from ``now`` parameters (seconds since the epoch) so the rules
can be tested without waiting; they default to ``time.time()``.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

__all__ = ["Cookie", "CookieJar", "parse_cookie_date"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# RFC 6265 §5.1.1: the delimiters that split a cookie date into tokens.
_DATE_DELIMITERS = re.compile(r"[\x09\x20-\x2f\x3b-\x40\x5b-\x60\x7b-\x7e]+")
_TIME = re.compile(r"(\d{1,2}):(\d{1,2}):(\d{1,2})(?:\D|$)")
_DAY = re.compile(r"(\d{1,2})(?:\D|$)")
_YEAR = re.compile(r"(\d{2,4})(?:\D|$)")
_ESCAPE = re.compile(r"\\([0-7]{3}|.)")
_creation_order = itertools.count()


def parse_cookie_date(text: str) -> datetime | None:
    """Parse an ``Expires`` value with RFC 6265 §5.1.1's lenient algorithm (None if invalid).

    Servers write dates in several formats (``Wed, 21 Oct 2015 07:28:00 GMT``,
    ``Wednesday, 21-Oct-15 07:28:00 GMT``, asctime); the algorithm finds the
    time, day, month and year tokens wherever they are.
    """
    hms: tuple[int, int, int] | None = None
    day = month = year = None
    for token in _DATE_DELIMITERS.split(text):
        if not token:
            continue
        if hms is None and (match := _TIME.match(token)):
            hms = (int(match[1]), int(match[2]), int(match[3]))
        elif day is None and (match := _DAY.match(token)):
            day = int(match[1])
        elif month is None and token[:3].lower() in _MONTHS:
            month = _MONTHS.index(token[:3].lower()) + 1
        elif year is None and (match := _YEAR.match(token)):
            year = int(match[1])
    if hms is None or day is None or month is None or year is None:
        return None
    if 70 <= year <= 99:
        year += 1900
    elif 0 <= year <= 69:
        year += 2000
    hour, minute, second = hms
    if year < 1601 or not 1 <= day <= 31 or hour > 23 or minute > 59 or second > 59:
        return None
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    except ValueError:  # 31 February and friends
        return None


def _unquote(value: str) -> str:
    """A cookie value without its double quotes and backslash escapes (octal or single)."""
    if len(value) < 2 or value[0] != '"' or value[-1] != '"':
        return value

    def replace(match: re.Match[str]) -> str:
        escaped = match[1]
        return chr(int(escaped, 8)) if len(escaped) == 3 else escaped

    return _ESCAPE.sub(replace, value[1:-1])


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def domain_matches(host: str, domain: str) -> bool:
    """RFC 6265 §5.1.3: ``host`` is ``domain`` or a name under it (never for IP addresses)."""
    if host == domain:
        return True
    return host.endswith("." + domain) and not _is_ip_address(host)


def path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 §5.1.4: ``request_path`` is ``cookie_path`` or inside it as a folder."""
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


def default_path(request_path: str) -> str:
    """RFC 6265 §5.1.4: the folder of a request path (``/a/b`` gives ``/a``; ``/a``, ``/``)."""
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rindex("/")]


def cookie_expiry(now: float, max_age: int | None, expires: datetime | None) -> float | None:
    """When a cookie is dropped (seconds since the epoch): ``Max-Age`` first, then
    ``Expires``, else ``None`` (at the end of the session). RFC 6265 §5.3 step 3."""
    if max_age is not None:
        return now + max_age if max_age > 0 else 0.0
    if expires is not None:
        return expires.timestamp()
    return None


@dataclass
class Cookie:
    """A cookie in the jar, with the attributes of the ``Set-Cookie`` that made it.

    ``value`` is sent back exactly as received; ``decoded_value`` is that
    value without quotes and escapes. ``origin_only`` is true for a cookie
    without a ``Domain`` attribute: it goes back to ``domain`` exactly, not
    to its subdomains. ``expires``/``max_age`` are the attributes as given;
    ``expiry`` is the moment (seconds since the epoch) the jar drops it,
    None for a session cookie.
    """

    key: str
    value: str
    decoded_key: str
    decoded_value: str
    expires: datetime | None
    max_age: int | None
    domain: str
    origin_only: bool
    path: str
    secure: bool
    http_only: bool
    same_site: str | None
    expiry: float | None = None
    #: Creation order, which breaks ties when cookies are sorted for sending (§5.4).
    created: int = field(default_factory=lambda: next(_creation_order), repr=False, compare=False)

    @classmethod
    def from_set_cookie(
        cls, header: str, host: str, path: str, now: float | None = None
    ) -> Cookie | None:
        """The cookie a ``Set-Cookie`` value makes for a request to ``host`` and ``path``.

        None when RFC 6265 §5.2/§5.3 say to ignore it: no ``=``, an empty
        name, or a ``Domain`` that ``host`` does not belong to.
        """
        now = time.time() if now is None else now
        pair, *attributes = header.split(";")
        if "=" not in pair:
            return None
        key, _, value = pair.partition("=")
        key, value = key.strip(), value.strip()
        if not key:
            return None
        params: dict[str, str | None] = {}
        for attribute in attributes:
            name, sep, attr_value = attribute.partition("=")
            # The last occurrence of an attribute wins (§5.3 step 6 reads them in order).
            params[name.strip().lower()] = attr_value.strip() if sep else None

        host = host.lower()
        domain = (params.get("domain") or "").lstrip(".").lower()
        if domain:
            if not domain_matches(host, domain):
                return None
            origin_only = False
        else:
            domain, origin_only = host, True

        cookie_path = params.get("path") or ""
        if not cookie_path.startswith("/"):
            cookie_path = default_path(path)

        expires = parse_cookie_date(params["expires"] or "") if "expires" in params else None
        max_age: int | None = None
        if params.get("max-age") is not None:
            try:
                max_age = int(params["max-age"] or "")
            except ValueError:
                max_age = None  # §5.2.2: an invalid Max-Age is ignored
        return cls(
            key=key,
            value=value,
            decoded_key=_unquote(key),
            decoded_value=_unquote(value),
            expires=expires,
            max_age=max_age,
            domain=domain,
            origin_only=origin_only,
            path=cookie_path,
            secure="secure" in params,
            http_only="httponly" in params,
            same_site=params.get("samesite"),
            expiry=cookie_expiry(now, max_age, expires),
        )

    def is_expired(self, now: float | None = None) -> bool:
        """Whether the cookie's time is up (a session cookie's never is)."""
        if self.expiry is None:
            return False
        return self.expiry <= (time.time() if now is None else now)

    def matches(self, host: str, path: str, secure: bool) -> bool:
        """Whether a request to ``host``/``path`` (over https if ``secure``) carries it (§5.4)."""
        host = host.lower()
        if self.origin_only:
            if host != self.domain:
                return False
        elif not domain_matches(host, self.domain):
            return False
        if not path_matches(path or "/", self.path):
            return False
        return not self.secure or secure or _is_loopback(host)

    @property
    def storage_key(self) -> tuple[str, str, str]:
        """A newer cookie with the same domain, path and name replaces this one (§5.3 step 11)."""
        return self.domain, self.path, self.decoded_key


class CookieJar:
    """The cookies a client holds, keyed by (domain, path, name)."""

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str, str], Cookie] = {}

    def __iter__(self) -> Iterator[Cookie]:
        return iter(list(self._cookies.values()))

    def __len__(self) -> int:
        return len(self._cookies)

    def get(self, key: str, domain: str = "localhost", path: str = "/") -> Cookie | None:
        """The cookie named ``key`` stored for exactly ``domain`` and ``path``, if any."""
        return self._cookies.get((domain.lower(), path, key))

    def store(self, cookie: Cookie, now: float | None = None) -> None:
        """Keep ``cookie``, replacing the one with its key; an expired one deletes that instead."""
        if cookie.is_expired(now):
            self._cookies.pop(cookie.storage_key, None)
            return
        previous = self._cookies.get(cookie.storage_key)
        if previous is not None:
            cookie.created = previous.created  # §5.3 step 11.3: keep the creation time
        self._cookies[cookie.storage_key] = cookie

    def delete(self, key: str, domain: str = "localhost", path: str = "/") -> None:
        """Forget the cookie named ``key`` for exactly ``domain`` and ``path``."""
        self._cookies.pop((domain.lower(), path, key), None)

    def clear(self) -> None:
        """Forget every cookie."""
        self._cookies.clear()

    def extract(
        self,
        set_cookie_headers: Iterable[str],
        host: str,
        path: str,
        now: float | None = None,
    ) -> None:
        """Store the cookies of a response to a request for ``host`` and ``path``."""
        for header in set_cookie_headers:
            cookie = Cookie.from_set_cookie(header, host, path, now)
            if cookie is not None:
                self.store(cookie, now)

    def header_for(
        self, host: str, path: str, secure: bool, now: float | None = None
    ) -> str | None:
        """The ``Cookie`` field value for a request, or None when no cookie goes with it.

        Longer paths come first, then older cookies (§5.4 step 2); expired
        cookies are dropped on the way.
        """
        now = time.time() if now is None else now
        for cookie in list(self._cookies.values()):
            if cookie.is_expired(now):
                del self._cookies[cookie.storage_key]
        chosen = [c for c in self._cookies.values() if c.matches(host, path, secure)]
        if not chosen:
            return None
        chosen.sort(key=lambda c: (-len(c.path), c.created))
        return "; ".join(f"{c.key}={c.value}" for c in chosen)
