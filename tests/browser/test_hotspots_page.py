"""The Hotspots page in Debian Chromium on the real store: the hot cells are drawn (outlined, with
a legend in words), the cells' labels over time are on their own map and in a table, the trust and
ceiling sentences show the package's numbers, nothing leaves localhost."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from areaprofile import forecast_ceiling, hotspot_trends, hotspots, query
from areaprofile.periods import preset_period
from areaprofile.profile import Selection

# (URL 'types' value, the page's crime types, words in the trust sentence)
CASES = [
    ("all-crime", query.TYPE_GROUPS["all-crime"], "all crime (excluding ASB)"),
    ("asb", query.TYPE_GROUPS["asb"], "anti-social behaviour"),
]

LAYER_COUNTS_JS = """
() => {
    const layers = Object.values(window.map._layers).filter(l => l.feature && l._path);
    const props = layers.map(l => l.feature.properties);
    return {
        cells: props.filter(p => p.cell_id && p.kind === undefined).length,
        hotCells: props.filter(p => p.kind === undefined && p.hot === true).length,
        hotOutlines: layers.filter(l => l.feature.properties.kind === 'hot' && l.options.weight >= 3
                                   && l.options.fill === false).length,
        forecastOutlines: layers.filter(l => l.feature.properties.kind === 'forecast' && l.options.dashArray).length,
    };
}
"""


TREND_CELLS_JS = """
() => {
    const layers = Object.values(window.map._layers).filter(l => l.feature && l._path && l.feature.properties.label);
    const out = {};
    layers.forEach(l => {
        const p = l.feature.properties;
        out[p.label] = out[p.label] || {count: 0, fills: []};
        out[p.label].count += 1;
        if (!out[p.label].fills.includes(l.options.fillColor)) out[p.label].fills.push(l.options.fillColor);
    });
    return out;
}
"""


@pytest.fixture(scope="module")
def server(streamlit_server, built_store):
    return streamlit_server("app.py", env={"AREAPROFILE_STORE": str(built_store)})


def expected(built_store, types: tuple[str, ...], area: str = "Bath"):
    store = query.open_store(built_store)
    latest = query.months(store)[-1]
    selection = Selection(area=area, period=preset_period("Last 3 months", latest), crime_types=types)
    trust, ceiling = forecast_ceiling.page_trust(store, selection)
    forecast = tuple(forecast_ceiling.forecast_cells(store, selection, trust))
    layers = hotspots.map_layers(store, selection, forecast)
    return hotspots.hot_summary(store, selection), trust, layers, forecast, ceiling, hotspot_trends.trends(store, selection)


@pytest.mark.parametrize("types_param, types, words", CASES)
def test_page_draws_hot_cells_and_trust_sentence(types_param, types, words, server, app_page, built_store):
    summary, trust, layers, forecast, ceiling, trends = expected(built_store, types)
    assert summary.hot_cells > 0, "the chosen view should have hot cells to draw"
    n_cells = len(layers["cells"]["features"])

    app = app_page(server, f"/hotspots?area=Bath&period=last-3-months&types={types_param}", wait=False)
    app.wait_until_idle(timeout_ms=120_000)  # a cold server on a busy machine: imports and first numbers
    errors = app.page.query_selector_all("[data-testid='stException']")
    assert not errors, errors[0].inner_text()[:2000]
    expect(app.page.locator("h1").first).to_have_text("Hotspots: Bath")

    # The map: one clickable square per cell with records, hot cells outlined thick, next month's dashed.
    app.wait_for_map_paths(n_cells)
    frame = app.map_frame()
    assert frame.locator("path.leaflet-interactive").count() == n_cells
    counts = frame.evaluate(LAYER_COUNTS_JS)
    assert counts == {"cells": n_cells, "hotCells": summary.hot_cells, "hotOutlines": summary.hot_cells,
                      "forecastOutlines": len(forecast)}
    legend = frame.locator(".ap-hot-legend").inner_text()
    assert f"Hotspot ({summary.hot_cells} cells)" in legend
    assert "Top 1% of land, next month" in legend
    assert "Records per 250 m cell" in frame.locator(".ap-legend:not(.ap-hot-legend)").first.inner_text()

    app.page.locator("iframe[title='streamlit_folium.st_folium']").first.scroll_into_view_if_needed()
    app.page.wait_for_timeout(300)
    app.screenshot(f"hotspots-bath-{types_param}-map", full_page=False)

    # Active titles: the hotspot sentence and the trust sentence with the package's numbers.
    expect(app.page.get_by_text(summary.sentence())).to_be_visible()
    sentence = trust.sentence()
    assert f"of next month's {words} on 1% of the land of Bath" in sentence
    expect(app.page.get_by_text(sentence)).to_be_visible()
    assert re.search(r"PAI \d+\.\d\), and \d+% on 5% of the land \(PAI \d+\.\d\)", sentence)

    # How close to the best possible, and which ranking: the package's sentences.
    shown = trust.get(trust.shown.name, 0.01)
    expect(app.page.get_by_text(ceiling.sentence(shown.mean_pai))).to_be_visible()
    expect(app.page.get_by_text(ceiling.method_sentence(trust.shown_label))).to_be_visible()

    # Hotspots over time: the sentence, one definition per label, the second map coloured by label
    # with a legend in words, and the table beside it.
    counts = {label: n for label, n in trends.counts().items() if n and label != hotspot_trends.NOT_HOT}
    assert counts, "Bath should have labelled cells"
    expect(app.page.get_by_text(trends.sentence())).to_be_visible()
    for label in hotspot_trends.LABELS:
        expect(app.page.get_by_text(hotspot_trends.DEFINITIONS[label]).first).to_be_visible()
    trend_iframe = app.page.locator("iframe[title='streamlit_folium.st_folium']").nth(1)
    trend_iframe.scroll_into_view_if_needed()
    app.wait_for_map_paths(sum(counts.values()), index=1)
    drawn = app.map_frame(1).evaluate(TREND_CELLS_JS)
    assert {label: v["count"] for label, v in drawn.items()} == counts
    assert {label: v["fills"] for label, v in drawn.items()} == {label: [hotspot_trends.COLOURS[label]]
                                                                 for label in counts}
    legend = app.map_frame(1).locator(".ap-category-legend").inner_text()
    assert "Hotspots over time" in legend
    for label in hotspot_trends.COLOURS:
        n = counts.get(label, 0)
        assert f"{label.capitalize()} ({n} cell{'' if n == 1 else 's'})" in legend
    table = app.page.get_by_role("region", name="Hotspots over time in Bath, sporadic ones left out")
    expect(table).to_be_visible()
    rows = table.locator("tbody tr")
    listed = trends.table()
    listed = listed[listed["Label"] != hotspot_trends.SPORADIC]
    expect(rows).to_have_count(len(listed))
    assert [rows.nth(i).locator("th").inner_text().strip() for i in range(rows.count())] == list(listed["Label"])
    app.page.wait_for_timeout(300)
    app.screenshot(f"hotspots-bath-{types_param}-over-time", full_page=False)

    # Table alternatives exist for the map; the details expander holds one row per test month.
    expect(app.page.get_by_text("Show the hotspot cells as a table")).to_be_visible()
    app.page.get_by_text("Details: hit rate, PAI, RRI and PEI for each test month").click()
    app.wait_until_idle()
    for heading in ("Busiest places", "Emerging hotspots", "Places that absorb unusually many records"):
        expect(app.page.get_by_role("heading", name=heading)).to_be_visible()

    app.wait_until_idle()
    shot = app.screenshot(f"hotspots-bath-{types_param}")
    assert shot.stat().st_size > 50_000
    app.assert_only_local()
    assert app.dialogs == []


def test_clicking_a_hot_cell_names_it(server, app_page, built_store):
    summary, _, layers, *_ = expected(built_store, query.TYPE_GROUPS["all-crime"])
    hot = [f["properties"] for f in layers["cells"]["features"] if f["properties"]["hot"]]
    target = max(hot, key=lambda p: p["count"])
    app = app_page(server, "/hotspots?area=Bath&period=last-3-months&types=all-crime")
    app.wait_for_map_paths(len(layers["cells"]["features"]))
    app.wait_until_idle()
    frame = app.map_frame()
    # Zoom the map onto the cell so it is big enough to click, then click its middle.
    where = frame.evaluate(
        """(id) => {
            const layer = Object.values(window.map._layers).find(
                l => l.feature && l._path && l.feature.properties.cell_id === id && l.feature.properties.kind === undefined);
            window.map.setView(layer.getBounds().getCenter(), 16, {animate: false});
            return id;
        }""",
        target["cell_id"],
    )
    assert where == target["cell_id"]
    app.page.wait_for_timeout(500)
    box = frame.evaluate(
        """(id) => {
            const layer = Object.values(window.map._layers).find(
                l => l.feature && l._path && l.feature.properties.cell_id === id && l.feature.properties.kind === undefined);
            const b = layer._path.getBoundingClientRect();
            return {x: b.left + b.width / 2, y: b.top + b.height / 2, w: b.width};
        }""",
        target["cell_id"],
    )
    assert box["w"] > 20
    iframe_locator = app.page.locator("iframe[title='streamlit_folium.st_folium']").first
    iframe_locator.scroll_into_view_if_needed()
    iframe = iframe_locator.bounding_box()
    app.page.mouse.click(iframe["x"] + box["x"], iframe["y"] + box["y"])
    expect(app.page.get_by_text(f"Cell {target['cell_id']} (250 m square")).to_be_visible(timeout=15_000)
    expect(app.page.get_by_text("Hotspot", exact=True)).to_be_visible()
    app.wait_until_idle()
    app.screenshot("hotspots-bath-clicked-cell")
    app.assert_only_local()
