"""A process that writes to a register as fast as it can, for the SIGKILL test.

Started by fork (so it needs no imports of its own), it opens the register, says 'ready' on
its pipe, then loops: an edit of the summary and an action, each one transaction of several
statements, until it is killed."""

from __future__ import annotations

from areaprofile.register import concerns, db


def write_until_killed(location: str, concern_id: str, ready) -> None:
    register = db.open_register(location)
    ready.send("ready")
    n = 0
    while True:
        n += 1
        record = concerns.get_concern(register, concern_id)
        concerns.edit_concern(register, "writer", concern_id, record["version"], summary=f"edit {n} " + "x" * 2000)
        concerns.add_action(register, "writer", concern_id, taken_on="2021-01-01", text=f"action {n}")
