"""Build the embedded store (one DuckDB file) from sources, atomically.

The build reads every street file, every monthly outcomes file and the reference files, checks
them, places each row in its LSOA, ward and area, and writes a complete new store in a work folder beside the old one
(the rows stay in DuckDB throughout: ``staging``). Only when all of that has worked is the new
file swapped in with one ``os.replace``: a failed, killed or concurrent build leaves the
previous store exactly as it was, and the next build removes what a killed one left.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import geopandas as gpd
import pandas as pd
import shapely

from areaprofile import partnership as partnership_module
from areaprofile.areas import Geography, build_geography
from areaprofile.errors import AreaprofileError
from areaprofile.partnership import Partnership
from areaprofile.sources import ons
from areaprofile.sources.police_uk import OUTCOMES, StreetFile, find_outcome_files, find_street_files
from areaprofile.sources.street_stream import FileFigures, file_key
from areaprofile.staging import Staging


@dataclass
class BuildReport:
    """What a build did, for the CLI, the log table and the Data & sources page."""

    store: Path
    months: list[str] = field(default_factory=list)
    rows: int = 0
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def say(self, message: str) -> None:
        self.messages.append(message)


def build(
    sources: list[Path],
    store_path: Path,
    *,
    la_code: str | None = None,
    fresh: bool = False,
    wait_seconds: float = 0.0,
) -> BuildReport:
    """Build (or extend) the store at ``store_path`` from the given source folders/zips.

    ``la_code`` names the partnership (``geo/<la_code>.yaml``); without it, an existing store
    keeps its own and a new one gets the default. Months already in the store are kept unless
    a source gives the same month again, in which case the newer file wins and the log says so.
    ``fresh`` ignores the previous store.
    """
    started = time.perf_counter()
    store_path = Path(store_path)
    sources = [Path(s) for s in sources]
    report = BuildReport(store=store_path)
    store_path.parent.mkdir(parents=True, exist_ok=True)
    with _build_lock(store_path, wait_seconds):
        _remove_stale_temp_files(store_path, report)
        work_dir = store_path.with_name(f".{store_path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
        try:
            new_store = _build_in(work_dir, sources, store_path, la_code, fresh, report)
            _swap_in(new_store, store_path)
        finally:
            shutil.rmtree(work_dir, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    return report


def _build_in(work_dir: Path, sources: list[Path], store_path: Path, la_code: str | None, fresh: bool, report: BuildReport) -> Path:
    """Everything up to a finished new store inside ``work_dir``; the store itself is not touched."""
    previous = _previous_store(store_path) if not fresh else None
    try:
        partnership = _partnership(store_path, la_code, previous)
        geography = _geography(sources, partnership, previous, report)
        chosen = _choose_files(sources, previous, report)
        outcome_files = _choose_outcome_files(sources, previous, report)
        staging = Staging(work_dir, set(geography.lsoa21["code"]) | set(geography.lsoa11["code"]))
        try:
            figures = staging.add_files(chosen.new_files + outcome_files.new_files)
            street_figures = [f for f in figures if f.file.kind is not OUTCOMES]
            kept = sorted("/".join(k) for k in chosen.keep_stored)
            kept_outcomes = sorted(f"{month}/{force}/{OUTCOMES.name}" for month, force in outcome_files.keep_stored)
            if previous is not None:
                staging.add_stored(previous, kept)
                staging.add_stored(previous, kept_outcomes, OUTCOMES)
            files = _files_table(street_figures, staging.per_file(), previous, kept)
            outcome_table = _files_table([f for f in figures if f.file.kind is OUTCOMES], staging.per_file(OUTCOMES),
                                         previous, kept_outcomes, "outcome_files")
        except BaseException:
            staging.close()
            raise
    finally:
        if previous is not None:
            previous.close()
    with staging:
        staging.write_crimes(geography)
        _write_outcome_files(staging.con, outcome_table, report)
        _write_tables(staging.con, files, geography, report, partnership, sources)
        return staging.finish()


@contextmanager
def _build_lock(store_path: Path, wait_seconds: float):
    """One build at a time per store: a second one waits up to ``wait_seconds`` then is refused."""
    lock_path = store_path.with_name(store_path.name + ".lock")
    handle = open(lock_path, "a+")
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise AreaprofileError(
                        f"{store_path}: another build is running; wait for it to finish and try again."
                    ) from None
                time.sleep(0.2)
        yield
    finally:
        handle.close()


def _remove_stale_temp_files(store_path: Path, report: BuildReport) -> None:
    """Delete what killed builds left beside the store (their ``.<store>.tmp-*`` files).

    Called with the build lock held: a live build holds the lock for as long as its temp file
    exists, so every temp file found now belongs to a build that died.
    """
    import glob
    import shutil

    removed = 0
    for leftover in store_path.parent.glob(f".{glob.escape(store_path.name)}.tmp-*"):
        try:
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
            removed += 1
        except FileNotFoundError:
            pass
    if removed:
        report.say(f"Removed {removed} temporary file(s) left by an interrupted build.")


def _previous_store(store_path: Path) -> duckdb.DuckDBPyConnection | None:
    if not store_path.exists():
        return None
    from areaprofile.query import connect_fresh  # never a database this process already has open

    try:
        return connect_fresh(store_path)
    except AreaprofileError as exc:
        raise AreaprofileError(exc.message.replace("; rebuild it.", "; build again with --fresh.")) from None


def _partnership(store_path: Path, la_code: str | None, previous) -> Partnership:
    """The partnership to build: ``la_code``'s, else the previous store's, else the default.

    A store is one partnership: extending it with another LA's settings is refused."""
    stored = None
    if previous is not None:
        row = previous.execute("SELECT value FROM meta WHERE key = 'la_code'").fetchall()
        stored = row[0][0] if row else None
    chosen = partnership_module.load(la_code or stored)
    if stored and stored != chosen.la_code:
        raise AreaprofileError(
            f"{store_path} holds {stored}, not {chosen.la_code}; give another --store, or --fresh to replace it."
        )
    return chosen


def _reference_files(source: Path, partnership: Partnership) -> ons.ReferenceFiles:
    required = partnership_module.REQUIRED_FILES + (
        ("parishes",) if any(s.kind == "parish" for s in partnership.schemes) else ()
    )
    return ons.find_reference_files(source, partnership.files, required)


def _geography(sources: list[Path], partnership: Partnership, previous, report: BuildReport) -> Geography:
    """Reference data from the first source that has it all, else from the previous store."""
    for source in sources:
        if source.is_dir():
            files = _reference_files(source, partnership)
            if files.has_all_required():
                report.say(f"Boundaries and population read from {source} ({partnership.la_name}, {partnership.la_code}).")
                geography = build_geography(files, partnership)
                geography.reference_paths = {k: str(v) for k, v in files.paths.items() if v}
                return geography
    if previous is not None:
        report.say("Boundaries and population kept from the previous store (none in the sources).")
        return geography_from_store(previous)
    folder = sources[0] if sources else Path(".")
    missing = ", ".join(_reference_files(folder, partnership).missing()) if folder.is_dir() else "all reference files"
    raise AreaprofileError(
        f"{folder}: no boundaries or population found ({missing}); give a folder laid out like shared/data, "
        "or run `areaprofile download` first."
    )


@dataclass
class _Chosen:
    new_files: list[StreetFile]
    keep_stored: set[tuple[str, str]]


def _choose_files(sources: list[Path], previous, report: BuildReport) -> _Chosen:
    """One street file per (month, force): the newer one when a month is given twice."""
    found: list[StreetFile] = []
    for source in sources:
        found.extend(find_street_files(source))
    if not found:
        where = ", ".join(str(s) for s in sources)
        raise AreaprofileError(
            f"{where}: no police.uk street files found (expected YYYY-MM/YYYY-MM-<force>-street.csv[.gz] or a data.police.uk .zip)."
        )
    stored = previous.execute("SELECT month, force, label, modified FROM files").fetchall() if previous is not None else []
    chosen = _choose(found, stored, report, "")
    new_months = sorted({f.month for f in chosen.new_files} - {row[0] for row in stored})
    if stored and new_months:
        report.say(f"Added {len(new_months)} new month(s): {', '.join(new_months)}.")
    return chosen


def _choose_outcome_files(sources: list[Path], previous, report: BuildReport) -> _Chosen:
    """One monthly outcomes file per (month, force), chosen as street files are; the previous
    store's are kept for months not given again (a store built before they were read has none)."""
    found = [f for source in sources for f in find_outcome_files(source)]
    stored = []
    if previous is not None and previous.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'outcome_files'"
    ).fetchall()[0][0]:
        stored = previous.execute("SELECT month, force, label, modified FROM outcome_files").fetchall()
    return _choose(found, stored, report, "outcomes file of ")


def _choose(found: list[StreetFile], stored_files: list[tuple], report: BuildReport, what: str) -> _Chosen:
    """The newer of two files for one (month, force), and which stored files to keep."""
    by_key: dict[tuple[str, str], StreetFile] = {}
    for candidate in found:
        current = by_key.get(candidate.key)
        if current is None:
            by_key[candidate.key] = candidate
            continue
        newer, older = (candidate, current) if candidate.modified >= current.modified else (current, candidate)
        by_key[candidate.key] = newer
        report.say(f"The {what}{candidate.month} was given twice: kept {newer.label} (newer) over {older.label}."
                   if what else f"{candidate.month} was given twice: kept {newer.label} (newer) over {older.label}.")

    stored: dict[tuple[str, str], tuple[str, datetime]] = {}
    for month, force, label, modified in stored_files:
        stored[(month, force)] = (label, modified.replace(tzinfo=timezone.utc) if modified.tzinfo is None else modified)
    keep_stored: set[tuple[str, str]] = set()
    for key, (label, modified) in stored.items():
        if key in by_key:
            if by_key[key].modified < modified:
                report.say(f"{key[0]}: the stored {what}file {label} is newer than {by_key[key].label}; kept the stored one.")
                del by_key[key]
                keep_stored.add(key)
            else:
                report.say(f"{key[0]}: replaced the stored {what}file with {by_key[key].label}.")
        else:
            keep_stored.add(key)
    return _Chosen(new_files=sorted(by_key.values(), key=lambda f: f.key), keep_stored=keep_stored)


def _files_table(
    figures: list[FileFigures], per_file: pd.DataFrame, previous, kept: list[str], table: str = "files"
) -> pd.DataFrame:
    """One row per file in the store (``table``): what was read now, and the stored files of months kept."""
    counts = per_file.set_index("file_key")
    file_rows = []
    for figure in figures:
        f = figure.file
        key = file_key(f)
        file_rows.append(
            {
                "file_key": key,
                "month": f.month,
                "force": f.force,
                "label": f.label,
                "sha256": figure.sha256,
                "bytes": figure.size_bytes,
                "modified": f.modified.replace(tzinfo=None),
                "rows_in_file": figure.rows_in_file,
                "rows_kept": int(counts["rows_kept"].get(key, 0)),
                "rows_without_location": figure.rows_without_location,
                "rows_outside_la": figure.rows_outside_la,
                "rows_blank_lsoa": figure.rows_blank_lsoa,
                "repeated_crime_ids": int(counts["repeated_crime_ids"].get(key, 0)),
                "read_at": datetime.now(timezone.utc).replace(tzinfo=None),
            }
        )
    files = pd.DataFrame(file_rows, columns=_FILE_COLUMNS)
    if previous is not None and kept:
        placeholders = ",".join("?" * len(kept))
        old_files = previous.execute(f"SELECT * FROM {table} WHERE file_key IN ({placeholders})", kept).df()
        files = pd.concat([old_files, files], ignore_index=True) if len(files) else old_files
    return files.sort_values(["month", "force"]).reset_index(drop=True)


_FILE_COLUMNS = ["file_key", "month", "force", "label", "sha256", "bytes", "modified", "rows_in_file", "rows_kept",
                 "rows_without_location", "rows_outside_la", "rows_blank_lsoa", "repeated_crime_ids", "read_at"]


def _write_outcome_files(con, table: pd.DataFrame, report: BuildReport) -> None:
    """The ``outcome_files`` table, and what the outcomes files gave, in the build log."""
    con.execute(
        """CREATE TABLE outcome_files (file_key VARCHAR, month VARCHAR, force VARCHAR, label VARCHAR, sha256 VARCHAR,
           bytes BIGINT, modified TIMESTAMP, rows_in_file BIGINT, rows_kept BIGINT, rows_without_location BIGINT,
           rows_outside_la BIGINT, rows_blank_lsoa BIGINT, repeated_crime_ids BIGINT, read_at TIMESTAMP)"""
    )
    if not len(table):
        report.say("No police.uk outcomes files in the sources: outcomes come only from each crime's last outcome category.")
        return
    con.register("outcome_files_df", table)
    con.execute(f"INSERT INTO outcome_files SELECT {', '.join(_FILE_COLUMNS)} FROM outcome_files_df")
    months = sorted(set(table["month"]))
    report.say(
        f"Outcomes files for {len(months)} month(s) ({', '.join(months)}): {int(table['rows_kept'].sum()):,} outcomes "
        f"placed in the partnership of {int(table['rows_in_file'].sum()):,} rows for the force."
    )
    blank = int(table["rows_blank_lsoa"].sum())
    if blank:
        report.say(f"{blank:,} outcome rows in those files have no LSOA code, so no area can count them.")


def _swap_in(new_store: Path, store_path: Path) -> None:
    """Make the finished new store durable, then put it in place with one atomic rename."""
    with open(new_store, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(new_store, store_path)
    directory = os.open(store_path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _write_tables(con, files, geography: Geography, report, partnership: Partnership, sources) -> None:
    """Every table but ``crimes`` (already written), the meta facts and the build log."""
    con.register("files_df", files)
    con.execute("CREATE TABLE files AS SELECT * FROM files_df")

    lsoa = geography.lsoa21
    _write_geo(con, "lsoa", lsoa, ["code", "name", "parish", "area", "ward_code", "ward", "population", "area_km2"])
    _write_geo(con, "wards", geography.wards, ["code", "name", "population", "area_km2", "main_area"])
    area_columns = ["name", "body", "population", "population_2015", "area_km2", "lsoa_count", "confidence", "evidence", "members"]
    _write_geo(con, "areas", geography.areas, area_columns)
    _write_geo(con, "scheme_areas", geography.scheme_areas.assign(key=geography.scheme_areas["scheme"] + "/" + geography.scheme_areas["name"]),
               ["key", "scheme", *area_columns])
    con.register("scheme_lsoa_df", geography.scheme_lsoa)
    con.execute("CREATE TABLE scheme_lsoa AS SELECT * FROM scheme_lsoa_df")
    _write_geo(con, "parishes", geography.parishes, ["code", "name", "area"])
    con.register("lsoa11_df", geography.lsoa11)
    con.execute("CREATE TABLE lsoa11 AS SELECT * FROM lsoa11_df")
    con.register("lsoa11_to_21_df", geography.lsoa11_to_21)
    con.execute("CREATE TABLE lsoa11_to_21 AS SELECT * FROM lsoa11_to_21_df")

    per_month = dict(con.execute("SELECT month, count(*) FROM crimes GROUP BY month ORDER BY month").fetchall())
    months = list(per_month)
    rows = sum(per_month.values())
    fewest, most = min(per_month, key=per_month.get), max(per_month, key=per_month.get)
    report.months, report.rows = months, rows
    gaps = _missing_months(months)
    if gaps:
        report.say(f"Months missing between the first and last: {', '.join(gaps)}; trends skip them.")
    repeated = int(files["repeated_crime_ids"].sum()) if len(files) else 0
    if repeated:
        report.say(f"{repeated} rows repeat a Crime ID already seen in the same month; they are counted, as published.")
    report.say(
        f"{rows:,} rows for {len(months)} months ({months[0]} to {months[-1]}); "
        f"fewest {per_month[fewest]:,} in {fewest}, most {per_month[most]:,} in {most}."
    )
    meta = {
        "store_id": uuid.uuid4().hex,
        "built_at": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "la_code": partnership.la_code,
        "la_name": partnership.la_name,
        partnership_module.META_KEY: partnership.to_json(),
        "sources": "; ".join(str(s) for s in sources),
        "first_month": months[0],
        "last_month": months[-1],
        "missing_months": ", ".join(gaps),
        "population_2021_source": geography.reference_paths.get("population_2021", "previous store"),
    }
    for name, path in geography.reference_paths.items():
        meta[f"file:{name}"] = path
    con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.executemany("INSERT INTO meta VALUES (?, ?)", list(meta.items()))
    con.execute("CREATE TABLE build_log (seq INTEGER, message VARCHAR)")
    con.executemany("INSERT INTO build_log VALUES (?, ?)", list(enumerate(report.messages)))


def _write_geo(con, table: str, frame: gpd.GeoDataFrame, columns: list[str]) -> None:
    """Store polygons twice: exact (WKB, British National Grid) and simplified GeoJSON for maps."""
    import json

    collection = ons.to_geojson(frame, [columns[0]])
    simplified = {f["properties"][columns[0]]: json.dumps(f["geometry"], separators=(",", ":")) for f in collection["features"]}
    out = pd.DataFrame(frame[columns]).copy()
    out["geom_wkb"] = shapely.to_wkb(frame.geometry.values)
    out["geojson"] = out[columns[0]].map(simplified)
    con.register(f"{table}_df", out)
    con.execute(f"CREATE TABLE {table} AS SELECT * FROM {table}_df")


def geography_from_store(con) -> Geography:
    """Rebuild the Geography from a store, so a build with only new street files can reuse it."""

    def frame(table: str) -> gpd.GeoDataFrame:
        df = con.execute(f"SELECT * FROM {table}").df()
        geometry = shapely.from_wkb(df.pop("geom_wkb").map(bytes).to_numpy())
        df = df.drop(columns=["geojson"])
        return gpd.GeoDataFrame(df, geometry=geometry, crs=ons.BNG)

    geography = Geography(
        lsoa21=frame("lsoa"),
        lsoa11=con.execute("SELECT * FROM lsoa11").df(),
        lsoa11_to_21=con.execute("SELECT * FROM lsoa11_to_21").df(),
        wards=frame("wards"),
        areas=frame("areas"),
        parishes=frame("parishes"),
        scheme_lsoa=con.execute("SELECT * FROM scheme_lsoa").df(),
        scheme_areas=frame("scheme_areas").drop(columns="key"),
    )
    geography.reference_paths = {
        key.removeprefix("file:"): value
        for key, value in con.execute("SELECT key, value FROM meta WHERE key LIKE 'file:%'").fetchall()
    }
    return geography


def _missing_months(months: list[str]) -> list[str]:
    if not months:
        return []
    present = set(months)
    gaps = []
    year, month = map(int, months[0].split("-"))
    while f"{year:04d}-{month:02d}" <= months[-1]:
        label = f"{year:04d}-{month:02d}"
        if label not in present:
            gaps.append(label)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return gaps
