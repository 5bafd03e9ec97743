"""A new period re-colours the map in place: the same map frame stays (no rebuild, no second load of
Leaflet), the legend names the new period, and the shape clicked before shows the new period's
numbers, equal to the `counts` CLI's. The first click on the map, in a window where the map reaches
below the fold, is the one that selects the shape."""

from __future__ import annotations

import pytest

from areaprofile.periods import shift
from tests.cli_counts import cli_counts

AREAS = ("Bath", "Bathavon", "Chew Valley", "Keynsham", "Somer Valley")
# A point (in the map frame) on a clickable shape within the frame's top ``limit`` pixels.
VISIBLE_SHAPE_POINT_JS = """(limit) => {
    const shapes = new Set(document.querySelectorAll('path.leaflet-interactive'));
    for (let y = 10; y < limit; y += 5)
        for (let x = 10; x < innerWidth - 10; x += 5)
            if (shapes.has(document.elementFromPoint(x, y))) return [x, y];
    return null;
}"""


@pytest.fixture(scope="module")
def server(streamlit_server, built_store):
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store)})


def _selected(app) -> tuple[str, str]:
    panel = app.page.locator("[data-testid='stColumn']").filter(has_text="Selected").last.inner_text()
    name = next(a for a in AREAS if f"\n{a}\n" in f"\n{panel}\n")
    return name, app.page.locator("[data-testid='stMetricValue']").first.inner_text().replace(",", "")


def test_period_change_recolours_the_same_map_and_updates_the_selection(server, app_page, built_store, capsys):
    # A laptop-sized window: the map's lower part is below the fold, where a first click used to
    # scroll the page under the mouse and be lost. One click must select the shape.
    app = app_page(server, "/map?area=All+B%26NES&period=last-12-months&types=asb",
                   viewport={"width": 1280, "height": 720})
    app.wait_for_map_paths(5)
    app.wait_until_idle()
    map_frame = app.page.locator("iframe[title='streamlit_folium.st_folium']")
    before = map_frame.bounding_box()
    assert before["y"] + before["height"] > 720, "the map should reach below the fold here"
    visible = app.map_frame().evaluate(VISIBLE_SHAPE_POINT_JS, 720 - before["y"] - 10)
    assert visible, "no shape in the map's visible strip"
    app.page.mouse.click(before["x"] + visible[0], before["y"] + visible[1])  # one click, no scrolling
    app.wait_for_click_reported(app.map_frame())
    assert map_frame.bounding_box()["y"] == before["y"], "pressing on the map scrolled the page"
    app.page.set_viewport_size({"width": 1400, "height": 1000})  # room for the period list below
    name, shown_12 = _selected(app)
    months = sorted({row["month"] for row in cli_counts(capsys, built_store, by="month")})
    latest = months[-1]
    assert shown_12 == str(cli_counts(capsys, built_store, area=name, crime_types="asb",
                                      start=shift(latest, -11), end=latest)[0]["count"])

    frame = app.map_frame()
    frame.evaluate("() => { window.__apSameMap = true; }")
    legend_before = frame.locator(".ap-legend").first.inner_text()
    sidebar = app.page.locator("[data-testid='stSidebar']")
    sidebar.get_by_role("combobox", name="Period").click()
    app.page.get_by_role("option", name="Last 3 months", exact=True).click()
    app.wait_until_idle()
    frame.wait_for_function("() => !document.querySelector('.ap-legend').innerText.includes('12 months') &&"
                            " document.querySelector('.ap-legend') !== null", timeout=30_000)

    frame = app.map_frame()
    assert frame.evaluate("() => window.__apSameMap === true"), "the map frame was rebuilt instead of re-coloured"
    assert len(app.page.query_selector_all("iframe[title='streamlit_folium.st_folium']")) == 1
    assert frame.locator("path.leaflet-interactive").count() == 5
    legends = frame.locator(".ap-legend")
    assert legends.count() == 1, "the old legend went with the old numbers"
    assert legends.first.inner_text() != legend_before

    name_after, shown_3 = _selected(app)
    assert name_after == name
    assert shown_3 == str(cli_counts(capsys, built_store, area=name, crime_types="asb",
                                     start=shift(latest, -2), end=latest)[0]["count"])
    app.screenshot("map-recoloured-last-3-months")
    app.assert_only_local()
