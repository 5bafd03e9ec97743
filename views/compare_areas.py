"""Compare areas: the five areas side by side, fairly (rates, intervals, funnel plot)."""

import streamlit as st

from areaprofile import profile, ui

selection = st.session_state["selection"]
presenting = st.toggle("Presentation layout (large text for a projector)", key="present")
if presenting:
    st.markdown("<style>html, body, [data-testid='stMarkdownContainer'] p, td, th {font-size: 1.35rem !important;}"
                " h1 {font-size: 2.6rem !important;}</style>", unsafe_allow_html=True)
st.title("Compare the five areas")
st.caption(ui.selection_caption(selection) + " (the area choice is ignored here: all five are shown)")

table = ui.get("compare_areas", selection)
ui.active_title(profile.compare_sentence(table, selection))
shown = table.copy()
shown["Per 1,000 residents"] = shown["Per 1,000 residents"].round(1)
shown["95% interval"] = [f"{low:.1f} to {high:.1f}" for low, high in zip(table["95% interval low"], table["95% interval high"])]
shown["Per km²"] = shown["Per km²"].round(1)
shown["Change (%)"] = shown["Change (%)"].astype(float).round(0)
on_screen = shown[["Area", "Count", "Per 1,000 residents", "95% interval", "Per km²", "Against B&NES",
                   "Previous period", "Change (%)", "Change"]]
st.dataframe(
    on_screen, hide_index=True, width="stretch",
    column_config={
        "Count": st.column_config.NumberColumn(format="localized"),
        "Previous period": st.column_config.NumberColumn(format="localized"),
        "Change (%)": st.column_config.NumberColumn(format="%+.0f%%"),
        "Against B&NES": st.column_config.TextColumn(width="medium"),
    },
)
shown = shown.drop(columns=["95% interval"])
st.download_button("Download this table (CSV)", shown.to_csv(index=False).encode("utf-8"),
                   file_name=f"areaprofile-compare-{selection.period.start}-{selection.period.end}.csv", mime="text/csv")
st.caption("Rates use Census 2021 usual residents. The 95% interval shows how much a rate could move by chance alone. "
           "'Above' or 'below' B&NES: outside the 95% funnel limits; 'well above/below': outside 99.8%. "
           "'Change' compares with the previous period of the same length (exact Poisson test). Bath city centre "
           "has many visitors and few residents, so compare Bath per km² as well as per resident.")

st.header("Funnel plot: which areas differ from B&NES by more than chance?")
points, curves = ui.get("funnel_data", selection)
positions = table[table["Area"] != "All B&NES"][["Area", "Against B&NES"]]
ui.active_title("; ".join(f"{row.Area}: {row._2}" for row in positions.itertuples()) + ".")
st.altair_chart(ui.funnel_chart(points, curves), width="stretch")
st.caption("Each dot is an area. Between the dashed lines, an area's rate is within what chance would give an area of "
           "its size at the B&NES rate (solid line); outside them, the difference is unlikely to be chance.")
ui.table_alternative(positions.merge(points, on="Area"))

st.header("Crime mix by area")
mix = ui.get("compare_mix", selection)
ui.active_title(profile.compare_mix_sentence(mix))
st.dataframe(mix, hide_index=True, width="stretch")
ui.footer()
