"""bench/workers.py: its report, from made-up runs (the real ones need wrk and a quiet machine)."""

from __future__ import annotations

from bench.workers import CONFIGURATIONS, Run, report, to_ms


def test_report_gives_ratio_spread_and_reload_cost():
    results = {
        CONFIGURATIONS[0][0]: [Run(10_000, 2.0, 9.0, 0, [1.0])],
        CONFIGURATIONS[1][0]: [Run(15_000, 3.0, 12.0, 0, [0.6, 0.4])],
        CONFIGURATIONS[2][0]: [Run(18_000, 2.5, 10.0, 0, [0.5, 0.5])],
    }
    reloads = [Run(14_000, 4.0, 20.0, 0, [], reload_seconds=1.25)]
    text = report(results, reloads, rounds=1, seconds=3, load=0.5)
    assert "(1 round, 3 s measured" in text
    assert "| 2 workers, shared socket | 15,000 | 1.50x | 3.00 | 0 | 60% / 40% |" in text
    assert "| 2 workers, --reuse-port | 18,000 | 1.80x |" in text
    assert "| SIGHUP a third of the way in | 14,000 | 4.00 | 20.0 | 0 | 1.25 s |" in text
    assert "wrk competes with the workers" in text
    assert "The 1-minute load average before the run was 0.50 (other" in text


def test_wrk_latency_units():
    assert to_ms("456.00us") == 0.456
    assert to_ms("1.50ms") == 1.5
    assert to_ms("2.00s") == 2000.0
