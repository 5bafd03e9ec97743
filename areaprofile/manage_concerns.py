"""What the Manage concerns page shows, as plain data: choices for its pickers, a concern's
history as a table, one-line labels. The page lays these out; the register does the writing.
"""

from __future__ import annotations

import pandas as pd

from areaprofile import knowledge
from areaprofile.follow_up import as_date, day_text
from areaprofile.config import CRIME_TYPES
from areaprofile.register import models
from areaprofile.register.validate import DEFAULT_PLAN

#: What each kind of history entry means, in words.
CHANGE_WORDS = {"add": "Added", "edit": "Edited", "status": "Status changed", "action": "Action added",
                "remove": "Removed", "restore": "Removal undone", "seed": "Copied from the plan", "import": "Imported"}
#: Field names as the form labels them.
FIELD_WORDS = {"title": "Title", "summary": "Summary", "areas": "Areas", "raised_on": "Raised on",
               "raised_note": "Raised (as the plan gives it)", "raised_by_kind": "Raised by", "raised_by": "Raised by (name)",
               "source": "Source", "crime_types": "police.uk crime types", "measured_by": "What would measure it",
               "links": "Plan priorities", "notes": "Notes", "status": "Status", "status_on": "Status date",
               "removed_reason": "Reason for removal", "action": "Action"}
RAISED_BY_KINDS = models.RAISED_BY_KINDS
STATUSES = models.STATUSES
STATUS_WORDS = {"open": "Open", "in-progress": "In progress", "resolved": "Resolved", "closed": "Closed",
                models.REMOVED: "Removed"}
CRIME_TYPE_CHOICES = (knowledge.ALL_CRIME, *CRIME_TYPES)
#: Longest text a history cell shows before cutting it (the register keeps it whole).
CELL_TEXT = 400


def editable_areas(user, kb: knowledge.Knowledge) -> list[str]:
    """The areas this account may add concerns for, in the usual order (``kb``: ``register.knowledge``)."""
    areas = kb.areas
    return list(areas) if user.is_admin else [a for a in areas if a in user.areas]


def link_choices(kb: knowledge.Knowledge, existing: list[str] | tuple[str, ...] = ()) -> dict[str, str]:
    """Plan priorities to link, id -> 'title (plan)': the current plan's first, then older plans',
    then any objective or measure a concern already links (so editing never drops a link).
    ``kb``: the register's partnership's plans (``register.knowledge``)."""
    plans = {p["id"]: p for p in knowledge.plans(kb)}
    ordered = sorted(knowledge.priorities(knowledge=kb), key=lambda p: (p["plan"] != DEFAULT_PLAN, p["plan"]))
    choices = {p["id"]: f"{p['title']} ({plans[p['plan']]['period']} plan)" for p in ordered}
    for link in existing:
        if link not in choices:
            title = kb.item(link).get("title") if kb.kind(link) else None
            choices[link] = f"{title or link} ({link})"
    return choices


def concern_label(record: dict) -> str:
    """'Title · In progress · <area> · raised 3 Nov 2026' for the concern picker."""
    raised = record.get("raised_on") or record.get("raised_note") or "date not recorded"
    return f"{record['title'][:90]} · {STATUS_WORDS.get(record['status'], record['status'])} · {', '.join(record['areas'])} · raised {raised}"


def _value_text(value) -> str:
    if value is None or value == "" or value == []:
        return "(empty)"
    if isinstance(value, dict):  # an action
        return f"{value.get('date')}: {value.get('text')} ({value.get('by')})"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= CELL_TEXT else text[: CELL_TEXT - 1] + "…"


def history_table(history: list[dict]) -> pd.DataFrame:
    """One row per changed field, newest change first: When, Who, What, Field, Before, After."""
    rows = []
    for entry in reversed(history):
        for field, change in (entry.get("changes") or {}).items():
            rows.append({
                "When": entry["at_local"],
                "Who": entry["account"],
                "What": CHANGE_WORDS.get(entry["change"], entry["change"]),
                "Field": FIELD_WORDS.get(field, field),
                "Before": _value_text(change.get("before")),
                "After": _value_text(change.get("after")),
                "Version": entry["version"],
            })
        if not entry.get("changes"):
            rows.append({"When": entry["at_local"], "Who": entry["account"],
                         "What": CHANGE_WORDS.get(entry["change"], entry["change"]), "Field": "", "Before": "",
                         "After": "", "Version": entry["version"]})
    return pd.DataFrame(rows, columns=["When", "Who", "What", "Field", "Before", "After", "Version"])


def actions_table(record: dict) -> pd.DataFrame:
    """A concern's actions, newest first: Date, What was done, Who, Recorded by."""
    return pd.DataFrame(
        [{"Date": day_text(as_date(a["date"])), "What was done": a["text"], "Who": a["by"], "Recorded by": a["recorded_by"]}
         for a in record.get("actions") or []],
        columns=["Date", "What was done", "Who", "Recorded by"],
    )
