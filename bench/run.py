"""areaprofile benchmarks on the real data. Prints a table of medians; never used as a test.

    .venv/bin/python bench/run.py [--source ../shared/data] [--runs 5] [--quick]

--quick runs each figure once on one month (the CI smoke run that keeps this from rotting).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from areaprofile import query  # noqa: E402
from areaprofile.store import build  # noqa: E402


def timed(function, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        out.append(time.perf_counter() - started)
    return out


def one_month_source(source: Path, workdir: Path, month: str = "2021-09") -> Path:
    """A source folder with the reference files and a single month (for --quick)."""
    target = workdir / "one-month"
    for name in ("boundaries", "population", "lookups"):
        shutil.copytree(source / name, target / name)
    month_dir = next((source / "police_uk").rglob(month))
    shutil.copytree(month_dir, target / "police_uk" / month)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, default=Path(os.environ.get("AREAPROFILE_SHARED_DATA", ROOT.parent / "shared" / "data")))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    rows: list[tuple[str, str, str]] = []

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        source = one_month_source(args.source, workdir) if args.quick else args.source
        store_path = workdir / "bench.duckdb"
        raw_files = list((source / "police_uk").rglob("*-street.csv*"))
        build_times = timed(lambda: build([source], store_path, fresh=True), runs)
        store = query.open_store(store_path)
        total_rows = query.total(store)
        in_files = int(store.scalar("SELECT SUM(rows_in_file) FROM files"))
        median_build = statistics.median(build_times)
        rows.append(("build (fresh, all months)", f"{median_build:.2f} s",
                     f"{len(raw_files)} force-wide files, {in_files:,} rows read ({in_files / median_build:,.0f} rows/s), {total_rows:,} kept; target <= 10 s"))

        query.counts(store, "area,month,crime_type")  # warm
        warm = timed(lambda: query.counts(store, "area,month,crime_type"), max(runs, 20))
        rows.append(("counts query, warm (area,month,crime_type)", f"{statistics.median(warm) * 1000:.1f} ms", "in-process; target <= 100 ms"))
        filtered = timed(lambda: query.counts(store, "month", start="2020-10", end="2021-09", area="Keynsham", crime_types=["Burglary"]), max(runs, 20))
        rows.append(("counts query, warm (filtered, by month)", f"{statistics.median(filtered) * 1000:.1f} ms", "in-process"))
        cli = timed(lambda: subprocess.run([sys.executable, "-m", "areaprofile", "counts", "--by", "area", "--store", str(store_path)],
                                           check=True, capture_output=True), runs)
        rows.append(("counts CLI, whole process", f"{statistics.median(cli) * 1000:.0f} ms", "includes Python start-up and imports"))
        rows.append(("store size", f"{store_path.stat().st_size / 1e6:.1f} MB", "DuckDB file"))

    width = max(len(r[0]) for r in rows)
    print(f"{'figure'.ljust(width)}  {'median':>10}  notes")
    for name, value, note in rows:
        print(f"{name.ljust(width)}  {value:>10}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
