"""Bytes a browser fetches to show one dashboard page, and which of Streamlit's JavaScript chunks
it needs: does the page load the data-grid code (``DataFrame.*.js`` and what it pulls in)?

Starts ``streamlit run app.py`` from a checkout (``--root``, default this one) on the real store,
opens each page in Debian Chromium (a new context each time, nothing cached, requests off the
machine refused), waits until the page has finished running (its map, if any, drawn) and adds up
the bytes of every response body. Prints one line per page and, with ``--chunks``, the JavaScript
files by size. Compare two checkouts by running it in each, back to back.

    .venv/bin/python bench/page_bytes.py /map /            # this checkout
    .venv/bin/python bench/page_bytes.py --root /tmp/main-checkout /map
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
QUERY = "?area=All+B%26NES&period=last-12-months&types=all"


def start(root: Path, store: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address",
         "127.0.0.1", "--server.port", str(port), "--server.enableStaticServing", "true",
         "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=root, env={**os.environ, "AREAPROFILE_STORE": store}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("streamlit did not start")


def measure(browser, url: str, path: str) -> dict[str, int]:
    """{response URL: body bytes} for one fresh visit to ``path``."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    sizes: dict[str, int] = {}

    def on_response(response) -> None:
        try:
            sizes[response.url] = len(response.body())
        except Exception:  # noqa: BLE001 - redirects and aborted requests have no body
            pass

    context.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url or
                  r.request.url.startswith("data:") else r.abort())
    page = context.new_page()
    page.on("response", on_response)
    page.goto(url + path + QUERY)
    page.wait_for_function(
        "() => document.querySelector(\"[data-testid='stApp']\")?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=180_000)
    if page.locator("iframe[title='streamlit_folium.st_folium']").count():
        frame = page.frame_locator("iframe[title='streamlit_folium.st_folium']")
        frame.locator("path.leaflet-interactive").first.wait_for(state="attached", timeout=120_000)
    page.wait_for_timeout(2000)  # late chunks (a collapsed expander's table code) get their chance
    context.close()
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", default=["/map"])
    parser.add_argument("--root", type=Path, default=ROOT, help="checkout whose app.py is served")
    parser.add_argument("--store", default=os.environ.get("AREAPROFILE_STORE", str(ROOT / "store" / "areaprofile.duckdb")))
    parser.add_argument("--chunks", action="store_true", help="list the JavaScript files by size")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    process, url = start(args.root.resolve(), args.store)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            print("page | bytes | JavaScript bytes | data-grid chunk (DataFrame.*.js) loaded")
            for path in args.paths:
                sizes = measure(browser, url, path)
                js = {u: n for u, n in sizes.items() if u.split("?")[0].endswith(".js")}
                grid = any("/DataFrame." in u for u in js)
                print(f"{path} | {sum(sizes.values()):,} | {sum(js.values()):,} | {'yes' if grid else 'no'}")
                if args.chunks:
                    for u, n in sorted(js.items(), key=lambda kv: -kv[1]):
                        print(f"    {n:>10,}  {u.replace(url, '')[:110]}")
            browser.close()
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
