"""The matcher: which rule a (host, path, method) leads to, in Werkzeug's order.

Two structures, both rebuilt by ``update()`` (lazily, on the first match
after rules were added):

- A dict of the fully static rules, keyed by domain part then path: a
  request for ``/about`` is one look-up, whatever the number of rules. It
  gives the answer whenever a static rule there takes the method; anything
  else (405, redirects, placeholders) goes to the search below, which would
  reach that same rule first anyway: it always tries static text first.
- A trie over rule parts (the domain part, then one part per path segment).
  A state has static transitions (a dict: segment text -> state) and dynamic
  ones (compiled regexes, most specific first, see ``rules.py``). Equal parts
  of different rules share a state. The search is depth-first: at each state
  the static transition, then each dynamic one in order, backtracking when a
  branch finds no rule; so its cost grows with the depth of the path and the
  dynamic alternatives on the way, not with the number of rules.

At the end of the path the first rule of the state that takes the method
and whose converters accept the matched text wins. A converter that refuses
(``ValidationError``) means that rule does not match: the search goes on,
as Werkzeug documents (its matcher, since 2.2, stops with 404). A branch
rule (``/foo/``) reached without its slash raises the slash redirect; a rule
that matched only for other methods adds them to the 405's
``valid_methods`` (starlette's NONE / PARTIAL / FULL in one pass). When
nothing matched and the path has ``//``, the search runs again on the path
with merged slashes and, when that matches, asks for a redirect to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .converters import ValidationError
from .exceptions import NoMatch, RequestPath
from .rules import _GROUP, _SUFFIX_GROUP, RulePart

if TYPE_CHECKING:
    from .rules import Rule

__all__ = ["StateMachineMatcher"]

_SLASHES = re.compile("/{2,}")


class _State:
    """A state of the trie: the rules that end here and the transitions out of it."""

    __slots__ = ("dynamic", "rules", "static")

    def __init__(self) -> None:
        self.static: dict[str, _State] = {}
        self.dynamic: list[tuple[_Transition, _State]] = []
        self.rules: list[Rule] = []


class _Transition:
    """A dynamic part, compiled: the regex and how to read its converters' groups."""

    __slots__ = ("final", "fullmatch", "names", "part", "suffixed")

    def __init__(self, part: RulePart) -> None:
        self.part = part
        self.fullmatch: Callable[[str], re.Match[str] | None] = re.compile(part.content).fullmatch
        self.names = tuple(_GROUP.format(index) for index in range(part.groups))
        self.final = part.final
        self.suffixed = part.suffixed


class _SlashRequired(Exception):
    """The path matches a branch rule once a slash is added."""


def convert(rule: Rule, values: tuple[str, ...]) -> dict[str, Any] | None:
    """The view arguments from the matched texts, or None when a converter refuses one."""
    result: dict[str, Any] = {}
    if values:
        index = 0  # not zip(): its strict= keyword costs as much as the conversion
        try:
            for name, converter in rule._converter_items:
                result[name] = converter.to_python(values[index])
                index += 1
        except ValidationError:
            return None
    if rule.defaults:
        result.update(rule.defaults)
    return result


class StateMachineMatcher:
    """Finds the rule for a domain part, a path and a method (see the module's docstring)."""

    def __init__(self, merge_slashes: bool) -> None:
        self.merge_slashes = merge_slashes
        self._rules: list[Rule] = []
        self._root = _State()
        self._static: dict[str, dict[str, tuple[Rule, ...]]] = {}

    def add(self, rule: Rule) -> None:
        """Register a bound rule; ``update()`` must run before the next match."""
        self._rules.append(rule)

    def update(self) -> None:
        """Rebuild the static table and the trie from the rules, in registration order."""
        root = _State()
        static: dict[str, dict[str, list[Rule]]] = {}
        transitions: dict[RulePart, _Transition] = {}
        for rule in self._rules:
            parts = rule._parts
            if all(part.static for part in parts):
                path = "/".join(part.content for part in parts[1:])
                static.setdefault(parts[0].content, {}).setdefault(path, []).append(rule)
            state = root
            for part in parts:
                if part.static:
                    state = state.static.setdefault(part.content, _State())
                    continue
                for transition, target in state.dynamic:
                    if transition.part == part:
                        state = target
                        break
                else:
                    if part not in transitions:
                        transitions[part] = _Transition(part)
                    target = _State()
                    state.dynamic.append((transitions[part], target))
                    state = target
            state.rules.append(rule)
        _sort_dynamic(root)
        self._root = root
        self._static = {
            domain: {path: tuple(rules) for path, rules in paths.items()}
            for domain, paths in static.items()
        }

    def match(
        self, domain: str, path: str, method: str, websocket: bool
    ) -> tuple[Rule, dict[str, Any]]:
        """The rule and its view arguments; raises ``NoMatch`` or ``RequestPath`` (redirect)."""
        paths = self._static.get(domain)
        if paths is not None:
            rules = paths.get(path)
            if rules is not None:
                for rule in rules:
                    if (rule.methods is None or method in rule.methods) and (
                        rule.websocket == websocket
                    ):
                        return rule, dict(rule.defaults) if rule.defaults else {}
        # What rules matched the path but not the method (their methods) or the
        # kind of request (None): the 405's valid methods, or a WebSocket mismatch.
        misses: list[set[str] | None] = []
        try:
            parts = [domain, *path.split("/")]
            found = self._find(self._root, parts, 0, (), method, websocket, misses)
        except _SlashRequired:
            raise RequestPath(f"{path}/") from None
        if found is None and self.merge_slashes and "//" in path:
            path = _SLASHES.sub("/", path)
            try:
                parts = [domain, *path.split("/")]
                found = self._find(self._root, parts, 0, (), method, websocket, misses)
            except _SlashRequired:
                raise RequestPath(f"{path}/") from None
            if found is not None and found[0].merge_slashes is not False:
                raise RequestPath(path)
            found = None
        if found is None:
            have_match_for: set[str] = set()
            for methods in misses:
                if methods is not None:
                    have_match_for.update(methods)
            raise NoMatch(have_match_for, None in misses)
        return found

    def _find(
        self,
        state: _State,
        parts: list[str],
        index: int,
        values: tuple[str, ...],
        method: str,
        websocket: bool,
        misses: list[set[str] | None],
    ) -> tuple[Rule, dict[str, Any]] | None:
        """Depth-first search from ``state`` for ``parts[index:]``."""
        end = len(parts)
        # Walk static text in a loop while a state offers nothing to fall back
        # on (no dynamic transition, no rule for a trailing slash): most states
        # of most maps, so the search recurses only where it may backtrack.
        while index < end:
            part = parts[index]
            if state.dynamic or (state.rules and index == end - 1 and part == ""):
                break
            state = state.static.get(part)  # type: ignore[assignment]
            if state is None:
                return None
            index += 1
        if index == end:
            return self._found_at_end(state, values, method, websocket, misses)

        target = state.static.get(part)
        if target is not None:
            result = self._find(target, parts, index + 1, values, method, websocket, misses)
            if result is not None:
                return result

        for transition, target in state.dynamic:
            if transition.final:  # it takes the rest of the path
                match = transition.fullmatch("/".join(parts[index:]))
                rest, rest_index = parts, end
            else:
                match = transition.fullmatch(part)
                rest, rest_index = parts, index + 1
            if match is None:
                continue
            if transition.suffixed and match.group(_SUFFIX_GROUP) == "/":
                rest, rest_index = [""], 0  # the trailing slash is a part of its own
            names = transition.names
            if len(names) == 1:
                found_values = (*values, match.group(names[0]))
            else:
                found_values = values + match.group(*names)
            result = self._find(target, rest, rest_index, found_values, method, websocket, misses)
            if result is not None:
                return result

        # A leaf rule without strict slashes also matches with a trailing slash.
        if index == end - 1 and part == "":
            for rule in state.rules:
                if rule.strict_slashes:
                    continue
                found = _accept(rule, values, method, websocket, misses)
                if found is not None:
                    return rule, found
        return None

    @staticmethod
    def _found_at_end(
        state: _State,
        values: tuple[str, ...],
        method: str,
        websocket: bool,
        misses: list[set[str] | None],
    ) -> tuple[Rule, dict[str, Any]] | None:
        """The rule for a path that ends at ``state``, or the slash redirect to a branch rule."""
        for rule in state.rules:
            found = _accept(rule, values, method, websocket, misses)
            if found is not None:
                return rule, found
        # The path would match a branch rule with one more slash.
        branch = state.static.get("")
        if branch is not None:
            for rule in branch.rules:
                if rule.websocket == websocket and (rule.methods is None or method in rule.methods):
                    found = convert(rule, values)
                    if found is None:
                        continue
                    if rule.strict_slashes:
                        raise _SlashRequired
                    return rule, found
        return None

def _accept(
    rule: Rule,
    values: tuple[str, ...],
    method: str,
    websocket: bool,
    misses: list[set[str] | None],
) -> dict[str, Any] | None:
    """The view arguments if ``rule`` takes this request; else note why not and None."""
    found = convert(rule, values)
    if found is None:  # a converter refused: the rule does not match this path at all
        return None
    if rule.methods is not None and method not in rule.methods:
        misses.append(rule.methods)
        return None
    if rule.websocket != websocket:
        misses.append(None)
        return None
    return found


def _sort_dynamic(state: _State) -> None:
    """Order every state's dynamic transitions by weight; ties keep registration order."""
    pending = [state]
    while pending:
        current = pending.pop()
        current.dynamic.sort(key=lambda entry: entry[0].part.weight)
        pending.extend(current.static.values())
        pending.extend(target for _, target in current.dynamic)
