"""ui_signin keeps the register's modules off an anonymous visitor's path: app.py draws the account
box on every page, and SQLAlchemy and argon2 are ~0.17 s of imports (real app, real store, AppTest
in a fresh process so its imports are its own)."""

from __future__ import annotations

import os
import subprocess
import sys

PROBE = """
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file("app.py", default_timeout=180).run()
assert not at.exception, at.exception
at.switch_page("views/map.py").run()
assert not at.exception, at.exception
assert at.title[0].value.startswith("Map"), at.title[0].value
print(sorted(m for m in ("sqlalchemy", "argon2", "alembic") if m in sys.modules))
"""


def test_an_anonymous_visitors_profile_and_map_never_import_the_register(built_store, tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, cwd=root,
                          env={**os.environ, "AREAPROFILE_STORE": str(built_store),
                               "AREAPROFILE_REGISTER": str(tmp_path / "register.sqlite")})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"
