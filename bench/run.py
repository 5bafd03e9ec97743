"""areaprofile benchmarks on the real data: one command, one table of medians. Never a test.

    .venv/bin/python bench/run.py [--source ../shared/data] [--runs 5] [--quick]
                                  [--skip pages,browser,baseline,scale,others] [--scale-factors 1,10,100]
                                  [--scale-la E06000022,E06000023] [--store PATH]   (a built store: no build timed)

Figures, each beside its target (a floor to stay under, or a ratio to stay above):

- build of the 46 force-wide months (time, rows/s), counts query, counts CLI, store size;
- every page of app.py, server-side (AppTest), warm and cold: bench/pages.py;
- the naive baseline's pages and our speed-up over each: bench/baseline.py;
- on one fresh server (serve.py) in Chromium: spawn -> first map, load -> map, period change ->
  re-coloured, bytes on load and per change, the app's peak memory after every page and a PDF
  download: bench/browser.py;
- the map page's LSOA map (all of B&NES) as HTML bytes: bench/pages.py;
- hotspot computation and PDF pack time, from bench/hotspots.py and bench/report.py (written
  by others; 'n/a (not built yet)' while they are missing);
- 1x / 10x / 100x a partnership's volume (the bench store's, or each of --scale-la): build time,
  CPU, peak memory, store size, counts: bench/scale.py.

--quick runs everything once on one month (scale 1x and 10x of that month): the CI smoke run
that keeps the bench from rotting (tests/test_bench_smoke.py). Progress goes to stderr, the
table to stdout.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
for path in (str(ROOT), str(BENCH)):
    if path not in sys.path:
        sys.path.insert(0, path)

from common import timed  # noqa: E402

os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
os.environ.setdefault("STREAMLIT_BROWSER_GATHER_USAGE_STATS", "false")

from areaprofile import query  # noqa: E402
from areaprofile.store import build  # noqa: E402

NOT_BUILT = "n/a (not built yet)"
PAGE_TARGET_MS = 300
SPEEDUP_TARGET = 5.0
BASELINE_FOR = {  # our page -> the baseline page that produces the same output
    "area profile": "Area profile",
    "map (areas)": "Map",
    "map (LSOAs)": "Map",
    "compare areas": "Compare areas",
    "data & sources": "Data & sources",
}


@dataclass
class Row:
    figure: str
    value: str
    target: str = ""
    verdict: str = ""  # "meets" / "MISSES" / "" (no target)
    note: str = ""


def check(value: float | None, limit: float, at_least: bool = False) -> str:
    if value is None:
        return ""
    ok = value >= limit if at_least else value <= limit
    return "meets" if ok else "MISSES"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def one_month_source(source: Path, workdir: Path, month: str = "2021-09") -> Path:
    """A source folder with the reference files and a single month (for --quick)."""
    target = workdir / "one-month"
    for name in ("boundaries", "population", "lookups"):
        shutil.copytree(source / name, target / name)
    month_dir = next((source / "police_uk").rglob(month))
    shutil.copytree(month_dir, target / "police_uk" / month_dir.parent.name / month)
    return target


def _quiet_streamlit() -> None:
    import logging

    from streamlit import logger as st_logger

    st_logger.set_log_level("error")
    logging.getLogger("streamlit").setLevel(logging.ERROR)


# ---- the sections ------------------------------------------------------------------------------


def build_and_counts(source: Path, store_path: Path, runs: int) -> list[Row]:
    rows = []
    raw_files = list((source / "police_uk").rglob("*-street.csv*"))
    build_times = timed(lambda: build([source], store_path, fresh=True), runs)
    store = query.open_store(store_path)
    total_rows = query.total(store)
    in_files = int(store.scalar("SELECT SUM(rows_in_file) FROM files"))
    months = len(query.months(store))
    median_build = statistics.median(build_times)
    rows.append(Row(f"build ({len(raw_files)} force-wide months, fresh)", f"{median_build:.2f} s", "<= 10 s",
                    check(median_build, 10.0),
                    f"{in_files:,} rows read, {total_rows:,} B&NES rows kept, {months} months"))
    rows.append(Row("build throughput", f"{in_files / median_build / 1000:,.0f}k rows/s", "", "",
                    "force-wide rows read per second"))
    log(f"build {median_build:.2f} s")
    return rows + counts_rows(store_path, runs)


def counts_rows(store_path: Path, runs: int) -> list[Row]:
    rows = []
    store = query.open_store(store_path)
    query.counts(store, "area,month,crime_type")  # warm
    n = max(runs, 20)
    warm = statistics.median(timed(lambda: query.counts(store, "area,month,crime_type"), n)) * 1000
    rows.append(Row("counts query (area,month,crime_type)", f"{warm:.1f} ms", "<= 100 ms", check(warm, 100),
                    "warm, in-process"))
    filtered = statistics.median(timed(lambda: query.counts(store, "month", start="2020-10", end="2021-09", area="Keynsham",
                                                            crime_types=["Burglary"]), n)) * 1000
    rows.append(Row("counts query (filtered, by month)", f"{filtered:.1f} ms", "<= 100 ms", check(filtered, 100),
                    "Keynsham, burglary, 12 months"))
    cli = statistics.median(timed(lambda: subprocess.run(
        [sys.executable, "-m", "areaprofile", "counts", "--by", "area", "--store", str(store_path)],
        check=True, capture_output=True), runs))
    rows.append(Row("counts CLI, whole process", f"{cli * 1000:.0f} ms", "<= 400 ms", check(cli * 1000, 400),
                    f"`python -m areaprofile counts --by area`, Python start-up and imports included; median of {runs}"))
    rows.append(Row("store size", f"{store_path.stat().st_size / 1e6:.1f} MB", "", "", "one DuckDB file"))
    return rows


def page_rows(store_path: Path, runs: int, baseline: dict | None) -> tuple[list[Row], int | None]:
    import pages

    timings, map_bytes = pages.measure(store_path, runs, log=log)
    rows = []
    for name, t in timings.items():
        errors = f"; ERRORS: {t.errors[0][:120]}" if t.errors else ""
        rows.append(Row(f"page {name}, warm", f"{t.warm_median * 1000:.0f} ms", f"<= {PAGE_TARGET_MS} ms",
                        check(t.warm_median * 1000, PAGE_TARGET_MS), f"AppTest run, median of {len(t.warm)}{errors}"))
        rows.append(Row(f"page {name}, cold", f"{t.cold_median * 1000:.0f} ms", "", "",
                        f"new session, caches cleared, median of {len(t.cold)}"))
    if baseline is not None:
        for name, t in timings.items():
            other = BASELINE_FOR.get(name)
            if other is None or other not in baseline:
                rows.append(Row(f"speed-up vs baseline: {name}", "n/a", f">= {SPEEDUP_TARGET:.0f}x", "",
                                "no baseline page does this"))
                continue
            b = baseline[other]
            # The baseline's best run (its reruns are sometimes slower than its first), so the
            # ratio is never flattered.
            best = min(b["warm"], b["cold"])
            ratio = best / t.warm_median
            rows.append(Row(f"speed-up vs baseline: {name}", f"{ratio:,.0f}x", f">= {SPEEDUP_TARGET:.0f}x",
                            check(ratio, SPEEDUP_TARGET, at_least=True),
                            f"baseline '{other}' {best:.2f} s (its best) / ours {t.warm_median * 1000:.0f} ms warm; "
                            f"cold: {b['cold']:.2f} s / {t.cold_median * 1000:.0f} ms = {b['cold'] / t.cold_median:,.1f}x"))
    return rows, map_bytes


def baseline_rows(baseline: dict) -> list[Row]:
    rows = []
    for name, b in baseline.items():
        errors = f"; ERRORS: {b['errors'][0][:120]}" if b["errors"] else ""
        rows.append(Row(f"baseline page {name}, warm", f"{b['warm']:.2f} s", "", "",
                        f"cold {b['cold']:.2f} s{errors}"))
    return rows


def browser_rows(store_path: Path, runs: int, quick: bool) -> list[Row]:
    import browser

    store = query.open_store(store_path)
    lsoas = int(store.scalar("SELECT COUNT(*) FROM lsoa"))
    try:
        figures = browser.measure(store_path, runs, lsoas, log=log, quick=quick)
    except Exception as exc:  # a broken page or a missing browser is a figure we cannot take, not a crash
        figures = browser.BrowserFigures(note=f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}")
    if figures.note:
        na = f"n/a ({figures.note})"
        return [Row(name, "n/a", target, "", na) for name, target in (
            ("spawn to first map drawn", "<= 3 s"), ("map polygons in Chromium, warm", "<= 2.0 s"),
            ("map polygons in Chromium, cold", ""), ("period change to map re-coloured", "<= 0.4 s"),
            ("bytes per period change", "<= 150 KiB"), ("bytes on loading /map", ""),
            ("map LSOA level, click to polygons", "<= 2.5 s"), ("app memory, peak RSS", "<= 300 MiB"))]
    warm = figures.warm if figures.warm is not None else figures.cold
    lsoa = statistics.median(figures.lsoa_click_to_polygons)
    change = statistics.median(figures.change_to_recoloured)
    change_kib = statistics.median(figures.change_bytes) / 1024
    load_kib = statistics.median(figures.load_bytes) / 1024
    n = len(figures.change_to_recoloured)
    return [
        Row("spawn to first map drawn", f"{figures.spawn_to_first_map:.2f} s", "<= 3 s",
            check(figures.spawn_to_first_map, 3.0),
            "`streamlit run serve.py` started until the first /map visit (its tab open before; sent when "
            "/_stcore/health answers) has its 5 area polygons; median of "
            + ", ".join(f"{s:.2f}" for s in figures.spawns_to_first_map) + " s (one server each)"),
        Row("map polygons in Chromium, warm", f"{warm:.2f} s", "<= 2.0 s", check(warm, 2.0),
            "/map, page.goto to 5 area polygons, new session and empty HTTP cache each; " +
            (f"median of {len(figures.nav_to_polygons) - 1}" if figures.warm is not None else "quick: the cold visit")),
        Row("map polygons in Chromium, cold", f"{figures.cold:.2f} s", "", "", "first /map visit after the server started"),
        Row("period change to map re-coloured", f"{change:.2f} s", "<= 0.4 s", check(change, 0.4),
            f"sidebar 'Last 3 months' -> 'Last 12 months' on /map until the map's legend shows it; median of {n}"),
        Row("bytes per period change", f"{change_kib:.0f} KiB", "<= 150 KiB", check(change_kib, 150),
            f"HTTP on the wire + WebSocket payloads for that change; median of {n} "
            f"({', '.join(f'{b / 1024:.0f}' for b in figures.change_bytes)} KiB)"),
        Row("bytes on loading /map", f"{load_kib / 1024:.2f} MiB", "", "",
            "a first-time visitor (empty HTTP cache), uncompressed: Streamlit sends its JavaScript as it is; "
            "the compose proxy gzips it"),
        Row("map LSOA level, click to polygons", f"{lsoa:.2f} s", "<= 2.5 s", check(lsoa, 2.5),
            f"click 'LSOAs' until all {lsoas} LSOA polygons are drawn"),
        Row("app memory, peak RSS", f"{figures.peak_rss_mb:.0f} MiB", "<= 300 MiB", check(figures.peak_rss_mb, 300),
            f"Streamlit server (VmHWM) after the map runs, {len(figures.visits)} page visits"
            f"{'' if quick else ' (every page of app.py, 3 selections)'} and a forum-update PDF download"
            f"{'' if figures.pack_downloaded else ' (NOT downloaded)'}; {figures.end_rss_mb:.0f} MiB at the end; "
            f"most added by {figures.biggest_growth()}"),
    ]


def _load_other(name: str):
    """bench/<name>.py (another engineer's) as a module, or None when it does not exist yet."""
    script = BENCH / f"{name}.py"
    if not script.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"bench_{name}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _other_bench(name: str, label: str, main_figure: str, store_path: Path, runs: int, quick: bool) -> list[Row]:
    """Figures from bench/<name>.py, written by others.

    When it has ``timings(store, runs) -> [[figure, value, notes], ...]`` that is called on the
    bench store (no other work of that script is run); otherwise the script runs as a
    subprocess with ``--store PATH`` and ``--quick`` or ``--runs N``, and the rows of its
    'figure' table are taken. The first row whose figure contains ``main_figure`` leads.
    """
    try:
        module = _load_other(name)
    except Exception as exc:  # their file mid-edit: say so, go on
        return [Row(label, "n/a", "", "", f"bench/{name}.py did not import: {type(exc).__name__}: {str(exc)[:140]}")]
    if module is None:
        return [Row(label, NOT_BUILT, "", "", f"bench/{name}.py does not exist yet")]
    try:
        if callable(getattr(module, "timings", None)):
            figures = [list(map(str, r)) for r in module.timings(query.open_store(store_path), runs)]
        else:
            figures = _subprocess_figures(BENCH / f"{name}.py", store_path, runs, quick)
    except Exception as exc:
        return [Row(label, "n/a", "", "", f"bench/{name}.py failed: {type(exc).__name__}: {str(exc).splitlines()[0][:140]}")]
    if not figures:
        return [Row(label, "n/a", "", "", f"bench/{name}.py printed no figures")]
    figures.sort(key=lambda r: main_figure.lower() not in r[0].lower())  # the lead figure first
    rows = [Row(label if i == 0 else f"  {name}: {r[0].strip()}", r[1], "", "",
                "; ".join(part for part in ([r[0]] if i == 0 else []) + [r[2] if len(r) > 2 else ""] if part))
            for i, r in enumerate(figures)]
    return rows


def _subprocess_figures(script: Path, store_path: Path, runs: int, quick: bool) -> list[list[str]]:
    """Run the script and take its lines of the form '<figure>  <number>[ unit]  [notes]'."""
    takes_quick = '"--quick"' in script.read_text()
    args = [sys.executable, str(script), "--store", str(store_path),
            *(["--quick"] if quick and takes_quick else ["--runs", str(1 if quick else runs)])]
    result = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=1800)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"exit {result.returncode}: {tail[0]}")
    figures = []
    for line in result.stdout.splitlines():
        parts = re.split(r"\s{2,}", line.strip(), maxsplit=2)
        if len(parts) >= 2 and re.match(r"^[\d.,]+(\s*[A-Za-z%/]+)?(\s*/\s*\d+)?$", parts[1]) and not line.startswith("figure"):
            figures.append(parts + [""] * (3 - len(parts)))
    return figures


def others_rows(store_path: Path, runs: int, quick: bool) -> list[Row]:
    rows = _other_bench("hotspots", "hotspot computation", "cold: all b&nes", store_path, runs, quick)
    rows += _other_bench("report", "PDF pack time", "pack, whole", store_path, runs, quick)
    rows += _other_bench("register", "register: save an edit", "sqlite: save an edit", store_path, runs, quick)
    return rows


def scale_rows(source: Path, store_path: Path, factors: list[int], runs: int, workdir: Path,
               la_codes: list[str] | None = None) -> list[Row]:
    """bench/scale.py's rows for the bench store's partnership, or for each of ``la_codes``."""
    import scale

    if la_codes:
        results = scale.measure_partnerships(source, la_codes, factors, runs, workdir / "scale", log=log)
    else:
        results = scale.measure(source, store_path, factors, runs, workdir, log=log)
    rows = []
    for name, value, note in scale.rows(results):
        number = float(value.split()[0].replace(",", ""))
        if "counts" in name:
            rows.append(Row(name, value, "<= 100 ms", check(number, 100), note))
        elif "peak RSS" in name:
            rows.append(Row(name, value, "< 2,000 MB", check(number, 2000), note))
        else:
            rows.append(Row(name, value, "", "", note))
    return rows


# ---- the table ---------------------------------------------------------------------------------


def print_table(rows: list[Row], header: list[str]) -> None:
    for line in header:
        print(line)
    width = max(len(r.figure) for r in rows)
    vwidth = max(len(r.value) for r in rows)
    twidth = max(len(r.target) for r in rows + [Row("", "", "target")])
    print(f"{'figure'.ljust(width)}  {'value'.rjust(vwidth)}  {'target'.ljust(twidth)}  {'verdict':7}  notes")
    print(f"{'-' * width}  {'-' * vwidth}  {'-' * twidth}  {'-' * 7}  -----")
    for r in rows:
        print(f"{r.figure.ljust(width)}  {r.value.rjust(vwidth)}  {r.target.ljust(twidth)}  {r.verdict:7}  {r.note}")


def machine_line() -> str:
    load = os.getloadavg()
    return (f"{os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} (1 / 5 / 15 min); "
            f"speed check {speed_check_s():.2f} s")


def speed_check_s() -> float:
    """Seconds for a fresh Python to import pandas, best of three: how fast the machine is right now.

    These machines' speed drifts by up to 1.7 times within an hour with nothing else running (the
    counts CLI took 207 ms at one hour and 383 ms at the next), most in starting processes and
    touching new memory, which a pure-Python loop hardly shows. Printed at the start and the end of
    a run, it says which speed that run had, so runs from different hours can be read side by side."""
    return min(timed(lambda: subprocess.run([sys.executable, "-c", "import pandas"], check=True, capture_output=True), 3))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="areaprofile benchmarks (one table).")
    parser.add_argument("--source", type=Path, default=Path(os.environ.get("AREAPROFILE_SHARED_DATA", ROOT.parent / "shared" / "data")))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one run on one month (CI smoke)")
    parser.add_argument("--skip", default="", help="comma-separated: pages, browser, baseline, scale, others")
    parser.add_argument("--store", type=Path, default=None,
                        help="a built store to measure (no build timed; e.g. the issue-12 figures: "
                             "--store store/areaprofile.duckdb --skip pages,baseline,scale,others)")
    parser.add_argument("--scale-factors", default=None, help="default 1,10,100 (quick: 1,10)")
    parser.add_argument("--scale-la", default=None,
                        help="partnerships the scale section builds, LA codes separated by commas (default: the "
                             "bench store's); e.g. E06000022,E06000023 for B&NES and Bristol")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    factors = [int(f) for f in (args.scale_factors or ("1,10" if args.quick else "1,10,100")).split(",")]
    started = time.perf_counter()
    header = [f"areaprofile bench, {time.strftime('%Y-%m-%d %H:%M')}, {'QUICK (one month, one run)' if args.quick else f'medians of {runs} runs'}",
              f"machine at start: {machine_line()}"]
    _quiet_streamlit()

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="areaprofile-bench-") as tmp:
        workdir = Path(tmp)
        source = one_month_source(args.source, workdir) if args.quick else args.source
        store_path = workdir / "bench.duckdb"
        os.environ["AREAPROFILE_STORE"] = str(store_path)
        os.environ["AREAPROFILE_SHARED_DATA"] = str(source)

        if args.store:  # a store already built: its counts, not a build
            store_path = args.store.resolve()
            os.environ["AREAPROFILE_STORE"] = str(store_path)
            log("counts (store given: no build)")
            rows += counts_rows(store_path, runs)
        else:
            log("build and counts")
            rows += build_and_counts(source, store_path, runs)

        baseline = None
        if "baseline" not in skip:
            import baseline as naive

            log("baseline pages (naive: pandas CSVs + geopandas join + one marker per incident, every run)")
            baseline = naive.measure(runs, log=log)
        if "pages" not in skip:
            log("our pages (AppTest)")
            page_part, map_bytes = page_rows(store_path, runs, baseline)
            rows += page_part
            if baseline is not None:
                rows += baseline_rows(baseline)
            naive_bytes = baseline.get("Map", {}).get("map_bytes") if baseline else None
            rows.append(Row("map HTML, LSOA level, all B&NES", f"{map_bytes / 1000:.0f} KB" if map_bytes else "n/a",
                            "<= 500 KB", check(map_bytes / 1000, 500) if map_bytes else "",
                            "maps.map_html_bytes of the map page's own map" +
                            (f"; baseline marker map {naive_bytes / 1e6:.1f} MB" if naive_bytes else "")))

        if "browser" not in skip:
            log("browser (Chromium) and app memory")
            rows += browser_rows(store_path, runs, args.quick)
        if "others" not in skip:
            log("hotspots and PDF pack (others' benches)")
            rows += others_rows(store_path, runs, args.quick)
        else:
            rows += [Row("hotspot computation", "skipped"), Row("PDF pack time", "skipped")]
        if "scale" not in skip:
            log(f"scale {factors}")
            la_codes = [c.strip() for c in args.scale_la.split(",") if c.strip()] if args.scale_la else None
            rows += scale_rows(source, store_path, factors, runs, workdir, la_codes)

    header.append(f"machine at end:   {machine_line()}; whole bench {time.perf_counter() - started:.0f} s")
    print_table(rows, header)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
