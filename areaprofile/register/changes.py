"""How far the register has come: a number that grows with every change to a concern, so pages
can cache what they read from the register and still show a change at once."""

from __future__ import annotations

import sqlalchemy as sa

from areaprofile.register import models
from areaprofile.register.db import Register


def latest_change(register: Register) -> int:
    """The id of the newest history entry (0 for an empty register). Every write to a concern or
    its actions appends one, and the history is never rewritten, so this only ever grows."""
    with register.read() as conn:
        return int(conn.execute(sa.select(sa.func.max(models.history.c.id))).scalar() or 0)
