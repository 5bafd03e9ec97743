"""The record of every `areaprofile update` run, kept beside the store so it survives rebuilds,
and the freshness facts the Data & sources page and the forum pack both state.

The log is one JSON object per line in ``<store>.updates/runs.jsonl``, appended (and fsynced)
by the update that holds the update lock. A line cut short by a crash is skipped on reading.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from areaprofile import deferred_import
from areaprofile.periods import label, shift

pd = deferred_import.module("pandas")  # imported by the first function that uses it (see deferred_import)

#: police.uk publishes a month roughly this many months after the month ends.
PUBLICATION_LAG_MONTHS = 2
#: How many runs the Data & sources page lists.
RECENT_RUNS = 12


def state_dir(store_path: Path) -> Path:
    """Where updates keep their lock, downloads and run log: ``<store>.updates`` beside the store."""
    store_path = Path(store_path)
    return store_path.with_name(store_path.name + ".updates")


def log_path(store_path: Path) -> Path:
    return state_dir(store_path) / "runs.jsonl"


def log_version(store_path: Path) -> str:
    """Changes whenever a run is recorded: caches of freshness facts key on it with the store's version."""
    try:
        stat = log_path(store_path).stat()
    except FileNotFoundError:
        return "none"
    return f"{stat.st_mtime_ns}-{stat.st_size}"


def append_run(store_path: Path, record: dict) -> None:
    """Add one run's record to the log, durably (the caller holds the update lock)."""
    path = log_path(store_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def runs(store_path: Path) -> list[dict]:
    """Every recorded run, oldest first (lines a crash cut short are skipped)."""
    try:
        text = log_path(store_path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict) and record.get("started"):
            out.append(record)
    return out


def _when(stamp: str | None) -> str:
    """'29 Nov 2026, 20:31 UTC' from an ISO time."""
    if not stamp:
        return ""
    moment = datetime.fromisoformat(stamp)
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def _expected_by(month: str) -> date:
    """About when police.uk publishes ``month``: the end of the month two months after it."""
    year, number = map(int, shift(month, PUBLICATION_LAG_MONTHS + 1).split("-"))
    return date(year, number, 1) - timedelta(days=1)


@dataclass
class Freshness:
    """What the store holds and what police.uk was last seen to offer."""

    last_month: str  # newest month in the store
    built_at: str  # when the store was last built (any route)
    last_checked: str | None  # when an update last asked police.uk (ISO)
    last_check_status: str | None
    last_added: str | None  # when an update last added months (ISO)
    last_added_months: list[str]
    latest_published: str | None  # newest month police.uk listed at the last check
    last_run: dict | None
    last_fetch: dict | None  # the last run that asked for any month
    recent: list[dict]  # the last runs, newest first

    @property
    def next_month(self) -> str:
        """The first month after the newest one held or published."""
        newest = max(m for m in (self.last_month, self.latest_published) if m)
        return shift(newest, 1)

    @property
    def next_expected_by(self) -> date:
        return _expected_by(self.next_month)

    def sentences(self) -> list[str]:
        """The facts in words, for the Data & sources page."""
        out = [f"The newest month held is {label(self.last_month)}; the store was built {self.built_at}."]
        if self.last_checked:
            seen = f" police.uk's newest month then was {label(self.latest_published)}." if self.latest_published else ""
            out.append(f"Last checked for new months on {_when(self.last_checked)} (result: {self.last_check_status}).{seen}")
        else:
            out.append("No automatic update has run yet: months were added by hand (build or upload).")
        if self.last_added:
            months = ", ".join(label(m) for m in self.last_added_months)
            out.append(f"The last new data arrived on {_when(self.last_added)}: {months}.")
        expected = self.next_expected_by
        out.append(
            f"{label(self.next_month)} is expected from police.uk by about {expected.day} {expected:%B %Y} "
            f"(police.uk publishes each month about {PUBLICATION_LAG_MONTHS} months after it ends)."
        )
        return out

    def run_sentence(self) -> str:
        """The last run in one sentence."""
        record = self.last_run
        if not record:
            return "No update has run for this store yet."
        return f"Last run {_when(record['started'])}: {record.get('message') or record.get('status', '')}"

    def runs_table(self) -> pd.DataFrame:
        """The recent runs, newest first: when, outcome, months asked and added, requests, time."""
        rows = [
            {
                "Started (UTC)": _when(r["started"]).removesuffix(" UTC"),
                "Outcome": r.get("status", ""),
                "Months asked": ", ".join(r.get("asked", [])) or "none",
                "Added": ", ".join(r.get("added", [])) or "none",
                "Skipped or failed": ", ".join([*r.get("skipped", {}), *r.get("failed", {})]) or "none",
                "Requests": r.get("requests"),
                "Seconds": r.get("seconds"),
            }
            for r in self.recent
        ]
        return pd.DataFrame(rows, columns=["Started (UTC)", "Outcome", "Months asked", "Added", "Skipped or failed", "Requests", "Seconds"])

    def fetch_caption(self) -> str:
        """What :meth:`month_table` shows."""
        if not self.last_fetch:
            return "No update has fetched a month yet."
        return f"Months fetched by the run of {_when(self.last_fetch['started'])}, with the checksum of each file written:"

    def month_table(self) -> pd.DataFrame:
        """The last run that fetched anything, one row per month it asked for: result, rows, checksum."""
        columns = ["Month", "Result", "Rows kept", "Served by police.uk", "Without location", "SHA-256 (first 16)"]
        record = self.last_fetch or {}
        rows = []
        for month in record.get("asked", []):
            info = record.get("months", {}).get(month, {})
            if month in record.get("added", []):
                result = "added"
            elif month in record.get("skipped", {}):
                result = record["skipped"][month]
            elif month in record.get("failed", {}):
                result = "failed: " + record["failed"][month]
            else:
                result = "not added"
            rows.append([label(month), result, info.get("rows"), info.get("served"), info.get("without_location"),
                         (info.get("sha256") or "")[:16]])
        return pd.DataFrame(rows, columns=columns)

    def as_of(self) -> str:
        """The one line the pack and page footers print after 'Data correct as of'."""
        text = f"police.uk data to {label(self.last_month)}"
        if self.last_checked and self.latest_published and self.latest_published <= self.last_month:
            return f"{text}, the latest published when checked on {_when(self.last_checked)}"
        if self.last_checked and self.latest_published:
            return f"{text}; police.uk had {label(self.latest_published)} when checked on {_when(self.last_checked)}"
        return f"{text}; store built {self.built_at}"


def freshness(store) -> Freshness:
    """The freshness facts for an open store (see :class:`areaprofile.query.Store`)."""
    meta = dict(store.rows("SELECT key, value FROM meta")[1])
    history = runs(store.path)
    checks = [r for r in history if r.get("status") != "failed" or r.get("latest_published")]
    last = history[-1] if history else None
    fetches = [r for r in history if r.get("asked")]
    last_check = checks[-1] if checks else None
    added = [r for r in history if r.get("added")]
    return Freshness(
        last_month=meta["last_month"],
        built_at=meta["built_at"],
        last_checked=last["started"] if last else None,
        last_check_status=last.get("status") if last else None,
        last_added=added[-1]["finished"] if added else None,
        last_added_months=sorted(added[-1]["added"]) if added else [],
        latest_published=last_check.get("latest_published") if last_check else None,
        last_run=last,
        last_fetch=fetches[-1] if fetches else None,
        recent=history[::-1][:RECENT_RUNS],
    )
