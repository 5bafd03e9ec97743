"""The light table that stands beside charts and maps: accessible markup, escaped text, and the
same numbers as the package's own table (real store)."""

from __future__ import annotations

import html
import re

import pandas as pd

from areaprofile import profile, query, ui
from areaprofile.periods import preset_period

HOSTILE = "<img src=x onerror=alert(1)>"


def test_light_table_marks_up_headers_and_escapes_text():
    frame = pd.DataFrame({"Place": [HOSTILE, "Keynsham"], "Records": [1234, 5], "Per 1,000": [1.26, float("nan")],
                          "Unusual": [True, False]})
    out = ui.light_table(frame, f"Caption {HOSTILE}")
    assert "<img" not in out and out.count(html.escape(HOSTILE)) == 3  # caption, region label, cell
    assert re.search(r"<caption>Caption &lt;img", out)
    assert out.count('<th scope="col"') == 4 and out.count('<th scope="row">') == 2
    assert out.count('<th scope="col" class="ap-num">') == 2  # Records, Per 1,000 (not Yes/No)
    assert '<td class="ap-num">1,234</td>' in out and '<td class="ap-num">1.3</td>' in out
    assert '<td class="ap-num">–</td>' in out and "<td>Yes</td>" in out


def test_light_table_holds_every_row_of_the_map_table(built_store):
    store = query.open_store(built_store)
    months = profile.loaded_months(store)
    selection = profile.Selection(area=None, period=preset_period("Last 12 months", months[-1]), crime_types=None)
    table = profile.map_table(profile.map_features(store, selection, "lsoa"))
    out = ui.light_table(table, "LSOAs")
    rows = re.findall(r'<tr><th scope="row">(.*?)</th>', out)
    assert rows == [html.escape(str(row["code"])) for row in table]
    assert all(f">{row['count']:,}<" in out for row in table)
    assert [row["count"] for row in table] == sorted((row["count"] for row in table), reverse=True)
    # The same rows as a DataFrame (how the other pages pass theirs) make the same table.
    assert ui.light_table(pd.DataFrame(table), "LSOAs") == out
