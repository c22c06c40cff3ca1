"""Benchmark tapster's framework against Flask on the same app, and write its section of
docs/benchmarks.md.

Usage::

    .venv/bin/python bench/framework.py [--seconds S] [--rounds N] [--no-server]

Two measurements, both with the app of ``bench/framework_apps.py`` (hello, ``/user/<int:id>``
as JSON, ``POST /echo`` of JSON, a 404, and hello from an ``async def`` view):

1. **In-process**: each framework's WSGI callable is called directly in a loop with a prepared
   environ, so the figure is the framework's own cost per request (routing, request and
   response objects, contexts, JSON), with no server and no socket.
2. **Over the server**: both apps served by ``tapster serve`` pinned to one CPU, loaded by
   ``wrk`` pinned to the other, 50 keep-alive connections.

Every loop is bounded in count and time; load only goes to 127.0.0.1. Runs under the project's
``.venv`` (it needs Flask, a test dependency, and tapster).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from bench import framework_apps  # noqa: E402
from bench.charts import RESULTS_DIR, redraw  # noqa: E402
from bench.run import (  # noqa: E402
    HOST,
    free_port,
    parse_wrk,
    pick_cpus,
    stop,
    wait_until_listening,
)
from bench.sections import write_section  # noqa: E402

ECHO_BODY = json.dumps({"id": 1, "name": "tapster", "tags": ["wsgi", "http"]}).encode()

#: (name, method, path, body, expected status)
SCENARIOS: tuple[tuple[str, str, str, bytes, int], ...] = (
    ("hello", "GET", "/", b"", 200),
    ("user-json", "GET", "/user/42", b"", 200),
    ("echo-json", "POST", "/echo", ECHO_BODY, 200),
    ("not-found", "GET", "/missing/page", b"", 404),
    ("async-hello", "GET", "/async", b"", 200),
)

MAX_CALLS = 200_000
"""Bound on calls per in-process measurement (it also stops after ``--seconds``)."""


def environ_for(method: str, path: str, body: bytes) -> dict[str, Any]:
    """A complete WSGI environ like a server builds for this request."""
    environ = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "bench",
        "HTTP_ACCEPT": "*/*",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.input_terminated": True,
    }
    if body:
        environ["CONTENT_TYPE"] = "application/json"
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def calls_per_second(app: Callable[..., Any], scenario: tuple[str, str, str, bytes, int],
                     seconds: float) -> float:
    """Call ``app`` in a loop for about ``seconds`` (at most ``MAX_CALLS`` times)."""
    _name, method, path, body, expected = scenario
    template = environ_for(method, path, body)
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        statuses.append(status)
        return None

    def one() -> None:
        environ = dict(template)
        environ["wsgi.input"] = io.BytesIO(body)
        result = app(environ, start_response)
        try:
            for _chunk in result:
                pass
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()

    one()
    if not statuses[-1].startswith(str(expected)):
        raise SystemExit(f"{scenario[0]}: expected {expected}, got {statuses[-1]}")
    calls = 0
    started = time.perf_counter()
    deadline = started + seconds
    while calls < MAX_CALLS:
        for _ in range(200):
            one()
        calls += 200
        if time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - started
    return calls / elapsed


def in_process(seconds: float, rounds: int
               ) -> tuple[dict[str, dict[str, float]], dict[str, list[float]]]:
    """Median calls/s of each (framework, scenario), rounds interleaved; and each
    round's tapster / Flask ratio per scenario (the two measured back to back)."""
    apps = {"tapster": framework_apps.tapster_app, "flask": framework_apps.flask_app}
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in apps}
    for _round in range(rounds):
        for scenario in SCENARIOS:
            for name, app in apps.items():
                rate = calls_per_second(app, scenario, seconds)
                samples[name].setdefault(scenario[0], []).append(rate)
    medians = {
        name: {scenario: statistics.median(rates) for scenario, rates in by_scenario.items()}
        for name, by_scenario in samples.items()
    }
    ratios = {
        scenario: [ours / theirs
                   for ours, theirs in zip(rates, samples["flask"][scenario], strict=True)]
        for scenario, rates in samples["tapster"].items()
    }
    return medians, ratios


def wrk_script(method: str, body: bytes) -> str:
    """A wrk Lua script sending ``method`` (and a JSON body)."""
    lines = [f'wrk.method = "{method}"']
    if body:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
        lines.append(f"wrk.body = [==[{body.decode()}]==]")
    return "\n".join(lines) + "\n"


def over_server(seconds: int, rounds: int, work_dir: Path) -> dict[str, dict[str, float]]:
    """Median requests/s of each (framework, scenario) served by ``tapster serve``."""
    server_cpu, load_cpu = pick_cpus()
    samples: dict[str, dict[str, list[float]]] = {"tapster": {}, "flask": {}}
    for round_number in range(rounds):
        for name in samples:
            port = free_port()
            log_path = work_dir / f"{name}-{round_number}.log"
            command = [
                "taskset", "-c", str(server_cpu), sys.executable, "-m", "tapster", "serve",
                f"bench.framework_apps:{name}_app", "--bind", f"{HOST}:{port}",
            ]
            environment = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
            with open(log_path, "wb") as log_file:
                process = subprocess.Popen(
                    command, cwd=REPO_ROOT, env=environment, stdin=subprocess.DEVNULL,
                    stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
                )
            try:
                wait_until_listening(process, port, log_path)
                for scenario, method, path, body, _expected in SCENARIOS:
                    script = work_dir / f"{scenario}.lua"
                    script.write_text(wrk_script(method, body))
                    wrk = [
                        "taskset", "-c", str(load_cpu), "wrk", "-t", "1", "-c", "50",
                        "-d", f"{seconds}s", "--timeout", "5s", "-s", str(script),
                        f"http://{HOST}:{port}{path}",
                    ]
                    done = subprocess.run(
                        wrk, capture_output=True, text=True, timeout=seconds + 30, check=False
                    )
                    figures = parse_wrk(done.stdout)
                    samples[name].setdefault(scenario, []).append(figures.requests_per_second)
            finally:
                stop(process)
    return {
        name: {scenario: statistics.median(rates) for scenario, rates in by_scenario.items()}
        for name, by_scenario in samples.items()
    }


def render(command: str, local: dict[str, dict[str, float]],
           served: dict[str, dict[str, float]] | None,
           round_ratios: dict[str, list[float]]) -> str:
    """The markdown section: one table per measurement, with tapster/Flask ratios
    (in-process, also the lowest and highest of the rounds)."""
    from importlib.metadata import version

    import tapster

    lines = [
        "## Framework: tapster's App against Flask, same app",
        "",
        f"Command: `{command}` (tapster {tapster.__version__}, Flask {version('flask')}, "
        f"Python {sys.version.split()[0]}). The app: `bench/framework_apps.py`. Target: "
        "tapster's framework at least 3x Flask's requests per second in-process.",
        "",
        "In-process (the WSGI callable called in a loop, no server; median of the rounds):",
        "",
        "| scenario | tapster calls/s | Flask calls/s | tapster / Flask "
        "| rounds: lowest, highest |",
        "|---|---:|---:|---:|---:|",
    ]
    for scenario, *_ in SCENARIOS:
        ours, theirs = local["tapster"][scenario], local["flask"][scenario]
        low, high = min(round_ratios[scenario]), max(round_ratios[scenario])
        lines.append(f"| {scenario} | {ours:,.0f} | {theirs:,.0f} | {ours / theirs:.2f}x "
                     f"| {low:.2f}x, {high:.2f}x |")
    if served:
        lines += [
            "",
            "Over tapster's server (`tapster serve`, server on one CPU, wrk -c 50 on the other):",
            "",
            "| scenario | tapster req/s | Flask req/s | tapster / Flask |",
            "|---|---:|---:|---:|",
        ]
        for scenario, *_ in SCENARIOS:
            ours, theirs = served["tapster"][scenario], served["flask"][scenario]
            lines.append(f"| {scenario} | {ours:,.0f} | {theirs:,.0f} | {ours / theirs:.2f}x |")
    return "\n".join(lines) + "\n"


def save_results(command: str, local: dict[str, dict[str, float]],
                 served: dict[str, dict[str, float]] | None) -> Path:
    """Write the medians to bench/results/framework-<timestamp>.json, for bench/charts.py."""
    started = dt.datetime.now(dt.timezone.utc)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"framework-{started:%Y%m%d-%H%M%S}.json"
    payload = {"started": started.isoformat(), "command": command, "in_process": local,
               "served": served}
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    """Measure, print the section, and write it into docs/benchmarks.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0,
                        help="seconds per in-process measurement (default 2)")
    parser.add_argument("--wrk-seconds", type=int, default=5,
                        help="seconds per wrk run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, choices=range(1, 11), metavar="N",
                        help="rounds, interleaved; the median is reported (default 3)")
    parser.add_argument("--no-server", action="store_true", help="skip the wrk measurement")
    options = parser.parse_args(argv)
    if framework_apps.flask_app is None:
        print("Flask is not installed: run under the project's .venv", file=sys.stderr)
        return 1
    local, round_ratios = in_process(options.seconds, options.rounds)
    served = None
    if not options.no_server:
        with tempfile.TemporaryDirectory(prefix="tapster-bench-") as work:
            served = over_server(options.wrk_seconds, options.rounds, Path(work))
    command = "python bench/framework.py " + " ".join(argv if argv is not None else sys.argv[1:])
    section = render(command.strip(), local, served, round_ratios)
    print(section)
    write_section("framework", section)
    save_results(command.strip(), local, served)
    redraw()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
