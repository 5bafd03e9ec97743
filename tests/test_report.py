"""The forum-update pack on the real data: every area for two meeting months, through the CLI.

The PDF is read back with poppler's ``pdftotext -layout`` and its tables parsed, so the tests check
what a reader sees: the headline numbers equal ``areaprofile counts`` for the same area, months
and types; the CSV holds exactly the numbers printed; suppression hides every small count; the
pack is one A4 page; text from the data is printed as text, never run as HTML.
"""

from __future__ import annotations

import csv
import gzip
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from areaprofile import query, report
from areaprofile.cli import main
from tests.cli_counts import cli_counts
from tests.banes import AREAS
from areaprofile.periods import Period, shift

MONTHS = ("2021-09", "2021-03")
CRIME = "Crime (excluding ASB)"
ASB = "Anti-social behaviour"
NUMBER = r"(?:<\d+|\d{1,3}(?:,\d{3})*)"


# ---- reading a PDF back -----------------------------------------------------------------------


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_info(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines() if ":" in line)}


def value(text: str) -> str:
    """A printed number as the CSV writes it: '1,234' -> '1234'; '<5' stays."""
    return text.replace(",", "")


def headline_rows(text: str) -> list[dict]:
    """The four headline rows in page order (month: crime, ASB; three months: crime, ASB)."""
    rows = []
    for line in text.splitlines():
        cells = re.split(r"\s{2,}", line.strip())
        if cells[0] in (CRIME, ASB) and len(cells) == 6 and re.fullmatch(NUMBER, cells[1]):
            rows.append({"label": cells[0], "count": value(cells[1]),
                         "previous": value(cells[2]), "previous_change": cells[3],
                         "year": value(cells[4]), "year_change": cells[5]})
    return rows


def change_parts(cell: str) -> tuple[str, str | None]:
    """'▲ Unusual rise (+33%)' -> ('Unusual rise', '+33')."""
    match = re.fullmatch(r"[▲▼≈] (Unusual rise|Unusual fall|Within normal variation|Normal variation)(?: \(([+-]\d+)%\))?", cell)
    assert match, f"not a change cell: {cell!r}"
    verdict = "Within normal variation" if match.group(1) == "Normal variation" else match.group(1)
    return verdict, match.group(2)


def trend_rows(text: str) -> dict[str, list[str]]:
    out = {}
    for line in text.splitlines():
        match = re.fullmatch(rf"\s*(Crime|ASB)((?:\s+{NUMBER})+)\s*", line)
        if match:
            out[match.group(1)] = [value(v) for v in match.group(2).split()]
    return out


def place_rows(text: str) -> list[dict]:
    rows = []
    for line in text.splitlines():
        match = re.match(rf"\s*(\d)\s+(\S.*?)\s{{2,}}(\S.*?)\s{{2,}}({NUMBER})\s{{2,}}({NUMBER})(?:\s|$)", line)
        if match:
            rank, place, ward, count, previous = match.groups()
            rows.append({"rank": rank, "place": place, "ward": ward, "count": value(count), "previous": value(previous)})
    return rows


CONCERN = re.compile(
    rf"\s({NUMBER})\s+({NUMBER})\s+({NUMBER})(?: \(([+-]\d+)%\))? [▲▼≈] (?:Unusual rise|Unusual fall|Normal variation)"
    rf"\s+({NUMBER})(?: \(([+-]\d+)%\))? [▲▼≈] (Unusual rise|Unusual fall|Normal variation)"
)


def concern_row(text: str, title: str) -> dict:
    """The numbers on the line where a concern's title starts (the title may wrap; numbers do not)."""
    start = title[:30]
    for line in text.splitlines():
        if line.startswith(start):
            match = CONCERN.search(line)
            assert match, f"no numbers on the line of concern {title!r}: {line!r}"
            month, quarter, previous, previous_pct, year, year_pct, _ = match.groups()
            return {"month": value(month), "quarter": value(quarter), "previous": value(previous),
                    "previous_pct": previous_pct, "year": value(year), "year_pct": year_pct}
    raise AssertionError(f"concern {title!r} is not in the PDF")


def read_csv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows and list(rows[0]) == ["section", "measure", "period", "value"]
    return rows


def csv_value(rows: list[dict], section: str, measure: str, period: str) -> str:
    found = [r["value"] for r in rows if (r["section"], r["measure"], r["period"]) == (section, measure, period)]
    assert len(found) == 1, f"{section} / {measure} / {period}: {found}"
    return found[0]


def cli_count(capsys, store: Path, area: str, period: Period, types: str) -> int:
    """One number from `areaprofile counts`, the command the pack must agree with."""
    rows = cli_counts(capsys, store, "area", period.start, period.end, area, types)
    return rows[0]["count"] if rows else 0


# ---- the packs, made once through the CLI -----------------------------------------------------


@pytest.fixture(scope="module")
def packs(tmp_path_factory, built_store) -> dict[tuple[str, str], dict]:
    folder = tmp_path_factory.mktemp("packs")
    out = {}
    for month in MONTHS:
        for area in AREAS:
            stem = folder / f"{area.replace(' ', '-')}-{month}"
            code = main(["report", "--area", area, "--month", month, "--out", f"{stem}.pdf", "--csv", f"{stem}.csv",
                         "--store", str(built_store)])
            assert code == 0
            out[(area, month)] = {"pdf": Path(f"{stem}.pdf"), "text": pdf_text(Path(f"{stem}.pdf")),
                                  "csv": read_csv(Path(f"{stem}.csv"))}
    return out


CASES = [(area, month) for month in MONTHS for area in AREAS]


@pytest.mark.parametrize("area, month", CASES)
def test_pack_is_one_a4_page_with_fonts_embedded(packs, area, month):
    pdf = packs[(area, month)]["pdf"]
    info = pdf_info(pdf)
    assert info["Pages"] == "1"
    width, height = (float(x) for x in re.match(r"([\d.]+) x ([\d.]+) pts", info["Page size"]).groups())
    assert abs(width - 595.28) < 1 and abs(height - 841.89) < 1  # A4 portrait
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts  # every font embedded
    assert f"{area} Area Forum: community safety update" in packs[(area, month)]["text"]


@pytest.mark.parametrize("area, month", CASES)
def test_pdf_headlines_equal_the_counts_cli(packs, area, month, built_store, capsys):
    rows = headline_rows(packs[(area, month)]["text"])
    assert [r["label"] for r in rows] == [CRIME, ASB, CRIME, ASB]
    periods = [Period(month, month)] * 2 + [Period(shift(month, -2), month)] * 2
    for row, period in zip(rows, periods):
        types = "all-crime" if row["label"] == CRIME else "asb"
        assert row["count"] == str(cli_count(capsys, built_store, area, period, types))
        assert row["previous"] == str(cli_count(capsys, built_store, area, period.previous(), types))
        assert row["year"] == str(cli_count(capsys, built_store, area, period.year_earlier(), types))
        for cell, earlier in ((row["previous_change"], row["previous"]), (row["year_change"], row["year"])):
            _verdict, pct = change_parts(cell)
            if int(earlier):
                assert pct == f"{round(100 * (int(row['count']) - int(earlier)) / int(earlier)):+d}"


@pytest.mark.parametrize("area, month", CASES)
def test_csv_holds_exactly_the_numbers_in_the_pdf(packs, area, month):
    text, rows = packs[(area, month)]["text"], packs[(area, month)]["csv"]
    quarter = Period(shift(month, -2), month)

    # Headline figures, with their percentages and verdicts.
    for row, period in zip(headline_rows(text), [Period(month, month)] * 2 + [quarter] * 2):
        label = row["label"]
        key = report.period_value(period)
        assert csv_value(rows, "headline", f"{label}: records", key) == row["count"]
        what = "month" if period.months == 1 else "3 months"
        for side, earlier_period, against in (
            ("previous", period.previous(), f"the previous {what}" if what != "month" else "the previous month"),
            ("year", period.year_earlier(), "the same month a year earlier" if what == "month" else "the same months a year earlier"),
        ):
            assert csv_value(rows, "headline", f"{label}: records", report.period_value(earlier_period)) == row[side]
            verdict, pct = change_parts(row[f"{side}_change"])
            assert csv_value(rows, "headline", f"{label}: change against {against}", key) == verdict
            assert csv_value(rows, "headline", f"{label}: change against {against} (%)", key) == (pct or "")

    # The 12-month table under the chart.
    trend = trend_rows(text)
    csv_trend = {name: [r["value"] for r in rows if r["section"] == "trend" and r["measure"] == f"{label}: records"]
                 for name, label in (("Crime", CRIME), ("ASB", ASB))}
    assert trend == csv_trend and len(trend["Crime"]) == 12

    # The busiest places.
    places = place_rows(text)
    csv_places = [r for r in rows if r["section"] == "top locations"]
    assert len(places) == len(csv_places) // 2 == 8
    for place in places:
        mine = [r for r in csv_places if r["measure"].startswith(f"{place['rank']}. ")]
        assert [r["value"] for r in mine] == [place["count"], place["previous"]]
        assert place["place"] in mine[0]["measure"] and f"({place['ward']})" in mine[0]["measure"]
        assert [r["period"] for r in mine] == [month, shift(month, -1)]

    # Each concern's numbers.
    titles = sorted({r["measure"].removesuffix(": records") for r in rows
                     if r["section"] == "concerns" and r["measure"].endswith(": records")})
    assert titles
    for title in titles:
        printed = concern_row(text, title)
        measure = f"{title}: records"
        assert csv_value(rows, "concerns", measure, month) == printed["month"]
        assert csv_value(rows, "concerns", measure, report.period_value(quarter)) == printed["quarter"]
        assert csv_value(rows, "concerns", measure, report.period_value(quarter.previous())) == printed["previous"]
        assert csv_value(rows, "concerns", measure, report.period_value(quarter.year_earlier())) == printed["year"]
        key = report.period_value(quarter)
        assert csv_value(rows, "concerns", f"{title}: change against the previous 3 months (%)", key) == (printed["previous_pct"] or "")
        assert csv_value(rows, "concerns", f"{title}: change against the same months a year earlier (%)", key) == (printed["year_pct"] or "")

    # Nothing else: every count, percentage and verdict in the CSV was found printed above.
    sections = [r["section"] for r in rows]
    assert sections.count("headline") == 4 * 7
    assert sections.count("trend") == 24 and sections.count("top locations") == 16
    assert sections.count("concerns") == len(titles) * 8

    # The map's points add up to the month's records (crime and ASB).
    month_total = sum(int(csv_value(rows, "headline", f"{label}: records", month)) for label in (CRIME, ASB))
    assert sum(int(r["value"]) for r in rows if r["section"] == "map") == month_total


def test_summary_is_made_of_the_pack_numbers(packs):
    text = " ".join(packs[("Bath", "2021-09")]["text"].split())
    rows = headline_rows(packs[("Bath", "2021-09")]["text"])
    crime_month, asb_month, crime_quarter, asb_quarter = rows
    assert f"In Sep 2021, {int(crime_month['count']):,} crimes (excluding ASB) and {int(asb_month['count']):,} incidents" in text
    for row, noun in ((crime_quarter, CRIME), (asb_quarter, ASB)):
        verdict, _ = change_parts(row["previous_change"])
        words = {"Unusual rise": "an unusual rise", "Unusual fall": "an unusual fall"}.get(verdict, "within normal variation")
        assert (f"{noun} over Jul–Sep 2021 ({int(row['count']):,}) was {words} against Apr–Jun 2021 "
                f"({int(row['previous']):,})") in text


# ---- suppression -------------------------------------------------------------------------------


def _small_counts(text: str, rows: list[dict], n: int) -> list[str]:
    """Every printed count (headline, trend, places, concerns) below n, as text."""
    printed = []
    for row in headline_rows(text):
        printed += [row["count"], row["previous"], row["year"]]
    for values in trend_rows(text).values():
        printed += values
    for place in place_rows(text):
        printed += [place["count"], place["previous"]]
    for title in {r["measure"].removesuffix(": records") for r in rows if r["section"] == "concerns"
                  and r["measure"].endswith(": records")}:
        c = concern_row(text, title)
        printed += [c["month"], c["quarter"], c["previous"], c["year"]]
    return [p for p in printed if not p.startswith("<") and int(p) < n]


def test_suppression_hides_every_small_count(tmp_path, built_store, packs):
    area, month, n = "Chew Valley", "2021-03", 5
    plain_text, plain_rows = packs[(area, month)]["text"], packs[(area, month)]["csv"]
    assert _small_counts(plain_text, plain_rows, n), "the test needs a pack with small counts"

    code = main(["report", "--area", area, "--month", month, "--out", str(tmp_path / "p.pdf"),
                 "--csv", str(tmp_path / "p.csv"), "--suppress-under", str(n), "--store", str(built_store)])
    assert code == 0
    text, rows = pdf_text(tmp_path / "p.pdf"), read_csv(tmp_path / "p.csv")
    assert pdf_info(tmp_path / "p.pdf")["Pages"] == "1"
    assert _small_counts(text, rows, n) == []
    assert f"<{n}" in text and "Counts under 5 are shown as '<5'" in " ".join(text.split())

    counts = [r for r in rows if r["section"] in ("headline", "trend", "top locations", "concerns", "map")
              and not r["measure"].endswith(("(%)", "variation")) and ": change against" not in r["measure"]]
    assert counts and all(r["value"] == f"<{n}" or int(r["value"]) >= n for r in counts)
    assert any(r["value"] == f"<{n}" for r in counts)
    # A percentage that would give a suppressed count away is not printed.
    for row in headline_rows(text):
        for side in ("previous", "year"):
            if row[side].startswith("<") or row["count"].startswith("<"):
                assert change_parts(row[f"{side}_change"])[1] is None
    # The HTML (page and browser print) is the same template: the same rows hold '<5' there too.
    html = report.render_html(report.build_pack(query.open_store(built_store), area, month, n))
    assert html.count("&lt;5") >= sum(r["value"] == "<5" for r in counts if r["section"] != "map")


# ---- HTML: self-contained, and text from the data stays text --------------------------------------


def test_html_is_self_contained(built_store, tmp_path):
    code = main(["report", "--area", "Somer Valley", "--month", "2021-09", "--out", str(tmp_path / "p.html"),
                 "--store", str(built_store)])
    assert code == 0
    html = (tmp_path / "p.html").read_text(encoding="utf-8")
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)""", html) + re.findall(r"url\(([^)]*)\)", html)
    assert sources and all(s.startswith("data:image/svg+xml;base64,") for s in sources), sources
    assert "@page" in html and "size: A4" in html
    assert "<script" not in html.lower()


HOSTILE = "On or near <script>alert('x')</script><b>Bold</b> & \"Co\" =HYPERLINK(1)"


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory, data_dir) -> Path:
    """A store of two real months in which every record at Bath's busiest place of 2021-09 is
    renamed to text that would be markup, a script and a spreadsheet formula if not escaped."""
    folder = tmp_path_factory.mktemp("hostile")
    source = folder / "source"
    for name in ("boundaries", "population", "lookups"):
        shutil.copytree(data_dir / name, source / name)
    police = source / "police_uk" / "avon-and-somerset"
    shutil.copytree(data_dir / "police_uk" / "avon-and-somerset" / "2021-08", police / "2021-08")
    original = data_dir / "police_uk/avon-and-somerset/2021-09/2021-09-avon-and-somerset-street.csv.gz"
    with gzip.open(original, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header, records = reader.fieldnames, list(reader)
    renamed = 0
    for record in records:
        if record["Location"] == "On or near Manvers Street" and record["LSOA name"].startswith("Bath and North East"):
            record["Location"] = HOSTILE
            renamed += 1
    assert renamed >= 10
    target = police / "2021-09" / original.name
    target.parent.mkdir()
    with gzip.open(target, "wt", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    store = folder / "store.duckdb"
    assert main(["build", "--source", str(source), "--store", str(store)]) == 0
    return store


def test_hostile_location_is_printed_as_text(hostile_store, tmp_path, capsys):
    out, numbers, page = tmp_path / "h.pdf", tmp_path / "h.csv", tmp_path / "h.html"
    assert main(["report", "--area", "Bath", "--month", "2021-09", "--out", str(out), "--csv", str(numbers),
                 "--store", str(hostile_store)]) == 0
    assert main(["report", "--area", "Bath", "--month", "2021-09", "--out", str(page),
                 "--store", str(hostile_store)]) == 0
    capsys.readouterr()
    text = pdf_text(out)
    flat = " ".join(text.split())
    assert "<script>alert('x')</script><b>Bold</b> & \"Co\" =HYPERLINK(1)" in flat  # in the places table
    assert "the most were on or near <script>alert('x')</script><b>Bold</b>" in flat  # and in the summary
    assert pdf_info(out)["Pages"] == "1"
    html = page.read_text(encoding="utf-8")
    assert "<script>" not in html and "<b>Bold</b>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&lt;b&gt;Bold&lt;/b&gt; &amp; &#34;Co&#34;" in html
    rows = read_csv(numbers)
    assert any(HOSTILE.removeprefix("On or near ") in r["measure"] for r in rows if r["section"] == "top locations")
    # Comparisons with months that are not loaded are said so, not invented.
    assert "not loaded" in flat


# ---- one-sentence errors -------------------------------------------------------------------------


@pytest.mark.parametrize("args, expected", [
    (["--area", "Keynsam", "--out", "x.pdf"], "Unknown area 'Keynsam'"),
    (["--area", "Bath", "--month", "2016-01", "--out", "x.pdf"], "No police.uk data is loaded for 2016-01"),
    (["--area", "Bath", "--month", "2021-13", "--out", "x.pdf"], "is not a month"),
    (["--area", "Bath", "--out", "x.docx"], "name the output FILE.pdf or FILE.html"),
    (["--area", "Bath", "--out", "x.pdf", "--csv", "x.txt"], "should end in .csv"),
    (["--area", "Bath", "--out", "no/such/folder/x.pdf"], "does not exist"),
    (["--area", "Bath", "--out", "x.pdf", "--suppress-under", "-3"], "whole number from 1 to 1000"),
])
def test_report_errors_are_one_sentence(args, expected, built_store, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = main(["report", *args, "--store", str(built_store)])
    captured = capsys.readouterr()
    assert code == 2 and captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0] and "Traceback" not in captured.err
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_pack_names_the_repeat_places_and_the_settled_outcomes(packs, built_store):
    from areaprofile import outcomes, profile, repeat_places

    store = query.open_store(built_store)
    flat = " ".join(packs[("Bath", "2021-09")]["text"].split())
    places = repeat_places.pack_line(repeat_places.repeat_places(store, profile.Selection("Bath", Period("2021-09", "2021-09"))))
    assert places and " ".join(places.split()) in flat
    line = outcomes.outcomes(store, profile.Selection("Bath", Period("2020-10", "2021-09"))).pack_line("Bath")
    assert "Oct 2020 to Mar 2021" in line and " ".join(line.split()) in flat


def test_pack_for_a_parish_part(built_store, tmp_path, capsys):
    """`report --parish`: the pack's numbers are the parish part's, equal to `counts --parish`,
    its residents are marked as estimated, and its PDF says where it is about."""
    out, numbers = tmp_path / "saltford.pdf", tmp_path / "saltford.csv"
    assert main(["report", "--area", "Keynsham", "--parish", "Saltford", "--month", "2021-06", "--out", str(out),
                 "--csv", str(numbers), "--store", str(built_store)]) == 0
    assert "Forum-update pack for Saltford parish, Keynsham, June 2021" in capsys.readouterr().out
    rows = list(csv.DictReader(numbers.open(encoding="utf-8")))
    facts = {row["measure"]: row["value"] for row in rows if row["section"] == "pack"}
    assert facts["Ward or parish"] == "Saltford parish" and "Residents (estimated)" in facts
    crime = next(row for row in rows if row["section"] == "headline" and row["measure"].startswith("Crime")
                 and row["period"] == "2021-06")
    expected = cli_counts(capsys, built_store, by="area", start="2021-06", end="2021-06", area="Keynsham",
                          crime_types="all-crime", parish="Saltford")
    assert int(crime["value"]) == expected[0]["count"]
    text = pdf_text(out)
    assert "Saltford parish, Keynsham: community safety update" in text
    assert "residents (estimated)" in text


def test_pack_for_an_unknown_ward_is_one_sentence(built_store, tmp_path, capsys):
    out = tmp_path / "nowhere.pdf"
    assert main(["report", "--area", "Bath", "--ward", "Nowhere", "--out", str(out), "--store", str(built_store)]) != 0
    err = capsys.readouterr().err
    assert "No ward 'Nowhere' in Bath; use one of:" in err and not out.exists()
