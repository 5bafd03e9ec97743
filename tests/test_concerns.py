"""areaprofile.concerns against the real store: the numbers are the CLI's numbers, every area has
concerns, concerns and measures police.uk cannot count say so and say what would count them.

Expected values come from the `areaprofile counts` CLI and from the YAML files read directly, not
from the functions under test."""

from __future__ import annotations


import pytest
import yaml

from areaprofile import concerns, config, metrics, query
from tests.cli_counts import cli_counts
from areaprofile.errors import AreaprofileError
from areaprofile.periods import Period, month_list, shift
from areaprofile.profile import Selection
from tests.banes import ALL_BANES

KNOWLEDGE = config.KNOWLEDGE_DIR


@pytest.fixture(scope="module")
def store(built_store):
    return query.open_store(built_store)


@pytest.fixture(scope="module")
def last3(store) -> Period:
    end = query.months(store)[-1]
    return Period(shift(end, -2), end)


@pytest.fixture(scope="module")
def yaml_concerns() -> dict[str, dict]:
    data = yaml.safe_load((KNOWLEDGE / "concerns.yaml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in data["concerns"]}


@pytest.fixture(scope="module")
def yaml_measures() -> dict[str, dict]:
    """Every measure of the 2018-2021 plan, read straight from plans.yaml."""
    data = yaml.safe_load((KNOWLEDGE / "plans.yaml").read_text(encoding="utf-8"))
    plan = next(p for p in data["plans"] if p["id"] == "jcsp-2018-21")
    found = {m["id"]: m for m in plan.get("measures") or []}
    for priority in plan["priorities"]:
        found.update({m["id"]: m for m in priority.get("measures") or []})
    return found


def cli_total(capsys, built_store, period: Period, area: str | None, types: list[str], by: str = "area") -> int:
    """Sum of `areaprofile counts` rows for the filters (the number a person would get at the prompt)."""
    return sum(row["count"] for row in cli_rows(capsys, built_store, period, area, types, by))


def cli_rows(capsys, built_store, period: Period, area: str | None, types: list[str], by: str) -> list[dict]:
    return cli_counts(capsys, built_store, by, period.start, period.end, area, types)


def population(store, area: str) -> int:
    return int(store.scalar("SELECT population FROM areas WHERE name = ?", [area]))


def evidence_by_id(store, area: str, period: Period) -> dict[str, dict]:
    return {e["id"]: e for e in concerns.concern_evidence(store, Selection(area=area, period=period))}


# --------------------------------------------------------------------------------------------
# Concerns of an area


@pytest.mark.parametrize(
    ("area", "concern_id"),
    [
        ("Keynsham", "keynsham-town-centre-asb"),          # two types
        ("Bath", "bath-drugs-market"),                     # one type
        ("Chew Valley", "chew-valley-non-dwelling-burglary"),
        ("Somer Valley", "midsomer-norton-street-drinking"),  # three types, partial coverage
        ("Bathavon", "typical-local-priorities"),          # raised for every area
    ],
)
def test_concern_numbers_equal_the_cli(capsys, built_store, store, last3, yaml_concerns, area, concern_id):
    types = yaml_concerns[concern_id]["crime_types"]
    assert "All crime" not in types  # these examples list published types only
    record = evidence_by_id(store, area, last3)[concern_id]
    assert record["measured"] and sorted(record["crime_types"]) == sorted(types)

    count = cli_total(capsys, built_store, last3, area, types)
    assert count > 0
    assert record["count"] == count
    assert record["rate_per_1000"] == pytest.approx(1000 * count / population(store, area))
    low, high = record["rate_low"], record["rate_high"]
    assert low < record["rate_per_1000"] < high

    previous = cli_total(capsys, built_store, last3.previous(), area, types)
    year = cli_total(capsys, built_store, last3.year_earlier(), area, types)
    assert record["previous"]["earlier"] == previous
    assert record["year_earlier"]["earlier"] == year
    assert record["previous"]["verdict"] == metrics.compare_counts(count, previous).verdict
    assert record["year_earlier"]["verdict"] == metrics.compare_counts(count, year).verdict
    assert record["year_earlier"]["unusual"] == (metrics.compare_counts(count, year).p_value < 0.05)

    # The sparkline: the 12 months to the end of the period, month by month as the CLI counts them.
    trend_period = Period(shift(last3.end, -11), last3.end)
    by_month = {r["month"]: r["count"] for r in cli_rows(capsys, built_store, trend_period, area, types, "month")}
    assert [r["month"] for r in record["trend"]] == month_list(trend_period.start, trend_period.end)
    assert record["trend_values"] == [by_month.get(m, 0) for m in month_list(trend_period.start, trend_period.end)]
    assert str(max(record["trend_values"])) in record["trend_sentence"]

    # Top 3 places (police.uk snap points: one street name can be several points), counted in SQL.
    places = record["top_places"]
    assert 1 <= len(places) <= 3
    assert [p["count"] for p in places] == sorted((p["count"] for p in places), reverse=True)
    marks = ",".join("?" * len(types))
    top = store.sql(
        f"SELECT location, COUNT(*) AS n FROM crimes WHERE area = ? AND month BETWEEN ? AND ? "
        f"AND crime_type IN ({marks}) AND location <> '' GROUP BY location, latitude, longitude "
        f"ORDER BY n DESC LIMIT 1",
        [area, last3.start, last3.end, *types],
    )
    assert places[0]["count"] == int(top["n"].iloc[0])
    assert sum(p["count"] for p in places) <= count

    # The one-line answer carries the same number.
    assert f"{count:,} records in {area}" in record["sentence"]


def test_every_area_has_concerns_of_its_own_and_some_with_numbers(store, last3, yaml_concerns):
    for area in config.AREAS:
        evidence = concerns.concern_evidence(store, Selection(area=area, period=last3))
        expected = {cid for cid, c in yaml_concerns.items() if area in c["areas"]}
        assert {e["id"] for e in evidence} == expected, area
        assert any(e["area_specific"] for e in evidence), f"{area} has no concern of its own"
        assert any(e["measured"] and e["count"] is not None for e in evidence), area
        # The area's own concerns come first.
        flags = [e["area_specific"] for e in evidence]
        assert flags == sorted(flags, reverse=True)
        sentence = concerns.concerns_sentence(evidence, Selection(area=area, period=last3))
        assert sentence.startswith(f"{area}: {len(expected)} concerns on record")
        for e in evidence:
            assert e["source"]["document_title"] in e["source"]["text"]
            assert e["source"]["section"] in e["source"]["text"]
            for p in e["serves"]:
                assert p["source"]["section"] in p["source"]["text"]
                assert all(o["id"].startswith(p["id"] + ".") for o in p["objectives"])


def test_concerns_without_police_uk_data_say_so_and_what_would_measure_them(store, last3, yaml_concerns):
    seen = 0
    for area in config.AREAS:
        evidence = concerns.concern_evidence(store, Selection(area=area, period=last3))
        table = concerns.concern_table(evidence)
        for e, (_, row) in zip(evidence, table.iterrows()):
            raw = yaml_concerns[e["id"]]
            if raw.get("police_uk") == "none" or not raw.get("crime_types"):
                seen += 1
                assert not e["measured"] and e["count"] is None and e["trend"] == []
                assert e["would_be_measured_by"] and len(e["would_be_measured_by"]) > 20
                assert e["sentence"].startswith(concerns.NO_DATA)
                assert e["would_be_measured_by"] in e["sentence"]
                assert row["police.uk data"] == concerns.NO_DATA and row["Against a year earlier"] == "—"
            else:
                assert e["measured"] and e["count"] is not None
                assert row["Records"] == e["count"]
            if raw.get("police_uk") == "partial":
                assert "only part" in e["sentence"] and e["would_be_measured_by"]
    assert seen >= 10


def test_concerns_need_one_area(store, last3):
    with pytest.raises(AreaprofileError, match="Choose one forum area"):
        concerns.concern_evidence(store, Selection(area=None, period=last3))


def test_comparisons_with_months_not_loaded_are_not_invented(store):
    months = set(query.months(store))
    period = Period("2018-01", "2018-03")  # the previous three months (Oct-Dec 2017) are not in the data
    assert not set(month_list(period.previous().start, period.previous().end)) <= months
    record = evidence_by_id(store, "Keynsham", period)["keynsham-town-centre-asb"]
    assert record["count"] > 0
    assert record["previous"]["verdict"] == concerns.NOT_AVAILABLE and record["previous"]["earlier"] is None
    assert "not loaded" in record["previous"]["sentence"]
    assert "no comparison" in record["sentence"]


def test_a_plan_wide_measure_does_not_tie_a_concern_to_every_priority(store, last3, yaml_concerns):
    # bath-drugs-market links the 2018-21 total-crime measure, which serves all three priorities.
    assert "jcsp-2018-21.m.total-crime" in yaml_concerns["bath-drugs-market"]["priorities"]
    record = evidence_by_id(store, "Bath", last3)["bath-drugs-market"]
    assert [m["id"] for m in record["tracked_by"]] == ["jcsp-2018-21.m.total-crime"]
    assert not any(p["plan"] == "jcsp-2018-21" for p in record["serves"])
    pcc = next(p for p in record["serves"] if p["id"] == "pcc-plan-2020.communities")
    linked = {o["id"] for o in pcc["objectives"] if o["linked"]}
    assert linked == {"pcc-plan-2020.communities.o3", "pcc-plan-2020.communities.o6"}


# --------------------------------------------------------------------------------------------
# Priorities across the five areas


def test_priority_numbers_equal_the_cli_in_every_area(capsys, built_store, store, last3, yaml_concerns):
    evidence = concerns.priority_evidence(store, Selection(area=None, period=last3), "jcsp-2018-21")
    assert [p["id"] for p in evidence] == ["jcsp-2018-21.p1", "jcsp-2018-21.p2", "jcsp-2018-21.p3"]
    p2 = evidence[1]
    # Keynsham's and Somer Valley's own ASB concerns link objective 1 of priority 2.
    for cid in ("keynsham-town-centre-asb", "somer-valley-asb-gullock-tyning"):
        assert "jcsp-2018-21.p2.o1" in yaml_concerns[cid]["priorities"]
        assert cid in {c["id"] for c in p2["concerns"]}
    assert {"Keynsham", "Somer Valley", "Bath"} <= set(p2["areas_own"])
    assert config.ASB in p2["crime_types"]

    by_area = {r["area"]: r["count"] for r in cli_rows(capsys, built_store, last3, None, [config.ASB], "area")}
    earlier = {r["area"]: r["count"] for r in cli_rows(capsys, built_store, last3.year_earlier(), None, [config.ASB], "area")}
    rows = [r for r in p2["numbers"] if r["crime_type"] == config.ASB]
    assert [r["area"] for r in rows] == list(config.AREAS)
    for r in rows:
        assert r["count"] == by_area[r["area"]]
        assert r["year_earlier"]["earlier"] == earlier[r["area"]]
        assert r["year_earlier"]["verdict"] == metrics.compare_counts(by_area[r["area"]], earlier[r["area"]]).verdict
        assert r["rate_per_1000"] == pytest.approx(1000 * by_area[r["area"]] / population(store, r["area"]))
    keynsham = next(r for r in rows if r["area"] == "Keynsham")
    assert keynsham["own_concern"] and keynsham["raised_here"]

    table = concerns.priority_numbers_table(p2)
    assert len(table) == len(p2["crime_types"]) * len(config.AREAS)
    assert list(table["Count"]) == [r["count"] for r in p2["numbers"]]


def test_priorities_without_concerns_or_police_uk_data_say_so(store, last3):
    evidence = {p["id"]: p for p in concerns.priority_evidence(store, Selection(area=None, period=last3))}
    lonely = evidence["csp-2009-12.vulnerable-victims"]
    assert lonely["concerns"] == [] and lonely["numbers"] == []
    assert lonely["sentence"].startswith("No forum or resident concern")
    p1 = evidence["jcsp-2018-21.p1"]
    assert p1["concerns"] and p1["numbers"] == [] and "None of them can be counted" in p1["sentence"]
    summary = concerns.priority_table(list(evidence.values()))
    assert len(summary) == len(evidence)


# --------------------------------------------------------------------------------------------
# Plan measures


def test_measures_computable_ones_have_cli_numbers_and_the_others_what_they_need(
        capsys, built_store, store, last3, yaml_measures):
    evidence = concerns.measure_evidence(store, Selection(area=None, period=last3), "jcsp-2018-21")
    assert {m["id"] for m in evidence} == set(yaml_measures)
    everything = cli_total(capsys, built_store, last3, None, [])
    counted = {}
    for m in evidence:
        raw = yaml_measures[m["id"]]["police_uk"]
        assert m["computable"] is raw["computable"]
        if raw["computable"]:
            cli_types = ["all-crime"] if raw["crime_types"] == ["All crime"] else raw["crime_types"]
            rows = {r["area"]: r["count"] for r in cli_rows(capsys, built_store, last3, None, cli_types, "area")}
            assert [r["area"] for r in m["rows"]] == [*config.AREAS, ALL_BANES]
            for r in m["rows"][:-1]:
                assert r["count"] == rows[r["area"]]
            assert m["banes"]["count"] == sum(rows.values()) > 0
            year = cli_total(capsys, built_store, last3.year_earlier(), None, cli_types)
            assert m["banes"]["year_earlier"]["earlier"] == year
            assert f"{m['banes']['count']:,} records" in m["sentence"]
            counted[m["id"]] = m["banes"]["count"]
        else:
            assert m["rows"] == [] and m["banes"] is None
            assert m["needs"] and " ".join(raw["needs"].split()) == m["needs"]
            assert m["sentence"].startswith("Not available from police.uk") and m["needs"] in m["sentence"]
    # Total recorded crime (all but ASB) and ASB together are every published row.
    assert counted["jcsp-2018-21.m.total-crime"] + counted["jcsp-2018-21.m.asb"] == everything

    table = concerns.measures_table(evidence)
    for m, (_, row) in zip(evidence, table.iterrows()):
        if m["computable"]:
            assert row["B&NES records"] == f"{m['banes']['count']:,}" and row["From police.uk?"].startswith("Yes")
        else:
            assert row["From police.uk?"] == "No" and row["B&NES records"] == "—" and row["Would need"] == m["needs"]
    sentence = concerns.measures_sentence(evidence, "jcsp-2018-21")
    assert sentence.startswith(f"{len(counted)} of the {len(evidence)} measures")


def test_measure_plans_count_each_measure_once(yaml_measures):
    plans = {p["id"]: p for p in concerns.measure_plans()}
    assert plans["jcsp-2018-21"]["measures"] == len(yaml_measures)
    assert plans["jcsp-2022-25"]["measures"] == 0
