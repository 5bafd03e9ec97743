"""Adding months from uploads (areaprofile.ingest), on the real files.

A check reads the uploads exactly as the build does and never touches the store; adding keeps
every loaded month and an open store switches to the new file. Each refusal is one sentence,
leaves the store byte-for-byte as it was and leaves nothing in the work folder.
"""

from __future__ import annotations

import csv
import gzip
import io
import stat
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from areaprofile import ingest, query
from areaprofile.errors import AreaprofileError
from areaprofile.sources.police_uk import STREET_COLUMNS
from tests import rawdata, stores

NEW_A, NEW_B = "2021-08", "2021-09"  # the base store has every real month but these two
LOADED = "2019-07"


@pytest.fixture(scope="module")
def base_store(data_dir) -> Path:
    return stores.store_without(data_dir, NEW_A, NEW_B)


@pytest.fixture
def store(tmp_path, base_store) -> Path:
    return stores.copy_store(base_store, tmp_path / "store")


@pytest.fixture
def work(tmp_path) -> Path:
    """The folder uploads are staged in; every test checks it is empty afterwards."""
    folder = tmp_path / "work"
    folder.mkdir()
    yield folder
    assert list(folder.iterdir()) == [], "an upload folder was left behind"


def _upload(data_dir, month, gz=True, name=None) -> ingest.Upload:
    path = stores.month_file(data_dir, month)
    data = path.read_bytes() if gz else gzip.decompress(path.read_bytes())
    return ingest.Upload(name or (path.name if gz else path.name[:-3]), data)


def _raw_rows(data_dir, month) -> list[dict]:
    text = stores.month_csv(data_dir, month).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def _csv_bytes(header, rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row[c] for c in header] if isinstance(row, dict) else row)
    return buffer.getvalue().encode("utf-8")


def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _per_month(store_path) -> dict[str, int]:
    frame = query.counts(query.open_store(store_path), "month")
    return dict(zip(frame["month"], frame["count"]))


# ---- what a check finds -----------------------------------------------------------------------


def test_check_reports_what_the_file_holds_and_leaves_the_store(data_dir, store, work):
    before = store.read_bytes()
    check = ingest.check_uploads([_upload(data_dir, NEW_B)], store, work_dir=work)
    assert check.ok and check.problems == []
    [found] = check.files
    raw = _raw_rows(data_dir, NEW_B)
    assert (found.month, found.force) == (NEW_B, stores.FORCE)
    assert found.rows == len(raw)
    assert found.bnes_rows == len(rawdata.la_rows(stores.month_file(data_dir, NEW_B)))
    assert found.rows_without_location == sum(1 for r in raw if not r["Longitude"].strip())
    assert found.status == ingest.NEW and check.new_months == [NEW_B]
    assert check.table()["B&NES rows"].tolist() == [found.bnes_rows]
    assert store.read_bytes() == before
    assert stores.leftovers(store) == []


def test_a_gzip_of_several_members_is_read_whole(data_dir, store, work):
    """gzip allows several members one after another (as `cat a.gz b.gz` makes); every row counts."""
    text = stores.month_csv(data_dir, NEW_B)
    middle = text.index(b"\n", len(text) // 2) + 1
    upload = ingest.Upload(f"{NEW_B}-avon-and-somerset-street.csv.gz", gzip.compress(text[:middle]) + gzip.compress(text[middle:]))
    check = ingest.check_uploads([upload], store, work_dir=work)
    assert check.ok, check.problems
    assert check.files[0].rows == len(_raw_rows(data_dir, NEW_B))


def test_data_police_uk_zip_is_read_and_other_files_are_ignored(data_dir, store, work):
    archive = _zip({
        f"{NEW_A}/{NEW_A}-avon-and-somerset-street.csv": stores.month_csv(data_dir, NEW_A),
        f"{NEW_A}/{NEW_A}-avon-and-somerset-outcomes.csv": b"Crime ID,Month\n",
        f"{NEW_A}/{NEW_A}-avon-and-somerset-stop-and-search.csv": b"Type,Date\n",
    })
    check = ingest.check_uploads([ingest.Upload("download.zip", archive)], store, work_dir=work)
    assert check.ok, check.problems
    assert [f.month for f in check.files] == [NEW_A]
    assert check.files[0].source == f"download.zip: {NEW_A}/{NEW_A}-avon-and-somerset-street.csv"
    assert any("2 other file(s)" in note for note in check.notes)


# ---- adding -----------------------------------------------------------------------------------


def test_adding_keeps_every_month_and_an_open_store_switches(data_dir, store, work):
    """An app process keeps the store open: after adding, it must answer from the new file."""
    opened = query.open_store(store)  # as a running app holds it
    before = _per_month(store)
    added = ingest.add_uploads([_upload(data_dir, NEW_B)], store, work_dir=work)
    after = _per_month(store)
    assert query.open_store(store).version != opened.version
    assert set(after) == set(before) | {NEW_B}
    assert {m: after[m] for m in before} == before
    assert after[NEW_B] == len(rawdata.la_rows(stores.month_file(data_dir, NEW_B)))
    assert added.check.new_months == [NEW_B] and "added 1 month (2021-09)" in added.summary()
    # The session that was already open still reads its own (old) file consistently.
    assert NEW_B not in query.months(opened)


def test_two_adds_in_one_process_keep_both_months(data_dir, store, work):
    """A build run by the app must read the current store, not one this process opened earlier."""
    query.open_store(store)
    ingest.add_uploads([_upload(data_dir, NEW_A)], store, work_dir=work)
    query.open_store(store)
    ingest.add_uploads([_upload(data_dir, NEW_B, gz=False)], store, work_dir=work)
    months = query.months(query.open_store(store))
    assert months[-2:] == [NEW_A, NEW_B]
    assert months == stores.all_months(data_dir)


def test_a_loaded_month_is_replaced_only_when_asked(data_dir, store, work):
    raw = _raw_rows(data_dir, LOADED)
    bnes = [r for r in raw if r["LSOA name"].startswith(rawdata.LA_PREFIX)]
    kept = bnes[::2]  # a republished month with fewer rows
    upload = ingest.Upload(f"{LOADED}-avon-and-somerset-street.csv", _csv_bytes(list(STREET_COLUMNS), kept))
    before_bytes, before = store.read_bytes(), _per_month(store)

    check = ingest.check_uploads([upload], store, work_dir=work)
    assert not check.ok
    assert check.problems == [
        f"{LOADED} is already loaded; tick 'Replace months already loaded' to replace it with {upload.name}."
    ]
    with pytest.raises(AreaprofileError, match="already loaded"):
        ingest.add_uploads([upload], store, work_dir=work)
    assert store.read_bytes() == before_bytes

    added = ingest.add_uploads([upload], store, replace=True, work_dir=work)
    after = _per_month(store)
    assert added.check.replaced_months == [LOADED]
    assert after[LOADED] == len(kept) != before[LOADED]
    assert {m: n for m, n in after.items() if m != LOADED} == {m: n for m, n in before.items() if m != LOADED}


# ---- refusals ---------------------------------------------------------------------------------


def _bomb_csv(megabytes: int) -> bytes:
    return ",".join(STREET_COLUMNS).encode() + b"\n" + b"0" * (megabytes * 1024 * 1024)


def _symlink_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(f"{NEW_A}/{NEW_A}-avon-and-somerset-street.csv")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def _encrypted_zip(data_dir) -> bytes:
    raw = bytearray(_zip({f"{NEW_A}/{NEW_A}-avon-and-somerset-street.csv": b"x"}, zipfile.ZIP_STORED))
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = raw.index(signature) + offset
        raw[at] |= 0x01  # the 'encrypted' flag, as a password-protected zip has it
    return bytes(raw)


def _not_bnes(data_dir) -> bytes:
    rows = [r for r in _raw_rows(data_dir, NEW_A) if not r["LSOA name"].startswith(rawdata.LA_PREFIX)][:500]
    return _csv_bytes(list(STREET_COLUMNS), rows)


def _wrong_header(data_dir) -> bytes:
    text = stores.month_csv(data_dir, NEW_A).decode()
    return text.replace("Crime type", "Offence", 1).encode()


STREET_A = f"{NEW_A}-avon-and-somerset-street.csv"
REFUSALS = {
    "file over the size limit": (
        lambda d: [_upload(d, NEW_A)], {"max_upload_bytes": 100_000}, "over the 98 KB limit for one file"),
    "zip path outside the folder (..)": (
        lambda d: [ingest.Upload("download.zip", _zip({f"../../{STREET_A}": stores.month_csv(d, NEW_A)}))], {},
        "holds a file with a path outside its folder ('../../"),
    "zip absolute path": (
        lambda d: [ingest.Upload("download.zip", _zip({f"/tmp/{STREET_A}": stores.month_csv(d, NEW_A)}))], {},
        "path outside its folder ('/tmp/"),
    "zip backslash path": (
        lambda d: [ingest.Upload("download.zip", _zip({f"..\\..\\{STREET_A}": stores.month_csv(d, NEW_A)}))], {},
        "path outside its folder"),
    "zip holding a link": (lambda d: [ingest.Upload("download.zip", _symlink_zip())], {}, "holds a link"),
    "password-protected zip": (
        lambda d: [ingest.Upload("download.zip", _encrypted_zip(d))], {}, "is password-protected"),
    "zip bomb (ratio)": (
        lambda d: [ingest.Upload("download.zip", _zip({f"{NEW_A}/{STREET_A}": _bomb_csv(30)}))], {},
        "beyond the safe limit of 100"),
    "zip beyond the total size": (
        lambda d: [ingest.Upload("download.zip", _zip({f"{NEW_A}/{STREET_A}": stores.month_csv(d, NEW_A)}))],
        {"max_expanded_bytes": 1024 * 1024}, "download.zip would expand to more than 1.0 MB"),
    "gzip bomb": (
        lambda d: [ingest.Upload(STREET_A + ".gz", gzip.compress(_bomb_csv(30)))], {},
        "would expand beyond the safe limit"),
    "not a street file (name)": (
        lambda d: [ingest.Upload("notes.txt", b"Crime ID,Month\n")], {}, "notes.txt is not a police.uk street file"),
    "not a street file (columns)": (
        lambda d: [ingest.Upload(STREET_A, _wrong_header(d))], {}, "not a police.uk street file (missing Crime type"),
    "zip with no street files": (
        lambda d: [ingest.Upload("download.zip", _zip({"2021-08/2021-08-avon-and-somerset-outcomes.csv": b"a\n"}))], {},
        "holds no police.uk street files"),
    "a month given twice": (
        lambda d: [_upload(d, NEW_A), _upload(d, NEW_A, gz=False)], {}, "is given twice"),
    "no B&NES rows": (
        lambda d: [ingest.Upload(STREET_A, _not_bnes(d))], {}, "none of its 500 rows are in Bath and North East Somerset"),
    "not a zip at all": (
        lambda d: [ingest.Upload("download.zip", b"PK\x03\x04 not really")], {}, "is not a readable zip file"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refused_with_one_sentence_and_nothing_changed(case, data_dir, store, work, tmp_path):
    make, limit_overrides, expected = REFUSALS[case]
    limits = ingest.Limits(**limit_overrides)
    uploads = make(data_dir)
    before = store.read_bytes()
    outside_before = sorted(p.name for p in tmp_path.iterdir())

    check = ingest.check_uploads(uploads, store, limits=limits, work_dir=work)
    assert not check.ok
    assert any(expected in p for p in check.problems), check.problems
    for problem in check.problems:
        assert "\n" not in problem and problem.endswith(".") and "Traceback" not in problem
        assert str(work) not in problem, "the private folder's path leaked into a message"
    with pytest.raises(AreaprofileError) as refused:
        ingest.add_uploads(uploads, store, limits=limits, work_dir=work)
    assert refused.value.message == check.problems[0]

    assert store.read_bytes() == before
    assert stores.leftovers(store) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == outside_before, "a file was written outside the upload folder"
    assert not list(tmp_path.rglob(STREET_A)), "a zip entry was unpacked"


def test_a_browser_sent_path_is_never_used_as_one(data_dir, store, work, tmp_path):
    upload = _upload(data_dir, NEW_A, name=f"../../{NEW_A}-avon-and-somerset-street.csv.gz")
    check = ingest.check_uploads([upload], store, work_dir=work)
    assert check.ok and check.files[0].source == f"{NEW_A}-avon-and-somerset-street.csv.gz"
    assert not list(tmp_path.rglob(f"{NEW_A}-avon-and-somerset-street.csv*"))


def test_size_limits_come_from_settings(monkeypatch):
    monkeypatch.setenv("AREAPROFILE_MAX_UPLOAD_MB", "5")
    monkeypatch.setenv("AREAPROFILE_MAX_EXPANDED_MB", "20")
    limits = ingest.Limits.from_env()
    assert (limits.max_upload_bytes, limits.max_expanded_bytes) == (5 * ingest.MB, 20 * ingest.MB)
    monkeypatch.setenv("AREAPROFILE_MAX_UPLOAD_MB", "lots")
    with pytest.raises(AreaprofileError, match="not a number of megabytes"):
        ingest.Limits.from_env()


def test_server_upload_limit_is_above_the_page_limit():
    import tomllib

    config = tomllib.loads((Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * ingest.MB >= ingest.Limits().max_upload_bytes


# ---- who may upload ---------------------------------------------------------------------------


@pytest.fixture
def page(monkeypatch, store, tmp_path):
    """The Add data page on a private store and register holding an editor and an admin account."""
    from streamlit.testing.v1 import AppTest

    from areaprofile.register import accounts, db

    register_path = tmp_path / "register.sqlite"
    reg = db.open_register(register_path)
    accounts.add_user(reg, "Eddie Editor", "editor password 1", "editor", areas=["Bath"], by="test")
    accounts.add_user(reg, "Ada Admin", "admin password 1", "admin", by="test")
    monkeypatch.setenv("AREAPROFILE_STORE", str(store))
    monkeypatch.setenv("AREAPROFILE_REGISTER", str(register_path))
    root = Path(__file__).resolve().parents[1]
    yield lambda: AppTest.from_file(str(root / "views" / "add_data.py"), default_timeout=60)
    db.close_register(reg)


def _has_uploader(at) -> bool:
    return len(at.get("file_uploader")) > 0


def _sign_in(at, name: str, password: str):
    at.text_input[0].input(name)
    at.text_input[1].input(password)
    at.button[0].click().run()
    return at


def test_only_an_admin_account_sees_the_uploader(page):
    at = page().run()
    assert not at.exception and not _has_uploader(at)
    assert at.subheader[0].value == "Sign in to add police.uk data"
    _sign_in(at, "Ada Admin", "wrong password")
    assert at.error[0].value == "That name and password do not match an account; check both and try again."
    assert not _has_uploader(at)

    editor = _sign_in(page().run(), "Eddie Editor", "editor password 1")
    assert not editor.exception and not _has_uploader(editor)
    assert "Only admins can add police.uk data" in editor.warning[0].value

    admin = _sign_in(page().run(), "Ada Admin", "admin password 1")
    assert not admin.exception and _has_uploader(admin)
    assert len(admin.text_input) == 0
