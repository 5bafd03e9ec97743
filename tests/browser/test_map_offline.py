"""The LSOA map renders in Streamlit from self-hosted assets, with no request off the machine,
and a click on a polygon shows that polygon's name beside the map."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

DEMO = "tests/browser/map_demo_app.py"
N_LSOA = 118
HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def demo(streamlit_server):
    return streamlit_server(DEMO)


def _runs(app) -> int:
    text = app.page.get_by_text(re.compile(r"^Script runs: \d+$")).inner_text()
    return int(text.rsplit(" ", 1)[1])


def _click_feature(app, field: str, value: str) -> None:
    where = app.map_shape_point(field, value, "target")
    assert where, f"no clickable path for {field}={value!r}"
    app.map_frame().locator("path[data-test='target']").click(position={"x": where["x"], "y": where["y"]})


def test_all_lsoas_drawn_from_local_assets_only(demo, app_page):
    app = app_page(demo)
    seconds = app.wait_for_map_paths(N_LSOA)
    frame = app.map_frame()
    assert frame.locator("path.leaflet-interactive").count() == N_LSOA
    # The legend states numbers, not only colours.
    legend = frame.locator(".ap-legend").first.inner_text()
    assert "Demo value (not real data)" in legend
    assert len(re.findall(r"\d+\u2013\d+ \(\d+ areas?\)", legend)) == 5
    # Labels are on the map with no tiles; some are hidden only where they would overlap.
    assert frame.locator(".ap-label span").count() == N_LSOA
    visible = frame.evaluate(
        "() => [...document.querySelectorAll('.ap-label span')]"
        ".filter(s => getComputedStyle(s).visibility === 'visible').length")
    assert visible >= 40
    app.wait_until_idle()
    app.assert_no_exception()
    shot = app.screenshot("map_offline_lsoa")
    assert shot.stat().st_size > 20_000
    vendor = [r for r in app.requests if "/app/static/vendor/leaflet/1.9.3/" in r.url]
    assert {r.url.rsplit("/", 1)[1] for r in vendor} >= {"leaflet.js", "leaflet.css"}
    app.assert_only_local()
    assert app.dialogs == []
    print(f"\n{N_LSOA} polygons drawn {seconds:.2f}s after opening the page")


def test_click_on_polygon_shows_its_name_and_pans_do_not_rerun(demo, app_page):
    app = app_page(demo)
    app.wait_for_map_paths(N_LSOA)
    app.wait_until_idle()
    expect(app.page.get_by_text("Selected: none")).to_be_visible()

    # Zooming (a view change) must not rerun the script: returned_objects filters it out.
    runs = _runs(app)
    frame = app.map_frame()
    frame.locator("a.leaflet-control-zoom-in").click()
    frame.wait_for_function("() => window.map.getZoom() > 11", timeout=5_000)
    app.page.wait_for_timeout(1_200)  # > the component's 250 ms debounce + a round trip
    app.wait_until_idle()
    assert _runs(app) == runs
    frame.locator("a.leaflet-control-zoom-out").click()
    app.page.wait_for_timeout(500)

    name = "Bath and North East Somerset 016A"
    _click_feature(app, "LSOA21NM", name)
    expect(app.page.get_by_text(f"Selected: {name}")).to_be_visible(timeout=15_000)
    expect(app.page.get_by_text(re.compile(r"^Code: E0101\d{4}$"))).to_be_visible()
    app.wait_until_idle()
    assert _runs(app) == runs + 1
    app.screenshot("map_offline_clicked")
    app.assert_only_local()


def test_hostile_names_show_as_text(demo, app_page):
    app = app_page(demo)
    app.wait_for_map_paths(N_LSOA)
    app.wait_until_idle()
    frame = app.map_frame()
    # The on-map label holds the literal text.
    labels = frame.evaluate(
        "() => [...document.querySelectorAll('.ap-label span')].map(s => s.textContent)")
    assert HOSTILE in labels
    # The tooltip on hover holds the literal text too, and nothing was turned into an element.
    found = app.map_shape_point("LSOA21NM", HOSTILE, "hostile")
    assert found
    where = {"x": found["x"], "y": found["y"]}
    frame.locator("path[data-test='hostile']").hover(position=where)
    tip = frame.locator(".leaflet-tooltip.ap-tip")
    expect(tip).to_contain_text(HOSTILE, timeout=5_000)
    app.screenshot("map_offline_hostile_tooltip")
    assert frame.locator("img").count() == 0
    # And beside the map after a click.
    frame.locator("path[data-test='hostile']").click(position=where)
    expect(app.page.get_by_text(f"Selected: {HOSTILE}")).to_be_visible(timeout=15_000)
    assert app.page.locator("img[src='x']").count() == 0
    assert app.dialogs == []
    app.assert_only_local()


def test_point_circles_are_drawn_and_clickable(demo, app_page):
    app = app_page(demo, "/?points=1")
    app.wait_for_map_paths(N_LSOA + 3)
    app.wait_until_idle()
    frame = app.map_frame()
    legend = frame.locator(".ap-legend", has_text="Crimes per location").inner_text()
    assert "120" in legend
    radii = frame.evaluate(
        "() => Object.values(window.map._layers).filter(l => l.feature && "
        "l.feature.properties.kind === 'point').map(l => [l.feature.properties.count, "
        "l.getRadius()])")
    assert sorted(radii) == sorted(radii, key=lambda r: r[1])  # bigger count, bigger circle
    _click_feature(app, "label", "On or near High Street")
    expect(app.page.get_by_text("Selected: On or near High Street")).to_be_visible(timeout=15_000)
    expect(app.page.get_by_text("Demo value: 30")).to_be_visible()
    app.screenshot("map_offline_points")
    app.assert_only_local()


def test_offline_check_catches_tiles(demo, app_page):
    """With tiles on, the page asks tile.openstreetmap.org: the helper must say so."""
    app = app_page(demo, "/?tiles=osm")
    app.wait_for_map_paths(N_LSOA)
    app.wait_until_idle()
    app.page.wait_for_timeout(500)
    external = app.external_requests()
    assert external, "expected tile requests with tiles=OpenStreetMap"
    assert {r.host for r in external} == {"tile.openstreetmap.org"}
    assert all(r.blocked for r in external)
    with pytest.raises(AssertionError, match="tile.openstreetmap.org"):
        app.assert_only_local()
    assert "OpenStreetMap" in app.map_frame().locator(".leaflet-control-attribution").inner_text()
