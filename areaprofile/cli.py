"""`areaprofile ...`: the command line. Every command calls the same package functions as the
pages, and any user error is printed as one line (never a traceback) with a non-zero exit."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from areaprofile.config import default_store_path
from areaprofile.errors import AreaprofileError

AREA_HELP = "one area of the store's partnership, by name (`areaprofile areas` lists them)"
SCHEME_HELP = "area scheme id, e.g. wards-2016 (default: the partnership's first; `areaprofile areas` lists them)"


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
    except BrokenPipeError:  # output piped into `head` and cut short: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("areaprofile: stopped; nothing was changed.", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="areaprofile",
        description="Community-safety area profiles for a community safety partnership (one store = one partnership; "
                    "its settings are geo/<LA code>.yaml). `areaprofile areas` lists the areas of a store.",
    )
    sub = parser.add_subparsers(dest="command")

    build = sub.add_parser("build", help="build or extend the store from police.uk files and ONS boundaries")
    build.add_argument("--source", action="append", required=True, type=Path,
                       help="folder laid out like shared/data, or a data.police.uk .zip (repeatable)")
    build.add_argument("--store", type=Path, default=None, help="store file (default: store/areaprofile.duckdb)")
    build.add_argument("--la", default=None,
                       help="local authority code of the partnership, from geo/<CODE>.yaml (default: the store's own, "
                            "else the settings file marked default)")
    build.add_argument("--fresh", action="store_true", help="ignore the months already in the store")
    build.add_argument("--wait", type=float, default=0.0, help="seconds to wait for another build to finish")
    build.set_defaults(run=_build)

    areas = sub.add_parser("areas", help="the store's partnership, its area schemes and their areas")
    areas.add_argument("--store", type=Path, default=None)
    areas.add_argument("--scheme", default=None, help="one area scheme's id (default: every scheme)")
    areas.set_defaults(run=_areas)

    counts = sub.add_parser("counts", help="print counts of published rows")
    counts.add_argument("--by", required=True, help="comma list from area, ward, lsoa, month, crime_type")
    _filters(counts)
    counts.add_argument("--format", choices=("csv", "json"), default="csv")
    counts.set_defaults(run=_counts)

    concerns = sub.add_parser("concerns", help="an area's concerns with their linked plan priorities")
    concerns.add_argument("--area", required=True, help=AREA_HELP)
    concerns.add_argument("--format", choices=("json",), default="json")
    concerns.add_argument("--store", type=Path, default=None)
    concerns.set_defaults(run=_concerns)

    report = sub.add_parser("report", help="the one-page forum-update pack for an area and meeting month (PDF or HTML)")
    report.add_argument("--area", required=True, help=AREA_HELP)
    report.add_argument("--month", default=None, help="meeting month, YYYY-MM (default: the latest loaded)")
    report.add_argument("--out", required=True, type=Path, help="FILE.pdf or FILE.html")
    report.add_argument("--csv", type=Path, default=None, help="also write every number in the pack to FILE.csv")
    report.add_argument("--suppress-under", type=int, default=None, metavar="N",
                        help="show counts under N as '<N' (for published copies)")
    report.add_argument("--store", type=Path, default=None)
    report.add_argument("--scheme", default=None, help=SCHEME_HELP)
    report.set_defaults(run=_report)

    hotspots = sub.add_parser("hotspots", help="Getis-Ord Gi* hotspots on 250 m cells (z, p, FDR flag, count)")
    hotspots.add_argument("--area", default=None, help=AREA_HELP + " (default: the whole partnership)")
    hotspots.add_argument("--crime-type", action="append", default=None,
                          help="published crime type, or all-crime / asb (repeatable; default: every type)")
    hotspots.add_argument("--from", dest="start", default=None, help="first month, YYYY-MM (default: 2 months before --to)")
    hotspots.add_argument("--to", dest="end", default=None, help="last month, YYYY-MM (default: the latest loaded)")
    hotspots.add_argument("--format", choices=("json", "csv"), default="csv")
    hotspots.add_argument("--store", type=Path, default=None)
    hotspots.add_argument("--scheme", default=None, help=SCHEME_HELP)
    hotspots.set_defaults(run=_hotspots)

    outcomes = sub.add_parser("outcomes", help="what happened to an area's crimes: outcome groups over settled months of one download")
    outcomes.add_argument("--area", default=None, help=AREA_HELP + " (default: the whole partnership)")
    outcomes.add_argument("--from", dest="start", default=None, help="first month, YYYY-MM (default: the first loaded)")
    outcomes.add_argument("--to", dest="end", default=None, help="last month, YYYY-MM (default: the latest loaded)")
    outcomes.add_argument("--crime-type", action="append", default=None,
                          help="published crime type, or all-crime (repeatable; default: every crime type; ASB has no outcomes)")
    outcomes.add_argument("--format", choices=("json", "csv"), default="json")
    outcomes.add_argument("--store", type=Path, default=None)
    outcomes.add_argument("--scheme", default=None, help=SCHEME_HELP)
    outcomes.set_defaults(run=_outcomes)

    accuracy = sub.add_parser("hotspot-accuracy", help="PAI, hit rate, RRI and PEI of a hotspot ranking on held-back months")
    accuracy.add_argument("--crime-type", action="append", default=None,
                          help="published crime type, or all-crime / asb (repeatable; default: every type)")
    accuracy.add_argument("--test-from", default=None, help="first test month, YYYY-MM (default: 11 months before --test-to)")
    accuracy.add_argument("--test-to", default=None, help="last test month, YYYY-MM (default: the latest loaded)")
    accuracy.add_argument("--train-months", type=int, default=12, help="calendar months before each test month to train on")
    accuracy.add_argument("--coverage", type=float, default=0.01, help="share of the land to choose, e.g. 0.01 or 0.05")
    accuracy.add_argument("--method", default=None, help="naive, recent, kde, gi-star or recent-smoothed (default: the page's)")
    accuracy.add_argument("--area", default=None, help=AREA_HELP + " (default: the whole partnership)")
    accuracy.add_argument("--format", choices=("json",), default="json")
    accuracy.add_argument("--store", type=Path, default=None)
    accuracy.add_argument("--scheme", default=None, help=SCHEME_HELP)
    accuracy.set_defaults(run=_hotspot_accuracy)

    download = sub.add_parser("download", help="download police.uk months and ONS boundaries (needs internet)")
    download.add_argument("--months", required=True, help="YYYY-MM..YYYY-MM")
    download.add_argument("--dest", required=True, type=Path)
    download.add_argument("--la", default=None, help="local authority code of the partnership (default: the default settings file)")
    download.set_defaults(run=_download)

    update = sub.add_parser("update", help="add the months data.police.uk has published since the last build (for a timer)")
    update.add_argument("--store", type=Path, default=None, help="store file (default: store/areaprofile.duckdb)")
    update.add_argument("--base-url", default=None, help="data.police.uk API address (default https://data.police.uk/api)")
    update.add_argument("--refetch", default=None, metavar="YYYY-MM..YYYY-MM",
                        help="also fetch these months again, replacing the ones held (police.uk republishes outcomes)")
    update.add_argument("--quiet", action="store_true", help="print only the outcome (for cron mail)")
    update.set_defaults(run=_update)
    return parser


def _filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from", dest="start", default=None, help="first month, YYYY-MM")
    parser.add_argument("--to", dest="end", default=None, help="last month, YYYY-MM")
    parser.add_argument("--area", default=None, help=AREA_HELP)
    parser.add_argument("--crime-type", action="append", default=None,
                        help="published crime type, or all-crime / asb (repeatable)")
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--scheme", default=None, help=SCHEME_HELP)


def _build(args) -> int:
    from areaprofile.store import build

    store = args.store or default_store_path()
    report = build(args.source, store, la_code=args.la, fresh=args.fresh, wait_seconds=args.wait)
    for message in report.messages:
        print(message)
    print(f"Store ready: {report.store} ({report.rows:,} rows, {len(report.months)} months, {report.seconds:.1f} s).")
    return 0


def _counts(args) -> int:
    from areaprofile import query

    store = query.open_store(args.store, args.scheme)
    frame = query.counts(store, args.by, start=args.start, end=args.end, area=args.area, crime_types=args.crime_type)
    if args.format == "json":
        json.dump(frame.to_dict(orient="records"), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        frame.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def _concerns(args) -> int:
    from areaprofile import knowledge, partnership, query

    store = query.open_store(args.store)
    print(knowledge.concerns_json(args.area, knowledge.for_partnership(partnership.of_store(store))))
    return 0


def _areas(args) -> int:
    from areaprofile import partnership, query

    store = query.open_store(args.store)
    settings = partnership.of_store(store)
    schemes = [settings.scheme(args.scheme)] if args.scheme else settings.schemes
    print(f"{settings.partnership_name}: {settings.la_name} ({settings.la_code}), {settings.force_names}.")
    for scheme in schemes:
        first = " (default)" if scheme is settings.default_scheme else ""
        members = {"parish": "parishes", "ward": "wards", "lsoa": "LSOAs"}[scheme.kind]
        print(f"--scheme {scheme.id}{first}: {scheme.name}, {len(scheme.areas)} areas made of {members}")
        for area in scheme.areas:
            print(f"  {area.name} ({area.confidence}): {area.member_names}")
    return 0


def _hotspots(args) -> int:
    from areaprofile import hotspots, query
    from areaprofile.periods import Period, shift
    from areaprofile.profile import Selection

    store = query.open_store(args.store, args.scheme)
    loaded = query.months(store)
    if not loaded:
        raise AreaprofileError("The store holds no months; build it first.")
    end = query.check_month(args.end, "end month") or loaded[-1]
    start = query.check_month(args.start, "start month") or shift(end, -2)
    selection = Selection(area=query.check_area(args.area, store), period=Period(start, end),
                          crime_types=hotspots.types_key(args.crime_type))
    cells = hotspots.hot_cells(store, selection, permutations=hotspots.PERMUTATIONS).drop(columns="_cell")
    if args.format == "json":
        records = cells.to_dict(orient="records")
        for record in records:
            for key in ("z", "p_sim"):
                if record[key] != record[key]:  # NaN -> null
                    record[key] = None
        json.dump(records, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        cells.to_csv(sys.stdout, index=False, lineterminator="\n")
    return 0


def _outcomes(args) -> int:
    from areaprofile import outcomes, query
    from areaprofile.periods import Period
    from areaprofile.profile import Selection

    store = query.open_store(args.store, args.scheme)
    loaded = query.months(store)
    if not loaded:
        raise AreaprofileError("The store holds no months; build it first.")
    start = query.check_month(args.start, "start month") or loaded[0]
    end = query.check_month(args.end, "end month") or loaded[-1]
    types = query.resolve_crime_types(args.crime_type)
    selection = Selection(area=query.check_area(args.area, store), period=Period(start, end),
                          crime_types=tuple(types) if types else None)
    result = outcomes.outcomes(store, selection)
    if args.format == "json":
        print(json.dumps({"area": selection.area, "from": start, "to": end, **result.as_dict()}, ensure_ascii=False))
    else:
        table = result.table.rename(columns={"Group": "group", "Crimes": "crimes", "Share (%)": "share_percent",
                                             "Categories": "categories"})
        table.to_csv(sys.stdout, index=False, lineterminator="\n")
        print(f"# {result.left_out_sentence()}")
        print(f"# {result.caveat}")
    return 0


def _hotspot_accuracy(args) -> int:
    from areaprofile import hotspot_accuracy, query

    store = query.open_store(args.store, args.scheme)
    result = hotspot_accuracy.evaluate(
        store, args.crime_type, args.test_from, args.test_to, train_months=args.train_months,
        coverage=args.coverage, method_name=args.method or hotspot_accuracy.DEFAULT_METHOD, area=args.area,
    )
    print(json.dumps(result.as_dict(), ensure_ascii=False))
    return 0


def _report(args) -> int:
    from areaprofile import query, report

    store = query.open_store(args.store, args.scheme)
    pack = report.write_pack(store, args.area, args.out, month=args.month, csv_path=args.csv,
                             suppress_under=args.suppress_under)
    written = f"{args.out}" + (f" and {args.csv}" if args.csv else "")
    print(f"Forum-update pack for {pack.area}, {pack.meeting_label}: {written}.")
    return 0


def _update(args) -> int:
    """Exit 0 when updated or nothing new, 3 when some months landed and others failed, 2 on failure."""
    from areaprofile import update

    store = args.store or default_store_path()
    result = update.run(store, police_api=args.base_url, refetch=args.refetch,
                        progress=(lambda _m: None) if args.quiet else print)
    if args.quiet:
        print(result.message)
    if result.exit_code:
        print(f"areaprofile: {result.message}", file=sys.stderr)
    return result.exit_code


def _download(args) -> int:
    from areaprofile.sources.download import download

    from areaprofile import partnership

    summary = download(args.months, args.dest, partnership=partnership.load(args.la))
    print(json.dumps(summary, indent=2, default=str))
    return 0
