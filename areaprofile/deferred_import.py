"""A module imported the first time one of its names is used, not when the importing module is.

pandas (with pyarrow) is 0.25-0.4 s of imports here. The map page's first run and the warm-up
before it need none of it (their queries answer in plain rows), and on this two-core machine every
tenth of a second of imports on the server's warm-up thread delayed a first visitor's map by about
two tenths. So the modules that serve the map name pandas through :func:`module`, and it is
imported by the first function that uses it.

This is not :class:`importlib.util.LazyLoader`, which is not safe when two threads first touch the
module at once (Python 3.11): here the first use is an ordinary, locked ``import``.
"""

from __future__ import annotations

import importlib
from types import ModuleType


class DeferredModule:
    """Stands for a module: ``pd.DataFrame`` imports pandas (once) and returns its ``DataFrame``."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attribute: str):
        return getattr(self.loaded(), attribute)

    def loaded(self) -> ModuleType:
        """The module, imported at the first call and kept: per-row uses (``pd.isna`` in a loop)
        then cost an attribute lookup, not an import-system call each."""
        module = self.__dict__.get("_module")
        if module is None:
            module = self.__dict__["_module"] = importlib.import_module(self._name)
        return module

    def __repr__(self) -> str:
        return f"<deferred module {self._name!r}>"


def module(name: str) -> DeferredModule:
    """``pd = module("pandas")`` in place of ``import pandas as pd``."""
    return DeferredModule(name)
