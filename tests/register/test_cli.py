"""The register's CLI, run as a person runs it (subprocesses): every command, one-line errors
with a non-zero exit and no traceback, passwords never on the command line."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "areaprofile", *args], cwd=ROOT, input=stdin, capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


def ok(*args: str, **kwargs) -> str:
    result = run(*args, **kwargs)
    assert result.returncode == 0, result.stderr
    return result.stdout


def refused(*args: str, **kwargs) -> str:
    result = run(*args, **kwargs)
    assert result.returncode == 2 and "Traceback" not in result.stderr and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("areaprofile: ")
    return lines[0]


def test_the_concerns_commands_end_to_end(tmp_path, built_store):
    reg = ["--register", str(tmp_path / "register.sqlite")]
    new_id = ok("concerns", "add", "--area", "keynsham", "--title", "Dealing by the <b>park</b>", "--raised", "2020-03-10",
                "--crime-type", "Drugs", "--priority", "serious-organised-crime", "--summary", "Seen most evenings",
                "--by", "alice", *reg).strip()
    assert new_id.startswith("keynsham-2020-03-10-")
    ok("concerns", "action", new_id, "--date", "2020-04-01", "--text", "Warrant executed", "--who", "Keynsham NPT",
       "--by", "bob", *reg)
    assert "in-progress" in ok("concerns", "set-status", new_id, "in-progress", "--date", "2020-04-02", "--by", "bob",
                               "--expect-version", "2", *reg)
    message = refused("concerns", "set-status", new_id, "closed", "--date", "2020-04-03", "--by", "carol",
                      "--expect-version", "2", *reg)
    assert "Changed by bob at" in message and "reload to see their change" in message

    listing = json.loads(ok("concerns", "list", "--area", "Keynsham", "--format", "json", "--store", str(built_store), *reg))
    mine = next(c for c in listing if c["id"] == new_id)
    assert mine["version"] == 3 and mine["status"] == "in-progress" and mine["areas"] == ["Keynsham"]
    assert mine["title"] == "Dealing by the <b>park</b>"
    assert mine["actions"] == [{"date": "2020-04-01", "text": "Warrant executed", "by": "Keynsham NPT"}]
    since = mine["evidence"]["since"]
    counted = json.loads(ok("counts", "--by", "area", "--area", "Keynsham", "--crime-type", "Drugs", "--from",
                            since["start"], "--to", since["end"], "--format", "json", "--store", str(built_store)))
    assert mine["evidence"]["count"] == counted[0]["count"]
    statuses = [c["status"] for c in listing]
    assert statuses.index("in-progress") > max(i for i, s in enumerate(statuses) if s == "open")
    only = json.loads(ok("concerns", "list", "--status", "in-progress", "--store", str(built_store), *reg))
    assert [c["id"] for c in only] == [new_id]
    rows = list(csv.DictReader(io.StringIO(ok("concerns", "list", "--format", "csv", "--store", str(built_store), *reg))))
    assert len(rows) == 31 and rows[-1]["id"] == new_id and rows[-1]["latest_action"] == "Warrant executed"

    history = json.loads(ok("concerns", "history", new_id, "--format", "json", *reg))
    assert [(h["change"], h["account"]) for h in history] == [("add", "alice"), ("action", "bob"), ("status", "bob")]

    exported = tmp_path / "register.csv"
    assert "31 concerns" in ok("concerns", "export", str(exported), *reg)
    assert "31 unchanged" in ok("concerns", "import", str(exported), "--by", "dave", *reg)
    exported.write_text(exported.read_text(encoding="utf-8").replace("Keynsham", "Gotham", 1), encoding="utf-8")
    assert "Unknown area 'Gotham'" in refused("concerns", "import", str(exported), "--by", "dave", *reg)

    assert "removed" in ok("concerns", "remove", new_id, "--reason", "Duplicate", "--by", "erin", *reg)
    assert "restored as in-progress" in ok("concerns", "restore", new_id, "--by", "erin", *reg)
    assert "Unknown area 'Atlantis'" in refused("concerns", "add", "--area", "Atlantis", "--title", "x", "--raised",
                                                "2020-01-01", "--crime-type", "Drugs", "--by", "a", *reg)
    assert "There is no concern 'nope'" in refused("concerns", "history", "nope", *reg)
    # The knowledge-base form of the command is unchanged.
    assert json.loads(ok("concerns", "--area", "Bath", "--format", "json", "--store", str(built_store)))[0]["id"] == "bath-drugs-market"


def test_users_get_their_password_from_stdin_or_the_environment_never_argv(tmp_path):
    reg = ["--register", str(tmp_path / "register.sqlite")]
    assert "added as editor for Bath, Keynsham" in ok("users", "add", "Alice", "--role", "editor", "--areas", "Bath",
                                                      "keynsham", *reg, stdin="correct horse battery\n")
    ok("users", "add", "Root", "--role", "admin", *reg, env={"AREAPROFILE_PASSWORD": "another long secret"})
    listed = json.loads(ok("users", "list", "--format", "json", *reg))
    assert [(u["name"], u["role"], u["areas"]) for u in listed] == [("Alice", "editor", ["Bath", "Keynsham"]),
                                                                     ("Root", "admin", [])]
    assert "at least 10 characters" in refused("users", "add", "Bob", "--role", "admin", *reg, stdin="short\n")
    assert "already an account" in refused("users", "add", "alice", "--role", "admin", *reg, stdin="long enough pw\n")
    assert run("users", "add", "Eve", "--role", "admin", "--password", "x", *reg).returncode == 2  # no such option


@pytest.mark.parametrize("location", ["postgresql"])
def test_the_cli_reads_a_postgresql_register_from_the_environment(postgres_server, location):
    url = postgres_server.new_database()
    new_id = ok("concerns", "add", "--area", "Bath", "--title", "On PostgreSQL", "--raised", "2021-01-01",
                "--crime-type", "Robbery", "--by", "alice", env={"AREAPROFILE_REGISTER": url}).strip()
    listing = json.loads(ok("concerns", "list", "--status", "open", env={"AREAPROFILE_REGISTER": url,
                                                                         "AREAPROFILE_STORE": "/nonexistent/x.duckdb"}))
    assert new_id in {c["id"] for c in listing}
