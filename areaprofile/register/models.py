"""The register's schema in one place: the tables every register query uses.

The register holds people's data (concerns raised at forums, what was done about them, who
changed what), kept apart from the police.uk store so a rebuild never touches it. Migrations in
``migrations/versions`` create these same tables step by step; a test checks that the migrated
schema and this file agree.

Dates are calendar dates (``raised_on``, ``status_on``, ``taken_on``); moments are naive UTC
datetimes (``*_at``). Lists (areas, crime types, links) are JSON arrays.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

#: Where a concern stands. ``removed`` is not a fifth outcome but a removal with a reason,
#: which :func:`areaprofile.register.concerns.restore_concern` undoes.
STATUSES = ("open", "in-progress", "resolved", "closed")
REMOVED = "removed"
ALL_STATUSES = STATUSES + (REMOVED,)
#: Who raised a concern.
RAISED_BY_KINDS = ("forum meeting", "residents", "police", "councillor")
ROLES = ("editor", "admin")

concerns = sa.Table(
    "concerns",
    metadata,
    sa.Column("id", sa.String(80), primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False, server_default=""),
    sa.Column("areas", sa.JSON, nullable=False),
    sa.Column("raised_on", sa.Date, nullable=True),  # None only for concerns seeded from a plan
    sa.Column("raised_note", sa.Text, nullable=True),  # e.g. "2017-2018" as a plan gives it
    sa.Column("raised_by_kind", sa.String(20), nullable=True),
    sa.Column("raised_by", sa.Text, nullable=False, server_default=""),
    sa.Column("source", sa.Text, nullable=False, server_default=""),
    sa.Column("crime_types", sa.JSON, nullable=False),
    sa.Column("measured_by", sa.Text, nullable=True),  # what would measure it beyond police.uk
    sa.Column("links", sa.JSON, nullable=False),  # plan priority / objective / measure ids
    sa.Column("notes", sa.Text, nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("status_on", sa.Date, nullable=True),
    sa.Column("removed_reason", sa.Text, nullable=True),
    sa.Column("status_before_removal", sa.String(20), nullable=True),
    sa.Column("seeded_from", sa.String(80), nullable=True),  # plan id when seeded from knowledge
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("updated_by", sa.String(100), nullable=False),
)

actions = sa.Table(
    "actions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("concern_id", sa.String(80), sa.ForeignKey("concerns.id"), nullable=False, index=True),
    sa.Column("taken_on", sa.Date, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("who", sa.Text, nullable=False),  # the person or team who acted
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("recorded_by", sa.String(100), nullable=False),  # the account that wrote it down
)

history = sa.Table(
    "history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("concern_id", sa.String(80), nullable=False, index=True),
    sa.Column("version", sa.Integer, nullable=False),  # the concern's version after the change
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("account", sa.String(100), nullable=False),
    sa.Column("change", sa.String(20), nullable=False),  # add, edit, status, action, remove, restore, seed
    sa.Column("changes", sa.JSON, nullable=False),  # {field: {"before": ..., "after": ...}}
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("name_key", sa.String(100), primary_key=True),  # casefolded name: one account per spelling
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("areas", sa.JSON, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

sign_in_attempts = sa.Table(
    "sign_in_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name_key", sa.String(100), nullable=False),  # counted for unknown names too
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("succeeded", sa.Boolean, nullable=False),
    sa.Index("ix_sign_in_attempts_name_at", "name_key", "at"),
)

#: What editors decided about each suggested concern (a police neighbourhood priority), so a
#: decided suggestion is not offered again. Keys come from areaprofile.register.suggestions.
DECISIONS = ("accepted", "dismissed")
suggestion_decisions = sa.Table(
    "suggestion_decisions",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("decision", sa.String(20), nullable=False),
    sa.Column("concern_id", sa.String(80), nullable=True),  # the concern an accepted one became
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("account", sa.String(100), nullable=False),
)

#: The partnership (local authority) the register belongs to: one row. A register serves one
#: partnership's forums, so its areas and plan links are that partnership's; a store of another
#: partnership is refused (areaprofile.register.belongs).
register_partnership = sa.Table(
    "register_partnership",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),  # always 1: one partnership per register
    sa.Column("la_code", sa.String(9), nullable=False),
    sa.Column("la_name", sa.Text, nullable=False),
    sa.Column("recorded_at", sa.DateTime, nullable=False),
    sa.Column("how", sa.Text, nullable=False),  # why this partnership, e.g. "the concerns it was seeded with"
)
