"""A register records the partnership it belongs to and refuses a store of another one.

On SQLite and PostgreSQL: a new register takes the partnership it is opened for; an existing
register from the previous schema head (0003) upgrades in place and takes the partnership it
was seeded for; opening a register with another partnership's store is refused in one sentence
and changes nothing, not even the schema. The CLI takes the partnership from the store it opens.
"""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa

from areaprofile import partnership
from areaprofile.register import accounts, belongs, db
from areaprofile.register import concerns as rc
from areaprofile.register.validate import InvalidField
from tests.register.helpers import snapshot
from tests.register.test_cli import ok, refused

BANES, BRISTOL = "E06000022", "E06000023"
PREVIOUS_HEAD = "0003"
REFUSAL = ("This register belongs to Bristol (E06000023) but the store is Bath and North East Somerset; "
           "use --register PATH for this partnership's register.")


@pytest.fixture(scope="module")
def settings():
    return {code: partnership.load(code) for code in (BANES, BRISTOL)}


def _bare(location) -> db.Register:
    url = db.register_url(location)
    return db.Register(url=url, engine=db._engine(url))


def _recorded(register) -> tuple[str, str, str]:
    with register.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT la_code, la_name, how FROM register_partnership")).one()
    return tuple(row)


def test_a_new_register_takes_the_partnership_of_its_store_and_its_areas(register_location, settings):
    register = db.open_register(register_location, settings[BRISTOL])
    try:
        assert (register.la_code, register.la_name) == (BRISTOL, settings[BRISTOL].la_name)
        assert _recorded(register)[:2] == (BRISTOL, settings[BRISTOL].la_name)
        assert rc.list_concerns(register) == []  # Bristol's plan knowledge transcribes no concerns to seed
        added = rc.add_concern(register, "alice", title="Hate crime in the centre", areas=["area 4"],
                               raised_on="2021-03-01", raised_by_kind="councillor", crime_types=["Public order"])
        assert added["areas"] == ["Area 4"]
        with pytest.raises(InvalidField, match="Unknown area 'Keynsham'.*Area 1"):
            rc.add_concern(register, "alice", title="x", areas=["Keynsham"], raised_on="2021-03-01",
                           raised_by_kind="residents", crime_types=["Drugs"])
        with pytest.raises(InvalidField, match="Unknown area"):
            accounts.add_user(register, "Editor", "correct horse battery", "editor", ["Bathavon"])
    finally:
        db.close_register(register)


def test_another_partnerships_store_is_refused_in_one_sentence_and_nothing_changes(register_location, settings):
    register = db.open_register(register_location, settings[BRISTOL])
    rc.add_concern(register, "alice", title="Kept", areas=["Area 1"], raised_on="2021-03-01",
                   raised_by_kind="residents", crime_types=["Burglary"])
    before = snapshot(register)
    with pytest.raises(belongs.OtherPartnership) as refusal:  # the same process, register already open
        db.open_register(register_location, settings[BANES])
    assert refusal.value.message == REFUSAL
    db.close_register(register)
    with pytest.raises(belongs.OtherPartnership) as refusal:  # a fresh open
        db.open_register(register_location, settings[BANES])
    assert refusal.value.message == REFUSAL
    again = db.open_register(register_location, settings[BRISTOL])
    try:
        assert snapshot(again) == before
    finally:
        db.close_register(again)


def test_a_register_from_the_previous_head_upgrades_in_place_to_the_partnership_it_was_seeded_for(
        register_location, settings):
    old = _bare(register_location)
    db.migrate(old, PREVIOUS_HEAD)  # as the previous areaprofile made it: seeded from the default plan
    assert db.schema_revision(old) == PREVIOUS_HEAD
    concern = rc.add_concern(old, "alice", title="Raised before registers knew their partnership",
                             areas=["Chew Valley"], raised_on="2020-06-01", raised_by_kind="residents",
                             crime_types=["Burglary"])
    rc.add_action(old, "bob", concern["id"], taken_on="2020-07-01", text="Leaflets on locks")
    accounts.add_user(old, "Chew editor", "correct horse battery", "editor", ["Chew Valley"])
    before = snapshot(old)
    old.dispose()

    with pytest.raises(belongs.OtherPartnership, match=r"belongs to B&NES \(E06000022\) but the store is Bristol"):
        db.open_register(register_location, settings[BRISTOL])
    untouched = _bare(register_location)
    assert db.schema_revision(untouched) == PREVIOUS_HEAD  # the refused upgrade was rolled back
    untouched.dispose()

    register = db.open_register(register_location, settings[BANES])
    try:
        assert db.schema_revision(register) == db.HEAD == db.head_revision()
        code, name, how = _recorded(register)
        assert (code, name) == (BANES, "Bath and North East Somerset") and "seeded" in how
        after = snapshot(register)
        assert {t: rows for t, rows in after.items() if t != "register_partnership"} == before
        assert len(rc.list_concerns(register)) == 31
    finally:
        db.close_register(register)


def test_an_old_register_without_seeds_takes_the_partnership_its_areas_name(register_location, settings):
    old = _bare(register_location)
    db.migrate(old, PREVIOUS_HEAD, seed=False)
    # What the previous areaprofile did beside a Bristol store ($AREAPROFILE_LA set from the store).
    as_bristol = dataclasses.replace(old, settings=settings[BRISTOL])
    rc.add_concern(as_bristol, "alice", title="Parking on pavements", areas=["Area 2", "Area 3"],
                   raised_on="2021-01-05", raised_by_kind="forum meeting", measured_by="Council parking reports")
    old.dispose()
    register = db.open_register(register_location)  # no store to say: its areas are Bristol's
    try:
        assert register.la_code == BRISTOL and "areas" in _recorded(register)[2]
        with pytest.raises(belongs.OtherPartnership, match=r"belongs to Bristol \(E06000023\)"):
            db.open_register(register_location, settings[BANES])
    finally:
        db.close_register(register)


def test_the_cli_takes_the_partnership_from_the_store_it_opens(tmp_path, built_store, settings):
    bristol_register = tmp_path / "bristol" / "register.sqlite"
    db.close_register(db.open_register(bristol_register, settings[BRISTOL]))
    store = ["--store", str(built_store)]
    assert refused("concerns", "list", "--register", str(bristol_register), *store) == f"areaprofile: {REFUSAL}"
    assert refused("users", "add", "Ann", "--role", "admin", "--register", str(bristol_register), *store,
                   env={"AREAPROFILE_PASSWORD": "correct horse battery"}) == f"areaprofile: {REFUSAL}"
    # Without --register: register.sqlite beside the store, made for the store's partnership.
    copy = tmp_path / "banes" / "areaprofile.duckdb"
    copy.parent.mkdir()
    copy.write_bytes(built_store.read_bytes())
    env = {"AREAPROFILE_REGISTER": "", "AREAPROFILE_LA": BRISTOL}  # the environment no longer decides
    ok("concerns", "add", "--area", "Keynsham", "--title", "Speeding", "--raised", "2021-05-01",
       "--crime-type", "Other crime", "--by", "alice", "--store", str(copy), env=env)
    beside = db.open_register(copy.parent / "register.sqlite")
    try:
        assert beside.la_code == BANES and any(c["title"] == "Speeding" for c in rc.list_concerns(beside))
    finally:
        db.close_register(beside)
