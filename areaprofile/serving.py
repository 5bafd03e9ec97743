"""How the dashboard is served (``serve.py``): imports and caches warmed at start-up, and deep links
that start without two failed requests.

- :func:`lifespan` starts :func:`warm` on a background thread as the server starts, so the first
  person after a restart does not wait for DuckDB, folium and the map page's first queries
  (seconds on a small machine); the server answers meanwhile. pandas and the other pages come a
  few seconds later, out of the first map's way. What the imports made is frozen (``gc.freeze``),
  so the collection Streamlit runs after every script run skips it.
- :func:`without_file_watchers`: sessions start without watching the source files;
  :func:`without_installed_component_scan`: the server starts without searching every installed
  package for Streamlit components the app does not use.
- :class:`BackendBaseUrl` tells Streamlit's page where the server is. Without it a direct visit to
  any page but ``/`` (``/map``) first tries ``/map/_stcore/health`` and ``/map/_stcore/host-config``
  (two 404s, streamlit/streamlit#7074) before finding the server at ``/``.

Nothing here is needed by the pages themselves: ``streamlit run app.py`` still works (tests, local
development); ``streamlit run serve.py`` (scripts/run.sh, the Dockerfile) adds these.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
import threading
import time
from contextlib import asynccontextmanager, contextmanager

from areaprofile.errors import AreaprofileError

_LOG = logging.getLogger(__name__)

#: Where Streamlit serves what is not a page: these keep their responses untouched.
_NOT_PAGES = ("/_stcore/", "/static/", "/app/static/", "/component/", "/media/", "/favicon")


#: Seconds between warming the first pages and the others: a first visitor who arrived meanwhile
#: gets the CPU (and Python's lock) for their page instead of sharing it with imports they don't need.
OTHER_PAGES_AFTER_S = 3.0


def warm(pause_s: float = 0.0) -> None:
    """Import what the pages need and run the default selection's first queries, once.

    The map page first (:func:`_warm_first_map`, without pandas), then, ``pause_s`` later, pandas,
    the area profile's figures, the register and the other pages' modules
    (:func:`_warm_other_pages`). What is alive is frozen out of the garbage collector's way after
    the first map and again at the end. Any failure (no store yet, say) only means the first
    visitor warms it instead, so it is logged, not raised.
    """
    try:
        first_map = _warm_first_map()
        _resolve_module_files()
        gc.freeze()  # now, not only at the end: a first visitor's runs collect while the others warm
        time.sleep(pause_s)
        _warm_other_pages(*first_map)
        _resolve_module_files()
    except Exception:  # warming is an optimisation: never let it stop the server
        _LOG.warning("areaprofile: warming the caches at start-up failed; the first visit will do it", exc_info=True)
    finally:
        # Streamlit collects garbage after every script run (runner.postScriptGC). What the imports
        # made lives as long as the server, so the collector need not walk it each time: frozen, a
        # warm /map run's collection drops from ~0.1 s to a few ms, time the next request gets.
        gc.freeze()


def _warm_first_map():
    """What the map page's first run needs, and nothing else: its modules and the default map.

    pandas is not among them (the map page answers in plain rows, see deferred_import): its
    0.25-0.4 s of imports waits until after the first visitor's map. folium would import it all
    the same (it converts DataFrames when pandas is there), so it is imported here as if pandas were
    not installed (:func:`_without_pandas`); the dashboard never hands folium a DataFrame.
    Returns the store, its cache version and the default selection, for :func:`_warm_other_pages`.
    """
    # Not streamlit_folium: a component registers itself only when first imported inside a
    # script run; imported here, it would never be served (404 for its frame). What it imports
    # (folium.plugins, ~0.4 s) is plain Python and is warmed below. folium's templates are read
    # compiled from the previous start, not compiled again (template_cache).
    from areaprofile.template_cache import reusing_compiled_templates

    with reusing_compiled_templates():
        with _without_pandas():
            _import_if_present("folium", "folium.plugins")
        from areaprofile import completeness, maps, partnership, profile, query, ui  # DuckDB, folium, Streamlit

        # pyarrow: Streamlit imports it for every component (0.05 s), and not under _without_pandas,
        # as pyarrow finds out whether pandas is there when it first converts a table.
        _import_if_present("streamlit.emojis", "streamlit.material_icon_names", "pyarrow")
    _streamlit_first_element_check()
    _component_values_checked_without_pandas()

    store = query.open_store()
    version = ui.cache_version(store)
    months = _cached(profile.loaded_months, store, version)
    if not months:
        return store, version, None
    from areaprofile.periods import preset_period

    selection = profile.Selection(area=None, period=preset_period("Last 3 months", months[-1]),
                                  everywhere=partnership.of_store(store).all_label)  # as the sidebar makes it
    _cached(profile.period_coverage, store, version, selection.period)
    _cached(profile.data_correct_as_of, store, version)
    features = _cached(profile.map_features, store, version, selection, "area")
    _cached(completeness.completeness, store, version, selection)  # the map's and the profile's completeness note
    maps.map_html(maps.choropleth_map(features, "count", "name", tiles=None))  # folium's templates
    return store, version, selection


def _warm_other_pages(store, version, selection) -> None:
    """pandas and the area profile's first figures, then the register (an anonymous map or profile
    never opens it: SQLAlchemy is 0.17 s of imports) and the other pages' modules (chart specs,
    knowledge files, hotspots)."""
    from areaprofile import profile

    if selection is not None:
        _cached(profile.headlines, store, version, selection)
        _cached(profile.monthly_trend, store, version, selection, 12)
    _open_register(store)
    from areaprofile import charts, concerns, hotspot_map, hotspots, knowledge  # noqa: F401

    knowledge.load_knowledge()


def _cached(function, store, version, *args):
    """``function``'s answer through the pages' own cache, so their first run finds it there."""
    from areaprofile import ui

    return ui.cached(ui.function_key(function), version, *args, _function=function, _store=store)


@contextmanager
def _without_pandas():
    """Imports in this thread, inside the block, find no pandas (``import pandas`` raises
    ModuleNotFoundError, which libraries that can do without it catch). Other threads import it
    as usual; once any has, it is simply there."""
    finder = _NoPandasInThread(threading.get_ident())
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)


class _NoPandasInThread:
    """An import finder that refuses pandas to one thread (see :func:`_without_pandas`)."""

    def __init__(self, thread_id: int):
        self.thread_id = thread_id

    def find_spec(self, name, path=None, target=None):
        if name == "pandas" and threading.get_ident() == self.thread_id:
            raise ModuleNotFoundError("pandas is imported after the first map (areaprofile.serving)", name=name)
        return None


def _component_values_checked_without_pandas() -> None:
    """Let the map component take its plain values without importing pandas.

    Before it sends a component's values, Streamlit asks of each that is not a number or a string
    whether it is a table (``is_dataframe_like``), and the asking imports pandas and pyarrow, even
    for the map's lists and dicts of plain values, which are never one. Those are answered here
    without the import (:func:`_plain_values`); anything else is asked of Streamlit as before. A
    test checks that Streamlit's own answer for such values is still no.
    """
    from streamlit.components.v1 import custom_component

    asks = getattr(custom_component, "is_dataframe_like", None)
    if callable(asks) and not getattr(asks, "plain_values_first", False):
        def is_dataframe_like(value) -> bool:
            return False if _plain_values(value) else asks(value)

        is_dataframe_like.plain_values_first = True
        custom_component.is_dataframe_like = is_dataframe_like


def _plain_values(value) -> bool:
    """``value`` is JSON's kind of data: None, text, numbers, and lists and dicts of them."""
    if value is None or type(value) in (str, int, float, bool):
        return True
    if type(value) in (list, tuple):
        return all(_plain_values(item) for item in value)
    if type(value) is dict:
        return all(type(key) is str and _plain_values(item) for key, item in value.items())
    return False


def _open_register(store) -> None:
    """Open the store's register, as the concerns, forum-update and editing pages' first run does.

    A new register is set up then (alembic, the schema, the seed: 0.3-0.5 s); done here, their
    first visitor finds it open. A register that cannot be opened (another partnership's, a database
    that does not answer) is the pages' to explain in one sentence: here it is logged, and the
    other pages are warmed all the same.
    """
    from areaprofile import ui_signin

    try:
        ui_signin.register_of(store)
    except AreaprofileError as exc:
        _LOG.warning("areaprofile: the register was not opened at start-up: %s", exc.message)


def _streamlit_first_element_check() -> None:
    """Make the check Streamlit makes before a process's first element, here, not in a visitor's run.

    Before its first element Streamlit asks whether it runs in a Python prompt, with
    ``inspect.stack()``, which resolves the file of every loaded module: ~15,000 ``lstat`` calls,
    0.15-0.3 s of the first visitor's first page (profiled). It is done once per process, so doing it
    here moves it off their path; in a server, the answer (no prompt, a runtime exists) prints nothing.
    ``inspect`` keeps what it resolved, so later lookups (the map component's, when it registers in
    the first run) resolve only modules loaded since. A later Streamlit without the function skips this.
    """
    from streamlit import delta_generator

    check = getattr(delta_generator, "_maybe_print_use_warning", None)
    if callable(check):
        check()


def _resolve_module_files() -> None:
    """Have ``inspect`` resolve the file of every module loaded by now, off the first visitor's path.

    The map component registers itself in the first visitor's run and looks up its caller's module
    with ``inspect.getmodule``, which resolves each module loaded since the last such lookup: after
    the warm-up's register, queries and page imports, ~320 modules and 0.2 s of that run (profiled).
    A lookup of a file no module has makes ``inspect`` walk them all now, once.
    """
    import inspect

    inspect.getmodule(compile("", "<areaprofile warm-up>", "exec"))


def _import_if_present(*names: str) -> None:
    """Import modules the first page run imports anyway (page icons need Streamlit's emoji and icon
    tables, ~0.3 s); a name a later version no longer has is skipped."""
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except ImportError:
            _LOG.info("areaprofile: %s is not there to warm", name)


def without_file_watchers() -> None:
    """A served dashboard does not watch its source files (``serve.py`` calls this before any visit).

    Streamlit's default (``auto``: watchdog is installed) gives every new session a watcher on the
    app's scripts and each module under its folder. Measured on /map: a first visitor's session took
    0.6-1.2 s to start (``AppSession.__init__``), and every later new visit drew its map 0.3 s later
    (medians 1.85 s against 1.55 s, eight alternated loads each). A served site's code changes with a
    restart; ``streamlit run app.py`` still reruns on save while developing.
    """
    from streamlit import config

    config.set_option("server.fileWatcherType", "none")


def without_installed_component_scan() -> None:
    """Start the server without Streamlit's search of every installed package for v2 components.

    As it makes its runtime, Streamlit 1.67 reads the metadata of each installed distribution (up
    to four times each) for packages that declare v2 components: 0.12 s of the ~0.5 s before a fresh
    server answers ``/_stcore/health`` (109 distributions in the test environment), with no setting
    to turn it off. The dashboard has none: its map is a v1 component (streamlit-folium), which
    registers itself when a page imports it. A test fails if an installed package ever declares
    one, so skipping the search cannot hide it; a Streamlit without the function is left alone.
    """
    from streamlit.components.v2 import manifest_scanner

    if callable(getattr(manifest_scanner, "scan_component_manifests", None)):
        manifest_scanner.scan_component_manifests = _no_installed_components


def _no_installed_components(max_workers: int | None = None) -> list:
    return []


@asynccontextmanager
async def lifespan(_app):
    threading.Thread(target=warm, args=(OTHER_PAGES_AFTER_S,), name="areaprofile-warm", daemon=True).start()
    yield


def _base_url_script() -> bytes:
    from streamlit import config

    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    path = f"/{base}/" if base else "/"
    return (
        "<script>window.__streamlit=Object.assign("
        f"{{BACKEND_BASE_URL:location.origin+{json.dumps(path)}}},window.__streamlit||{{}})</script>"
    ).encode()


class BackendBaseUrl:
    """ASGI middleware: put ``window.__streamlit.BACKEND_BASE_URL`` into every page's HTML.

    Streamlit's page guesses its server's base path from the address (``/map`` -> tries ``/map``,
    then ``/``); given the base URL it connects straight to ``/``. Only page documents (HTML,
    not under ``/_stcore``, ``/static``, ``/component`` ...) are changed.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(_NOT_PAGES):
            await self.app(scope, receive, send)
            return
        # Ask Streamlit for the page uncompressed (it gzips pages other than /), so it can be edited;
        # the page is 8 KB, and a reverse proxy compresses what it passes on.
        scope = {**scope, "headers": [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]}
        start: dict | None = None
        body: list[bytes] = []

        async def capture(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = {k.lower(): v for k, v in message.get("headers", [])}
                if (message["status"] == 200 and headers.get(b"content-type", b"").startswith(b"text/html")
                        and b"content-encoding" not in headers):
                    start = message
                    return
                await send(message)
            elif message["type"] == "http.response.body" and start is not None:
                body.append(message.get("body", b""))
                if not message.get("more_body", False):
                    html = b"".join(body).replace(b"<head>", b"<head>" + _base_url_script(), 1)
                    headers = [(k, v) for k, v in start.get("headers", [])
                               if k.lower() not in (b"content-length", b"etag")]
                    headers.append((b"content-length", str(len(html)).encode()))
                    await send({**start, "headers": headers})
                    await send({"type": "http.response.body", "body": html})
            else:
                await send(message)

        await self.app(scope, receive, capture)


def middleware() -> list:
    from starlette.middleware import Middleware

    return [Middleware(BackendBaseUrl)]
