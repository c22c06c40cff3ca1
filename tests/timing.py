"""Comparing two timings on a busy machine: the bound of the complexity tests.

A bound in seconds depends on the machine, so a complexity test times hostile
input against plain input and bounds the ratio. Even a ratio can be broken by
a busy moment that slows one side only, so the two sides are timed in turns
(each the best of several runs), and a comparison that fails is measured
again, up to ``ATTEMPTS`` times: a quadratic parser is hundreds of times slower
at the sizes these tests use, every time, while noise does not repeat.
"""

from __future__ import annotations

import time
from collections.abc import Callable

#: How many times a failed comparison is measured before the test fails.
ATTEMPTS = 3


def timed(action: Callable[[], object], number: int) -> float:
    """Seconds that ``number`` calls of ``action`` take."""
    start = time.perf_counter()
    for _ in range(number):
        action()
    return time.perf_counter() - start


def assert_within_ratio(cheap: Callable[[], object], costly: Callable[[], object], *,
                        ratio: float, slack: float = 0.0, repeat: int = 7,
                        number: int = 3) -> None:
    """``costly`` takes less than ``ratio`` times as long as ``cheap``, plus ``slack`` seconds.

    Each side's time is its best of ``repeat`` runs of ``number`` calls, the
    sides timed in turns; a failed comparison is measured again.
    """
    for _ in range(ATTEMPTS):
        cheap_best = costly_best = float("inf")
        for _ in range(repeat):
            cheap_best = min(cheap_best, timed(cheap, number))
            costly_best = min(costly_best, timed(costly, number))
        if costly_best < ratio * cheap_best + slack:
            return
    raise AssertionError(f"{costly_best:.6f}s against {cheap_best:.6f}s: over {ratio}x")
