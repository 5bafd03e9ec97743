"""Hotspots: where records cluster on a 250 m grid, how each place behaved over three years (new,
persistent, intensifying ...), how far the map predicts next month and how close that is to the
best possible, the busiest places and how they changed, emerging hotspots, and snap points that
absorb unusually many records.

Layout only: every number comes from areaprofile.hotspots, hotspot_trends, hotspot_accuracy and
forecast_ceiling.
"""

import zlib

import streamlit as st

from areaprofile import forecast_ceiling, hotspot_map, hotspot_trends, hotspots, maps, ui
from areaprofile.errors import AreaprofileError

selection = st.session_state["selection"]
narrowed = selection.place
selection = selection.whole_area()  # hotspots are found on the whole area's grid
store = ui.store()
st.title(f"Hotspots: {selection.area_label}")
st.caption(ui.selection_caption(selection))
if narrowed:
    st.info(f"Hotspots are found on all of {selection.area}'s 250 m squares, so the sidebar's {narrowed[0]} "
            f"({narrowed[1]}) does not narrow this page.")

st.write(hotspots.HOTSPOT_EXPLAINED)
st.info(hotspots.SNAP_EXPLAINED, icon=":material/pin_drop:")

with ui.progress("Finding hotspots: counting records in 250 m squares, testing each square against its "
                 "neighbours, and checking on past months how well the map predicts the next one."):
    with ui.friendly_errors():
        summary = hotspots.hot_summary(store, selection)
        hot_table = hotspots.hot_table(store, selection)
    try:
        trust, ceiling = forecast_ceiling.page_trust(store, selection)
        trust_problem = None
    except AreaprofileError as exc:
        trust, ceiling, trust_problem = None, None, exc.message
    with ui.friendly_errors():
        forecast = tuple(forecast_ceiling.forecast_cells(store, selection, trust)) if trust else ()
        layers = hotspots.map_layers(store, selection, forecast)
        trends = hotspot_trends.trends(store, selection)

# ---- the map -----------------------------------------------------------------------------------
st.header("Where records cluster")
ui.active_title(summary.sentence())
m = hotspot_map.hotspot_map(layers, period_note=f"{selection.period.label}; {selection.types_label}",
                            forecast_note="Top 1% of land, next month")
left, right = st.columns([3, 1])
with left:
    types_key = zlib.crc32("|".join(selection.crime_types or ("all",)).encode())
    clicked = maps.show_map(m, key=f"hotspots-{selection.area}-{selection.period.start}-{selection.period.end}-{types_key}",
                            height=580)
with right:
    st.subheader("Selected cell")
    if not clicked:
        st.write("Click a square on the map to see its numbers here.")
    else:
        st.markdown(f"**{clicked.get('name')}**")
        st.metric("Records", f"{int(clicked.get('count') or 0):,}")
        st.write("Hotspot" if clicked.get("hot") else "Not a hotspot")
        if clicked.get("forecast"):
            st.write("In the top 1% of land for next month.")
        st.caption(f"Cell {clicked.get('cell_id')} (250 m square, named by its south-west corner in British "
                   "National Grid metres).")
    st.caption("Thick black outline: hotspot. Dashed orange outline: the cells ranked highest for next month "
               "(the cells the trust score below is about). Shading: records in the period.")
ui.table_alternative(hot_table, "Show the hotspot cells as a table")

# ---- hotspots over time --------------------------------------------------------------------------
st.header("Hotspots over time")
ui.active_title(trends.sentence())
st.write("Each 250 m square is tested for being a hotspot (as above) in each quarter of the last three years, and its "
         "quarterly records are tested for a steady rise or fall. The labels mean:")
st.markdown("\n".join(f"- **{label.capitalize()}**: {hotspot_trends.DEFINITIONS[label]}"
                       for label in hotspot_trends.LABELS))
if trends.skipped:
    st.caption("Quarters left out because a month is not loaded: " + ", ".join(q.label for q in trends.skipped) + ".")
if trends.available:
    trend_layer = hotspot_trends.map_layer(store, selection)
    trend_map = hotspot_map.trend_map(trend_layer, layers["boundaries"],
                                      note=f"Quarters {trends.span_label}; {selection.types_label}")
    maps.show_map(trend_map, key=f"hotspot-trends-{selection.area}-{selection.period.end}-{types_key}", height=480)
    table = trends.table()
    main = table[table["Label"] != hotspot_trends.SPORADIC]
    if not main.empty:
        st.html(ui.light_table(main, f"Hotspots over time in {selection.area_label}, sporadic ones left out"))
    ui.table_alternative(table, f"Show every labelled cell as a table ({len(table)} cells, sporadic included)")

# ---- trust -------------------------------------------------------------------------------------
st.header("How far can this map be trusted?")
if trust is None:
    st.info(f"The map cannot be tested for this choice: {trust_problem}")
else:
    ui.active_title(trust.sentence())
    ui.active_title(ceiling.sentence(trust.get(trust.shown.name, 0.01).mean_pai))
    st.write(trust.explanation())
    st.write(ceiling.method_sentence(trust.shown_label))
    with st.expander("Compare: longer windows and the two ceilings"):
        st.html(ui.light_table(ceiling.table(), "Rankings and ceilings, mean PAI over the test months"))
        st.caption(forecast_ceiling.TABLE_NOTE)
    with st.expander("Details: hit rate, PAI, RRI and PEI for each test month"):
        st.dataframe(trust.details(), hide_index=True, width="stretch")
        st.caption(
            "Hit rate: share of the test month's records inside the chosen cells. PAI: hit rate divided by the share "
            "of land (1 = no better than chance). RRI (recapture rate): the cells' share of the test month divided by "
            "their share of the training months (below 1: the cells catch less than their history suggested). PEI: "
            "records caught divided by the most any set of the same number of cells could have caught (1 = perfect)."
        )
        for note in trust.notes():
            st.caption(note)

# ---- busiest places ------------------------------------------------------------------------------
st.header("Busiest places")
with ui.friendly_errors():
    busiest = hotspots.busiest_locations(store, selection, 10)
ui.active_title(hotspots.busiest_sentence(busiest, selection))
st.dataframe(hotspots.busiest_table(busiest), hide_index=True, width="stretch")
st.caption(f"Each place is a police.uk snap point. 'Previous period' is {selection.period.previous().label}; "
           "'unusual' means a change larger than chance alone would usually give (exact Poisson test, 5% level).")

# ---- emerging hotspots -----------------------------------------------------------------------------
st.header("Emerging hotspots")
with ui.friendly_errors(), ui.progress("Comparing each square with the months just before it..."):
    emerging = hotspots.emerging_hotspots(store, selection)
ui.active_title(emerging.sentence())
if emerging.available and not emerging.emerging.empty:
    st.dataframe(emerging.table(), hide_index=True, width="stretch")
st.caption("A cell is emerging when it has more records than in the same number of months just before, by more "
           "than chance and the change across the whole area would explain (exact binomial test per cell, then a 5% "
           "false-discovery-rate cut).")

# ---- snap points ---------------------------------------------------------------------------------
st.header("Places that absorb unusually many records")
with ui.friendly_errors():
    snaps = hotspots.snap_point_flags(store, selection)
ui.active_title(hotspots.snap_sentence(snaps, selection))
flagged = hotspots.snap_table(snaps)
if not flagged.empty:
    st.dataframe(flagged, hide_index=True, width="stretch")
st.caption(hotspots.SNAP_RULE + " Such a place may collect incidents from a wider area, so a hotspot around it "
           "needs care before any action.")

ui.footer()
