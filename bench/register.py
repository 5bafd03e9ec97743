"""Concerns register benchmark: saving an edit, and the Concerns listing with evidence at size.

    .venv/bin/python bench/register.py [--store PATH | --source ../shared/data] [--runs 5] [--quick] [--no-postgres]

Fills a fresh register with 500 concerns and 5,000 actions (one import, itself timed) on top of
the 30 seeded ones, then times (medians): saving an edit (``edit_concern``: version check, update,
history, commit), adding an action, and producing the Concerns listing with police.uk evidence
since each concern was raised (``concern_evidence.register_with_evidence``) for all areas and for
one area, first with the store's monthly counts not yet read (cold) and then warm. SQLite always;
PostgreSQL too when Debian's postgresql is installed (a throwaway server on 127.0.0.1, as the
tests start it). Never used as a test.
"""

from __future__ import annotations

import argparse
import random
import time
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from common import open_or_build, store_arguments, timed  # noqa: E402

from areaprofile import concern_evidence, config, partnership  # noqa: E402
from areaprofile.register import concerns as rc  # noqa: E402
from areaprofile.register import db, exchange  # noqa: E402

CONCERNS = 500
ACTIONS_PER_CONCERN = 10


def _fill_file(path: Path, concerns: int, actions_per: int, areas: tuple[str, ...], seed: int = 7) -> Path:
    rng = random.Random(seed)
    items = []
    for i in range(concerns):
        raised = f"{rng.randint(2018, 2021)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        raised = min(raised, "2021-09-28")
        types = rng.sample(list(config.CRIME_TYPES), rng.randint(1, 3))
        items.append({
            "title": f"Bench concern {i}: {' and '.join(types)}",
            "summary": "Raised at the forum. " * rng.randint(1, 20),
            "areas": rng.sample(list(areas), rng.choice([1, 1, 1, 2, len(areas)])),
            "raised_on": raised,
            "raised_by_kind": rng.choice(["forum meeting", "residents", "police", "councillor"]),
            "crime_types": types,
            "links": ["jcsp-2022-25.asb"],
            "actions": [{"date": raised, "text": f"Action {j} on concern {i}", "by": "Neighbourhood team"}
                        for j in range(actions_per)],
        })
    path.write_text(yaml.safe_dump({"concerns": items}, allow_unicode=True), encoding="utf-8")
    return path


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.1f} ms"


def measure(store, location: str, label: str, runs: int, workdir: Path, concerns: int, actions_per: int) -> list[list[str]]:
    register = db.open_register(location, partnership.of_store(store))
    try:
        fill = _fill_file(workdir / f"fill-{label}.yaml", concerns, actions_per, register.knowledge.areas)
        import_seconds = timed(lambda: exchange.import_file(register, fill, "bench"), 1)[0]
        listing = rc.list_concerns(register)
        ids = [c["id"] for c in listing if c["created_by"] == "bench"]
        rng = random.Random(3)

        def save_edit():
            concern_id = rng.choice(ids)
            version = rc.get_concern(register, concern_id)["version"]
            started = time.perf_counter()
            rc.edit_concern(register, "bench", concern_id, version, summary=f"edited {rng.random()}")
            return time.perf_counter() - started

        def save_action():
            concern_id = rng.choice(ids)
            started = time.perf_counter()
            rc.add_action(register, "bench", concern_id, taken_on="2021-09-01", text="Another action")
            return time.perf_counter() - started

        edits = [save_edit() for _ in range(max(runs * 4, 5))]
        actions = [save_action() for _ in range(max(runs * 4, 5))]

        def listing_all():
            return concern_evidence.register_with_evidence(store, register)

        concern_evidence._counts.clear()
        cold = timed(listing_all, 1)
        warm = timed(listing_all, runs)
        area = timed(lambda: concern_evidence.register_with_evidence(store, register, area="Keynsham"), runs)
        shown = listing_all()
        total_actions = sum(len(c["actions"]) for c in shown)
        return [
            [f"register {label}: save an edit", _median_ms(edits), f"edit_concern, median of {len(edits)}"],
            [f"register {label}: add an action", _median_ms(actions), f"add_action, median of {len(actions)}"],
            [f"register {label}: Concerns listing with evidence, warm", _median_ms(warm),
             f"{len(shown)} concerns, {total_actions:,} actions, all areas; median of {runs}"],
            [f"register {label}: Concerns listing with evidence, cold", _median_ms(cold),
             "first call for this store version (reads the monthly counts)"],
            [f"register {label}: Concerns listing, one area", _median_ms(area), "Keynsham, warm"],
            [f"register {label}: import {concerns} concerns + {concerns * actions_per:,} actions",
             f"{import_seconds:.2f} s", "one transaction, every field checked"],
        ]
    finally:
        db.close_register(register)


def timings(store, runs: int, postgres: bool | None = None, quick: bool | None = None) -> list[list[str]]:
    """[figure, value, notes] rows; bench/run.py calls this with its runs (1 = --quick: a small
    register on SQLite only, so CI's smoke run stays short)."""
    quick = runs <= 1 if quick is None else quick
    postgres = not quick if postgres is None else postgres
    concerns, actions_per = (50, 10) if quick else (CONCERNS, ACTIONS_PER_CONCERN)
    rows = []
    with tempfile.TemporaryDirectory(prefix="areaprofile-bench-register-") as tmp:
        workdir = Path(tmp)
        rows += measure(store, str(workdir / "register.sqlite"), "SQLite", runs, workdir, concerns, actions_per)
        if postgres:
            try:
                from tests.register.postgres import PostgresServer

                server = PostgresServer().start()
            except Exception as exc:  # no postgresql installed: SQLite figures only
                print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
            else:
                try:
                    rows += measure(store, server.new_database(), "PostgreSQL", runs, workdir, concerns, actions_per)
                finally:
                    server.stop()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    store_arguments(parser)
    parser.add_argument("--quick", action="store_true", help="50 concerns, one run (CI smoke)")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    with tempfile.TemporaryDirectory() as tmp:
        store = open_or_build(args, tmp)
        rows = timings(store, runs, postgres=not args.no_postgres and not args.quick, quick=args.quick)
    width = max(len(r[0]) for r in rows)
    for figure, value, notes in rows:
        print(f"{figure.ljust(width)}  {value}  {notes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
