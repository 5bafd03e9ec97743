"""Browser-test harness: a real Streamlit server, Debian Chromium driven by Playwright, and a
record of every request a page makes.

Fixtures
--------
``streamlit_server`` (session): a factory ``start(script, env=None, args=()) -> StreamlitServer``.
    Starts ``streamlit run <script>`` on 127.0.0.1 and a free port (headless, static serving on,
    no usage stats, no file watcher) with cwd = the repo and the test's environment (so
    ``AREAPROFILE_STORE`` / ``AREAPROFILE_SHARED_DATA`` pass through; without
    ``AREAPROFILE_REGISTER`` each server gets a fresh concerns register of its own), waits for
    ``/_stcore/health``, and stops it at the end of the session. The same (script, env, args)
    is started once per session. Static files are served from ``<script's folder>/static``.
``browser`` (session): Debian Chromium (``/usr/bin/chromium``) launched by Playwright.
``app_page``: a factory ``open(server, path="/", **context_options) -> AppPage``: a fresh
    browser context (1400x1000) whose every request is recorded; requests to any host other
    than 127.0.0.1 / localhost are aborted (so a test never waits on the internet) and recorded.

``AppPage`` (helpers for tests)
    ``.page`` the Playwright page; ``.requests`` every request (``Request`` records: url, host,
    resource_type, frame_url, blocked); ``.external_requests()``;
    ``.assert_only_local()`` fails listing every request that was not for the local server;
    ``.wait_until_idle(quiet_ms=600)`` waits until Streamlit has stopped running the script
    (``stApp`` script state ``notRunning``, no running-man ``stStatusWidget``) and stayed so;
    ``.assert_no_exception()`` fails with the text of any ``stException`` box;
    ``.screenshot(name)`` saves ``test-output/screenshots/<name>.png`` and returns its path;
    ``.map_frame(index=0)`` the streamlit-folium iframe's Frame;
    ``.wait_for_map_paths(count, index=0)`` waits until that map has ``count`` (or more)
    ``path.leaflet-interactive`` elements and its click handler is attached; returns seconds
    since the page was opened.
    ``.map_shape_point(field, value, tag)`` tags a shape's path and returns a point on it that a
    real click hits; ``.select_map_shape(index=0)`` clicks once, with the real mouse, the largest
    clickable shape of that map (zoomed to fill it), waits for the page's rerun and fails unless
    the page shows the shape's numbers.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
CHROMIUM = os.environ.get("AREAPROFILE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
START_TIMEOUT_S = 60


# ---------------------------------------------------------------------------------------------
# Streamlit server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class StreamlitServer:
    script: Path
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        # The server was started in its own session: signal that process group only.
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def start_streamlit(script: str | Path, env: dict[str, str] | None = None,
                    args: tuple[str, ...] = ()) -> StreamlitServer:
    """Start ``streamlit run script`` on a free local port and wait until it is healthy."""
    script = (ROOT / script).resolve() if not Path(script).is_absolute() else Path(script)
    if not script.exists():
        raise FileNotFoundError(script)
    port = _free_port()
    log_dir = ROOT / "test-output" / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"streamlit-{script.stem}-{port}.log"
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true",
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.enableStaticServing", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
        *args,
    ]
    full_env = {**os.environ, **(env or {})}
    if "AREAPROFILE_REGISTER" not in full_env:  # never the repository's store/register.sqlite
        full_env["AREAPROFILE_REGISTER"] = str(log_dir / f"register-{script.stem}-{port}.sqlite")
    with open(log_path, "wb") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    server = StreamlitServer(script, port, process, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"streamlit not healthy after {START_TIMEOUT_S}s:\n"
                               f"{server.log_tail()}")
        time.sleep(0.05)  # the first visitor is sent within 50 ms of the server answering


@pytest.fixture(scope="session")
def streamlit_server() -> Iterator[Callable[..., StreamlitServer]]:
    servers: dict[tuple, StreamlitServer] = {}

    def start(script: str | Path, env: dict[str, str] | None = None,
              args: tuple[str, ...] = ()) -> StreamlitServer:
        key = (str(script), tuple(sorted((env or {}).items())), tuple(args))
        server = servers.get(key)
        if server is None or server.process.poll() is not None:
            server = servers[key] = start_streamlit(script, env, args)
        return server

    yield start
    for server in servers.values():
        server.stop()


# ---------------------------------------------------------------------------------------------
# Browser and pages


@pytest.fixture(scope="session")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} not found: run scripts/setup.sh --test (apt chromium); "
                    "never `playwright install`.")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class Request:
    url: str
    host: str
    resource_type: str
    frame_url: str
    blocked: bool = False

    def __str__(self) -> str:
        flag = " (blocked)" if self.blocked else ""
        return f"{self.resource_type:>10} {self.url[:200]}{flag}  [from {self.frame_url[:80]}]"


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about", "javascript", "chrome-error"):
        return True
    return (parsed.hostname or "") in LOCAL_HOSTS


# Find a shape (the layer whose feature has ``field == value``; with no field, the largest clickable
# shape), optionally zoom the map to it, tag its SVG path with ``tag`` and return a point (relative to
# the path's box) where a real mouse lands on it: the point and its neighbours 3 px away all hit the
# path, so neither a neighbour, a stroke nor rounding can intercept the click. Also the properties.
PICK_SHAPE_JS = """
([field, value, tag, zoom]) => {
    const shapes = Object.values(window.map._layers).filter(
        l => l.feature && l._path && l._path.classList.contains('leaflet-interactive'));
    const size = l => { const b = l._path.getBoundingClientRect(); return b.width * b.height; };
    const layer = field === null
        ? shapes.reduce((a, b) => (a && size(a) >= size(b)) ? a : b, null)
        : shapes.find(l => l.feature.properties[field] === value);
    if (!layer) return null;
    if (zoom) window.map.fitBounds(layer.getBounds(), {animate: false});
    const path = layer._path;
    path.setAttribute('data-test', tag);
    const b = path.getBoundingClientRect();
    const hits = (x, y) => [[0, 0], [3, 0], [-3, 0], [0, 3], [0, -3]].every(
        ([dx, dy]) => document.elementFromPoint(x + dx, y + dy) === path);
    const candidates = [];
    for (let i = 1; i < 24; i++) for (let j = 1; j < 24; j++)
        candidates.push([b.left + b.width * i / 24, b.top + b.height * j / 24]);
    const cx = b.left + b.width / 2, cy = b.top + b.height / 2;
    candidates.sort((p, q) => Math.hypot(p[0] - cx, p[1] - cy) - Math.hypot(q[0] - cx, q[1] - cy));
    const best = candidates.find(([x, y]) => hits(x, y));
    return best ? {x: best[0] - b.left, y: best[1] - b.top, properties: layer.feature.properties} : null;
}
"""


@dataclass
class AppPage:
    page: object
    server: StreamlitServer
    opened_at: float
    requests: list[Request] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked_urls: set[str] = field(default_factory=set)

    # -- network -------------------------------------------------------------------------
    def external_requests(self) -> list[Request]:
        # The route that refuses a request can run before its "request" event is recorded.
        for r in self.requests:
            r.blocked = r.blocked or r.url in self.blocked_urls
        return [r for r in self.requests if not _is_local(r.url)]

    def assert_only_local(self) -> None:
        """Fail, listing them, if any request went (or tried to go) beyond 127.0.0.1."""
        bad = self.external_requests()
        if bad:
            lines = "\n".join(f"  {r}" for r in bad)
            raise AssertionError(
                f"{len(bad)} request(s) to hosts other than 127.0.0.1/localhost:\n{lines}")

    # -- Streamlit -----------------------------------------------------------------------
    def wait_until_idle(self, quiet_ms: int = 600, timeout_ms: int = 90_000) -> None:
        """Wait until the script has finished running and stayed finished for ``quiet_ms``, counted
        from this call: an action's rerun may start a moment after the action, and an idle clock
        left running from before it would call the page settled before that rerun began."""
        self.page.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
        self.page.evaluate("() => { window.__apIdleSince = null; }")
        self.page.wait_for_function(
            """(quiet) => {
                const app = document.querySelector("[data-testid='stApp']");
                const state = app && app.getAttribute('data-test-script-state');
                const busy = state !== 'notRunning' ||
                    document.querySelector("[data-testid='stStatusWidgetRunningIcon']") ||
                    document.querySelector("[data-testid='stSkeleton']");
                const now = performance.now();
                if (busy) { window.__apIdleSince = null; return false; }
                if (!window.__apIdleSince) window.__apIdleSince = now;
                return now - window.__apIdleSince >= quiet;
            }""",
            arg=quiet_ms,
            timeout=timeout_ms,
            polling=100,
        )

    def assert_no_exception(self) -> None:
        """Fail with its text if the page shows a Streamlit exception box."""
        boxes = self.page.locator("[data-testid='stException']")
        if boxes.count():
            raise AssertionError("the page shows an exception:\n" + boxes.first.inner_text()[:2000])

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    # -- maps (streamlit-folium) ---------------------------------------------------------
    def map_frame(self, index: int = 0, timeout_ms: int = 90_000):
        selector = "iframe[title='streamlit_folium.st_folium']"
        self.page.wait_for_selector(selector, state="attached", timeout=timeout_ms)
        handle = self.page.query_selector_all(selector)[index]
        frame = handle.content_frame()
        if frame is None:
            raise AssertionError("map iframe has no content frame")
        return frame

    def wait_for_map_paths(self, count: int, index: int = 0, timeout_ms: int = 90_000) -> float:
        """Wait for ``count`` interactive paths in the map and its click handler; return the
        seconds from opening the page until the paths were there."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        frame = self.map_frame(index, timeout_ms)
        try:
            frame.wait_for_function(
                "(n) => document.querySelectorAll('path.leaflet-interactive').length >= n",
                arg=count, timeout=timeout_ms, polling=50,
            )
        except PlaywrightTimeout:
            found = frame.locator("path.leaflet-interactive").count()
            external = "\n".join(f"  {r}" for r in self.external_requests()) or "  none"
            errors = "\n".join(f"  {e}" for e in self.console_errors[-10:]) or "  none"
            raise AssertionError(
                f"map {index} drew {found} of {count} paths in {timeout_ms / 1000:.0f}s.\n"
                f"Requests off the machine (blocked):\n{external}\nConsole errors:\n{errors}"
            ) from None
        elapsed = time.monotonic() - self.opened_at
        # streamlit-folium attaches its click handlers in initComponent, after the map script.
        frame.wait_for_function(
            "() => window.map && window.__GLOBAL_DATA__ && "
            "Object.values(window.map._layers).some(l => l._events && l._events.click)",
            timeout=timeout_ms,
        )
        return elapsed

    def map_shape_point(self, field: str | None = None, value=None, tag: str = "ap-target",
                        index: int = 0, zoom: bool = False) -> dict | None:
        """Tag the path of the shape whose feature has ``field == value`` (no field: the largest
        clickable shape) as ``path[data-test=tag]`` and return ``{x, y, properties}``: a point
        relative to the path's box where a real click lands on it; None if there is no such shape.
        ``zoom`` first fits the map to that shape."""
        frame = self.map_frame(index)
        if zoom:
            frame.evaluate(PICK_SHAPE_JS, [field, value, tag, True])
            self.page.wait_for_timeout(300)  # let Leaflet redraw at the new zoom, then measure
        return frame.evaluate(PICK_SHAPE_JS, [field, value, tag, False])

    def wait_for_click_reported(self, frame) -> None:
        """Wait (up to 30 s) for the panel beside the map to show a clicked shape's numbers.

        streamlit-folium sends a click 250 ms after it (a debounce) and the page's rerun follows,
        about 0.3-0.4 s on a quiet machine and longer on a busy one, so no fixed pause will do:
        wait for what the person sees, then for the run to settle."""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        try:
            self.page.locator("[data-testid='stMetric']").first.wait_for(state="visible", timeout=30_000)
        except PlaywrightTimeout:
            try:
                clicks = frame.evaluate("() => window.__GLOBAL_DATA__.last_object_clicked_count")
            except Exception:  # the map's frame was redrawn or is gone
                clicks = "unknown"
            raise AssertionError("the first click on the map's shape was not reported to the page "
                                 f"within 30 s (clicks the map registered: {clicks})") from None
        self.wait_until_idle()

    def select_map_shape(self, index: int = 0) -> dict:
        """Click that map's largest clickable shape once with the mouse (zoomed to fill the map);
        wait for the page's rerun, check the panel shows it; return the shape's properties."""
        self.wait_for_map_paths(1, index)
        where = self.map_shape_point(tag="ap-selected", index=index, zoom=True)
        assert where, "no clickable shape on the map"
        # One click, as a person gives: the first click after the map loads must reach the page.
        frame = self.map_frame(index)
        frame.locator("path[data-test='ap-selected']").click(
            position={"x": where["x"], "y": where["y"]})
        self.wait_for_click_reported(frame)
        return where["properties"]


@pytest.fixture
def app_page(browser) -> Iterator[Callable[..., AppPage]]:
    contexts = []

    def open_page(server: StreamlitServer, path: str = "/", wait: bool = True,
                  **context_options) -> AppPage:
        options = {"viewport": {"width": 1400, "height": 1000}, **context_options}
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        app = AppPage(page=page, server=server, opened_at=time.monotonic())

        def on_request(req) -> None:
            try:
                frame_url = req.frame.url
            except Exception:  # service workers have no frame
                frame_url = ""
            app.requests.append(Request(req.url, urlparse(req.url).hostname or "",
                                        req.resource_type, frame_url))

        def route(r) -> None:
            if _is_local(r.request.url):
                r.continue_()
            else:
                app.blocked_urls.add(r.request.url)
                r.abort("blockedbyclient")

        context.on("request", on_request)
        context.route("**/*", route)
        # WebSocket URLs are requests too (Streamlit's own is ws://127.0.0.1).
        page.on("websocket", lambda ws: app.requests.append(
            Request(ws.url, urlparse(ws.url).hostname or "", "websocket", page.url)))
        page.on("console", lambda msg: app.console_errors.append(msg.text)
                if msg.type == "error" else None)

        def on_dialog(dialog) -> None:
            app.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)
        app.opened_at = time.monotonic()
        page.goto(server.url + path, wait_until="domcontentloaded")
        if wait:
            app.wait_until_idle()
        return app

    yield open_page
    for context in contexts:
        context.close()
