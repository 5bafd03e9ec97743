"""The one query layer: every page, the CLI and the reports ask here, so numbers agree.

A count is the number of published rows, nothing de-duplicated. Filters are validated
against the store and the fixed vocabularies; a wrong area, type or month becomes one
sentence that says what is allowed.

A store is one partnership (its settings are in the meta). Opened with an area ``scheme``
other than the partnership's first, the same tables answer by that scheme's areas: the
connection reads views that give every row, LSOA and ward the scheme's area, so every
function below works unchanged for any scheme.
"""

from __future__ import annotations

import functools
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from areaprofile import partnership
from areaprofile.config import ASB, CRIME_TYPES, default_store_path
from areaprofile.errors import AreaprofileError

if TYPE_CHECKING:  # pandas is imported by DuckDB's .df() when a frame is asked for, not here:
    import pandas as pd  # the counts CLI answers without it (see count_rows)

GROUP_COLUMNS = ("area", "ward", "parish", "lsoa", "month", "crime_type")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

#: Names a user may give instead of a list of types.
ALL_CRIME = "all-crime"  # every type except ASB, as police 'total recorded crime' counts
TYPE_GROUPS = {ALL_CRIME: tuple(t for t in CRIME_TYPES if t != ASB), "asb": (ASB,), "all": CRIME_TYPES}


@dataclass(frozen=True)
class Store:
    """An open, read-only store. ``version`` changes whenever the file is rebuilt.

    ``scheme`` is the area scheme its ``area`` columns follow ("" = the partnership's first)."""

    path: Path
    version: str
    con: duckdb.DuckDBPyConnection
    scheme: str = ""
    catalog: str = "store"

    def sql(self, query: str, params: list | None = None) -> pd.DataFrame:
        """Run a query on a private cursor (safe from several Streamlit threads)."""
        cursor = self.con.cursor()
        try:
            cursor.execute(f"USE {self.catalog}")
            return cursor.execute(query, params or []).df()
        finally:
            cursor.close()

    def rows(self, query: str, params: list | None = None) -> tuple[list[str], list[tuple]]:
        """Column names and rows as plain tuples: the answer without pandas."""
        cursor = self.con.cursor()
        try:
            cursor.execute(f"USE {self.catalog}")
            result = cursor.execute(query, params or [])
            return [column[0] for column in result.description], result.fetchall()
        finally:
            cursor.close()

    def scalar(self, query: str, params: list | None = None):
        cursor = self.con.cursor()
        try:
            cursor.execute(f"USE {self.catalog}")
            row = cursor.execute(query, params or []).fetchall()
            return row[0][0] if row else None
        finally:
            cursor.close()


_open_lock = threading.Lock()
_open_stores: dict[str, Store] = {}


def open_store(path: str | Path | None = None, scheme: str | None = None) -> Store:
    """The store at ``path`` (default: $AREAPROFILE_STORE or store/areaprofile.duckdb).

    ``scheme`` (an id from the partnership's settings) makes ``area`` mean that scheme's areas;
    None or the first scheme's id give the store as built. The connection is reused while the
    file is unchanged and reopened after a rebuild, so a long-running app picks up new data
    without a restart.
    """
    store = _open_as_built(path)
    if not scheme:
        return store
    chosen = partnership.of_store(store).scheme(scheme)
    if chosen is partnership.of_store(store).default_scheme:
        return store
    key = f"{_store_key(store.path)}#{chosen.id}"
    with _open_lock:
        current = _open_stores.get(key)
        if current is not None and current.version == f"{store.version}#{chosen.id}":
            return current
        con = connect_fresh(store.path)
        _scheme_views(con, chosen.id)
        scheme_store = Store(path=store.path, version=f"{store.version}#{chosen.id}", con=con, scheme=chosen.id,
                             catalog="memory")
        _open_stores[key] = scheme_store
        return scheme_store


def _scheme_views(con: duckdb.DuckDBPyConnection, scheme_id: str) -> None:
    """Views in the connection's own (memory) catalog that give the store's tables the areas of
    ``scheme_id``; every other table is passed through unchanged."""
    where = f"s.scheme = '{scheme_id}'"  # the id is checked against the settings (letters, digits, hyphens)
    special = {
        "crimes": f"SELECT c.* REPLACE (s.area AS area) FROM store.main.crimes c JOIN store.main.scheme_lsoa s ON s.lsoa = c.lsoa AND {where}",
        "outcomes": f"SELECT o.* REPLACE (s.area AS area) FROM store.main.outcomes o JOIN store.main.scheme_lsoa s ON s.lsoa = o.lsoa AND {where}",
        "lsoa": f"SELECT l.* REPLACE (s.area AS area) FROM store.main.lsoa l JOIN store.main.scheme_lsoa s ON s.lsoa = l.code AND {where}",
        "areas": f"SELECT s.* EXCLUDE (key, scheme) FROM store.main.scheme_areas s WHERE {where}",
        "wards": f"""SELECT w.* REPLACE (m.area AS main_area) FROM store.main.wards w LEFT JOIN (
                        SELECT ward_code, arg_max(area, residents) AS area FROM (
                            SELECT l.ward_code, s.area, SUM(l.population) AS residents FROM store.main.lsoa l
                            JOIN store.main.scheme_lsoa s ON s.lsoa = l.code AND {where} GROUP BY 1, 2)
                        GROUP BY 1) m ON m.ward_code = w.code""",
    }
    tables = con.execute("SELECT table_name FROM information_schema.tables WHERE table_catalog = 'store'").fetchall()
    for (table,) in tables:
        con.execute(f"CREATE VIEW memory.main.{table} AS {special.get(table, f'SELECT * FROM store.main.{table}')}")
    con.execute("USE memory")


@functools.lru_cache(maxsize=64)
def _resolved(absolute: str) -> str:
    return str(Path(absolute).resolve())


def _store_key(path: Path) -> str:
    """The store file's real path, which names its open connection.

    Resolved once per path, not on every call: ``open_store`` runs several times in every page run,
    and each ``lstat`` of the resolution lets the server's other thread take Python's lock for up to
    5 ms while it sends the page (profiled: 2-3 ms a resolution during a page load). A link moved to
    another file later still keeps its key; the file's version (``_file_version``) still reopens it.
    """
    return _resolved(os.path.abspath(path))


def _open_as_built(path: str | Path | None) -> Store:
    path = Path(path) if path else default_store_path()
    version = _file_version(path)
    key = _store_key(path)
    with _open_lock:
        current = _open_stores.get(key)
        if current is not None and current.version == version:
            return current
        for _ in range(5):
            con = connect_fresh(path)
            # A rebuild may have swapped the file between the stat and the open: only a
            # version seen both before and after the open names what was opened.
            after = _file_version(path)
            if after == version:
                break
            con.close()
            version = after
        else:
            raise AreaprofileError(f"{path}: the store kept changing while it was opened; try again.")
        _check_built_by_this_version(con, path)
        store = Store(path=path, version=version, con=con)
        _open_stores[key] = store
        return store


#: Columns of ``crimes`` that older builds did not write (the parish came with ward/parish profiles).
_REQUIRED_COLUMNS = ("parish",)


def _check_built_by_this_version(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """One sentence, not a failed query on every page, when the store predates a column we need."""
    present = {row[0] for row in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_catalog = 'store' AND table_name = 'crimes'"
    ).fetchall()}
    missing = [c for c in _REQUIRED_COLUMNS if c not in present]
    if present and missing:
        con.close()
        raise AreaprofileError(
            f"{path} was built by an older areaprofile (no {', '.join(missing)} column); rebuild it with "
            f"`areaprofile build --source DIR --store {path}` (the concerns register is kept)."
        )


#: The attached store's catalog name in a connection made by :func:`connect_fresh`.
_CATALOG = "store"


def _file_version(path: Path) -> str:
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise AreaprofileError(
            f"No store at {path}; build it first with `areaprofile build --source DIR` (DIR laid out like shared/data)."
        ) from None
    return f"{stat.st_ino}-{stat.st_mtime_ns}-{stat.st_size}"


def connect_fresh(path: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the store file as it is now.

    ``duckdb.connect(path)`` reuses a database already open in this process for that path,
    so after a rebuild it would go on answering from the old file (and a build reading the
    'previous' store would drop months added since). A new in-memory database with the file
    attached always reads the current file.

    DuckDB's allocator purges the memory a finished query used on a background thread: a served
    store's idle process then holds ~5 MiB less (measured, bench/README, issue 12).
    """
    con = duckdb.connect(":memory:", config={"allocator_background_threads": True})
    try:
        con.execute(f"ATTACH ? AS {_CATALOG} (READ_ONLY)", [str(path)])
        con.execute(f"USE {_CATALOG}")
    except duckdb.Error as exc:
        con.close()
        raise AreaprofileError(f"{path}: the store cannot be opened ({str(exc).splitlines()[0]}); rebuild it.") from None
    return con


def months(store: Store) -> list[str]:
    """Months loaded, oldest first."""
    return [month for (month,) in store.rows("SELECT DISTINCT month FROM crimes ORDER BY month")[1]]


def resolve_crime_types(crime_types) -> list[str] | None:
    """Published type names from names or group words; None means every type."""
    if crime_types is None:
        return None
    if isinstance(crime_types, str):
        crime_types = [crime_types]
    resolved: list[str] = []
    for name in crime_types:
        if name in TYPE_GROUPS:
            resolved.extend(TYPE_GROUPS[name])
        elif name in CRIME_TYPES:
            resolved.append(name)
        else:
            raise AreaprofileError(
                f"Unknown crime type '{name}'; use one of: {', '.join(CRIME_TYPES)} (or all-crime, asb)."
            )
    return sorted(set(resolved))


def area_names(store: Store) -> tuple[str, ...]:
    """The areas of the store's partnership in the store's scheme, in their order."""
    return partnership.of_store(store).scheme(store.scheme or None).area_names


def check_area(area: str | None, store: Store | None = None) -> str | None:
    """``area`` if the store's scheme has it (without a store: any text or None)."""
    if area is None:
        return None
    if not isinstance(area, str) or not area.strip():
        raise AreaprofileError(f"'{area}' is not an area name; give the area's name as text.")
    if store is None:
        return area
    names = area_names(store)
    if area in names:
        return area
    raise AreaprofileError(f"Unknown area '{area}'; use one of: {', '.join(names)}.")


def check_place(store: Store, kind: str, name: str | None, area: str | None = None) -> str | None:
    """``name`` if some row lies in that ward or parish (in ``area`` when given), else one sentence
    listing the names there are."""
    if name is None:
        return None
    if kind not in ("ward", "parish"):
        raise AreaprofileError(f"Unknown kind of place '{kind}'; choose ward or parish.")
    check_area(area, store)
    where, params = ("area = ?", [area]) if area else ("TRUE", [])
    _, rows = store.rows(f"SELECT DISTINCT {kind} FROM crimes WHERE {where} AND {kind} IS NOT NULL ORDER BY 1", params)
    names = [row[0] for row in rows]
    if name in names:
        return name
    inside = f" in {area}" if area else ""
    plural = {"ward": "wards", "parish": "parishes"}[kind]
    if not names:
        raise AreaprofileError(f"There are no {plural}{inside} in this store's boundaries.")
    raise AreaprofileError(f"No {kind} '{name}'{inside}; use one of: {', '.join(names)}.")


def check_month(month: str | None, what: str = "month") -> str | None:
    if month is None or MONTH.match(month):
        return month
    raise AreaprofileError(f"The {what} '{month}' is not a month; write it as YYYY-MM, e.g. 2021-09.")


def where_clause(
    start: str | None = None,
    end: str | None = None,
    area: str | None = None,
    crime_types=None,
    ward: str | None = None,
    store: Store | None = None,
    parish: str | None = None,
) -> tuple[str, list]:
    """SQL WHERE text and parameters for the standard filters (validated; the area against
    ``store``'s areas when it is given)."""
    check_month(start, "start month")
    check_month(end, "end month")
    if start and end and start > end:
        raise AreaprofileError(f"The period starts ({start}) after it ends ({end}); swap the months.")
    clauses, params = ["TRUE"], []
    if start:
        clauses.append("month >= ?")
        params.append(start)
    if end:
        clauses.append("month <= ?")
        params.append(end)
    if check_area(area, store):
        clauses.append("area = ?")
        params.append(area)
    if ward:
        clauses.append("ward = ?")
        params.append(ward)
    if parish:
        clauses.append("parish = ?")
        params.append(parish)
    types = resolve_crime_types(crime_types)
    if types is not None:
        clauses.append(f"crime_type IN ({','.join('?' * len(types))})")
        params.extend(types)
    return " AND ".join(clauses), params


def parse_group_columns(by) -> list[str]:
    if isinstance(by, str):
        by = [c.strip() for c in by.split(",") if c.strip()]
    by = list(by)
    unknown = [c for c in by if c not in GROUP_COLUMNS]
    if unknown or not by:
        raise AreaprofileError(f"Cannot count by '{','.join(unknown) or ''}'; choose from {', '.join(GROUP_COLUMNS)}.")
    if len(set(by)) != len(by):
        raise AreaprofileError(f"A column is named twice in '{','.join(by)}'; name each once.")
    return by


def counts(store: Store, by, **filters) -> pd.DataFrame:
    """Number of published rows per group, columns ``by + ['count']``, sorted by ``by``.

    ``filters`` are :func:`where_clause`'s: start, end, area, crime_types, ward, parish."""
    return store.sql(*_counts_sql(store, by, filters)).reset_index(drop=True)


def count_rows(store: Store, by, **filters) -> tuple[list[str], list[tuple]]:
    """:func:`counts` as column names and plain rows: the same query, without importing pandas
    (most of a CLI call's time would otherwise be spent importing it)."""
    return store.rows(*_counts_sql(store, by, filters))


def _counts_sql(store: Store, by, filters: dict) -> tuple[str, list]:
    columns = parse_group_columns(by)
    where, params = where_clause(**filters, store=store)
    select = ", ".join(columns)
    return (f"SELECT {select}, COUNT(*)::BIGINT AS count FROM crimes WHERE {where} GROUP BY {select} ORDER BY {select}",
            params)


def total(store: Store, **filters) -> int:
    """One number: rows matching the filters."""
    where, params = where_clause(**filters, store=store)
    return int(store.scalar(f"SELECT COUNT(*) FROM crimes WHERE {where}", params))


def area_shapes(store: Store) -> dict:
    """Each forum area's exact polygon (shapely, EPSG:27700), in the order of the areas table."""
    import shapely

    frame = store.sql("SELECT name, geom_wkb FROM areas")
    return {row.name: shapely.from_wkb(bytes(row.geom_wkb)) for row in frame.itertuples()}


def store_path_from_env() -> Path:
    return Path(os.environ.get("AREAPROFILE_STORE", default_store_path()))
