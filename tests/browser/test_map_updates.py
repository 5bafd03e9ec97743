"""A new period re-colours the map in place: the same map frame stays (no rebuild, no second load of
Leaflet), the legend names the new period, and the shape clicked before shows the new period's
numbers, equal to the `counts` CLI's."""

from __future__ import annotations

import pytest

from areaprofile.periods import shift
from tests.cli_counts import cli_counts

AREAS = ("Bath", "Bathavon", "Chew Valley", "Keynsham", "Somer Valley")


@pytest.fixture(scope="module")
def server(streamlit_server, built_store):
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store)})


def _click_largest_polygon(app) -> None:
    frame = app.map_frame()
    paths = frame.query_selector_all("path.leaflet-interactive")
    sizes = [(p.bounding_box()["width"] * p.bounding_box()["height"], i) for i, p in enumerate(paths)]
    box = paths[max(sizes)[1]].bounding_box()
    for dx, dy in ((0.5, 0.5), (0.45, 0.55), (0.55, 0.45), (0.4, 0.4)):
        frame.page.mouse.click(box["x"] + box["width"] * dx, box["y"] + box["height"] * dy)
        try:
            app.page.wait_for_function(
                "() => document.querySelectorAll('[data-testid=\"stMetricValue\"]').length > 0", timeout=5000)
            return
        except Exception:
            continue
    raise AssertionError("no click on the largest polygon reached the page")


def _selected(app) -> tuple[str, str]:
    panel = app.page.locator("[data-testid='stColumn']").filter(has_text="Selected").last.inner_text()
    name = next(a for a in AREAS if f"\n{a}\n" in f"\n{panel}\n")
    return name, app.page.locator("[data-testid='stMetricValue']").first.inner_text().replace(",", "")


def test_period_change_recolours_the_same_map_and_updates_the_selection(server, app_page, built_store, capsys):
    app = app_page(server, "/map?area=All+B%26NES&period=last-12-months&types=asb")
    app.wait_for_map_paths(5)
    app.page.wait_for_timeout(500)  # the click handler is attached just after the paths appear
    _click_largest_polygon(app)
    app.wait_until_idle()
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
