"""serve.py's warm-up: it loads what the pages need (never streamlit_folium, which must register
itself inside a script run, nor the heavy libraries no page needs: scipy, geopandas, and
altair, as the charts are Vega-Lite dicts), the map page's part first and without pandas, freezes
what it made out of the collector's way, and a missing store only means a logged warning, never a
crash."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

PROBE = """
import logging, sys
logging.basicConfig(level=logging.WARNING, format="LOG %(message)s")
import jinja2
parsed = []
parse = jinja2.Environment._parse
jinja2.Environment._parse = lambda self, *args: parsed.append(1) or parse(self, *args)
from areaprofile import serving
serving.warm()
print("templates compiled from text", len(parsed))
print(sorted(m for m in ("areaprofile.maps", "areaprofile.hotspots", "altair", "duckdb", "pandas",
                         "streamlit_folium", "weasyprint", "matplotlib", "scipy", "geopandas")
             if m in sys.modules))
import inspect
print("unresolved", sum(1 for name, module in list(sys.modules.items())
                        if getattr(module, "__file__", None) and inspect._filesbymodname.get(name) != module.__file__))
import gc
print("frozen", gc.get_freeze_count())
gc.unfreeze()  # else DuckDB's bindings report the never-collected objects as leaked at exit
"""


def _warm(store, register) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "AREAPROFILE_STORE": str(store), "AREAPROFILE_REGISTER": str(register)})


@pytest.fixture(scope="module")
def warmed(built_store, tmp_path_factory):
    """One warm-up on the real store with a new register: (its process, the register's path)."""
    register = tmp_path_factory.mktemp("warm") / "register.sqlite"
    return _warm(built_store, register), register


@pytest.fixture(scope="module")
def warmed_without_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nostore")
    return _warm(folder / "missing.duckdb", folder / "register.sqlite")


def test_warm_loads_the_pages_modules_but_not_the_map_component(warmed):
    done, _register = warmed
    assert done.returncode == 0, done.stderr[-2000:]
    assert "warming the caches at start-up failed" not in done.stderr
    _compiled, modules, _unresolved, frozen = done.stdout.strip().splitlines()[-4:]
    assert modules == str(["areaprofile.hotspots", "areaprofile.maps", "duckdb", "pandas"])
    # What the imports made is frozen, out of the collector's way after every script run.
    assert int(frozen.split()[1]) > 100_000, frozen


FIRST_MAP = """
import sys
from areaprofile import serving
serving._warm_first_map()
import folium.utilities
print("warmed", "pandas" in sys.modules, "pyarrow" in sys.modules, folium.utilities.pd is None)
from streamlit.testing.v1 import AppTest
page = AppTest.from_file(sys.argv[1], default_timeout=120)
page.switch_page("views/map.py")
page.run()
print("exceptions", [exception.message for exception in page.exception])
print("title", page.title[0].value)
print("table", any("Show the map's numbers as a table" == expander.label for expander in page.expander))
area = AppTest.from_file(sys.argv[1], default_timeout=120)
area.switch_page("views/map.py")
area.query_params["area"] = "Keynsham"
area.run()
print("area", [exception.message for exception in area.exception], area.title[0].value)
print("map page", "pandas" in sys.modules, "pyarrow" in sys.modules)
"""


def test_the_first_map_is_drawn_before_pandas_is_imported(built_store):
    """The warm-up's first part and the map page's first run (the real page, on the real store)
    do not import pandas: its 0.25-0.4 s comes after the first map, in the warm-up's second part.
    folium, imported in the first part, does without pandas for good; pyarrow (which Streamlit
    imports for any component) is imported by the warm-up, before the page needs it."""
    app = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")
    done = subprocess.run([sys.executable, "-c", FIRST_MAP, app], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "AREAPROFILE_STORE": str(built_store)})
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()[-6:]
    assert lines == ["warmed False True True", "exceptions []", "title Map: All B&NES", "table True",
                     "area [] Map: Keynsham", "map page False True"], done.stdout[-2000:]


EVERY_PAGE = """
import sys
from streamlit.testing.v1 import AppTest
pages = ["views/area_profile.py", "views/map.py", "views/hotspots.py", "views/compare_areas.py", "views/concerns.py",
         "views/measures.py", "views/forum_update.py", "views/manage_concerns.py", "views/data_sources.py",
         "views/add_data.py"]
for area in (None, "Keynsham"):
    for page in pages:
        run = AppTest.from_file(sys.argv[1], default_timeout=300)
        run.switch_page(page)
        if area:
            run.query_params["area"] = area
        run.run()
        print(page, area, [exception.message for exception in run.exception], "scipy" in sys.modules)
"""


def test_no_page_imports_scipy(built_store, tmp_path):
    """scipy.special alone adds 13 MiB to the server for good (scipy.ndimage and scipy.sparse 3
    more): every page, for the whole partnership and for one area, runs on areaprofile's own
    distributions and NumPy instead. Run in a fresh process, page after page, on the real store."""
    app = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")
    done = subprocess.run([sys.executable, "-c", EVERY_PAGE, app], capture_output=True, text=True, timeout=900,
                          env={**os.environ, "AREAPROFILE_STORE": str(built_store),
                               "AREAPROFILE_REGISTER": str(tmp_path / "register.sqlite")})
    assert done.returncode == 0, done.stderr[-2000:]
    runs = done.stdout.strip().splitlines()[-20:]
    assert len(runs) == 20 and all(run.endswith("[] False") for run in runs), done.stdout[-3000:]


def test_plain_component_values_are_never_tables_to_streamlit():
    """The map component's plain values (text, numbers, lists and dicts of them) are answered "not a
    table" without importing pandas; Streamlit's own answer for them is the same, and anything
    else (a DataFrame) is still asked of Streamlit."""
    import pandas as pd
    from streamlit import dataframe_util
    from streamlit.components.v1 import custom_component

    from areaprofile import serving

    serving._component_values_checked_without_pandas()
    plain = [["a", "b"], {"lat": 51.38, "lng": -2.36}, [{"a": 1}, {"b": None}], {"zoom": [1, 2.5, True]}, (1, "x"),
             {"outer": {"inner": [[1, 2], [3, 4]]}}, [], {}]
    for value in plain:
        assert serving._plain_values(value), value
        assert dataframe_util.is_dataframe_like(value) is False, value
        assert custom_component.is_dataframe_like(value) is False, value
    frame = pd.DataFrame({"a": [1]})
    assert not serving._plain_values(frame) and not serving._plain_values([frame]) and not serving._plain_values({1: "a"})
    assert custom_component.is_dataframe_like(frame) is True


def test_folium_imported_without_pandas_leaves_other_threads_their_pandas():
    """The warm-up refuses pandas only to its own thread, and only while it imports folium."""
    script = """
import sys, threading
from areaprofile import serving
seen = {}
with serving._without_pandas():
    other = threading.Thread(target=lambda: seen.update(other=__import__("pandas").__name__))
    other.start(); other.join()
    try:
        import pandas.io  # its parent is there now: the finder is not asked for "pandas" again
        seen["inside"] = "imported"
    except ImportError as error:
        seen["inside"] = str(error)
print(seen["other"], seen["inside"], any(type(finder).__name__ == "_NoPandasInThread" for finder in sys.meta_path))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["pandas", "imported", "False"]


def test_folium_import_in_the_warm_up_finds_no_pandas_until_another_thread_loads_it():
    script = """
import sys
from areaprofile import serving
with serving._without_pandas():
    try:
        import pandas
        print("imported")
    except ModuleNotFoundError as error:
        print("refused:", error.name)
import pandas
print(pandas.__name__)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines() == ["refused: pandas", "pandas"]


def test_warm_leaves_no_module_file_for_the_map_components_lookup(warmed):
    """streamlit_folium registers itself in the first visitor's run with ``inspect.getmodule``, which
    resolves every module not yet resolved; after the warm-up there is none left."""
    done, _register = warmed
    unresolved = done.stdout.strip().splitlines()[-2]
    assert unresolved == "unresolved 0", done.stdout[-500:]


def test_warm_reads_folium_templates_compiled_at_the_previous_start(warmed, built_store, tmp_path):
    """folium and its plugins build ~90 Jinja templates at import; the start after a first one
    compiles none of them from text (areaprofile/template_cache.py), only the ~13 one-off templates
    folium makes of the map the warm-up renders."""
    first, _register = warmed
    again = _warm(built_store, tmp_path / "register.sqlite")
    assert again.returncode == 0, again.stderr[-2000:]
    compiled = [int(done.stdout.strip().splitlines()[-4].split()[-1]) for done in (first, again)]
    assert compiled[1] < 30, compiled


def test_warm_sets_up_a_new_register_before_the_first_visitor(warmed, built_store):
    """Every page's first run opens the register; the warm-up has already set a new one up."""
    import sqlite3
    from contextlib import closing

    from areaprofile import partnership, query
    from areaprofile.register import db

    done, path = warmed
    assert done.returncode == 0, done.stderr[-2000:]
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:  # as it is: nothing migrates here
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (db.HEAD,)
        assert conn.execute("SELECT la_code FROM register_partnership").fetchone() == (
            partnership.of_store(query.open_store(built_store)).la_code,)


def test_a_register_that_cannot_be_opened_still_leaves_the_pages_warmed(built_store, tmp_path):
    """The register's problem is the pages' to explain; the warm-up logs it and warms the rest."""
    done = _warm(built_store, tmp_path)  # a folder: no database can be opened there
    assert done.returncode == 0, done.stderr[-2000:]
    assert "the register was not opened at start-up" in done.stderr
    assert "warming the caches at start-up failed" not in done.stderr
    assert done.stdout.strip().splitlines()[-3] == str(["areaprofile.hotspots", "areaprofile.maps", "duckdb", "pandas"])


def test_warm_freezes_what_it_made_even_when_it_fails(warmed_without_store):
    done = warmed_without_store
    assert int(done.stdout.strip().splitlines()[-1].split()[1]) > 10_000, done.stdout


def test_warm_without_a_store_logs_and_returns(warmed_without_store):
    done = warmed_without_store
    assert done.returncode == 0, done.stderr[-2000:]
    assert "warming the caches at start-up failed; the first visit will do it" in done.stderr


def _serve_py_between(before: str, after: str) -> str:
    """Run serve.py as Streamlit runs it (imported once its port is bound), with ``before`` and
    ``after`` around it in a fresh process; the last line ``after`` prints."""
    script = f"import runpy\n{before}\nrunpy.run_path('serve.py')\n{after}"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_serve_py_compacts_the_heap_before_pyarrow_is_imported():
    """serve.py sets the allocators up before Streamlit or the warm-up imports pyarrow."""
    assert _serve_py_between("import os; os.environ.pop('ARROW_DEFAULT_MEMORY_POOL', None)",
                             "import pyarrow; print(pyarrow.default_memory_pool().backend_name)") == "system"


def test_serve_py_turns_nagle_off_on_the_port_streamlit_has_bound():
    """Streamlit binds its port before it imports serve.py; serve.py then turns Nagle's algorithm off
    on it, so every connection it accepts answers without waiting for delayed ACKs."""
    bound_as_streamlit_binds = ("import socket; listener = socket.socket(family=socket.AF_INET)\n"
                                "listener.bind(('127.0.0.1', 0)); listener.listen(8)")
    assert _serve_py_between(bound_as_streamlit_binds,
                             "print(listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))") != "0"


def test_serve_py_starts_sessions_without_file_watchers():
    """run.sh and the container start serve.py without --server.fileWatcherType; serve.py itself turns
    watching off, or every new session would set up watchers (0.3 s a visit, 0.6-1.2 s the first)."""
    assert _serve_py_between("from streamlit import config; assert config.get_option('server.fileWatcherType') == 'auto'",
                             "print(config.get_option('server.fileWatcherType'))") == "none"


def test_serve_py_starts_without_searching_installed_packages_for_components():
    """Streamlit's runtime searches every installed package for v2 components as it is made (0.12 s
    before health answers); serve.py, which runs before, replaces the search with an empty answer."""
    assert _serve_py_between("", "from streamlit.components.v2 import manifest_scanner\n"
                                 "print(manifest_scanner.scan_component_manifests.__name__, "
                                 "manifest_scanner.scan_component_manifests())") == "_no_installed_components []"


def test_no_installed_package_declares_a_streamlit_v2_component():
    """What makes skipping that search safe: Streamlit still asks this function, and it finds nothing
    here. If a package with a v2 component is ever installed, remove serve.py's skip."""
    import inspect

    from streamlit.components.v2.component_manager import BidiComponentManager

    assert "scan_component_manifests" in inspect.getsource(BidiComponentManager.discover_and_register_components)
    done = subprocess.run([sys.executable, "-c", "from streamlit.components.v2.manifest_scanner import "
                           "scan_component_manifests as scan; print([m.name for m, _root in scan()])"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_no_page_relies_on_streamlit_magic():
    """.streamlit/config.toml turns magic off (a page's first run then compiles it as it is), so a
    bare expression on a page would silently show nothing: there must be none."""
    import ast
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    assert tomllib.loads((root / ".streamlit" / "config.toml").read_text())["runner"]["magicEnabled"] is False
    scripts = [root / "app.py", root / "serve.py", *sorted((root / "views").glob("*.py"))]
    assert len(scripts) >= 12
    bare = []
    for script in scripts:
        tree = ast.parse(script.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0]) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and node.body and isinstance(node.body[0], ast.Expr)
                      and isinstance(node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str)}
        bare += [f"{script.name}:{node.lineno}" for node in ast.walk(tree)
                 if isinstance(node, ast.Expr) and id(node) not in docstrings
                 and not isinstance(node.value, (ast.Call, ast.Await, ast.Yield, ast.YieldFrom))]
    assert bare == []
