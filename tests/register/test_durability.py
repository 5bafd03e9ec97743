"""The register survives what people's data must survive: a process killed in the middle of
writing, an older schema, and a rebuild of the police.uk store beside it."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import multiprocessing
from pathlib import Path

import pytest
import sqlalchemy as sa

from areaprofile.errors import AreaprofileError
from areaprofile.register import concerns as rc
from areaprofile.register import db, models
from areaprofile.store import build
from tests.register.writer import write_until_killed

def _consistent(register, concern_id: str) -> int:
    """Check that every change to the concern is whole; the version it has reached."""
    record = rc.get_concern(register, concern_id)
    history = rc.concern_history(register, concern_id)
    assert [h["version"] for h in history] == list(range(1, record["version"] + 1))
    actions_in_history = [h for h in history if h["change"] == "action"]
    assert len(actions_in_history) == len(record["actions"])
    edits = [h for h in history if h["change"] == "edit"]
    if edits:
        assert record["summary"] == edits[-1]["changes"]["summary"]["after"]
    if register.dialect == "sqlite":
        with register.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    return record["version"]


def test_sigkill_in_the_middle_of_writes_leaves_the_old_or_the_new_state(register_location):
    register = db.open_register(register_location)
    concern = rc.add_concern(register, "alice", title="Killed writer", areas=["Bath"], raised_on="2021-01-01",
                             raised_by_kind="police", crime_types=["Drugs"])
    db.close_register(register)
    rng = random.Random(11)
    reached = 1
    fork = multiprocessing.get_context("fork")
    for _ in range(10):
        ours, theirs = fork.Pipe()
        child = fork.Process(target=write_until_killed, args=(register_location, concern["id"], theirs), daemon=True)
        child.start()
        assert ours.poll(60) and ours.recv() == "ready"
        child.join(timeout=rng.uniform(0.05, 0.5))
        assert child.is_alive()  # still writing when killed
        os.kill(child.pid, signal.SIGKILL)
        child.join()
        ours.close()
        register = db.open_register(register_location)
        try:
            version = _consistent(register, concern["id"])
        finally:
            db.close_register(register)
        assert version >= reached
        reached = version
    assert reached > 1  # the writers did write


def test_the_head_the_register_skips_alembic_at_is_alembics_head():
    assert db.HEAD == db.head_revision()


def test_a_register_from_a_newer_areaprofile_is_refused_with_a_sentence(tmp_path):
    path = tmp_path / "register.sqlite"
    db.close_register(db.open_register(path))
    engine = sa.create_engine(db.register_url(path))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    with pytest.raises(AreaprofileError, match="written by a newer areaprofile"):
        db.open_register(path)


def test_an_older_schema_register_upgrades_in_place_without_loss(register_location):
    old = db.Register(url=db.register_url(register_location), engine=db._engine(db.register_url(register_location)))
    db.migrate(old, "0001")
    assert db.schema_revision(old) == "0001"
    with old.engine.connect() as conn:
        assert "users" not in sa.inspect(conn).get_table_names()
    concern = rc.add_concern(old, "alice", title="Raised before accounts existed", areas=["Chew Valley"],
                             raised_on="2020-06-01", raised_by_kind="residents", crime_types=["Burglary"])
    rc.add_action(old, "bob", concern["id"], taken_on="2020-07-01", text="Leaflets on locks")
    rc.remove_concern(old, "carol", "bath-drugs-market", "Merged")
    before = {c["id"]: c for c in rc.list_concerns(old, include_removed=True)}
    history_before = rc.concern_history(old, concern["id"])
    old.dispose()

    register = db.open_register(register_location)
    try:
        assert db.schema_revision(register) == db.head_revision()
        after = {c["id"]: c for c in rc.list_concerns(register, include_removed=True)}
        assert after == before
        assert rc.concern_history(register, concern["id"]) == history_before
        from areaprofile.register import accounts

        accounts.add_user(register, "Newcomer", "correct horse battery", "admin")
        assert [u["name"] for u in accounts.list_users(register)] == ["Newcomer"]
        with register.engine.connect() as conn:
            columns = {t.name: {c["name"] for c in sa.inspect(conn).get_columns(t.name)} for t in models.metadata.sorted_tables}
        assert columns == {t.name: {c.name for c in t.columns} for t in models.metadata.sorted_tables}
    finally:
        db.close_register(register)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_rebuilding_the_police_uk_store_leaves_the_register_byte_identical(store_copy, data_dir):
    register_path = store_copy.parent / "register.sqlite"
    register = db.open_register(register_path)
    concern = rc.add_concern(register, "alice", title="Survives rebuilds", areas=["Keynsham"], raised_on="2021-02-01",
                             raised_by_kind="forum meeting", crime_types=["Shoplifting"])
    db.close_register(register)  # the last connection checkpoints the WAL into the file
    files_before = {p.name: _digest(p) for p in store_copy.parent.iterdir() if p.name.startswith("register")}
    assert list(files_before) == ["register.sqlite"]
    build([data_dir], store_copy, fresh=True)
    files_after = {p.name: _digest(p) for p in store_copy.parent.iterdir() if p.name.startswith("register")}
    assert files_after == files_before
    register = db.open_register(register_path)
    try:
        assert rc.get_concern(register, concern["id"])["title"] == "Survives rebuilds"
    finally:
        db.close_register(register)
