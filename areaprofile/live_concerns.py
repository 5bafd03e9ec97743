"""The live concerns register as the Concerns & priorities page shows it: one area's concerns,
open ones first, each with its status, when it was raised, its latest actions and the police.uk
numbers since it was raised (from :mod:`areaprofile.concern_evidence`), plus a table and a
sentence that say the same in words. The page only lays these out.
"""

from __future__ import annotations

import pandas as pd

from areaprofile.concern_evidence import register_with_evidence
from areaprofile.follow_up import as_date, day_text
from areaprofile.query import Store

#: Still being worked on: shown first, each in full.
ACTIVE = ("open", "in-progress")
#: How many actions a card shows before 'all actions'.
LATEST_ACTIONS = 3


def for_area(store: Store, area: str, register) -> dict:
    """``{"active": [...], "finished": [...], "table": DataFrame, "sentence": str}`` for ``area``.

    Each concern is the register's record with ``evidence`` (see
    :func:`areaprofile.concern_evidence.since_raised`), ``raised_words``, ``latest_actions``
    and ``priorities`` (titles of the plan priorities it links) added."""
    kb = register.knowledge  # the register's partnership's plans (read-only, cached)
    records = [_shape(r, kb) for r in register_with_evidence(store, register, area=area)]
    active = [r for r in records if r["status"] in ACTIVE]
    finished = [r for r in records if r["status"] not in ACTIVE]
    return {"active": active, "finished": finished, "table": table(active + finished),
            "sentence": sentence(area, active, finished)}


def raised_words(record: dict) -> str:
    day = as_date(record.get("raised_on"))
    when = day_text(day) if day else (record.get("raised_note") or "date not recorded")
    who = record.get("raised_by") or record.get("raised_by_kind")
    return f"Raised {when}" + (f" by {who}" if who else "")


def _priority_titles(links: list[str], kb) -> list[str]:
    out = []
    for link in links:
        if kb.kind(link) is None:
            continue
        item = kb.item(link)
        plan = kb.plans.get(item.get("plan"))
        out.append(f"{item.get('title') or link}" + (f" ({plan['period']} plan)" if plan else ""))
    return out


def _shape(record: dict, kb) -> dict:
    actions = [dict(a, day=day_text(as_date(a["date"]))) for a in record.get("actions") or []]
    status_on = as_date(record.get("status_on"))
    status = record["status_words"] + (f" since {day_text(status_on)}" if status_on else "")
    return dict(record, actions=actions, raised_words=raised_words(record), status_line=status,
                latest_actions=actions[:LATEST_ACTIONS], priorities=_priority_titles(record.get("links") or [], kb))


def _change_words(evidence: dict | None) -> str:
    change = (evidence or {}).get("change")
    if not change:
        return "not available"
    marker = "▲ " if change["unusual"] and change["direction"] == "up" else "▼ " if change["unusual"] else ""
    return marker + change["verdict"]


def table(records: list[dict]) -> pd.DataFrame:
    """One row per concern: Concern, Status, Raised, Latest action, Since raised, Before, Change."""
    rows = []
    for r in records:
        ev = r.get("evidence") or {}
        latest = r["latest_actions"][0] if r["latest_actions"] else None
        rows.append({
            "Concern": r["title"],
            "Status": r["status_words"],
            "Raised": r["raised_words"].removeprefix("Raised "),
            "Latest action": f"{latest['day']}: {latest['text']}" if latest else "none yet",
            "Records since raised": ev.get("count"),
            "Same length before": ev.get("earlier"),
            "Change": _change_words(ev) if ev.get("measured") else "police.uk cannot count it",
        })
    return pd.DataFrame(rows, columns=["Concern", "Status", "Raised", "Latest action", "Records since raised",
                                       "Same length before", "Change"])


def sentence(area: str, active: list[dict], finished: list[dict]) -> str:
    if not active and not finished:
        return f"{area}: no concerns in the register yet."
    acted = sum(1 for r in active if r["latest_actions"])
    rising = sum(1 for r in active if ((r.get("evidence") or {}).get("change") or {}).get("unusual")
                 and r["evidence"]["change"]["direction"] == "up")
    words = [f"{area}: {len(active)} open concern{'s' if len(active) != 1 else ''}",
             f"{acted} with an action recorded"]
    if rising:
        words.append(f"{rising} with an unusual rise in police.uk records since raised")
    text = ", ".join(words)
    if finished:
        text += f"; {len(finished)} resolved or closed"
    return text + "."
