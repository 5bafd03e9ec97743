"""What happened to the crimes: each crime's *Last outcome category*, in plain groups.

The trap: a crime's last outcome is whatever it was on the day its file was downloaded. The
newest months of a download read mostly "Under investigation", and months from different
downloads were frozen at different dates. So this module

* uses only months that have settled: at least ``SETTLE_MONTHS`` older than the newest month of
  their own download, and with no more than ``MAX_OPEN_SHARE`` of crimes still open;
* names the download each month comes from (the zip it came in, or the date of its file);
* takes one download per answer: months of the period from any other download are left out and
  listed, so two areas or two periods are never compared across downloads.

ASB has no outcomes and is never counted here. Page, CLI and pack all call :func:`outcomes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from areaprofile import query
from areaprofile.config import ASB
from areaprofile.periods import label, shift
from areaprofile.query import Store

#: A month counts as settled this many months after the newest month of its download.
SETTLE_MONTHS = 6
#: ... and when at most this share of its crimes is still open (under investigation / awaiting court).
MAX_OPEN_SHARE = 0.20

GROUPS = (
    "Charged or summonsed",
    "Out-of-court resolution",
    "Evidential difficulties",
    "Not in the public interest",
    "No suspect identified",
    "Still under investigation",
    "Status not available",
)
#: police.uk's categories (current and pre-2014 names) in their plain group; anything else is 'Status not available'.
CATEGORY_GROUP = {
    **dict.fromkeys([
        "Suspect charged", "Suspect charged as part of another case", "Awaiting court outcome", "Awaiting court result",
        "Court result unavailable", "Court case unable to proceed", "Defendant found not guilty", "Defendant sent to Crown Court",
        "Offender sent to prison", "Offender given suspended prison sentence", "Offender given community sentence",
        "Offender fined", "Offender given conditional discharge", "Offender given absolute discharge",
        "Offender ordered to pay compensation", "Offender deprived of property", "Offender otherwise dealt with",
        "Sent to Crown Court",
    ], "Charged or summonsed"),
    **dict.fromkeys([
        "Local resolution", "Offender given a caution", "Offender given a drugs possession warning",
        "Offender given penalty notice", "Action to be taken by another organisation",
    ], "Out-of-court resolution"),
    **dict.fromkeys(["Unable to prosecute suspect"], "Evidential difficulties"),
    **dict.fromkeys([
        "Formal action is not in the public interest", "Further investigation is not in the public interest",
        "Further action is not in the public interest",
    ], "Not in the public interest"),
    **dict.fromkeys(["Investigation complete; no suspect identified", "No further action"], "No suspect identified"),
    **dict.fromkeys(["Under investigation"], "Still under investigation"),
    **dict.fromkeys(["Status update unavailable", ""], "Status not available"),
}
_OPEN = ("Under investigation", "Awaiting court outcome", "Awaiting court result")

CAVEAT = (
    "A crime's outcome is what police.uk said on the day its file was downloaded: recent months read mostly "
    "'under investigation' and later files can say something else. So only months at least "
    f"{SETTLE_MONTHS} months older than the newest month of their download, with few crimes still open, are "
    "counted, all from one download; areas and periods are never compared across downloads. ASB has no outcomes."
)


def group_of(category: str) -> str:
    return CATEGORY_GROUP.get(category.strip(), "Status not available")


@dataclass
class Outcomes:
    """The outcome groups of one selection, with the months used and those left out (and why)."""

    download: str | None  # the download every counted month comes from
    months_used: list[str]
    months_left_out: dict[str, str]  # month -> why
    table: pd.DataFrame  # Group, Crimes, Share (%), Categories
    crimes: int
    caveat: str = CAVEAT
    months_by_download: dict[str, str] = field(default_factory=dict)  # every month of the period -> its download

    def sentence(self, area_label: str) -> str:
        if not self.crimes:
            return f"No settled months to show outcomes for {area_label} in this period."
        top = self.table.sort_values("Crimes", ascending=False).iloc[0]
        charged = self.table.set_index("Group").loc["Charged or summonsed"]
        return (
            f"Of {self.crimes:,} crimes in {area_label} ({_span(self.months_used)}), {charged['Share (%)']:.0f}% led to a "
            f"charge or summons; the largest group is '{top['Group'].lower()}' ({top['Share (%)']:.0f}%)."
        )

    def pack_line(self, area_label: str) -> str:
        """One line for the forum pack: the groups in brief, where the months come from, why some are missing."""
        if not self.crimes:
            return "no month of this period has settled outcomes yet."
        shares = self.table.set_index("Group")["Share (%)"]
        return (
            f"of {self.crimes:,} crimes in {_span(self.months_used)} ({self.download}; newer months not yet settled), "
            f"{shares['Charged or summonsed']:.0f}% charged or summonsed, {shares['Out-of-court resolution']:.0f}% resolved "
            f"out of court, {shares['Evidential difficulties']:.0f}% evidential difficulties, "
            f"{shares['No suspect identified']:.0f}% no suspect identified, {shares['Status not available']:.0f}% status not "
            "available."
        )

    def left_out_sentence(self) -> str:
        if not self.months_left_out:
            return f"Every month comes from one download: {self.download}."
        by_reason: dict[str, list[str]] = {}
        for month, why in self.months_left_out.items():
            by_reason.setdefault(why, []).append(month)
        reasons = "; ".join(f"{months_text(months)}: {why}" for why, months in by_reason.items())
        return f"Counted months come from {self.download or 'no download'}. Left out: {reasons}."

    def as_dict(self) -> dict:
        return {
            "download": self.download,
            "months_used": self.months_used,
            "months_left_out": self.months_left_out,
            "crimes": self.crimes,
            "groups": [
                {"group": r["Group"], "crimes": int(r["Crimes"]), "share_percent": float(r["Share (%)"]),
                 "categories": r["Categories"]}
                for _, r in self.table.iterrows()
            ],
            "caveat": self.caveat,
        }


def months_text(months: list[str]) -> str:
    """The months (in order) in words: each run of three or more as 'Apr 2021 to Sep 2021', others listed."""
    runs: list[list[str]] = []
    for month in months:
        if runs and month == shift(runs[-1][-1], 1):
            runs[-1].append(month)
        else:
            runs.append([month])
    parts = []
    for run in runs:
        parts.extend([f"{label(run[0])} to {label(run[-1])}"] if len(run) > 2 else [label(m) for m in run])
    return ", ".join(parts)


def _span(months: list[str]) -> str:
    if not months:
        return "no months"
    return label(months[0]) if len(months) == 1 else f"{label(months[0])} to {label(months[-1])}, {len(months)} months"


def downloads(store: Store) -> pd.DataFrame:
    """Per month held: its download (zip name, else the date of its file) and whether it has settled."""
    files = store.sql("SELECT month, label, modified FROM files")
    files["download"] = [
        f"archive {Path(lbl.split('.zip:', 1)[0]).name}.zip" if ".zip:" in lbl else f"files dated {pd.Timestamp(mod):%d %b %Y}"
        for lbl, mod in zip(files["label"], files["modified"])
    ]
    per_month = files.groupby("month")["download"].agg(lambda d: " + ".join(sorted(set(d)))).reset_index()
    open_share = store.sql(
        f"""SELECT month, avg((last_outcome IN ({','.join('?' * len(_OPEN))}))::INT) AS open_share
            FROM crimes WHERE crime_type <> ? GROUP BY month""",
        [*_OPEN, ASB],
    )
    frame = per_month.merge(open_share, on="month", how="left")
    # By hand, not groupby(...).transform("max"): on pandas' Arrow strings that loads pyarrow.acero
    # (~12 MiB of server memory) for a handful of rows.
    newest_of: dict = {}
    for download, month in zip(frame["download"], frame["month"]):
        newest_of[download] = max(newest_of.get(download, month), month)
    newest = [newest_of[d] for d in frame["download"]]
    frame["newest_in_download"] = newest
    frame["settled"] = [
        m <= shift(n, -SETTLE_MONTHS) and (s if pd.notna(s) else 0) <= MAX_OPEN_SHARE
        for m, n, s in zip(frame["month"], newest, frame["open_share"])
    ]
    frame["why_not"] = [
        "" if ok else (
            f"within {SETTLE_MONTHS} months of the newest month of its download ({label(n)}), so not yet settled"
            if m > shift(n, -SETTLE_MONTHS) else f"{100 * s:.0f}% of its crimes still open in its download, so not settled"
        )
        for m, n, s, ok in zip(frame["month"], newest, frame["open_share"], frame["settled"])
    ]
    return frame.sort_values("month").reset_index(drop=True)


def usable_months(store: Store, start: str, end: str) -> tuple[str | None, list[str], dict[str, str], dict[str, str]]:
    """(download, months used, months left out with why, download of every month) for a period.

    Settled months of the period from the download holding most of them (ties: the newest); the
    same for any area, so areas compared side by side always share months and download.
    """
    frame = downloads(store)
    frame = frame[(frame["month"] >= start) & (frame["month"] <= end)]
    settled = frame[frame["settled"]]
    # By hand, not groupby(...).agg("max"): on pandas' Arrow strings that loads pyarrow.acero (7 MiB).
    months_of: dict[str, list[str]] = {}
    for download, month in zip(settled["download"], settled["month"]):
        months_of.setdefault(download, []).append(month)
    # Most settled months, then the newest; a full tie goes to the first download by name.
    chosen = max(sorted(months_of), key=lambda d: (len(months_of[d]), max(months_of[d])), default=None)
    used = settled[settled["download"] == chosen]["month"].tolist()
    left = {}
    for row in frame.itertuples():
        if row.month in used:
            continue
        left[row.month] = row.why_not or f"from a different download ({row.download}), so not mixed with {chosen}"
    return chosen, used, left, dict(zip(frame["month"], frame["download"]))


def outcomes(store: Store, selection) -> Outcomes:
    """The outcome groups for ``selection`` (its ASB, if chosen, is left out: ASB has no outcomes)."""
    download, used, left, by_download = usable_months(store, selection.period.start, selection.period.end)
    types = [t for t in (selection.crime_types or query.TYPE_GROUPS[query.ALL_CRIME]) if t != ASB]
    counts = pd.DataFrame(columns=["last_outcome", "count"])
    if used and types:
        where, params = query.where_clause(**selection.filters(crime_types=types), store=store)
        marks = ",".join("?" * len(used))
        counts = store.sql(
            f"SELECT last_outcome, count(*) AS count FROM crimes WHERE {where} AND month IN ({marks}) GROUP BY 1",
            params + used,
        )
    return Outcomes(download=download, months_used=used, months_left_out=left, table=group_table(counts),
                    crimes=int(counts["count"].sum()) if len(counts) else 0, months_by_download=by_download)


def group_table(counts: pd.DataFrame) -> pd.DataFrame:
    """Category counts (last_outcome, count) -> one row per group: crimes, share, the categories in it."""
    counts = counts.assign(group=[group_of(c) for c in counts["last_outcome"]])
    total = int(counts["count"].sum())
    rows = []
    for group in GROUPS:
        part = counts[counts["group"] == group].sort_values("count", ascending=False)
        n = int(part["count"].sum())
        cats = "; ".join(f"{c or '(blank)'} ({int(k):,})" for c, k in zip(part["last_outcome"], part["count"]))
        rows.append({"Group": group, "Crimes": n, "Share (%)": round(100 * n / total, 1) if total else 0.0,
                     "Categories": cats})
    return pd.DataFrame(rows)


def compare_outcomes(store: Store, selection) -> tuple[pd.DataFrame, Outcomes]:
    """Each area's group shares over the same settled months of one download, plus the whole partnership's."""
    from areaprofile.profile import area_names, whole_label

    whole = outcomes(store, selection.with_area(None))
    rows = []
    for area in [*area_names(store), None]:
        one = whole if area is None else outcomes(store, selection.with_area(area))
        row = {"Area": area or whole_label(store), "Crimes": one.crimes}
        row.update({g: s for g, s in zip(one.table["Group"], one.table["Share (%)"])})
        rows.append(row)
    return pd.DataFrame(rows), whole
