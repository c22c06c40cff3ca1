"""Draw the charts of docs/benchmarks.md from the results the bench scripts keep.

Usage::

    python bench/charts.py [--results DIR] [--out DIR]

It reads the newest ``bench/results/<timestamp>.json`` written by ``bench/run.py`` (the
servers under load: median requests/s and p99 of every server and scenario) and the newest
``bench/results/framework-<timestamp>.json`` written by ``bench/framework.py`` (tapster's
framework against Flask), and writes PNGs into ``docs/images/``:

- ``bench-servers-rps.png``: requests per second, a group of bars per scenario;
- ``bench-servers-p99.png``: the 99th percentile latency, grouped the same way;
- ``bench-framework.png``: calls per second of the same app on tapster and on Flask.

A framework run from before ``bench/framework.py`` kept JSON is read from its table in
docs/benchmarks.md instead. ``bench/run.py`` and ``bench/framework.py`` call ``redraw()`` when
they finish. matplotlib is a bench-only dependency (the ``bench`` extra, installed into
``.venv-bench`` by ``bench/run.py``); it is imported only to draw, so the rest of this module
(and its tests) run without it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO_ROOT / "bench" / "results"
IMAGES_DIR = REPO_ROOT / "docs" / "images"
DOC_PATH = REPO_ROOT / "docs" / "benchmarks.md"
BENCH_PYTHON = REPO_ROOT / ".venv-bench" / "bin" / "python"

SERVERS_RPS = "bench-servers-rps.png"
SERVERS_P99 = "bench-servers-p99.png"
FRAMEWORK = "bench-framework.png"

SERVERS_FILE = re.compile(r"^\d{8}-\d{6}\.json$")
FRAMEWORK_FILE = re.compile(r"^framework-\d{8}-\d{6}\.json$")

TAPSTER_COLOUR = "#d9480f"
"""tapster's bars stand out; the peers share a quiet palette."""
PEER_COLOURS = ("#4c6ef5", "#74c0fc", "#868e96", "#adb5bd", "#94d82d", "#b197fc", "#ffd43b")


# --- reading results (standard library only) -----------------------------------------------


def newest(results_dir: Path, pattern: re.Pattern[str]) -> Path | None:
    """The newest file of ``results_dir`` whose name matches (names sort by their timestamp)."""
    if not results_dir.is_dir():
        return None
    names = sorted(path.name for path in results_dir.iterdir() if pattern.match(path.name))
    return results_dir / names[-1] if names else None


def load_servers(path: Path) -> dict[str, Any]:
    """The medians of a ``bench/run.py`` run: scenarios and servers in run order, and
    ``rps[scenario][server]`` and ``p99[scenario][server]`` (milliseconds), None when absent."""
    payload = json.loads(path.read_text(encoding="utf-8"))
    scenarios: list[str] = []
    servers: list[str] = []
    rps: dict[str, dict[str, float | None]] = {}
    p99: dict[str, dict[str, float | None]] = {}
    for pair in payload["pairs"]:
        scenario, server = pair["scenario"], pair["server"]
        if not pair.get("measured"):
            continue
        if scenario not in scenarios:
            scenarios.append(scenario)
        if server not in servers:
            servers.append(server)
        rps.setdefault(scenario, {})[server] = pair.get("rps_median")
        p99.setdefault(scenario, {})[server] = pair.get("p99_median_ms")
    return {
        "source": path.name,
        "started": payload.get("started", ""),
        "command": payload.get("command", "python bench/run.py"),
        "rounds": payload.get("rounds"),
        "scenarios": scenarios,
        "servers": servers,
        "rps": rps,
        "p99": p99,
    }


def load_framework(path: Path) -> dict[str, Any]:
    """The medians of a ``bench/framework.py`` run, as it saved them."""
    return json.loads(path.read_text(encoding="utf-8"))


def framework_from_doc(doc: Path = DOC_PATH) -> dict[str, Any] | None:
    """The in-process table of the ``framework`` section of docs/benchmarks.md, for a run that
    predates the framework's JSON; None when the section or its table is missing."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else ""
    section = re.search(r"<!-- section:framework -->(.*?)<!-- /section:framework -->", text, re.S)
    if not section:
        return None
    body = section.group(1)
    command = re.search(r"Command: `([^`]+)`", body)
    # The in-process table comes first; the one over the server (same shape) after it.
    table = body.split("In-process", 1)[-1].split("Over tapster's server", 1)[0]
    in_process: dict[str, dict[str, float]] = {"tapster": {}, "flask": {}}
    for row in re.finditer(r"^\| ([\w-]+) \| ([\d,.]+) \| ([\d,.]+) \| [\d.]+x \|.*$", table, re.M):
        in_process["tapster"][row.group(1)] = float(row.group(2).replace(",", ""))
        in_process["flask"][row.group(1)] = float(row.group(3).replace(",", ""))
    if not in_process["tapster"]:
        return None
    return {
        "command": command.group(1) if command else "python bench/framework.py",
        "source": "docs/benchmarks.md",
        "in_process": in_process,
        "served": None,
    }


# --- drawing (matplotlib) --------------------------------------------------------------------


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure: Any, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    # No "Software" stamp: the same figures give the same file.
    figure.savefig(path, dpi=100, metadata={"Software": None})
    return path


def grouped_bars(
    values: dict[str, dict[str, float | None]],
    groups: list[str],
    series: list[str],
    title: str,
    ylabel: str,
    path: Path,
    colours: dict[str, str],
    log: bool = True,
) -> Path:
    """One group of bars per item of ``groups``, one bar per item of ``series`` in each."""
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(11, 5.2))
    width = 0.8 / len(series)
    for index, name in enumerate(series):
        positions, heights = [], []
        for group_index, group in enumerate(groups):
            value = values.get(group, {}).get(name)
            if value is not None:
                positions.append(group_index + (index - (len(series) - 1) / 2) * width)
                heights.append(value)
        axes.bar(positions, heights, width, label=name, color=colours[name],
                 edgecolor="white", linewidth=0.5)
    axes.set_xticks(range(len(groups)), groups)
    axes.set_ylabel(ylabel)
    axes.set_title(title, fontsize=11)
    if log:
        axes.set_yscale("log")
    axes.grid(axis="y", which="both", alpha=0.3)
    axes.set_axisbelow(True)
    axes.legend(ncol=len(series), fontsize=9, frameon=False, loc="upper center",
                bbox_to_anchor=(0.5, -0.07))
    figure.tight_layout()
    path = _save(figure, path)
    plt.close(figure)
    return path


def server_colours(servers: list[str]) -> dict[str, str]:
    """tapster in its colour, the others from the palette in order."""
    peers = iter(PEER_COLOURS * 2)
    return {name: TAPSTER_COLOUR if name == "tapster" else next(peers) for name in servers}


def draw_servers(servers: dict[str, Any], out_dir: Path) -> list[Path]:
    """The requests/s chart, and the p99 chart when the run measured p99."""
    when = servers["started"][:16].replace("T", " ")
    source = f"`{servers['command']}`, {when} UTC, medians of {servers['rounds']} rounds"
    colours = server_colours(servers["servers"])
    drawn = [
        grouped_bars(servers["rps"], servers["scenarios"], servers["servers"],
                     f"Requests per second (higher is better; log scale)\n{source}",
                     "requests/s", out_dir / SERVERS_RPS, colours)
    ]
    if any(value is not None for row in servers["p99"].values() for value in row.values()):
        drawn.append(
            grouped_bars(servers["p99"], servers["scenarios"], servers["servers"],
                         f"p99 latency (lower is better; log scale)\n{source}",
                         "p99 latency, ms", out_dir / SERVERS_P99, colours)
        )
    return drawn


def draw_framework(framework: dict[str, Any], out_dir: Path) -> Path:
    """tapster's framework against Flask: in-process, and over tapster's server when measured."""
    plt = _pyplot()
    parts = [("in-process: calls/s", framework["in_process"])]
    if framework.get("served"):
        parts.append(("over tapster serve: requests/s", framework["served"]))
    figure, all_axes = plt.subplots(1, len(parts), figsize=(5.5 * len(parts), 4.4), squeeze=False)
    for axes, (label, figures) in zip(all_axes[0], parts, strict=True):
        scenarios = list(figures["tapster"])
        for offset, (name, colour) in ((-0.2, ("tapster", TAPSTER_COLOUR)),
                                       (0.2, ("Flask", PEER_COLOURS[2]))):
            heights = [figures[name.lower()][scenario] for scenario in scenarios]
            axes.bar([i + offset for i in range(len(scenarios))], heights, 0.4, label=name,
                     color=colour)
        for i, scenario in enumerate(scenarios):
            ratio = figures["tapster"][scenario] / figures["flask"][scenario]
            axes.annotate(f"{ratio:.2f}x", (i - 0.2, figures["tapster"][scenario]),
                          ha="center", va="bottom", fontsize=9)
        axes.set_xticks(range(len(scenarios)), scenarios)
        axes.set_title(label, fontsize=10)
        axes.grid(axis="y", alpha=0.3)
        axes.set_axisbelow(True)
        axes.margins(y=0.12)
        axes.legend(fontsize=9, frameon=False)
    figure.suptitle("tapster's framework against Flask, same app (higher is better)\n"
                    f"`{framework['command']}`", fontsize=9)
    figure.tight_layout()
    path = _save(figure, out_dir / FRAMEWORK)
    plt.close(figure)
    return path


def draw_all(results_dir: Path = RESULTS_DIR, out_dir: Path = IMAGES_DIR) -> list[Path]:
    """Draw every chart there are results for; return the files written."""
    drawn: list[Path] = []
    servers_file = newest(results_dir, SERVERS_FILE)
    if servers_file is not None:
        drawn += draw_servers(load_servers(servers_file), out_dir)
    framework_file = newest(results_dir, FRAMEWORK_FILE)
    framework = load_framework(framework_file) if framework_file else framework_from_doc()
    if framework is not None:
        drawn.append(draw_framework(framework, out_dir))
    return drawn


def redraw(log: Any = print) -> None:
    """Draw the charts from the bench scripts, under whichever Python has matplotlib: this
    one, else ``.venv-bench``'s; say how to when neither has it. Never fails the caller."""
    for python in (Path(sys.executable), BENCH_PYTHON):
        if not python.exists():
            continue
        has_it = subprocess.run([str(python), "-c", "import matplotlib"], capture_output=True,
                                check=False)
        if has_it.returncode == 0:
            done = subprocess.run([str(python), str(Path(__file__))], capture_output=True,
                                  text=True, check=False, cwd=REPO_ROOT)
            log((done.stdout + done.stderr).strip() or "charts: nothing drawn")
            return
    log("charts not drawn: matplotlib is missing (pip install -e '.[bench]', then "
        "python bench/charts.py)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR,
                        help="folder of the bench scripts' JSON (default bench/results)")
    parser.add_argument("--out", type=Path, default=IMAGES_DIR,
                        help="folder to write the PNGs into (default docs/images)")
    options = parser.parse_args(argv)
    drawn = draw_all(options.results, options.out)
    for path in drawn:
        print(f"charts: wrote {path}")
    if not drawn:
        print(f"charts: no results in {options.results}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
