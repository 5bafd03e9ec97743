"""`areaprofile ...`: the command line. Every command calls the same package functions as the
pages, and any user error is printed as one line (never a traceback) with a non-zero exit."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from areaprofile.config import default_store_path
from areaprofile.errors import AreaprofileError


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return args.run(args) or 0
    except AreaprofileError as exc:
        print(f"areaprofile: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("areaprofile: stopped; nothing was changed.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="areaprofile", description="Community-safety area profiles for B&NES.")
    sub = parser.add_subparsers(dest="command")

    build = sub.add_parser("build", help="build or extend the store from police.uk files and ONS boundaries")
    build.add_argument("--source", action="append", required=True, type=Path,
                       help="folder laid out like shared/data, or a data.police.uk .zip (repeatable)")
    build.add_argument("--store", type=Path, default=None, help="store file (default: store/areaprofile.duckdb)")
    build.add_argument("--la", default=None, help="local authority code (default E06000022, B&NES)")
    build.add_argument("--fresh", action="store_true", help="ignore the months already in the store")
    build.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another build to finish")
    build.set_defaults(run=_build)

    counts = sub.add_parser("counts", help="print counts of published rows")
    counts.add_argument("--by", required=True, help="comma list from area, ward, lsoa, month, crime_type")
    _filters(counts)
    counts.add_argument("--format", choices=("csv", "json"), default="csv")
    counts.set_defaults(run=_counts)

    concerns = sub.add_parser("concerns", help="an area forum's concerns with their linked plan priorities")
    concerns.add_argument("--area", required=True)
    concerns.add_argument("--format", choices=("json",), default="json")
    concerns.set_defaults(run=_concerns)

    download = sub.add_parser("download", help="download police.uk months and ONS boundaries (needs internet)")
    download.add_argument("--months", required=True, help="YYYY-MM..YYYY-MM")
    download.add_argument("--dest", required=True, type=Path)
    download.set_defaults(run=_download)
    return parser


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", default=None, help="first month, YYYY-MM")
    parser.add_argument("--to", dest="end", default=None, help="last month, YYYY-MM")
    parser.add_argument("--area", default=None, help="Bath, Bathavon, Chew Valley, Keynsham or Somer Valley")
    parser.add_argument("--crime-type", action="append", default=None,
                        help="published crime type, or all-crime / asb (repeatable)")
    parser.add_argument("--store", type=Path, default=None)


def _build(args) -> int:
    from areaprofile.config import DEFAULT_LA_CODE
    from areaprofile.store import build

    store = args.store or default_store_path()
    report = build(args.source, store, la_code=args.la or DEFAULT_LA_CODE, fresh=args.fresh, wait_seconds=args.wait)
    for message in report.messages:
        print(message)
    print(f"Store ready: {report.store} ({report.rows:,} rows, {len(report.months)} months, {report.seconds:.1f} s).")
    return 0


def _counts(args) -> int:
    from areaprofile import query

    store = query.open_store(args.store)
    frame = query.counts(store, args.by, start=args.start, end=args.end, area=args.area, crime_types=args.crime_type)
    if args.format == "json":
        json.dump(frame.to_dict(orient="records"), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def _concerns(args) -> int:
    from areaprofile.knowledge import concerns_json

    print(concerns_json(args.area))
    return 0


def _download(args) -> int:
    from areaprofile.sources.download import download

    summary = download(args.months, args.dest)
    print(json.dumps(summary, indent=2, default=str))
    return 0
