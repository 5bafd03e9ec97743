"""The dashboard's pages as app.py lists them, read from its source, so a test that walks every
page covers a page added there without being edited."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def app_pages() -> list[tuple[str, str]]:
    """(file, URL path) of each st.Page(...) in app.py, in order."""
    pages = []
    for node in ast.walk(ast.parse((ROOT / "app.py").read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page" and node.args:
            file = node.args[0].value
            keywords = {k.arg: getattr(k.value, "value", None) for k in node.keywords}
            if keywords.get("default"):
                path = "/"
            else:
                path = "/" + (keywords.get("url_path") or Path(file).stem)
            pages.append((file, path))
    return pages
