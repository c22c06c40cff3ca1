"""The map holds the rules; bound to a request (a ``MapAdapter``) it matches and builds URLs.

``Map.bind_to_environ(environ)`` reads the host, script name, path, method
and query string of a WSGI environ (or of any object with an ``environ``);
``Map.bind(server_name, ...)`` takes them as arguments. Both are cheap: the
rules were compiled once, when first needed after the last ``add``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from threading import Lock
from typing import Any
from urllib.parse import quote, urljoin, urlunsplit

from ..exceptions import BadRequest, HTTPException, MethodNotAllowed, NotFound
from .converters import DEFAULT_CONVERTERS, PATH_SAFE, BaseConverter
from .exceptions import BuildError, NoMatch, RequestPath, RequestRedirect, WebsocketMismatch
from .matcher import StateMachineMatcher
from .rules import _REDIRECT_PLACEHOLDER, Rule, RuleFactory, _query_items, encode_query

__all__ = ["Map", "MapAdapter"]

# A Host value routing trusts: a name or IPv4 address, or a bracketed IPv6
# address, then an optional port 1-65535. Anything else counts as no host at
# all, as Werkzeug's get_host() decides (so subdomain and host matching fail
# instead of routing on garbage).
_HOST = re.compile(
    r"(?:[a-z0-9.-]+|\[[a-f0-9]*:[a-f0-9.:]+\])(?::([1-9][0-9]{0,4}))?",
    re.ASCII | re.IGNORECASE,
)

# The subdomain of a request whose host is not under the configured server
# name; no host has it, so it matches no rule.
_INVALID_SUBDOMAIN = "<invalid>"

# Per-request work that depends only on the Host value and the server name,
# remembered: a site sees a handful of them. Bounded and emptied when full,
# since the Host header is the client's to choose.
_CACHE_SIZE = 256
_HOST_CACHE: dict[tuple[str, str | None], str] = {}
_SERVER_NAME_CACHE: dict[str, str] = {}


def _remember(cache: dict[Any, str], key: Any, value: str) -> str:
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value
    return value


def _server_name(server_name: str) -> str:
    """``host[:port]`` lower-cased, the host IDNA-encoded; ``UnicodeError`` if it cannot be."""
    known = _SERVER_NAME_CACHE.get(server_name)
    if known is not None:
        return known
    # The port is not part of the name IDNA encodes.
    name, colon, port = server_name.lower().partition(":")
    name = name.encode("idna").decode("ascii")
    return _remember(_SERVER_NAME_CACHE, server_name, f"{name}{colon}{port}")


def _request_host(environ: Mapping[str, Any], scheme: str) -> str:
    """The request's ``host[:port]``, lower-cased: ``Host``, else ``SERVER_NAME:SERVER_PORT``.

    The port is left out when it is the scheme's default; an invalid value
    gives ``''`` (no host).
    """
    host = environ.get("HTTP_HOST")
    if host is None:
        name = environ.get("SERVER_NAME")
        try:
            port = int(environ.get("SERVER_PORT"))  # type: ignore[arg-type]
        except (TypeError, ValueError):  # a Unix socket has no port: no useful host
            return ""
        if name is None:
            return ""
        if ":" in name and not name.startswith("["):
            name = f"[{name}]"
        host = f"{name}:{port}"
    known = _HOST_CACHE.get((host, scheme))
    if known is not None:
        return known
    checked = host
    if scheme in ("http", "ws"):
        checked = checked.removesuffix(":80")
    elif scheme in ("https", "wss"):
        checked = checked.removesuffix(":443")
    match = _HOST.fullmatch(checked)
    if match is None or (match.group(1) and int(match.group(1)) > 65535):
        checked = ""
    return _remember(_HOST_CACHE, (host, scheme), checked.lower())


def _wsgi_text(environ: Mapping[str, Any], key: str) -> str | None:
    """A PEP 3333 "bytes as latin-1" environ string, decoded as the UTF-8 it was sent as."""
    value = environ.get(key)
    if value is None:
        return None
    if value.isascii():  # the usual case, and latin-1 and UTF-8 agree on it
        return value
    try:
        return value.encode("latin-1").decode("utf-8", "replace")
    except UnicodeEncodeError:  # not PEP 3333 bytes-as-latin-1: already text, keep it
        return value


class Map:
    """The URL rules of an application, and the settings they share.

    ``converters`` is a dict: add to it (``url_map.converters["list"] =
    ListConverter``) before adding rules that use the new name. The other
    arguments are defaults for the rules (``strict_slashes``,
    ``merge_slashes``, ``default_subdomain``) and switches: redirect URLs that
    spell out a rule's defaults (``redirect_defaults``), sort query
    parameters of built URLs (``sort_parameters``, ``sort_key``), match rules
    on the whole host instead of the subdomain (``host_matching``).
    """

    #: The converters every map starts with.
    default_converters: Mapping[str, type[BaseConverter]] = DEFAULT_CONVERTERS

    #: The lock guarding the lazy recompilation after rules were added.
    lock_class: Callable[[], Any] = Lock

    def __init__(
        self,
        rules: Iterable[RuleFactory] | None = None,
        default_subdomain: str = "",
        strict_slashes: bool = True,
        merge_slashes: bool = True,
        redirect_defaults: bool = True,
        converters: Mapping[str, type[BaseConverter]] | None = None,
        sort_parameters: bool = False,
        sort_key: Callable[[Any], Any] | None = None,
        host_matching: bool = False,
    ) -> None:
        self._matcher = StateMachineMatcher(merge_slashes)
        self._rules_by_endpoint: dict[Any, list[Rule]] = {}
        self._remap = True
        self._remap_lock = self.lock_class()
        self.default_subdomain = default_subdomain
        self.strict_slashes = strict_slashes
        self.redirect_defaults = redirect_defaults
        self.host_matching = host_matching
        self.converters: dict[str, type[BaseConverter]] = dict(self.default_converters)
        if converters:
            self.converters.update(converters)
        self.sort_parameters = sort_parameters
        self.sort_key = sort_key
        for factory in rules or ():
            self.add(factory)

    @property
    def merge_slashes(self) -> bool:
        """Whether ``/a//b`` redirects to ``/a/b`` (rules may override it)."""
        return self._matcher.merge_slashes

    @merge_slashes.setter
    def merge_slashes(self, value: bool) -> None:
        self._matcher.merge_slashes = value

    def add(self, rulefactory: RuleFactory) -> None:
        """Add a rule (or a factory's rules); the rule string is parsed here."""
        for rule in rulefactory.get_rules(self):
            rule.bind(self)
            if not rule.build_only:
                self._matcher.add(rule)
            self._rules_by_endpoint.setdefault(rule.endpoint, []).append(rule)
        self._remap = True

    def update(self) -> None:
        """Compile the rules added since the last match or build (called by both)."""
        if not self._remap:
            return
        with self._remap_lock:
            if not self._remap:
                return
            self._matcher.update()
            for rules in self._rules_by_endpoint.values():
                rules.sort(key=lambda rule: rule.build_compare_key())
                # The rules a match of each rule may redirect to for its defaults
                # (see MapAdapter.get_default_redirect), found once here.
                for index, rule in enumerate(rules):
                    rule._default_providers = tuple(
                        other for other in rules[:index] if other.provides_defaults_for(rule)
                    )
            self._remap = False

    @property
    def _rules(self) -> list[Rule]:
        return [rule for rules in self._rules_by_endpoint.values() for rule in rules]

    def iter_rules(self, endpoint: Any | None = None) -> Iterator[Rule]:
        """Every rule, grouped by endpoint, or the rules of one endpoint (KeyError if none)."""
        self.update()
        if endpoint is not None:
            return iter(self._rules_by_endpoint[endpoint])
        return iter(self._rules)

    def is_endpoint_expecting(self, endpoint: Any, *arguments: str) -> bool:
        """Whether some rule of ``endpoint`` has all of ``arguments``."""
        self.update()
        wanted = set(arguments)
        return any(wanted <= rule.arguments for rule in self._rules_by_endpoint[endpoint])

    def bind(
        self,
        server_name: str,
        script_name: str | None = None,
        subdomain: str | None = None,
        url_scheme: str = "http",
        default_method: str = "GET",
        path_info: str | None = None,
        query_args: Mapping[str, Any] | str | None = None,
    ) -> MapAdapter:
        """An adapter for requests to ``server_name`` (needed for absolute redirect URLs).

        ``script_name`` defaults to ``/``, ``subdomain`` to the map's
        ``default_subdomain`` (it must stay None with ``host_matching``), and
        ``path_info`` to ``/``; ``match()`` and ``build()`` use these unless
        told otherwise.
        """
        if self.host_matching:
            if subdomain is not None:
                raise RuntimeError("host matching enabled and a subdomain was provided")
        elif subdomain is None:
            subdomain = self.default_subdomain
        if script_name is None:
            script_name = "/"
        if path_info is None:
            path_info = "/"
        try:
            server_name = _server_name(server_name)
        except UnicodeError as error:
            raise BadRequest(f"The host name {server_name!r} is not valid.") from error
        return MapAdapter(
            self,
            server_name,
            script_name,
            subdomain,
            url_scheme,
            path_info,
            default_method,
            query_args,
        )

    def bind_to_environ(
        self,
        environ: Mapping[str, Any] | Any,
        server_name: str | None = None,
        subdomain: str | None = None,
    ) -> MapAdapter:
        """An adapter for the request described by a WSGI environ (or an object with one).

        Without ``server_name`` the request's own host is used and there is no
        subdomain. With it, the subdomain is what the host has in front of it
        (``staging.example.com`` for ``example.com`` gives ``staging``); a host
        outside ``server_name`` warns and gets the subdomain ``<invalid>``,
        which matches nothing.
        """
        env = getattr(environ, "environ", environ)
        scheme = env["wsgi.url_scheme"]
        wsgi_server_name = _request_host(env, scheme)
        if env.get("HTTP_UPGRADE", "").lower() == "websocket" and any(
            token.strip(" \t") == "upgrade"
            for token in env.get("HTTP_CONNECTION", "").lower().split(",")
        ):
            scheme = "wss" if scheme == "https" else "ws"
        if server_name is None:
            server_name = wsgi_server_name
        else:
            server_name = server_name.lower()
            # Drop the scheme's default port, as the host read from the environ has none.
            if scheme in ("http", "ws"):
                server_name = server_name.removesuffix(":80")
            elif scheme in ("https", "wss"):
                server_name = server_name.removesuffix(":443")
        if subdomain is None and not self.host_matching:
            if wsgi_server_name == server_name:
                subdomain = ""
            else:
                current = wsgi_server_name.split(".")
                configured = server_name.split(".")
                offset = -len(configured)
                if current[offset:] != configured:
                    warnings.warn(
                        f"Current server name {wsgi_server_name!r} doesn't match configured"
                        f" server name {server_name!r}",
                        stacklevel=2,
                    )
                    subdomain = _INVALID_SUBDOMAIN
                else:
                    subdomain = ".".join(filter(None, current[:offset]))
        return Map.bind(
            self,
            server_name,
            _wsgi_text(env, "SCRIPT_NAME"),
            subdomain,
            scheme,
            env["REQUEST_METHOD"],
            _wsgi_text(env, "PATH_INFO"),
            query_args=_wsgi_text(env, "QUERY_STRING"),
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.iter_rules())!r})"


class MapAdapter:
    """A map bound to one request (or one server name): ``match()`` and ``build()``."""

    def __init__(
        self,
        map: Map,
        server_name: str,
        script_name: str,
        subdomain: str | None,
        url_scheme: str,
        path_info: str,
        default_method: str,
        query_args: Mapping[str, Any] | str | None = None,
    ) -> None:
        self.map = map
        self.server_name = server_name
        if not script_name.endswith("/"):
            script_name += "/"
        self.script_name = script_name
        self.subdomain = subdomain
        self.url_scheme = url_scheme
        self.path_info = path_info
        self.default_method = default_method
        self.query_args = query_args
        self.websocket = url_scheme in ("ws", "wss")

    # --- matching -----------------------------------------------------------------------------

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        return_rule: bool = False,
        query_args: Mapping[str, Any] | str | None = None,
        websocket: bool | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """``(endpoint, view_args)`` (or ``(rule, view_args)``) for the path and method.

        Raises ``NotFound``; ``MethodNotAllowed`` with the sorted methods the
        path takes; ``RequestRedirect`` to the canonical URL (slash added or
        merged, defaults left out, alias or ``redirect_to``), keeping the
        query string; ``WebsocketMismatch`` when only the other kind of
        request would match.
        """
        url_map = self.map
        if url_map._remap:
            url_map.update()
        if path_info is None:
            path_info = self.path_info
        if query_args is None:
            query_args = self.query_args or {}
        method = (method or self.default_method).upper()
        if websocket is None:
            websocket = self.websocket
        if not url_map.host_matching and self.subdomain is not None:
            domain_part = self.subdomain
            if domain_part == _INVALID_SUBDOMAIN:
                # A host outside the server name: nothing of this site is there.
                # (Werkzeug would let a <name> subdomain rule take "<invalid>".)
                raise NotFound()
        else:
            domain_part = self.server_name
        path_part = f"/{path_info.lstrip('/')}" if path_info else ""
        try:
            rule, values = url_map._matcher.match(domain_part, path_part, method, websocket)
        except RequestPath as redirect:
            new_path = quote(redirect.path_info, safe=PATH_SAFE)
            raise RequestRedirect(self.make_redirect_url(new_path, query_args)) from None
        except NoMatch as failure:
            if failure.have_match_for:
                raise MethodNotAllowed(valid_methods=sorted(failure.have_match_for)) from None
            if failure.websocket_mismatch:
                raise WebsocketMismatch() from None
            raise NotFound() from None
        if rule.alias and url_map.redirect_defaults:
            canonical = self.make_alias_redirect_url(
                f"{domain_part}|{path_part}", rule.endpoint, values, method, query_args, alias=rule
            )
            if canonical is not None:
                raise RequestRedirect(canonical)
        if url_map.redirect_defaults and rule._default_providers:
            redirect_url = self.get_default_redirect(rule, method, values, query_args)
            if redirect_url is not None:
                raise RequestRedirect(redirect_url)
        if rule.redirect_to is not None:
            raise RequestRedirect(self._redirect_to_url(rule, values))
        if return_rule:
            return rule, values
        return rule.endpoint, values

    def _redirect_to_url(self, rule: Rule, values: dict[str, Any]) -> str:
        """The absolute URL a ``redirect_to`` rule sends this match to."""
        if isinstance(rule.redirect_to, str):
            target = _REDIRECT_PLACEHOLDER.sub(
                lambda found: rule._converters[found.group(1)].to_url(values[found.group(1)]),
                rule.redirect_to,
            )
        else:
            target = rule.redirect_to(self, **values)  # type: ignore[misc]
        netloc = f"{self.subdomain}.{self.server_name}" if self.subdomain else self.server_name
        return urljoin(f"{self.url_scheme or 'http'}://{netloc}{self.script_name}", target)

    def test(self, path_info: str | None = None, method: str | None = None) -> bool:
        """Whether the path matches (a redirect counts as a match)."""
        try:
            self.match(path_info, method)
        except RequestRedirect:
            pass
        except HTTPException:
            return False
        return True

    def allowed_methods(self, path_info: str | None = None) -> list[str]:
        """The methods the path takes (empty when it does not exist), sorted."""
        try:
            self.match(path_info, method="--")
        except MethodNotAllowed as error:
            return list(error.valid_methods or ())
        except HTTPException:
            pass
        return []

    def dispatch(
        self,
        view_func: Callable[[Any, dict[str, Any]], Any],
        path_info: str | None = None,
        method: str | None = None,
        catch_http_exceptions: bool = False,
    ) -> Any:
        """Match, then call ``view_func(endpoint, view_args)``; a redirect is returned as is.

        With ``catch_http_exceptions`` an ``HTTPException`` (404, 405, or one
        the view raised) is returned instead of raised: it is a WSGI app.
        """
        try:
            try:
                endpoint, args = self.match(path_info, method)
            except RequestRedirect as redirect:
                return redirect
            return view_func(endpoint, args)
        except HTTPException as error:
            if catch_http_exceptions:
                return error
            raise

    def get_host(self, domain_part: str | None) -> str:
        """The host for a rule's domain part: the subdomain joined to ``server_name``, or
        the whole host with ``host_matching``; None means this adapter's own."""
        if self.map.host_matching:
            return self.server_name if domain_part is None else domain_part
        subdomain = self.subdomain if domain_part is None else domain_part
        return f"{subdomain}.{self.server_name}" if subdomain else self.server_name

    def get_default_redirect(
        self,
        rule: Rule,
        method: str,
        values: dict[str, Any],
        query_args: Mapping[str, Any] | str,
    ) -> str | None:
        """The URL of a rule of the same endpoint that spells these values by its defaults.

        ``/all/page/1`` redirects to ``/all/`` when ``/all/`` has the default
        ``page=1``: only rules sorted before the matched one for building
        count, as those are the ones ``build`` would choose.
        """
        for candidate in rule._default_providers:
            if candidate.suitable_for(values, method):
                values.update(candidate.defaults)  # type: ignore[arg-type]
                built = candidate.build(values)
                if built is None:
                    continue
                domain_part, path = built
                return self.make_redirect_url(path, query_args, domain_part=domain_part)
        return None

    def encode_query_args(self, query_args: Mapping[str, Any] | str) -> str:
        """A query string from a mapping (or the string itself)."""
        if isinstance(query_args, str):
            return query_args
        return encode_query(_query_items(query_args))

    def make_redirect_url(
        self,
        path_info: str,
        query_args: Mapping[str, Any] | str | None = None,
        domain_part: str | None = None,
    ) -> str:
        """The absolute URL for a path under this adapter's script name, with a query."""
        if query_args is None:
            query_args = self.query_args
        query = self.encode_query_args(query_args) if query_args else None
        path = "/".join((self.script_name.strip("/"), path_info.lstrip("/")))
        host = self.get_host(domain_part)
        return urlunsplit((self.url_scheme or "http", host, path, query, None))

    def make_alias_redirect_url(
        self,
        path: str,
        endpoint: Any,
        values: Mapping[str, Any],
        method: str,
        query_args: Mapping[str, Any] | str,
        alias: Rule | None = None,
    ) -> str | None:
        """The absolute URL ``build`` gives for an alias rule's match, or None when that is
        the ``alias`` rule itself or no rule builds.

        Werkzeug redirects to the alias itself (the same URL, forever) or lets a
        converter's error out in those cases; serving the alias's match is the
        useful answer. (``path``, the matched domain and path, is unused: it is
        there for Werkzeug's signature.)
        """
        values = {key: value for key, value in values.items() if value is not None}
        built = self._partial_build(endpoint, values, method, False)
        if built is None or built[2] is alias:
            return None
        url = self._url(*built, force_external=True, url_scheme=None)
        if query_args:
            url += f"?{self.encode_query_args(query_args)}"
        return url

    # --- building -----------------------------------------------------------------------------

    def _partial_build(
        self,
        endpoint: Any,
        values: Mapping[str, Any],
        method: str | None,
        append_unknown: bool,
    ) -> tuple[str, str, Rule] | None:
        """(domain part, path, rule) of the first rule of ``endpoint`` that builds."""
        rules = self.map._rules_by_endpoint.get(endpoint)
        if not rules:
            return None
        host_matching = self.map.host_matching
        # Without a method, the bound default first: with GET and POST rules for an
        # endpoint, url_for() gives the GET one; then any method.
        for wanted in (self.default_method, None) if method is None else (method,):
            first: tuple[str, str, Rule] | None = None
            for rule in rules:
                if not rule.suitable_for(values, wanted):
                    continue
                parts = rule.build(values, append_unknown)
                if parts is None:
                    continue
                if not host_matching or parts[0] == self.server_name:
                    return parts[0], parts[1], rule
                if first is None:  # with host matching, prefer a rule on this very host
                    first = (parts[0], parts[1], rule)
            if first is not None:
                return first
        return None

    def build(
        self,
        endpoint: Any,
        values: Mapping[str, Any] | None = None,
        method: str | None = None,
        force_external: bool = False,
        append_unknown: bool = True,
        url_scheme: str | None = None,
    ) -> str:
        """The URL of ``endpoint`` with ``values`` filled in; other values become the query.

        The URL is a path (under the script name) unless the rule lives on
        another host or subdomain, ``force_external`` is set, or the rule is
        a WebSocket rule; then it is absolute with ``url_scheme`` (default:
        the bound scheme; ``''`` gives ``//host/...``). None values are left
        out; a list value repeats the query parameter. Raises ``BuildError``.
        """
        url_map = self.map
        if url_map._remap:
            url_map.update()
        if not values:
            values = {}
        elif values.__class__ is not dict and hasattr(values, "lists"):
            # A MultiDict (request.args): one value as is, several as a list.
            values = {
                key: items[0] if len(items) == 1 else items
                for key, items in values.lists()
                if len(items) != 0
            }
        else:
            values = {key: value for key, value in values.items() if value is not None}
        built = self._partial_build(endpoint, values, method, append_unknown)
        if built is None:
            raise BuildError(endpoint, values, method, self)
        return self._url(*built, force_external=force_external, url_scheme=url_scheme)

    def _url(
        self,
        domain_part: str,
        path: str,
        rule: Rule,
        force_external: bool,
        url_scheme: str | None,
    ) -> str:
        """The URL of a built rule: a path when it is on this host, else absolute."""
        websocket = rule.websocket  # browsers need a full ws:// URL
        if not force_external and not websocket:
            if self.map.host_matching:
                here = domain_part == self.server_name
            else:
                here = domain_part == self.subdomain
            if here:
                return f"{self.script_name.rstrip('/')}/{path.lstrip('/')}"
        host = self.get_host(domain_part)
        if url_scheme is None:
            url_scheme = self.url_scheme
        secure = url_scheme in ("https", "wss")
        if websocket:
            url_scheme = "wss" if secure else "ws"
        elif url_scheme:
            url_scheme = "https" if secure else "http"
        scheme = f"{url_scheme}:" if url_scheme else ""
        return f"{scheme}//{host}{self.script_name[:-1]}/{path.lstrip('/')}"
