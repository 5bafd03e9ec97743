"""areaprofile.template_cache: Jinja templates compiled once, read back, and never stale."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import jinja2
import pytest

from areaprofile.template_cache import reusing_compiled_templates

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """Every template text Jinja parses (compiles from text) while the test runs."""
    seen: list[str] = []
    parse = jinja2.Environment._parse

    def counting(self, source, name, filename):
        seen.append(source)
        return parse(self, source, name, filename)

    monkeypatch.setattr(jinja2.Environment, "_parse", counting)
    return seen


def _files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*")) if folder.is_dir() else []


def test_a_template_is_compiled_once_then_read_back(tmp_path, parses):
    with reusing_compiled_templates(tmp_path):
        first = jinja2.Template("Hello {{ name }}!")
    assert len(_files(tmp_path)) == 1 and len(parses) == 1
    with reusing_compiled_templates(tmp_path):
        again = jinja2.Environment().from_string("Hello {{ name }}!")
    assert len(parses) == 1, "the second compile should have been read from the folder"
    assert first.render(name="Keynsham") == again.render(name="Keynsham") == "Hello Keynsham!"


def test_only_the_thread_inside_the_block_keeps_templates(tmp_path, parses):
    def elsewhere():
        jinja2.Template("{{ 1 + 1 }} from another thread")

    with reusing_compiled_templates(tmp_path):
        other = threading.Thread(target=elsewhere)
        other.start()
        other.join()
    jinja2.Template("{{ 2 + 2 }} after the block")
    assert _files(tmp_path) == [] and len(parses) == 2


def test_a_changed_text_or_setting_is_a_new_file_never_a_stale_one(tmp_path):
    text = "{% if x %}\n{{ x }}\n{% endif %}\nend"
    with reusing_compiled_templates(tmp_path):
        plain = jinja2.Environment().from_string(text).render(x="a")
        trimmed = jinja2.Environment(trim_blocks=True).from_string(text).render(x="a")
        other = jinja2.Environment().from_string(text + "!").render(x="a")
    assert plain == "\na\n\nend" and trimmed == "a\nend" and other == "\na\n\nend!"
    def chooser(escape: bool) -> jinja2.Environment:  # the same function, deciding differently
        return jinja2.Environment(autoescape=jinja2.select_autoescape(default_for_string=escape))

    with reusing_compiled_templates(tmp_path):
        assert chooser(True).from_string("{{ x }}").render(x="<b>") == "&lt;b&gt;"
        assert chooser(False).from_string("{{ x }}").render(x="<b>") == "<b>"
    assert len(_files(tmp_path)) == 5
    with reusing_compiled_templates(tmp_path):  # read back, each still its own
        assert jinja2.Environment(trim_blocks=True).from_string(text).render(x="a") == trimmed
        assert jinja2.Environment().from_string(text).render(x="a") == plain


def test_a_damaged_file_or_an_unwritable_folder_only_means_compiling(tmp_path, parses):
    with reusing_compiled_templates(tmp_path):
        jinja2.Template("{{ a }}-{{ b }}")
    (kept,) = _files(tmp_path)
    kept.write_bytes(b"\x00not marshal")
    with reusing_compiled_templates(tmp_path):
        assert jinja2.Template("{{ a }}-{{ b }}").render(a=1, b=2) == "1-2"
    assert len(parses) == 2 and kept.read_bytes() != b"\x00not marshal", "the damaged file is replaced"

    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    with reusing_compiled_templates(not_a_folder):
        assert jinja2.Template("{{ a }}+{{ b }}").render(a=1, b=2) == "1+2"


_MAP_IN_A_FRESH_PROCESS = textwrap.dedent("""
    import json, re, sys
    import jinja2
    parsed = []
    parse = jinja2.Environment._parse
    jinja2.Environment._parse = lambda self, *a: parsed.append(1) or parse(self, *a)
    from areaprofile.template_cache import reusing_compiled_templates
    if sys.argv[1]:
        with reusing_compiled_templates(sys.argv[1]):
            import folium.plugins
            from areaprofile import maps
    at_import = len(parsed)
    from areaprofile import maps
    shapes = json.load(open(sys.argv[2], encoding="utf-8"))
    for f in shapes["features"]:
        f["properties"]["value"] = int(f["properties"]["LSOA21CD"][3:]) % 97
    page = maps.map_html(maps.choropleth_map(shapes, "value", "LSOA21NM", [("LSOA21CD", "Code")], tiles=None))
    print(json.dumps({"parsed_at_import": at_import, "page": re.sub(r"[0-9a-f]{32}", "ID", page)}))
""")


def test_folium_starts_without_compiling_and_draws_the_same_map(tmp_path, data_dir):
    """Three fresh processes: without the cache, filling it, reading it; the map page is the same."""
    shapes = data_dir / "boundaries" / "lsoa21" / "E06000022_lsoa21_bgc.geojson"
    folder = tmp_path / "templates"

    def run(cache: str) -> dict:
        out = subprocess.run([sys.executable, "-c", _MAP_IN_A_FRESH_PROCESS, cache, str(shapes)], cwd=ROOT,
                             capture_output=True, text=True, timeout=300, check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    plain, filling, reading = run(""), run(str(folder)), run(str(folder))
    assert filling["parsed_at_import"] > 50, "folium and its plugins build their templates at import"
    assert reading["parsed_at_import"] == 0
    assert len(_files(folder)) == filling["parsed_at_import"]
    assert plain["page"] == filling["page"] == reading["page"]
