"""Area profile: the headline numbers, trend, mix and busiest places for the selection."""

import streamlit as st

from areaprofile import charts, outcomes, places, profile, recorded_outcomes, repeat_places, seasonal, ui

selection = st.session_state["selection"]
st.title(f"{selection.area_label}: community safety profile")
st.caption(ui.selection_caption(selection))
if selection.place:
    st.info(places.place_sentence(*selection.place, selection.area))

headlines = ui.get(profile.headlines, selection)
columns = st.columns(len(headlines) or 1)
for column, item in zip(columns, headlines):
    with column:
        st.subheader(item.label)
        st.metric(f"Records, {selection.period.label}", f"{item.count:,}",
                  delta=None if not item.previous else f"{item.previous.difference:+,} vs previous period",
                  delta_color="off")
        residents = f"an estimated {item.population:,} residents" if selection.place else f"Census 2021, {item.population:,} residents"
        st.write(f"**{item.rate_per_1000:.1f} per 1,000 residents** ({residents}) · "
                 f"{item.per_km2:,.1f} per km²")
        if item.previous:
            st.write(f"Against {item.previous_period.label}: " + item.previous.sentence("records"))
        if item.year_earlier and item.year_earlier_period != item.previous_period:
            st.write(f"Against {item.year_earlier_period.label} (a year earlier): " + item.year_earlier.sentence("records"))
        for note in item.notes:
            st.caption(note)
ui.table_alternative(profile.headline_table(headlines), "Show the headline figures as a table")
ui.completeness_note(selection)
st.caption("'Unusual' means a change larger than chance alone would usually give (exact Poisson test, 5% level); "
           "otherwise it is within normal month-to-month variation.")

st.header("Trend over the last 12 months")
trend = ui.get(profile.monthly_trend, selection, 12)
ui.active_title(profile.trend_sentence(trend, selection))
st.vega_lite_chart(spec=charts.trend_chart(trend), width="stretch")
ui.table_alternative(trend)

st.header("The same months last year, and the time of year")
year = ui.get(seasonal.rolling_year, selection)
ui.active_title(year.sentence("records", selection.area_label))
season = ui.get(seasonal.month_of_year, selection)
st.write(seasonal.season_sentence(season, selection.area_label))
st.vega_lite_chart(spec=charts.season_chart(season), width="stretch")
ui.table_alternative(season, "Show the time-of-year profile as a table")

left, right = st.columns(2)
with left:
    st.header("Crime mix")
    mix = ui.get(profile.crime_mix, selection)
    ui.active_title(profile.mix_sentence(mix, selection))
    st.vega_lite_chart(spec=charts.bar_chart(mix, "Crime type", "Count"), width="stretch")
    ui.table_alternative(mix)
with right:
    st.header("Busiest places")
    busiest = ui.get(profile.top_locations, selection, 10)
    if busiest.empty:
        st.write("No located records in this period.")
    else:
        top = busiest.iloc[0]
        ui.active_title(f"The busiest snap point is '{top['location']}' ({top['area']}) with {top['count']:,} records.")
        shown = busiest.rename(columns={"location": "Place (on or near)", "area": "Area", "ward": "Ward",
                                       "count": "Records", "previous": "Previous period"})
        st.html(ui.light_table(shown[["Place (on or near)", "Area", "Ward", "Records", "Previous period"]],
                               f"The busiest places, {selection.period.label}"))
        st.caption("Places are police.uk snap points: each covers eight or more addresses, so an incident may have "
                   "happened nearby rather than at the named place.")

st.header("Repeat places")
repeats = ui.get(repeat_places.repeat_places, selection)
ui.active_title(repeat_places.repeat_sentence(repeats, selection.area_label))
if not repeats.empty:
    st.dataframe(repeats[["Place (on or near)", "Months in a row", "Months among the busiest", "Records", "Repeat place", "Area"]],
                 hide_index=True, width="stretch")
st.caption(f"Each month's snap points are ranked by records; 'months in a row' counts back from the latest month while the "
           f"place stayed in that month's top {repeat_places.TOP} (a month not loaded ends a run). {repeat_places.REPEAT} or "
           "more months in a row make a repeat place.")

st.header("What happened to the crimes (outcomes)")
result = ui.get(outcomes.outcomes, selection)
ui.active_title(result.sentence(selection.area_label))
if result.crimes:
    st.vega_lite_chart(spec=charts.bar_chart(result.table, "Group", "Crimes", height=300), width="stretch")
    st.table(result.table.assign(**{"Share (%)": [f"{v:.1f}" for v in result.table["Share (%)"]],
                                    "Crimes": [f"{v:,}" for v in result.table["Crimes"]]}).set_index("Group"))
ui.outcomes_caveat(result)

recorded = ui.get(recorded_outcomes.recorded_outcomes, selection)
st.subheader(recorded.title)
ui.active_title(recorded.sentence(selection.area_label))
if recorded.outcomes:
    st.html(ui.light_table(recorded.table, f"{recorded.title}, {selection.area_label}: outcomes by group"))
    st.write(recorded.link_sentence())
st.info(" ".join(part for part in (recorded.meaning, recorded.coverage_sentence(), recorded.types_note) if part))

st.header("How this area is defined")
definitions = ui.get(profile.area_definitions)
scheme = ui.get(profile.scheme_summary)
if selection.area:
    row = definitions[definitions["area"] == selection.area].iloc[0]
    st.write(f"**{row['area']}** ({row['body']}): {row['lsoas']} LSOAs, {row['residents_2021']:,} residents in "
             f"Census 2021, {row['area_km2']} km². {scheme['member_heading']}: {row['members']}.")
    st.write(f"How sure: **{row['confidence']}**. {row['evidence']}")
else:
    st.write(f"All of {scheme['la_name']}: the {len(definitions)} areas of the scheme '{scheme['name']}' together.")
member = scheme["member_heading"].lower().rstrip("s").replace("parishe", "parish")
st.caption(f"Areas are built from whole LSOAs (each LSOA belongs to the area whose {member} holds its centre), so counts "
           "and residents share one geography. See Data & sources for every definition.")

with st.expander("About these figures (police.uk caveats)"):
    for caveat in ui.get(profile.caveats, selection.area):
        st.write("• " + caveat)
st.caption(f"Data correct as of: {ui.get(profile.data_correct_as_of)}.")
ui.footer()
