"""Draw docs/img/benchmark-ratios.png from benchmarks/RESULTS.md (the latest full run).

The benchmark's own ``--plot`` needs a full run; this reads the results table that run wrote
into RESULTS.md and draws it with the same ``benchmarks.report.write_plot``, so the docs'
plot always shows the numbers the page quotes. ``python docs/tools/plot_results.py [OUT.png]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.report import write_plot  # noqa: E402
from benchmarks.runner import Row  # noqa: E402

RESULTS = ROOT / "benchmarks" / "RESULTS.md"
OUT = ROOT / "docs" / "img" / "benchmark-ratios.png"
HEADER = "| workload | backend | implementation | ops/s |"


def _number(text: str) -> float | None:
    text = text.strip().replace(",", "")
    return float(text) if text else None


def rows(markdown: str) -> list[Row]:
    """Our rows of the first results table: workload, backend, name and the two ratios."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(HEADER))
    found: list[Row] = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        workload, backend, name = cells[0], cells[1], cells[2]
        if not name.startswith("**"):
            continue  # only ours are plotted, as by the benchmark's own --plot
        found.append(
            Row(
                implementation=name.strip("*"),
                backend=backend,
                workload=workload,
                role="ours",
                ops_per_s=_number(cells[3]),
                p50_ms=_number(cells[4]),
                p99_ms=_number(cells[5]),
                vs_sdk=_number(cells[8]),
                vs_floor=_number(cells[9]),
            )
        )
    return found


def main(out: Path = OUT) -> int:
    plotted = rows(RESULTS.read_text(encoding="utf-8"))
    if not write_plot(str(out), plotted):
        raise SystemExit(f"no rows with ratios in {RESULTS}")
    return len(plotted)


if __name__ == "__main__":
    print(main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT), "rows plotted")
