"""'You said, we did': what a forum raised and what was done since its last meeting.

The forum pack's second page. It is made from the register's concerns for one area (as
:func:`areaprofile.register.concerns.list_concerns` gives them) and two dates: the last meeting
and the day the pack is made. Concerns raised since the last meeting are *new*; earlier ones
show their status and every action since the last meeting; earlier ones with nothing new are
listed by title and status only, so the page stays short.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: Concerns removed from the register (with a reason) are not reported.
HIDDEN_STATUSES = ("removed",)


@dataclass(frozen=True)
class Action:
    taken_on: dt.date
    text: str
    who: str


@dataclass(frozen=True)
class Item:
    """One concern as the page prints it."""

    id: str
    title: str
    status: str  # words, e.g. 'In progress'
    status_on: dt.date | None
    raised: str  # 'raised 3 Nov 2026 by residents' or the plan's wording
    actions: tuple[Action, ...]  # the ones since the last meeting, oldest first
    status_changed: bool  # the status changed since the last meeting


@dataclass
class FollowUp:
    area: str
    since: dt.date  # the last meeting
    as_of: dt.date
    new: list[Item] = field(default_factory=list)
    followed_up: list[Item] = field(default_factory=list)  # earlier, with an action or a status change since
    unchanged: list[Item] = field(default_factory=list)  # earlier, still open, nothing new

    @property
    def empty(self) -> bool:
        return not (self.new or self.followed_up or self.unchanged)

    @property
    def since_text(self) -> str:
        return day_text(self.since)

    def sentence(self) -> str:
        """One line that says what the page holds."""
        parts = [f"{len(self.new)} new concern{'s' if len(self.new) != 1 else ''} since the last meeting ({self.since_text})",
                 f"{len(self.followed_up)} earlier concern{'s' if len(self.followed_up) != 1 else ''} with something done or changed"]
        if self.unchanged:
            parts.append(f"{len(self.unchanged)} still open with nothing new recorded")
        return "; ".join(parts) + "."


def day_text(day: dt.date | None) -> str:
    return "no date" if day is None else f"{day.day} {day.strftime('%b %Y')}"


def as_date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _raised(record: dict) -> str:
    day = as_date(record.get("raised_on"))
    when = day_text(day) if day else (record.get("raised_note") or "date not recorded")
    who = record.get("raised_by") or record.get("raised_by_kind") or ""
    return f"raised {when}" + (f" by {who}" if who else "")


def default_last_meeting(as_of: dt.date) -> dt.date:
    """Without a date given, the last meeting is taken as the same day a month earlier."""
    year, month = (as_of.year, as_of.month - 1) if as_of.month > 1 else (as_of.year - 1, 12)
    for day in (as_of.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def build_follow_up(records: list[dict], area: str, since: dt.date | None = None, as_of: dt.date | None = None) -> FollowUp:
    """Sort the area's concerns into new / followed up / unchanged for the meeting after ``since``.

    ``records`` are register concerns (``id, title, status, status_on, raised_on, areas,
    actions: [{date, text, by}]``); those not naming ``area`` or removed are left out."""
    as_of = as_of or dt.date.today()
    since = since or default_last_meeting(as_of)
    out = FollowUp(area=area, since=since, as_of=as_of)
    for record in records:
        if record.get("status") in HIDDEN_STATUSES or area not in (record.get("areas") or []):
            continue
        status_on = as_date(record.get("status_on"))
        actions = tuple(sorted(
            (Action(as_date(a["date"]), a["text"], a["by"]) for a in record.get("actions") or []
             if since <= as_date(a["date"]) <= as_of),
            key=lambda a: a.taken_on))
        raised_on = as_date(record.get("raised_on"))
        changed = status_on is not None and since <= status_on <= as_of and record.get("status") != "open"
        item = Item(id=str(record["id"]), title=record["title"],
                    status=record.get("status_words") or str(record.get("status")),
                    status_on=status_on, raised=_raised(record), actions=actions, status_changed=changed)
        if raised_on is not None and since <= raised_on <= as_of:
            out.new.append(item)
        elif actions or changed:
            out.followed_up.append(item)
        elif record.get("status") in ("open", "in-progress"):
            out.unchanged.append(item)
    out.new.sort(key=lambda i: i.title.casefold())
    out.followed_up.sort(key=lambda i: (-len(i.actions), i.title.casefold()))
    out.unchanged.sort(key=lambda i: i.title.casefold())
    return out
