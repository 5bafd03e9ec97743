"""serve.py's warm-up: it loads what the pages need (never streamlit_folium, which must register
itself inside a script run, nor the heavy libraries no page needs: scipy.stats, geopandas, and
altair, as the charts are Vega-Lite dicts), freezes what it made out of the collector's way, and a
missing store only means a logged warning, never a crash."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import logging, sys
logging.basicConfig(level=logging.WARNING, format="LOG %(message)s")
from areaprofile import serving
serving.warm()
print(sorted(m for m in ("areaprofile.maps", "areaprofile.hotspots", "altair", "duckdb", "pandas",
                         "streamlit_folium", "weasyprint", "matplotlib", "scipy.stats", "geopandas")
             if m in sys.modules))
import gc
print("frozen", gc.get_freeze_count())
gc.unfreeze()  # else DuckDB's bindings report the never-collected objects as leaked at exit
"""


def _warm(store, register) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "AREAPROFILE_STORE": str(store), "AREAPROFILE_REGISTER": str(register)})


def test_warm_loads_the_pages_modules_but_not_the_map_component(built_store, tmp_path):
    done = _warm(built_store, tmp_path / "register.sqlite")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "warming the caches at start-up failed" not in done.stderr
    modules, frozen = done.stdout.strip().splitlines()[-2:]
    assert modules == str(["areaprofile.hotspots", "areaprofile.maps", "duckdb", "pandas"])
    # What the imports made is frozen, out of the collector's way after every script run.
    assert int(frozen.split()[1]) > 100_000, frozen


def test_warm_sets_up_a_new_register_before_the_first_visitor(built_store, tmp_path):
    """Every page's first run opens the register; the warm-up has already set a new one up."""
    import sqlite3
    from contextlib import closing

    from areaprofile import partnership, query
    from areaprofile.register import db

    path = tmp_path / "register.sqlite"
    done = _warm(built_store, path)
    assert done.returncode == 0, done.stderr[-2000:]
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:  # as it is: nothing migrates here
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (db.HEAD,)
        assert conn.execute("SELECT la_code FROM register_partnership").fetchone() == (
            partnership.of_store(query.open_store(built_store)).la_code,)


def test_warm_freezes_what_it_made_even_when_it_fails(tmp_path):
    done = _warm(tmp_path / "missing.duckdb", tmp_path / "register.sqlite")
    assert int(done.stdout.strip().splitlines()[-1].split()[1]) > 10_000, done.stdout


def test_warm_without_a_store_logs_and_returns(tmp_path):
    done = _warm(tmp_path / "missing.duckdb", tmp_path / "register.sqlite")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "warming the caches at start-up failed; the first visit will do it" in done.stderr
