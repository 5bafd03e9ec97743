"""Forum-update pack timings on the real data. Prints a table of medians; never used as a test.

    .venv/bin/python bench/report.py [--store FILE | --source ../shared/data] [--runs 5] [--area Bath] [--month 2021-09]

Without --store a store is built from --source into a temporary folder first (not timed).
``timings(store, runs)`` returns the same rows for bench/run.py. Figures:
- pack, whole: ``report.build_pack`` + ``render_pdf`` + ``numbers_csv`` from a cold pack each run
  (what ``areaprofile report --out FILE.pdf --csv FILE.csv`` does after start-up);
- of which, numbers: ``build_pack`` alone (queries, knowledge base, summary);
- of which, charts: the trend chart and the map drawn as SVG;
- HTML only: ``build_pack`` + ``render_html`` (still lays the page out to choose the density);
- CLI, whole process: ``python -m areaprofile report ... --out FILE.pdf`` including start-up;
and the PDF's size, its density step and page count.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import open_or_build, store_arguments, timed  # noqa: E402

from areaprofile import report  # noqa: E402


def timings(store, runs: int = 5, area: str = "Bath", month: str = "2021-09") -> list[list[str]]:
    """[[figure, value, notes], ...] for the pack on an open store (bench/run.py calls this)."""
    runs = max(1, runs)
    report.trend_svg(report.build_pack(store, area, month))  # warm: imports, font cache
    made = {}

    def whole():
        pack = report.build_pack(store, area, month)
        made["pdf"] = report.render_pdf(pack)
        report.numbers_csv(pack)
        made["pack"] = pack

    whole_times = timed(whole, runs)
    numbers = timed(lambda: report.build_pack(store, area, month), runs)
    pack = made["pack"]
    charts = timed(lambda: (report.trend_svg(pack), report.map_svg(pack)), runs)
    html_times = timed(lambda: report.render_html(report.build_pack(store, area, month)), runs)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "pack.pdf"
        cli = timed(lambda: subprocess.run(
            [sys.executable, "-m", "areaprofile", "report", "--area", area, "--month", month,
             "--out", str(out), "--store", str(store.path)], check=True, capture_output=True, cwd=ROOT), runs)
    density, _document = report._fit(pack)
    csv_rows = report.numbers_csv(pack).count("\n") - 1
    html = report.render_html(pack)
    where = f"{area}, {month}; median of {runs}"
    return [
        ["pack, whole (numbers + charts + layout + PDF + CSV)", f"{statistics.median(whole_times):.2f} s", where],
        ["  of which numbers (build_pack)", f"{statistics.median(numbers) * 1000:.0f} ms", ""],
        ["  of which charts (trend + map SVG)", f"{statistics.median(charts) * 1000:.0f} ms", ""],
        ["HTML only (build_pack + render_html)", f"{statistics.median(html_times):.2f} s", "lays the page out to choose its density"],
        ["CLI report --out FILE.pdf, whole process", f"{statistics.median(cli):.2f} s", "start-up and imports included"],
        ["PDF size", f"{len(made['pdf']) / 1024:.0f} KiB", f"{report.page_count(pack)} page(s), density step {density}"],
        ["HTML size (images inline)", f"{len(html.encode()) / 1024:.0f} KiB", ""],
        ["CSV rows", f"{csv_rows:,}", "every number in the pack, plus one row per snap point"],
    ]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store_arguments(parser)
    parser.add_argument("--area", default="Bath", help="Bath has the most concerns: the largest pack")
    parser.add_argument("--month", default="2021-09")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        rows = timings(open_or_build(args, tmp), args.runs, args.area, args.month)
    width = max(len(figure) for figure, _value, _notes in rows)
    print(f"Forum-update pack: {args.area}, {args.month}; median of {max(1, args.runs)} run(s)")
    for figure, value, notes in rows:
        print(f"  {figure:<{width}}  {value:>9}  {notes}".rstrip())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
