"""deferred_import: a module named now and imported at its first use, once, from any thread."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys, threading
from areaprofile import deferred_import
json_module = deferred_import.module("json")
decimal = deferred_import.module("decimal")
print("before", "decimal" in sys.modules)
found = []
threads = [threading.Thread(target=lambda: found.append(decimal.Decimal("1.5"))) for _ in range(8)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print("after", "decimal" in sys.modules, len(found), all(value == found[0] for value in found))
print("same", decimal.loaded() is sys.modules["decimal"], json_module.dumps([1]), repr(decimal))
"""


def test_a_deferred_module_is_imported_at_its_first_use_from_any_thread():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines() == [
        "before False", "after True 8 True", "same True [1] <deferred module 'decimal'>"]


def test_the_map_pages_modules_import_without_pandas():
    """ui, profile, places and update_log name pandas but do not import it (deferred_import); folium
    (maps) would, unless imported as the warm-up does (tests/test_serving.py)."""
    done = subprocess.run([sys.executable, "-c", "import sys\nfrom areaprofile import completeness, places, "
                           "profile, ui, update_log\nprint('pandas' in sys.modules, type(profile.pd).__name__)"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "False DeferredModule"
