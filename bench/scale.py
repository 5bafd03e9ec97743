"""Scale: the same build and counts queries at 1x, 10x and 100x a partnership's volume.

The partnership's boundaries cannot hold more places, so the volume grows inside them: for each
real month a synthetic street file is written (into a temporary folder, never committed) that
keeps every real row of the LA and adds the rest of the Avon and Somerset rows relabelled to the
LA's LSOAs, then further copies of those rows, until the month holds ``factor`` times its real
rows. ``--la`` picks the partnership (default B&NES; E06000023 is Bristol).

- Relabelling is round-robin: each other LSOA in the month's file is given one of the B&NES
  LSOA codes seen in that same month (so the code vintage, 2011 or 2021, matches the file) and
  its name; every point is moved by (target LSOA's centre - source LSOA's centre), both taken
  from the month's own points, so it lands in or near its new LSOA and gets a B&NES ward.
- Copies beyond the first get a distinct Crime ID (blank IDs, as for ASB, stay blank).
- Rows without a location are kept once, as in the real file (the build counts and drops them).

Then ``areaprofile build`` runs on those files exactly as on real ones, each time in a fresh
process whose peak resident memory (VmHWM, DuckDB's buffers included) is the build's peak, and
the counts queries of bench/run.py run on the store. Run alone:

    .venv/bin/python bench/scale.py [--factors 1,10,100] [--runs 3] [--la E06000022,E06000023] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.csv as pacsv  # noqa: E402

from areaprofile import partnership, query  # noqa: E402
from areaprofile.partnership import default_la_code  # noqa: E402
from areaprofile.sources.police_uk import STREET_COLUMNS, find_street_files, read_bytes  # noqa: E402
from areaprofile.store import build  # noqa: E402

REFERENCE_FOLDERS = ("boundaries", "population", "lookups")


@dataclass
class ScaleResult:
    factor: int
    files: int
    rows_in_files: int
    rows_kept: int
    csv_bytes: int
    write_seconds: float
    build_seconds: list[float]
    store_bytes: int
    counts_ms: dict[str, float]
    peak_rss_mb: float | None = None
    la_name: str = ""
    cpu_seconds: float | None = None

    @property
    def build_median(self) -> float:
        return statistics.median(self.build_seconds)


def la_codes(store: query.Store) -> set[str]:
    """The LA's LSOA codes, 2011 and 2021 (the codes a build keeps)."""
    return set(store.sql("SELECT code FROM lsoa")["code"]) | set(store.sql("SELECT code FROM lsoa11")["code"])


def _read_month(path) -> pd.DataFrame:
    frame = pacsv.read_csv(
        pa.BufferReader(read_bytes(path)),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in STREET_COLUMNS},
                                             strings_can_be_null=False),
    ).to_pandas()
    return frame


def scaled_month(frame: pd.DataFrame, codes: set[str], factor: int) -> pd.DataFrame:
    """One month's rows at ``factor`` times its B&NES volume (see the module text)."""
    located = frame["LSOA code"] != ""
    in_banes = frame["LSOA code"].isin(codes)
    banes = frame[in_banes]
    target = factor * len(banes)
    if factor == 1 or len(banes) == 0:
        return frame
    # Relabel just enough of the other forces' located rows; the rest stay outside B&NES, as read.
    others = frame[located & ~in_banes].iloc[: target - len(banes)]

    lon = pd.to_numeric(frame["Longitude"], errors="coerce")
    lat = pd.to_numeric(frame["Latitude"], errors="coerce")
    centres = pd.DataFrame({"code": frame["LSOA code"], "lon": lon, "lat": lat})[located].groupby("code").mean()
    targets = sorted(banes["LSOA code"].unique())
    names = banes.drop_duplicates("LSOA code").set_index("LSOA code")["LSOA name"]
    sources = sorted(frame.loc[located & ~in_banes, "LSOA code"].unique())
    mapping = {code: targets[i % len(targets)] for i, code in enumerate(sources)}

    old_code = others["LSOA code"]
    new_code = old_code.map(mapping)
    shift_lon = np.nan_to_num(new_code.map(centres["lon"]).to_numpy() - old_code.map(centres["lon"]).to_numpy())
    shift_lat = np.nan_to_num(new_code.map(centres["lat"]).to_numpy() - old_code.map(centres["lat"]).to_numpy())
    out = frame.copy()
    out.loc[others.index, "Longitude"] = _fmt_coord(lon[others.index].to_numpy() + shift_lon)
    out.loc[others.index, "Latitude"] = _fmt_coord(lat[others.index].to_numpy() + shift_lat)
    out.loc[others.index, "LSOA code"] = new_code.to_numpy()
    out.loc[others.index, "LSOA name"] = new_code.map(names).to_numpy()

    pool = out[out["LSOA code"].isin(codes)]  # every row that now lands in B&NES
    parts = [out]
    have = len(pool)
    copy = 1
    while have < target:
        take = pool.iloc[: target - have].copy()
        ids = take["Crime ID"]
        take["Crime ID"] = ids.where(ids == "", ids.str.slice(0, 56) + f"{copy:08x}")
        parts.append(take)
        have += len(take)
        copy += 1
    return pd.concat(parts, ignore_index=True)


def _fmt_coord(values: np.ndarray) -> np.ndarray:
    return np.array([f"{v:.6f}" if np.isfinite(v) else "" for v in values], dtype=object)


def write_scaled_source(source: Path, target: Path, codes: set[str], factor: int) -> tuple[int, int]:
    """A shared/data-style folder at ``target`` with the months of ``source`` scaled; (files, bytes).

    A folder already written whole for the same factor and codes (its ``WRITTEN`` record, kept
    with ``--keep``) is used as it is: 100x Bristol is 6.0 GB of CSV, minutes to write.
    """
    record = target / "WRITTEN"
    wanted = f"{factor} {len(codes)} {min(codes, default='')} {max(codes, default='')}"
    if record.exists() and record.read_text().split("\n")[0] == wanted:
        files, total_bytes = record.read_text().split("\n")[1].split()
        return int(files), int(total_bytes)
    for name in REFERENCE_FOLDERS:
        if (source / name).exists() and not (target / name).exists():
            shutil.copytree(source / name, target / name)
    files = sorted(find_street_files(source), key=lambda f: f.key)
    total_bytes = 0
    for street_file in files:
        out_dir = target / "police_uk" / street_file.force / street_file.month
        out_dir.mkdir(parents=True, exist_ok=True)
        out_path = out_dir / f"{street_file.month}-{street_file.force}-street.csv"
        if factor == 1:
            out_path = out_path.with_suffix(".csv.gz")
            shutil.copy2(street_file.path, out_path)
        else:
            frame = scaled_month(_read_month(street_file), codes, factor)
            table = pa.Table.from_pandas(frame[list(STREET_COLUMNS)], preserve_index=False)
            pacsv.write_csv(table, str(out_path))
        total_bytes += out_path.stat().st_size
    record.write_text(f"{wanted}\n{len(files)} {total_bytes}\n")
    return len(files), total_bytes


#: The counts timed on each store; ``area=FIRST_AREA`` is the partnership's first area (any partnership).
FIRST_AREA = object()
COUNT_QUERIES = {
    "area,month,crime_type": dict(by="area,month,crime_type"),
    "filtered by month": dict(by="month", start="2020-10", end="2021-09", area=FIRST_AREA, crime_types=["Burglary"]),
    "lsoa, last 3 months": dict(by="lsoa", start="2021-07", end="2021-09"),
}


def time_counts(store: query.Store, runs: int) -> dict[str, float]:
    out = {}
    for name, spec in COUNT_QUERIES.items():
        spec = dict(spec)
        by = spec.pop("by")
        if spec.get("area") is FIRST_AREA:
            spec["area"] = query.area_names(store)[0]
        query.counts(store, by, **spec)  # warm
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            query.counts(store, by, **spec)
            times.append(time.perf_counter() - started)
        out[name] = statistics.median(times) * 1000
    return out


def run_factor(source: Path, workdir: Path, codes: set[str], factor: int, runs: int, la_code: str = "",
               la_name: str = "", keep: bool = False) -> ScaleResult:
    """Write the scaled files, build (``runs`` times, each in a fresh process), time counts."""
    scaled = workdir / f"x{factor}"
    started = time.perf_counter()
    files, csv_bytes = write_scaled_source(source, scaled, codes, factor)
    write_seconds = time.perf_counter() - started
    store_path = workdir / f"x{factor}.duckdb"
    builds = []
    cpus = []
    peak = None
    for _ in range(runs):
        seconds, rss, cpu = build_in_child(scaled, store_path, la_code)
        builds.append(seconds)
        cpus.append(cpu)
        peak = max(peak or 0.0, rss)
    store = query.open_store(store_path)
    rows_kept = query.total(store)
    rows_in_files = int(store.scalar("SELECT SUM(rows_in_file) FROM files"))
    counts_ms = time_counts(store, max(runs, 10))
    # Let the store's memory go before the next, larger one (query keeps open stores by path).
    getattr(query, "_open_stores", {}).pop(str(store_path.resolve()), None)
    try:
        store.con.close()
    except Exception:
        pass
    if not keep:
        shutil.rmtree(scaled, ignore_errors=True)
    return ScaleResult(factor, files, rows_in_files, rows_kept, csv_bytes, write_seconds, builds,
                       store_path.stat().st_size, counts_ms, peak, la_name, statistics.median(cpus))


def build_in_child(source: Path, store_path: Path, la_code: str = "") -> tuple[float, float, float]:
    """``areaprofile build --fresh`` in a fresh process: (seconds, peak resident MB, CPU seconds of that process).

    A fresh process per build, so memory from one build does not carry into the next and the
    child's peak is the build's own, DuckDB's buffers and threads included.
    """
    import subprocess

    result = subprocess.run(
        [sys.executable, "-c", _BUILD_CHILD, str(source), str(store_path), la_code],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"the build failed: {(result.stderr or result.stdout).strip()[-500:]}")
    seconds, rss, cpu = result.stdout.strip().splitlines()[-1].split()[1:]
    return float(seconds), float(rss), float(cpu)


_BUILD_CHILD = """
import re, resource, sys, time
sys.path.insert(0, %r)
from areaprofile.cli import main
args = ["build", "--source", sys.argv[1], "--store", sys.argv[2], "--fresh"] + (["--la", sys.argv[3]] if sys.argv[3] else [])
started = time.perf_counter()
code = main(args)
seconds = time.perf_counter() - started
# VmHWM: this process's own peak resident set (ru_maxrss would include the parent's at fork).
peak_kb = int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1))
usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread's CPU time, DuckDB's included
print("BUILD", seconds, peak_kb / 1024, usage.ru_utime + usage.ru_stime)
sys.exit(code)
""" % str(ROOT)


def measure(source: Path, codes_store: Path, factors: list[int], runs: int, workdir: Path,
            log=print, keep: bool = False) -> list[ScaleResult]:
    """The scale figures for the partnership ``codes_store`` was built for (``keep``: leave the
    scaled files in ``workdir`` for the next run)."""
    store = query.open_store(codes_store)
    codes = la_codes(store)
    la_code = store.scalar("SELECT value FROM meta WHERE key = 'la_code'") or ""
    label = "" if la_code == default_la_code() else partnership.of_store(store).short_name
    results = []
    for factor in factors:
        log(f"scale: {label} {factor}x ...")
        results.append(run_factor(source, workdir, codes, factor, min(runs, 3) if factor < 100 else 1, la_code, label,
                                  keep))
        r = results[-1]
        log(f"scale: {label} {factor}x: {r.rows_kept:,} rows, build {r.build_median:.1f} s (CPU {r.cpu_seconds:.1f} s), "
            f"peak {r.peak_rss_mb:,.0f} MB, store {r.store_bytes / 1e6:.0f} MB")
    return results


def rows(results: list[ScaleResult]) -> list[tuple[str, str, str]]:
    """Table rows (figure, value, notes) for bench/run.py."""
    out = []
    base = results[0] if results else None
    for r in results:
        grow = f" ({r.build_median / base.build_median:.1f}x the 1x time)" if base and r is not base else ""
        scale = f"scale {r.la_name + ' ' if r.la_name else ''}{r.factor}x"
        out.append((f"{scale}: build", f"{r.build_median:.2f} s",
                    f"{r.rows_kept:,} rows kept of {r.rows_in_files:,} read from {r.files} files "
                    f"({r.csv_bytes / 1e6:,.0f} MB on disk), {r.rows_in_files / r.build_median:,.0f} rows/s, "
                    f"{r.csv_bytes / 1e6 / r.build_median:,.0f} MB/s{grow}; CPU {r.cpu_seconds:,.1f} s "
                    "(user + system, all threads: less moved by other work on the machine than the wall time)"))
        out.append((f"{scale}: build peak RSS", f"{r.peak_rss_mb:,.0f} MB",
                    "VmHWM of the build process (DuckDB included)"))
        out.append((f"{scale}: store size", f"{r.store_bytes / 1e6:.1f} MB",
                    f"{r.store_bytes / max(r.rows_kept, 1):.0f} bytes/row"))
        for name, ms in r.counts_ms.items():
            out.append((f"{scale}: counts ({name})", f"{ms:.1f} ms", "warm, in-process"))
    return out


def measure_partnerships(source: Path, partnerships: list[str | None], factors: list[int], runs: int, workdir: Path,
                         log=print, keep: bool = False) -> list[ScaleResult]:
    """The scale figures for each partnership (LA code; None = the default), one after another."""
    results = []
    for la_code in partnerships:
        folder = workdir / (la_code or "default")
        folder.mkdir(parents=True, exist_ok=True)
        base = folder / "codes.duckdb"
        build([source], base, la_code=la_code, fresh=True)
        results += measure(source, base, factors, runs, folder, log=log, keep=keep)
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path,
                        default=Path(os.environ.get("AREAPROFILE_SHARED_DATA", ROOT.parent / "shared" / "data")))
    parser.add_argument("--factors", default="1,10,100")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--la", default=None,
                        help="the partnership's LA code, or several separated by commas (default B&NES), "
                             "e.g. E06000022,E06000023 for B&NES and Bristol")
    parser.add_argument("--keep", type=Path, default=None,
                        help="keep the scaled files and stores in this folder; a later run with the same "
                             "folder reuses files already written")
    args = parser.parse_args(argv)
    factors = [int(f) for f in args.factors.split(",")]
    chosen = [code.strip() for code in args.la.split(",")] if args.la else [None]
    log = lambda m: print(f"{time.strftime('%H:%M:%S')} {m} (load {os.getloadavg()[0]:.1f})", file=sys.stderr)  # noqa: E731
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        results = measure_partnerships(args.source, chosen, factors, args.runs, args.keep, log=log, keep=True)
    else:
        with tempfile.TemporaryDirectory(prefix="areaprofile-scale-") as tmp:
            results = measure_partnerships(args.source, chosen, factors, args.runs, Path(tmp), log=log)
    table = rows(results)
    width = max(len(r[0]) for r in table)
    for name, value, note in table:
        print(f"{name.ljust(width)}  {value:>10}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
