"""Browser figures on fresh servers: first map after a spawn, map load, re-colour on a period
change, bytes sent, and the server's memory. Debian Chromium, the browser-test harness.

Uses the browser-test harness (tests/browser/conftest.py): ``start_streamlit`` runs the app as
it is served for real (``serve.py``: caches warmed at start-up) on 127.0.0.1 with the bench store,
Playwright drives /usr/bin/chromium (never a downloaded browser), no name but the server's
resolves (``OFFLINE``), and the map's iframe (``AppPage.map_frame``) is polled every 50 ms for its
``path.leaflet-interactive`` polygons.

- spawn -> first map: from starting the server process until the first visitor's /map (their tab
  open before the spawn, the page asked for as soon as ``/_stcore/health`` answers) has its five
  area polygons drawn.
- load -> map: ``page.goto('/map')`` until the polygons are drawn; the first visit is the cold
  one, later visits (each a new browser context: a new Streamlit session, an empty HTTP cache) warm.
- change -> re-coloured: on the open map, from choosing "Last 12 months" in the sidebar until the
  map's legend names the new period (the shapes are re-coloured in the same step).
- bytes: what the browser received (Chrome DevTools protocol: HTTP bytes on the wire, plus
  WebSocket frame payloads), for a warm load of /map and for one period change.
- LSOA level: on the open map page, from clicking "LSOAs" until every B&NES LSOA polygon is drawn.
- app memory: the Streamlit server process's peak resident set (VmHWM from /proc, MiB) after every
  page registered in app.py has been visited with three selections (quick: three pages) and a
  forum-update PDF has been downloaded, and its resident set at the end.
"""

from __future__ import annotations

import base64
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("AREAPROFILE_CHROMIUM", "/usr/bin/chromium")
LSOA_LABEL = "LSOAs"
#: How long a page may take to settle: generous, the machine is often shared (load 20-30 seen).
IDLE_TIMEOUT_MS = 180_000

#: Selections each page of app.py is visited with before the app's memory is read.
SELECTIONS = (
    "area=All+B%26NES&period=last-3-months&types=all",
    "area=Keynsham&period=last-12-months&types=all-crime",
    "area=Bath&period=financial-year&types=asb",
)


def visits(quick: bool = False) -> list[str]:
    """Every page registered in app.py with each selection (quick: the first three pages once)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from pages import app_page_urls

    if quick:
        return [f"{url}?{SELECTIONS[0]}" for url in app_page_urls()[:3]]
    return [f"{url}?{query}" for query in SELECTIONS for url in app_page_urls()]


@dataclass
class BrowserFigures:
    spawns_to_first_map: list[float] = field(default_factory=list)  # one per fresh server
    nav_to_polygons: list[float] = field(default_factory=list)  # first one is cold
    change_to_recoloured: list[float] = field(default_factory=list)
    load_bytes: list[int] = field(default_factory=list)  # warm loads of /map
    change_bytes: list[int] = field(default_factory=list)
    pack_downloaded: bool = False
    lsoa_click_to_polygons: list[float] = field(default_factory=list)
    lsoa_polygons: int = 0
    visits: list[str] = field(default_factory=list)
    rss_growth: list[tuple[str, float]] = field(default_factory=list)  # (page, MB added by the visit)

    def biggest_growth(self, n: int = 3) -> str:
        """The pages whose visits added most resident memory, summed over selections."""
        total: dict[str, float] = {}
        for page, mb in self.rss_growth:
            total[page] = total.get(page, 0.0) + mb
        top = sorted(total.items(), key=lambda kv: -kv[1])[:n]
        return ", ".join(f"{page} +{mb:.0f} MB" for page, mb in top)
    peak_rss_mb: float | None = None
    end_rss_mb: float | None = None
    note: str = ""

    @property
    def spawn_to_first_map(self) -> float | None:
        return statistics.median(self.spawns_to_first_map) if self.spawns_to_first_map else None

    @property
    def cold(self) -> float | None:
        return self.nav_to_polygons[0] if self.nav_to_polygons else None

    @property
    def warm(self) -> float | None:
        rest = self.nav_to_polygons[1:]
        return statistics.median(rest) if rest else None


def available() -> str | None:
    """None when the browser figures can be taken, else why not."""
    if not os.access(CHROMIUM, os.X_OK):
        return f"no Chromium at {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed"
    return None


def rss_mb(pid: int) -> tuple[float | None, float | None]:
    """(peak, current) resident set of a process in MiB, from /proc/<pid>/status."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None, None
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0]) / 1024
    return values.get("VmHWM"), values.get("VmRSS")


def _harness():
    sys.path.insert(0, str(ROOT))
    from tests.browser.conftest import CHROMIUM_ARGS, AppPage, start_streamlit

    return CHROMIUM_ARGS, AppPage, start_streamlit


#: Every name but the server's resolves to nothing, so no request leaves the machine, without a
#: Playwright route in every visit's path: a route hands each of a page's ~100 requests to the
#: driver and back, ~0.2 s of every /map load (alternated medians 1.95 s with it, 1.75 s without).
OFFLINE = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"


def _wait_for_paths(app, count: int, timeout_s: float = 180) -> None:
    """Wait until the map iframe (re-found each time: a rerun may replace it) has ``count`` paths."""
    from playwright.sync_api import Error as PlaywrightError

    deadline = time.monotonic() + timeout_s
    found = 0
    while time.monotonic() < deadline:
        try:
            found = app.map_frame(0, timeout_ms=int(timeout_s * 1000)).evaluate(
                "document.querySelectorAll('path.leaflet-interactive').length")
            if found >= count:
                return
        except (PlaywrightError, AssertionError):
            pass  # the iframe is not there yet, has no content frame yet, or went away mid-call
        time.sleep(0.05)
    raise TimeoutError(f"the map drew {found} of {count} polygons in {timeout_s:.0f} s")


class ByteCounter:
    """Bytes a page receives: HTTP on the wire (cache hits count 0) and WebSocket frame payloads."""

    def __init__(self, page):
        self.http = self.websocket = 0
        session = page.context.new_cdp_session(page)
        session.on("Network.loadingFinished", self._http)
        session.on("Network.webSocketFrameReceived", self._frame)
        session.send("Network.enable")

    def _http(self, event) -> None:
        self.http += int(event.get("encodedDataLength") or 0)

    def _frame(self, event) -> None:
        response = event.get("response") or {}
        data = response.get("payloadData") or ""
        self.websocket += len(base64.b64decode(data)) if response.get("opcode") == 2 else len(data.encode())

    @property
    def total(self) -> int:
        return self.http + self.websocket

    def reset(self) -> None:
        self.http = self.websocket = 0


def _legend(app) -> str:
    try:
        return app.map_frame(0, timeout_ms=5000).evaluate(
            "() => { const l = document.querySelector('.ap-legend'); return l ? l.innerText : ''; }")
    except Exception:  # the frame is being replaced
        return ""


def _change_period(app, option: str, timeout_s: float = 60) -> float:
    """Choose ``option`` in the sidebar's Period; seconds until the map's legend has changed."""
    before = _legend(app)
    app.page.locator("[data-testid='stSidebar']").get_by_role("combobox", name="Period").click()
    chosen = app.page.get_by_role("option", name=option, exact=True)
    chosen.wait_for()
    started = time.monotonic()
    chosen.click()
    deadline = started + timeout_s
    while time.monotonic() < deadline:
        now = _legend(app)
        if now and now != before:
            return time.monotonic() - started
        time.sleep(0.02)
    raise TimeoutError(f"the map's legend did not change within {timeout_s:.0f} s")


def existing_register(store_path: Path, folder: Path) -> str:
    """A register set up before the server starts, as it is when a running site is restarted.

    Without one the server would set up a new register (alembic, the schema, the seed) at start-up:
    a site's first start, once in its life, which is not what "a first visit after a restart" means.
    The CLI sets it up, so the bench and the server use the same code.
    """
    register = folder / "register.sqlite"
    subprocess.run([sys.executable, "-m", "areaprofile", "concerns", "list", "--register", str(register),
                    "--store", str(store_path)], cwd=ROOT, check=True, capture_output=True)
    return str(register)


def measure(store_path: Path, runs: int, lsoa_count: int, log=print, quick: bool = False) -> BrowserFigures:
    pages_to_visit = visits(quick)
    figures = BrowserFigures(lsoa_polygons=lsoa_count, visits=pages_to_visit)
    why_not = available()
    if why_not:
        figures.note = why_not
        return figures
    from playwright.sync_api import sync_playwright

    chromium_args, AppPage, start_streamlit = _harness()
    with sync_playwright() as p, tempfile.TemporaryDirectory(prefix="areaprofile-bench-") as scratch:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*chromium_args, OFFLINE])

        def new_visitor() -> tuple[object, object, ByteCounter]:
            """A new browser context and tab: a new Streamlit session, an empty HTTP cache."""
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
            page = context.new_page()
            return context, page, ByteCounter(page)

        def open_page(path: str, visitor=None) -> tuple[object, AppPage, ByteCounter]:
            context, page, counter = visitor or new_visitor()
            app = AppPage(page=page, server=server, opened_at=time.monotonic())
            page.goto(server.url + path, wait_until="commit")
            return context, app, counter

        # The browser and the first visitor's tab are open before the spawn, as a visitor's browser
        # is when a site restarts: spawn -> first map is the server's time, not Playwright's
        # (a new context and its tab take 0.25-0.5 s). One spawn varies by a second on a busy
        # machine, so the figure is the median over ``runs`` fresh servers; the last one stays up
        # for everything after.
        register = existing_register(store_path, Path(scratch))
        env = {"AREAPROFILE_STORE": str(store_path), "AREAPROFILE_REGISTER": register}

        def spawn():
            """A first visitor's tab, then a fresh server: (the server, the tab, when it was spawned)."""
            visitor = new_visitor()
            spawned_at = time.monotonic()
            return start_streamlit("serve.py", env=env), visitor, spawned_at

        for _ in range(runs - 1):
            server, first_visitor, spawned = spawn()
            try:
                context, app, _counter = open_page("/map", first_visitor)
                _wait_for_paths(app, 5)
                figures.spawns_to_first_map.append(time.monotonic() - spawned)
                context.close()
            finally:
                server.stop()
        server, first_visitor, spawned = spawn()
        try:
            for i in range(runs + 1 if runs > 1 else 1):  # runs=1 (--quick): the cold visit only
                context, app, counter = open_page("/map", first_visitor if i == 0 else None)
                _wait_for_paths(app, 5)
                figures.nav_to_polygons.append(time.monotonic() - app.opened_at)
                if i == 0:
                    figures.spawns_to_first_map.append(time.monotonic() - spawned)
                app.wait_until_idle(timeout_ms=IDLE_TIMEOUT_MS)
                if i > 0 or runs == 1:
                    figures.load_bytes.append(counter.total)
                counter.reset()
                figures.change_to_recoloured.append(_change_period(app, "Last 12 months"))
                app.wait_until_idle(timeout_ms=IDLE_TIMEOUT_MS)
                figures.change_bytes.append(counter.total)
                app.page.locator("[data-testid='stRadio'] label").filter(has_text=LSOA_LABEL).first.click()
                started = time.monotonic()
                _wait_for_paths(app, lsoa_count)
                figures.lsoa_click_to_polygons.append(time.monotonic() - started)
                context.close()
            warm = f"{figures.warm:.2f} s" if figures.warm is not None else "not taken (quick)"
            log(f"browser: spawn to first map {figures.spawn_to_first_map:.2f} s; /map polygons cold "
                f"{figures.cold:.2f} s, warm {warm}; period change {statistics.median(figures.change_to_recoloured):.2f} s, "
                f"{statistics.median(figures.change_bytes) / 1024:.0f} KiB; LSOA click to polygons "
                f"{statistics.median(figures.lsoa_click_to_polygons):.2f} s")
            for path in pages_to_visit:
                before = rss_mb(server.process.pid)[1] or 0.0
                context, app, _counter = open_page(path)
                app.wait_until_idle(timeout_ms=IDLE_TIMEOUT_MS)
                if path.startswith("/map"):
                    _wait_for_paths(app, 5)
                context.close()
                figures.rss_growth.append((path.split("?")[0], (rss_mb(server.process.pid)[1] or 0.0) - before))
            if quick:  # one month cannot make a pack; the full run downloads one
                figures.peak_rss_mb, figures.end_rss_mb = rss_mb(server.process.pid)
                return figures
            before = rss_mb(server.process.pid)[1] or 0.0
            context, app, _counter = open_page("/forum-update")
            app.wait_until_idle(timeout_ms=IDLE_TIMEOUT_MS)
            with app.page.expect_download(timeout=180_000) as download:
                app.page.get_by_role("button", name="Download PDF").click()
            figures.pack_downloaded = download.value.suggested_filename.endswith(".pdf")
            context.close()
            figures.rss_growth.append(("/forum-update PDF", (rss_mb(server.process.pid)[1] or 0.0) - before))
            figures.peak_rss_mb, figures.end_rss_mb = rss_mb(server.process.pid)
        finally:
            server.stop()
            browser.close()
    return figures


if __name__ == "__main__":
    print(measure(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 3, int(sys.argv[3]) if len(sys.argv) > 3 else 119))
