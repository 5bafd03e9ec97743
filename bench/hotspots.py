"""Hotspot benchmark on the real data: which ranking predicts next month best, and how fast.

    .venv/bin/python bench/hotspots.py [--store PATH | --source ../shared/data] [--runs 5] [--quick]

Prints (1) mean PAI at 1% and 5% of B&NES land for every ranking method, for all crime, ASB and
burglary, on the reporting months 2020-10..2021-09 and on the earlier months 2019-01..2020-09;
(2) forecasts up to their ceiling (areaprofile.forecast_ceiling), per type: naive 12/24/36-month
counts, the ranking chosen on 2019-10..2020-09 only, the leave-month-out and hindsight ceilings,
each with its ratio to naive-12 and a paired bootstrap 95% interval, at 1% and 5%, evaluated once
on 2020-10..2021-09; (3) timings of the hotspot computations, cold (empty cache, store already
open) and warm. Never used as a test; --quick runs one type and one timing pass so CI can keep it
from rotting.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from common import open_or_build, store_arguments, timed  # noqa: E402

from areaprofile import forecast_ceiling as fc  # noqa: E402
from areaprofile import hotspot_accuracy as ha  # noqa: E402
from areaprofile import hotspot_trends, hotspots, memo, profile, query  # noqa: E402
from areaprofile.periods import Period  # noqa: E402
from areaprofile.profile import Selection  # noqa: E402

TYPES = {"all crime": "all-crime", "ASB": "asb", "burglary": "Burglary"}
CEILING_TYPES = {**TYPES, "vehicle crime": "Vehicle crime", "violence and sexual offences": "Violence and sexual offences"}
TEST_TO = "2021-09"
PERIODS = {"report 2020-10..2021-09": ("2020-10", "2021-09"), "tuning 2019-01..2020-09": ("2019-01", "2020-09")}


def comparison(store, types: dict, periods: dict) -> list[list[str]]:
    rows = []
    for period_name, (start, end) in periods.items():
        for type_name, type_key in types.items():
            base = {c: ha.evaluate(store, type_key, start, end, 12, c, ha.BASELINE).mean_pai for c in ha.COVERAGES}
            for name in ha.METHODS:
                pais = {c: ha.evaluate(store, type_key, start, end, 12, c, name).mean_pai for c in ha.COVERAGES}
                mark = "" if name == ha.BASELINE else ("  beats baseline at 1%" if pais[0.01] > base[0.01] else
                                                       "  does NOT beat baseline at 1%")
                shown = " (CLI default)" if name == ha.DEFAULT_METHOD else " (baseline)" if name == ha.BASELINE else ""
                rows.append([period_name, type_name, name + shown, f"{pais[0.01]:.2f}", f"{pais[0.05]:.2f}",
                             f"{pais[0.01] - base[0.01]:+.2f}" + mark])
    return rows


def ceilings(store, types: dict) -> list[str]:
    """One table per type, and a verdict line: is the shown ranking at least naive-12 (and >= 1.10x for burglary)?"""
    out = []
    for type_name, type_key in types.items():
        report = fc.report(store, type_key, None, TEST_TO, profile.whole_label(store), type_name)
        out.append(f"{type_name}: chosen on {report.tune_from}..{report.tune_to}, tested once on "
                   f"{report.test_from}..{report.test_to} ({report.test_months} months)")
        frame = report.table()
        out.append(table(list(frame.columns), frame.astype(str).values.tolist()))
        selection = Selection(None, Period(TEST_TO, TEST_TO), hotspots.types_key(type_key))
        trust = ha.trust(store, selection, fc.TEST_MONTHS, report.chosen.method, report.chosen.months)
        shown = {c: trust.get(trust.shown.name, c).mean_pai for c in ha.COVERAGES}
        naive = {c: trust.get(ha.BASELINE, c, ha.TRAIN_MONTHS).mean_pai for c in ha.COVERAGES}
        ratio = {c: shown[c] / naive[c] for c in ha.COVERAGES}
        need = 1.10 if type_key == "Burglary" else 1.0
        verdict = "meets" if ratio[0.01] >= need - 1e-9 else "MISSES"
        out.append(f"shown on the page: {trust.shown_label}; ratio to naive-12 {ratio[0.01]:.3f} at 1%, "
                   f"{ratio[0.05]:.3f} at 5% (target >= {need:.2f} at 1%: {verdict}); "
                   f"share of the leave-month-out ceiling at 1%: {100 * report.share_of_ceiling:.0f}%")
        out.append("")
    return out


def timings(store, runs: int) -> list[list[str]]:
    latest = query.months(store)[-1]
    cases = {
        "Bath, last 3 months, all crime": Selection("Bath", Period("2021-07", latest), query.TYPE_GROUPS["all-crime"]),
        "All B&NES, last 12 months, every type": Selection(None, Period("2020-10", latest)),
    }
    rows = []
    for name, selection in cases.items():
        def page_numbers():
            hotspots.hot_summary(store, selection)
            trust, _ceiling = fc.page_trust(store, selection)
            forecast = tuple(fc.forecast_cells(store, selection, trust))
            hotspots.map_layers(store, selection, forecast)
            hotspot_trends.map_layer(store, selection)
            hotspots.busiest_locations(store, selection, 10)
            hotspots.emerging_hotspots(store, selection)
            hotspots.snap_point_flags(store, selection)

        def cold_gi():
            memo.clear()
            hotspots.hot_cells(store, selection)

        def cold_trends():
            memo.clear()
            hotspot_trends.trends(store, selection)

        def cold_ceiling():
            memo.clear()
            fc.for_selection(store, selection)

        def cold_page():
            memo.clear()
            page_numbers()

        cells = hotspots.grid(store, selection.area).n
        gi = timed(cold_gi, runs)
        rows.append([f"Gi* (grid, counts, z, exact p, FDR), cold: {name}", f"{statistics.median(gi) * 1000:.0f} ms",
                     f"{cells:,} cells"])
        trend = timed(cold_trends, runs)
        rows.append([f"hotspots over time, cold: {name}", f"{statistics.median(trend) * 1000:.0f} ms",
                     "12 quarters: Gi* + exact p + FDR each, Mann-Kendall per cell, labels"])
        ceiling = timed(cold_ceiling, runs)
        rows.append([f"forecast ceiling report, cold: {name}", f"{statistics.median(ceiling) * 1000:.0f} ms",
                     "12 candidates chosen on the tuning year, naive 12/24/36, ceilings, bootstrap, at 1% and 5%"])
        cold = timed(cold_page, runs)
        rows.append([f"all page numbers, cold: {name}", f"{statistics.median(cold) * 1000:.0f} ms",
                     "Gi*, hotspots over time, ceiling report and trust, map layers, busiest, emerging, snap points"])
        warm = timed(page_numbers, max(runs, 20))
        rows.append([f"all page numbers, warm: {name}", f"{statistics.median(warm) * 1000:.1f} ms",
                     "cached per store version"])
        from areaprofile import hotspot_map, maps

        trust, _ceiling = fc.page_trust(store, selection)
        layers = hotspots.map_layers(store, selection, tuple(fc.forecast_cells(store, selection, trust)))
        build = timed(lambda: maps.map_html(hotspot_map.hotspot_map(layers)), runs)
        size = maps.map_html_bytes(hotspot_map.hotspot_map(layers))
        rows.append([f"folium map build + render: {name}", f"{statistics.median(build) * 1000:.0f} ms",
                     f"{len(layers['cells']['features']):,} cells drawn, {size / 1e3:.0f} kB HTML"])
    memo.clear()
    one = timed(lambda: (memo.clear(), ha.evaluate(store, "all-crime", "2020-10", "2021-09", 12, 0.01,
                                                              ha.DEFAULT_METHOD)), runs)
    rows.append(["one evaluation, cold (B&NES, 12 test months)", f"{statistics.median(one) * 1000:.0f} ms",
                 "grid + month x cell counts + 12 rankings"])
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(v).ljust(w) for v, w in zip(header, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(v).ljust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    store_arguments(parser)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_or_build(args, tmp)
        types = {"burglary": "Burglary"} if args.quick else TYPES
        periods = dict(list(PERIODS.items())[:1]) if args.quick else PERIODS
        print("Mean PAI over the test months (train: the 12 calendar months before each, loaded months only; "
              "250 m cells; B&NES land)")
        print(table(["months", "records", "method", "PAI 1%", "PAI 5%", "vs baseline at 1%"],
                    comparison(store, types, periods)))
        print()
        print("Forecasts up to their ceiling (B&NES, 250 m cells; ratio = mean PAI / naive-12's, paired bootstrap 95% "
              "interval over the test months)")
        print("\n".join(ceilings(store, {"burglary": "Burglary"} if args.quick else CEILING_TYPES)))
        print(table(["figure", "median", "notes"], timings(store, 1 if args.quick else args.runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
