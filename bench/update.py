"""How long `areaprofile update` takes for one new month, and what it downloads.

The store is built (untimed) from every real month but the last; data.police.uk is played on
127.0.0.1 from that last month's real rows in the API's shapes (tests/police_api.py), so the
network is loopback: on the internet add the API's own answer time (unmeasured here).

    .venv/bin/python bench/update.py [--source DIR] [--runs 3]

Prints `figure | value | notes` lines: the whole run, its parts (ask, fetch + place, build),
the requests and bytes downloaded, and a second run that finds nothing new.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, store_arguments  # noqa: F401  (ROOT puts the package on sys.path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store_arguments(parser)
    parser.set_defaults(runs=3)
    args = parser.parse_args()

    from areaprofile import update
    from tests.police_api import PoliceApi, api_crimes, street_rows
    from tests.stores import all_months, copy_store, store_without

    month = all_months(args.source)[-1]
    print(f"building a store without {month} ...", file=sys.stderr, flush=True)
    base = store_without(args.source, month)
    crimes = api_crimes(street_rows(args.source, month))
    tmp = Path(tempfile.mkdtemp(prefix="bench-update-"))
    totals, parts, nothing = [], [], []
    try:
        with PoliceApi({month: crimes}) as api:
            for run in range(args.runs):
                store = copy_store(base, tmp / f"run-{run}")
                marks = [("start", time.perf_counter())]
                result = update.run(store, police_api=api.base, backoff=0.01,
                                    progress=lambda m: marks.append((m, time.perf_counter())))
                end = time.perf_counter()
                fetching = next(t for m, t in marks if m.startswith("Fetching"))
                wrote = next(t for m, t in marks if "wrote" in m)
                totals.append(end - marks[0][1])
                parts.append((fetching - marks[0][1], wrote - fetching, end - wrote))
                started = time.perf_counter()
                update.run(store, police_api=api.base, backoff=0.01, progress=lambda _m: None)
                nothing.append(time.perf_counter() - started)
            served = list(api.served[month].values())
        record = result.record
        answer_bytes = len(json.dumps(served).encode())
        median = statistics.median
        print("figure | value | notes")
        print(f"update, one new month ({month}) | {median(totals):.1f} s | median of {args.runs}; "
              f"{record['months'][month]['rows']:,} rows added, store of {record['rows_in_store']:,} rows rebuilt")
        print(f"  ask police.uk + read the store's LSOAs | {median(p[0] for p in parts):.2f} s | "
              "crimes-street-dates, crime-last-updated; LSOA polygons from the store")
        print(f"  fetch + place the month | {median(p[1] for p in parts):.2f} s | "
              f"{record['months'][month]['queries']} crimes query, point-in-polygon of {len(served):,} crimes")
        print(f"  build (atomic swap) | {median(p[2] for p in parts):.1f} s | areaprofile.store.build on the month's file")
        print(f"requests | {record['requests']} | dates, last-updated, {record['months'][month]['queries']} crimes query")
        print(f"downloaded | {answer_bytes / 1e6:.2f} MB | the month's JSON answer ({len(served):,} crimes in the query "
              f"outline); the file written is {Path(record['months'][month]['path']).stat().st_size / 1e3:.0f} KB")
        print(f"update, nothing new | {median(nothing):.2f} s | two small requests; the store untouched")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
