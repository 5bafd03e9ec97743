"""The naive baseline: the same page outputs done the way a typical Streamlit crime dashboard does.

On every run of a page it reads the police.uk CSVs with pandas, places each point in its LSOA
with a geopandas point-in-polygon join, counts with pandas, and the map draws one folium marker
per incident. Only what such dashboards usually cache is cached (the boundaries and the LSOA to
area lookup, read once). Navigation is a sidebar radio, as in single-script dashboards.

Pages (same outputs as ours, for the same default selection: all of B&NES, last 3 months,
all crime and ASB):

- Area profile: crime (excluding ASB) and ASB counts, rates per 1,000, change against the
  previous period and a year earlier; 12-month trend chart; crime mix chart and table.
- Map: one marker per incident in the period, with a popup.
- Compare areas: the five areas' counts, rates, previous period and change.
- Data & sources: rows per file, read from the files.

This file is a Streamlit script (``bench/baseline_app.py`` runs it) and a module: :func:`measure`
times each page with ``streamlit.testing.v1.AppTest``, like bench/pages.py does for ours.
Settings come from the environment: ``AREAPROFILE_SHARED_DATA`` (the CSVs and boundaries) and
``AREAPROFILE_STORE`` (only for the LSOA to area lookup and residents, which a typical dashboard
ships as a small CSV).
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parents[1]
APP = Path(__file__).resolve().parent / "baseline_app.py"
PAGES = ("Area profile", "Map", "Compare areas", "Data & sources")
AREAS = ("Bath", "Bathavon", "Chew Valley", "Keynsham", "Somer Valley")
ASB = "Anti-social behaviour"


def _source() -> Path:
    return Path(os.environ.get("AREAPROFILE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def csv_files(source: Path) -> list[Path]:
    return sorted((source / "police_uk").rglob("*-street.csv*"))


def load_crimes(source: Path):
    """Every street file read with pandas, then placed in B&NES LSOAs by point-in-polygon."""
    import geopandas as gpd
    import pandas as pd

    frames = [pd.read_csv(path) for path in csv_files(source)]
    crimes = pd.concat(frames, ignore_index=True).dropna(subset=["Longitude", "Latitude"])
    points = gpd.GeoDataFrame(crimes, geometry=gpd.points_from_xy(crimes["Longitude"], crimes["Latitude"]), crs="EPSG:4326")
    lsoas = lookups(str(source), os.environ.get("AREAPROFILE_STORE", ""))
    joined = gpd.sjoin(points, lsoas[["code", "area", "geometry"]], how="inner", predicate="within")
    return joined


@st.cache_resource(show_spinner=False)
def lookups(source: str, store_path: str):
    """LSOA 2021 polygons (WGS84) with their area and residents."""
    import duckdb
    import geopandas as gpd

    # The data folder holds several partnerships' boundaries: take the baseline's own (B&NES).
    boundaries = gpd.read_file(next((Path(source) / "boundaries" / "lsoa21").glob("E06000022_*.geojson"))).to_crs("EPSG:4326")
    code_column = next(c for c in boundaries.columns if c.upper().startswith("LSOA21CD"))
    con = duckdb.connect(store_path, read_only=True)
    try:
        lookup = con.execute("SELECT code, area, population FROM lsoa").df()
    finally:
        con.close()
    out = boundaries[[code_column, "geometry"]].rename(columns={code_column: "code"}).merge(lookup, on="code")
    return out


def _months_back(month: str, n: int) -> str:
    year, mon = map(int, month.split("-"))
    index = year * 12 + mon - 1 - n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _period(crimes, preset: str) -> tuple[str, str]:
    latest = crimes["Month"].max()
    length = {"Last month": 1, "Last 3 months": 3, "Last 12 months": 12}[preset]
    return _months_back(latest, length - 1), latest


def _in(crimes, start: str, end: str, area: str | None, types: list[str] | None):
    chosen = crimes[(crimes["Month"] >= start) & (crimes["Month"] <= end)]
    if area:
        chosen = chosen[chosen["area"] == area]
    if types:
        chosen = chosen[chosen["Crime type"].isin(types)]
    return chosen


def profile_page(st, crimes, area, start, end, types, population) -> None:
    import pandas as pd

    st.title(f"{area or 'All B&NES'}: community safety profile")
    months = (int(end[:4]) * 12 + int(end[5:])) - (int(start[:4]) * 12 + int(start[5:])) + 1
    previous = (_months_back(start, months), _months_back(end, months))
    earlier = (_months_back(start, 12), _months_back(end, 12))
    groups = [("Crime (excluding ASB)", [t for t in crimes["Crime type"].unique() if t != ASB]), ("Anti-social behaviour", [ASB])]
    columns = st.columns(len(groups))
    people = population[area] if area else sum(population.values())
    for column, (label, group_types) in zip(columns, groups):
        wanted = [t for t in group_types if not types or t in types]
        now = len(_in(crimes, start, end, area, wanted))
        before = len(_in(crimes, *previous, area, wanted))
        year = len(_in(crimes, *earlier, area, wanted))
        with column:
            st.subheader(label)
            st.metric("Records", f"{now:,}", delta=f"{now - before:+,} vs previous period")
            st.write(f"{1000 * now / people:.1f} per 1,000 residents; a year earlier {year:,}.")
    st.header("Trend over the last 12 months")
    trend_start = _months_back(end, 11)
    recent = _in(crimes, trend_start, end, area, types)
    trend = recent.assign(group=recent["Crime type"].eq(ASB).map({True: "Anti-social behaviour", False: "Crime"}))
    trend = trend.groupby(["Month", "group"]).size().unstack(fill_value=0)
    st.line_chart(trend)
    st.header("Crime mix")
    mix = _in(crimes, start, end, area, types)["Crime type"].value_counts().rename_axis("Crime type").reset_index(name="Count")
    st.bar_chart(mix, x="Crime type", y="Count")
    st.dataframe(pd.DataFrame(mix), hide_index=True)


def map_page(st, crimes, area, start, end, types) -> int:
    """One marker per incident; returns the map's HTML size in bytes."""
    import folium
    from streamlit_folium import st_folium

    st.title(f"Map: {area or 'All B&NES'}")
    chosen = _in(crimes, start, end, area, types)
    m = folium.Map(location=[51.35, -2.45], zoom_start=11)
    for lat, lon, crime_type, location in zip(chosen["Latitude"], chosen["Longitude"], chosen["Crime type"], chosen["Location"]):
        folium.Marker([lat, lon], popup=f"{crime_type}: {location}").add_to(m)
    st_folium(m, height=560, returned_objects=[])
    return len(m.get_root().render().encode("utf-8"))


def compare_page(st, crimes, start, end, types, population) -> None:
    import pandas as pd

    st.title("Compare the five areas")
    months = (int(end[:4]) * 12 + int(end[5:])) - (int(start[:4]) * 12 + int(start[5:])) + 1
    now = _in(crimes, start, end, None, types).groupby("area").size()
    before = _in(crimes, _months_back(start, months), _months_back(end, months), None, types).groupby("area").size()
    rows = []
    for area in AREAS:
        count, prior = int(now.get(area, 0)), int(before.get(area, 0))
        rows.append({"Area": area, "Count": count, "Per 1,000 residents": round(1000 * count / population[area], 1),
                     "Previous period": prior, "Change (%)": round(100 * (count - prior) / prior) if prior else None})
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    st.bar_chart(pd.DataFrame(rows), x="Area", y="Per 1,000 residents")


def data_page(st, source: Path) -> None:
    import pandas as pd

    st.title("Data & sources")
    files = [{"file": path.name, "rows": len(pd.read_csv(path))} for path in csv_files(source)]
    st.dataframe(pd.DataFrame(files), hide_index=True)


def app() -> None:
    """The naive dashboard (run by bench/baseline_app.py)."""
    source = _source()
    page = st.sidebar.radio("Page", PAGES, key="page")
    area_choice = st.sidebar.selectbox("Area", ["All B&NES", *AREAS], key="area")
    preset = st.sidebar.selectbox("Period", ["Last 3 months", "Last month", "Last 12 months"], key="preset")
    area = None if area_choice == "All B&NES" else area_choice
    if page == "Data & sources":
        data_page(st, source)
        return
    crimes = load_crimes(source)  # on every run: the naive part
    lsoas = lookups(str(source), os.environ.get("AREAPROFILE_STORE", ""))
    population = lsoas.groupby("area")["population"].sum().to_dict()
    start, end = _period(crimes, preset)
    if page == "Area profile":
        profile_page(st, crimes, area, start, end, None, population)
    elif page == "Map":
        st.session_state["_baseline_map_bytes"] = map_page(st, crimes, area, start, end, None)
    else:
        compare_page(st, crimes, start, end, None, population)


# ---- timing ------------------------------------------------------------------------------------


def measure(runs: int, log=print) -> dict[str, dict]:
    """Per page: warm median and cold (first run in a new session) seconds, and the map's bytes.

    The baseline caches nothing per request, so warm and cold differ only by the boundary
    lookups read once per process (cleared before the cold run). Each of its runs takes
    seconds, so it gets one cold run and at most three warm ones.
    """
    from streamlit.testing.v1 import AppTest

    results: dict[str, dict] = {}
    AppTest.from_file(str(APP), default_timeout=600).run()  # imports, so no page pays for them
    for page in PAGES:
        st.cache_resource.clear()
        at = AppTest.from_file(str(APP), default_timeout=600)
        at.session_state["page"] = page
        started = time.perf_counter()
        at.run()
        cold = [time.perf_counter() - started]
        exceptions = [e.value for e in at.exception]
        warm = []
        for _ in range(min(runs, 3) if runs > 1 else 0):  # --quick (runs=1): the cold run only
            started = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - started)
            exceptions += [e.value for e in at.exception]
        results[page] = {
            "cold": statistics.median(cold),
            "warm": statistics.median(warm or cold),
            "errors": exceptions,
            "map_bytes": at.session_state["_baseline_map_bytes"] if page == "Map" else None,
            "title": at.title[0].value if len(at.title) else "",
        }
        log(f"baseline {page}: warm {results[page]['warm']:.2f} s, cold {results[page]['cold']:.2f} s")
    return results


if __name__ == "__main__":
    import sys

    for name, figures in measure(int(sys.argv[1]) if len(sys.argv) > 1 else 3).items():
        print(name, figures)
