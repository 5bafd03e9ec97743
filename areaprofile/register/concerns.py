"""Concerns and their actions: add, edit, set status, add an action, remove, restore, list.

Every change is ONE transaction that (1) checks the version the person's edit was based on,
(2) bumps the version with ``UPDATE ... WHERE version = <expected>`` - so of two writers
holding the same version exactly one wins, on SQLite and on PostgreSQL - and (3) appends a
history entry naming the account, with each changed field's value before and after. A refused
change leaves the register exactly as it was.

``by`` is either an account name (the CLI: whoever can run it may edit) or an
:class:`~areaprofile.register.accounts.User` from a sign-in (the pages), whose role and areas
are then enforced: an editor may change concerns that name one of their areas, and may only
add areas of their own; an admin may change every concern.

Records are plain JSON-ready dicts (dates as 'YYYY-MM-DD', moments as ISO UTC 'Z' strings).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Iterable

import sqlalchemy as sa

from areaprofile.register import models, validate
from areaprofile.register.accounts import User, require_can_edit
from areaprofile.register.clock import clock_text, iso, utcnow
from areaprofile.register.db import Register
from areaprofile.register.validate import RegisterError

C, A, H = models.concerns, models.actions, models.history

#: Fields :func:`edit_concern` may change (status goes through :func:`set_status`).
EDITABLE = ("title", "summary", "areas", "raised_on", "raised_note", "raised_by_kind", "raised_by", "source",
            "crime_types", "measured_by", "links", "notes")
#: Listing order: what still needs doing first.
STATUS_ORDER = {status: i for i, status in enumerate(models.ALL_STATUSES)}
STATUS_WORDS = {"open": "Open", "in-progress": "In progress", "resolved": "Resolved", "closed": "Closed",
                models.REMOVED: "Removed"}


class ConcernNotFound(RegisterError):
    """No concern has that id."""


class StaleVersion(RegisterError):
    """The edit was based on an older version: someone else changed the concern meanwhile."""

    def __init__(self, message: str, current_version: int, changed_by: str | None, changed_at: str | None):
        super().__init__(message)
        self.current_version = current_version
        self.changed_by = changed_by
        self.changed_at = changed_at


class NotAllowed(RegisterError):
    """The signed-in account may not make this change."""


# --------------------------------------------------------------------------------------------
# Reading


def _date(value) -> str | None:
    return None if value is None else value.isoformat()


def coverage(crime_types: list[str], measured_by: str | None) -> str:
    """'full', 'partial' or 'none': how far police.uk counts the concern (as in the knowledge base)."""
    if not crime_types:
        return "none"
    return "partial" if measured_by else "full"


def _record(row, actions: list[dict]) -> dict:
    crime_types = list(row.crime_types or [])
    return {
        "id": row.id,
        "version": row.version,
        "title": row.title,
        "summary": row.summary,
        "areas": list(row.areas or []),  # stored in the partnership's order by validate.areas
        "raised_on": _date(row.raised_on),
        "raised_note": row.raised_note,
        "raised_by_kind": row.raised_by_kind,
        "raised_by": row.raised_by,
        "source": row.source,
        "crime_types": crime_types,
        "measured_by": row.measured_by,
        "police_uk": coverage(crime_types, row.measured_by),
        "links": list(row.links or []),
        "notes": row.notes,
        "status": row.status,
        "status_words": STATUS_WORDS.get(row.status, row.status),
        "status_on": _date(row.status_on),
        "removed": row.status == models.REMOVED,
        "removed_reason": row.removed_reason,
        "status_before_removal": row.status_before_removal,
        "seeded_from": row.seeded_from,
        "created_at": iso(row.created_at),
        "created_by": row.created_by,
        "updated_at": iso(row.updated_at),
        "updated_by": row.updated_by,
        "actions": actions,
    }


def _action_record(row) -> dict:
    return {
        "id": row.id,
        "concern_id": row.concern_id,
        "date": _date(row.taken_on),
        "text": row.text,
        "by": row.who,
        "recorded_by": row.recorded_by,
        "recorded_at": iso(row.recorded_at),
    }


def _actions_for(conn: sa.Connection, ids: list[str] | None) -> dict[str, list[dict]]:
    query = sa.select(A).order_by(A.c.taken_on.desc(), A.c.id.desc())
    if ids is not None:
        if not ids:
            return {}
        query = query.where(A.c.concern_id.in_(ids))
    out: dict[str, list[dict]] = {}
    for row in conn.execute(query):
        out.setdefault(row.concern_id, []).append(_action_record(row))
    return out


def _row(conn: sa.Connection, concern_id: str):
    row = conn.execute(sa.select(C).where(C.c.id == str(concern_id))).one_or_none()
    if row is None:
        shown = validate.clean_text(str(concern_id), "id")[:80]
        raise ConcernNotFound(f"There is no concern '{shown}' in the register; list them with `areaprofile concerns list`.")
    return row


def _read_one(conn: sa.Connection, concern_id: str) -> dict:
    row = _row(conn, concern_id)
    return _record(row, _actions_for(conn, [row.id]).get(row.id, []))


def get_concern(register: Register, concern_id: str) -> dict:
    """One concern with its actions (newest first), removed ones included."""
    with register.read() as conn:
        return _read_one(conn, concern_id)


def _listing_order(records: list[dict]) -> list[dict]:
    """By status (open first), then newest raised first (undated seeded ones last), then title."""
    records = sorted(records, key=lambda r: r["title"].casefold())
    records = sorted(records, key=lambda r: r["raised_on"] or "", reverse=True)
    return sorted(records, key=lambda r: STATUS_ORDER.get(r["status"], len(STATUS_ORDER)))


def list_concerns(register: Register, area: str | None = None, status: str | Iterable[str] | None = None,
                  include_removed: bool = False) -> list[dict]:
    """Concerns with their actions: open first, then in progress, resolved, closed (removed ones
    last and only when asked); within a status the most recently raised first.

    ``area`` keeps concerns that name that area; ``status`` one status or several."""
    area_name = validate.areas([area], register.knowledge)[0] if area else None
    wanted = None
    if status is not None:
        wanted = {validate.status(s) if s != models.REMOVED else s for s in ([status] if isinstance(status, str) else status)}
    with register.read() as conn:
        rows = conn.execute(sa.select(C)).all()
        rows = [r for r in rows if (area_name is None or area_name in (r.areas or []))
                and (wanted is None or r.status in wanted)
                and (include_removed or r.status != models.REMOVED or (wanted and models.REMOVED in wanted))]
        actions = _actions_for(conn, None if len(rows) > 500 else [r.id for r in rows])
    records = [_record(r, actions.get(r.id, [])) for r in rows]
    return _listing_order(records)


def concern_history(register: Register, concern_id: str) -> list[dict]:
    """Every change to a concern, oldest first: who, when, what, and each field before and after."""
    with register.read() as conn:
        _row(conn, concern_id)
        rows = conn.execute(sa.select(H).where(H.c.concern_id == str(concern_id)).order_by(H.c.id)).all()
    return [
        {"id": r.id, "concern_id": r.concern_id, "version": r.version, "at": iso(r.at), "at_local": clock_text(r.at),
         "account": r.account, "change": r.change, "changes": r.changes}
        for r in rows
    ]


# --------------------------------------------------------------------------------------------
# Writing


def _author_name(by: User | str) -> str:
    if isinstance(by, User):
        return by.name
    return validate.account_name(by)


def stale_error(conn: sa.Connection, concern_id: str, expected: int) -> StaleVersion:
    row = conn.execute(sa.select(C.c.version).where(C.c.id == concern_id)).one_or_none()
    last = conn.execute(
        sa.select(H.c.account, H.c.at).where(H.c.concern_id == concern_id, H.c.version > expected)
        .order_by(H.c.id.desc()).limit(1)
    ).one_or_none()
    current = row.version if row else expected
    if last is None:
        return StaleVersion(f"This concern changed since you opened it (now version {current}): reload to see the change.",
                            current, None, None)
    return StaleVersion(
        f"Changed by {last.account} at {clock_text(last.at)} since you opened it: reload to see their change.",
        current, last.account, iso(last.at),
    )


def bump(conn: sa.Connection, concern_id: str, expected: int, author: str, values: dict, steps: int = 1) -> int:
    """Apply ``values`` only if the concern is still at ``expected``; the new version number
    (``steps`` versions on, when one transaction records several changes, e.g. an import)."""
    now = utcnow()
    result = conn.execute(
        sa.update(C)
        .where(C.c.id == concern_id, C.c.version == expected)
        .values(**values, version=expected + steps, updated_at=now, updated_by=author)
    )
    if result.rowcount != 1:
        raise stale_error(conn, concern_id, expected)
    return expected + steps


def append_history(conn: sa.Connection, concern_id: str, version: int, author: str, change: str, changes: dict) -> None:
    conn.execute(H.insert().values(concern_id=concern_id, version=version, at=utcnow(), account=author,
                                   change=change, changes=changes))


def _row_to_change(conn: sa.Connection, concern_id: str, by: User | str, expected_version: int | None,
                   refuse_removed: str | None, new_areas: list[str] = ()) -> tuple:
    """The concern's row and the version the change is based on, after the checks every change
    makes: the edit is not stale, the account may edit the concern's areas (and any of
    ``new_areas`` it does not have yet), and, with ``refuse_removed`` (the sentence to give), the
    concern is not removed."""
    row = _row(conn, concern_id)
    expected = _expect(row, expected_version)
    if row.version != expected:
        raise stale_error(conn, row.id, expected)
    if refuse_removed and row.status == models.REMOVED:
        raise RegisterError(refuse_removed)
    if isinstance(by, User):
        require_can_edit(by, row.areas, adding=[a for a in new_areas if a not in row.areas])
    return row, expected


def _expect(row, expected_version: int | None) -> int:
    if expected_version is None:
        return row.version
    try:
        return int(expected_version)
    except (TypeError, ValueError):
        raise validate.InvalidField(f"The version '{expected_version}' is not a whole number.") from None


def json_value(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def check_fields(fields: dict, knowledge, today: dt.date | None = None) -> dict:
    """Each given field validated and cleaned (only the keys given); areas and links against
    ``knowledge``, the register's partnership's (``register.knowledge``)."""
    out = {}
    for key, value in fields.items():
        if key not in EDITABLE:
            raise validate.InvalidField(f"'{key}' cannot be edited here; editable fields are {', '.join(EDITABLE)}.")
        if key == "title":
            out[key] = validate.clean_text(value, "title", required=True)
        elif key in ("summary", "source", "raised_by"):
            out[key] = validate.clean_text(value, key, multiline=key == "summary")
        elif key in ("measured_by", "notes", "raised_note"):
            out[key] = validate.optional_text(value, key, multiline=key != "raised_note")
        elif key == "areas":
            out[key] = validate.areas(value, knowledge)
        elif key == "raised_on":
            out[key] = validate.parse_date(value, "date it was raised", today)
        elif key == "raised_by_kind":
            out[key] = validate.raised_by_kind(value)
        elif key == "crime_types":
            out[key] = validate.crime_types(value)
        elif key == "links":
            out[key] = validate.links(value, knowledge)
    return out


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-") or "concern"


def new_concern_id(conn: sa.Connection, areas: list[str], raised_on: dt.date) -> str:
    """A fresh id that says where and when: '<area>-2026-03-14-a3f9'."""
    stem = f"{_slug(areas[0])}-{raised_on.isoformat()}"
    new_id = f"{stem}-{secrets.token_hex(2)}"
    while conn.execute(sa.select(C.c.id).where(C.c.id == new_id)).first():
        new_id = f"{stem}-{secrets.token_hex(3)}"
    return new_id


#: What a new concern holds for each field it was not given.
NEW_DEFAULTS = {"summary": "", "raised_by": "", "source": "", "crime_types": [], "measured_by": None, "links": [],
                "notes": None, "raised_note": None}


def insert_concern(conn: sa.Connection, author: str, concern_id: str, fields: dict, change: str,
                   status: str = "open", status_on: dt.date | None = None, removed_reason: str | None = None) -> None:
    """Insert a checked concern at version 1 with its first history entry (inside a write)."""
    now = utcnow()
    row = dict(fields, id=concern_id, status=status, status_on=status_on or fields.get("raised_on"),
               removed_reason=removed_reason, status_before_removal="open" if status == models.REMOVED else None,
               seeded_from=None, version=1, created_at=now, created_by=author, updated_at=now, updated_by=author)
    conn.execute(C.insert().values(**row))
    append_history(conn, concern_id, 1, author, change,
                    {k: {"before": None, "after": json_value(v)} for k, v in row.items()
                     if k in EDITABLE or k in ("status", "status_on", "removed_reason")})


def insert_actions(conn: sa.Connection, author: str, concern_id: str, first_version: int, actions: list[dict],
                   change: str) -> None:
    """Insert actions ({date, text, by}) with one history entry each, numbered from
    ``first_version`` (inside a write whose caller has bumped the version to match)."""
    now = utcnow()
    rows = [{"concern_id": concern_id, "taken_on": a["date"], "text": a["text"], "who": a["by"], "recorded_at": now,
             "recorded_by": author} for a in actions]
    ids = conn.execute(A.insert().returning(A.c.id, sort_by_parameter_order=True), rows).scalars().all()
    conn.execute(H.insert(), [
        {"concern_id": concern_id, "version": first_version + i, "at": now, "account": author, "change": change,
         "changes": {"action": {"before": None, "after": {"id": action_id, "date": a["date"].isoformat(),
                                                          "text": a["text"], "by": a["by"]}}}}
        for i, (action_id, a) in enumerate(zip(ids, actions))
    ])


def add_concern(
    register: Register,
    by: User | str,
    *,
    title: str,
    areas: Iterable[str] | str,
    raised_on: dt.date | str,
    raised_by_kind: str,
    raised_by: str = "",
    summary: str = "",
    source: str = "",
    crime_types: Iterable[str] = (),
    measured_by: str | None = None,
    links: Iterable[str] = (),
    notes: str | None = None,
    concern_id: str | None = None,
    today: dt.date | None = None,
) -> dict:
    """Add a concern (status open, version 1) and return it. ``links`` are plan priority,
    objective or measure ids; a bare id such as ``asb`` means the 2022-25 plan's."""
    author = _author_name(by)
    fields = check_fields(
        {"title": title, "summary": summary, "areas": areas, "raised_on": raised_on, "raised_by_kind": raised_by_kind,
         "raised_by": raised_by, "source": source, "crime_types": list(crime_types or []),
         "measured_by": measured_by, "links": list(links or []), "notes": notes},
        register.knowledge,
        today,
    )
    if not fields["crime_types"] and not fields["measured_by"]:
        raise validate.InvalidField(
            "Give the police.uk crime types that count this concern, or say what would measure it if police.uk cannot."
        )
    if isinstance(by, User):
        require_can_edit(by, fields["areas"], adding=fields["areas"])
    with register.write() as conn:
        if concern_id is not None:
            new_id = validate.concern_id(concern_id)
            if conn.execute(sa.select(C.c.id).where(C.c.id == new_id)).first():
                raise validate.InvalidField(f"A concern with id '{new_id}' already exists; choose another id.")
        else:
            new_id = new_concern_id(conn, fields["areas"], fields["raised_on"])
        insert_concern(conn, author, new_id, fields, change="add")
        return _read_one(conn, new_id)


def edit_concern(register: Register, by: User | str, concern_id: str, expected_version: int, **fields) -> dict:
    """Change some of a concern's fields (see ``EDITABLE``), based on ``expected_version``.

    Raises :class:`StaleVersion` when the concern changed since that version, and leaves it as is."""
    author = _author_name(by)
    new = check_fields(fields, register.knowledge)
    with register.write() as conn:
        row, expected = _row_to_change(conn, concern_id, by, expected_version,
                                       "This concern is removed; restore it before editing.", new.get("areas", []))
        changes = {}
        for key, value in new.items():
            before = getattr(row, key)
            if json_value(before) != json_value(value):
                changes[key] = {"before": json_value(before), "after": json_value(value)}
        crime_types = new.get("crime_types", row.crime_types)
        measured_by = new.get("measured_by", row.measured_by)
        if not crime_types and not measured_by:
            raise validate.InvalidField(
                "A concern needs police.uk crime types or a note of what would measure it; keep one of them."
            )
        if not changes:
            return _read_one(conn, row.id)
        version = bump(conn, row.id, expected, author, {k: new[k] for k in changes})
        append_history(conn, row.id, version, author, "edit", changes)
        return _read_one(conn, row.id)


def set_status(register: Register, by: User | str, concern_id: str, status: str, on: dt.date | str,
               expected_version: int | None = None) -> dict:
    """Move a concern to open / in-progress / resolved / closed as of the date ``on``."""
    author = _author_name(by)
    new_status = validate.status(status)
    when = validate.parse_date(on, "status date")
    with register.write() as conn:
        row, expected = _row_to_change(conn, concern_id, by, expected_version,
                                       "This concern is removed; restore it before changing its status.")
        if row.raised_on is not None and when < row.raised_on:
            raise validate.InvalidField(
                f"The status date {when.isoformat()} is before the concern was raised ({row.raised_on.isoformat()})."
            )
        changes = {}
        if row.status != new_status:
            changes["status"] = {"before": row.status, "after": new_status}
        if row.status_on != when:
            changes["status_on"] = {"before": _date(row.status_on), "after": when.isoformat()}
        if not changes:
            return _read_one(conn, row.id)
        version = bump(conn, row.id, expected, author, {"status": new_status, "status_on": when})
        append_history(conn, row.id, version, author, "status", changes)
        return _read_one(conn, row.id)


def add_action(register: Register, by: User | str, concern_id: str, *, taken_on: dt.date | str, text: str,
               who: str | None = None, expected_version: int | None = None) -> dict:
    """Record what was done ("we did") on a concern; ``who`` is the person or team (default: the account)."""
    author = _author_name(by)
    when = validate.parse_date(taken_on, "action date")
    body = validate.clean_text(text, "text", required=True, multiline=True)
    doer = validate.clean_text(who, "who") or author
    with register.write() as conn:
        row, expected = _row_to_change(conn, concern_id, by, expected_version,
                                       "This concern is removed; restore it before adding an action.")
        version = bump(conn, row.id, expected, author, {})
        insert_actions(conn, author, row.id, version, [{"date": when, "text": body, "by": doer}], "action")
        return _read_one(conn, row.id)


def remove_concern(register: Register, by: User | str, concern_id: str, reason: str,
                   expected_version: int | None = None) -> dict:
    """Take a concern off the lists, with a reason; nothing is deleted and :func:`restore_concern` undoes it."""
    author = _author_name(by)
    why = validate.clean_text(reason, "reason", required=True, multiline=True)
    with register.write() as conn:
        row, expected = _row_to_change(conn, concern_id, by, expected_version, "This concern is already removed.")
        version = bump(conn, row.id, expected, author,
                        {"status": models.REMOVED, "removed_reason": why, "status_before_removal": row.status})
        append_history(conn, row.id, version, author, "remove",
                        {"status": {"before": row.status, "after": models.REMOVED},
                         "removed_reason": {"before": row.removed_reason, "after": why}})
        return _read_one(conn, row.id)


def restore_concern(register: Register, by: User | str, concern_id: str, expected_version: int | None = None) -> dict:
    """Undo a removal: the concern returns with the status it had before."""
    author = _author_name(by)
    with register.write() as conn:
        row, expected = _row_to_change(conn, concern_id, by, expected_version, None)
        if row.status != models.REMOVED:
            raise RegisterError("This concern is not removed, so there is nothing to restore.")
        back = row.status_before_removal or "open"
        version = bump(conn, row.id, expected, author,
                        {"status": back, "removed_reason": None, "status_before_removal": None})
        append_history(conn, row.id, version, author, "restore",
                        {"status": {"before": models.REMOVED, "after": back},
                         "removed_reason": {"before": row.removed_reason, "after": None}})
        return _read_one(conn, row.id)
