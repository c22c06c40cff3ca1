"""Benchmark the router: ``bind_to_environ`` + ``match`` among 10 and among 1,000 rules.

Usage::

    python bench/routing.py [--quick] [--no-write]

Measures, for tapster's ``tapster.web.routing`` and (when importable) Werkzeug's
``werkzeug.routing`` in the same run, the cost of routing one request: bind a
map to a WSGI environ and match it. The maps hold a realistic mix (mostly
static rules, ``/<int:id>`` rules, multi-segment dynamic rules, Flask's
``/static/<path:filename>``), and the requests hit the first, a middle and
the last-registered static and dynamic rule, and miss (404). The figure that
matters is the ratio between 1,000 rules and 10: tapster's target is at most
1.5x, i.e. routing cost independent of the number of rules.

No server, no network: ``timeit`` in this process, interleaved rounds, the
fastest round kept. Bounded: a few seconds per round, ``ROUNDS`` rounds, and
a time limit. Writes its section of ``docs/benchmarks.md`` (see
``bench/sections.py``) unless ``--no-write``. Measures the checkout it
belongs to (its ``src/`` comes first on the path), whatever is installed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import importlib.metadata
import platform
import shlex
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "src"))  # this checkout's tapster, not an installed one

try:
    from bench.sections import write_section
except ModuleNotFoundError:  # run as a script: bench/ itself is on the path
    from sections import write_section  # type: ignore[no-redef]

SIZES = (10, 1000)
ROUNDS = 7
QUICK_ROUNDS = 3
ROUND_SECONDS = 0.02
"""Time one measurement aims at: long enough to dwarf the timer, short enough to interleave."""
TIME_LIMIT = 50.0
"""Seconds after which no new round starts (the run stays well under a minute)."""
TARGET_RATIO = 1.5

ENVIRON = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/",
    "QUERY_STRING": "",
    "SERVER_NAME": "127.0.0.1",
    "SERVER_PORT": "8000",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "HTTP_HOST": "example.com",
    "HTTP_USER_AGENT": "bench",
    "HTTP_ACCEPT": "*/*",
    "REMOTE_ADDR": "127.0.0.1",
    "wsgi.url_scheme": "http",
}
"""A request environ as a server builds it (the router reads only some of it)."""


def rule_specs(count: int) -> list[tuple[str, str, list[str] | None]]:
    """``count`` rules (string, endpoint, methods) in registration order.

    Flask's static rule first, then per resource: five static rules (a list,
    a form, a page, a feed, an about page) and three dynamic ones (show and
    update by id, a comment by id and slug); so about 60 % static.
    """
    specs: list[tuple[str, str, list[str] | None]] = [
        ("/static/<path:filename>", "static", None)
    ]
    index = 0
    while len(specs) < count:
        name = f"r{index}"
        specs += [
            (f"/api/{name}/", f"{name}.list", ["GET"]),
            (f"/api/{name}/new", f"{name}.new", ["GET", "POST"]),
            (f"/api/{name}/<int:id>", f"{name}.show", ["GET"]),
            (f"/api/{name}/<int:id>", f"{name}.update", ["PUT", "DELETE"]),
            (f"/api/{name}/<int:id>/comments/<slug>", f"{name}.comment", None),
            (f"/{name}", f"{name}.page", None),
            (f"/{name}/feed.xml", f"{name}.feed", None),
            (f"/pages/{name}/about", f"{name}.about", None),
        ]
        index += 1
    return specs[:count]


def request_path(rule: str) -> str:
    """A path the rule matches: placeholders filled with plausible values."""
    return (
        rule.replace("<int:id>", "42")
        .replace("<slug>", "first-post")
        .replace("<path:filename>", "css/site.css")
    )


@dataclass(frozen=True)
class Case:
    """One request to route: its path, and the endpoint it must reach (None: 404)."""

    name: str
    path: str
    endpoint: str | None


def cases(count: int) -> list[Case]:
    """First, middle and last-registered static and dynamic rules (GET), and a 404."""
    specs = [spec for spec in rule_specs(count) if spec[2] is None or "GET" in spec[2]]
    static = [spec for spec in specs if "<" not in spec[0]]
    dynamic = [spec for spec in specs if "<" in spec[0]]
    chosen = []
    for kind, pool in (("static", static), ("dynamic", dynamic)):
        for position, spec in (("first", pool[0]), ("middle", pool[len(pool) // 2]),
                               ("last", pool[-1])):
            chosen.append(Case(f"{kind} {position}", request_path(spec[0]), spec[1]))
    middle = dynamic[len(dynamic) // 2][0]
    miss = request_path(middle).rsplit("/", 1)[0] + "/nothing/here"
    chosen.append(Case("404", miss, None))
    return chosen


@dataclass
class Router:
    """One library's routing entry points."""

    name: str
    version: str
    module: ModuleType
    not_found: type[BaseException]

    def make_map(self, count: int) -> Any:
        rules = [
            self.module.Rule(string, endpoint=endpoint, methods=methods)
            for string, endpoint, methods in rule_specs(count)
        ]
        return self.module.Map(rules)


def routers() -> tuple[list[Router], list[str]]:
    """tapster's router, and Werkzeug's when it can be imported; notes on what is missing."""
    found = []
    notes = []
    for name, module_name, exceptions_name, distribution in (
        ("tapster", "tapster.web.routing", "tapster.web.exceptions", "tapster"),
        ("werkzeug", "werkzeug.routing", "werkzeug.exceptions", "werkzeug"),
    ):
        try:
            module = importlib.import_module(module_name)
            not_found = importlib.import_module(exceptions_name).NotFound
        except ImportError as error:
            notes.append(f"{name} not measured: {error}")
            continue
        try:
            version = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            version = "?"
        found.append(Router(name, version, module, not_found))
    return found, notes


def routing_call(router: Router, url_map: Any, case: Case) -> Callable[[], object]:
    """The measured call: bind the map to the request's environ and match; checked once."""
    environ = dict(ENVIRON, PATH_INFO=case.path)
    not_found = router.not_found

    def route() -> object:
        try:
            return url_map.bind_to_environ(environ).match()
        except not_found:
            return None

    result = route()
    got = None if result is None else result[0]  # type: ignore[index]
    if got != case.endpoint:
        raise SystemExit(f"{router.name}: {case.path} routed to {got!r}, not {case.endpoint!r}")
    return route


def calibrate(call: Callable[[], object]) -> int:
    """How many calls take about ``ROUND_SECONDS``."""
    number = 100
    while True:
        seconds = timeit.timeit(call, number=number)
        if seconds >= ROUND_SECONDS / 4:
            return max(100, int(number * ROUND_SECONDS / seconds))
        number *= 4


def measure(rounds: int) -> tuple[dict[tuple[str, int, str], float], int, list[str]]:
    """ns per call for every (router, size, case): the fastest of interleaved rounds."""
    found, notes = routers()
    if not any(router.name == "tapster" for router in found):
        raise SystemExit("; ".join(notes))
    jobs = []
    for size in SIZES:
        for router in found:
            url_map = router.make_map(size)
            for case in cases(size):
                call = routing_call(router, url_map, case)
                jobs.append(((router.name, size, case.name), call, calibrate(call)))
    best: dict[tuple[str, int, str], float] = {}
    began = time.monotonic()
    done = 0
    for _ in range(rounds):
        if done and time.monotonic() - began > TIME_LIMIT:
            notes.append(f"stopped after {done} rounds: the {TIME_LIMIT:.0f} s limit")
            break
        for key, call, number in jobs:
            nanoseconds = timeit.timeit(call, number=number) / number * 1e9
            best[key] = min(best.get(key, nanoseconds), nanoseconds)
        done += 1
    return best, done, [*notes, *(f"{r.name} {r.version}" for r in found)]


def render(
    best: dict[tuple[str, int, str], float],
    rounds: int,
    notes: list[str],
    command: str,
    started: dt.datetime,
) -> str:
    """The routing section of docs/benchmarks.md."""
    small, large = SIZES
    names = sorted({key[0] for key in best}, key=lambda name: name != "tapster")
    versions = [note for note in notes if note.split(" ")[0] in names]
    other_notes = [note for note in notes if note not in versions]
    lines = [
        "## Router (`bench/routing.py`)",
        "",
        f"Produced on {started:%Y-%m-%d %H:%M} UTC by `{command}`: the cost of "
        "`map.bind_to_environ(environ).match()` for one GET request, in ns, the fastest of "
        f"{rounds} interleaved rounds of about {ROUND_SECONDS * 1000:.0f} ms each "
        f"(Python {platform.python_version()}, {', '.join(versions)}, no server, one thread).",
        "",
        f"Each map holds {small} or {large:,} rules in registration order: Flask's "
        "`/static/<path:filename>` first, then per resource five static rules (`/api/rN/`, "
        "`/api/rN/new`, `/rN`, `/rN/feed.xml`, `/pages/rN/about`) and three dynamic ones "
        "(`/api/rN/<int:id>` for GET and for PUT/DELETE, "
        "`/api/rN/<int:id>/comments/<slug>`). 'first', 'middle' and 'last' are the "
        "first, middle and last-registered rule of that kind; '404' misses below the middle "
        "resource's dynamic rule.",
        "",
    ]
    header = "| request |"
    rule = "| --- |"
    for name in names:
        header += f" {name} {small} | {name} {large:,} | {name} {large:,}/{small} |"
        rule += " ---: | ---: | ---: |"
    if "werkzeug" in names and "tapster" in names:
        header += f" werkzeug/tapster at {large:,} |"
        rule += " ---: |"
    lines += [header, rule]
    worst = 0.0
    for case in cases(small):
        row = f"| {case.name} |"
        for name in names:
            few, many = best[(name, small, case.name)], best[(name, large, case.name)]
            if name == "tapster":
                worst = max(worst, many / few)
            row += f" {few:,.0f} | {many:,.0f} | {many / few:.2f}x |"
        if "werkzeug" in names and "tapster" in names:
            speedup = best[("werkzeug", large, case.name)] / best[("tapster", large, case.name)]
            row += f" {speedup:.1f}x |"
        lines.append(row)
    verdict = "met" if worst <= TARGET_RATIO else "not met"
    lines += [
        "",
        f"Target: tapster's {large:,}/{small} ratio at most {TARGET_RATIO}x for every request: "
        f"**{verdict}** (worst {worst:.2f}x).",
        "",
        "Static rules are one dict look-up keyed by host part and path before any regex runs; "
        "dynamic rules are found by a trie over path segments whose static transitions are "
        "dict look-ups, so the cost follows the depth of the path, not the number of rules. "
        "Werkzeug's state machine is a trie too, so its ratio is flat as well; it has no "
        "static table, and looks its regexes up in `re`'s cache at every visit.",
    ]
    if other_notes:
        lines += ["", *(f"- {note}" for note in other_notes)]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Measure, print the section, and write it into docs/benchmarks.md."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(arguments)
    started = dt.datetime.now(dt.timezone.utc)
    best, rounds, notes = measure(QUICK_ROUNDS if args.quick else ROUNDS)
    command = shlex.join(["python", "bench/routing.py", *arguments])
    section = render(best, rounds, notes, command, started)
    print(section)
    if not args.no_write:
        write_section("routing", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
