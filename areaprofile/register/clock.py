"""Time for the register: moments are stored as naive UTC, shown in the partnership's local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

#: Where the forums meet: times in messages ("changed at 14:02") are local to them.
LOCAL_TIME = ZoneInfo("Europe/London")


def utcnow() -> dt.datetime:
    """Now, as the naive UTC datetime the register stores (microseconds kept for ordering)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def local(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.timezone.utc).astimezone(LOCAL_TIME)


def iso(moment: dt.datetime | None) -> str | None:
    """'2026-03-14T14:02:05Z' for a stored moment (JSON and exports)."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


def clock_text(moment: dt.datetime, today: dt.date | None = None) -> str:
    """'14:02' today, else '14:02 on 3 Mar 2026', in local time."""
    here = local(moment)
    today = today or dt.datetime.now(LOCAL_TIME).date()
    if here.date() == today:
        return here.strftime("%H:%M")
    return f"{here.strftime('%H:%M')} on {here.day} {here.strftime('%b %Y')}"
