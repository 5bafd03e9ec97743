"""The hotspot maps: 250 m cells shaded by count, hot cells outlined, next month's top cells dashed;
and the map of hotspots over time, cells coloured by their label.

Built on :mod:`areaprofile.maps` (its colour-blind-safe choropleth, offline assets and
``show_map``); the extra layers here are plain folium GeoJson outlines that are not clickable, and
a legend that shows each outline style with words, so nothing depends on colour alone.
"""

from __future__ import annotations

import html
from collections.abc import Mapping

import folium

from areaprofile import hotspot_trends, maps

HOT_OUTLINE = "#000000"  # black, thick solid line
FORECAST_OUTLINE = "#D55E00"  # Okabe-Ito vermillion, dashed
BOUNDARY = "#555555"


def _swatch(colour: str, width: float, dash: str | None) -> str:
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<svg width="22" height="16" style="flex:none" aria-hidden="true"><rect x="2" y="2" width="18" height="12" fill="none" '
            f'stroke="{colour}" stroke-width="{width}"{dash_attr}/></svg>')


def hotspot_map(layers: Mapping, *, tiles: str | None = None, period_note: str | None = None,
                forecast_note: str = "Top 1% of land, next month") -> folium.Map:
    """A folium map of ``hotspots.map_layers(...)``: cells by count, hot and forecast outlines.

    Every cell layer is non-interactive except the shaded cells, so a hover or click always
    reaches a cell (its tooltip says whether it is a hotspot and whether it is in next month's
    top cells, in words)."""
    cells = layers["cells"]
    m = maps.choropleth_map(
        cells, "count", "name",
        tooltip_fields=[("count", "Records"), ("status", "Status"), ("next_month", "Next month"), ("cell_id", "Cell")],
        tiles=tiles, palette="YlGnBu", bins=5, labels=False,
        legend_title="Records per 250 m cell", legend_note=period_note, unit="cell",
        keep_fields=["cell_id", "hot", "forecast"],
    )
    boundaries = layers.get("boundaries") or {"features": []}
    if boundaries["features"]:
        folium.GeoJson(
            boundaries, name="Area boundary", control=False, interactive=False,
            style_function=lambda f: {"fill": False, "color": BOUNDARY, "weight": 2, "dashArray": "1 5",
                                      "opacity": 0.9},
        ).add_to(m)
    hot = [f for f in cells["features"] if f["properties"].get("hot")]
    if hot:
        # A white halo under the black line keeps the outline visible on the darkest fill too.
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [_outline(f, "hot-halo") for f in hot]},
            name="Hotspot halo", control=False, interactive=False,
            style_function=lambda f: {"fill": False, "color": "#ffffff", "weight": 6, "opacity": 0.9},
        ).add_to(m)
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [_outline(f, "hot") for f in hot]},
            name="Hotspots", control=False, interactive=False,
            style_function=lambda f: {"fill": False, "color": HOT_OUTLINE, "weight": 3, "opacity": 1},
        ).add_to(m)
    chosen = [f for f in cells["features"] if f["properties"].get("forecast")]
    if chosen:
        folium.GeoJson(
            {"type": "FeatureCollection", "features": [_outline(f, "forecast") for f in chosen]},
            name="Next month", control=False, interactive=False,
            style_function=lambda f: {"fill": False, "color": FORECAST_OUTLINE, "weight": 2.5, "dashArray": "5 4",
                                      "opacity": 1},
        ).add_to(m)
    rows = [
        f'<div class="ap-row">{_swatch(HOT_OUTLINE, 3, None)}<span>Hotspot ({len(hot)} cells)</span></div>',
        f'<div class="ap-row">{_swatch(FORECAST_OUTLINE, 2.5, "5 3")}<span>{html.escape(forecast_note)} '
        f'({len(chosen)} cells)</span></div>',
        f'<div class="ap-row">{_swatch(BOUNDARY, 2, "1 3")}<span>Area boundary</span></div>',
    ]
    m.add_child(maps.Legend('<div class="ap-title">Outlines</div>' + "".join(rows), position="bottomleft",
                            css_class="ap-legend ap-hot-legend"),
                name="hotspot_legend")
    return maps.localize(m)


def _outline(feature: Mapping, kind: str) -> dict:
    return {"type": "Feature", "properties": {"kind": kind, "cell_id": feature["properties"]["cell_id"]},
            "geometry": feature["geometry"]}


def trend_map(cells: Mapping, boundaries: Mapping | None = None, *, tiles: str | None = None,
              note: str | None = None) -> folium.Map:
    """Cells coloured by their label over time (``hotspot_trends.map_layer``), with the area outline
    and a legend that names every label and how many cells have it."""
    m = maps.category_map(
        cells, "label", hotspot_trends.COLOURS, "name",
        tooltip_fields=[("label", "Over time"), ("hot_quarters", "Hot in quarters"), ("trend", "Trend"),
                        ("total", "Records, 12 quarters"), ("cell_id", "Cell")],
        tiles=tiles, legend_title="Hotspots over time", legend_note=note, keep_fields=["cell_id"],
        fit_to=boundaries, unit="cell",
    )
    if boundaries and boundaries.get("features"):
        folium.GeoJson(
            boundaries, name="Area boundary", control=False, interactive=False,
            style_function=lambda f: {"fill": False, "color": BOUNDARY, "weight": 2, "dashArray": "1 5",
                                      "opacity": 0.9},
        ).add_to(m)
    return maps.localize(m)
