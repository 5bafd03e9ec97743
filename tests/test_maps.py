"""areaprofile.maps without a browser: escaping, page size, local assets only, classes."""

from __future__ import annotations

import copy
import json
import re

import branca.colormap
import folium
import folium.plugins
import pytest

from areaprofile import maps

HOSTILE = "<img src=x onerror=alert(1)>"
BREAKOUT = "</script><script>alert(2)</script>"
N_LSOA = 118


@pytest.fixture(scope="module")
def lsoas(data_dir) -> dict:
    path = data_dir / "boundaries" / "lsoa21" / "E06000022_lsoa21_bgc.geojson"
    data = json.loads(path.read_text(encoding="utf-8"))
    for f in data["features"]:
        f["properties"]["value"] = int(f["properties"]["LSOA21CD"][3:]) % 97
    assert len(data["features"]) == N_LSOA
    return data


def _urls(page: str) -> set[str]:
    return set(re.findall(r"""https?://[^\s"'<>\\)]+""", page))


def _assets(page: str) -> list[str]:
    return re.findall(r'<script src="([^"]+)"', page) + re.findall(
        r'<link rel="stylesheet" href="([^"]+)"', page)


def test_hostile_names_are_never_html(lsoas):
    data = copy.deepcopy(lsoas)
    data["features"][0]["properties"]["LSOA21NM"] = HOSTILE
    data["features"][1]["properties"]["LSOA21NM"] = BREAKOUT
    data["features"][2]["properties"]["value"] = None
    m = maps.choropleth_map(
        data, "value", "LSOA21NM", [("LSOA21NM", HOSTILE)], tiles=None,
        legend_title=HOSTILE, legend_note=BREAKOUT, attribution=HOSTILE,
    )
    maps.add_point_layer(m, [{"lat": 51.38, "lon": -2.36, "count": 3, "label": HOSTILE},
                             {"lat": 51.39, "lon": -2.37, "count": 5, "label": BREAKOUT}],
                         count_label=HOSTILE)
    page = maps.map_html(m)
    assert HOSTILE not in page
    assert "<img" not in page
    assert BREAKOUT not in page and "<script>alert" not in page
    # Data travels as JSON with < and > escaped, and is put into the page as text only.
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in page
    assert "textContent" in page
    # The only innerHTML is set to legend strings built in Python with html.escape.
    literals = re.findall(r'innerHTML\s*=\s*("(?:[^"\\]|\\.)*")\s*;', page)
    assert len(literals) == page.count("innerHTML") == 2  # choropleth and point legends
    legends = [json.loads(lit) for lit in literals]
    assert all("<img" not in h and "<script" not in h for h in legends)
    assert all("&lt;img src=x onerror=alert(1)&gt;" in h for h in legends)
    # One feature had no value: it is counted as "No data" in the legend.
    assert "No data (1)" in page


def test_page_size_for_118_lsoas(lsoas):
    m = maps.choropleth_map(lsoas, "value", "LSOA21NM", [("LSOA21CD", "Code")], tiles=None)
    size = maps.map_html_bytes(m)
    assert 50_000 < size < 500_000, size
    # Coordinates are rounded to 5 decimals (about a metre).
    assert not re.search(r"\d\.\d{6,}", maps.map_html(m))
    # 2,000 aggregated points add about 60 bytes each, not kilobytes.
    points = [{"lat": 51.3 + i * 1e-4, "lon": -2.5 + i * 1e-4, "count": 1 + i % 40,
               "label": f"On or near Street {i}"} for i in range(2000)]
    with_points = maps.map_html_bytes(maps.add_point_layer(m, points))
    assert with_points - size < 2000 * 100


def test_no_tiles_means_no_url_off_the_app(lsoas, tmp_path):
    m = maps.choropleth_map(lsoas, "value", "LSOA21NM", [("LSOA21CD", "Code")], tiles=None)
    page = maps.map_html(m)
    assert _urls(page) == set()
    assert "cdn" not in page.lower()
    assets = _assets(page)
    assert assets == ["/app/static/vendor/leaflet/1.9.3/leaflet.js",
                      "/app/static/vendor/leaflet/1.9.3/leaflet.css"]
    for url in assets:
        local = maps.VENDOR_DIR / url.removeprefix("/app/static/vendor/")
        assert local.is_file() and local.stat().st_size > 10_000, (
            f"{local} missing: run scripts/fetch_assets.sh")
    # With the files copied in, the page opens from disk with no server at all.
    standalone = maps.map_html(m, inline_assets=True)
    assert _assets(standalone) == [] and "L.map(" in standalone and "leaflet-pane" in standalone


def test_osm_tiles_are_the_only_url_and_are_attributed(lsoas):
    m = maps.choropleth_map(lsoas, "value", "LSOA21NM", [], tiles="OpenStreetMap")
    page = maps.map_html(m)
    hosts = {re.match(r"https?://([^/]+)", u).group(1) for u in _urls(page)}
    assert hosts == {"tile.openstreetmap.org", "www.openstreetmap.org"}
    assert "OpenStreetMap\\u003c/a\\u003e contributors" in page or \
        "OpenStreetMap</a> contributors" in page
    assert all(u.startswith("/app/static/vendor/") for u in _assets(page))
    with pytest.raises(ValueError, match="tiles"):
        maps.choropleth_map(lsoas, "value", "LSOA21NM", [], tiles="CartoDB Positron")


def test_every_folium_default_asset_has_a_local_copy():
    for _, url in folium.Map.default_js + folium.Map.default_css:
        rel = maps.LOCAL_ASSETS[url]
        assert rel is None or (maps.VENDOR_DIR / rel).is_file(), rel
    # A map with an awesome-marker icon gets those files, from the app, even when the icon
    # arrives after a first localize.
    m = maps.localize(folium.Map(location=[51.38, -2.36], tiles=None))
    assert not any("awesome" in a for a in _assets(maps.map_html(m)))
    folium.Marker([51.38, -2.36], icon=folium.Icon(icon="info-sign")).add_to(m)
    assets = _assets(maps.map_html(m))
    assert any("leaflet.awesome-markers" in a for a in assets)
    assert all(a.startswith("/app/static/vendor/") for a in assets)
    # The class defaults are untouched (localize works on instances).
    assert folium.Map.default_js[0][1].startswith("https://")
    # A plugin with no local copy is refused rather than loaded from a CDN.
    m = folium.Map(location=[51.38, -2.36], tiles=None)
    folium.plugins.Fullscreen().add_to(m)
    with pytest.raises(maps.UnmappedAssetError, match="Fullscreen|fullscreen"):
        maps.localize(m)
    # branca colour maps make streamlit-folium add d3 from a CDN: refused too.
    m = folium.Map(location=[51.38, -2.36], tiles=None)
    branca.colormap.linear.YlGnBu_05.scale(0, 1).add_to(m)
    with pytest.raises(ValueError, match="d3"):
        maps.localize(m)


def _legend_html(page: str) -> list[str]:
    return [json.loads(lit) for lit in re.findall(r'innerHTML\s*=\s*("(?:[^"\\]|\\.)*")', page)]


def _fill_by_feature_id(page: str, n: int) -> dict[int, str]:
    """Read folium's style switch: which fill colour each feature id is drawn with."""
    body = page[page.index("_styler(feature)"):]
    body = body[: body.index("}\n        }")]
    fills: dict[int, str] = {}
    for cases, colour in re.findall(r'((?:case \d+: )+)\s*return \{[^}]*"fillColor": "(#\w{6})"', body):
        fills.update({int(i): colour for i in re.findall(r"case (\d+):", cases)})
    default = re.search(r'default:\s*return \{[^}]*"fillColor": "(#\w{6})"', body).group(1)
    return {i: fills.get(i, default) for i in range(n)}


def test_legend_numbers_match_the_colours(lsoas):
    values = [f["properties"]["value"] for f in lsoas["features"]]
    edges = maps.class_breaks(values, 5)
    assert edges[0] == min(values) and edges[-1] == max(values)
    assert edges == sorted(set(edges)) and len(edges) == 6
    page = maps.map_html(maps.choropleth_map(lsoas, "value", "LSOA21NM", [], tiles=None, bins=5))
    legend = _legend_html(page)[0]
    rows = re.findall(r'background:(#\w{6})"></span><span>(\d+)\u2013(\d+) '
                      r'<span[^>]*>\((\d+) areas?\)', legend)
    assert len(rows) == 5
    assert sum(int(n) for *_, n in rows) == N_LSOA
    assert len({colour for colour, *_ in rows}) == 5
    # Each polygon is drawn in the colour whose legend range holds its value, and each range
    # says how many polygons it has.
    fills = _fill_by_feature_id(page, N_LSOA)
    for colour, lo, hi, n in rows:
        drawn = [values[i] for i, c in fills.items() if c == colour]
        assert len(drawn) == int(n), (colour, lo, hi)
        assert all(int(lo) <= v <= int(hi) for v in drawn), (colour, lo, hi, drawn)
    # Explicit edges and a one-value map work too.
    assert maps.class_breaks([1, 2, 3], [0, 10, 20]) == [0.0, 10.0, 20.0]
    assert maps.class_breaks([4, 4, 4]) == [4.0, 4.0]
    flat = copy.deepcopy(lsoas)
    for f in flat["features"]:
        f["properties"]["value"] = 7
    flat_legend = _legend_html(maps.map_html(maps.choropleth_map(flat, "value", "LSOA21NM", [])))
    assert re.search(r"<span>7 <span[^>]*>\(118 areas\)", flat_legend[0])
    # Rates (not whole numbers) get ranges with decimals: "12.5 to under 20".
    rates = copy.deepcopy(lsoas)
    for f in rates["features"]:
        f["properties"]["value"] = f["properties"]["value"] / 7
    rate_legend = _legend_html(maps.map_html(maps.choropleth_map(rates, "value", "LSOA21NM", [])))
    assert re.search(r"\d+\.\d to under \d+\.\d", rate_legend[0])


def test_labels_follow_tiles_setting(lsoas):
    off = maps.map_html(maps.choropleth_map(lsoas, "value", "LSOA21NM", [], tiles=None))
    on = maps.map_html(maps.choropleth_map(lsoas, "value", "LSOA21NM", [], tiles="OpenStreetMap"))
    assert "ap-label" in off and "L.divIcon" in off
    assert "L.divIcon" not in on


def test_show_map_returns_none_before_a_click():
    """AppTest runs the page without a browser: the map draws nothing, show_map gives None."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file("browser/map_demo_app.py", default_timeout=60).run()
    assert not at.exception
    assert "Selected: none" in [t.value for t in at.text]
