"""What every bench script shares: the timer, and a store to time against."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def timed(function, runs: int) -> list[float]:
    """Seconds for each of ``runs`` calls of ``function``."""
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        out.append(time.perf_counter() - started)
    return out


def store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, default=None, help="a built store (default: build one from --source)")
    parser.add_argument("--source", type=Path,
                        default=Path(os.environ.get("AREAPROFILE_SHARED_DATA", ROOT.parent / "shared" / "data")))
    parser.add_argument("--runs", type=int, default=5)


def open_or_build(args, tmp: str):
    """The store named by --store, or one built (untimed) from --source into ``tmp``."""
    from areaprofile import query
    from areaprofile.store import build

    path = args.store
    if path is None:
        path = Path(tmp) / "bench.duckdb"
        print(f"building a store from {args.source} ...", file=sys.stderr, flush=True)
        build([args.source], path)
    return query.open_store(path)
