"""Since-raised evidence for register concerns against the real store: the counts are
`areaprofile counts`'s, the comparison is the exact Poisson test, and every case has a sentence."""

from __future__ import annotations

import pytest

from areaprofile import concern_evidence, metrics, query
from areaprofile.periods import Period
from areaprofile.register import concerns as rc
from areaprofile.register import db
from tests.cli_counts import cli_counts


@pytest.fixture(scope="module")
def store(built_store):
    return query.open_store(built_store)


@pytest.fixture
def register(tmp_path):
    reg = db.open_register(tmp_path / "register.sqlite")
    yield reg
    db.close_register(reg)


def _add(register, **fields):
    base = dict(title="t", areas=["Keynsham"], raised_on="2020-03-10", raised_by_kind="forum meeting",
                crime_types=["Drugs"])
    base.update(fields)
    return rc.add_concern(register, "alice", **base)


def test_numbers_since_raised_equal_the_cli_and_the_exact_test(capsys, built_store, store, register):
    concern = _add(register, areas=["Keynsham", "Somer Valley"], crime_types=["Burglary", "Vehicle crime"])
    evidence = concern_evidence.since_raised(store, concern)
    latest = query.months(store)[-1]
    since = Period("2020-03", latest)
    before = since.previous()
    assert evidence["since"]["start"] == "2020-03" and evidence["since"]["end"] == latest
    assert (evidence["before"]["start"], evidence["before"]["end"]) == (before.start, before.end)
    for period, key in ((since, "count"), (before, "earlier")):
        rows = cli_counts(capsys, built_store, "area", period.start, period.end, None, ["Burglary", "Vehicle crime"])
        wanted = {r["area"]: r["count"] for r in rows if r["area"] in ("Keynsham", "Somer Valley")}
        assert evidence[key] == sum(wanted.values())
        assert {a["area"]: a[key if key == "count" else "earlier"] for a in evidence["areas"]} == wanted
    change = metrics.compare_counts(evidence["count"], evidence["earlier"])
    assert evidence["change"]["p_value"] == change.p_value and evidence["change"]["verdict"] == change.verdict
    assert "since it was raised (Mar 2020 to" in evidence["sentence"]


def test_every_case_without_a_comparison_says_why(store, register):
    no_police_data = _add(register, crime_types=[], measured_by="Residents' survey of speeding")
    assert concern_evidence.since_raised(store, no_police_data)["sentence"].endswith("Residents' survey of speeding")
    seeded = rc.get_concern(register, "bath-drugs-market")
    assert "No date raised is on record (raised 2017-2018)" in concern_evidence.since_raised(store, seeded)["sentence"]
    future = _add(register, raised_on="2025-01-02")
    words = concern_evidence.since_raised(store, future)["sentence"]
    assert "Raised in Jan 2025" in words and "not loaded yet" in words
    gap = concern_evidence.since_raised(store, _add(register, raised_on="2018-02-01"))  # before = 2014..2018: not loaded
    assert gap["count"] is not None and gap["change"] is None and "are not all loaded" in gap["sentence"]


def test_the_listing_with_evidence_keeps_the_register_order(store, register):
    a = _add(register, title="first")
    rc.set_status(register, "bob", a["id"], "closed", "2020-05-01")
    b = _add(register, title="second", raised_on="2020-04-02", links=["asb", "jcsp-2018-21.m.total-crime"])
    listed = concern_evidence.register_with_evidence(store, register, area="Keynsham")
    ids = [r["id"] for r in listed]
    assert ids.index(b["id"]) < ids.index(a["id"])  # open before closed
    assert all(r["evidence"]["concern_id"] == r["id"] for r in listed)
    second = next(r for r in listed if r["id"] == b["id"])
    assert [p["id"] for p in second["serves"]] == ["jcsp-2022-25.asb"]
    assert [m["id"] for m in second["tracked_by"]] == ["jcsp-2018-21.m.total-crime"]  # a plan-wide measure
    assert all(r["evidence"] is None for r in concern_evidence.register_with_evidence(None, register))
