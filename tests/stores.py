"""Stores built from the real data in the shapes the add-data, fault and browser tests need.

Each variant is built once per test process (the build is the package's own, on the real
files) and handed out as a path; tests copy it before changing anything.
"""

from __future__ import annotations

import atexit
import gzip
import shutil
import tempfile
from pathlib import Path

from areaprofile.store import build

FORCE = "avon-and-somerset"
_ROOT = Path(tempfile.mkdtemp(prefix="areaprofile-test-stores-"))
atexit.register(shutil.rmtree, _ROOT, True)
_built: dict[tuple, Path] = {}


def month_file(data_dir: Path, month: str) -> Path:
    return data_dir / "police_uk" / FORCE / month / f"{month}-{FORCE}-street.csv.gz"


def all_months(data_dir: Path) -> list[str]:
    return sorted(p.name for p in (data_dir / "police_uk" / FORCE).iterdir() if p.is_dir())


def month_csv(data_dir: Path, month: str) -> bytes:
    """The published file's CSV bytes (decompressed)."""
    return gzip.decompress(month_file(data_dir, month).read_bytes())


def source_folder(data_dir: Path, months: list[str], dest: Path) -> Path:
    """A folder laid out like shared/data with only ``months`` of street files (links, no copies)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("boundaries", "population", "lookups"):
        (dest / name).symlink_to(data_dir / name, target_is_directory=True)
    for month in months:
        (dest / month).mkdir()
        (dest / month / month_file(data_dir, month).name).symlink_to(month_file(data_dir, month))
    return dest


def store_without(data_dir: Path, *left_out: str) -> Path:
    """The store built from every real month except ``left_out`` (built once per process)."""
    key = ("without", str(data_dir), tuple(sorted(left_out)))
    if key not in _built:
        folder = _ROOT / f"src-{len(_built)}"
        source_folder(data_dir, [m for m in all_months(data_dir) if m not in left_out], folder)
        path = _ROOT / f"store-{len(_built)}" / "areaprofile.duckdb"
        path.parent.mkdir()
        build([folder], path)
        _built[key] = path
    return _built[key]


def copy_store(store: Path, dest_dir: Path) -> Path:
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / "areaprofile.duckdb"
    shutil.copy2(store, path)
    return path


def leftovers(store: Path) -> list[Path]:
    """Temp files a build left beside the store."""
    return sorted(store.parent.glob(f".{store.name}.tmp-*"))
