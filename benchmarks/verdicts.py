"""Verdicts: a target's limit against a measured figure's median and spread.

A target is *met* when the median of its per-round figures is on the right side of the limit.
A miss is *within its spread* when the spread (``Spread.band``: the interquartile range, or the
full range with fewer than 5 rounds) still reaches the limit, so the machine's noise could
account for it, and *beyond its spread* when the whole spread misses: that is a regression, and
``python -m benchmarks --check`` exits non-zero for it. A figure that is not
timed (a request count) or that a benchmark measures once (a purge of 50,000 sessions) is
judged on its value.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .stats import MIN_ROUNDS, Spread, spread

Sources = Mapping[str, Any]
"""Source name (``benchmarks``, ``cross_sdk``, ``scale:sqlite``, ...) -> that module's JSON."""


@dataclass(frozen=True)
class Measured:
    """One figure a target is judged on (a target may have several: one per backend)."""

    label: str
    values: tuple[float, ...]
    """Per-round figures, or the single value of an untimed or one-off figure."""
    exact: bool = False
    """Judged on its value: a count, or a figure its benchmark measures once."""
    known: Spread | None = None
    """The spread, when the source reports only a median and a range (no per-round values)."""
    fails: str = ""
    """A condition that misses the target whatever the figure (e.g. items lost)."""
    note: str = ""


@dataclass(frozen=True)
class Target:
    """One row of the targets table (``benchmarks.targets.TARGETS``)."""

    key: str
    issue: str
    title: str
    source: str
    """The source it reads: a source name, or a prefix ending in ``:`` (``scale:``)."""
    limit: float
    higher_is_better: bool
    measure: Callable[[Sources], list[Measured]]
    unit: str = "x"
    waiver: str = ""
    """Why a miss is structural and expected (e.g. an emulator's cost): reported, and it fails
    ``--check`` only with ``--strict``."""

    @property
    def condition(self) -> str:
        sign = ">=" if self.higher_is_better else "<="
        return f"{sign} {self.limit:g}{self.unit}"

    def meets(self, value: float) -> bool:
        return value >= self.limit if self.higher_is_better else value <= self.limit


class Status(enum.Enum):
    MET = "met"
    WITHIN_SPREAD = "missed within spread"
    MISSED = "MISSED"
    WAIVED = "missed (waived)"
    TOO_FEW_ROUNDS = "too few rounds"
    NOT_MEASURED = "not measured"


@dataclass(frozen=True)
class Verdict:
    target: Target
    status: Status
    label: str = ""
    figure: Spread | None = None
    reason: str = ""

    @property
    def regression(self) -> bool:
        """A miss beyond the spread (waived ones count with ``strict`` only)."""
        return self.status is Status.MISSED

    def line(self) -> str:
        """One line: what, the figure, the limit, the status and why."""
        what = self.target.title + (f" [{self.label}]" if self.label else "")
        figure = "" if self.figure is None else f": {self.figure.text()}"
        why = f" ({self.reason})" if self.reason else ""
        return f"{self.status.value}: {what}{figure}, target {self.target.condition}{why}"


def judge(target: Target, measured: Measured) -> Verdict:
    """The verdict on one figure (see the module docstring)."""
    values = [v for v in measured.values if math.isfinite(v)]
    if measured.known is None and not values:
        return Verdict(target, Status.NOT_MEASURED, measured.label, reason="no rounds measured")
    figure = measured.known or spread(values)
    if measured.fails:
        return _missed(target, measured, figure, measured.fails)
    if not measured.exact and figure.n < MIN_ROUNDS:
        return Verdict(
            target,
            Status.TOO_FEW_ROUNDS,
            measured.label,
            figure,
            f"{figure.n} round(s); a verdict needs {MIN_ROUNDS}",
        )
    if target.meets(figure.median):
        return Verdict(target, Status.MET, measured.label, figure, measured.note)
    if measured.exact:
        return _missed(target, measured, figure, "a measured value, no spread")
    low, high = figure.band
    if target.meets(high if target.higher_is_better else low):
        reason = _join(f"the {figure.band_name} reaches {target.limit:g}", measured)
        return Verdict(target, Status.WITHIN_SPREAD, measured.label, figure, reason)
    side = "below" if target.higher_is_better else "above"
    reason = (
        f"beyond its spread: the {figure.band_name} {low:.2f}-{high:.2f} "
        f"is all {side} {target.limit:g}"
    )
    return _missed(target, measured, figure, reason)


def _missed(target: Target, measured: Measured, figure: Spread, reason: str) -> Verdict:
    if target.waiver:
        return Verdict(
            target, Status.WAIVED, measured.label, figure, f"{reason}; waived: {target.waiver}"
        )
    return Verdict(target, Status.MISSED, measured.label, figure, _join(reason, measured))


def _join(reason: str, measured: Measured) -> str:
    return f"{reason}; {measured.note}" if measured.note else reason


def sources_for(target: Target, sources: Sources) -> bool:
    """Whether any source the target reads is present."""
    if target.source.endswith(":"):
        return any(name.startswith(target.source) for name in sources)
    return target.source in sources


def evaluate(targets: Iterable[Target], sources: Sources) -> list[Verdict]:
    """Every target's verdicts over the sources at hand (absent ones: not measured)."""
    verdicts: list[Verdict] = []
    for target in targets:
        if not sources_for(target, sources):
            verdicts.append(Verdict(target, Status.NOT_MEASURED, reason=f"no {target.source} run"))
            continue
        try:
            measured = target.measure(sources)
        except (KeyError, TypeError, ValueError, ZeroDivisionError) as exc:
            reason = f"cannot read the {target.source} output: {type(exc).__name__}: {exc}"
            verdicts.append(Verdict(target, Status.NOT_MEASURED, reason=reason))
            continue
        if not measured:
            verdicts.append(Verdict(target, Status.NOT_MEASURED, reason="not in this run"))
        verdicts.extend(judge(target, m) for m in measured)
    return verdicts


def failures(verdicts: Iterable[Verdict], *, strict: bool = False) -> list[Verdict]:
    """The verdicts that fail ``--check``: misses beyond their spread (and waived misses when
    ``strict``)."""
    failing = {Status.MISSED, Status.WAIVED} if strict else {Status.MISSED}
    return [v for v in verdicts if v.status in failing]


def markdown(verdicts: Iterable[Verdict]) -> str:
    """The targets table of a report."""
    lines = [
        "| issue | target | measured | median (IQR, range) | status | why |",
        "|---|---|---|---|---|---|",
    ]
    for v in verdicts:
        status = v.status.value
        if v.status in (Status.MISSED, Status.WAIVED, Status.WITHIN_SPREAD):
            status = f"**{status}**"
        figure = "" if v.figure is None else v.figure.text()
        lines.append(
            f"| {v.target.issue} | {v.target.title} ({v.target.condition}) | {v.label} "
            f"| {figure} | {status} | {v.reason} |"
        )
    return "\n".join(lines)


_MET = {Status.MET: True, Status.WITHIN_SPREAD: False, Status.MISSED: False, Status.WAIVED: False}


def to_json(verdicts: Iterable[Verdict]) -> list[dict[str, Any]]:
    out = []
    for v in verdicts:
        s = v.figure
        out.append(
            {
                "key": v.target.key,
                "issue": v.target.issue,
                "target": v.target.title,
                "condition": v.target.condition,
                "measured": v.label,
                "status": v.status.value,
                "met": _MET.get(v.status),
                "median": None if s is None else round(s.median, 4),
                "iqr": None if s is None else [round(s.q1, 4), round(s.q3, 4)],
                "range": None if s is None else [round(s.low, 4), round(s.high, 4)],
                "rounds": None if s is None else s.n,
                "reason": v.reason,
            }
        )
    return out
