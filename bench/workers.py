"""Prefork workers under load: one process against two workers, how connections spread, and
what a SIGHUP reload costs; written to the ``workers`` section of docs/benchmarks.md.

Usage::

    python bench/workers.py [--quick] [--rounds N] [--duration S] [--no-write]

For each configuration (one process; two workers on one shared socket; two workers with
``--reuse-port``) and each round, the script starts ``tapster serve bench.apps:hello`` from
this checkout on a free port of 127.0.0.1, warms it up, runs ``wrk`` against it while reading
every worker's CPU time from /proc (the share of CPU each worker used is how evenly the kernel
spread the connections), and stops it. Then, with two workers, it runs ``wrk --latency`` once
more and sends SIGHUP a third of the way in: the latency and errors of that run, against the
same run without a reload, are what a reload costs.

Nothing is pinned: with two workers on this two-core machine, wrk competes with the server for
the cores, and the report says so next to the figures. Standard library only; load is only
ever sent to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

try:
    from bench.run import parse_wrk
    from bench.sections import write_section
except ModuleNotFoundError:  # run as a script (python bench/workers.py): bench/ is on the path
    from run import parse_wrk  # type: ignore[no-redef]
    from sections import write_section  # type: ignore[no-redef]

REPO_ROOT = Path(__file__).resolve().parent.parent
SECTION = "workers"
APP = "bench.apps:hello"
#: wrk's load: 50 keep-alive connections on 2 threads, as bench/run.py.
CONNECTIONS = 50
WRK_THREADS = 2
WARM_UP_SECONDS = 1
DEFAULT_DURATION = 10
QUICK_DURATION = 3
DEFAULT_ROUNDS = 3

#: (name, extra ``tapster serve`` options).
CONFIGURATIONS: list[tuple[str, list[str]]] = [
    ("1 process (--workers 1)", []),
    ("2 workers, shared socket", ["--workers", "2"]),
    ("2 workers, --reuse-port", ["--workers", "2", "--reuse-port"]),
]
HUP_CONFIGURATION = CONFIGURATIONS[1]

_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")
_READY = re.compile(r"Worker (\d+) ready")
_STOPPED = re.compile(r"Worker (\d+) stopped")
_LATENCY = re.compile(r"^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def to_ms(text: str) -> float:
    """wrk's '1.23ms' or '456.00us' in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)([a-z]+)", text).groups()  # type: ignore[union-attr]
    return float(number) * _UNIT_MS[unit]


class Server:
    """A ``tapster serve`` child process of this checkout; its stderr is collected."""

    def __init__(self, options: list[str], workers: int) -> None:
        env = dict(os.environ, PYTHONPATH=f"{REPO_ROOT / 'src'}{os.pathsep}{REPO_ROOT}")
        command = [sys.executable, "-m", "tapster", "serve", APP,
                   "--bind", "127.0.0.1:0", *options]
        self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, text=True,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.port = int(self.wait_for(_LISTENING, 1).group(1))
        if options:
            self.wait_for(_READY, workers)

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, pattern: re.Pattern[str], count: int, timeout: float = 20.0) -> re.Match:
        """The ``count``-th line matching ``pattern``, waiting up to ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in map(pattern.search, list(self.lines)) if m]
            if len(found) >= count:
                return found[count - 1]
            if self.process.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"server: no {pattern.pattern!r} x{count}:\n" + "\n".join(self.lines))

    def workers(self) -> list[int]:
        """The worker processes (the process itself when it has none)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return [int(child) for child in children] or [pid]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._reader.join(5)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of one process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(port: int, seconds: float) -> list[str]:
    """The wrk command for ``seconds`` against ``port``."""
    return ["wrk", f"-t{WRK_THREADS}", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--latency",
            f"http://127.0.0.1:{port}/"]


@dataclass
class Run:
    """One measured wrk run."""

    rps: float
    p99_ms: float | None
    max_ms: float
    errors: int
    #: Each worker's share of the server's CPU time, largest first.
    cpu_shares: list[float] = field(default_factory=list)
    #: Seconds from SIGHUP until the last old worker stopped (reload runs only).
    reload_seconds: float | None = None


def measure(options: list[str], workers: int, seconds: float, hup: bool = False) -> Run:
    """Start a server, warm it up, measure it with wrk (sending SIGHUP a third in), stop it."""
    server = Server(options, workers)
    try:
        subprocess.run(wrk(server.port, WARM_UP_SECONDS), capture_output=True, check=True)
        pids = server.workers()
        before = {pid: cpu_seconds(pid) for pid in pids}
        load = subprocess.Popen(wrk(server.port, seconds), stdout=subprocess.PIPE, text=True)
        reload_seconds = None
        if hup:
            time.sleep(seconds / 3)
            signalled = time.monotonic()
            server.process.send_signal(signal.SIGHUP)
            server.wait_for(_STOPPED, workers, timeout=seconds)
            reload_seconds = time.monotonic() - signalled
        else:
            time.sleep(seconds * 0.9)
            used = {pid: cpu_seconds(pid) - before[pid] for pid in pids}
        output, _ = load.communicate(timeout=seconds + 30)
    finally:
        server.stop()
    figures = parse_wrk(output)
    latency = _LATENCY.search(output)
    shares = []
    if not hup:
        total = sum(used.values()) or 1.0
        shares = sorted((value / total for value in used.values()), reverse=True)
    return Run(figures.requests_per_second, figures.p99_ms,
               to_ms(latency.group(3)) if latency else 0.0, figures.error_count,
               shares, reload_seconds)


def report(
    results: dict[str, list[Run]], reloads: list[Run], rounds: int, seconds: float, load: float
) -> str:
    """The ``workers`` section of docs/benchmarks.md."""
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Prefork workers (`bench/workers.py`)",
        "",
        f"Produced on {now} by `python bench/workers.py` ({rounds} round{'s' * (rounds > 1)}, "
        f"{seconds:g} s "
        f"measured per run after a {WARM_UP_SECONDS} s warm-up; medians over the rounds). "
        f"`tapster serve {APP}`, wrk with {CONNECTIONS} keep-alive connections on "
        f"{WRK_THREADS} threads. **Nothing is pinned: this machine has {os.cpu_count()} "
        "cores, and wrk competes with the workers for them**, so the ratio here is no clean "
        "measure of how workers scale, in either direction; on a machine with cores to spare "
        "for the load generator the ratio is the one to watch. "
        f"The 1-minute load average before the run was {load:.2f} (other "
        "work on the machine, if above 0, skews every figure).",
        "",
        "| configuration | req/s | vs 1 process | p99 ms | errors | CPU share of each worker |",
        "|---|--:|--:|--:|--:|---|",
    ]
    base = statistics.median(run.rps for run in results[CONFIGURATIONS[0][0]])
    for name, _ in CONFIGURATIONS:
        runs = results[name]
        rps = statistics.median(run.rps for run in runs)
        p99s = [run.p99_ms for run in runs if run.p99_ms is not None]
        p99 = f"{statistics.median(p99s):.2f}" if p99s else "—"
        width = max(len(run.cpu_shares) for run in runs)
        shares = [statistics.median(run.cpu_shares[i] for run in runs) for i in range(width)]
        shown = " / ".join(f"{share:.0%}" for share in shares) if width > 1 else "—"
        lines.append(f"| {name} | {rps:,.0f} | {rps / base:.2f}x | {p99} | "
                     f"{sum(run.errors for run in runs)} | {shown} |")
    steady = results[HUP_CONFIGURATION[0]]
    lines += [
        "",
        f"A SIGHUP reload under the same load ({HUP_CONFIGURATION[0]}; new workers import the "
        "application, then the old ones stop gracefully):",
        "",
        "| run | req/s | p99 ms | max ms | errors | HUP to last old worker stopped |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    for name, runs in (("no reload", steady), ("SIGHUP a third of the way in", reloads)):
        p99s = [run.p99_ms for run in runs if run.p99_ms is not None]
        took = [run.reload_seconds for run in runs if run.reload_seconds is not None]
        lines.append(
            f"| {name} | {statistics.median(run.rps for run in runs):,.0f} | "
            f"{statistics.median(p99s):.2f} | "
            f"{statistics.median(run.max_ms for run in runs):.1f} | "
            f"{sum(run.errors for run in runs)} | "
            f"{f'{statistics.median(took):.2f} s' if took else '—'} |")
    lines += [
        "",
        "The CPU share says how evenly the connections were spread: wrk opens its 50 "
        "connections at once, and whichever worker is woken first accepts what is queued. "
        "See docs/server.md, how connections spread.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; write its section unless ``--no-write``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 3 s")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--duration", type=float, default=None)
    parser.add_argument("--no-write", action="store_true", help="print, do not write the doc")
    options = parser.parse_args(argv)
    rounds = options.rounds or (1 if options.quick else DEFAULT_ROUNDS)
    seconds = options.duration or (QUICK_DURATION if options.quick else DEFAULT_DURATION)
    load = os.getloadavg()[0]
    results: dict[str, list[Run]] = {name: [] for name, _ in CONFIGURATIONS}
    reloads: list[Run] = []
    for round_number in range(1, rounds + 1):
        for name, extra in CONFIGURATIONS:  # interleaved: a noisy moment hits every config
            workers = 2 if extra else 1
            run = measure(extra, workers, seconds)
            results[name].append(run)
            print(f"round {round_number}: {name}: {run.rps:,.0f} req/s, shares "
                  f"{[f'{s:.0%}' for s in run.cpu_shares]}", file=sys.stderr)
        run = measure(HUP_CONFIGURATION[1], 2, seconds, hup=True)
        reloads.append(run)
        print(f"round {round_number}: reload: {run.rps:,.0f} req/s, max {run.max_ms:.1f} ms, "
              f"{run.errors} errors", file=sys.stderr)
    text = report(results, reloads, rounds, seconds, load)
    if options.no_write:
        print(text)
    else:
        write_section(SECTION, text)
        print(f"wrote the {SECTION!r} section of docs/benchmarks.md", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
