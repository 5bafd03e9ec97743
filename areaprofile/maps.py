"""Folium maps that work offline: self-hosted Leaflet, optional tiles, numbers in the legend.

Every map built here loads its JavaScript and CSS from ``/app/static/vendor/...`` (copies fetched
from the npm registry by ``scripts/fetch_assets.sh``; Streamlit serves ``static/`` there when run
with ``--server.enableStaticServing true``), never from a CDN. Tiles are a setting: with
``tiles=None`` the map makes no request beyond the app itself and still shows boundaries and
labels. Text that comes from data (area names, street names) is always inserted into the page as
text (``textContent`` or ``html.escape``), never as HTML.

The public functions:

- :func:`choropleth_map` -- polygons shaded by a value, legend with numbers, tooltips, labels.
- :func:`category_map` -- polygons coloured by a category, legend naming every category.
- :func:`add_point_layer` -- circles sized by count, one per snap point (never one per crime).
- :func:`show_map` -- draw a map in Streamlit; returns the clicked feature's properties.
- :func:`map_html`, :func:`map_html_bytes` -- the map as a standalone HTML page, and its size.
- :func:`localize` -- rewrite any folium element's CDN links to the local copies.
"""

from __future__ import annotations

import html
import math
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import branca.colormap
import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template
from folium.utilities import JsCode

__all__ = [
    "PALETTES",
    "TILES",
    "UnmappedAssetError",
    "add_point_layer",
    "category_map",
    "choropleth_map",
    "class_breaks",
    "localize",
    "map_html",
    "map_html_bytes",
    "show_map",
]

VENDOR_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor"
#: Where Streamlit serves ``static/vendor`` (``server.baseUrlPath`` is prepended when set).
VENDOR_URL = "/app/static/vendor"

#: Every CDN URL that folium 0.20 / branca / streamlit-folium may put in a page, mapped to the
#: file fetched by scripts/fetch_assets.sh (relative to static/vendor/). ``None`` means "drop":
#: the Glyphicons CSS (Bootstrap 3.0.0, not on npm; only for ``prefix='glyphicon'`` icons) and
#: folium's rotate CSS (only for ``Icon(angle=...)``). A URL missing here makes :func:`localize`
#: raise, so a new plugin cannot silently bring a CDN back.
LOCAL_ASSETS: dict[str, str | None] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "leaflet/1.9.3/leaflet.js",
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "leaflet/1.9.3/leaflet.css",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/3.7.1/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js": "jquery/3.7.1/jquery.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js":
        "bootstrap/5.2.2/js/bootstrap.bundle.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css":
        "bootstrap/5.2.2/css/bootstrap.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js":
        "leaflet.awesome-markers/2.0.5/leaflet.awesome-markers.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css":
        "leaflet.awesome-markers/2.0.5/leaflet.awesome-markers.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css":
        "fontawesome-free/6.2.0/css/all.min.css",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css": None,
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/"
    "leaflet.awesome.rotate.min.css": None,
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js":
        "leaflet.markercluster/1.1.0/leaflet.markercluster.js",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.css":
        "leaflet.markercluster/1.1.0/MarkerCluster.css",
    "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css":
        "leaflet.markercluster/1.1.0/MarkerCluster.Default.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/"
    "leaflet_heat.min.js": "folium/leaflet_heat.min.js",
}

#: What a plain Map needs. folium's Map also lists jQuery, Bootstrap and Font Awesome for
#: awesome-marker icons and popups styled with Bootstrap; none of the maps here use them, so
#: :func:`localize` loads them only when the map holds a ``folium.Icon`` (or ``full_assets``).
_MAP_CORE = ("leaflet", "leaflet_css")
_MAP_ICONS = ("awesome_markers", "awesome_markers_css", "awesome_markers_font_css")

#: Tile choices. Only OpenStreetMap: CartoDB now needs an API key. ``None`` means no tiles.
TILES: dict[str, dict[str, str]] = {
    "OpenStreetMap": {
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attribution": '&copy; <a href="https://www.openstreetmap.org/copyright">'
        "OpenStreetMap</a> contributors",
    },
}

#: Colour-blind-safe sequential palettes, light (low) to dark (high), by number of classes.
#: YlGnBu and PuBu are ColorBrewer (Brewer, Harrower; colour-blind safe); viridis and cividis
#: are the matplotlib maps sampled at even steps.
PALETTES: dict[str, dict[int, list[str]]] = {
    "YlGnBu": {
        3: ["#edf8b1", "#7fcdbb", "#2c7fb8"],
        4: ["#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"],
        5: ["#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"],
        6: ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"],
        7: ["#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"],
    },
    "PuBu": {
        3: ["#ece7f2", "#a6bddb", "#2b8cbe"],
        4: ["#f1eef6", "#bdc9e1", "#74a9cf", "#0570b0"],
        5: ["#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d"],
        6: ["#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#2b8cbe", "#045a8d"],
        7: ["#f1eef6", "#d0d1e6", "#a6bddb", "#74a9cf", "#3690c0", "#0570b0", "#034e7b"],
    },
    "viridis": {
        3: ["#fde725", "#21918c", "#440154"],
        4: ["#fde725", "#35b779", "#31688e", "#440154"],
        5: ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"],
        6: ["#fde725", "#7ad151", "#22a884", "#2a788e", "#414487", "#440154"],
        7: ["#fde725", "#90d743", "#35b779", "#21918c", "#31688e", "#443983", "#440154"],
    },
    "cividis": {
        3: ["#fee838", "#7c7b78", "#00224e"],
        4: ["#fee838", "#a59c74", "#575c6d", "#00224e"],
        5: ["#fee838", "#c3b369", "#7c7b78", "#414d6b", "#00224e"],
        6: ["#fee838", "#d3c164", "#a59c74", "#666970", "#35456c", "#00224e"],
        7: ["#fee838", "#dccb5e", "#b9ac70", "#7c7b78", "#575c6d", "#2a3f6c", "#00224e"],
    },
}
NO_DATA_COLOUR = "#bdbdbd"
POINT_COLOUR = "#d95f02"  # orange: stands apart from every palette above
DEFAULT_ATTRIBUTION = (
    "Boundaries: Office for National Statistics, OGL v3.0; contains OS data "
    "\u00a9 Crown copyright and database right"
)
COORD_DECIMALS = 5  # about 1 m: finer only makes the page bigger


class UnmappedAssetError(ValueError):
    """A folium element asks for a CDN file that scripts/fetch_assets.sh does not provide."""


# ---------------------------------------------------------------------------------------------
# Offline assets


def _vendor_url() -> str:
    """The URL prefix of static/vendor, honouring Streamlit's ``server.baseUrlPath``."""
    base = ""
    if "streamlit" in sys.modules:
        try:
            from streamlit import config as st_config

            base = (st_config.get_option("server.baseUrlPath") or "").strip("/")
        except Exception:  # pragma: no cover - config unavailable outside a server
            base = ""
    return (f"/{base}" if base else "") + VENDOR_URL


def local_url(cdn_url: str) -> str | None:
    """The local URL for a CDN URL folium uses (``None`` = not needed); raise if unknown."""
    if cdn_url.startswith(("/", "./")) and "//" not in cdn_url[:2]:
        return cdn_url  # already local
    try:
        rel = LOCAL_ASSETS[cdn_url]
    except KeyError:
        raise UnmappedAssetError(
            f"map asset {cdn_url} has no local copy: add it to scripts/fetch_assets.sh and "
            "areaprofile.maps.LOCAL_ASSETS (pages must not load files from a CDN)."
        ) from None
    return None if rel is None else f"{_vendor_url()}/{rel}"


def _walk(element: Any) -> Iterable[Any]:
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def localize(m: folium.Map, *, full_assets: bool = False) -> folium.Map:
    """Point every JS/CSS link of ``m`` and its children at the local copies; return ``m``.

    The Map itself keeps only Leaflet unless it holds a ``folium.Icon`` (then the awesome-marker
    files too) or ``full_assets`` is true (folium's whole list: jQuery, Bootstrap, Font Awesome).
    Raises :class:`UnmappedAssetError` for a link with no local copy, and ``ValueError`` for a
    branca colour map (streamlit-folium adds d3 from a CDN for those itself; use this module's
    legend instead).
    """
    elements = list(_walk(m))
    needs_icons = any(isinstance(e, folium.Icon) for e in elements)
    for element in elements:
        if isinstance(element, branca.colormap.ColorMap):
            raise ValueError(
                "branca colour maps make streamlit-folium load d3 from a CDN; "
                "use choropleth_map's legend instead."
            )
        if not isinstance(element, JSCSSMixin):
            continue
        # Work from the links the element had before its first localize (so a second call,
        # after an Icon was added, can bring back what the first one left out), and assign
        # fresh lists to the instance: folium's add_js_link mutates a list in place, which
        # would otherwise change the class default for every map.
        if not hasattr(element, "_areaprofile_links"):
            element._areaprofile_links = (list(element.default_js), list(element.default_css))
        js, css = (list(links) for links in element._areaprofile_links)
        if isinstance(element, folium.Map) and not full_assets:
            wanted = _MAP_CORE + (_MAP_ICONS if needs_icons else ())
            js = [(n, u) for n, u in js if n in wanted]
            css = [(n, u) for n, u in css if n in wanted]
        element.default_js = [(n, url) for n, u in js if (url := local_url(u))]
        element.default_css = [(n, url) for n, u in css if (url := local_url(u))]
    return m


# ---------------------------------------------------------------------------------------------
# Classes, numbers, geometry helpers


def _finite(values: Iterable[Any]) -> list[float]:
    out = []
    for v in values:
        if v is None or isinstance(v, bool):
            continue
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


def _nice(x: float, up: bool) -> float:
    """Round ``x`` to two significant figures (up or down) so legend numbers read easily."""
    if x == 0:
        return 0.0
    step = 10 ** (math.floor(math.log10(abs(x))) - 1)
    return (math.ceil(x / step) if up else math.floor(x / step)) * step


def class_breaks(values: Iterable[Any], bins: int | Sequence[float] = 5) -> list[float]:
    """Class edges for ``values``: ``bins`` quantile classes with rounded inner edges, or the
    given edges. A value ``v`` is in class ``i`` when ``edges[i] <= v < edges[i+1]`` (the last
    class includes its top). The outer edges are the data's min and max when quantiles are used.
    """
    data = sorted(_finite(values))
    if not isinstance(bins, int):
        edges = sorted(float(b) for b in bins)
        if len(edges) < 2:
            raise ValueError("bins needs at least two edges")
        return edges
    if bins < 1:
        raise ValueError("bins must be at least 1")
    if not data:
        return [0.0, 0.0]
    lo, hi = data[0], data[-1]
    if lo == hi:
        return [lo, hi]
    all_int = all(float(v).is_integer() for v in data)
    inner = []
    for i in range(1, bins):
        q = data[min(len(data) - 1, int(round(i * (len(data) - 1) / bins)))]
        q = _nice(q, up=True)
        if all_int:
            q = float(math.ceil(q))
        if lo < q < hi and (not inner or q > inner[-1]):
            inner.append(q)
    return [lo, *inner, hi]


def _decimals(values: Sequence[float]) -> int:
    if all(float(v).is_integer() for v in values):
        return 0
    spread = max(abs(v) for v in values) if values else 0
    return 0 if spread >= 100 else 1 if spread >= 10 else 2


def _fmt(x: float, decimals: int) -> str:
    return f"{x:,.{decimals}f}"


def _class_of(v: float, edges: Sequence[float]) -> int | None:
    if v < edges[0] or v > edges[-1]:
        return None
    for i in range(len(edges) - 1):
        if v < edges[i + 1]:
            return i
    return len(edges) - 2 if len(edges) > 1 else 0


def _class_labels(edges: Sequence[float], integer: bool) -> list[str]:
    """Legend text for each class, e.g. ``0–12``, ``13–25`` for counts."""
    n = max(1, len(edges) - 1)
    if len(edges) < 2 or edges[0] == edges[-1]:
        d = 0 if integer else _decimals(edges)
        return [_fmt(edges[0], d)]
    labels = []
    if integer:  # counts: exact inclusive ranges, 0\u201312, 13\u201325, ...
        for i in range(n):
            lo = math.ceil(edges[i])
            hi = math.floor(edges[i + 1]) if i == n - 1 else math.ceil(edges[i + 1]) - 1
            labels.append(_fmt(lo, 0) if lo >= hi else f"{_fmt(lo, 0)}\u2013{_fmt(hi, 0)}")
        return labels
    d = _decimals(edges)
    for i in range(n):  # lower edge included; only the last class includes its upper edge
        lo, hi = _fmt(edges[i], d), _fmt(edges[i + 1], d)
        labels.append(f"{lo} to {hi}" if i == n - 1 else f"{lo} to under {hi}")
    return labels


def _round_coords(coords: Any, nd: int = COORD_DECIMALS) -> Any:
    if isinstance(coords, (int, float)):
        return round(float(coords), nd)
    return [_round_coords(c, nd) for c in coords]


def _bounds(features: Sequence[Mapping]) -> list[list[float]] | None:
    xs: list[float] = []
    ys: list[float] = []

    def visit(c: Any) -> None:
        if c and isinstance(c[0], (int, float)):
            xs.append(c[0])
            ys.append(c[1])
        else:
            for part in c:
                visit(part)

    for f in features:
        geom = f.get("geometry") or {}
        if geom.get("coordinates"):
            visit(geom["coordinates"])
    if not xs:
        return None
    return [[min(ys), min(xs)], [max(ys), max(xs)]]


def _label_point(geometry: Mapping) -> tuple[float, float, float] | None:
    """(lat, lon, area) of a point well inside the polygon, for its label."""
    from shapely.geometry import shape

    try:
        g = shape(geometry)
    except Exception:
        return None
    if g.is_empty:
        return None
    p = g.representative_point()
    return (round(p.y, COORD_DECIMALS), round(p.x, COORD_DECIMALS), g.area)


# ---------------------------------------------------------------------------------------------
# Elements


_BASE_CSS = """
.ap-legend{background:rgba(255,255,255,.94);padding:6px 9px;border-radius:4px;
 box-shadow:0 1px 4px rgba(0,0,0,.35);font:13px/1.35 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;
 color:#222;max-width:260px}
.ap-legend .ap-title{font-weight:600;margin-bottom:4px}
.ap-legend .ap-row{display:flex;align-items:center;gap:7px;white-space:nowrap}
.ap-legend .ap-sw{display:inline-block;width:20px;height:14px;border:1px solid #555;flex:none}
.ap-legend .ap-note{margin-top:4px;color:#444;font-size:12px;white-space:normal}
.ap-label{background:none;border:none}
.ap-label span{position:absolute;transform:translate(-50%,-50%);white-space:nowrap;
 font:600 11px/1.1 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;color:#111;
 text-shadow:0 0 2px #fff,0 0 2px #fff,0 0 3px #fff,0 0 4px #fff;pointer-events:none}
.leaflet-tooltip.ap-tip{font:13px/1.35 system-ui,-apple-system,'Segoe UI',Arial,sans-serif;
 white-space:normal;width:max-content;max-width:320px}
path.leaflet-interactive:focus{outline:none}
path.leaflet-interactive:focus-visible{stroke:#000;stroke-width:4px;stroke-opacity:1}
.leaflet-container:focus-visible{outline:3px solid #0b5394;outline-offset:-3px}
.leaflet-tooltip.ap-tip strong{display:block;margin-bottom:2px}
"""
_NO_TILES_CSS = ".leaflet-container{background:#f3f4f6}"


class Legend(MacroElement):
    """A Leaflet control holding legend HTML built (and escaped) in Python."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(){
            var c = L.control({position: {{ this.position|tojson }}});
            c.onAdd = function(){
                var d = L.DomUtil.create('div', {{ this.css_class|tojson }});
                d.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(d);
                L.DomEvent.disableScrollPropagation(d);
                return d;
            };
            // A layer holding the control: in a feature group, the legend comes and goes with it.
            var holder = new (L.Layer.extend({
                onAdd: function(map){ c.addTo(map); },
                onRemove: function(){ c.remove(); }
            }))();
            holder.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, position: str = "bottomright", css_class: str = "ap-legend"):
        super().__init__()
        self._name = "AreaprofileLegend"
        self.html = html_text
        self.position = position
        self.css_class = css_class


class _KeyboardSelect(MacroElement):
    """Enter or Space on a shape that has keyboard focus selects it, exactly as a click does; a
    mouse press focuses the map without scrolling the page (so the first click is not lost).

    Leaflet lets Tab reach each shape (to show its tooltip) but only a mouse click selects one;
    this fires the same click event (propagated to its layer group, as a real click is), so the
    page beside the map shows that shape's numbers to keyboard users too.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(){
            var map = {{ this._parent.get_name() }};
            var box = map.getContainer();
            // Leaflet focuses the map on a mousedown with a plain focus(), which scrolls the page
            // around the map's frame until the whole map shows; the button then comes up over
            // something else and the browser drops the click (a person's first click on a map
            // that is partly below the fold). Focus it first, without scrolling.
            box.addEventListener('mousedown', function(){
                if (document.activeElement !== box) box.focus({preventScroll: true});
            }, true);
            box.addEventListener('keydown', function(ev){
                if (ev.key !== 'Enter' && ev.key !== ' ') return;
                var layer = Object.values(map._layers).find(function(l){ return l._path === ev.target; });
                if (!layer || !layer.feature) return;
                ev.preventDefault();
                var at = layer.getBounds ? layer.getBounds().getCenter() : layer.getLatLng();
                layer.fire('click', {latlng: at, originalEvent: ev}, true);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "AreaprofileKeyboardSelect"


class _Labels(MacroElement):
    """Permanent text labels at given points, decluttered so none overlap at any zoom.

    Labels are non-interactive DivIcon markers whose text is set with ``textContent``. After each
    zoom the labels are placed in the given order (largest area first) and any label that would
    overlap one already placed is hidden; zooming in reveals more.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(){
            var map = {{ this._parent.get_name() }};
            var rows = {{ this.rows|tojson }};
            var group = L.layerGroup();
            var marks = rows.map(function(r){
                var s = document.createElement('span');
                s.textContent = r[2];
                var icon = L.divIcon({className: 'ap-label', html: s, iconSize: null});
                return L.marker([r[0], r[1]], {icon: icon, interactive: false, keyboard: false})
                    .addTo(group);
            });
            group.addTo(map);
            function declutter(){
                var spans = marks.map(function(m){
                    var el = m.getElement(); if (!el) return null;
                    var s = el.firstChild; s.style.visibility = 'visible'; return s;
                });
                var rects = spans.map(function(s){ return s ? s.getBoundingClientRect() : null; });
                var placed = [];
                for (var i = 0; i < spans.length; i++) {
                    var r = rects[i]; if (!r) continue;
                    var hit = placed.some(function(p){
                        return r.left < p.right + 2 && r.right > p.left - 2 &&
                               r.top < p.bottom + 1 && r.bottom > p.top - 1;
                    });
                    if (hit) spans[i].style.visibility = 'hidden'; else placed.push(r);
                }
            }
            map.on('zoomend resize', declutter);
            map.whenReady(function(){ setTimeout(declutter, 0); });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]]):
        super().__init__()
        self._name = "AreaprofileLabels"
        self.rows = rows


class _Points(MacroElement):
    """Circles sized by count, one per snap point; clicking one reports its properties."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function(){
            var rows = {{ this.rows|tojson }};
            var g = L.featureGroup();
            rows.forEach(function(r){
                var c = L.circleMarker([r[0], r[1]], {
                    radius: r[4], color: '#5a2d00', weight: 1, opacity: 0.9,
                    fillColor: {{ this.colour|tojson }}, fillOpacity: 0.55
                });
                c.feature = {type: 'Feature', properties: {kind: 'point', label: r[3], count: r[2]}};
                var box = document.createElement('div');
                var b = document.createElement('strong'); b.textContent = r[3]; box.appendChild(b);
                var t = document.createElement('div');
                t.textContent = {{ this.count_label|tojson }} + ': ' + r[2].toLocaleString('en-GB');
                box.appendChild(t);
                c.bindTooltip(box, {className: 'ap-tip', sticky: true});
                c.addTo(g);
            });
            return g.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, rows: list[list[Any]], colour: str, count_label: str):
        super().__init__()
        self._name = "AreaprofilePoints"
        self.rows = rows
        self.colour = colour
        self.count_label = count_label


_TOOLTIP_JS = """
function(feature, layer) {
    var p = feature.properties || {};
    var fields = %(fields)s;
    function fmt(v) {
        if (v === null || v === undefined || v === '') return 'no data';
        if (typeof v === 'number') return v.toLocaleString('en-GB', {maximumFractionDigits: 2});
        return String(v);
    }
    var box = document.createElement('div');
    var h = document.createElement('strong');
    h.textContent = fmt(p[%(label)s]);
    box.appendChild(h);
    fields.forEach(function(f) {
        var row = document.createElement('div');
        row.textContent = f[1] + ': ' + fmt(p[f[0]]);
        box.appendChild(row);
    });
    layer.bindTooltip(box, {className: 'ap-tip', sticky: true});
}
"""


def _js_literal(value: Any) -> str:
    """JSON for inline JS, with ``<``, ``>`` and ``&`` escaped so it cannot close a script tag."""
    import json

    return (
        json.dumps(value, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


# ---------------------------------------------------------------------------------------------
# Builders


#: What a map shows when it has nothing to fit: England and Wales.
NOWHERE = [[49.9, -6.4], [55.8, 1.8]]


def _base_map(bounds, tiles: str | None, height) -> folium.Map:
    """An empty map centred on ``bounds``, with the tiles (if any) and the shared legend CSS."""
    centre = [round((bounds[0][0] + bounds[1][0]) / 2, COORD_DECIMALS),
              round((bounds[0][1] + bounds[1][1]) / 2, COORD_DECIMALS)]
    m = folium.Map(location=centre, zoom_start=11, tiles=None, control_scale=True,
                   height=height, zoom_snap=0.25)
    if tiles is not None:
        folium.TileLayer(tiles=TILES[tiles]["url"], attr=TILES[tiles]["attribution"],
                         name=tiles, max_zoom=19, control=False).add_to(m)
    css = _BASE_CSS + ("" if tiles else _NO_TILES_CSS)
    m.get_root().header.add_child(Element(f"<style>{css}</style>"), name="areaprofile_css")
    return m


def _feature_layer(m: folium.Map, slim: list, name: str, fill_of: Mapping, label_field: str,
                   tooltip_fields: Sequence[tuple[str, str]], attribution: str | None, style: Mapping) -> None:
    """The clickable polygons: fill colour per feature id, text-only tooltips, highlight on hover."""
    layer = folium.GeoJson(
        {"type": "FeatureCollection", "features": slim},
        name=name,
        style_function=lambda f: {"fillColor": fill_of[f["id"]], **style},
        highlight_function=lambda f: {"weight": 3, "color": "#000000"},
        on_each_feature=JsCode(_TOOLTIP_JS % {
            "fields": _js_literal([[k, str(v)] for k, v in tooltip_fields]),
            "label": _js_literal(label_field),
        }),
        control=False,
    )
    layer.add_to(m)
    if attribution:
        layer.options["attribution"] = html.escape(attribution)


def choropleth_map(
    features: Mapping[str, Any],
    value_field: str,
    label_field: str,
    tooltip_fields: Sequence[tuple[str, str]] = (),
    tiles: str | None = "OpenStreetMap",
    *,
    bins: int | Sequence[float] = 5,
    palette: str = "YlGnBu",
    legend_title: str | None = None,
    legend_note: str | None = None,
    labels: bool | None = None,
    map_label_field: str | None = None,
    keep_fields: Sequence[str] = (),
    attribution: str | None = DEFAULT_ATTRIBUTION,
    fill_opacity: float | None = None,
    height: int | str = "100%",
    unit: str = "area",
) -> folium.Map:
    """Polygons shaded by ``value_field`` in colour-blind-safe classes, with a numeric legend.

    Parameters
    ----------
    features : dict
        GeoJSON FeatureCollection in EPSG:4326 (lon, lat). Not modified; a slim copy (only the
        fields used, coordinates rounded to 5 decimals) goes into the page.
    value_field : str
        Numeric property that sets the colour. Missing / non-numeric values are grey "No data".
    label_field : str
        Property naming each polygon: the tooltip's heading and (unless ``map_label_field``) the
        on-map label.
    tooltip_fields : list of (field, label)
        Further properties shown on hover as ``label: value``.
    tiles : "OpenStreetMap" or None
        Background tiles (with their attribution), or None for no requests outside the app.
    bins : int or list of float
        Number of quantile classes (edges rounded to two significant figures), or explicit edges.
    palette : str
        A key of :data:`PALETTES` (YlGnBu, PuBu, viridis, cividis); 3-7 classes.
    legend_title, legend_note : str
        Legend heading (default ``value_field``) and an optional line under it (e.g. the period).
    labels : bool or None
        Draw permanent labels at each polygon's representative point; default: when no tiles.
    map_label_field : str
        Property used for those labels, when shorter text than ``label_field`` suits the map.
    keep_fields : list of str
        Extra properties to keep, e.g. an id; :func:`show_map` returns the clicked polygon's kept
        properties (``value_field``, ``label_field``, tooltip and kept fields).
    attribution : str
        Plain text for the boundaries' attribution (escaped); None to leave it out.
    unit : str
        What one feature is called in the legend's counts ("3 wards", "87 cells").

    Returns
    -------
    folium.Map
        Fitted to the features, assets already pointed at ``/app/static/vendor``.
    """
    if tiles is not None and tiles not in TILES:
        raise ValueError(f"tiles must be one of {sorted(TILES)} or None, not {tiles!r}")
    if palette not in PALETTES:
        raise ValueError(f"palette must be one of {sorted(PALETTES)}")
    feats = list(features.get("features", []))
    if labels is None:
        labels = tiles is None
    map_label_field = map_label_field or label_field

    edges = class_breaks((f.get("properties", {}).get(value_field) for f in feats), bins)
    n_classes = max(1, len(edges) - 1)
    colours_by_n = PALETTES[palette]
    if n_classes > max(colours_by_n):
        raise ValueError(f"at most {max(colours_by_n)} classes with palette {palette}")
    if n_classes >= 3:
        colours = colours_by_n[n_classes]
    else:  # one or two classes: the middle, or the two ends, of the 3-class palette
        three = colours_by_n[3]
        colours = [three[1]] if n_classes == 1 else [three[0], three[2]]
    finite = _finite(f.get("properties", {}).get(value_field) for f in feats)
    integer = bool(finite) and all(v.is_integer() for v in finite) and all(
        float(e).is_integer() for e in edges[1:-1]
    )

    keep = dict.fromkeys([value_field, label_field, map_label_field, *(f for f, _ in tooltip_fields),
                          *keep_fields])
    slim, label_rows = [], []
    counts = [0] * n_classes
    missing = 0
    for i, f in enumerate(feats):
        props = f.get("properties") or {}
        geom = f.get("geometry")
        if not geom:
            continue
        value = _finite([props.get(value_field)])
        cls = _class_of(value[0], edges) if value else None
        if cls is None:
            missing += 1
        else:
            counts[cls] += 1
        slim.append({
            "type": "Feature",
            "id": i,
            "properties": {k: props.get(k) for k in keep},
            "geometry": {"type": geom["type"], "coordinates": _round_coords(geom["coordinates"])},
            "_style": NO_DATA_COLOUR if cls is None else colours[cls],
        })
        if labels and props.get(map_label_field) not in (None, ""):
            pt = _label_point(geom)
            if pt:
                label_rows.append([pt[0], pt[1], str(props.get(map_label_field)), pt[2]])

    bounds = _bounds(slim) or NOWHERE
    m = _base_map(bounds, tiles, height)
    m.add_child(_KeyboardSelect(), name="areaprofile_keyboard")

    style_of = {f["id"]: f.pop("_style") for f in slim}
    opacity = fill_opacity if fill_opacity is not None else (0.7 if tiles else 0.85)
    _feature_layer(m, slim, legend_title or value_field, style_of, label_field, tooltip_fields, attribution,
                   {"color": "#3a3a3a", "weight": 0.8, "fillOpacity": opacity, "opacity": 0.9})

    if label_rows:
        label_rows.sort(key=lambda r: -r[3])
        m.add_child(_Labels([r[:3] for r in label_rows]), name="areaprofile_labels")

    # Legend: colour swatch + numbers (and how many areas) in every row.
    rows = [
        f'<div class="ap-row"><span class="ap-sw" style="background:{colours[i]}"></span>'
        f"<span>{html.escape(text)}"
        f' <span style="color:#555">({counts[i]} {unit if counts[i] == 1 else unit + "s"})</span>'
        "</span></div>"
        for i, text in enumerate(_class_labels(edges, integer))
    ]
    rows.reverse()  # highest class on top
    if missing:
        rows.append(
            f'<div class="ap-row"><span class="ap-sw" style="background:{NO_DATA_COLOUR}"></span>'
            f"<span>No data ({missing})</span></div>"
        )
    legend_html = (
        f'<div class="ap-title">{html.escape(legend_title or value_field)}</div>'
        + "".join(rows)
        + (f'<div class="ap-note">{html.escape(legend_note)}</div>' if legend_note else "")
    )
    m.add_child(Legend(legend_html), name="areaprofile_legend")
    m.fit_bounds(bounds, padding=(8, 8))
    _group_data_layers(m, label_field)
    return localize(m)


def category_map(
    features: Mapping[str, Any],
    category_field: str,
    colours: Mapping[str, str],
    label_field: str,
    tooltip_fields: Sequence[tuple[str, str]] = (),
    tiles: str | None = "OpenStreetMap",
    *,
    legend_title: str,
    legend_note: str | None = None,
    keep_fields: Sequence[str] = (),
    fit_to: Mapping[str, Any] | None = None,
    attribution: str | None = DEFAULT_ATTRIBUTION,
    unit: str = "area",
    height: int | str = "100%",
) -> folium.Map:
    """Polygons filled by ``category_field`` (one colour per category in ``colours``), with a legend
    that names each category in words and how many polygons have it.

    Categories are listed in ``colours``' order; a category with no polygon is still listed (0),
    so the legend reads the same from one view to the next. ``fit_to`` (a FeatureCollection, e.g.
    the area outline) sets the view when the polygons are few or none. Tooltips and clicks as in
    :func:`choropleth_map`.
    """
    if tiles is not None and tiles not in TILES:
        raise ValueError(f"tiles must be one of {sorted(TILES)} or None, not {tiles!r}")
    feats = [f for f in features.get("features", []) if f.get("geometry")]
    keep = dict.fromkeys([category_field, label_field, *(f for f, _ in tooltip_fields), *keep_fields])
    slim = [{
        "type": "Feature",
        "id": i,
        "properties": {k: (f.get("properties") or {}).get(k) for k in keep},
        "geometry": {"type": f["geometry"]["type"], "coordinates": _round_coords(f["geometry"]["coordinates"])},
    } for i, f in enumerate(feats)]
    bounds = _bounds(list((fit_to or {}).get("features", []))) or _bounds(slim) or NOWHERE
    m = _base_map(bounds, tiles, height)
    fill = {f["id"]: colours.get(f["properties"].get(category_field), NO_DATA_COLOUR) for f in slim}
    if slim:
        _feature_layer(m, slim, legend_title, fill, label_field, tooltip_fields, attribution,
                       {"color": "#222222", "weight": 1, "fillOpacity": 0.85, "opacity": 0.9})
    counts = {name: 0 for name in colours}
    for f in slim:
        name = f["properties"].get(category_field)
        if name in counts:
            counts[name] += 1
    rows = [
        f'<div class="ap-row"><span class="ap-sw" style="background:{colour}"></span>'
        f"<span>{html.escape(str(name).capitalize())}"
        f' <span style="color:#555">({counts[name]} {unit if counts[name] == 1 else unit + "s"})</span></span></div>'
        for name, colour in colours.items()
    ]
    legend_html = (
        f'<div class="ap-title">{html.escape(legend_title)}</div>' + "".join(rows)
        + (f'<div class="ap-note">{html.escape(legend_note)}</div>' if legend_note else "")
    )
    m.add_child(Legend(legend_html, css_class="ap-legend ap-category-legend"), name="areaprofile_legend")
    m.fit_bounds(bounds, padding=(8, 8))
    return localize(m)


def _group_data_layers(m: folium.Map, label_field: str) -> None:
    """Move what changes with the numbers (the shapes' layer, with their colours and values, and the
    legend) into one feature group; the map, its labels and its extent depend only on the shapes.
    :func:`show_map` sends that group on its own, so a new period re-colours the map in place
    instead of rebuilding it."""
    data = folium.FeatureGroup(name="areaprofile_data", control=False)
    data._areaprofile_data = True
    features: list = []
    for name, child in list(m._children.items()):
        if isinstance(child, (folium.GeoJson, Legend)):
            del m._children[name]
            data.add_child(child, name=name)
            if isinstance(child, folium.GeoJson):
                features += child.data.get("features", [])
    m.add_child(data, name="areaprofile_data")
    by_label = {str(f["properties"].get(label_field)): dict(f["properties"]) for f in features}
    if len(by_label) == len(features):  # show_map finds a clicked shape again by its (unique) label
        m._areaprofile_current = (label_field, by_label)


def add_point_layer(
    m: folium.Map,
    points: Iterable[Mapping[str, Any]],
    *,
    colour: str = POINT_COLOUR,
    max_radius: float = 16.0,
    min_radius: float = 2.5,
    count_label: str = "Crimes",
    legend: bool = True,
) -> folium.Map:
    """Add circles sized by count (area proportional to count) to ``m``; return ``m``.

    ``points`` are already aggregated: one dict per snap point (or grid cell) with ``lat``,
    ``lon``, ``count`` and ``label`` (e.g. "On or near High Street"), never one per crime.
    Smaller circles are drawn on top so each stays clickable; clicking one makes
    :func:`show_map` return ``{"kind": "point", "label": ..., "count": ...}``. A size legend
    with three reference counts is added unless ``legend`` is false.
    """
    rows = []
    for p in points:
        try:
            lat, lon, count = float(p["lat"]), float(p["lon"]), p["count"]
        except (KeyError, TypeError, ValueError):
            continue
        if not (math.isfinite(lat) and math.isfinite(lon)) or count is None or count <= 0:
            continue
        rows.append([round(lat, COORD_DECIMALS), round(lon, COORD_DECIMALS),
                     int(count) if float(count).is_integer() else float(count),
                     "" if p.get("label") is None else str(p.get("label"))])
    if not rows:
        return m
    top = max(r[2] for r in rows)

    def radius(c: float) -> float:
        return round(max(min_radius, max_radius * math.sqrt(c / top)), 1)

    rows.sort(key=lambda r: -r[2])
    for r in rows:
        r.append(radius(r[2]))
    target = _data_group(m) or m  # counts change with the period: with the shapes' colours
    m._areaprofile_points = {(r[0], r[1]): {"kind": "point", "label": r[3], "count": r[2]} for r in rows}
    target.add_child(_Points(rows, colour, count_label), name="areaprofile_points")
    if legend:
        whole = all(float(r[2]).is_integer() for r in rows)
        refs = {top, _nice(top / 4, up=False), _nice(top / 16, up=False)}
        refs = sorted({int(round(v)) if whole else v for v in refs if v >= 1}, reverse=True)
        size = 2 * radius(top) + 4
        svg_rows = "".join(
            f'<div class="ap-row"><svg width="{size:.0f}" height="{2 * radius(v) + 4:.0f}" '
            f'aria-hidden="true"><circle cx="{size / 2:.1f}" cy="{radius(v) + 2:.1f}" '
            f'r="{radius(v)}" fill="{html.escape(colour)}" fill-opacity="0.55" stroke="#5a2d00"/>'
            f"</svg><span>{_fmt(v, 0) if float(v).is_integer() else v}</span></div>"
            for v in refs
        )
        target.add_child(
            Legend(f'<div class="ap-title">{html.escape(count_label)} per location</div>'
                    + svg_rows, position="bottomleft"),
            name="areaprofile_points_legend",
        )
    return localize(m)


def _data_group(m: folium.Map) -> folium.FeatureGroup | None:
    """The feature group :func:`choropleth_map` put the changing layers in, if any."""
    return next((child for child in m._children.values() if getattr(child, "_areaprofile_data", False)), None)


# ---------------------------------------------------------------------------------------------
# Output


def map_html(m: folium.Map, *, inline_assets: bool = False) -> str:
    """The map as a complete HTML page.

    Asset links point at ``/app/static/vendor``; with ``inline_assets`` the Leaflet files are
    copied into the page instead, so it opens from disk with no server (e.g. in a report).
    """
    localize(m)
    page = m.get_root().render()
    if inline_assets:
        prefix = re.escape(_vendor_url())

        def script(match: re.Match) -> str:
            body = (VENDOR_DIR / match.group(1)).read_text(encoding="utf-8")
            return "<script>" + body.replace("</script", "<\\/script") + "</script>"

        def style(match: re.Match) -> str:
            body = (VENDOR_DIR / match.group(1)).read_text(encoding="utf-8")
            return "<style>" + body + "</style>"

        page = re.sub(rf'<script src="{prefix}/([^"]+)"></script>', script, page)
        page = re.sub(rf'<link rel="stylesheet" href="{prefix}/([^"]+)"/>', style, page)
    return page


def map_html_bytes(m: folium.Map) -> int:
    """Size in bytes (UTF-8) of the map's HTML page, assets not counted: the number to watch."""
    return len(map_html(m).encode("utf-8"))


def show_map(
    m: folium.Map,
    key: str,
    height: int = 520,
    *,
    width: int | None = None,
) -> dict[str, Any] | None:
    """Draw ``m`` in Streamlit with streamlit-folium; return the clicked feature's properties.

    Only a click on a polygon or circle reruns the page (``returned_objects=
    ["last_active_drawing"]``); pans and zooms do not. Returns ``None`` until something is
    clicked, then that feature's properties (for :func:`choropleth_map`: the value, label,
    tooltip and kept fields; for :func:`add_point_layer`: ``kind``, ``label``, ``count``). The
    value stays until another feature is clicked or the map's content changes.
    """
    from streamlit_folium import st_folium

    localize(m)
    data = _data_group(m)
    if data is not None:
        # streamlit-folium keys the map's frame by a hash of the map's own script: with the data
        # group sent as ``feature_group_to_add`` that script stays the same from one period to
        # the next, so the frame (and Leaflet) stays and only the group is swapped.
        for name in [name for name, child in m._children.items() if child is data]:
            del m._children[name]
    result = st_folium(
        m,
        key=key,
        height=height,
        width=width,
        use_container_width=width is None,
        returned_objects=["last_active_drawing"],
        feature_group_to_add=data,
    )
    drawing = (result or {}).get("last_active_drawing")
    if not isinstance(drawing, dict):
        return None
    props = drawing.get("properties")
    if not isinstance(props, dict):
        return None
    # The frame outlives a change of period, and with it the last click: answer with the numbers
    # the map shows now, not those of the period it was clicked in.
    if props.get("kind") == "point":
        points = getattr(m, "_areaprofile_points", None)
        if points is None:
            return dict(props)
        coords = (drawing.get("geometry") or {}).get("coordinates") or [None, None]
        try:
            where = (round(float(coords[1]), COORD_DECIMALS), round(float(coords[0]), COORD_DECIMALS))
        except (TypeError, ValueError):
            return None
        return dict(points[where]) if where in points else None
    current = getattr(m, "_areaprofile_current", None)
    if current is None:
        return dict(props)
    label_field, by_label = current
    now = by_label.get(str(props.get(label_field)))
    return dict(now) if now is not None else None
