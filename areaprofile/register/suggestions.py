"""Police neighbourhood priorities offered to editors as *suggested* concerns.

The latest snapshot written by ``areaprofile priorities fetch`` (see
:mod:`areaprofile.sources.police_priorities`) lists each neighbourhood's priorities; the API
gives them no id, so a suggestion is known by a key made from the force, the neighbourhood, the
issue date and the issue text. An editor accepts one (it becomes a register concern whose
history names the editor and the source) or dismisses it; either way the decision is kept in
the register so it is not suggested again.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa

from areaprofile.errors import AreaprofileError
from areaprofile.register import concerns as register_concerns
from areaprofile.register import models, validate
from areaprofile.register.accounts import User, require_can_edit
from areaprofile.register.clock import utcnow
from areaprofile.register.db import Register

D = models.suggestion_decisions


@dataclass(frozen=True)
class Suggestion:
    """One police priority that is not yet in the register, with what the editor needs to judge it."""

    key: str
    force: str
    neighbourhood: str
    neighbourhood_id: str
    areas: tuple[str, ...]  # forum areas the neighbourhood overlaps, largest share first
    shares: tuple[float, ...]
    issue: str
    issue_date: str | None
    action: str | None
    action_date: str | None
    fetched_at: str

    @property
    def source(self) -> str:
        """The words a concern accepted from it keeps as its source."""
        when = f", set {self.issue_date}" if self.issue_date else ""
        return (f"police.uk neighbourhood priorities: {self.neighbourhood}{when} "
                f"(fetched {self.fetched_at[:10]}; Open Government Licence)")

    @property
    def title(self) -> str:
        """A first line for the concern's title (the editor may change it)."""
        first = self.issue.split("\n", 1)[0]
        return first if len(first) <= 120 else first[:119].rstrip() + "…"

    @property
    def areas_words(self) -> str:
        return ", ".join(f"{a} ({s:.0%})" for a, s in zip(self.areas, self.shares))


def suggestion_key(force: str, neighbourhood_id: str, issue_date: str | None, issue: str) -> str:
    """A stable key for a priority that has no id of its own (same text, date and place: same key)."""
    raw = json.dumps([force, neighbourhood_id, issue_date or "", issue], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def suggestions(snapshot: dict | None, decided: set[str] | frozenset[str] = frozenset(), area: str | None = None) -> list[Suggestion]:
    """Every priority in ``snapshot`` not yet accepted or dismissed, newest issue first.

    ``decided`` holds the keys already decided; ``area`` keeps only neighbourhoods that overlap
    that forum area. No snapshot gives no suggestions."""
    if not snapshot:
        return []
    force, fetched = str(snapshot.get("force", "")), str(snapshot.get("fetched_at", ""))
    out = []
    for hood in snapshot.get("neighbourhoods", []):
        areas = tuple(a["area"] for a in hood.get("areas", []))
        if area and area not in areas:
            continue
        for p in hood.get("priorities", []):
            key = suggestion_key(force, hood["id"], p.get("issue_date"), p["issue"])
            if key in decided:
                continue
            out.append(Suggestion(
                key=key, force=force, neighbourhood=hood["name"], neighbourhood_id=hood["id"], areas=areas,
                shares=tuple(float(a["share"]) for a in hood.get("areas", [])), issue=p["issue"],
                issue_date=p.get("issue_date"), action=p.get("action"), action_date=p.get("action_date"),
                fetched_at=fetched,
            ))
    return sorted(out, key=lambda s: (s.issue_date or "", s.neighbourhood), reverse=True)


def find(snapshot: dict | None, key: str) -> Suggestion:
    """The suggestion with ``key`` in ``snapshot`` (decided or not); one sentence when it is gone."""
    for suggestion in suggestions(snapshot):
        if suggestion.key == key:
            return suggestion
    raise AreaprofileError("That police priority is no longer in the latest snapshot; reload the page.")


# ---- decisions, kept in the register ------------------------------------------------------------


def decided_keys(register: Register) -> set[str]:
    """Keys of every suggestion already accepted or dismissed."""
    with register.read() as conn:
        return {row.key for row in conn.execute(sa.select(D.c.key))}


def open_suggestions(register: Register, snapshot: dict | None, area: str | None = None) -> list[Suggestion]:
    """The snapshot's suggestions nobody has decided on yet (for one area, or all)."""
    return suggestions(snapshot, decided_keys(register), area)


def _record_decision(register: Register, key: str, decision: str, by: User | str, concern_id: str | None = None,
                     reason: str | None = None) -> None:
    account = by.name if isinstance(by, User) else validate.account_name(by)
    with register.write() as conn:
        if conn.execute(sa.select(D.c.key).where(D.c.key == key)).first():
            raise validate.RegisterError("Someone has already decided on this suggestion; reload the page.")
        conn.execute(D.insert().values(key=key, decision=decision, concern_id=concern_id, reason=reason,
                                       at=utcnow(), account=account))


def accept(register: Register, by: User | str, snapshot: dict | None, key: str, *, areas: Iterable[str],
           crime_types: Iterable[str] = (), links: Iterable[str] = (), title: str | None = None,
           measured_by: str | None = None) -> dict:
    """Turn a suggestion into a register concern (raised by the police, on the priority's date, with
    the police.uk source) and record the decision; returns the new concern. The concern's history
    names ``by``; its source names the neighbourhood and the snapshot."""
    suggestion = find(snapshot, key)
    if key in decided_keys(register):
        raise validate.RegisterError("Someone has already decided on this suggestion; reload the page.")
    summary = suggestion.issue
    if suggestion.action:
        when = f" ({suggestion.action_date})" if suggestion.action_date else ""
        summary += f"\n\nPolice action{when}: {suggestion.action}"
    concern = register_concerns.add_concern(
        register, by, title=title or suggestion.title, areas=list(areas), summary=summary,
        raised_on=suggestion.issue_date or suggestion.fetched_at[:10], raised_by_kind="police",
        raised_by=f"Neighbourhood police, {suggestion.neighbourhood}", source=suggestion.source,
        crime_types=list(crime_types), links=list(links), measured_by=measured_by,
    )
    _record_decision(register, key, "accepted", by, concern_id=concern["id"])
    return concern


def dismiss(register: Register, by: User | str, snapshot: dict | None, key: str, reason: str | None = None) -> None:
    """Record that a suggestion is not a concern for the forum, so it is not offered again."""
    suggestion = find(snapshot, key)
    if isinstance(by, User):
        require_can_edit(by, suggestion.areas)
    why = validate.optional_text(reason, "reason")
    _record_decision(register, key, "dismissed", by, reason=why)
