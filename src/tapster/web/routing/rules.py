"""Rules: one URL pattern each (``/user/<int:id>``), parsed once when added to a map.

A rule string is split at its slashes into *parts*, the unit the matcher
walks: a part without placeholders is static text (found by a dict look-up),
a part with placeholders is a regex built from the converters' regexes. A
converter that may match slashes (``path``) makes its part *final*: the part
takes everything up to the end of the path. The host or subdomain pattern is
one more part in front of the path's.

Dynamic parts carry a *weight* so that, among several that could match the
same segment, the most specific is tried first, exactly as Werkzeug orders
them: parts with more static text first (longer text first), then parts with
more placeholders, then by the converters' weights (``int`` 50 before the
default 100 before ``path`` 200); equal weights keep registration order.

Rule factories (``Subdomain``, ``Submount``, ``EndpointPrefix``,
``RuleTemplate``) produce rules with a shared prefix, host or endpoint prefix.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from string import Template
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from .converters import PATH_SAFE

if TYPE_CHECKING:
    from .converters import BaseConverter
    from .map import Map

__all__ = [
    "EndpointPrefix",
    "Rule",
    "RuleFactory",
    "RulePart",
    "RuleTemplate",
    "RuleTemplateFactory",
    "Subdomain",
    "Submount",
    "UnknownConverterError",
    "parse_converter_args",
]

# A placeholder: <name>, <converter:name> or <converter(arguments):name>. The
# arguments run to the first ")" that is followed by ":", so a quoted ")"
# inside them is fine: <any("a)b", c):page>.
_PLACEHOLDER = re.compile(
    r"""
    <
    (?:
        (?P<converter>[A-Za-z_][A-Za-z0-9_]*)
        (?:\( (?P<arguments>.*?) \))?
        :
    )?
    (?P<variable>[A-Za-z_][A-Za-z0-9_]*)
    >
    """,
    re.VERBOSE,
)

# One converter argument: an optional "name =", then a quoted string (no
# escapes, an optional u/r prefix as Werkzeug allows) or a bare word or a number
# (signed, unlike Werkzeug, for <int(signed=True, min=-5):n>),
# then a comma or the end.
_ARGUMENT = re.compile(
    r"""
    \s*
    (?: (?P<name>\w+) \s* = \s* )?
    (?:
        [uUrR]? (?P<quote>["']) (?P<text>.*?) (?P=quote)
      | (?P<bare>[+-]?[\w.]+)
    )
    \s* (?: , | \Z )
    """,
    re.VERBOSE | re.DOTALL,
)

_CONSTANTS: dict[str, Any] = {"None": None, "True": True, "False": False}

# Placeholders in a redirect_to string: "/new/<id>" (names only, no converter).
_REDIRECT_PLACEHOLDER = re.compile(r"<([^>]+)>")

# The characters percent-encoding leaves alone in a query string, as Werkzeug.
_QUERY_SAFE = "!$'()*,/:;?@"

# Regex group names of a part: unlikely to clash with groups a custom
# converter's regex defines.
_GROUP = "__tapster_{}"
_SUFFIX_GROUP = "__tapster_slash"


class UnknownConverterError(LookupError, ValueError):
    """A rule names a converter the map does not know.

    Both a ``LookupError`` (what Werkzeug raises) and a ``ValueError`` (a bad
    rule definition), so either ``except`` catches it.
    """


def _pythonize(word: str) -> Any:
    """A bare converter argument as Python: None/True/False, an int, a float, else the text."""
    if word in _CONSTANTS:
        return _CONSTANTS[word]
    for convert in (int, float):
        try:
            return convert(word)
        except ValueError:
            pass
    return word


def parse_converter_args(argstr: str) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Parse ``1, "two", key=3`` (what is between the parentheses of ``<conv(...):name>``).

    Values are ``None``/``True``/``False``, numbers, bare words or quoted
    strings; nothing is evaluated. Raises ``ValueError`` on anything else and
    on a keyword given twice.
    """
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    if not argstr.strip():
        return (), kwargs
    position = 0
    while position < len(argstr):
        match = _ARGUMENT.match(argstr, position)
        if match is None:
            raise ValueError(
                f"cannot parse converter arguments {argstr!r} at {argstr[position:]!r}: "
                "expected a number, a word or a quoted string, optionally as name=value"
            )
        if match.group("quote") is not None:
            value: Any = match.group("text")
        else:
            value = _pythonize(match.group("bare"))
        name = match.group("name")
        if name is None:
            args.append(value)
        elif name in kwargs:
            raise ValueError(f"converter argument {name!r} is given twice in {argstr!r}")
        else:
            kwargs[name] = value
        position = match.end()
    return tuple(args), kwargs


@dataclass(frozen=True)
class RulePart:
    """One part of a rule, as the matcher walks it.

    ``content`` is the raw text of a static part, or the regex (to match in
    full) of a dynamic one. Equal parts of different rules share one state of
    the matcher, which is what makes its search order Werkzeug's.
    """

    content: str
    static: bool
    final: bool = False
    suffixed: bool = False
    weight: tuple[Any, ...] = ()
    groups: int = 0


class RuleFactory:
    """Something ``Map.add`` accepts: it yields the rules to add."""

    def get_rules(self, map: Map) -> Iterable[Rule]:
        """The rules to add to ``map``."""
        raise NotImplementedError(f"{type(self).__name__} must define get_rules()")


class Subdomain(RuleFactory):
    """Put every rule inside on ``subdomain``: ``Subdomain("<lang>", [Rule("/", ...)])``."""

    def __init__(self, subdomain: str, rules: Iterable[RuleFactory]) -> None:
        self.subdomain = subdomain
        self.rules = rules

    def get_rules(self, map: Map) -> Iterator[Rule]:
        """Copies of the inner rules with the subdomain set."""
        for factory in self.rules:
            for rule in factory.get_rules(map):
                rule = rule.empty()
                rule.subdomain = self.subdomain
                yield rule


class Submount(RuleFactory):
    """Prefix every rule inside with ``path``: ``Submount("/blog", [Rule("/", ...)])``."""

    def __init__(self, path: str, rules: Iterable[RuleFactory]) -> None:
        self.path = path.rstrip("/")
        self.rules = rules

    def get_rules(self, map: Map) -> Iterator[Rule]:
        """Copies of the inner rules under the prefix."""
        for factory in self.rules:
            for rule in factory.get_rules(map):
                rule = rule.empty()
                rule.rule = self.path + rule.rule
                yield rule


class EndpointPrefix(RuleFactory):
    """Prefix the (string) endpoint of every rule inside with ``prefix``."""

    def __init__(self, prefix: str, rules: Iterable[RuleFactory]) -> None:
        self.prefix = prefix
        self.rules = rules

    def get_rules(self, map: Map) -> Iterator[Rule]:
        """Copies of the inner rules with prefixed endpoints."""
        for factory in self.rules:
            for rule in factory.get_rules(map):
                rule = rule.empty()
                rule.endpoint = self.prefix + rule.endpoint
                yield rule


class RuleTemplate:
    """Rules with ``$name`` placeholders, filled in by calling the template.

    ``resource = RuleTemplate([Rule("/$name/", endpoint="$name.list")])`` then
    ``Map([resource(name="user"), resource(name="page")])``.
    """

    def __init__(self, rules: Iterable[RuleFactory]) -> None:
        self.rules = list(rules)

    def __call__(self, *args: Any, **kwargs: Any) -> RuleTemplateFactory:
        """The rules, their placeholders filled from ``dict(*args, **kwargs)``."""
        return RuleTemplateFactory(self.rules, dict(*args, **kwargs))


class RuleTemplateFactory(RuleFactory):
    """The rules of a ``RuleTemplate`` with its placeholders filled in."""

    def __init__(self, rules: Iterable[RuleFactory], context: dict[str, Any]) -> None:
        self.rules = rules
        self.context = context

    def _fill(self, value: Any) -> Any:
        return Template(value).substitute(self.context) if isinstance(value, str) else value

    def get_rules(self, map: Map) -> Iterator[Rule]:
        """New rules whose string, endpoint, subdomain and string defaults are filled in."""
        for factory in self.rules:
            for rule in factory.get_rules(map):
                defaults = None
                if rule.defaults:
                    defaults = {key: self._fill(value) for key, value in rule.defaults.items()}
                kwargs = dict(rule.get_empty_kwargs())
                kwargs.update(
                    defaults=defaults,
                    subdomain=self._fill(rule.subdomain),
                    endpoint=self._fill(rule.endpoint),
                )
                yield type(rule)(self._fill(rule.rule), **kwargs)


def _tokenize(string: str, what: str) -> Iterator[tuple[str, str, str | None, str | None]]:
    """Split a rule string into ("/", ...), ("static", text, ...) and ("var", name, conv, args)."""
    position = 0
    length = len(string)
    while position < length:
        char = string[position]
        if char == "/":
            yield ("/", "/", None, None)
            position += 1
        elif char == "<":
            match = _PLACEHOLDER.match(string, position)
            if match is None:
                raise ValueError(
                    f"malformed {what} {string!r}: the '<' at position {position} does not "
                    "start a placeholder such as <name>, <int:name> or <int(min=1):name>"
                )
            yield ("var", match.group("variable"), match.group("converter"),
                   match.group("arguments"))
            position = match.end()
        else:
            end = position
            while end < length and string[end] not in "/<":
                end += 1
            yield ("static", string[position:end], None, None)
            position = end


def _query_items(values: Any) -> Iterator[tuple[Any, Any]]:
    """(key, value) pairs of a mapping, one per value of lists, tuples, sets and multi-dicts."""
    if hasattr(values, "lists"):  # a MultiDict: every value of every key
        for key, items in values.lists():
            for item in items:
                yield key, item
        return
    for key, value in values.items():
        if isinstance(value, (list, tuple, set)):
            for item in value:
                yield key, item
        else:
            yield key, value


def encode_query(items: Iterable[tuple[Any, Any]]) -> str:
    """``key=value&...``, leaving out pairs whose value is None, encoded as Werkzeug does."""
    return urlencode([(k, v) for k, v in items if v is not None], safe=_QUERY_SAFE)


class Rule(RuleFactory):
    """One URL pattern and what it leads to.

    ``string`` is a path starting with ``/``, with placeholders such as
    ``<name>``, ``<int:id>`` or ``<string(length=2):lang>``; a rule ending in
    ``/`` is a *branch* (``/docs/``), others are *leaves*. ``endpoint`` is what
    ``match`` returns and ``build`` looks up. ``methods`` limits the HTTP
    methods (upper-cased; ``HEAD`` is added when ``GET`` is there); None
    allows all. ``defaults`` supplies view arguments, and a rule with defaults
    is where ``build`` and the ``redirect_defaults`` redirect lead for those
    values. ``subdomain`` (or ``host`` when the map matches hosts) is a
    pattern for the host. ``strict_slashes`` and ``merge_slashes`` override
    the map's. ``build_only`` rules never match; ``redirect_to`` (a rule-like
    string or a callable) makes a match redirect; an ``alias`` rule redirects
    to the endpoint's canonical rule; ``websocket`` rules match only
    WebSocket requests. Parsing happens when the rule is added to a map, so
    a malformed string or an unknown converter raises there.
    """

    #: Whether the app answers OPTIONS for this rule itself (Flask sets it per rule).
    provide_automatic_options: bool = False

    def __init__(
        self,
        string: str,
        defaults: Mapping[str, Any] | None = None,
        subdomain: str | None = None,
        methods: Iterable[str] | None = None,
        build_only: bool = False,
        endpoint: Any | None = None,
        strict_slashes: bool | None = None,
        merge_slashes: bool | None = None,
        redirect_to: str | Callable[..., str] | None = None,
        alias: bool = False,
        host: str | None = None,
        websocket: bool = False,
    ) -> None:
        if not isinstance(string, str):
            raise TypeError(f"URL rule {string!r} must be a string, not {type(string).__name__}")
        if not string.startswith("/"):
            raise ValueError(f"URL rule {string!r} must start with a slash")
        self.rule = string
        self.is_leaf = not string.endswith("/")
        self.is_branch = string.endswith("/")
        self.map: Map = None  # type: ignore[assignment]  # set by bind()
        self.strict_slashes = strict_slashes
        self.merge_slashes = merge_slashes
        self.subdomain = subdomain
        self.host = host
        self.defaults = defaults
        self.build_only = build_only
        self.alias = alias
        self.websocket = websocket
        if methods is not None:
            if isinstance(methods, str):
                raise TypeError(f"'methods' should be a list of strings, not {methods!r}")
            methods = {method.upper() for method in methods}
            if "GET" in methods:
                methods.add("HEAD")
            if websocket and methods - {"GET", "HEAD", "OPTIONS"}:
                raise ValueError(
                    "WebSocket rules can only use 'GET', 'HEAD', and 'OPTIONS' methods, "
                    f"not {sorted(methods - {'GET', 'HEAD', 'OPTIONS'})!r}"
                )
        self.methods: set[str] | None = methods
        self.endpoint: Any = endpoint
        self.redirect_to = redirect_to
        self.arguments: set[str] = set(map(str, defaults)) if defaults else set()
        self._converters: dict[str, BaseConverter] = {}
        self._parts: list[RulePart] = []
        self._trace: tuple[tuple[bool, str], ...] = ()
        # Rules of the same endpoint that spell this one's values by their
        # defaults, in build order; set by Map.update().
        self._default_providers: tuple[Rule, ...] = ()

    # --- copies -------------------------------------------------------------------------------

    def empty(self) -> Rule:
        """An unbound copy of this rule, to add to another map."""
        copy = type(self)(self.rule, **self.get_empty_kwargs())
        copy.provide_automatic_options = self.provide_automatic_options
        return copy

    def get_empty_kwargs(self) -> Mapping[str, Any]:
        """The keyword arguments ``empty()`` passes to the constructor (subclasses add theirs)."""
        return {
            "defaults": dict(self.defaults) if self.defaults else None,
            "subdomain": self.subdomain,
            "methods": self.methods,
            "build_only": self.build_only,
            "endpoint": self.endpoint,
            "strict_slashes": self.strict_slashes,
            "merge_slashes": self.merge_slashes,
            "redirect_to": self.redirect_to,
            "alias": self.alias,
            "host": self.host,
            "websocket": self.websocket,
        }

    def get_rules(self, map: Map) -> Iterator[Rule]:
        """The rule itself: a rule is its own factory."""
        yield self

    # --- binding and parsing ------------------------------------------------------------------

    def bind(self, map: Map, rebind: bool = False) -> None:
        """Attach the rule to ``map``, take the map's defaults, and parse the rule."""
        if self.map is not None and not rebind:
            raise RuntimeError(f"url rule {self!r} already bound to map {self.map!r}")
        self.map = map
        if self.strict_slashes is None:
            self.strict_slashes = map.strict_slashes
        if self.merge_slashes is None:
            self.merge_slashes = map.merge_slashes
        if self.subdomain is None:
            self.subdomain = map.default_subdomain
        self.compile()

    def refresh(self) -> None:
        """Parse again after the rule was changed in place."""
        self.bind(self.map, rebind=True)

    def get_converter(
        self,
        variable_name: str,
        converter_name: str,
        args: tuple[Any, ...],
        kwargs: Mapping[str, Any],
    ) -> BaseConverter:
        """The converter object for one placeholder (subclasses may look elsewhere)."""
        if converter_name not in self.map.converters:
            known = ", ".join(sorted(self.map.converters))
            raise UnknownConverterError(
                f"the converter {converter_name!r} of <{variable_name}> in rule {self.rule!r} "
                f"does not exist (known: {known})"
            )
        return self.map.converters[converter_name](self.map, *args, **kwargs)

    def compile(self) -> None:
        """Parse the rule string and the host/subdomain pattern into parts and build steps."""
        if self.map is None:
            raise RuntimeError(f"url rule {self.rule!r} is not bound to a map")
        domain = (self.host if self.map.host_matching else self.subdomain) or ""
        if "/" in domain:
            raise ValueError(f"the host or subdomain {domain!r} of rule {self.rule!r} has a '/'")
        path = re.sub("/{2,}", "/", self.rule) if self.merge_slashes else self.rule
        self._converters = {}
        self.arguments = set(map(str, self.defaults)) if self.defaults else set()
        if domain:
            domain_parts, domain_trace = self._parse(domain, "host or subdomain")
        else:
            domain_parts, domain_trace = [RulePart("", static=True)], []
        path_parts, path_trace = self._parse(path, "URL rule")
        self._parts = domain_parts + path_parts
        self._trace = (*domain_trace, (False, "|"), *path_trace)
        self._converter_items = tuple(self._converters.items())
        defaults = self.defaults or {}
        self._required = tuple(name for name in self.arguments if name not in defaults)
        self._domain_steps = self._build_steps(domain_trace, defaults)
        self._path_steps = self._build_steps(path_trace, defaults)
        self._check_redirect_to()

    def _parse(self, string: str, what: str) -> tuple[list[RulePart], list[tuple[bool, str]]]:
        """The parts of one rule string, and its trace: (is_placeholder, text) in order."""
        parts: list[RulePart] = []
        trace: list[tuple[bool, str]] = []
        # The part being read: regex pieces (or raw text while it has no
        # placeholder), its static texts and converter weights (for its weight).
        pieces: list[str] = []
        texts: list[str] = []
        weights: list[int] = []
        final = False

        def close(suffixed: bool = False) -> None:
            if not weights:
                parts.append(RulePart("".join(pieces), static=True))
                return
            weight = (
                -len(texts),
                tuple((index, -len(text)) for index, text in enumerate(texts)),
                -len(weights),
                tuple(weights),
            )
            parts.append(RulePart("".join(pieces), False, final, suffixed, weight, len(weights)))

        for kind, text, converter_name, arguments in _tokenize(string, what):
            if kind == "/":
                trace.append((False, "/"))
                if final:  # a final part takes the rest of the path, slashes included
                    pieces.append("/")
                    continue
                close()
                pieces, texts, weights = [], [], []
            elif kind == "static":
                trace.append((False, text))
                texts.append(text)
                pieces.append(re.escape(text) if weights else text)
            else:
                converter = self._make_converter(text, converter_name or "default", arguments)
                if not weights:  # the part turns from text into a regex
                    pieces = [re.escape(piece) for piece in pieces]
                pieces.append(f"(?P<{_GROUP.format(len(weights))}>{converter.regex})")
                weights.append(converter.weight)
                final = final or not converter.part_isolating
                trace.append((True, text))
        if final and pieces and pieces[-1] == "/":
            # A final part that ends in "/" (/<path:p>/) matches with or without
            # the slash and reports which, so the slash redirect still works.
            pieces[-1] = f"(?<!/)(?P<{_SUFFIX_GROUP}>/?)"
            close(suffixed=True)
            parts.append(RulePart("", static=True))
        else:
            close()
        return parts, trace

    def _make_converter(
        self, variable: str, converter_name: str, arguments: str | None
    ) -> BaseConverter:
        """The converter for one placeholder, with errors that name the rule."""
        if variable in self._converters:
            raise ValueError(f"the argument name {variable!r} appears twice in rule {self.rule!r}")
        try:
            args, kwargs = parse_converter_args(arguments or "")
            converter = self.get_converter(variable, converter_name, args, kwargs)
        except UnknownConverterError:
            raise
        except (TypeError, ValueError) as error:
            raise type(error)(
                f"bad converter <{converter_name}({arguments or ''}):{variable}> in rule "
                f"{self.rule!r}: {error}"
            ) from error
        self._converters[variable] = converter
        self.arguments.add(variable)
        return converter

    def _build_steps(
        self, trace: list[tuple[bool, str]], defaults: Mapping[str, Any]
    ) -> str | tuple[str | tuple[str, Callable[[Any], str]], ...]:
        """What ``build`` joins: quoted text, or (name, to_url) to convert a value; just the
        text when there is no placeholder to fill."""
        steps: list[str | tuple[str, Callable[[Any], str]]] = []
        for is_placeholder, text in trace:
            if not is_placeholder:
                piece: str | tuple[str, Callable[[Any], str]] = quote(text, safe=PATH_SAFE)
            elif text in defaults:
                # A placeholder with a default always builds as the default.
                piece = self._converters[text].to_url(defaults[text])
            else:
                piece = (text, self._converters[text].to_url)
            if isinstance(piece, str) and steps and isinstance(steps[-1], str):
                steps[-1] += piece
            else:
                steps.append(piece)
        if not steps:
            return ""
        if len(steps) == 1 and isinstance(steps[0], str):
            return steps[0]
        return tuple(steps)

    def _check_redirect_to(self) -> None:
        """A ``redirect_to`` string may only name the rule's placeholders."""
        if not isinstance(self.redirect_to, str):
            return
        for name in _REDIRECT_PLACEHOLDER.findall(self.redirect_to):
            if name not in self._converters:
                raise ValueError(
                    f"redirect_to {self.redirect_to!r} of rule {self.rule!r} names <{name}>, "
                    f"which is not a placeholder of the rule"
                )

    # --- building -----------------------------------------------------------------------------

    def build(
        self, values: Mapping[str, Any], append_unknown: bool = True
    ) -> tuple[str, str] | None:
        """The (domain part, path) for ``values``, or None when a converter refuses a value.

        Values that are not arguments of the rule become the query string
        when ``append_unknown`` is set.
        """
        try:
            domain = _join(self._domain_steps, values)
            path = _join(self._path_steps, values)
        except (ValueError, TypeError):  # ValidationError, or a value the converter cannot take
            return None
        if not append_unknown:
            return domain, path
        arguments = self.arguments
        for key in values:
            if key not in arguments:
                break
        else:  # every value filled a placeholder or a default: no query string
            return domain, path
        unknown = {key: value for key, value in values.items() if key not in arguments}
        items: Iterable[tuple[Any, Any]] = _query_items(unknown)
        if self.map.sort_parameters:
            items = sorted(items, key=self.map.sort_key)
        query = encode_query(items)
        return domain, f"{path}?{query}" if query else path

    def _build_refusal(self, values: Mapping[str, Any]) -> str | None:
        """Why a converter refuses one of ``values``, for ``BuildError``'s message."""
        defaults = self.defaults or {}
        for name, converter in self._converters.items():
            if name in values and name not in defaults:
                try:
                    converter.to_url(values[name])
                except (ValueError, TypeError) as error:  # ValidationError is a ValueError
                    because = f": {error}" if str(error) else ""
                    return (
                        f"The converter of <{name}> in {self.rule!r} refused "
                        f"{values[name]!r}{because}."
                    )
        return None

    def suitable_for(self, values: Mapping[str, Any], method: str | None = None) -> bool:
        """Whether ``values`` (and ``method``) are enough to build this rule."""
        if method is not None and self.methods is not None and method not in self.methods:
            return False
        for key in self._required:
            if key not in values:
                return False
        defaults = self.defaults
        if defaults:
            # A value given for a defaulted argument must be the default itself.
            for key, value in defaults.items():
                if key in values and value != values[key]:
                    return False
        return True

    def provides_defaults_for(self, rule: Rule) -> bool:
        """Whether this rule is the canonical spelling of ``rule`` with defaults filled in."""
        return bool(
            not self.build_only
            and self.defaults
            and self.endpoint == rule.endpoint
            and self != rule
            and self.arguments == rule.arguments
        )

    def build_compare_key(self) -> tuple[int, int, int]:
        """Sort key among an endpoint's rules for building: non-aliases, then most arguments,
        then most defaults first."""
        return (1 if self.alias else 0, -len(self.arguments), -len(self.defaults or ()))

    # --- comparison and display ---------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, type(self)) and self._trace == other._trace

    __hash__ = None  # type: ignore[assignment]  # equal rules are equal by content

    def __str__(self) -> str:
        return self.rule

    def __repr__(self) -> str:
        if self.map is None:
            return f"<{type(self).__name__} {self.rule!r} (unbound)>"
        shown = "".join(f"<{text}>" if dynamic else text for dynamic, text in self._trace)
        methods = f" ({', '.join(sorted(self.methods))})" if self.methods is not None else ""
        return f"<{type(self).__name__} {shown.lstrip('|')!r}{methods} -> {self.endpoint}>"


def _join(
    steps: str | tuple[str | tuple[str, Callable[[Any], str]], ...], values: Mapping[str, Any]
) -> str:
    """The text of built steps (see ``Rule._build_steps``), converting the values."""
    if steps.__class__ is str:
        return steps  # type: ignore[return-value]
    pieces = []
    for step in steps:
        if step.__class__ is str:
            pieces.append(step)
        else:
            name, to_url = step  # type: ignore[misc]
            pieces.append(to_url(values[name]))
    return "".join(pieces)  # type: ignore[arg-type]
