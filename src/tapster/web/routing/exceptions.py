"""What routing raises: redirects the client must follow, and URLs that cannot be built.

``NotFound`` and ``MethodNotAllowed`` come from ``tapster.web.exceptions``;
this module adds the routing-only ones under Werkzeug's names. The last two
classes are signals between the matcher and the adapter and never reach the
application.
"""

from __future__ import annotations

import difflib
import html
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..exceptions import BadRequest, HTTPException

if TYPE_CHECKING:
    from .map import MapAdapter
    from .rules import Rule

__all__ = [
    "BuildError",
    "NoMatch",
    "RequestPath",
    "RequestRedirect",
    "RoutingException",
    "WebsocketMismatch",
]


class RoutingException(Exception):
    """The base of the exceptions routing raises to redirect or to report a failed build."""


class RequestRedirect(HTTPException, RoutingException):
    """308: the URL is not the canonical one; ``new_url`` is the absolute URL to go to.

    Raised for a missing trailing slash (``/foo`` for the rule ``/foo/``),
    merged slashes (``/a//b``), a URL that spells out a rule's defaults, an
    alias rule, and ``redirect_to``. As a response it is a 308 with
    ``Location``, so the method and body are kept.
    """

    code = 308

    def __init__(self, new_url: str) -> None:
        super().__init__(new_url)
        self.new_url = new_url

    def get_body(self, environ: dict[str, Any] | None = None, scope: Any = None) -> str:
        """The short HTML page with a link, for clients that do not follow redirects."""
        link = html.escape(self.new_url)
        return (
            "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
            "<h1>Redirecting...</h1>\n"
            "<p>You should be redirected automatically to the target URL: "
            f'<a href="{link}">{link}</a>. If not, click the link.\n'
        )

    def get_headers(
        self, environ: dict[str, Any] | None = None, scope: Any = None
    ) -> list[tuple[str, str]]:
        """The HTML content type and ``Location`` (RFC 9110 §15.4.9)."""
        return [*super().get_headers(environ), ("Location", self.new_url)]


class WebsocketMismatch(BadRequest):
    """400: the only rule for this URL is a WebSocket rule and the request is plain HTTP, or
    the other way round."""


class BuildError(RoutingException, LookupError):
    """No rule of ``endpoint`` can be built with these ``values`` (and ``method``).

    ``str()`` says why: the endpoint has no rule (and which endpoints have
    close names), the method is not one its rules take, values are missing,
    a value contradicts a rule's default, or a converter refused a value.
    """

    def __init__(
        self,
        endpoint: Any,
        values: Mapping[str, Any],
        method: str | None,
        adapter: MapAdapter | None = None,
    ) -> None:
        super().__init__(endpoint, values, method)
        self.endpoint = endpoint
        self.values = values
        self.method = method
        self.adapter = adapter

    @property
    def suggested(self) -> Rule | None:
        """The rule of the bound map closest to what was asked for, if any."""
        return self.closest_rule(self.adapter)

    def closest_rule(self, adapter: MapAdapter | None) -> Rule | None:
        """The rule whose endpoint is most like ``endpoint``, preferring ones that fit the
        values and the method."""
        if adapter is None:
            return None
        rules = list(adapter.map.iter_rules())
        if not rules:
            return None
        wanted = str(self.endpoint)
        given = set(self.values or ())

        def score(rule: Rule) -> float:
            likeness = difflib.SequenceMatcher(None, str(rule.endpoint), wanted).ratio()
            fits_values = given <= rule.arguments
            fits_method = bool(rule.methods and self.method in rule.methods)
            return 0.98 * likeness + 0.01 * fits_values + 0.01 * fits_method

        return max(rules, key=score)

    def __str__(self) -> str:
        head = f"Could not build url for endpoint {self.endpoint!r}"
        if self.method:
            head += f" ({self.method!r})"
        if self.values:
            head += f" with values {sorted(self.values)!r}"
        reasons = self._reasons()
        return " ".join([head + ".", *reasons])

    def _reasons(self) -> list[str]:
        """Sentences saying why no rule fitted, worked out again from the bound map."""
        if self.adapter is None:
            return []
        url_map = self.adapter.map
        url_map.update()
        rules = url_map._rules_by_endpoint.get(self.endpoint, [])
        if not rules:
            names = sorted({str(rule.endpoint) for rule in url_map.iter_rules()})
            close = difflib.get_close_matches(str(self.endpoint), names, n=3, cutoff=0.6)
            sentence = "No rule has this endpoint."
            if close:
                sentence += f" Did you mean {' or '.join(repr(name) for name in close)} instead?"
            return [sentence]
        if self.method is not None:
            taking = [r for r in rules if r.methods is None or self.method in r.methods]
            if not taking:
                allowed = sorted({m for r in rules for m in r.methods or ()})
                return [f"Its rules take the methods {allowed!r} only."]
            rules = taking
        reasons: list[str] = []
        missing_options: list[list[str]] = []
        for rule in rules:
            defaults = rule.defaults or {}
            missing = sorted(
                name for name in rule.arguments if name not in defaults and name not in self.values
            )
            if missing:
                missing_options.append(missing)
                continue
            clash = sorted(
                name for name, value in defaults.items()
                if name in self.values and self.values[name] != value
            )
            if clash:
                wanted = ", ".join(f"{name}={defaults[name]!r}" for name in clash)
                reasons.append(f"The rule {rule.rule!r} needs {wanted}.")
                continue
            refusal = rule._build_refusal(self.values)
            if refusal:
                reasons.append(refusal)
        if missing_options:
            fewest = min(missing_options, key=len)
            reasons.insert(0, f"Did you forget to specify values {fewest!r}?")
        return reasons


class NoMatch(Exception):
    """Internal: nothing matched; the methods of rules that matched the path otherwise."""

    __slots__ = ("have_match_for", "websocket_mismatch")

    def __init__(self, have_match_for: set[str], websocket_mismatch: bool) -> None:
        super().__init__()
        self.have_match_for = have_match_for
        self.websocket_mismatch = websocket_mismatch


class RequestPath(RoutingException):
    """Internal: the path matches in another spelling (slash added or slashes merged)."""

    __slots__ = ("path_info",)

    def __init__(self, path_info: str) -> None:
        super().__init__()
        self.path_info = path_info

