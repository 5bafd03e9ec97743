"""Forum-update pack timings on the real data. Prints a table of medians; never used as a test.

    .venv/bin/python bench/report.py [--store FILE | --source ../shared/data] [--runs 5] [--area Bath] [--month 2021-09]

Without --store a store is built from --source into a temporary folder first (not timed).
Figures:
- pack, whole: ``report.build_pack`` + ``render_pdf`` + ``numbers_csv`` from a cold pack each run
  (what ``areaprofile report --out FILE.pdf --csv FILE.csv`` does after start-up);
- of which, numbers: ``build_pack`` alone (queries, knowledge base, summary);
- of which, charts: the trend chart and the map drawn as SVG;
- HTML only: ``build_pack`` + ``render_html`` (still lays the page out once to choose the density);
- CLI, whole process: ``python -m areaprofile report ... --out FILE.pdf`` including start-up;
and the PDF's size, its density step and page count.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from areaprofile import query, report  # noqa: E402
from areaprofile.store import build  # noqa: E402


def timed(function, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        out.append(time.perf_counter() - started)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--source", type=Path,
                        default=Path(os.environ.get("AREAPROFILE_SHARED_DATA", ROOT.parent / "shared" / "data")))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--area", default="Bath", help="Bath has the most concerns: the largest pack")
    parser.add_argument("--month", default="2021-09")
    args = parser.parse_args(argv)
    runs = max(1, args.runs)

    with tempfile.TemporaryDirectory() as tmp:
        store_path = args.store
        if store_path is None:
            store_path = Path(tmp) / "bench.duckdb"
            print(f"building a store from {args.source} ...", file=sys.stderr, flush=True)
            build([args.source], store_path)
        store = query.open_store(store_path)
        report.trend_svg(report.build_pack(store, args.area, args.month))  # warm: imports, font cache

        def whole():
            pack = report.build_pack(store, args.area, args.month)
            whole.pdf = report.render_pdf(pack)
            report.numbers_csv(pack)
            whole.pack = pack

        whole_times = timed(whole, runs)
        numbers = timed(lambda: report.build_pack(store, args.area, args.month), runs)
        pack = whole.pack
        charts = timed(lambda: (report.trend_svg(pack), report.map_svg(pack)), runs)
        html_times = timed(lambda: report.render_html(report.build_pack(store, args.area, args.month)), runs)
        out = Path(tmp) / "pack.pdf"
        cli = timed(lambda: subprocess.run(
            [sys.executable, "-m", "areaprofile", "report", "--area", args.area, "--month", args.month,
             "--out", str(out), "--store", str(store_path)], check=True, capture_output=True, cwd=ROOT), runs)
        density, _document = report._fit(pack)
        csv_text = report.numbers_csv(pack)
        html = report.render_html(pack)

        rows = [
            ("pack, whole (numbers + charts + layout + PDF + CSV)", f"{statistics.median(whole_times):.2f} s"),
            ("  of which numbers (build_pack)", f"{statistics.median(numbers) * 1000:.0f} ms"),
            ("  of which charts (trend + map SVG)", f"{statistics.median(charts) * 1000:.0f} ms"),
            ("HTML only (build_pack + render_html)", f"{statistics.median(html_times):.2f} s"),
            ("CLI report --out FILE.pdf, whole process", f"{statistics.median(cli):.2f} s"),
            ("PDF size", f"{len(whole.pdf) / 1024:.0f} KiB"),
            ("HTML size (images inline)", f"{len(html.encode()) / 1024:.0f} KiB"),
            ("CSV rows", f"{csv_text.count(chr(10)) - 1:,}"),
            ("density step / pages", f"{density} / {report.page_count(pack)}"),
        ]
    width = max(len(name) for name, _ in rows)
    print(f"Forum-update pack: {args.area}, {args.month}; median of {runs} run(s)")
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
