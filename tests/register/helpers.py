"""Helpers for the register tests: a complete dump of a register to compare before and after."""

from __future__ import annotations

import sqlalchemy as sa

from areaprofile.register import models


def snapshot(register) -> dict[str, list[tuple]]:
    """Every row of every register table, sorted, so 'unchanged' can be checked exactly."""
    out = {}
    with register.engine.connect() as conn:
        for table in models.metadata.sorted_tables:
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted((tuple(repr(v) for v in row) for row in rows))
    return out
