"""Concerns, their actions and the append-only history (the register's first schema).

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_SQLITE_GUARDS = (
    "CREATE TRIGGER history_no_update BEFORE UPDATE ON history "
    "BEGIN SELECT RAISE(ABORT, 'the register history is append-only'); END",
    "CREATE TRIGGER history_no_delete BEFORE DELETE ON history "
    "BEGIN SELECT RAISE(ABORT, 'the register history is append-only'); END",
)
_POSTGRES_GUARDS = (
    "CREATE FUNCTION register_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'the register history is append-only'; END $$",
    "CREATE TRIGGER history_append_only BEFORE UPDATE OR DELETE ON history "
    "FOR EACH ROW EXECUTE FUNCTION register_history_append_only()",
)


def upgrade() -> None:
    op.create_table(
        "concerns",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False, server_default=""),
        sa.Column("areas", sa.JSON, nullable=False),
        sa.Column("raised_on", sa.Date, nullable=True),
        sa.Column("raised_note", sa.Text, nullable=True),
        sa.Column("raised_by_kind", sa.String(20), nullable=True),
        sa.Column("raised_by", sa.Text, nullable=False, server_default=""),
        sa.Column("source", sa.Text, nullable=False, server_default=""),
        sa.Column("crime_types", sa.JSON, nullable=False),
        sa.Column("measured_by", sa.Text, nullable=True),
        sa.Column("links", sa.JSON, nullable=False),
        sa.Column("notes", sa.Text, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("status_on", sa.Date, nullable=True),
        sa.Column("removed_reason", sa.Text, nullable=True),
        sa.Column("status_before_removal", sa.String(20), nullable=True),
        sa.Column("seeded_from", sa.String(80), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
    )
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("concern_id", sa.String(80), sa.ForeignKey("concerns.id"), nullable=False),
        sa.Column("taken_on", sa.Date, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("who", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
    )
    op.create_index("ix_actions_concern_id", "actions", ["concern_id"])
    op.create_table(
        "history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("concern_id", sa.String(80), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("change", sa.String(20), nullable=False),
        sa.Column("changes", sa.JSON, nullable=False),
    )
    op.create_index("ix_history_concern_id", "history", ["concern_id"])
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_GUARDS if dialect == "sqlite" else _POSTGRES_GUARDS if dialect == "postgresql" else ():
        op.execute(statement)


def downgrade() -> None:
    raise NotImplementedError("The register never goes back a schema version: restore a backup instead.")
