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

from areaprofile.errors import AreaprofileError


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
