"""Compare areas: the partnership's areas side by side, fairly (rates, intervals, funnel plot)."""

import streamlit as st

from areaprofile import charts, outcomes, places, profile, ui

selection = st.session_state["selection"]
presenting = st.toggle("Presentation layout (large text for a projector)", key="present")
if presenting:
    st.markdown("<style>html, body, [data-testid='stMarkdownContainer'] p, td, th {font-size: 1.35rem !important;}"
                " h1 {font-size: 2.6rem !important;}</style>", unsafe_allow_html=True)
count = ui.how_many(len(ui.area_names()))
st.title(f"Compare the {count} areas")
st.caption(ui.selection_caption(selection) + f" (all {count} areas are shown" + (f"; the wards and parishes of {selection.area} follow below)" if selection.area else ")"))

table = ui.get(profile.compare_areas, selection)
ui.completeness_note(selection.with_area(None))
ui.active_title(profile.compare_sentence(table, selection))
shown = table.copy()
shown["Per 1,000 residents"] = shown["Per 1,000 residents"].round(1)
shown["95% interval"] = [f"{low:.1f} to {high:.1f}" for low, high in zip(table["95% interval low"], table["95% interval high"])]
shown["Per km²"] = shown["Per km²"].round(1)
shown["Change (%)"] = shown["Change (%)"].astype(float).round(0)
whole = ui.settings().short_name
against = f"Against {whole}"
on_screen = shown[["Area", "Count", "Per 1,000 residents", "95% interval", "Per km²", against,
                   "Previous period", "Change (%)", "Change"]]
st.dataframe(
    on_screen, hide_index=True, width="stretch",
    column_config={
        "Count": st.column_config.NumberColumn(format="localized"),
        "Previous period": st.column_config.NumberColumn(format="localized"),
        "Change (%)": st.column_config.NumberColumn(format="%+.0f%%"),
        against: st.column_config.TextColumn(width="medium"),
    },
)
shown = shown.drop(columns=["95% interval"])
st.download_button("Download this table (CSV)", shown.to_csv(index=False).encode("utf-8"),
                   file_name=f"areaprofile-compare-{ui.csv_scheme_part()}{selection.period.start}-{selection.period.end}.csv", mime="text/csv")
caveat_words = " ".join(ui.settings().caveats_for(None))
st.caption("Rates use Census 2021 usual residents. The 95% interval shows how much a rate could move by chance alone. "
           f"'Above' or 'below' {whole}: outside the 95% funnel limits; 'well above/below': outside 99.8%. "
           "'Change' compares with the previous period of the same length (exact Poisson test)." + (f" {caveat_words}" if caveat_words else ""))

st.header(f"Funnel plot: which areas differ from {whole} by more than chance?")
points, curves = ui.get(profile.funnel_data, selection)
positions = table[table["Area"] != ui.everywhere()][["Area", against]]
ui.active_title("; ".join(f"{row.Area}: {row._2}" for row in positions.itertuples()) + ".")
st.vega_lite_chart(spec=charts.funnel_chart(points, curves), width="stretch")
st.caption("Each dot is an area. Between the dashed lines, an area's rate is within what chance would give an area of "
           f"its size at the {whole} rate (solid line); outside them, the difference is unlikely to be chance.")
ui.table_alternative(positions.merge(points, on="Area"))

if selection.area:
    for kind in places.KINDS:
        place_table = ui.get(places.compare_places, selection.area, kind, selection.period.start, selection.period.end,
                             selection.types_or_none)
        if place_table.empty:
            continue
        st.header(f"{places.PLURAL[kind].capitalize()} in {selection.area}")
        ui.active_title(places.compare_sentence(place_table, selection.area, kind))
        st.html(ui.light_table(place_table, f"{places.PLURAL[kind].capitalize()} in {selection.area}, "
                                            f"{selection.period.label}, {selection.types_label}"))
        place_points, place_curves = places.places_funnel(place_table)
        st.vega_lite_chart(spec=charts.funnel_chart(place_points, place_curves, name="Place",
                                                   residents="Residents (estimated)", count="Records"),
                           width="stretch")
        st.caption(f"Each dot is a {kind} part; the solid line is {selection.area}'s rate. {places.RESIDENTS_NOTE} "
                   f"{places.SMOOTHED_NOTE}")

st.header("Outcomes by area")
outcome_table, whole_outcomes = ui.get(outcomes.compare_outcomes, selection)
ui.active_title(whole_outcomes.sentence(ui.everywhere()))
if whole_outcomes.crimes:
    st.dataframe(outcome_table, hide_index=True, width="stretch",
                 column_config={"Crimes": st.column_config.NumberColumn(format="localized"),
                                **{c: st.column_config.NumberColumn(format="%.1f%%") for c in outcome_table.columns[2:]}})
ui.outcomes_caveat(whole_outcomes)

st.header("Crime mix by area")
mix = ui.get(profile.compare_mix, selection)
ui.active_title(profile.compare_mix_sentence(mix))
st.dataframe(mix, hide_index=True, width="stretch")
ui.footer()
