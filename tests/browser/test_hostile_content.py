"""Hostile text in the data is shown as text everywhere, never run.

A real month (September 2021) with its two busiest snap points renamed to an <img onerror> and
a <script>, the other text fields of those rows (Context, outcome, Crime ID, LSOA name, force
names) set to them too, built from a folder whose name is itself hostile (so the build log and
file list carry it). Every page of the app is opened on it: no dialog fires, nothing is turned
into an element, and the literal text is there in the top-locations list, the map's tooltip and
click panel, the build log and (when areaprofile/report.py exists) the forum-update HTML and PDF.
"""

from __future__ import annotations

import re

import shutil
import subprocess
from collections import Counter

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from areaprofile import query
from areaprofile.sources.police_uk import STREET_COLUMNS
from areaprofile.store import build
from tests import rawdata, stores
from tests.browser.test_pages_offline import PAGES

MONTH = "2021-09"
IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert(1)</script>"
SEPTEMBER = f"?period=custom&from={MONTH}&to={MONTH}"

INJECTED_JS = """
() => {
    const docs = [document, ...[...document.querySelectorAll('iframe')].map(f => {
        try { return f.contentDocument; } catch (e) { return null; } }).filter(Boolean)];
    let found = [];
    for (const d of docs) {
        found = found.concat([...d.querySelectorAll("img[src='x'], img[onerror]")].map(e => e.outerHTML));
        found = found.concat([...d.querySelectorAll('script')].filter(s => s.textContent.trim() === 'alert(1)')
                             .map(e => e.outerHTML));
    }
    return found;
}
"""


@pytest.fixture(scope="module")
def hostile(data_dir, built_store, tmp_path_factory):
    """The real store with September 2021 replaced by the hostile copy; and the two places."""
    rows = rawdata.la_rows(stores.month_file(data_dir, MONTH))
    point = lambda r: (r["Location"], r["Longitude"], r["Latitude"])  # noqa: E731 - one snap point
    busiest = [p for p, _ in Counter(point(r) for r in rows if r["Longitude"]).most_common(2)]
    names = dict(zip(busiest, (IMG, SCRIPT)))
    for row in rows:
        if point(row) in names:
            text = names[point(row)]
            row.update({"Location": text, "Context": text, "Last outcome category": text, "Crime ID": text,
                        "LSOA name": text, "Reported by": text, "Falls within": text})
    root = tmp_path_factory.mktemp("hostile")
    folder = root / IMG  # a folder name may hold '<', '>' and '=' (not '/')
    rawdata.write_csv(folder / MONTH / f"{MONTH}-avon-and-somerset-street.csv", list(STREET_COLUMNS), rows)
    store = stores.copy_store(built_store, root / "store")
    build([folder], store)
    placed = query.open_store(store).sql(
        "SELECT location, ANY_VALUE(area) AS area, COUNT(*) AS n FROM crimes WHERE month = ? AND location IN (?, ?) "
        "GROUP BY location", [MONTH, IMG, SCRIPT])
    assert set(placed["location"]) == {IMG, SCRIPT}
    return {"store": store, "areas": dict(zip(placed["location"], placed["area"]))}


@pytest.fixture(scope="module")
def server(hostile, streamlit_server):
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(hostile["store"])})


def _assert_inert(app) -> None:
    app.page.wait_for_timeout(300)  # an onerror handler would have fired by now
    assert app.dialogs == [], f"a dialog fired: {app.dialogs}"
    assert app.page.evaluate(INJECTED_JS) == []
    assert app.page.locator("[data-testid='stException']").count() == 0
    app.assert_only_local()


def test_top_locations_show_the_text(server, app_page):
    app = app_page(server, "/" + SEPTEMBER)
    expect(app.page.get_by_text(f"The busiest snap point is '{IMG}'")).to_be_visible()
    table = app.page.get_by_role("table", name=re.compile("^The busiest places"))
    expect(table).to_contain_text(IMG)
    expect(table).to_contain_text(SCRIPT)
    app.screenshot("hostile_profile")
    _assert_inert(app)


def _map_with_points(app):
    """The map's frame once it shows the snap points (switching them on draws a new map frame)."""
    for _ in range(20):
        frame = app.map_frame()
        try:
            frame.wait_for_function("() => window.map && Object.values(window.map._layers).some("
                                    "l => l.feature && l.feature.properties.kind === 'point')", timeout=5_000)
            return frame
        except PlaywrightError:  # the old frame was replaced, or the new one is still drawing
            app.wait_until_idle()
    raise AssertionError("the map never showed the snap points")


def test_map_tooltip_and_click_panel_show_the_text(server, app_page):
    app = app_page(server, "/map" + SEPTEMBER)
    app.page.get_by_text("Show incidents per snap point").click()
    app.wait_until_idle()
    frame = _map_with_points(app)
    for text in (IMG, SCRIPT):
        point = frame.evaluate(
            """(label) => {
                const layer = Object.values(window.map._layers).find(
                    l => l.feature && l.feature.properties.kind === 'point' && l.feature.properties.label === label);
                if (!layer) return null;
                window.map.setView(layer.getLatLng(), 16, {animate: false});
                const p = window.map.latLngToContainerPoint(layer.getLatLng());
                return {x: p.x, y: p.y};
            }""", text)
        assert point, f"no snap point labelled {text!r}"
        frame.locator("#" + frame.evaluate("() => window.map.getContainer().id")).hover(position=point)
        expect(frame.locator(".leaflet-tooltip.ap-tip").last).to_contain_text(text, timeout=10_000)
    app.screenshot("hostile_map_tooltip")
    frame.locator("#" + frame.evaluate("() => window.map.getContainer().id")).click(position=point)
    expect(app.page.get_by_text(SCRIPT, exact=True).first).to_be_visible(timeout=30_000)
    _assert_inert(app)


def test_build_log_and_file_list_show_the_text(server, app_page):
    app = app_page(server, "/data")
    expect(app.page.get_by_text(f"/{IMG}/{MONTH}/", exact=False).first).to_be_visible()
    _assert_inert(app)


@pytest.mark.parametrize("file, path", PAGES, ids=[p for _, p in PAGES])
def test_every_page_stays_inert(file, path, server, app_page):
    app = app_page(server, path + SEPTEMBER)
    _assert_inert(app)


# ---- the forum-update pack (areaprofile/report.py, built by another engineer) ---------------------


@pytest.fixture(scope="module")
def report():
    return pytest.importorskip("areaprofile.report", reason="areaprofile/report.py (the forum-update pack) is not in the tree yet")


def test_forum_update_html_shows_the_text(report, hostile, browser):
    store = query.open_store(hostile["store"])
    for text in (IMG, SCRIPT):
        pack = report.build_pack(store, hostile["areas"][text], month=MONTH)
        page_html = report.render_html(pack)
        assert text not in page_html, "the raw markup went into the HTML unescaped"
        context = browser.new_context()
        try:
            page = context.new_page()
            dialogs = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.route("**/*", lambda r: r.abort())
            page.set_content(page_html, wait_until="load")
            page.wait_for_timeout(300)
            assert dialogs == [] and page.evaluate(INJECTED_JS) == []
            assert text in page.inner_text("body")
        finally:
            context.close()


def test_forum_update_pdf_shows_the_text(report, hostile, tmp_path):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is needed to read the PDF")
    store = query.open_store(hostile["store"])
    for text in (IMG, SCRIPT):
        pack = report.build_pack(store, hostile["areas"][text], month=MONTH)
        pdf = tmp_path / "pack.pdf"
        pdf.write_bytes(report.render_pdf(pack))
        words = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert text in words, f"{text!r} is not in the PDF's text"
