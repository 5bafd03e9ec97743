"""The partnership (local authority) the register belongs to, recorded in the register itself.

A new register takes the partnership of the store that opens it. An existing one takes the
partnership it was seeded for (see :func:`areaprofile.register.belongs.partnership_of_existing`):
before this record registers followed the default partnership, so that is what one without any
sign of another partnership gets.

Revision ID: 0004
Revises: 0003
"""
from alembic import context, op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from areaprofile.register import belongs
    from areaprofile.register.clock import utcnow

    table = op.create_table(
        "register_partnership",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("la_code", sa.String(9), nullable=False),
        sa.Column("la_name", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("how", sa.Text, nullable=False),
    )
    wanted = context.config.attributes.get("la_code")  # the opener's (its store's) partnership, if any
    settings, how = belongs.partnership_of_existing(op.get_bind(), wanted)
    op.bulk_insert(table, [{"id": 1, "la_code": settings.la_code, "la_name": settings.la_name,
                            "recorded_at": utcnow(), "how": how}])


def downgrade() -> None:
    raise NotImplementedError("The register never goes back a schema version: restore a backup instead.")
