"""`areaprofile counts` answers without importing pandas or the register's SQLAlchemy (most of a
call's time was importing them), and says exactly what the query layer's DataFrame says, in CSV and
JSON."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from areaprofile import query

PROBE = ("import sys; sys.argv = ['areaprofile', *sys.argv[1:]]\n"
         "from areaprofile.cli import main\n"
         "code = main(sys.argv[1:])\n"
         "print('loaded:', sorted(m for m in ('pandas', 'sqlalchemy') if m in sys.modules), file=sys.stderr)\n"
         "sys.exit(code)")


@pytest.mark.parametrize("args, filters", [
    (["--by", "area,month,crime_type", "--from", "2021-01"], {"start": "2021-01"}),
    (["--by", "lsoa,ward", "--area", "Keynsham", "--crime-type", "Burglary"],
     {"area": "Keynsham", "crime_types": ["Burglary"]}),
])
def test_counts_without_pandas_equal_the_query_layer(built_store, args, filters):
    by = args[1]
    frame = query.counts(query.open_store(built_store), by, **filters)
    expected_csv = io.StringIO()
    frame.to_csv(expected_csv, index=False, lineterminator="\n")
    for fmt in ("csv", "json"):
        done = subprocess.run([sys.executable, "-c", PROBE, "counts", *args, "--format", fmt, "--store", str(built_store)],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stderr.strip().endswith("loaded: []")
        if fmt == "csv":
            assert done.stdout == expected_csv.getvalue()
        else:
            assert json.loads(done.stdout) == frame.to_dict(orient="records")
