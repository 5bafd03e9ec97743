"""What the register's readers wait for, at size: the Concerns page's data and the pack's page two.

    .venv/bin/python bench/register_pages.py [--store PATH | --source ../shared/data] [--runs 5]

Fills a fresh SQLite register with 500 concerns and 5,000 actions (the same fill as
bench/register.py) and times (medians, seconds):
- Concerns page, one area: ``live_concerns.for_area`` (listing, police.uk evidence since each was
  raised, the table and sentence): what a page run computes when the register changed;
- Manage concerns, one concern: ``concern_history`` + ``manage_concerns.history_table``;
- the pack's page two: ``report.follow_up_for`` (the register's part of the pack).
Streamlit caches the Concerns page's answer per store version and register change, so a repeat
visit without a change costs only the cache lookup. Never used as a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import open_or_build, store_arguments, timed  # noqa: E402
from register import ACTIONS_PER_CONCERN, CONCERNS, _fill_file  # noqa: E402

from areaprofile import live_concerns, manage_concerns, partnership, report  # noqa: E402
from areaprofile.register import concerns as rc  # noqa: E402
from areaprofile.register import db, exchange  # noqa: E402


def timings(store, runs: int = 5) -> list[list[str]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        register = db.open_register(Path(tmp) / "register.sqlite", partnership.of_store(store))
        try:
            fill = _fill_file(Path(tmp) / "fill.yaml", CONCERNS, ACTIONS_PER_CONCERN, register.knowledge.areas)
            exchange.import_file(register, fill, "bench")
            area = max(register.knowledge.areas, key=lambda a: len(rc.list_concerns(register, area=a)))
            listing = live_concerns.for_area(store, area, register=register)
            shown = len(listing["active"]) + len(listing["finished"])
            one = listing["active"][0]["id"]
            for label, call, note in [
                ("Concerns page data, one area", lambda: live_concerns.for_area(store, area, register=register),
                 f"{area}: {shown} concerns, {sum(len(r['actions']) for r in listing['active'] + listing['finished']):,} actions"),
                ("Manage concerns: one concern's history table",
                 lambda: manage_concerns.history_table(rc.concern_history(register, one)), "11 history entries"),
                ("Pack page two (register part)", lambda: report.follow_up_for(register, area), area),
            ]:
                rows.append([label, f"{statistics.median(timed(call, runs)):.3f} s", note])
        finally:
            db.close_register(register)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store_arguments(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_or_build(args, tmp)
        for label, value, note in timings(store, args.runs):
            print(f"{label:<48} {value:>10}  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
