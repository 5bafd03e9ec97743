"""Outcomes on the real files: groups add up, one download per answer, the CLI says the same."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime

import pytest

from areaprofile import outcomes, query, recorded_outcomes
from areaprofile.cli import main
from areaprofile.config import ASB
from areaprofile.periods import Period, month_list
from areaprofile.profile import Selection
from areaprofile.store import build
from tests.stores import all_months, month_file, source_folder


def test_groups_add_up_to_the_crimes_of_the_settled_months(built_store):
    store = query.open_store(built_store)
    for area in [None, *query.area_names(store)]:
        result = outcomes.outcomes(store, Selection(area=area, period=Period("2019-01", "2021-09")))
        assert result.months_used and "2019-07" not in result.months_used  # 72% still open in its download
        assert not {"2021-04", "2021-09"} & set(result.months_used)  # too close to the newest month
        crimes = sum(query.total(store, start=m, end=m, area=area, crime_types="all-crime") for m in result.months_used)
        assert result.crimes == int(result.table["Crimes"].sum()) == crimes
        assert abs(result.table["Share (%)"].sum() - 100) < 0.5
        assert set(result.months_left_out) | set(result.months_used) == set(month_list("2019-01", "2021-09"))


def test_asb_is_never_counted_and_every_category_has_a_group(built_store):
    store = query.open_store(built_store)
    result = outcomes.outcomes(store, Selection(area=None, period=Period("2020-01", "2020-12"), crime_types=(ASB,)))
    assert result.crimes == 0
    categories = store.sql(f"SELECT DISTINCT last_outcome FROM crimes WHERE crime_type <> '{ASB}'")["last_outcome"]
    unknown = [c for c in categories if c.strip() not in outcomes.CATEGORY_GROUP]
    assert not unknown, f"categories with no group of their own: {unknown}"


@pytest.fixture(scope="module")
def two_downloads(tmp_path_factory, data_dir):
    """The real files of 2018-01..2019-06, where 2018-01 and 2018-08 come from a second, earlier download."""
    months = [m for m in all_months(data_dir) if "2018-01" <= m <= "2019-06"]
    folder = source_folder(data_dir, [m for m in months if m not in ("2018-01", "2018-08")], tmp_path_factory.mktemp("src"))
    stamp = datetime(2019, 3, 1).timestamp()
    for month in ("2018-01", "2018-08"):
        (folder / month).mkdir()
        copy = folder / month / month_file(data_dir, month).name
        shutil.copyfile(month_file(data_dir, month), copy)
        os.utime(copy, (stamp, stamp))
    path = tmp_path_factory.mktemp("store") / "areaprofile.duckdb"
    build([folder], path)
    return query.open_store(path)


def test_a_month_from_another_download_is_never_mixed_in(two_downloads):
    store = two_downloads
    table = outcomes.downloads(store).set_index("month")
    assert table.loc["2018-01", "download"] == table.loc["2018-08", "download"] == "files dated 01 Mar 2019"
    assert table.loc["2018-01", "settled"] and not table.loc["2018-08", "settled"]
    selection = Selection(area=None, period=Period("2018-01", "2018-12"))
    compared, whole = outcomes.compare_outcomes(store, selection)
    assert "2018-01" not in whole.months_used and "different download" in whole.months_left_out["2018-01"]
    assert {table.loc[m, "download"] for m in whole.months_used} == {whole.download}
    for area in query.area_names(store):  # every area of the comparison rests on the same months
        assert outcomes.outcomes(store, selection.with_area(area)).months_used == whole.months_used
    alone = outcomes.outcomes(store, Selection(area=None, period=Period("2018-01", "2018-01")))
    assert alone.months_used == ["2018-01"] and alone.download == "files dated 01 Mar 2019"


def test_a_store_without_outcomes_files_says_so(two_downloads):
    """Built from street files only: the build log and the recorded outcomes say there are none."""
    store = two_downloads
    log = " ".join(store.sql("SELECT message FROM build_log")["message"])
    assert "No police.uk outcomes files in the sources" in log
    result = recorded_outcomes.recorded_outcomes(store, Selection(area=None, period=Period("2019-01", "2019-06")))
    assert result.outcomes == 0 and result.held_months == [] and len(result.months_without_file) == 6
    assert result.coverage_sentence() == "No month has an outcomes file here: the build found none in its sources."


def test_the_cli_gives_the_package_numbers(built_store, capsys):
    store = query.open_store(built_store)
    area = query.area_names(store)[-1]
    assert main(["outcomes", "--area", area, "--from", "2020-01", "--to", "2020-12", "--format", "json",
                 "--store", str(built_store)]) == 0
    answer = json.loads(capsys.readouterr().out)
    expected = outcomes.outcomes(store, Selection(area=area, period=Period("2020-01", "2020-12")))
    assert answer["groups"] == expected.as_dict()["groups"] and answer["crimes"] == expected.crimes > 0
    assert "downloaded" in answer["caveat"]
    assert main(["outcomes", "--area", area, "--from", "2020-01", "--to", "2020-12", "--format", "csv",
                 "--store", str(built_store)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "group,crimes,share_percent,categories" and len(lines) == 1 + len(outcomes.GROUPS) + 2
    assert main(["outcomes", "--area", "Nowhere", "--store", str(built_store)]) == 2
    assert "Unknown area" in capsys.readouterr().err


def test_bristol_groups_add_up(bristol_store):
    store = query.open_store(bristol_store)
    result = outcomes.outcomes(store, Selection(area=None, period=Period("2020-01", "2020-12")))
    assert result.crimes == query.total(store, start="2020-01", end="2020-12", crime_types="all-crime") > 0


def test_outcomes_leave_pyarrow_acero_unloaded(built_store):
    """pandas' groupby max on Arrow strings would load pyarrow.acero (~7 MiB in the server for good)."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from areaprofile import outcomes, query\n"
        "from areaprofile.periods import Period\n"
        "from areaprofile.profile import Selection\n"
        f"store = query.open_store({str(built_store)!r})\n"
        "result = outcomes.outcomes(store, Selection(area=None, period=Period('2019-01', '2021-09')))\n"
        "print(result.download, len(result.months_used), 'pyarrow.acero' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    download, used, acero = done.stdout.split()[-3:]
    assert int(used) > 12 and acero == "False", done.stdout
