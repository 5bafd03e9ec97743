"""Concerns & priorities: each concern an area forum (or residents) raised, with its police.uk
evidence beside the plan priorities it serves; or start from the priorities and see how the
related numbers moved in all the partnership's areas. The view and plan are kept in the URL."""

import altair as alt
import pandas as pd
import streamlit as st

from areaprofile import concerns, ui

VIEWS = {"concerns": "Start from an area's concerns", "priorities": "Start from the plan priorities"}
ALL_PLANS = "all"


def get(function_name: str, *args):
    """``concerns.<function_name>(store, *args)``, cached per store version (see ui.get)."""
    return ui.get(f"concerns.{function_name}", *args)


def url_choice(param: str, state_key: str, choices: list[str], default: str) -> None:
    """Start a widget's state from the URL on first show (a pasted link reproduces the view)."""
    if state_key not in st.session_state:
        value = st.query_params.get(param)
        st.session_state[state_key] = value if value in choices else default


def to_url(param: str, value: str, default: str) -> None:
    if value == default:
        if param in st.query_params:
            del st.query_params[param]
    elif st.query_params.get(param) != value:
        st.query_params[param] = value


def sparkline(record: dict) -> alt.Chart:
    frame = pd.DataFrame(record["trend"])
    frame["Month"] = pd.to_datetime(frame["month"] + "-01")
    base = alt.Chart(frame).encode(
        x=alt.X("yearmonth(Month):T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0, tickCount=4, grid=False)),
        y=alt.Y("count:Q", title=None, axis=alt.Axis(tickCount=3), scale=alt.Scale(zero=True)),
        tooltip=[alt.Tooltip("label:N", title="Month"), alt.Tooltip("count:Q", title="Records")],
    )
    line = base.mark_line(color=ui.CRIME_COLOUR, strokeWidth=2)
    last = alt.Chart(frame.tail(1)).mark_point(color=ui.CRIME_COLOUR, filled=True, size=45).encode(
        x="yearmonth(Month):T", y="count:Q")
    return (line + last).properties(height=110)


def change_line(change: dict) -> None:
    """One comparison in words, with a plain marker so it does not rely on colour."""
    if change["verdict"] == concerns.NOT_AVAILABLE:
        st.caption(change["sentence"])
        return
    marker = "▲" if change["unusual"] and change["direction"] == "up" else "▼" if change["unusual"] else "•"
    st.write(f"{marker} {change['sentence']}")


def source_caption(prefix: str, source: dict, see_also: list[dict] | None = None) -> None:
    extra = "".join(f"; see also {s['text']}" for s in (see_also or []))
    st.caption(f"{prefix} {source['text']}{extra}.")


def objective_words(o: dict) -> str:
    """A numbered objective by its heading; an unnumbered one (e.g. a plan's 'Our Aim') with its text."""
    if o.get("number") is None and o.get("text"):
        return f"{o['title']}: {o['text']}" if o.get("title") else o["text"]
    return o["title"] or o["text"]


def priority_block(p: dict) -> None:
    """A priority the concern serves, with all its objectives (the ones the concern links marked)."""
    number = f"Priority {p['number']}: " if p.get("number") else ""
    st.markdown(f"**{number}{p['title']}**")
    st.caption(f"{p['plan_title']} ({p['plan_status_words']})")
    if p["objectives"]:
        lines = []
        for o in p["objectives"]:
            title = objective_words(o)
            lines.append(f"- **{title}** ← this concern" if o["linked"] else f"- {title}")
        st.markdown("Objectives:\n" + "\n".join(lines))
    else:
        st.caption("No objectives are on record for this priority.")
    for m in p["linked_measures"]:
        st.caption(f"Measured by: {m['title']}" + ("" if m["computable"] else " (not available from police.uk)"))
    source_caption("Priority from", p["source"], p["see_also"])


def concern_card(e: dict, folded: bool = False) -> None:
    """A concern with its evidence (left) beside the priorities it serves (right).

    ``folded``: inside a closed expander (used for the partnership-wide concerns, to keep the page short)."""
    if folded:
        status = f"{e['count']:,} records" if e["measured"] else concerns.NO_DATA
        box = st.expander(f"**{e['title']}** · {status}")
    else:
        box = st.container(border=True)
    with box:
        if not folded:
            st.subheader(e["title"])
        left, right = st.columns([3, 2], gap="large")
        with left:
            st.write(e["summary"])
            st.caption(f"Raised by: {e['raised_by']}, {e['raised']}. {e['raised_note'] or ''}")
            source_caption("Our summary of", e["source"], e["see_also"])
            if e["measured"]:
                evidence_block(e)
            else:
                st.info(f"**{concerns.NO_DATA}.** police.uk does not record this. It would be measured by: "
                        f"{e['would_be_measured_by']}")
            if e["notes"]:
                st.caption(f"Note: {e['notes']}")
        with right:
            st.markdown("**The plan priorities it serves**")
            if not e["serves"]:
                st.caption("No plan priority is linked to this concern.")
            for i, p in enumerate(e["serves"]):
                if i:
                    st.divider()
                priority_block(p)
            for m in e["tracked_by"]:
                st.caption(f"Also counted in the plan-wide measure: {m['title']} ({m['plan_title']}).")


def evidence_block(e: dict) -> None:
    st.markdown(f"**What police.uk shows, {e['period']}** · {e['coverage_words']}: {e['crime_types_label']}")
    a, b = st.columns(2)
    a.metric("Records", f"{e['count']:,}")
    b.metric("Per 1,000 residents", f"{e['rate_per_1000']:.1f}",
             help=f"Census 2021: {e['population']:,} residents. 95% interval {e['rate_low']:.1f} to {e['rate_high']:.1f}.")
    change_line(e["previous"])
    change_line(e["year_earlier"])
    if e["trend"]:
        ui.active_title(e["trend_sentence"])
        st.altair_chart(sparkline(e), width="stretch")
        with st.popover("Month by month (table)"):
            st.dataframe(concerns.concern_trend_table(e), hide_index=True, width="stretch")
    if e["top_places"]:
        st.markdown("**Busiest places**\n" + "\n".join(
            f"- {p['place']} ({p['ward']}): {p['count']:,}" for p in e["top_places"]))
    if e["coverage"] == "partial":
        st.caption(f"police.uk covers only part of this. The rest would need: {e['would_be_measured_by']}")


def concerns_view(selection) -> None:
    def pick_area() -> None:
        st.session_state["area"] = st.session_state["concerns_area"] or ui.everywhere()

    areas = list(ui.area_names())
    st.session_state["concerns_area"] = selection.area
    st.selectbox("Forum area", areas, key="concerns_area", placeholder="Choose an area forum", on_change=pick_area,
                 help="The same choice as the Area in the sidebar.")
    if not selection.area:
        st.info(f"Pick one of the {ui.how_many(len(areas))} forum areas above (or in the sidebar) to see the concerns "
                "raised for it.")
        return
    evidence = get("concern_evidence", selection)
    if not evidence:
        st.info(f"No concern on record names {selection.area}. " + get("knowledge_note"))
        return
    ui.active_title(concerns.concerns_sentence(evidence, selection))
    table = concerns.concern_table([e for e in evidence if e["measured"]])
    if not table.empty:
        st.dataframe(
            table[["Concern", "Records", "Per 1,000 residents", "Against a year earlier", "Against previous period",
                   "12-month trend"]],
            hide_index=True, width="stretch",
            column_config={
                "Concern": st.column_config.TextColumn(width=290),
                "Records": st.column_config.NumberColumn(format="localized", width=70),
                "Per 1,000 residents": st.column_config.NumberColumn("Per 1,000", format="%.1f", width=75,
                                                                     help="Records per 1,000 residents (Census 2021)"),
                "Against a year earlier": st.column_config.TextColumn(width=185),
                "Against previous period": st.column_config.TextColumn(width=185),
                "12-month trend": st.column_config.LineChartColumn(
                    "12-month trend", y_min=0, width=110,
                    help="Monthly records for the 12 months to the end of the period; each concern's numbers are "
                         "in its 'Month by month' table below."),
            },
        )
        st.caption("'Unusual' means a change larger than chance alone would usually give (exact Poisson test, 5% "
                   "level). The 12-month trend runs to the end of the period; each concern's card below has the "
                   "numbers month by month.")
    no_data = [e["title"] for e in evidence if not e["measured"]]
    if no_data:
        st.markdown(f"**{concerns.NO_DATA} for {len(no_data)} concerns:** " + "; ".join(no_data)
                    + ". Their cards below say what would measure them.")

    whole = ui.settings().short_name
    own = [e for e in evidence if e["area_specific"]]
    shared = [e for e in evidence if not e["area_specific"]]
    st.header(f"Raised for {selection.area}")
    if not own:
        st.write(f"No concern on record names {selection.area} on its own; the {whole}-wide ones below apply.")
    for e in own:
        concern_card(e)
    st.header(f"Raised for all of {whole} (they apply to {selection.area} too)")
    st.caption("Open a concern to see its evidence and the priorities it serves.")
    for e in shared:
        concern_card(e, folded=True)


def priorities_view(selection) -> None:
    plans = get("plan_choices")
    default_plan = get("default_measures_plan") or (plans[0]["id"] if plans else ALL_PLANS)
    ids = [ALL_PLANS] + [p["id"] for p in plans]
    titles = {ALL_PLANS: "All plans"} | {p["id"]: f"{p['title']} ({p['status']})" for p in plans}
    url_choice("plan", "concerns_plan", ids, default_plan)
    st.selectbox("Plan", ids, format_func=titles.get, key="concerns_plan")
    plan_id = st.session_state["concerns_plan"]
    to_url("plan", plan_id, default_plan)

    evidence = get("priority_evidence", selection, None if plan_id == ALL_PLANS else plan_id)
    ui.active_title(concerns.priorities_sentence(evidence))
    table = concerns.priority_table(evidence)
    if plan_id != ALL_PLANS:
        table = table.drop(columns=["Plan"])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"Priority": st.column_config.TextColumn(width="large")})
    st.caption(f"Related numbers: the police.uk crime types of the concerns linked to each priority, in each area, "
               f"{selection.period.label}. 'Unusual changes' counts area-and-type figures that moved by more than "
               "chance would usually give, against the previous period or a year earlier.")

    for p in evidence:
        with st.container(border=True):
            number = f"Priority {p['number']}: " if p.get("number") else ""
            st.subheader(number + p["title"])
            st.caption(f"{p['plan_title']} ({p['plan_status_words']})")
            left, right = st.columns(2, gap="large")
            with left:
                st.write(p["summary"])
                source_caption("Our summary of", p["source"], p["see_also"])
            with right:
                if p["objectives"]:
                    st.markdown("**Objectives**\n" + "\n".join(f"- {objective_words(o)}" for o in p["objectives"]))
                else:
                    st.caption("No objectives are on record for this priority.")
            ui.active_title(p["sentence"])
            if p["numbers"]:
                st.dataframe(concerns.priority_numbers_table(p), hide_index=True, width="stretch",
                             column_config={
                                            "Count": st.column_config.NumberColumn(format="localized"),
                                            "Per 1,000 residents": st.column_config.NumberColumn(format="%.1f")})
                st.caption(f"{p['period']}. 'Own concern': the area's forum raised a concern counted by this type; "
                           f"'{ui.settings().short_name}-wide': only a concern raised for every area counts it.")
            if p["concerns"]:
                st.markdown("**Concerns linked to it**")
                st.dataframe(concerns.priority_concerns_table(p), hide_index=True, width="stretch",
                             column_config={"Concern": st.column_config.TextColumn(width="large")})


selection = st.session_state["selection"]
st.title("Concerns & priorities")
st.caption(f"{selection.period.label} · what residents and the area forums raised, what police.uk shows about it, and "
           "the plan priorities that answer it. Each concern counts its own crime types, so the sidebar's 'Records' "
           "choice does not apply here.")

url_choice("view", "concerns_view", list(VIEWS), "concerns")
st.radio("View", list(VIEWS), format_func=VIEWS.get, key="concerns_view", horizontal=True, label_visibility="collapsed")
view = st.session_state["concerns_view"]
to_url("view", view, "concerns")

if view == "priorities":
    priorities_view(selection)
else:
    concerns_view(selection)

st.caption("Concern, priority and objective texts are our summaries of the source documents, not quotations; "
           "headings keep the documents' own wording.")
st.caption(f"Data correct as of: {ui.get('data_correct_as_of')}.")
ui.footer()
