"""The first run's register: the concerns transcribed in ``data/knowledge/concerns.yaml``.

They keep their ids (links and bookmarks to them go on working), are marked as seeded from the
2018-21 plan, and each gets a ``seed`` history entry, so the history of every concern starts
with where it came from. Seeding happens once: a register that has any history is never
seeded again (a removed concern stays removed).
"""

from __future__ import annotations

import sqlalchemy as sa

from areaprofile import knowledge as kb_module
from areaprofile.register import models, validate
from areaprofile.register.clock import utcnow

#: The plan whose transcription seeds the register.
SEED_PLAN = "jcsp-2018-21"
#: The account named in the seed history entries.
SEED_ACCOUNT = "areaprofile (seeded from data/knowledge/concerns.yaml)"


def _source_text(kb: kb_module.Knowledge, source: dict) -> str:
    doc = kb.documents.get(source.get("document"), {})
    parts = [doc.get("title") or str(source.get("document")), f"section \u201c{source.get('section')}\u201d"]
    if source.get("item") is not None:
        parts.append(f"item {source['item']}")
    if source.get("page") is not None:
        parts.append(f"page {source['page']}")
    return ", ".join(parts)


def seed_rows(knowledge: kb_module.Knowledge) -> list[dict]:
    """The seed concerns of ``knowledge`` (the register's partnership's) as register rows (without the timestamps)."""
    kb = knowledge
    seeded_from = SEED_PLAN if SEED_PLAN in kb.plans else "concerns.yaml"  # another partnership's knowledge
    rows = []
    for c in kb.concerns.values():
        sources = [c["source"]] + list(c.get("see_also") or [])
        rows.append(
            {
                "id": c["id"],
                "title": " ".join(str(c["title"]).split()),
                "summary": " ".join(str(c["summary"]).split()),
                "areas": validate.areas(c["areas"], kb),
                "raised_on": None,
                "raised_note": str(c["raised"]),
                "raised_by_kind": None,
                "raised_by": " ".join(str(c["raised_by"]).split()),
                "source": "; ".join(_source_text(kb, s) for s in sources),
                "crime_types": validate.crime_types(c.get("crime_types") or []),
                "measured_by": " ".join(c["would_be_measured_by"].split()) if c.get("would_be_measured_by") else None,
                "links": list(c["priorities"]),
                "notes": " ".join(str(c["notes"]).split()) if c.get("notes") else None,
                "status": "open",
                "status_on": None,
                "removed_reason": None,
                "status_before_removal": None,
                "seeded_from": seeded_from,
                "version": 1,
            }
        )
    return rows


def seed_if_new(conn: sa.Connection, knowledge: kb_module.Knowledge) -> int:
    """Seed an empty register (no concerns, no history) from its partnership's ``knowledge``;
    returns how many concerns were added."""
    has_any = conn.execute(sa.select(sa.func.count()).select_from(models.history)).scalar_one()
    has_any += conn.execute(sa.select(sa.func.count()).select_from(models.concerns)).scalar_one()
    if has_any:
        return 0
    now = utcnow()
    rows = seed_rows(knowledge)
    for row in rows:
        row.update(created_at=now, created_by=SEED_ACCOUNT, updated_at=now, updated_by=SEED_ACCOUNT)
    if rows:
        conn.execute(models.concerns.insert(), rows)
        conn.execute(
            models.history.insert(),
            [
                {
                    "concern_id": row["id"],
                    "version": 1,
                    "at": now,
                    "account": SEED_ACCOUNT,
                    "change": "seed",
                    "changes": {"seeded_from": {"before": None, "after": row["seeded_from"]}},
                }
                for row in rows
            ],
        )
    return len(rows)
