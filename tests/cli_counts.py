"""`areaprofile counts` as the tests call it: every view's numbers must equal this command's."""

from __future__ import annotations

import json
from pathlib import Path

from areaprofile.cli import main


def cli_counts(capsys, store: Path, by: str = "area", start: str | None = None, end: str | None = None,
               area: str | None = None, crime_types=(), ward: str | None = None, parish: str | None = None) -> list[dict]:
    """Rows of `areaprofile counts --format json` for the given filters."""
    args = ["counts", "--by", by, "--format", "json", "--store", str(store)]
    for flag, value in (("--from", start), ("--to", end), ("--area", area), ("--ward", ward), ("--parish", parish)):
        if value:
            args += [flag, value]
    for crime_type in [crime_types] if isinstance(crime_types, str) else crime_types:
        args += ["--crime-type", crime_type]
    capsys.readouterr()
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)
