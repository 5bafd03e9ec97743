"""Manage concerns (editors only): add, change, close or remove concerns, record what was done,
read each concern's history, and take up the police's neighbourhood priorities as suggestions.
Every write is a register function; every change names the signed-in account."""

import datetime as dt

import streamlit as st

from areaprofile import manage_concerns as mc
from areaprofile import ui, ui_signin
from areaprofile.errors import AreaprofileError
from areaprofile.follow_up import as_date, day_text
from areaprofile.register import concerns as rc
from areaprofile.register import suggestions as sg
from areaprofile.sources import police_priorities as police

FLASH = "mc_flash"
TODAY = dt.date.today()
EARLIEST = dt.date(2000, 1, 1)

st.title("Manage concerns")
user = ui_signin.require("add and change concerns")
reg = ui_signin.register()
st.write("Changes show at once on *Concerns & priorities* and in the next forum pack. Each change is kept in the "
         "concern's history with your name; nothing is ever deleted.")
flash = st.session_state.pop(FLASH, None)
if flash:
    st.success(flash)


def done(message: str) -> None:
    st.session_state[FLASH] = message
    st.rerun()


def bump(key: str) -> None:
    """Start a form afresh (its widgets get new keys, so they show the register's values)."""
    st.session_state[key] = st.session_state.get(key, 0) + 1


def concern_fields(prefix: str, record: dict | None, areas_allowed: list[str]) -> dict:
    """The concern's fields as inputs (inside a form); returns what is in them now."""
    record = record or {}
    areas = list(dict.fromkeys(areas_allowed + list(record.get("areas") or [])))
    default_areas = record.get("areas") or (areas_allowed[:1] if len(areas_allowed) == 1 else [])
    links = mc.link_choices(reg.knowledge, record.get("links") or [])
    kinds = list(mc.RAISED_BY_KINDS)
    kind = record.get("raised_by_kind")
    fields = {
        "title": st.text_input("Title (required)", value=record.get("title", ""), max_chars=300, key=f"{prefix}_title"),
        "summary": st.text_area("Summary: what residents said, in a few sentences", value=record.get("summary", ""),
                                key=f"{prefix}_summary", height=100),
        "areas": st.multiselect("Forum areas (at least one)", areas, default=default_areas, key=f"{prefix}_areas"),
    }
    left, right = st.columns(2)
    with left:
        fields["raised_on"] = st.date_input(
            "Raised on", value=as_date(record.get("raised_on")) if record else TODAY, min_value=EARLIEST,
            max_value=TODAY, format="DD/MM/YYYY", key=f"{prefix}_raised_on",
            help="The meeting or day it was raised. Concerns copied from a plan have no day; leave it empty for them.")
    with right:
        fields["raised_by_kind"] = st.selectbox("Raised by", kinds, index=kinds.index(kind) if kind in kinds else None,
                                                placeholder="Choose who raised it", key=f"{prefix}_raised_by_kind")
    fields["raised_by"] = st.text_input("Raised by (name or meeting, optional)", value=record.get("raised_by", ""),
                                        max_chars=300, key=f"{prefix}_raised_by")
    fields["source"] = st.text_input("Source, e.g. the meeting's minutes (optional)", value=record.get("source", ""),
                                     max_chars=2000, key=f"{prefix}_source")
    fields["crime_types"] = st.multiselect("police.uk crime types that count it", mc.CRIME_TYPE_CHOICES,
                                           default=record.get("crime_types") or [], key=f"{prefix}_crime_types")
    fields["measured_by"] = st.text_input(
        "If police.uk cannot count it: what would measure it", value=record.get("measured_by") or "", max_chars=5000,
        key=f"{prefix}_measured_by", help="Give crime types, or this, or both (for a concern police.uk counts only in part).")
    fields["links"] = st.multiselect("Plan priorities it serves (optional)", list(links), format_func=links.get,
                                     default=record.get("links") or [], key=f"{prefix}_links")
    fields["notes"] = st.text_area("Notes (optional)", value=record.get("notes") or "", key=f"{prefix}_notes", height=70)
    return fields


def present(fields: dict) -> dict:
    """Leave out what a concern copied from a plan never had (its day, who raised it)."""
    return {k: v for k, v in fields.items() if not (k in ("raised_on", "raised_by_kind") and v is None)}


def edit_tab() -> None:
    records = [r for r in rc.list_concerns(reg, include_removed=True) if user.can_edit(r["areas"])]
    if not records:
        st.info("No concerns for your areas yet: choose 'Add a concern' above.")
        return
    by_id = {r["id"]: r for r in records}
    pending = st.session_state.pop("mc_open_next", None)  # a concern just added opens here
    if pending in by_id:
        st.session_state["mc_concern"] = pending
    chosen = st.selectbox("Concern", list(by_id), format_func=lambda i: mc.concern_label(by_id[i]), key="mc_concern",
                          help="Open, in progress, resolved, closed, then removed; newest raised first.")
    record = by_id[chosen]
    gen_key = f"mc_gen_{chosen}"
    gen = st.session_state.setdefault(gen_key, 0)
    opened_key = f"mc_opened_{chosen}_{gen}"
    opened = st.session_state.setdefault(opened_key, record["version"])  # the version this person is working from
    prefix = f"mc_{chosen}_{gen}"

    def write(call) -> bool:
        """Run a register write based on the opened version; on a refusal say why in one sentence
        and keep what was typed (the form keeps its values)."""
        try:
            result = call(opened)
        except rc.StaleVersion as exc:
            st.session_state[f"{prefix}_stale"] = exc.message
            st.rerun()
        except AreaprofileError as exc:
            st.error(exc.message)
            return False
        st.session_state[opened_key] = result["version"]
        return True

    stale = st.session_state.get(f"{prefix}_stale")
    if stale:
        st.error(stale)
        st.write("What you typed is still in the form below. Copy anything you want to keep, then reload to see the "
                 "other change and make yours again.")
        if st.button("Reload the latest version", type="primary", key=f"{prefix}_reload"):
            bump(gen_key)
            st.rerun()

    status_words = mc.STATUS_WORDS.get(record["status"], record["status"])
    st.subheader(ui.literal(record["title"]), anchor=False)
    st.write(f"Status: **{status_words}**" + (f" since {day_text(as_date(record['status_on']))}" if record.get("status_on") else "")
             + f" · {', '.join(record['areas'])} · version {record['version']}, last changed by "
             + ui.literal(record["updated_by"]))
    if record.get("summary"):
        st.markdown(ui.literal(record["summary"]))
    st.markdown("**Actions so far**")
    actions = mc.actions_table(record)
    if actions.empty:
        st.write("No action recorded yet.")
    else:
        st.dataframe(actions, hide_index=True, width="stretch")
    if record["version"] != opened and not stale:
        st.warning("Someone changed this concern after you opened it; reload to see their change before saving.")
        if st.button("Reload the latest version", key=f"{prefix}_reload_early"):
            bump(gen_key)
            st.rerun()

    if record["removed"]:
        st.warning(f"Removed. Reason: {ui.literal(record.get('removed_reason') or '')}")
        if st.button("Undo the removal", key=f"{prefix}_restore"):
            if write(lambda v: rc.restore_concern(reg, user, chosen, expected_version=v)):
                done("The concern is back on the lists.")
    else:
        with st.form(f"{prefix}_action_form_{st.session_state.get(f'{prefix}_action_round', 0)}", border=True):
            st.markdown("**Add an action: what was done**")
            a_left, a_right = st.columns([1, 2])
            with a_left:
                taken_on = st.date_input("Date of the action", value=TODAY, min_value=EARLIEST, max_value=TODAY,
                                         format="DD/MM/YYYY")
            with a_right:
                who = st.text_input("Who did it (person or team)", max_chars=300,
                                    help="Leave empty to record your own name.")
            text = st.text_area("What was done", height=80)
            if st.form_submit_button("Add action", type="primary"):
                if write(lambda v: rc.add_action(reg, user, chosen, taken_on=taken_on, text=text, who=who or None,
                                                 expected_version=v)):
                    bump(f"{prefix}_action_round")  # an empty form for the next action
                    done("Action added.")

        with st.form(f"{prefix}_status_form"):
            st.markdown("**Status**")
            s_left, s_right = st.columns(2)
            statuses = list(mc.STATUSES)
            with s_left:
                new_status = st.selectbox("New status", statuses, index=statuses.index(record["status"]),
                                          format_func=mc.STATUS_WORDS.get, key=f"{prefix}_status")
            with s_right:
                status_on = st.date_input("Status from", value=TODAY, min_value=EARLIEST, max_value=TODAY,
                                          format="DD/MM/YYYY", key=f"{prefix}_status_on")
            if st.form_submit_button("Save status"):
                if write(lambda v: rc.set_status(reg, user, chosen, new_status, status_on, expected_version=v)):
                    done(f"Status saved: {mc.STATUS_WORDS[new_status]}.")

        with st.expander("Change the details", expanded=bool(stale)):
            with st.form(f"{prefix}_edit_form"):
                fields = concern_fields(prefix, record, mc.editable_areas(user, reg.knowledge))
                if st.form_submit_button("Save changes", type="primary"):
                    if write(lambda v: rc.edit_concern(reg, user, chosen, v, **present(fields))):
                        done("Changes saved.")

        with st.expander("Remove this concern"):
            with st.form(f"{prefix}_remove_form"):
                reason = st.text_input("Why remove it (required; kept in the history)", max_chars=2000)
                if st.form_submit_button("Remove concern"):
                    if write(lambda v: rc.remove_concern(reg, user, chosen, reason, expected_version=v)):
                        done("Removed. It is off the lists and the pack; 'Undo the removal' brings it back.")

    with st.expander("History of this concern (every change, who made it, before and after)"):
        st.dataframe(mc.history_table(rc.concern_history(reg, chosen)), hide_index=True, width="stretch")


def add_tab() -> None:
    round_key = "mc_add_round"
    prefix = f"mc_add_{st.session_state.get(round_key, 0)}"
    with st.form(prefix):
        fields = concern_fields(prefix, None, mc.editable_areas(user, reg.knowledge))
        submitted = st.form_submit_button("Add concern", type="primary")
    if submitted:
        try:
            record = rc.add_concern(reg, user, **fields)
        except AreaprofileError as exc:
            st.error(exc.message)
            return
        bump(round_key)
        st.session_state["mc_open_next"] = record["id"]
        st.session_state["mc_section_next"] = "change"
        done(f"Added “{ui.literal(record['title'])}” (reference {record['id']}); it is open below, ready for actions.")


def suggestions_tab(items: list, snapshot: dict | None) -> None:
    if snapshot is None:
        st.info("No police neighbourhood priorities have been fetched yet. Whoever runs the dashboard can fetch them "
                "with `areaprofile priorities fetch`; they then appear here as suggestions.")
        return
    st.write(f"Priorities the neighbourhood police teams published on police.uk (fetched {snapshot['fetched_at'][:10]}), "
             "for the neighbourhoods that overlap your areas. Accept one to add it as a concern, or dismiss it; "
             "either way it is not suggested again.")
    if not items:
        st.write("Nothing new to decide.")
        return
    allowed = mc.editable_areas(user, reg.knowledge)
    for s in items[:15]:
        with st.container(border=True):
            st.markdown(f"**{ui.literal(s.neighbourhood)}** · {ui.literal(s.areas_words)} · set "
                        f"{s.issue_date or 'no date given'}")
            st.markdown(ui.literal(s.issue))
            if s.action:
                st.markdown(f"*Police action{' (' + s.action_date + ')' if s.action_date else ''}:* {ui.literal(s.action)}")
            with st.form(f"sg_accept_{s.key}"):
                title = st.text_input("Title for the concern", value=s.title, max_chars=300)
                areas = st.multiselect("Forum areas", allowed, default=[a for a in s.areas if a in allowed])
                types = st.multiselect("police.uk crime types that count it", mc.CRIME_TYPE_CHOICES)
                links = mc.link_choices(reg.knowledge)
                chosen_links = st.multiselect("Plan priorities it serves (optional)", list(links), format_func=links.get)
                if st.form_submit_button("Accept as a concern", type="primary"):
                    try:
                        record = sg.accept(reg, user, snapshot, s.key, areas=areas, crime_types=types,
                                           links=chosen_links, title=title)
                    except AreaprofileError as exc:
                        st.error(exc.message)
                    else:
                        st.session_state["mc_open_next"] = record["id"]
                        st.session_state["mc_section_next"] = "change"
                        done(f"Added “{ui.literal(record['title'])}” from the police priorities (reference {record['id']}).")
            with st.form(f"sg_dismiss_{s.key}"):
                reason = st.text_input("Why it is not a forum concern (optional)", max_chars=2000)
                if st.form_submit_button("Dismiss"):
                    try:
                        sg.dismiss(reg, user, snapshot, s.key, reason=reason)
                    except AreaprofileError as exc:
                        st.error(exc.message)
                    else:
                        done("Dismissed; it will not be suggested again.")
    if len(items) > 15:
        st.write(f"{len(items) - 15} more after you decide on these.")


with ui.friendly_errors():
    snapshot = police.latest_snapshot(police.snapshot_folder(ui.store().path))
    allowed_areas = set(mc.editable_areas(user, reg.knowledge))
    suggested = [s for s in sg.open_suggestions(reg, snapshot) if allowed_areas.intersection(s.areas)]
    sections = {"change": "Change a concern", "add": "Add a concern", "suggested": f"Suggested by police ({len(suggested)})"}
    pending = st.session_state.pop("mc_section_next", None)
    if pending:
        st.session_state["mc_section"] = pending
    section = st.radio("What to do", list(sections), format_func=sections.get, key="mc_section", horizontal=True)
    if section == "change":
        edit_tab()
    elif section == "add":
        add_tab()
    else:
        suggestions_tab(suggested, snapshot)
