"""Plan measures: which of a plan's measures police.uk can count (counted per area for the chosen
period) and, for the rest, the dataset that would be needed. The plan is kept in the URL."""

import streamlit as st

from areaprofile import charts, concerns, profile, ui


selection = st.session_state["selection"]
st.title("Plan measures")
st.caption(f"{selection.period.label} · each measure a plan set itself, and whether police.uk can count it. "
           f"Counted measures are shown for all {ui.how_many(len(ui.settings().area_names))} areas, so the sidebar's Area "
           "and 'Records' choices do not apply.")

plans = [p for p in ui.get(concerns.measure_plans) if p["measures"]]
default_plan = ui.get(concerns.default_measures_plan)
if not plans:
    st.info("No plan on record lists measures. " + ui.get(concerns.knowledge_note))
    ui.footer()
    st.stop()
ids = [p["id"] for p in plans]
titles = {p["id"]: f"{p['title']} ({p['measures']} measures)" for p in plans}
if "measures_plan" not in st.session_state:
    wanted = st.query_params.get("plan")
    st.session_state["measures_plan"] = wanted if wanted in ids else default_plan
st.selectbox("Plan", ids, format_func=titles.get, key="measures_plan")
plan_id = st.session_state["measures_plan"]
if plan_id == default_plan:
    if "plan" in st.query_params:
        del st.query_params["plan"]
elif st.query_params.get("plan") != plan_id:
    st.query_params["plan"] = plan_id

evidence = ui.get(concerns.measure_evidence, selection, plan_id)
ui.active_title(concerns.measures_sentence(evidence, plan_id))
summary = concerns.measures_table(evidence)
st.dataframe(
    summary[["Measure", "From police.uk?", f"{ui.settings().short_name} records", "Per 1,000 residents",
             "Against a year earlier"]],
    hide_index=True, width="stretch", column_config={"Measure": st.column_config.TextColumn(width="large")},
)
st.caption("What each measure not in police.uk would need is listed further down. 'As a stand-in': the nearest police.uk types, close to the measure but not the same; each measure below "
           "says how. 'Unusual' means a change larger than chance alone would usually give (exact Poisson test, 5% level).")

computable = [m for m in evidence if m["computable"]]
other = [m for m in evidence if not m["computable"]]

st.header("What police.uk can count")
if not computable:
    st.write("None of this plan's measures can be counted from police.uk.")
for m in computable:
    with st.container(border=True):
        st.subheader(m["title"])
        if m["text"]:
            st.write(m["text"])
        served = "; ".join(p["title"] for p in m["priorities"])
        if served:
            st.caption(f"Serves: {served}.")
        st.markdown(f"**{m['fit_words']}.** Counted as: {m['crime_types_label']}.")
        st.caption(f"How: {m['how']}")
        ui.active_title(m["sentence"])
        area_table = concerns.measure_area_table(m)
        chart_frame = area_table[area_table["Area"] != ui.everywhere()][["Area", "Records", "Per 1,000 residents"]]
        st.vega_lite_chart(spec=charts.rate_chart(chart_frame), width="stretch")
        st.dataframe(area_table, hide_index=True, width="stretch",
                     column_config={"Records": st.column_config.NumberColumn(format="localized"),
                                    "Per 1,000 residents": st.column_config.NumberColumn(format="%.1f"),
                                    "Previous period": st.column_config.NumberColumn(format="localized"),
                                    "A year earlier": st.column_config.NumberColumn(format="localized")})
        st.caption(f"Source: {m['source']['text']}.")

st.header("What police.uk cannot count, and what would")
for m in other:
    with st.container(border=True):
        st.markdown(f"**{m['title']}**")
        if m["text"]:
            st.write(m["text"])
        st.write(f"**Would need:** {m['needs']}")
        st.caption(f"Why not police.uk: {m['how']}")
        st.caption(f"Source: {m['source']['text']}.")

st.caption("Measure descriptions are our summaries of the plans; measure titles keep the plans' own wording.")
st.caption(f"Data correct as of: {ui.get(profile.data_correct_as_of)}.")
ui.footer()
