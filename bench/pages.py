"""Server-side run time of each dashboard page, warm and cold, with streamlit.testing.v1.AppTest.

AppTest runs app.py (shared sidebar + st.navigation) in this process, as the server would, and
``switch_page`` picks the page. What is timed is one ``AppTest.run()``: the whole script run for
that page, sidebar included, until every element has been produced (no browser, no network).

- warm: the same session runs the page again; the page's cached tables are there.
- cold: a new session whose first run of the page comes after ``st.cache_data`` has been
  cleared, i.e. the first visitor after a rebuild or restart (modules already imported and the
  DuckDB file already open: one untimed run of each page first pays for those).

The map page is timed at its default level (the five areas for all of B&NES) and at LSOA level
(the "Show" radio); the LSOA map's HTML size is taken from the very map object the page draws
(``areaprofile.maps.show_map`` is wrapped to see it).
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"



def app_pages(app: Path = APP) -> dict[str, str]:
    """Every page app.py registers with st.Page, in order: {title (lower case): file}.

    Read from app.py's source, so a page added there is timed without touching the bench.
    The map page is timed twice: at its default level and at LSOA level.
    """
    import ast

    out: dict[str, str] = {}
    for node in ast.walk(ast.parse(app.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page" and node.args:
            first = node.args[0]
            if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                continue
            title = next((k.value.value for k in node.keywords if k.arg == "title" and isinstance(k.value, ast.Constant)),
                         Path(first.value).stem.replace("_", " "))
            if Path(first.value).stem == "map":
                out[f"{title.lower()} (areas)"] = first.value
                out[f"{title.lower()} (LSOAs)"] = first.value
            else:
                out[title.lower()] = first.value
    return out


def app_page_urls(app: Path = APP) -> list[str]:
    """The URL path of every page app.py registers ('/' for the default one), in order."""
    import ast

    urls = []
    for node in ast.walk(ast.parse(app.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Page" and node.args:
            keywords = {k.arg: k.value.value for k in node.keywords if isinstance(k.value, ast.Constant)}
            if keywords.get("default"):
                urls.append("/")
            elif keywords.get("url_path"):
                urls.append("/" + keywords["url_path"])
            elif isinstance(node.args[0], ast.Constant):
                urls.append("/" + Path(node.args[0].value).stem)
    return urls


LSOA_LEVEL = "LSOAs (neighbourhoods of about 1,600 people)"


@dataclass
class PageTiming:
    name: str
    warm: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    title: str = ""

    @property
    def warm_median(self) -> float:
        return statistics.median(self.warm)

    @property
    def cold_median(self) -> float:
        return statistics.median(self.cold)


def _reset_caches() -> None:
    """Forget every cached table (the open DuckDB connection stays: reopening it costs ~ms)."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()


def _new_session(page: str, lsoa: bool):
    """A fresh AppTest session showing ``page`` (LSOA level for the map if asked); untimed."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    at.switch_page(page)
    if lsoa:
        at.session_state["map_level"] = LSOA_LEVEL
    return at


def _timed_run(at, timing: PageTiming) -> float:
    started = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - started
    timing.errors += [str(e.value)[:300] for e in at.exception]
    if len(at.title):
        timing.title = at.title[0].value
    return seconds


def measure(store_path: Path, runs: int, log=print) -> tuple[dict[str, PageTiming], int | None]:
    """Timings per page and the LSOA map's HTML bytes (all of B&NES, default selection)."""
    os.environ["AREAPROFILE_STORE"] = str(store_path)
    from streamlit.testing.v1 import AppTest

    from areaprofile import maps

    AppTest.from_file(str(APP), default_timeout=300).run()  # imports and first-use costs, untimed
    seen: dict[str, int] = {}
    original_show_map = maps.show_map

    def recording_show_map(m, *args, **kwargs):
        seen["bytes"] = maps.map_html_bytes(m)
        seen["key"] = kwargs.get("key", "")
        return original_show_map(m, *args, **kwargs)

    results: dict[str, PageTiming] = {}
    default_page = next(iter(app_pages().values()))
    for name, page in app_pages().items():
        lsoa = name.endswith("(LSOAs)")
        timing = PageTiming(name)
        _new_session(page, lsoa).run()  # untimed: the page's own imports (esda, weasyprint, ...)
        cold_runs = max(1, (runs + 1) // 2)
        for _ in range(cold_runs):
            if page == default_page:  # the default page: a new session's first run
                _reset_caches()
                at = AppTest.from_file(str(APP), default_timeout=300)
            else:
                at = _new_session(page, lsoa)
                _reset_caches()
            timing.cold.append(_timed_run(at, timing))
        for _ in range(runs):
            timing.warm.append(_timed_run(at, timing))
        results[name] = timing
        log(f"page {name}: warm {timing.warm_median * 1000:.0f} ms, cold {timing.cold_median * 1000:.0f} ms")

    # The map page's own LSOA map, all of B&NES: its size as a standalone page.
    maps.show_map = recording_show_map
    try:
        at = _new_session(next(f for f in app_pages().values() if Path(f).stem == "map"), lsoa=True)
        at.run()
    finally:
        maps.show_map = original_show_map
    map_bytes = seen.get("bytes") if "lsoa" in seen.get("key", "") else None
    return results, map_bytes


if __name__ == "__main__":
    import sys

    timings, size = measure(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 5)
    for t in timings.values():
        print(f"{t.name:16} warm {t.warm_median * 1000:7.1f} ms  cold {t.cold_median * 1000:7.1f} ms  {t.title!r} {t.errors[:1]}")
    print("LSOA map HTML bytes:", size)
