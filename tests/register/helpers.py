"""Helpers for the register tests: a complete dump of a register to compare before and after."""

from __future__ import annotations

import sqlalchemy as sa

from areaprofile.register import models


def snapshot(register) -> dict[str, list[tuple]]:
    """Every row of every register table, sorted, so 'unchanged' can be checked exactly (tables a
    register of an older schema does not have yet are left out)."""
    out = {}
    with register.engine.connect() as conn:
        present = set(sa.inspect(conn).get_table_names())
        for table in models.metadata.sorted_tables:
            if table.name not in present:
                continue
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted((tuple(repr(v) for v in row) for row in rows))
    return out
