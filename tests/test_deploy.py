"""The scheduling recipes in deploy/ run a command the CLI really accepts, as documented."""

from __future__ import annotations

import configparser
import shlex
from pathlib import Path

from areaprofile.cli import _parser

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"


def _cli_args(command: str) -> list[str]:
    words = shlex.split(command)
    at = next(i for i, w in enumerate(words) if w.endswith("/areaprofile"))
    return words[at + 1 :]


def test_systemd_service_runs_update_and_the_timer_starts_it():
    service = configparser.ConfigParser(strict=False, interpolation=None)
    service.optionxform = str
    service.read(DEPLOY / "systemd" / "areaprofile-update.service")
    args = _parser().parse_args(_cli_args(service["Service"]["ExecStart"]))
    assert args.command == "update" and args.quiet
    assert service["Service"]["Type"] == "oneshot"
    store = service["Service"]["Environment"].split("=", 1)[1]
    assert Path(store).parent.as_posix() in service["Service"]["ReadWritePaths"]  # lock, log and new store are written there

    timer = configparser.ConfigParser(strict=False, interpolation=None)
    timer.read(DEPLOY / "systemd" / "areaprofile-update.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"


def test_cron_line_runs_update():
    lines = [l for l in (DEPLOY / "cron" / "areaprofile-update.cron").read_text().splitlines() if l and not l.startswith("#") and "=" not in l.split()[0]]
    assert len(lines) == 1
    fields = lines[0].split(None, 6)
    assert len(fields) == 7 and fields[5] == "areaprofile"  # cron.d lines name the user
    command = fields[6].split("&&")[1].split(">")[0]
    args = _parser().parse_args(_cli_args(command))
    assert args.command == "update"
