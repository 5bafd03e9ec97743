"""Compiled Jinja templates kept on disk, as Python keeps compiled modules in ``__pycache__``.

folium, branca and folium.plugins build ~90 Jinja templates while they are imported, and Jinja
compiles each one from its text on every start: ~0.18 s of a fresh server's ~0.8 s of imports
before the first map, on the one thread that has Python's lock while a first visitor waits (measured,
bench/README, issue 12). Inside :func:`reusing_compiled_templates` a template compiled on that
thread is written to :data:`FOLDER` once and read back (``marshal``) on every later start.

- Only the thread inside the block uses the cache: a visitor's page run, compiling the one-off
  templates folium makes of every rendered map (their text holds fresh element ids), never does,
  so the folder holds the import-time templates only and does not grow with use.
- A file is named by a hash of everything the compiled code depends on: the template's text, its
  name, and the environment's syntax and compiler settings; the folder by the Python and Jinja
  versions. A changed template is a new file, never a stale one.
- A file that cannot be read or written (a read-only install, a truncated file) means the template
  is compiled as before; it never stops an import. ``scripts/setup.sh`` and the Dockerfile fill the
  folder while installing (``python -m areaprofile.template_cache``), so even the first start reads it.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
import threading
import types
from contextlib import contextmanager
from pathlib import Path

import jinja2

#: Beside the package, like ``__pycache__`` itself (and ignored by git with it).
FOLDER = Path(__file__).resolve().parent / "__pycache__" / f"jinja-{sys.implementation.cache_tag}-{jinja2.__version__}"

_compile_from_text = jinja2.Environment.compile
_lock = threading.Lock()
#: Thread id -> the folder that thread's compiles are kept in, while inside the block.
_folders: dict[int, Path] = {}


def _settings(environment: jinja2.Environment, name: str | None) -> tuple:
    """What, besides the text, decides the code Jinja makes of template ``name`` in ``environment``."""
    def named(value):
        return value if value is None or isinstance(value, (bool, str)) else f"{value.__module__}.{value.__qualname__}"

    autoescape = environment.autoescape(name) if callable(environment.autoescape) else environment.autoescape
    return (
        f"{type(environment).__module__}.{type(environment).__qualname__}",
        environment.block_start_string, environment.block_end_string, environment.variable_start_string,
        environment.variable_end_string, environment.comment_start_string, environment.comment_end_string,
        environment.line_statement_prefix, environment.line_comment_prefix, environment.trim_blocks,
        environment.lstrip_blocks, environment.newline_sequence, environment.keep_trailing_newline,
        environment.optimized, environment.is_async, bool(autoescape), named(environment.finalize),
        tuple(sorted(environment.extensions)), tuple(sorted(environment.filters)), tuple(sorted(environment.tests)),
        tuple(sorted((k, repr(v)) for k, v in environment.policies.items() if k.startswith(("compiler.", "ext.")))),
    )


def _compile(self, source, name=None, filename=None, raw=False, defer_init=False):
    folder = _folders.get(threading.get_ident())
    if folder is None or raw or not isinstance(source, str):
        return _compile_from_text(self, source, name, filename, raw, defer_init)
    key = repr((source, name, filename, defer_init, _settings(self, name))).encode("utf-8", "surrogatepass")
    path = folder / hashlib.sha256(key).hexdigest()
    try:
        code = marshal.loads(path.read_bytes())
        if isinstance(code, types.CodeType):
            return code
    except (OSError, ValueError, EOFError, TypeError):
        pass  # not kept yet, or unreadable: compile it as Jinja would
    code = _compile_from_text(self, source, name, filename, raw, defer_init)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        partial.write_bytes(marshal.dumps(code))
        os.replace(partial, path)  # whole or not at all, even with two servers starting at once
    except OSError:
        pass  # a read-only install: compiled every time, as without the cache
    return code


@contextmanager
def reusing_compiled_templates(folder: Path | None = None):
    """Within the block, templates this thread compiles are read from (or written to) ``folder``."""
    with _lock:
        if jinja2.Environment.compile is not _compile:
            jinja2.Environment.compile = _compile
    me = threading.get_ident()
    outer = _folders.get(me)
    _folders[me] = Path(folder) if folder is not None else FOLDER
    try:
        yield
    finally:
        if outer is None:
            _folders.pop(me, None)
        else:
            _folders[me] = outer


def fill(folder: Path | None = None) -> int:
    """Import folium's templates inside the block; how many files the folder then holds."""
    with reusing_compiled_templates(folder):
        import folium.plugins  # noqa: F401  (imports folium and branca)

        from areaprofile import maps  # noqa: F401  (the map's own templates)
    target = Path(folder) if folder is not None else FOLDER
    return sum(1 for _ in target.glob("*")) if target.is_dir() else 0


if __name__ == "__main__":
    print(f"{fill()} compiled Jinja templates in {FOLDER}")
