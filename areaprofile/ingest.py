"""Add months from files an editor uploads in the app, safely.

Two steps, both here so the page only lays out the answer:

* :func:`check_uploads` saves the uploads into a private temporary folder under safe names,
  runs the same police.uk reader as the build, and says what it found (months, rows of the store's
  rows) and every problem, one sentence each. It never touches the store, and the folder is
  gone when it returns.
* :func:`add_uploads` checks again and, with no problem found, rebuilds the store with the
  uploaded folder as the only source, keeping every month already loaded. The build writes
  a new file and swaps it in, so open pages switch to the new data on their next run.

Refused, with nothing changed: a file over the size limit, a zip with a path outside its
folder (or a link, or encryption), a zip or gzip that would expand beyond the limits, a file
that is not a police.uk street file, a month given twice, a file with no rows in the store's LA, and a
month already loaded unless the editor asked to replace it.
"""

from __future__ import annotations

import gzip
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import pandas as pd

from areaprofile import partnership, query
from areaprofile.errors import AreaprofileError
from areaprofile.sources import police_uk
from areaprofile.sources.police_uk import STREET_NAME, StreetFile

MB = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")


# ---- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How much an upload may weigh and expand to. Environment variables override the defaults."""

    max_upload_bytes: int = 50 * MB  # one uploaded file (keep <= server.maxUploadSize)
    max_expanded_bytes: int = 500 * MB  # everything one zip or gzip may expand to
    max_ratio: int = police_uk.MAX_COMPRESSION_RATIO  # expanded size / compressed size
    max_members: int = 2_000  # entries in one zip

    @classmethod
    def from_env(cls) -> "Limits":
        def megabytes(name: str, default: int) -> int:
            raw = os.environ.get(name)
            if not raw:
                return default
            try:
                value = float(raw)
            except ValueError:
                raise AreaprofileError(f"{name}={raw!r} is not a number of megabytes; set it to e.g. 50.") from None
            if value <= 0:
                raise AreaprofileError(f"{name}={raw!r} must be more than 0 megabytes.")
            return int(value * MB)

        return cls(
            max_upload_bytes=megabytes("AREAPROFILE_MAX_UPLOAD_MB", cls.max_upload_bytes),
            max_expanded_bytes=megabytes("AREAPROFILE_MAX_EXPANDED_MB", cls.max_expanded_bytes),
        )

    @property
    def max_upload_mb(self) -> float:
        return self.max_upload_bytes / MB


# ---- what was uploaded and what was found -----------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """One uploaded file: the name the browser sent (shown, never used as a path) and its bytes."""

    name: str
    data: bytes

    @property
    def shown_name(self) -> str:
        """The name as people see it: the last part of whatever path the browser sent."""
        name = PurePosixPath(self.name.replace("\\", "/")).name
        return _printable(name) or "(unnamed file)"


def _printable(text: str, limit: int = 120) -> str:
    """A name fit for a one-line message: control and direction characters shown as '?', capped."""
    import unicodedata

    shown = "".join("?" if unicodedata.category(c) in ("Cc", "Cf", "Cs", "Zl", "Zp") else c for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


@dataclass
class FoundFile:
    """One street file found in the uploads, read and checked."""

    source: str  # the upload's name, and the member inside a zip
    month: str
    force: str
    rows: int = 0
    la_rows: int = 0  # rows in the store's local authority
    rows_without_location: int = 0
    status: str = ""

    @property
    def bnes_rows(self) -> int:
        """``la_rows`` by its first name, kept for callers written before partnerships."""
        return self.la_rows


@dataclass
class Check:
    """Everything a check found: the files, the problems (one sentence each) and notes."""

    files: list[FoundFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    replace: bool = False
    partnership: str = "partnership"  # the store's partnership, as its short name

    @property
    def ok(self) -> bool:
        return bool(self.files) and not self.problems

    @property
    def new_months(self) -> list[str]:
        return sorted({f.month for f in self.files if f.status == NEW})

    @property
    def replaced_months(self) -> list[str]:
        return sorted({f.month for f in self.files if f.status == REPLACES})

    @property
    def rows_heading(self) -> str:
        return f"{self.partnership} rows"

    def table(self) -> pd.DataFrame:
        """The files found, for the page (one row per month and force)."""
        return pd.DataFrame(
            [
                {
                    "Month": f.month, "Force": f.force, "File": f.source, "Rows in file": f.rows,
                    self.rows_heading: f.la_rows, "Rows without a location": f.rows_without_location,
                    "What happens": f.status,
                }
                for f in self.files
            ],
            columns=["Month", "Force", "File", "Rows in file", self.rows_heading, "Rows without a location", "What happens"],
        )

    def summary(self) -> str:
        """One sentence: what adding these files would do."""
        parts = []
        if self.new_months:
            parts.append(f"add {_months(self.new_months)}")
        if self.replaced_months:
            parts.append(f"replace {_months(self.replaced_months)}")
        rows = sum(f.la_rows for f in self.files)
        return f"Ready to {' and '.join(parts) or 'change nothing'}: {rows:,} {self.partnership} rows from {len(self.files)} file(s)."


NEW = "added as a new month"
REPLACES = "replaces the month already loaded"
ALREADY = "refused: month already loaded"


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= 10 * MB else f"{n / MB:,.1f} MB" if n >= MB else f"{n / 1024:,.0f} KB"


def _months(months: list[str]) -> str:
    return f"{len(months)} month{'s' if len(months) != 1 else ''} ({', '.join(months)})"


# ---- saving uploads under safe names ----------------------------------------------------------


@dataclass
class _Staged:
    root: Path
    shown: dict[str, str] = field(default_factory=dict)  # staged path -> what people call it
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)  # (month, force) -> source


@contextmanager
def _staging(work_dir: Path | None):
    """A private folder (mode 0700) that is always removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="areaprofile-upload-", dir=work_dir))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _stage(uploads: list[Upload], root: Path, limits: Limits) -> _Staged:
    staged = _Staged(root=root)
    if not uploads:
        staged.problems.append("No files were uploaded; choose a data.police.uk .zip or monthly street CSV files.")
        return staged
    for upload in uploads:
        name = upload.shown_name
        try:
            if len(upload.data) > limits.max_upload_bytes:
                raise AreaprofileError(
                    f"{name} is {_size(len(upload.data))}, over the {_size(limits.max_upload_bytes)} limit for one file; "
                    "upload fewer months at a time."
                )
            if name.lower().endswith(".zip"):
                _stage_zip(upload, name, staged, limits)
            else:
                match = STREET_NAME.search(name)
                if not match or not name.lower().endswith((".csv", ".csv.gz")):
                    raise AreaprofileError(
                        f"{name} is not a police.uk street file; upload files named like "
                        "2021-10-avon-and-somerset-street.csv (or .csv.gz), or the data.police.uk .zip."
                    )
                _stage_file(match["month"], match["force"], name, upload.data, staged, limits)
        except AreaprofileError as exc:
            staged.problems.append(exc.message)
    return staged


def _stage_zip(upload: Upload, name: str, staged: _Staged, limits: Limits) -> None:
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(upload.data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise AreaprofileError(f"{name} is not a readable zip file ({exc}); download it again.") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_members:
            raise AreaprofileError(
                f"{name} holds {len(infos):,} entries, more than the {limits.max_members:,} allowed; this is not a data.police.uk download."
            )
        declared = 0
        members: list[tuple[zipfile.ZipInfo, re.Match]] = []
        for info in infos:
            member = info.filename
            _check_member_path(name, member, staged.root)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise AreaprofileError(f"{name} holds a link ({_printable(member, 80)}); this is not a data.police.uk download.")
            if info.flag_bits & 0x1:
                raise AreaprofileError(f"{name} is password-protected ({_printable(member, 80)}); upload the zip as data.police.uk gives it.")
            if info.is_dir():
                continue
            declared += info.file_size
            if info.file_size > police_uk.MAX_MEMBER_BYTES or declared > limits.max_expanded_bytes:
                raise AreaprofileError(
                    f"{name} would expand to more than {_size(limits.max_expanded_bytes)}; upload fewer months at a time."
                )
            if info.file_size > limits.max_ratio * max(info.compress_size, 1) and info.file_size > 64 * 1024:
                raise AreaprofileError(
                    f"{name}: {_printable(PurePosixPath(member).name, 80)} would expand {info.file_size / max(info.compress_size, 1):,.0f} times, "
                    f"beyond the safe limit of {limits.max_ratio}; this is not a data.police.uk download."
                )
            match = STREET_NAME.search(PurePosixPath(member).name)
            if match:
                members.append((info, match))
        skipped = sum(1 for i in infos if not i.is_dir()) - len(members)
        if not members:
            raise AreaprofileError(
                f"{name} holds no police.uk street files (YYYY-MM-<force>-street.csv); tick 'Include crime data' when downloading."
            )
        if skipped:
            staged.notes.append(f"{name}: {skipped} other file(s) (such as outcomes or stop and search) were ignored.")
        budget = limits.max_expanded_bytes
        for info, match in members:
            source = f"{name}: {_printable(info.filename)}"
            try:
                with archive.open(info) as handle:
                    data = _read_capped(handle, min(budget, police_uk.MAX_MEMBER_BYTES), source, limits)
            except AreaprofileError:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError, ValueError) as exc:
                raise AreaprofileError(f"{source}: the file is truncated or corrupt ({exc}); download it again.") from None
            budget -= len(data)
            _stage_file(match["month"], match["force"], source, data, staged, limits)


def _check_member_path(name: str, member: str, root: Path) -> None:
    """A zip entry must stay inside the folder it would be unpacked into."""
    unsafe = (
        not member
        or "\x00" in member
        or "\\" in member
        or member.startswith("/")
        or _DRIVE.match(member) is not None
        or ".." in PurePosixPath(member).parts
    )
    if not unsafe:
        target = os.path.normpath(os.path.join(root, member))
        unsafe = os.path.commonpath([str(root), target]) != str(root)
    if unsafe:
        raise AreaprofileError(
            f"{name} holds a file with a path outside its folder ({_printable(member, 80)!r}); this is not a data.police.uk download."
        )


def _read_capped(handle, cap: int, source: str, limits: Limits) -> bytes:
    """Read at most ``cap`` bytes; more means the file expands beyond the limit."""
    chunks, total = [], 0
    while True:
        chunk = handle.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > cap:
            raise AreaprofileError(
                f"{source} would expand to more than {_size(cap)}; upload fewer months at a time."
            )
        chunks.append(chunk)


def _gunzip(data: bytes, source: str, limits: Limits) -> bytes:
    """Decompress gzip data without letting it grow past the limits (a gzip bomb is refused)."""
    cap = min(limits.max_expanded_bytes, police_uk.MAX_MEMBER_BYTES, max(limits.max_ratio * len(data), 64 * 1024))
    out, total = [], 0
    pending = data
    try:
        while pending:  # one gzip member after another, as gzip.decompress reads them
            decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
            while pending and not decompressor.eof:
                chunk = decompressor.decompress(pending, _CHUNK)
                total += len(chunk)
                if total > cap:
                    raise AreaprofileError(
                        f"{source} would expand beyond the safe limit ({_size(cap)}, {limits.max_ratio} times its size); "
                        "this is not a police.uk street file."
                    )
                out.append(chunk)
                pending = decompressor.unconsumed_tail
            if not decompressor.eof:
                raise AreaprofileError(f"{source}: the gzip file is truncated; download it again.")
            pending = decompressor.unused_data.lstrip(b"\x00")  # gzip allows zero padding between members
    except zlib.error as exc:
        raise AreaprofileError(f"{source}: the gzip file is corrupt ({exc}); download it again.") from None
    return b"".join(out)


def _stage_file(month: str, force: str, source: str, data: bytes, staged: _Staged, limits: Limits) -> None:
    """Write one street file as ``<root>/<month>/<month>-<force>-street.csv`` (a name we made)."""
    if not query.MONTH.match(month):
        raise AreaprofileError(f"{source}: {month} is not a month; the file name should start with YYYY-MM.")
    if data[:2] == GZIP_MAGIC:
        data = _gunzip(data, source, limits)
        if data[:2] == GZIP_MAGIC:
            raise AreaprofileError(f"{source} is compressed twice; upload the file as data.police.uk gives it.")
    key = (month, force)
    if key in staged.keys:
        raise AreaprofileError(
            f"{month} ({force}) is given twice, in {staged.keys[key]} and {source}; upload each month once."
        )
    staged.keys[key] = source
    folder = staged.root / month
    folder.mkdir(exist_ok=True)
    path = folder / f"{month}-{force}-street.csv"
    path.write_bytes(data)
    staged.shown[str(path)] = source


# ---- the check and the rebuild ----------------------------------------------------------------


def _store_facts(store: query.Store) -> tuple[set[str], set[tuple[str, str]], str]:
    codes = set(store.sql("SELECT code FROM lsoa UNION SELECT code FROM lsoa11")["code"])
    loaded = {(m, f) for m, f in store.sql("SELECT month, force FROM files").itertuples(index=False)}
    return codes, loaded, partnership.of_store(store).la_code


def _check_staged(staged: _Staged, store: query.Store, replace: bool) -> Check:
    check = Check(problems=list(staged.problems), notes=list(staged.notes), replace=replace)
    if staged.problems:
        return check
    codes, loaded, _la_code = _store_facts(store)
    settings = partnership.of_store(store)
    la_name = settings.la_name
    check.partnership = settings.short_name
    for street_file in police_uk.find_street_files(staged.root):
        source = staged.shown.get(str(street_file.path), street_file.path.name)
        found = FoundFile(source=source, month=street_file.month, force=street_file.force)
        try:
            rows = police_uk.read_street_file(street_file, codes)
        except AreaprofileError as exc:
            check.problems.append(exc.message.replace(str(street_file.path), source))
            found.status = "refused: see the problem above"
            check.files.append(found)
            continue
        found.rows, found.la_rows = rows.rows_in_file, rows.table.num_rows
        found.rows_without_location = rows.rows_without_location
        if found.la_rows == 0:
            check.problems.append(
                f"{source}: none of its {found.rows:,} rows are in {la_name}; check it is the right force's file."
            )
            found.status = "refused: no rows here"
        elif street_file.key in loaded and not replace:
            check.problems.append(
                f"{street_file.month} is already loaded; tick 'Replace months already loaded' to replace it with {source}."
            )
            found.status = ALREADY
        else:
            found.status = REPLACES if street_file.key in loaded else NEW
        check.files.append(found)
    check.files.sort(key=lambda f: (f.month, f.force))
    return check


def check_uploads(
    uploads: Iterable[Upload],
    store_path: str | Path | None = None,
    *,
    replace: bool = False,
    limits: Limits | None = None,
    work_dir: Path | None = None,
) -> Check:
    """Read the uploads as the build would and say what they hold; the store is not touched."""
    limits = limits or Limits.from_env()
    store = query.open_store(store_path)
    with _staging(work_dir) as root:
        staged = _stage(list(uploads), root, limits)
        return _check_staged(staged, store, replace)


@dataclass
class Added:
    check: Check
    report: object  # store.BuildReport

    def summary(self) -> str:
        report = self.report
        parts = []
        if self.check.new_months:
            parts.append(f"added {_months(self.check.new_months)}")
        if self.check.replaced_months:
            parts.append(f"replaced {_months(self.check.replaced_months)}")
        return (
            f"Store rebuilt: {' and '.join(parts)}; it now holds {report.rows:,} rows for {len(report.months)} months "
            f"({report.months[0]} to {report.months[-1]})."
        )


def add_uploads(
    uploads: Iterable[Upload],
    store_path: str | Path | None = None,
    *,
    replace: bool = False,
    limits: Limits | None = None,
    work_dir: Path | None = None,
    wait_seconds: float = 60.0,
) -> Added:
    """Check the uploads again and, with no problem, rebuild the store keeping every loaded month.

    Raises :class:`AreaprofileError` with the first problem; the store is then unchanged.
    """
    from areaprofile import store as store_module

    limits = limits or Limits.from_env()
    store = query.open_store(store_path)
    with _staging(work_dir) as root:
        staged = _stage(list(uploads), root, limits)
        check = _check_staged(staged, store, replace)
        if check.problems:
            raise AreaprofileError(check.problems[0])
        if not check.files:
            raise AreaprofileError("The uploads hold no police.uk street files; nothing was changed.")
        _, _, la_code = _store_facts(store)
        report = store_module.build([root], store.path, la_code=la_code, wait_seconds=wait_seconds)
    return Added(check=check, report=report)
