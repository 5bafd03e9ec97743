"""Decisions on suggested concerns (police neighbourhood priorities): accepted or dismissed, by whom.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "suggestion_decisions",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("concern_id", sa.String(80), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("The register never goes back a schema version: restore a backup instead.")
