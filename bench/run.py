"""Benchmark tapster against other WSGI servers on this machine; write it in docs/benchmarks.md.

Usage::

    python bench/run.py [--quick] [--rounds N] [--servers a,b] [--scenarios x,y] [--duration S]

The harness sets up its own environment: a virtualenv ``.venv-bench/`` at the repository root
holding the peer servers (never dependencies of tapster) and tapster itself installed editable,
and ``wrk`` from Debian when it is missing. Then, for every server and scenario, it starts a
fresh server on a free port of 127.0.0.1 pinned to one CPU, checks one request by hand, warms it
up, measures it with ``wrk`` pinned to another CPU while counting the CPU time of the server's
whole process tree, and stops it. It does so ``--rounds`` times, interleaved (see ``plan_runs``),
and reports the median of each (server, scenario) pair. Results go to the ``servers`` section
of ``docs/benchmarks.md`` (a readable report; other sections belong to other bench scripts, see
``bench/sections.py``) and ``bench/results/*.json`` (every round, raw).

Load is only ever sent to 127.0.0.1. Standard library only: this file runs under the interpreter
that launched it; the servers run under the virtualenv's.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import http.client
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import FrameType

try:
    from bench.charts import redraw
    from bench.sections import write_section
except ModuleNotFoundError:  # run as a script (python bench/run.py): bench/ is on the path
    from charts import redraw  # type: ignore[no-redef]
    from sections import write_section  # type: ignore[no-redef]

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The checkout the harness belongs to: the servers run here and ``pip install -e`` installs it."""

VENV_DIR = REPO_ROOT / ".venv-bench"
"""The benchmark's own virtualenv (gitignored), so that peers never touch tapster's env."""

VENV_BIN = VENV_DIR / "bin"
RESULTS_DIR = REPO_ROOT / "bench" / "results"
"""Raw JSON of every run (gitignored)."""

DOC_PATH = REPO_ROOT / "docs" / "benchmarks.md"
SECTION = "servers"
"""This script's section of ``DOC_PATH``; the others belong to other bench scripts."""
PROTOTYPE_PATH = REPO_ROOT / ".." / "shared" / "reference" / "io_loop_prototype.py"
"""The measuring prototype of the I/O loop, shown as a ceiling row; skipped when absent."""

PEER_PACKAGES = ("werkzeug", "waitress", "gunicorn", "granian")
"""Servers to compare with, installed from PyPI into the virtualenv at their latest version."""

HOST = "127.0.0.1"
"""The only address load is sent to."""

APP_PLACEHOLDER = "bench.apps:APP"
"""How a server's command names the app; APP becomes hello, echo or slow per scenario."""

DEFAULT_DURATION = 10
QUICK_DURATION = 3
DEFAULT_ROUNDS = 3
"""Runs of every (server, scenario) pair. On this shared two-core machine one run of the same
server varies by 30-50 %; the median of three interleaved runs discards one outlier either way."""

MAX_ROUNDS = 20
"""Bound on ``--rounds``: three rounds of everything at the default duration take ~25 minutes."""

RUN_OVERHEAD_SECONDS = 1
"""Time a run costs beyond warm-up and measurement (start, checks, stop), for the estimate:
80 ``--quick`` runs of every server took 0.4 s each on average, gunicorn-sync's drain the most."""

WARMUP_SECONDS = 1
"""Load before each measured run, not counted: lets caches, thread pools and JIT-less
interpreters' allocators settle, and opens the keep-alive connections."""

WRK_TIMEOUT = "5s"
"""wrk's own per-request timeout: a request slower than this counts as a timeout error."""

WRK_MAX_THREADS = 1
"""wrk threads per run (never more than connections). wrk gets one CPU of its own, so a second
thread can only take turns with the first: measured here at hello-c50 against the prototype and
granian, ``-t 2`` gave no gain over ``-t 1`` (the differences were within run-to-run noise)."""

STARTUP_TIMEOUT = 20.0
"""Seconds a server may take to accept connections before it is skipped."""

STOP_TIMEOUT = 5.0
"""Seconds a server gets to exit after SIGTERM before it is killed."""

CHECK_TIMEOUT = 5.0
"""Seconds the single correctness request before each run may take."""

DRAIN_TIMEOUT = 30.0
"""Seconds the server may take to answer a request sent after the warm-up. Servers that serve
one connection at a time (gunicorn's sync worker) still owe the warm-up's queued requests when
wrk stops (50 connections x 50 ms = 2.5 s); the answer to this request means they are paid, so
the measured run does not start on a backlog."""

ECHO_BODY_BYTES = 1024
"""Size of the JSON body the echo scenario posts: 1 KiB."""

SETUP_TIMEOUT = 900
"""Bound on any one set-up command (venv, pip, apt-get), in seconds."""


# --- scenarios ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One kind of load: which app, how many connections, and what the requests look like."""

    name: str
    app: str
    connections: int
    description: str
    close: bool = False
    """Send ``Connection: close`` so that every request opens a new TCP connection."""
    post_json: bool = False
    """POST a 1 KiB JSON body (via a wrk Lua script) instead of a GET."""


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("hello-c1", "hello", 1, "GET, keep-alive, 1 connection: one request at a time"),
    Scenario("hello-c50", "hello", 50, "GET, keep-alive, 50 connections"),
    Scenario("hello-c200", "hello", 200, "GET, keep-alive, 200 connections"),
    Scenario(
        "close-c50",
        "hello",
        50,
        "GET with `Connection: close`, 50 connections: a new TCP connection per request",
        close=True,
    ),
    Scenario(
        "echo-c50",
        "echo",
        50,
        "POST of a 1 KiB JSON body read via `wsgi.input` and echoed back, keep-alive, "
        "50 connections",
        post_json=True,
    ),
    Scenario(
        "slow-c50",
        "slow",
        50,
        "GET of a handler that sleeps 50 ms, keep-alive, 50 connections "
        "(ideal: 1,000 req/s; shows whether a blocked handler blocks other requests)",
    ),
)
SCENARIOS_BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


def echo_body() -> bytes:
    """Return a JSON object of exactly ``ECHO_BODY_BYTES`` bytes, padded with a filler string."""
    head = '{"id": 1, "name": "tapster", "tags": ["wsgi", "http"], "payload": "'
    tail = '"}'
    filler = "x" * (ECHO_BODY_BYTES - len(head) - len(tail))
    body = (head + filler + tail).encode("ascii")
    json.loads(body)  # stays valid JSON whatever the constants become
    return body


def wrk_script(body: bytes) -> str:
    """Return a wrk Lua script that POSTs ``body`` as JSON on every request."""
    text = body.decode("ascii")
    if "]==]" in text:
        raise ValueError("echo body would end the Lua long string early")
    return (
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [==[{text}]==]\n"
    )


# --- servers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    """A server under test: how to start it on a port, and which scenarios it takes part in."""

    name: str
    command: Callable[[str, str], list[str]]
    """Build the command line from the app target (``bench.apps:hello``) and the port."""
    settings: str
    """What the command configures, in words, for the report."""
    package: str | None = None
    """Distribution whose version the report gives, if any."""
    scenarios: frozenset[str] | None = None
    """Scenarios this server can serve correctly; None means all."""
    unavailable: Callable[[], str | None] = lambda: None
    """Return why the server cannot run at all (skipped with that note), or None."""

    def supports(self, scenario: Scenario) -> bool:
        """Tell whether ``scenario`` is meaningful for this server."""
        return self.scenarios is None or scenario.name in self.scenarios


def venv_tool(name: str) -> str:
    """Return the path of a console script of the benchmark virtualenv."""
    return str(VENV_BIN / name)


def prototype_missing() -> str | None:
    """Say why the reference prototype cannot run, or None when it is there."""
    if PROTOTYPE_PATH.is_file():
        return None
    return f"{PROTOTYPE_PATH} not found (it lives in shared/reference beside the checkout)"


SERVERS: tuple[Server, ...] = (
    Server(
        "tapster",
        lambda app, port: [venv_tool("tapster"), "serve", app, "--bind", f"{HOST}:{port}"],
        "default settings",
        package="tapster",
    ),
    Server(
        "werkzeug",
        lambda app, port: [
            venv_tool("python"),
            str(REPO_ROOT / "bench" / "launch_werkzeug.py"),
            app,
            HOST,
            port,
        ],
        "`run_simple(..., threaded=True)` as Flask's `app.run()` does: a thread per "
        "connection, a log line per request (to a file here)",
        package="werkzeug",
    ),
    Server(
        "waitress",
        lambda app, port: [venv_tool("waitress-serve"), f"--listen={HOST}:{port}", app],
        "default settings (4 threads)",
        package="waitress",
    ),
    Server(
        "gunicorn-sync",
        lambda app, port: [
            venv_tool("gunicorn"),
            "--workers",
            "1",
            "--worker-class",
            "sync",
            "--bind",
            f"{HOST}:{port}",
            app,
        ],
        "1 sync worker (one request at a time, no keep-alive)",
        package="gunicorn",
    ),
    Server(
        "gunicorn-gthread",
        lambda app, port: [
            venv_tool("gunicorn"),
            "--workers",
            "1",
            "--worker-class",
            "gthread",
            "--threads",
            "64",
            "--bind",
            f"{HOST}:{port}",
            app,
        ],
        "1 worker, `-k gthread --threads 64` (gunicorn's threaded worker, sized like the "
        "prototype's pool)",
        package="gunicorn",
    ),
    Server(
        "granian",
        lambda app, port: [
            venv_tool("granian"),
            "--interface",
            "wsgi",
            "--workers",
            "1",
            "--host",
            HOST,
            "--port",
            port,
            app,
        ],
        "`--interface wsgi --workers 1`, its default blocking threads and runtime threads",
        package="granian",
    ),
    Server(
        "prototype-pool",
        lambda app, port: [
            venv_tool("python"),
            str(PROTOTYPE_PATH.resolve()),
            app,
            HOST,
            port,
            "pool",
            "64",
        ],
        "reference ceiling, not a server: epoll loop + 64-thread pool, no limits, no timeouts, "
        "no chunked bodies; run for the hello and 50 ms scenarios only",
        scenarios=frozenset({"hello-c1", "hello-c50", "hello-c200", "slow-c50"}),
        unavailable=prototype_missing,
    ),
)
SERVERS_BY_NAME = {server.name: server for server in SERVERS}


class ServerStartError(Exception):
    """A server did not come up: its note says why, and the server is skipped."""


# --- results -----------------------------------------------------------------------------------


@dataclass
class WrkFigures:
    """What one wrk run reported."""

    requests_per_second: float
    p99_ms: float | None
    requests: int
    socket_errors: dict[str, int]
    non_2xx_3xx: int

    @property
    def error_count(self) -> int:
        """All failed requests: socket errors of every kind plus non-2xx/3xx responses."""
        return sum(self.socket_errors.values()) + self.non_2xx_3xx


@dataclass
class RunResult:
    """The outcome of one server under one scenario in one round."""

    server: str
    scenario: str
    round: int
    status: str
    """``ok``, ``skipped`` (the server could not start or is absent) or ``failed``."""
    note: str = ""
    figures: WrkFigures | None = None
    server_cpu_seconds: float | None = None
    """User plus system CPU time of the server's process tree during the measured run."""
    server_processes: int = 0
    """Processes of the server's tree seen when the measured run ended (master and workers)."""
    wrk_command: list[str] = field(default_factory=list)
    wrk_output: str = ""

    @property
    def cpu_us_per_request(self) -> float | None:
        """The server's CPU time per request wrk counted, in microseconds, when both are known."""
        if self.figures is None or self.server_cpu_seconds is None or not self.figures.requests:
            return None
        return self.server_cpu_seconds / self.figures.requests * 1e6


_P99 = re.compile(r"^\s*99%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def parse_wrk(output: str) -> WrkFigures:
    """Read requests/s, the 99th percentile latency and the errors out of wrk's text output."""
    rps = _RPS.search(output)
    if rps is None:
        raise ValueError("no 'Requests/sec' line in wrk's output")
    p99 = _P99.search(output)
    total = _TOTAL.search(output)
    socket_errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    found = _SOCKET_ERRORS.search(output)
    if found:
        socket_errors = dict(zip(socket_errors, map(int, found.groups()), strict=True))
    non_2xx = _NON_2XX.search(output)
    requests = int(total.group(1)) if total else 0
    return WrkFigures(
        requests_per_second=float(rps.group(1)),
        p99_ms=float(p99.group(1)) * _UNIT_MS[p99.group(2)] if p99 and requests else None,
        requests=requests,
        socket_errors=socket_errors,
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
    )


@dataclass
class PairSummary:
    """The rounds of one (server, scenario) pair, reduced to medians and a range."""

    server: str
    scenario: str
    rounds: int
    """Rounds in which the pair was attempted (skipped ones excluded)."""
    measured: int
    """Rounds that produced wrk figures; the medians are over these."""
    rps_median: float | None = None
    rps_min: float | None = None
    rps_max: float | None = None
    p99_median_ms: float | None = None
    cpu_us_per_request_median: float | None = None
    errors: int = 0
    """Failed requests summed over the measured rounds."""
    error_kinds: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """Why rounds failed, one per failed round."""


def median_or_none(values: Sequence[float | None]) -> float | None:
    """Return the median of the known values, or None when there are none."""
    known = [value for value in values if value is not None]
    return statistics.median(known) if known else None


def summarize(results: Sequence[RunResult]) -> dict[tuple[str, str], PairSummary]:
    """Reduce every (server, scenario) pair's rounds to a summary, keyed by (server, scenario).

    Pairs whose every round was skipped get no summary: the report lists them as not measured.
    """
    grouped: dict[tuple[str, str], list[RunResult]] = {}
    for result in results:
        if result.status != "skipped":
            grouped.setdefault((result.server, result.scenario), []).append(result)
    summaries: dict[tuple[str, str], PairSummary] = {}
    for (server, scenario), runs in grouped.items():
        measured = [(run, run.figures) for run in runs if run.figures is not None]
        summary = PairSummary(server, scenario, rounds=len(runs), measured=len(measured))
        summary.notes = [f"round {run.round}: {run.note}" for run in runs if run.figures is None]
        rates = [figures.requests_per_second for _, figures in measured]
        if rates:
            summary.rps_median = statistics.median(rates)
            summary.rps_min, summary.rps_max = min(rates), max(rates)
        summary.p99_median_ms = median_or_none([figures.p99_ms for _, figures in measured])
        summary.cpu_us_per_request_median = median_or_none(
            [run.cpu_us_per_request for run, _ in measured]
        )
        for _, figures in measured:
            summary.errors += figures.error_count
            kinds = {**figures.socket_errors, "non-2xx": figures.non_2xx_3xx}
            for kind, count in kinds.items():
                summary.error_kinds[kind] = summary.error_kinds.get(kind, 0) + count
        summaries[(server, scenario)] = summary
    return summaries


# --- the server's CPU time ---------------------------------------------------------------------

CLOCK_TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")
"""Unit of the times in /proc/PID/stat (100 on Linux: 10 ms, fine against runs of seconds)."""


@dataclass(frozen=True)
class ProcessTimes:
    """One process's line of /proc/PID/stat, as far as CPU accounting needs it."""

    pid: int
    ppid: int
    session: int
    ticks: int
    """utime + stime (all its threads, live and exited) + cutime + cstime (reaped children)."""


def read_process_times(pid: int) -> ProcessTimes | None:
    """Read /proc/PID/stat; None if the process is gone or unreadable."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            line = stat.read()
    except OSError:
        return None
    # proc(5): "pid (comm) state ppid pgrp session ... utime stime cutime cstime ...". comm may
    # hold spaces and parentheses, so the fields are counted from the last ')'.
    fields = line.rpartition(")")[2].split()
    try:
        ppid, session = int(fields[1]), int(fields[3])
        utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    except (IndexError, ValueError):
        return None
    return ProcessTimes(pid, ppid, session, utime + stime + cutime + cstime)


def process_tree_ticks(root: int) -> tuple[int, int]:
    """Return (CPU ticks, process count) of ``root`` and all its live descendants.

    A process belongs to the tree when its parent chain leads to ``root`` or when it is in
    ``root``'s session (each server is started as a session leader, so a worker re-parented
    after its master's exit still counts). Each process's ticks include its reaped children
    (cutime, cstime); live children are only in their own line, so a child counts exactly
    once whether it is alive, a zombie or reaped when either sample is taken.
    """
    table: dict[int, ProcessTimes] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            times = read_process_times(int(entry.name))
            if times is not None:
                table[times.pid] = times
    children: dict[int, list[int]] = {}
    for times in table.values():
        children.setdefault(times.ppid, []).append(times.pid)
    descendants: set[int] = set()
    pending = [root]
    while pending:  # each pid is expanded once, so this ends after at most len(table) steps
        pid = pending.pop()
        if pid not in descendants:
            descendants.add(pid)
            pending.extend(children.get(pid, ()))
    in_session = {pid for pid, times in table.items() if times.session == root}
    members = (descendants | in_session) & table.keys()
    return sum(table[pid].ticks for pid in members), len(members)


# --- environment -------------------------------------------------------------------------------


def log(message: str) -> None:
    """Print a progress line at once."""
    print(message, flush=True)


def run_setup(command: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run a bounded set-up command, echoing it, and return its completed process."""
    log(f"$ {shlex.join(command)}")
    return subprocess.run(
        command, capture_output=True, text=True, timeout=SETUP_TIMEOUT, check=False
    )


def last_line(text: str) -> str:
    """Return the last non-empty line of ``text`` (the gist of an error), or ''."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def ensure_environment() -> list[str]:
    """Create the virtualenv, install peers, tapster and wrk as needed; return notes to report.

    Peers failing to install is fatal only for the peers: each missing one is then skipped
    when its command is not found. tapster failing to install is noted the same way.
    """
    notes: list[str] = []
    if not (VENV_BIN / "python").exists():
        done = run_setup([sys.executable, "-m", "venv", str(VENV_DIR)])
        if done.returncode != 0:
            raise SystemExit(f"cannot create {VENV_DIR}: {last_line(done.stderr)}")
    pip = [
        str(VENV_BIN / "python"),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ]
    done = run_setup([*pip, *PEER_PACKAGES])
    if done.returncode != 0:
        notes.append(f"installing peers failed: {last_line(done.stderr)}")
        for package in PEER_PACKAGES:  # one at a time, so that one bad peer spares the others
            single = run_setup([*pip, package])
            if single.returncode != 0:
                notes.append(f"{package} did not install: {last_line(single.stderr)}")
    # tapster with its bench extra (matplotlib, for bench/charts.py); without it if that fails.
    done = run_setup([*pip, "--editable", f"{REPO_ROOT}[bench]"])
    if done.returncode != 0:
        notes.append(f"`pip install -e '.[bench]'` failed: {last_line(done.stderr)}")
        done = run_setup([*pip, "--editable", str(REPO_ROOT)])
    if done.returncode != 0:
        notes.append(f"`pip install -e .` failed: {last_line(done.stderr)}")
    if shutil.which("wrk") is None:
        done = run_setup(["apt-get", "install", "-y", "wrk"])
        if done.returncode != 0:
            run_setup(["apt-get", "update"])
            done = run_setup(["apt-get", "install", "-y", "wrk"])
        if shutil.which("wrk") is None:
            raise SystemExit(f"wrk is needed and did not install: {last_line(done.stderr)}")
    if shutil.which("taskset") is None:
        raise SystemExit("taskset (util-linux) is needed to pin the server and wrk to CPUs")
    return notes


def pick_cpus() -> tuple[int, int]:
    """Return (server CPU, wrk CPU): the first two CPUs this process may run on."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        raise SystemExit("the benchmark needs two CPUs: one for the server, one for wrk")
    return cpus[0], cpus[1]


def machine_facts(server_cpu: int, load_cpu: int) -> dict[str, str]:
    """Describe the machine and the software versions for the report."""
    cpu_model = "unknown"
    with contextlib.suppress(OSError), open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                cpu_model = line.partition(":")[2].strip()
                break
    probe = (
        "import importlib.metadata as m, json, platform\n"
        "def version(name):\n"
        "    try:\n"
        "        return m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        return 'not installed'\n"
        f"names = {['tapster', *PEER_PACKAGES]!r}\n"
        "facts = {'python': platform.python_version()}\n"
        "facts.update((name, version(name)) for name in names)\n"
        "print(json.dumps(facts))\n"
    )
    versions = json.loads(
        subprocess.run(
            [str(VENV_BIN / "python"), "-c", probe],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )
    versions["tapster (this checkout, editable)"] = versions.pop("tapster")
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False)
    wrk_version = (wrk.stdout + wrk.stderr).split("Copyright")[0].strip() or "unknown"
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model,
        "kernel": platform.release(),
        "python (servers)": versions.pop("python"),
        "wrk": wrk_version,
        "pinning": f"server on CPU {server_cpu}, wrk on CPU {load_cpu}",
        **versions,
    }


# --- one run -----------------------------------------------------------------------------------


def free_port() -> int:
    """Ask the kernel for a free ephemeral port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def tail(path: Path, lines: int = 1) -> str:
    """Return the last lines of a log file joined on ' / ' (by default the error), for a note."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    kept = [line.strip() for line in text.splitlines() if line.strip()][-lines:]
    return " / ".join(kept)


def wait_until_listening(process: subprocess.Popen[bytes], port: int, log_path: Path) -> None:
    """Return once the server accepts a TCP connection; raise ServerStartError if it cannot."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            raise ServerStartError(f"exited with code {code}: {tail(log_path)}")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServerStartError(f"not accepting connections after {STARTUP_TIMEOUT:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server's process group (master and workers), kill it if it lingers, reap."""
    group = process.pid  # started with start_new_session, so the pid names its group
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGTERM)
        try:
            process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)
    with contextlib.suppress(ProcessLookupError):  # workers that outlived their master
        os.killpg(group, signal.SIGKILL)


@dataclass(frozen=True)
class Started:
    """A server that accepts connections: its port, and the pid at the root of its tree."""

    port: int
    pid: int
    """``taskset`` execs the server, so this is the server's own (master) process."""


@contextlib.contextmanager
def running(server: Server, app: str, cpu: int, log_dir: Path) -> Iterator[Started]:
    """Start ``server`` serving ``bench.apps:<app>`` on a free port pinned to ``cpu``.

    Yields once it accepts connections; always stops and reaps the server on exit, whether the
    body returned, raised, or was interrupted.
    """
    port = free_port()
    command = ["taskset", "-c", str(cpu), *server.command(f"bench.apps:{app}", str(port))]
    environment = dict(os.environ)
    environment["PYTHONPATH"] = str(REPO_ROOT)  # `bench.apps` importable whatever the server
    environment["PYTHONUNBUFFERED"] = "1"
    environment["PATH"] = f"{VENV_BIN}{os.pathsep}{environment.get('PATH', '')}"
    log_path = log_dir / f"{server.name}-{app}.log"
    executable = Path(command[3])
    if not executable.exists():
        raise ServerStartError(f"{executable} does not exist")
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log_file,  # a file, not a pipe: a chatty server can never block on it
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: Ctrl-C reaches us, we stop it
        )
    try:
        wait_until_listening(process, port, log_path)
        yield Started(port, process.pid)
    finally:
        stop(process)


def check_response(port: int, scenario: Scenario, timeout: float) -> str | None:
    """Send one request like the scenario's and return what is wrong with the answer, or None."""
    if scenario.post_json:
        body: bytes | None = echo_body()
        method, headers, expected = "POST", {"Content-Type": "application/json"}, echo_body()
    else:
        body, method, headers, expected = None, "GET", {}, b"Hello, World!"
    if scenario.close:
        headers["Connection"] = "close"
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, "/", body=body, headers=headers)
        response = connection.getresponse()
        received = response.read()
    except (OSError, http.client.HTTPException) as error:
        return f"check request failed: {error!r}"
    finally:
        connection.close()
    if response.status != 200 or received != expected:
        return f"wrong answer to a check request: {response.status}, {received[:60]!r}"
    return None


def wrk_command(
    scenario: Scenario, port: int, seconds: int, cpu: int, script: Path | None
) -> list[str]:
    """Build the pinned wrk command line for ``scenario`` against ``port``."""
    command = [
        "taskset",
        "-c",
        str(cpu),
        "wrk",
        "-t",
        str(min(WRK_MAX_THREADS, scenario.connections)),
        "-c",
        str(scenario.connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        WRK_TIMEOUT,
        "--latency",
    ]
    if scenario.close:
        command += ["-H", "Connection: close"]
    if script is not None:
        command += ["-s", str(script)]
    return [*command, f"http://{HOST}:{port}/"]


def run_wrk(command: list[str], seconds: int) -> subprocess.CompletedProcess[str]:
    """Run wrk, bounded well past its own duration in case it hangs."""
    return subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )


def measure(
    server: Server,
    scenario: Scenario,
    round_number: int,
    seconds: int,
    cpus: tuple[int, int],
    work_dir: Path,
) -> RunResult:
    """Start the server, check it, warm it up, let it drain, measure it with wrk, stop it.

    The server's CPU time is sampled right before wrk starts and right after it ends, over the
    server's whole process tree, so that it covers the measured run and nothing else.
    """
    server_cpu, load_cpu = cpus
    script = None
    if scenario.post_json:
        script = work_dir / "echo.lua"
        script.write_text(wrk_script(echo_body()), encoding="ascii")

    def failed(note: str) -> RunResult:
        return RunResult(server.name, scenario.name, round_number, "failed", note=note)

    with running(server, scenario.app, server_cpu, work_dir) as started:
        problem = check_response(started.port, scenario, CHECK_TIMEOUT)
        if problem:
            return failed(problem)
        warm_up = wrk_command(scenario, started.port, WARMUP_SECONDS, load_cpu, script)
        run_wrk(warm_up, WARMUP_SECONDS)
        problem = check_response(started.port, scenario, DRAIN_TIMEOUT)
        if problem:
            return failed(f"after warm-up: {problem}")
        command = wrk_command(scenario, started.port, seconds, load_cpu, script)
        ticks_before, _ = process_tree_ticks(started.pid)
        done = run_wrk(command, seconds)
        ticks_after, processes = process_tree_ticks(started.pid)
    result = RunResult(
        server.name,
        scenario.name,
        round_number,
        "ok",
        server_cpu_seconds=(ticks_after - ticks_before) / CLOCK_TICKS_PER_SECOND,
        server_processes=processes,
        wrk_command=command,
        wrk_output=done.stdout,
    )
    try:
        result.figures = parse_wrk(done.stdout)
    except ValueError as error:
        result.status = "failed"
        result.note = f"{error}; wrk said: {last_line(done.stderr) or last_line(done.stdout)}"
    return result


# --- the report --------------------------------------------------------------------------------


def shown(text: str) -> str:
    """Make text fit for the report: paths relative to the checkout, no table-breaking '|'."""
    text = text.replace(str(VENV_BIN) + "/", ".venv-bench/bin/")
    text = text.replace(str(REPO_ROOT) + "/", "")
    text = text.replace(str(REPO_ROOT.parent) + "/", "../")
    return text.replace("|", "/")


def format_rps(value: float) -> str:
    """Format requests per second with thousands separators."""
    return f"{value:,.0f}"


def format_compact(value: float) -> str:
    """Format a rate with about three significant digits: 965, 9.83k, 49.6k, 115k."""
    if value < 1000:
        return f"{value:.0f}"
    if value < 10_000:
        return f"{value / 1000:.2f}k"
    if value < 100_000:
        return f"{value / 1000:.1f}k"
    return f"{value / 1000:.0f}k"


def format_ms(value: float | None) -> str:
    """Format a latency in milliseconds with about three significant digits."""
    if value is None:
        return "—"
    if value >= 1000:
        return f"{value / 1000:.2f} s"
    if value >= 100:
        return f"{value:.0f} ms"
    if value >= 10:
        return f"{value:.1f} ms"
    return f"{value:.2f} ms"


def format_us(value: float | None) -> str:
    """Format a CPU time per request in microseconds with about three significant digits."""
    if value is None:
        return "—"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def format_errors(total: int, kinds: dict[str, int]) -> str:
    """Format an error count with its breakdown by kind when there are any."""
    if total == 0:
        return "0"
    parts = [f"{kind} {count:,}" for kind, count in kinds.items() if count]
    return f"{total:,} ({', '.join(parts)})"


def wrk_errors(figures: WrkFigures) -> str:
    """Format the errors of one wrk run."""
    kinds = {**figures.socket_errors, "non-2xx": figures.non_2xx_3xx}
    return format_errors(figures.error_count, kinds)


def ratio(value: float | None, baseline: float | None) -> str:
    """Format ``value / baseline`` as '1.23x', or '—' when either is unknown."""
    if value is None or not baseline:
        return "—"
    return f"{value / baseline:.2f}x"


# --- targets -----------------------------------------------------------------------------------


TARGET_SERVER = "tapster"
"""The server the targets are about."""


@dataclass(frozen=True)
class Target:
    """A goal for tapster, judged from the medians of a harness run (never written in advance).

    ``figure`` is ``req/s`` (higher is better: the median, or its ratio to ``baseline``'s, must
    be at least ``bound``) or ``p99`` (lower is better: the median must be strictly below
    ``baseline``'s).
    """

    scenario: str
    figure: str
    baseline: str | None
    """Server compared with; None for an absolute figure."""
    bound: float = 1.0

    def describe(self) -> str:
        """Say what the target is, e.g. 'hello-c50 req/s vs granian >= 1.0x'."""
        if self.figure == "p99":
            return f"{self.scenario} p99 below {self.baseline}'s"
        if self.baseline is None:
            return f"{self.scenario} req/s >= {format_rps(self.bound)}"
        return f"{self.scenario} req/s vs {self.baseline} >= {self.bound:.1f}x"

    def value(self, figures: WrkFigures | PairSummary) -> float | None:
        """Return this target's figure from one run's figures or from a pair's medians."""
        if isinstance(figures, PairSummary):
            return figures.p99_median_ms if self.figure == "p99" else figures.rps_median
        return figures.p99_ms if self.figure == "p99" else figures.requests_per_second

    def met(self, mine: float, theirs: float | None) -> bool:
        """Tell whether tapster's figure ``mine`` meets the target against ``theirs``."""
        if self.figure == "p99":
            return theirs is not None and mine < theirs
        if self.baseline is None:
            return mine >= self.bound
        return theirs is not None and theirs > 0 and mine / theirs >= self.bound


TARGETS: tuple[Target, ...] = (
    Target("hello-c50", "req/s", "granian", 1.0),
    Target("hello-c50", "req/s", "waitress", 4.0),
    Target("close-c50", "req/s", "waitress", 2.0),
    Target("slow-c50", "req/s", None, 900),
    *(Target(scenario.name, "p99", "waitress") for scenario in SCENARIOS),
)


def rounds_met(target: Target, results: Sequence[RunResult]) -> tuple[int, int]:
    """Count the rounds in which the target was met, out of those that measured it.

    Servers of a scenario run next to each other within a round, so a per-round comparison
    sees the machine in about the same state on both sides.
    """
    by_round: dict[int, dict[str, WrkFigures]] = {}
    for result in results:
        if result.scenario == target.scenario and result.figures is not None:
            by_round.setdefault(result.round, {})[result.server] = result.figures
    met = judged = 0
    for servers in by_round.values():
        mine = servers.get(TARGET_SERVER)
        if mine is None or target.value(mine) is None:
            continue
        theirs = None
        if target.baseline is not None:
            if target.baseline not in servers or target.value(servers[target.baseline]) is None:
                continue
            theirs = target.value(servers[target.baseline])
        mine_value = target.value(mine)
        assert mine_value is not None  # checked above
        judged += 1
        met += target.met(mine_value, theirs)
    return met, judged


def judge_target(
    target: Target,
    summaries: dict[tuple[str, str], PairSummary],
    results: Sequence[RunResult],
) -> str:
    """Return the report line for one target: met or not met, with the figures behind it."""
    mine = summaries.get((TARGET_SERVER, target.scenario))
    theirs = summaries.get((target.baseline, target.scenario)) if target.baseline else None
    mine_value = target.value(mine) if mine else None
    theirs_value = target.value(theirs) if theirs else None
    if mine_value is None or (target.baseline is not None and theirs_value is None):
        missing = TARGET_SERVER if mine_value is None else target.baseline
        return f"- {target.describe()}: **not judged**: no figures for {missing}"
    verdict = "met" if target.met(mine_value, theirs_value) else "not met"
    met, judged = rounds_met(target, results)
    if target.figure == "p99":
        figures = f"{format_ms(mine_value)} vs {format_ms(theirs_value)}"
    elif target.baseline is None:
        figures = f"{format_rps(mine_value)} req/s"
    else:
        assert mine is not None and theirs is not None  # both values are known
        figures = (
            f"{ratio(mine_value, theirs_value)} ({format_rps(mine_value)} vs "
            f"{format_rps(theirs_value or 0)} req/s; server CPU "
            f"{format_us(mine.cpu_us_per_request_median)} vs "
            f"{format_us(theirs.cpu_us_per_request_median)} µs/req)"
        )
    return f"- {target.describe()}: **{verdict}**: {figures}; met in {met} of {judged} rounds"


def render_targets(
    summaries: dict[tuple[str, str], PairSummary],
    results: Sequence[RunResult],
    servers: Sequence[Server],
    scenarios: Sequence[Scenario],
) -> list[str]:
    """Render the targets section; targets this run could not cover are left out."""
    names = {server.name for server in servers}
    chosen = {scenario.name for scenario in scenarios}
    targets = [
        target
        for target in TARGETS
        if target.scenario in chosen and (target.baseline is None or target.baseline in names)
    ]
    if TARGET_SERVER not in names or not targets:
        return []
    lines = [
        "### Targets",
        "",
        f"{TARGET_SERVER}'s goals, judged from the medians in the Results tables below (ratios "
        "are ratios of medians); "
        "'met in k of n rounds' compares the servers round by round, as a check on how firm "
        "the verdict is.",
        "",
    ]
    lines += [judge_target(target, summaries, results) for target in targets]
    left_out = len(TARGETS) - len(targets)
    if left_out:
        lines += ["", f"{left_out} targets left out: their scenario or baseline was not run."]
    return [*lines, ""]


# --- rendering ---------------------------------------------------------------------------------


def render_scenario(
    scenario: Scenario,
    summaries: dict[tuple[str, str], PairSummary],
    servers: Sequence[Server],
    rounds: int,
) -> list[str]:
    """Render one scenario's table of medians, with a line per failed round below it."""
    taking = [server for server in servers if server.supports(scenario)]
    if not taking:
        return []
    waitress = summaries.get(("waitress", scenario.name))
    granian = summaries.get(("granian", scenario.name))
    lines = [
        f"#### {scenario.name}",
        "",
        scenario.description + ".",
        "",
        "| server | req/s | req/s min-max | p99 | server CPU µs/req | errors "
        "| vs waitress | vs granian |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    failures: list[str] = []
    for server in taking:
        summary = summaries.get((server.name, scenario.name))
        if summary is None:
            lines.append(f"| {server.name} | not measured (see above) | | | | | | |")
            continue
        failures += [f"- {server.name}, {shown(note)}" for note in summary.notes]
        if summary.rps_median is None or summary.rps_min is None or summary.rps_max is None:
            lines.append(f"| {server.name} | failed (below) | | | | | | |")
            continue
        spread = f"{format_compact(summary.rps_min)}-{format_compact(summary.rps_max)}"
        if summary.measured < rounds:
            spread += f" ({summary.measured} of {rounds} rounds)"
        lines.append(
            f"| {server.name} | {format_rps(summary.rps_median)} | {spread} "
            f"| {format_ms(summary.p99_median_ms)} "
            f"| {format_us(summary.cpu_us_per_request_median)} "
            f"| {format_errors(summary.errors, summary.error_kinds)} "
            f"| {ratio(summary.rps_median, waitress.rps_median if waitress else None)} "
            f"| {ratio(summary.rps_median, granian.rps_median if granian else None)} |"
        )
    if failures:
        lines += ["", "Failed rounds:", "", *failures]
    return [*lines, ""]


def render_report(
    results: list[RunResult],
    facts: dict[str, str],
    command: str,
    started: dt.datetime,
    seconds: int,
    rounds: int,
    servers: Sequence[Server],
    scenarios: Sequence[Scenario],
    setup_notes: list[str],
) -> str:
    """Render the servers section of docs/benchmarks.md from the results of one harness run."""
    summaries = summarize(results)
    plural = "s" if rounds != 1 else ""
    lines = [
        "## WSGI servers under load (`bench/run.py`)",
        "",
        f"Produced on {started:%Y-%m-%d %H:%M} UTC by `{command}` "
        f"({rounds} round{plural} of every server and scenario, {seconds} s measured per run "
        f"after a {WARMUP_SECONDS} s warm-up; the tables give medians over the rounds). "
        "Generated: rerun the command rather than editing this section.",
        "",
    ]
    not_run: dict[str, str] = {}
    for result in results:
        if result.status == "skipped" and result.server not in not_run:
            not_run[result.server] = result.note
    if not_run or setup_notes:
        lines += ["### Not measured", ""]
        for name, note in not_run.items():
            if "No module named 'tapster" in note:
                note += " (tapster's server is not in this checkout yet)"
            lines.append(f"- **{name}**: not measured: {shown(note)}")
        for note in setup_notes:
            lines.append(f"- set-up: {shown(note)}")
        lines.append("")
    lines += ["### Machine", "", "| | |", "| --- | --- |"]
    lines += [f"| {key} | {value} |" for key, value in facts.items()]
    lines += ["", "### Servers", "", "| server | settings | command |", "| --- | --- | --- |"]
    for server in servers:
        template = shown(shlex.join(server.command(APP_PLACEHOLDER, "PORT")))
        lines.append(f"| {server.name} | {server.settings} | `{template}` |")
    lines += [""]
    lines += render_targets(summaries, results, servers, scenarios)
    lines += ["### Results", ""]
    for scenario in scenarios:
        lines += render_scenario(scenario, summaries, servers, rounds)
    lines += [
        "### Notes",
        "",
        f"- **Rounds.** Every (server, scenario) pair runs {rounds} time{plural}. A round "
        "runs every scenario once, and within a scenario every server one after another, "
        "so the servers compared in a table meet the machine in about the same state; the "
        "servers' order rotates by one place each round, so none is always first; and a "
        "pair's rounds lie a whole round apart, so that a slow spell of the shared machine "
        "spoils at most one of them. 'req/s' and 'p99' are medians over the rounds, 'req/s "
        "min-max' the lowest and highest run, 'errors' the sum over the rounds. Every round's "
        "figures and wrk output are in `bench/results/`.",
        "- **Noise.** The machine is a two-core virtual machine shared with other jobs: single "
        "3-10 s runs of the same server have differed by 30-50 %. Trust a req/s difference "
        "only when the min-max ranges do not overlap, or when the rounds agree ('met in k of "
        "n rounds' under Targets).",
        "- **Server CPU µs/req** is the CPU time (user + system) of the server's whole process "
        "tree during the measured run (master, workers and all their threads, read from "
        "`/proc/PID/stat` of every live process descending from the server or in its "
        "session, just before wrk starts and just after it ends, reaped children included), "
        "divided by the requests wrk counted; the median over the rounds. Time that other "
        "jobs take from the server's core is not charged to the server, and it shows a "
        "server's cost even where req/s is bound by something other than the server's CPU, "
        "but contention still raises it (colder caches, fewer requests handled per wake-up), "
        "so it is not free of noise either. "
        "Kernel work for loopback traffic (softirq) is charged to whichever process is "
        "running, partly to wrk, so compare it between servers rather than read it as an "
        "absolute cost.",
        f"- **Pinning.** Every server runs under `taskset -c {facts_cpu(facts, 0)}` and wrk "
        f"under `taskset -c {facts_cpu(facts, 1)}`, so each server gets exactly one core "
        "(all its processes and threads: gunicorn's master and worker, granian's Rust "
        "threads, every thread pool) and the load generator never competes with it. The "
        "figures compare what each server does with one core; scaling over cores with "
        "several workers is not measured here.",
        f"- **wrk** runs with `-t {WRK_MAX_THREADS}` (it has one core; `-t 2` measured no "
        "better), `--timeout "
        f"{WRK_TIMEOUT}` and `--latency`. p99 is wrk's 99th percentile of request latency; "
        "wrk keeps a fixed number of requests in flight, so latencies under overload are "
        "understated (coordinated omission). 'errors' are wrk's socket errors (connect, "
        "read, write, timeout) plus non-2xx/3xx responses. On this machine wrk on one core "
        "saturates at about 115,000 req/s (nginx `return 200`, measured for "
        "`shared/reference/README.md`), so figures near that are wrk's limit, not the "
        "server's.",
        "- **Each run** starts a fresh server on a free port of 127.0.0.1, waits until it "
        "accepts connections, sends one request with `http.client` and checks status and "
        f"body, loads it for {WARMUP_SECONDS} s with the same connections (not counted), "
        "sends the check request again and waits for its answer (so that a server that "
        "serves one connection at a time has worked off the warm-up's backlog), "
        "measures, then stops it (SIGTERM to its process group, SIGKILL after "
        f"{STOP_TIMEOUT:.0f} s).",
        "- **Ratios** are the median req/s divided by waitress's and granian's median req/s "
        "in the same scenario: waitress stands for the usual pure-Python production server, "
        "granian (Rust) for the fast end.",
        "- **prototype-pool** is `shared/reference/io_loop_prototype.py` in pool mode with 64 "
        "threads: a measuring prototype of the I/O loop alone, with no limits, timeouts or "
        "chunked bodies. It is a ceiling for a pure-Python design, not a competitor, and "
        "runs only the hello and 50 ms scenarios.",
        "- **gunicorn-gthread** uses `-k gthread --threads 64`, gunicorn's threaded worker "
        "with a pool the size of the prototype's; gunicorn-sync handles one request at a "
        "time and closes the connection after each (its sync worker has no keep-alive).",
        "- **Peers** are installed into `.venv-bench/` (never dependencies of tapster); raw "
        "wrk output of every run is in `bench/results/` (not committed).",
        "",
    ]
    return "\n".join(lines)


def facts_cpu(facts: dict[str, str], index: int) -> str:
    """Return the server (0) or wrk (1) CPU number from the pinning fact."""
    numbers = re.findall(r"CPU (\d+)", facts.get("pinning", ""))
    return numbers[index] if len(numbers) > index else str(index)


def save_raw(
    results: list[RunResult],
    facts: dict[str, str],
    command: str,
    started: dt.datetime,
    seconds: int,
    rounds: int,
) -> Path:
    """Write everything about this harness run to bench/results/<timestamp>.json.

    ``runs`` holds every round of every pair in the order they ran, with wrk's whole output;
    ``pairs`` the medians the report shows.
    """
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{started:%Y%m%d-%H%M%S}.json"
    payload = {
        "started": started.isoformat(),
        "command": command,
        "seconds": seconds,
        "rounds": rounds,
        "machine": facts,
        "runs": [
            {**asdict(result), "cpu_us_per_request": result.cpu_us_per_request}
            for result in results
        ],
        "pairs": [asdict(summary) for summary in summarize(results).values()],
    }
    path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return path


# --- main --------------------------------------------------------------------------------------


def parse_names(text: str | None, known: dict[str, object], what: str) -> list[str]:
    """Split a comma list of names, checking each; None or empty means all of them."""
    if not text:
        return list(known)
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def plan_runs(
    servers: Sequence[Server], scenarios: Sequence[Scenario], rounds: int
) -> list[tuple[int, Server, Scenario]]:
    """Return every run as (round, server, scenario), in the order to run them.

    Rounds are outermost, so a pair's runs are a whole round apart and a slow spell of the
    shared machine hits at most one of them. Within a round the scenarios follow one another
    and each scenario's servers run back to back, so that the servers a table compares see
    about the same machine. The servers' order rotates by one place per round, so that none
    is always the first (or the last) of its scenario.
    """
    plan: list[tuple[int, Server, Scenario]] = []
    for round_index in range(rounds):
        for scenario in scenarios:
            taking = [server for server in servers if server.supports(scenario)]
            if not taking:
                continue
            shift = round_index % len(taking)
            for server in taking[shift:] + taking[:shift]:
                plan.append((round_index + 1, server, scenario))
    return plan


def interrupt_on_sigterm(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM into KeyboardInterrupt so that every running server is stopped."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and write the report; return the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_DURATION} s per run")
    parser.add_argument(
        "--rounds",
        type=int,
        default=DEFAULT_ROUNDS,
        help=f"runs of every server and scenario, reported as medians (default {DEFAULT_ROUNDS})",
    )
    parser.add_argument("--servers", help=f"comma list (default all): {','.join(SERVERS_BY_NAME)}")
    parser.add_argument(
        "--scenarios", help=f"comma list (default all): {','.join(SCENARIOS_BY_NAME)}"
    )
    parser.add_argument("--duration", type=int, help="seconds per measured run (overrides)")
    args = parser.parse_args(arguments)
    seconds = args.duration or (QUICK_DURATION if args.quick else DEFAULT_DURATION)
    if not 1 <= seconds <= 120:
        raise SystemExit("--duration must be between 1 and 120 seconds")
    if not 1 <= args.rounds <= MAX_ROUNDS:
        raise SystemExit(f"--rounds must be between 1 and {MAX_ROUNDS}")
    servers = [SERVERS_BY_NAME[n] for n in parse_names(args.servers, SERVERS_BY_NAME, "server")]
    scenarios = [
        SCENARIOS_BY_NAME[n] for n in parse_names(args.scenarios, SCENARIOS_BY_NAME, "scenario")
    ]
    command = shlex.join(["python", "bench/run.py", *arguments])
    started = dt.datetime.now(dt.timezone.utc)
    signal.signal(signal.SIGTERM, interrupt_on_sigterm)

    setup_notes = ensure_environment()
    cpus = pick_cpus()
    facts = machine_facts(*cpus)
    plan = plan_runs(servers, scenarios, args.rounds)
    estimate = len(plan) * (seconds + WARMUP_SECONDS + RUN_OVERHEAD_SECONDS)
    log(f"{len(plan)} runs of {seconds} s ({args.rounds} rounds), about {estimate / 60:.0f} min")

    results: list[RunResult] = []
    skipped: dict[str, str] = {}
    began = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="tapster-bench-") as work:
            for number, (round_number, server, scenario) in enumerate(plan, 1):
                elapsed = time.monotonic() - began
                label = (
                    f"[{number}/{len(plan)} {elapsed / 60:.0f} min] round {round_number} "
                    f"{scenario.name} {server.name}"
                )
                reason = skipped.get(server.name) or server.unavailable()
                if reason:
                    skipped[server.name] = reason
                    results.append(
                        RunResult(server.name, scenario.name, round_number, "skipped", reason)
                    )
                    log(f"{label}: skipped ({reason})")
                    continue
                try:
                    result = measure(server, scenario, round_number, seconds, cpus, Path(work))
                except ServerStartError as error:
                    skipped[server.name] = f"its command failed to start: {error}"
                    result = RunResult(
                        server.name, scenario.name, round_number, "skipped", skipped[server.name]
                    )
                results.append(result)
                if result.figures:
                    figures = result.figures
                    log(
                        f"{label}: {format_rps(figures.requests_per_second)} req/s, "
                        f"p99 {format_ms(figures.p99_ms)}, "
                        f"CPU {format_us(result.cpu_us_per_request)} µs/req "
                        f"({result.server_processes} processes), errors {wrk_errors(figures)}"
                    )
                else:
                    log(f"{label}: {result.status} ({result.note})")
    except KeyboardInterrupt:
        path = save_raw(results, facts, command + "  # interrupted", started, seconds, args.rounds)
        log(f"interrupted; servers stopped; partial results in {path}")
        return 130
    path = save_raw(results, facts, command, started, seconds, args.rounds)
    report = render_report(
        results, facts, command, started, seconds, args.rounds, servers, scenarios, setup_notes
    )
    write_section(SECTION, report, DOC_PATH)
    redraw(log)
    elapsed = time.monotonic() - began
    log(
        f"wrote {DOC_PATH.relative_to(REPO_ROOT)} and {path.relative_to(REPO_ROOT)} "
        f"after {elapsed / 60:.1f} min of runs"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
