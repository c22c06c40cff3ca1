"""bench/charts.py reads what the bench scripts keep, and draws it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bench import charts


def pair(server: str, scenario: str, rps: float, p99: float | None) -> dict:
    return {"server": server, "scenario": scenario, "rounds": 3, "measured": 3,
            "rps_median": rps, "p99_median_ms": p99}


def write_run(folder: Path, name: str, pairs: list[dict]) -> Path:
    path = folder / name
    path.write_text(json.dumps({"started": "2026-11-24T15:57:20+00:00", "rounds": 3,
                                "command": "python bench/run.py", "pairs": pairs}))
    return path


def test_the_newest_run_of_each_script_is_read(tmp_path):
    write_run(tmp_path, "20261124-143244.json", [])
    write_run(tmp_path, "20261124-155720.json", [])
    (tmp_path / "framework-20261125-000000.json").write_text("{}")
    assert charts.newest(tmp_path, charts.SERVERS_FILE).name == "20261124-155720.json"
    assert charts.newest(tmp_path, charts.FRAMEWORK_FILE).name == "framework-20261125-000000.json"
    assert charts.newest(tmp_path / "missing", charts.SERVERS_FILE) is None


def test_servers_results_give_rps_and_p99_per_server_and_scenario(tmp_path):
    skipped = {**pair("granian", "hello-c1", 0, None), "measured": 0, "rps_median": None}
    path = write_run(tmp_path, "20261124-155720.json", [
        pair("tapster", "hello-c1", 8350.0, 0.22), pair("waitress", "hello-c1", 5971.0, 0.87),
        pair("tapster", "slow-c50", 979.0, 53.4), skipped,
    ])
    servers = charts.load_servers(path)
    assert servers["scenarios"] == ["hello-c1", "slow-c50"]
    assert servers["servers"] == ["tapster", "waitress"]
    assert servers["rps"]["hello-c1"] == {"tapster": 8350.0, "waitress": 5971.0}
    assert servers["p99"]["slow-c50"] == {"tapster": 53.4}


def test_a_framework_run_without_json_is_read_from_its_section():
    framework = charts.framework_from_doc()
    assert framework is not None
    assert framework["command"].startswith("python bench/framework.py")
    scenarios = ["hello", "user-json", "echo-json", "not-found", "async-hello"]
    assert list(framework["in_process"]["tapster"]) == scenarios
    assert all(value > 0 for value in framework["in_process"]["flask"].values())


def test_charts_are_drawn(tmp_path):
    pytest.importorskip("matplotlib")
    results = tmp_path / "results"
    results.mkdir()
    write_run(results, "20261124-155720.json", [
        pair("tapster", "hello-c1", 8350.0, 0.22), pair("waitress", "hello-c1", 5971.0, None),
    ])
    (results / "framework-20261124-170000.json").write_text(json.dumps({
        "command": "python bench/framework.py",
        "in_process": {"tapster": {"hello": 3.0}, "flask": {"hello": 1.0}},
        "served": {"tapster": {"hello": 2.0}, "flask": {"hello": 1.0}},
    }))
    drawn = charts.draw_all(results, tmp_path / "images")
    names = [path.name for path in drawn]
    assert names == [charts.SERVERS_RPS, charts.SERVERS_P99, charts.FRAMEWORK]
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in drawn)
