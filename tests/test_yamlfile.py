"""yamlfile reads every YAML file the project ships exactly as PyYAML's safe loader does, with
the C loader where PyYAML has one, and says where a broken file breaks."""

from pathlib import Path

import pytest
import yaml

from areaprofile import yamlfile
from areaprofile.config import GEO_DIR, PROJECT_ROOT

SHIPPED = sorted(GEO_DIR.glob("*.yaml")) + sorted((PROJECT_ROOT / "data").rglob("*.yaml"))


def test_the_c_loader_is_used_when_pyyaml_has_it():
    assert SHIPPED, "no YAML files found to check"
    if yaml.__with_libyaml__:
        assert yamlfile.SafeLoader is yaml.CSafeLoader


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(Path(p).relative_to(PROJECT_ROOT)))
def test_same_document_as_the_python_safe_loader(path):
    text = path.read_text(encoding="utf-8")
    assert yamlfile.safe_load(text) == yaml.safe_load(text)


def test_a_broken_file_says_on_which_line():
    with pytest.raises(yaml.YAMLError) as raised:
        yamlfile.safe_load("plans:\n  - id: a\n    title: [unclosed\n")
    assert raised.value.problem_mark.line >= 2


def test_python_objects_are_refused():
    with pytest.raises(yaml.YAMLError):
        yamlfile.safe_load("!!python/object/apply:os.system ['true']")
