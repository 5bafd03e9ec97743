"""Independent readings of the raw police.uk files, for checking the store against them.

Deliberately written with the csv module only, not with the package's reader."""

from __future__ import annotations

import csv
import gzip
import io
from collections import Counter
from pathlib import Path

LA_PREFIX = "Bath and North East Somerset"


def street_files(data_dir: Path) -> list[Path]:
    return sorted((data_dir / "police_uk").rglob("*-street.csv.gz"))


def la_rows(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["LSOA name"].startswith(LA_PREFIX)]


def la_rows_per_month(data_dir: Path) -> Counter:
    counts: Counter = Counter()
    for path in street_files(data_dir):
        for row in la_rows(path):
            counts[row["Month"]] += 1
    return counts


def rows_per_month_in(data_dir: Path, lsoa_codes: set[str]) -> Counter:
    """Published rows per month whose LSOA code is one of ``lsoa_codes`` (codes only: names change)."""
    counts: Counter = Counter()
    for path in street_files(data_dir):
        with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                if row["LSOA code"] in lsoa_codes:
                    counts[row["Month"]] += 1
    return counts


def write_csv(path: Path, header: list[str], rows: list[list[str]] | list[dict], gz: bool = False) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row[c] for c in header] if isinstance(row, dict) else row)
    data = buffer.getvalue().encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path
