"""Statistics of interleaved rounds: per-round ratios, their median and their spread.

Every verdict of the benchmarks is the median of per-round figures (a ratio of two
implementations measured in the same round, so slow drift of a shared machine cancels), and
its spread is the interquartile range of those figures (printed with the full range). With
fewer than :data:`QUARTILE_ROUNDS` rounds the quartiles sit barely off the median, so the spread
is the full range instead. A figure is *beyond its spread* from a limit when the whole spread
lies on one side of it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

MIN_ROUNDS = 3
"""A timed verdict needs at least this many rounds (a median of two is an average)."""
QUARTILE_ROUNDS = 5
"""From this many rounds on, the spread a verdict is judged by is the interquartile range."""


@dataclass(frozen=True)
class Spread:
    """Median, quartiles and range of per-round figures."""

    median: float
    q1: float
    q3: float
    low: float
    high: float
    n: int

    @property
    def iqr(self) -> tuple[float, float]:
        return (self.q1, self.q3)

    @property
    def band(self) -> tuple[float, float]:
        """The spread a verdict is judged by: the interquartile range, or the full range with
        fewer than :data:`QUARTILE_ROUNDS` rounds."""
        return self.iqr if self.n >= QUARTILE_ROUNDS else (self.low, self.high)

    @property
    def band_name(self) -> str:
        return "interquartile range" if self.n >= QUARTILE_ROUNDS else "range"

    def text(self, digits: int = 2) -> str:
        """``1.81 (IQR 1.72-1.90, range 1.60-2.05, 8 rounds)``; one value is just the value."""
        f = f"{{:.{digits}f}}"
        if self.n == 1 or self.low == self.high:
            rounds = "" if self.n == 1 else f" (all {self.n} rounds)"
            return f.format(self.median) + rounds
        return (
            f"{f.format(self.median)} (IQR {f.format(self.q1)}-{f.format(self.q3)}, "
            f"range {f.format(self.low)}-{f.format(self.high)}, {self.n} rounds)"
        )


def spread(values: Sequence[float]) -> Spread:
    """The :class:`Spread` of ``values`` (quartiles by the inclusive method: for 3 values
    the quartiles are midway between the middle one and each end)."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        raise ValueError("no finite values")
    ordered = sorted(finite)
    if len(ordered) == 1:
        q1 = q3 = ordered[0]
    else:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return Spread(
        median=statistics.median(ordered),
        q1=q1,
        q3=q3,
        low=ordered[0],
        high=ordered[-1],
        n=len(ordered),
    )


def from_range(median: float, low: float, high: float, n: int) -> Spread:
    """A spread known only by its median and range (a module that reports just those): the
    range stands in for the interquartile range."""
    return Spread(median=median, q1=low, q3=high, low=low, high=high, n=n)


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Round-by-round ratios of two implementations measured in the same rounds.

    Rounds pair by index (round *i* of one with round *i* of the other); a round where either
    side measured nothing (0 or NaN) is left out rather than turned into an infinite ratio.
    """
    if len(numerators) != len(denominators):
        raise ValueError(f"rounds differ: {len(numerators)} vs {len(denominators)}")
    return [
        a / b
        for a, b in zip(numerators, denominators, strict=True)
        if math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0
    ]
