"""Concerns & priorities: the live concerns register for an area (open ones first, with their
status, what was done and the police.uk numbers since each was raised; resolved and closed ones
folded below); or start from the plan priorities and see how the related numbers moved in all
the partnership's areas. The view and plan are kept in the URL."""

import streamlit as st

from areaprofile import concerns, live_concerns, profile, ui

VIEWS = {"concerns": "Start from an area's concerns", "priorities": "Start from the plan priorities"}
ALL_PLANS = "all"



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


def source_caption(prefix: str, source: dict, see_also: list[dict] | None = None) -> None:
    extra = "".join(f"; see also {s['text']}" for s in (see_also or []))
    st.caption(f"{prefix} {source['text']}{extra}.")


def objective_words(o: dict) -> str:
    """A numbered objective by its heading; an unnumbered one (e.g. a plan's 'Our Aim') with its text."""
    if o.get("number") is None and o.get("text"):
        return f"{o['title']}: {o['text']}" if o.get("title") else o["text"]
    return o["title"] or o["text"]


def action_lines(actions: list[dict]) -> str:
    return "\n".join(f"- {a['day']}: {ui.literal(a['text'])} ({ui.literal(a['by'])})" for a in actions)


def evidence_lines(e: dict | None) -> None:
    """The police.uk numbers since the concern was raised against the same length before, in words."""
    if not e:
        return
    if e.get("count") is not None and e.get("since"):
        a, b = st.columns(2)
        a.metric(f"Records since raised ({e['since']['label']})", f"{e['count']:,}")
        if e.get("earlier") is not None:
            b.metric(f"The {e['before']['months']} months before", f"{e['earlier']:,}")
    change = e.get("change")
    marker = ("▲ " if change["direction"] == "up" else "▼ ") if change and change["unusual"] else ""
    st.write(marker + ui.literal(e["sentence"]))


def live_card(r: dict) -> None:
    """One concern from the register: status, when raised, what was done, and the numbers."""
    st.subheader(ui.literal(r["title"]), anchor=False)
    st.markdown(f"**Status: {r['status_line']}** · {ui.literal(r['raised_words'])} · {', '.join(r['areas'])}")
    left, right = st.columns([3, 2], gap="large")
    with left:
        if r.get("summary"):
            st.markdown(ui.literal(r["summary"]))
        st.markdown("**What was done**")
        if r["latest_actions"]:
            st.markdown(action_lines(r["latest_actions"]))
            if len(r["actions"]) > len(r["latest_actions"]):
                with st.expander(f"All {len(r['actions'])} actions"):
                    st.markdown(action_lines(r["actions"]))
        else:
            st.write("No action recorded yet.")
    with right:
        st.markdown("**What police.uk shows since it was raised**")
        evidence_lines(r.get("evidence"))
        if r["priorities"]:
            st.markdown("**Plan priorities it serves**\n" + "\n".join(f"- {ui.literal(p)}" for p in r["priorities"]))
        if r.get("source"):
            st.caption(f"Source: {ui.literal(r['source'])}")


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
    live = ui.get_with_register(live_concerns.for_area, selection.area)
    ui.active_title(live["sentence"])
    if live["table"].empty and (note := ui.get(concerns.knowledge_note)):
        st.info(note)  # what this partnership's plan knowledge lacks, instead of anything invented
    if not live["table"].empty:
        ui.table_alternative(live["table"], "All concerns as a table")
    st.header(f"Open and in progress in {selection.area}")
    if not live["active"]:
        st.write("None: every concern on record is resolved or closed.")
    for r in live["active"]:
        with st.container(border=True):
            live_card(r)
    if live["finished"]:
        st.header(f"Resolved and closed ({len(live['finished'])})")
        for r in live["finished"]:
            with st.expander(f"{ui.literal(r['title'])} · {r['status_words']}"):
                live_card(r)
    st.caption("'Records since raised' counts the concern's police.uk crime types in its areas from the month it "
               "was raised to the newest month loaded; it is compared with the same number of months just before "
               "(exact Poisson test, 5% level: ▲ unusual rise, ▼ unusual fall). Editors keep the register on the "
               "Manage concerns page.")


def priorities_view(selection) -> None:
    plans = ui.get(concerns.plan_choices)
    default_plan = ui.get(concerns.default_measures_plan) or (plans[0]["id"] if plans else ALL_PLANS)
    ids = [ALL_PLANS] + [p["id"] for p in plans]
    titles = {ALL_PLANS: "All plans"} | {p["id"]: f"{p['title']} ({p['status']})" for p in plans}
    url_choice("plan", "concerns_plan", ids, default_plan)
    st.selectbox("Plan", ids, format_func=titles.get, key="concerns_plan")
    plan_id = st.session_state["concerns_plan"]
    to_url("plan", plan_id, default_plan)

    evidence = ui.get(concerns.priority_evidence, selection, None if plan_id == ALL_PLANS else plan_id)
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
st.caption("What residents and the area forums raised, what police and partners did, and what police.uk shows "
           "about it; or start from the plan priorities. The concerns view counts each concern's own crime types "
           "since it was raised, so the sidebar's period and 'Records' choice apply to the priorities view only."
           + (" Concerns are kept per area, so the ward or parish choice does not apply here." if selection.place else ""))

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
st.caption(f"Data correct as of: {ui.get(profile.data_correct_as_of)}.")
ui.footer()
