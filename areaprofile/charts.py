"""The dashboard's charts as Vega-Lite specifications (plain dicts for ``st.vega_lite_chart``).

Written as data rather than with altair: altair and what it imports (jsonschema, narwhals, ...)
hold about 24 MiB in the server for as long as it runs, only to write these same dicts. Each
function takes the table its page already shows beside the chart and draws only that table.
Colours are Okabe-Ito, distinguishable with the common colour-vision deficiencies; the PDF pack
uses the same ones.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from areaprofile import profile

CRIME_COLOUR = "#0072B2"
ASB_COLOUR = "#D55E00"

Spec = dict[str, Any]


def _field(name: str, kind: str, **options) -> dict[str, Any]:
    """One encoding channel: a column and its Vega-Lite type ('nominal', 'quantitative', ...)."""
    return {"field": name, "type": kind, **options}


def _bars_with_labels(frame: pd.DataFrame, category: str, value: str, colour: str, height: int,
                      label_format: str, axis: dict[str, Any], value_title: str,
                      tooltip: list[dict[str, Any]]) -> Spec:
    """Horizontal bars, largest on top, each with its number printed at its end."""
    return {
        "data": {"name": "bars"},
        "datasets": {"bars": frame},
        "height": height,
        "encoding": {
            "y": _field(category, "nominal", sort="-x", title=None, axis=axis),
            "x": _field(value, "quantitative", title=value_title),
            "tooltip": tooltip,
        },
        "layer": [
            {"mark": {"type": "bar", "color": colour}},
            {"mark": {"type": "text", "align": "left", "dx": 4, "fontSize": 13},
             "encoding": {"text": _field(value, "quantitative", format=label_format)}},
        ],
    }


def trend_chart(trend: pd.DataFrame) -> Spec:
    """Crime and ASB per month: two lines told apart by colour, dash and marker shape."""
    long = trend.melt("Month", var_name="Records", value_name="Count")
    long["Month"] = pd.to_datetime(long["Month"] + "-01")
    domain = [profile.CRIME_LABEL, profile.ASB_LABEL]
    month = {"timeUnit": "yearmonth", "title": "Month"}
    return {
        "data": {"name": "trend"},
        "datasets": {"trend": long},
        "height": 340,
        "encoding": {
            "x": _field("Month", "temporal", **month, axis={"format": "%b %Y", "labelAngle": -40}),
            "y": _field("Count", "quantitative", title="Records per month"),
            "color": _field("Records", "nominal", scale={"domain": domain, "range": [CRIME_COLOUR, ASB_COLOUR]},
                            legend={"orient": "top", "direction": "vertical", "title": None}),
            "strokeDash": _field("Records", "nominal", scale={"domain": domain, "range": [[1, 0], [6, 3]]},
                                 legend=None),
            "shape": _field("Records", "nominal", scale={"domain": domain, "range": ["circle", "triangle-up"]},
                            legend=None),
            "tooltip": [_field("Month", "temporal", **month, format="%b %Y"), _field("Records", "nominal"),
                        _field("Count", "quantitative")],
        },
        "layer": [
            {"mark": {"type": "line", "strokeWidth": 2.5}},
            {"mark": {"type": "point", "size": 50, "filled": True}},
        ],
    }


def bar_chart(frame: pd.DataFrame, category: str, value: str, colour: str = CRIME_COLOUR,
              height: int | None = None) -> Spec:
    """Counts by category (crime type, outcome group), largest first, labelled with the count."""
    return _bars_with_labels(
        frame, category, value, colour, height or max(120, 26 * len(frame)), label_format=",",
        axis={"labelLimit": 260}, value_title=value,
        tooltip=[_field(category, "nominal"), _field(value, "quantitative", format=",")])


def rate_chart(frame: pd.DataFrame) -> Spec:
    """Records per 1,000 residents by area (columns Area, Records, Per 1,000 residents)."""
    rate = "Per 1,000 residents"
    return _bars_with_labels(
        frame, "Area", rate, CRIME_COLOUR, 36 * len(frame), label_format=".1f",
        axis={"labelLimit": 200, "labelFontSize": 13}, value_title="Records per 1,000 residents (Census 2021)",
        tooltip=[_field("Area", "nominal"), _field(rate, "quantitative", format=".1f"),
                 _field("Records", "quantitative", format=",")])


def season_chart(profile_table: pd.DataFrame) -> Spec:
    """Average records per calendar month, January to December, with a dashed rule at the average month."""
    value = "Against an average month (%)"
    month = _field("Month", "nominal", sort=list(profile_table["Month"]), title=None, axis={"labelAngle": -40})
    return {
        "datasets": {"season": profile_table},
        "height": 240,
        "layer": [
            {"data": {"name": "season"},
             "mark": {"type": "bar", "color": CRIME_COLOUR},
             "encoding": {
                 "x": month,
                 "y": _field(value, "quantitative", title="% of an average month"),
                 "tooltip": [_field("Month", "nominal")] + [
                     _field(column, "quantitative")
                     for column in ("Average records", "Lowest", "Highest", "Years", value)],
             }},
            {"data": {"values": [{"average": 100}]},
             "mark": {"type": "rule", "color": "#000000", "strokeDash": [6, 3]},
             "encoding": {"y": _field("average", "quantitative")}},
        ],
    }


def funnel_chart(points: pd.DataFrame, curves: pd.DataFrame, name: str = "Area",
                 residents: str = "Residents (Census 2021)", count: str = "Count") -> Spec:
    """A funnel plot: ``points`` (columns ``name``, ``residents``, 'Per 1,000 residents', ``count``) over
    ``curves`` (Residents, Lower, Upper, Overall rate, Limit: the 95% and 99.8% limits)."""
    rate_title = "Records per 1,000 residents"
    x_curve = _field("Residents", "quantitative", title=residents)
    dash = _field("Limit", "nominal", scale={"domain": ["95% limits", "99.8% limits"], "range": [[6, 3], [2, 2]]},
                  legend={"orient": "bottom", "title": None})

    def limit_line(column: str, colour: str, dashed: bool) -> dict[str, Any]:
        encoding = {"x": x_curve, "y": _field(column, "quantitative", title=rate_title)}
        if dashed:
            encoding |= {"strokeDash": dash, "detail": _field("Limit", "nominal")}
        return {"data": {"name": "curves"}, "mark": {"type": "line", "color": colour}, "encoding": encoding}

    dot = {"x": _field(residents, "quantitative", title=residents),
           "y": _field("Per 1,000 residents", "quantitative", title=rate_title)}
    top = max(points["Per 1,000 residents"].max(), curves["Upper"].max() if len(curves) else 0)
    points = points.assign(_shift=label_shifts(points[residents], points["Per 1,000 residents"], points[name], top))
    return {
        "datasets": {"curves": curves, "points": points},
        "height": 360,
        "layer": [
            limit_line("Lower", "#555555", dashed=True),
            limit_line("Upper", "#555555", dashed=True),
            limit_line("Overall rate", "#000000", dashed=False),
            {"data": {"name": "points"},
             "mark": {"type": "point", "size": 120, "filled": True, "color": CRIME_COLOUR},
             "encoding": dot | {"tooltip": [_field(name, "nominal"), _field(count, "quantitative", format=","),
                                            _field("Per 1,000 residents", "quantitative", format=".1f")]}},
            *(_dot_labels(name, dot, right_hand, shift) for right_hand in (False, True) for shift in LABEL_SHIFTS),
        ],
    }


#: Pixels a dot's name moves up (negative) or down when it would print over another name.
LABEL_SHIFTS = (0, -16, 16)
#: A rough plot for placing names: ~650 x 360 px, 14 px bold text ~8.5 px a letter.
_PLOT_PX = (650, 360)
_LETTER_PX, _LINE_PX, _GAP_PX = 8.5, 16, 10


def label_shifts(xs, ys, names, y_top: float) -> list[int]:
    """For each dot, how far (px, one of :data:`LABEL_SHIFTS`) to move its name so that no two names
    print over each other, as two small areas of similar size and rate did. Vega-Lite
    places no labels itself; this is a rough layout in the plot's proportions, first dot first."""
    xs, ys, names = list(map(float, xs)), list(map(float, ys)), list(map(str, names))
    x_top = 1.1 * max(xs, default=1.0) or 1.0
    y_top = y_top or 1.0
    placed: list[tuple[float, float, float, float]] = []
    shifts = []
    for x, y, name in zip(xs, ys, names):
        left = x / x_top * _PLOT_PX[0]
        width = len(name) * _LETTER_PX
        start = left - _GAP_PX - width if x > 0.7 * max(xs) else left + _GAP_PX  # as _dot_labels aligns it
        middle = (1 - y / y_top) * _PLOT_PX[1]
        for shift in LABEL_SHIFTS:
            box = (start, start + width, middle + shift - _LINE_PX / 2, middle + shift + _LINE_PX / 2)
            if not any(box[0] < other[1] and other[0] < box[1] and box[2] < other[3] and other[2] < box[3] for other in placed):
                break
        else:
            shift, box = 0, (start, start + width, middle - _LINE_PX / 2, middle + _LINE_PX / 2)
        placed.append(box)
        shifts.append(shift)
    return shifts


def _dot_labels(name: str, dot: dict[str, Any], right_hand: bool, shift: int) -> dict[str, Any]:
    """Names beside the dots moved by ``shift`` px: right of a dot, or left of it when the dot lies
    past 70% of the largest x value, so no name is cut off at the chart's right edge."""
    return {"data": {"name": "points"},
            "transform": [{"joinaggregate": [{"op": "max", "field": dot["x"]["field"], "as": "_widest"}]},
                          {"filter": f"(datum[{dot['x']['field']!r}] > 0.7 * datum._widest) == {str(right_hand).lower()}"
                                     f" && datum._shift == {shift}"}],
            "mark": {"type": "text", "dx": -10 if right_hand else 10, "dy": shift, "align": "right" if right_hand else "left",
                     "fontSize": 14, "fontWeight": "bold"},
            "encoding": dot | {"text": _field(name, "nominal")}}
