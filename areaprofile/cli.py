"""`areaprofile ...`: the command line. Every command calls the same package functions as the
pages, and any user error is printed as one line (never a traceback) with a non-zero exit."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from areaprofile.config import default_store_path
from areaprofile.errors import AreaprofileError

AREA_HELP = "one area of the store's partnership, by name (`areaprofile areas` lists them)"
SCHEME_HELP = "area scheme id, e.g. wards-2016 (default: the partnership's first; `areaprofile areas` lists them)"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = _parser(argv)
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


def _parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command line; given ``argv``, the concerns sub-commands are set up only if it names them
    (their choices come from the register's models, whose SQLAlchemy import costs other commands,
    such as ``counts``, ~0.4 s)."""
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
    counts.add_argument("--by", required=True, help="comma list from area, ward, parish, lsoa, month, crime_type")
    _filters(counts)
    place = counts.add_mutually_exclusive_group()
    place.add_argument("--ward", default=None, help="only rows whose snap point lies in this ward (with --area: its part there)")
    place.add_argument("--parish", default=None, help="only rows whose snap point lies in this parish (with --area: its part there)")
    counts.add_argument("--format", choices=("csv", "json"), default="csv")
    counts.set_defaults(run=_counts)

    _concerns_parser(sub, full=argv is None or "concerns" in argv)
    _users_parser(sub)

    report = sub.add_parser("report", help="the one-page forum-update pack for an area and meeting month (PDF or HTML)")
    report.add_argument("--area", required=True, help=AREA_HELP)
    report.add_argument("--month", default=None, help="meeting month, YYYY-MM (default: the latest loaded)")
    report.add_argument("--out", required=True, type=Path, help="FILE.pdf or FILE.html")
    report.add_argument("--csv", type=Path, default=None, help="also write every number in the pack to FILE.csv")
    report.add_argument("--suppress-under", type=int, default=None, metavar="N",
                        help="show counts under N as '<N' (for published copies)")
    report.add_argument("--store", type=Path, default=None)
    report.add_argument("--register", default=None,
                        help="concerns register (path or postgresql:// URL; default $AREAPROFILE_REGISTER): adds page two, "
                             "'You said, we did'")
    report.add_argument("--last-meeting", default=None, metavar="YYYY-MM-DD",
                        help="date of the forum's last meeting for page two (default: a month before today)")
    report.add_argument("--scheme", default=None, help=SCHEME_HELP)
    report_place = report.add_mutually_exclusive_group()
    report_place.add_argument("--ward", default=None, help="narrow the pack to this ward's part of the area")
    report_place.add_argument("--parish", default=None, help="narrow the pack to this parish's part of the area")
    report.set_defaults(run=_report)

    hotspots = sub.add_parser("hotspots", help="Getis-Ord Gi* hotspots on 250 m cells (z, p, FDR flag, count)")
    hotspots.add_argument("--area", default=None, help=AREA_HELP + " (default: the whole partnership)")
    hotspots.add_argument("--crime-type", action="append", default=None,
                          help="published crime type, or all-crime / asb (repeatable; default: every type)")
    hotspots.add_argument("--from", dest="start", default=None, help="first month, YYYY-MM (default: 2 months before --to)")
    hotspots.add_argument("--to", dest="end", default=None, help="last month, YYYY-MM (default: the latest loaded)")
    hotspots.add_argument("--classify", action="store_true",
                          help="add each cell's label over the 12 quarters to --to (new, persistent, intensifying, "
                               "diminishing, sporadic, historical, not a hotspot) and its Mann-Kendall trend")
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
    outcomes.add_argument("--ward", default=None, help="only this ward's part of the area (needs --area)")
    outcomes.add_argument("--parish", default=None, help="only this parish's part of the area (needs --area)")
    outcomes.add_argument("--recorded", action="store_true",
                          help="instead: the outcomes police recorded in the period's months that have a monthly "
                               "outcomes file, with the months that have none and the link to the crimes")
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
    accuracy.add_argument("--method", default=None,
                          help="naive, recent, kde, gi-star, recent-smoothed, smoothed-0.1, smoothed-0.3 or smoothed-1 "
                               "(default: recent-smoothed)")
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

    priorities = sub.add_parser("priorities", help="police neighbourhood priorities (suggested concerns)")
    priorities_sub = priorities.add_subparsers(dest="priorities_command", required=True)
    fetch = priorities_sub.add_parser("fetch", help="read the police.uk API and keep a dated snapshot beside the store")
    fetch.add_argument("--store", type=Path, default=None, help="store whose areas to match (snapshots go beside it)")
    fetch.add_argument("--base-url", default=None, help="police API base (default: $AREAPROFILE_POLICE_API or data.police.uk)")
    fetch.add_argument("--force", dest="police_force", default=None,
                       help="police.uk force id (default: the store's partnership's first force)")
    fetch.set_defaults(run=_priorities_fetch)
    return parser


def _register_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--register", default=None,
                        help="register file or postgresql:// URL (default: $AREAPROFILE_REGISTER, else "
                             "register.sqlite beside the store)")
    parser.add_argument("--store", type=Path, default=None,
                        help="police.uk store whose partnership the register belongs to (default: store/areaprofile.duckdb)")


def _concerns_parser(sub, full: bool = True) -> None:
    concerns = sub.add_parser("concerns", help="the concerns register: list, add, actions, status, history, export, import")
    if not full:  # another command: listed in the help, not set up
        return
    from areaprofile.register.models import RAISED_BY_KINDS, STATUSES

    concerns.add_argument("--area", dest="plan_area", default=None,
                          help="(without a sub-command) the area's concerns as transcribed in data/knowledge, as JSON")
    concerns.add_argument("--format", dest="plan_format", choices=("json",), default="json")
    concerns.add_argument("--store", dest="plan_store", type=Path, default=None)
    concerns.set_defaults(run=_concerns_from_knowledge)
    csub = concerns.add_subparsers(dest="concerns_command")

    listing = csub.add_parser("list", help="concerns with their actions and police.uk numbers since raised (open first)")
    listing.add_argument("--area", default=None)
    listing.add_argument("--status", action="append", default=None, choices=STATUSES + ("removed",),
                         help="keep only this status (repeatable)")
    listing.add_argument("--format", choices=("json", "csv"), default="json")
    _register_option(listing)
    listing.set_defaults(run=_concerns_list)

    add = csub.add_parser("add", help="add a concern; prints its new id")
    add.add_argument("--area", action="append", required=True, help="forum area (repeatable)")
    add.add_argument("--title", required=True)
    add.add_argument("--raised", required=True, help="the day it was raised, YYYY-MM-DD")
    add.add_argument("--raised-by", default="forum meeting", help=f"one of: {', '.join(RAISED_BY_KINDS)}")
    add.add_argument("--raised-by-text", default="", help="who exactly, e.g. 'the forum's March meeting'")
    add.add_argument("--crime-type", action="append", default=[], help="police.uk type or 'All crime' (repeatable)")
    add.add_argument("--measured-by", default=None, help="what would measure it when police.uk cannot")
    add.add_argument("--priority", action="append", default=[],
                     help="plan priority/objective/measure id; a bare id means the 2022-25 plan's (repeatable)")
    add.add_argument("--summary", default="")
    add.add_argument("--source", default="", help="e.g. the meeting's minutes")
    add.add_argument("--by", required=True, help="your account name (recorded in the history)")
    _register_option(add)
    add.set_defaults(run=_concerns_add)

    action = csub.add_parser("action", help="record what was done about a concern")
    action.add_argument("id")
    action.add_argument("--date", required=True, help="YYYY-MM-DD")
    action.add_argument("--text", required=True)
    action.add_argument("--who", default=None, help="the person or team who acted (default: --by)")
    action.add_argument("--by", required=True)
    action.add_argument("--expect-version", type=int, default=None)
    _register_option(action)
    action.set_defaults(run=_concerns_action)

    status = csub.add_parser("set-status", help="open, in-progress, resolved or closed")
    status.add_argument("id")
    status.add_argument("status", choices=STATUSES)
    status.add_argument("--date", required=True, help="YYYY-MM-DD")
    status.add_argument("--by", required=True)
    status.add_argument("--expect-version", type=int, default=None,
                        help="refuse if the concern is no longer at this version")
    _register_option(status)
    status.set_defaults(run=_concerns_set_status)

    remove = csub.add_parser("remove", help="take a concern off the lists, with a reason (undo with restore)")
    remove.add_argument("id")
    remove.add_argument("--reason", required=True)
    remove.add_argument("--by", required=True)
    remove.add_argument("--expect-version", type=int, default=None)
    _register_option(remove)
    remove.set_defaults(run=_concerns_remove)

    restore = csub.add_parser("restore", help="undo a removal")
    restore.add_argument("id")
    restore.add_argument("--by", required=True)
    restore.add_argument("--expect-version", type=int, default=None)
    _register_option(restore)
    restore.set_defaults(run=_concerns_restore)

    history = csub.add_parser("history", help="every change to a concern, oldest first")
    history.add_argument("id")
    history.add_argument("--format", choices=("json",), default="json")
    _register_option(history)
    history.set_defaults(run=_concerns_history)

    export = csub.add_parser("export", help="write the register to FILE.yaml or FILE.csv")
    export.add_argument("file", type=Path)
    _register_option(export)
    export.set_defaults(run=_concerns_export)

    importing = csub.add_parser("import", help="apply FILE.yaml or FILE.csv whole, or nothing")
    importing.add_argument("file", type=Path)
    importing.add_argument("--by", required=True)
    _register_option(importing)
    importing.set_defaults(run=_concerns_import)


def _users_parser(sub) -> None:
    users = sub.add_parser("users", help="accounts that may edit the register")
    usub = users.add_subparsers(dest="users_command")
    add = usub.add_parser("add", help="add an account; the password comes from a prompt, stdin or $AREAPROFILE_PASSWORD")
    add.add_argument("name")
    add.add_argument("--role", choices=("editor", "admin"), required=True)
    add.add_argument("--areas", nargs="+", default=[], help="the areas an editor edits")
    _register_option(add)
    add.set_defaults(run=_users_add)
    listing = usub.add_parser("list", help="every account (never the passwords)")
    listing.add_argument("--format", choices=("json", "text"), default="text")
    _register_option(listing)
    listing.set_defaults(run=_users_list)
    users.set_defaults(run=lambda args: (users.print_help(), 2)[1])


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
    for kind, name in (("ward", args.ward), ("parish", args.parish)):
        query.check_place(store, kind, name, args.area)
    columns, rows = query.count_rows(store, args.by, start=args.start, end=args.end, area=args.area,
                                     crime_types=args.crime_type, ward=args.ward, parish=args.parish)
    if args.format == "json":
        json.dump([dict(zip(columns, row)) for row in rows], sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    return 0




def _concerns_from_knowledge(args) -> int:
    if not args.plan_area:
        raise AreaprofileError("Say what to do: `areaprofile concerns list` (or add, action, set-status, history, "
                               "export, import), or `concerns --area NAME` for the plan's transcribed concerns.")
    from areaprofile import knowledge, partnership, query

    store = query.open_store(args.plan_store)
    print(knowledge.concerns_json(args.plan_area, knowledge.for_partnership(partnership.of_store(store))))
    return 0


def _store_for_register(args):
    """The store a register command goes with: --store, else the default store if there is one."""
    from areaprofile import query

    store_path = args.store or default_store_path()
    if args.store is None and not store_path.exists():
        return None
    return query.open_store(store_path)


def _open_register(args, store=None):
    """--register, else $AREAPROFILE_REGISTER, else register.sqlite beside the store, opened for the
    store's partnership (a register of another partnership is refused); without a store, the
    register's own partnership."""
    from areaprofile import partnership
    from areaprofile.register.db import ENV_VAR, open_register

    store = store if store is not None else _store_for_register(args)
    store_path = store.path if store is not None else (args.store or default_store_path())
    where = args.register or os.environ.get(ENV_VAR) or Path(store_path).parent / "register.sqlite"
    return open_register(where, partnership.of_store(store) if store is not None else None)


def _print_json(value) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _concerns_list(args) -> int:
    from areaprofile import concern_evidence

    store = _store_for_register(args)
    register = _open_register(args, store)
    if store is None:
        print(f"areaprofile: no police.uk store at {default_store_path()}, so no numbers; pass --store FILE.",
              file=sys.stderr)
    records = concern_evidence.register_with_evidence(store, register, area=args.area, status=args.status,
                                                      include_removed=bool(args.status and "removed" in args.status))
    if args.format == "json":
        _print_json([_listing_record(r) for r in records])
    else:
        _listing_csv(records)
    return 0


def _listing_record(record: dict) -> dict:
    keep = ("id", "version", "status", "status_on", "areas", "title", "summary", "raised_on", "raised_note",
            "raised_by_kind", "raised_by", "source", "crime_types", "measured_by", "police_uk", "links",
            "removed_reason", "seeded_from")
    out = {key: record[key] for key in keep}
    out["actions"] = [{"date": a["date"], "text": a["text"], "by": a["by"]} for a in record["actions"]]
    out["evidence"] = record["evidence"]
    return out


def _listing_csv(records: list[dict]) -> None:
    import csv

    from areaprofile.register.exchange import csv_cell

    columns = ["id", "version", "status", "status_on", "areas", "title", "raised_on", "raised_note", "crime_types",
               "actions", "latest_action_date", "latest_action", "since", "count", "before", "earlier", "verdict",
               "p_value", "sentence"]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for r in records:
        ev = r["evidence"] or {}
        latest = r["actions"][0] if r["actions"] else {}
        change = ev.get("change") or {}
        row = [r["id"], r["version"], r["status"], r["status_on"], "; ".join(r["areas"]), r["title"], r["raised_on"],
               r["raised_note"], "; ".join(r["crime_types"]), len(r["actions"]), latest.get("date"), latest.get("text"),
               (ev.get("since") or {}).get("label"), ev.get("count"), (ev.get("before") or {}).get("label"),
               ev.get("earlier"), change.get("verdict"), change.get("p_value"), ev.get("sentence")]
        writer.writerow([csv_cell(v) for v in row])


def _concerns_add(args) -> int:
    from areaprofile.register import concerns

    record = concerns.add_concern(
        _open_register(args), args.by, title=args.title, areas=args.area, raised_on=args.raised,
        raised_by_kind=args.raised_by, raised_by=args.raised_by_text, summary=args.summary, source=args.source,
        crime_types=args.crime_type, measured_by=args.measured_by, links=args.priority,
    )
    print(record["id"])
    return 0


def _concerns_action(args) -> int:
    from areaprofile.register import concerns

    record = concerns.add_action(_open_register(args), args.by, args.id, taken_on=args.date, text=args.text,
                                 who=args.who, expected_version=args.expect_version)
    print(f"Action recorded on {record['id']} (now version {record['version']}).")
    return 0


def _concerns_set_status(args) -> int:
    from areaprofile.register import concerns

    record = concerns.set_status(_open_register(args), args.by, args.id, args.status, args.date,
                                 expected_version=args.expect_version)
    print(f"{record['id']} is {record['status']} since {record['status_on']} (now version {record['version']}).")
    return 0


def _concerns_remove(args) -> int:
    from areaprofile.register import concerns

    record = concerns.remove_concern(_open_register(args), args.by, args.id, args.reason,
                                     expected_version=args.expect_version)
    print(f"{record['id']} removed (version {record['version']}); undo with `areaprofile concerns restore {record['id']}`.")
    return 0


def _concerns_restore(args) -> int:
    from areaprofile.register import concerns

    record = concerns.restore_concern(_open_register(args), args.by, args.id, expected_version=args.expect_version)
    print(f"{record['id']} restored as {record['status']} (version {record['version']}).")
    return 0


def _concerns_history(args) -> int:
    from areaprofile.register import concerns

    _print_json(concerns.concern_history(_open_register(args), args.id))
    return 0


def _concerns_export(args) -> int:
    from areaprofile.register import exchange

    count = exchange.export_file(_open_register(args), args.file)
    print(f"{count} concerns written to {args.file}.")
    return 0


def _concerns_import(args) -> int:
    from areaprofile.register import exchange

    summary = exchange.import_file(_open_register(args), args.file, args.by)
    print(summary.sentence)
    return 0


def _read_password() -> str:
    import getpass
    import os

    if os.environ.get("AREAPROFILE_PASSWORD"):
        return os.environ["AREAPROFILE_PASSWORD"]
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise AreaprofileError("The two passwords differ; nothing was saved, try again.")
    return first


def _users_add(args) -> int:
    from areaprofile.register import accounts

    register = _open_register(args)
    user = accounts.add_user(register, args.name, _read_password(), args.role, args.areas)
    areas = ", ".join(user["areas"]) or "every area"
    print(f"Account {user['name']} added as {user['role']} for {areas}.")
    return 0


def _users_list(args) -> int:
    from areaprofile.register import accounts

    users = accounts.list_users(_open_register(args))
    if args.format == "json":
        _print_json(users)
    else:
        for u in users:
            state = "" if u["active"] else " (switched off)"
            print(f"{u['name']}\t{u['role']}\t{', '.join(u['areas']) or 'every area'}{state}")
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
    if args.classify:
        from areaprofile import hotspot_trends

        trends = hotspot_trends.trends(store, selection).cells.rename(columns={"s": "trend_s", "tau": "trend_tau",
                                                                              "p": "trend_p"})
        cells = cells.merge(trends[["cell_id", "label", "hot_quarters", "trend_s", "trend_tau", "trend_p"]],
                            on="cell_id", how="left")
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
    area = query.check_area(args.area, store)
    selection = Selection(area=area, period=Period(start, end), crime_types=tuple(types) if types else None,
                          ward=query.check_place(store, "ward", args.ward, area),
                          parish=query.check_place(store, "parish", args.parish, area))
    if args.recorded:
        return _recorded_outcomes(store, selection, args.format)
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


def _recorded_outcomes(store, selection, output_format: str) -> int:
    """`outcomes --recorded`: the same numbers as the Area profile's recorded-outcomes section."""
    from areaprofile import recorded_outcomes

    result = recorded_outcomes.recorded_outcomes(store, selection)
    if output_format == "json":
        print(json.dumps({"area": selection.area, "ward": selection.ward, "parish": selection.parish,
                          "from": selection.period.start, "to": selection.period.end, **result.as_dict()},
                         ensure_ascii=False))
        return 0
    table = result.table.rename(columns={"Group": "group", "Outcomes": "outcomes", "Share (%)": "share_percent",
                                         "Categories": "categories"})
    table.to_csv(sys.stdout, index=False, lineterminator="\n")
    for line in (result.sentence(selection.area_label), result.link_sentence(), result.coverage_sentence(),
                 result.types_note, result.meaning):
        if line:
            print(f"# {line}")
    return 0


def _hotspot_accuracy(args) -> int:
    from areaprofile import forecast_ceiling, hotspot_accuracy, query

    store = query.open_store(args.store, args.scheme)
    result = hotspot_accuracy.evaluate(
        store, args.crime_type, args.test_from, args.test_to, train_months=args.train_months,
        coverage=args.coverage, method_name=args.method or hotspot_accuracy.DEFAULT_METHOD, area=args.area,
    )
    print(json.dumps(forecast_ceiling.accuracy_json(store, result), ensure_ascii=False))
    return 0


def _report(args) -> int:
    from areaprofile import query, report

    store = query.open_store(args.store, args.scheme)
    register = None
    if args.register or os.environ.get("AREAPROFILE_REGISTER"):
        from areaprofile import partnership
        from areaprofile.register import open_register

        register = open_register(args.register, partnership.of_store(store))
    elif args.last_meeting:
        raise AreaprofileError("--last-meeting needs the concerns register: give --register PATH as well.")
    place = ("ward", args.ward) if args.ward else ("parish", args.parish) if args.parish else None
    pack = report.write_pack(store, args.area, args.out, month=args.month, csv_path=args.csv,
                             suppress_under=args.suppress_under, register=register, last_meeting=args.last_meeting,
                             place=place)
    written = f"{args.out}" + (f" and {args.csv}" if args.csv else "")
    print(f"Forum-update pack for {pack.where}, {pack.meeting_label}: {written}.")
    if pack.follow_up is not None:
        print(f"Page two, You said, we did: {pack.follow_up.sentence()}")
    return 0


def _priorities_fetch(args) -> int:
    from areaprofile import query
    from areaprofile.sources import police_priorities as police

    from areaprofile import partnership

    store = query.open_store(args.store)
    force = args.police_force or partnership.of_store(store).force.id
    snapshot = police.fetch_priorities(query.area_shapes(store), force=force, base_url=args.base_url,
                                       progress=lambda m: print(m, file=sys.stderr))
    path = police.write_snapshot(snapshot, police.snapshot_folder(store.path))
    count = sum(len(n["priorities"]) for n in snapshot["neighbourhoods"])
    print(f"{count} priorities from {len(snapshot['neighbourhoods'])} neighbourhoods in the forum areas: {path}.")
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
