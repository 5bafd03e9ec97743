"""The bench still runs: `bench/run.py --quick` (one month, one run) prints every row of its table.

A smoke run only: no figure is checked against a target here (benchmarks are not tests).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

ROWS = (
    "build (1 force-wide months, fresh)",
    "build throughput",
    "counts query (area,month,crime_type)",
    "counts CLI, whole process",
    "store size",
    "page area profile, warm",
    "page area profile, cold",
    "page map (areas), warm",
    "page map (LSOAs), warm",
    "page compare areas, warm",
    "page data & sources, warm",
    "speed-up vs baseline: area profile",
    "speed-up vs baseline: map (areas)",
    "speed-up vs baseline: compare areas",
    "baseline page Map, warm",
    "map HTML, LSOA level, all B&NES",
    "spawn to first map drawn",
    "map polygons in Chromium, warm",
    "period change to map re-coloured",
    "bytes per period change",
    "bytes on loading /map",
    "map LSOA level, click to polygons",
    "app memory, peak RSS",
    "scale 1x: build",
    "scale 1x: store size",
    "scale 10x: build",
    "scale 10x: counts (area,month,crime_type)",
)


def test_quick_bench_prints_the_table(data_dir, tmp_path):
    env = {**os.environ, "AREAPROFILE_SHARED_DATA": str(data_dir), "AREAPROFILE_STORE": str(tmp_path / "unused.duckdb")}
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--quick"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    lines = out.splitlines()
    assert any(line.startswith("figure") and "target" in line and "notes" in line for line in lines), out[:2000]
    missing = [row for row in ROWS if not any(line.startswith(row) for line in lines)]
    assert not missing, f"rows missing from the bench table: {missing}\n{out}"
    # Others' benches: their figures, or a plain 'not built yet' row while they are missing.
    assert any(line.lower().startswith(("hotspot", "hotspots:")) for line in lines), out
    assert any(line.lower().startswith(("pdf pack", "report:")) for line in lines), out
    assert "Traceback" not in out
