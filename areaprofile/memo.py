"""A cache for the hotspot computations, keyed by store version and bounded in bytes.

The hotspot, trend and forecast pages share intermediate results (the area's 250 m grid, its
months x cells counts, each method's scores). They are dear to compute (seconds) and some are
large (an area's month cube is ~2 MiB), so they are kept here, least recently used first out, up
to :data:`MAX_BYTES` in all: a server that many selections pass through keeps a bounded amount,
not one entry per selection ever asked for. A rebuilt store has a new version, so its answers are
never mixed with the old store's.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
from collections import OrderedDict

import numpy as np
import pandas as pd

#: Room for the intermediate results of about one selection of a whole partnership (~6.8 MiB measured).
MAX_BYTES = 8 * 2**20
_entries: OrderedDict = OrderedDict()  # key -> (value, bytes)
_lock = threading.Lock()
_total_bytes = 0


def size_of(value) -> int:
    """Roughly the bytes ``value`` keeps alive: arrays and frames by their data, containers and
    objects (a grid, a dataclass) by what they hold, each object counted once.

    Not the pickle's length: a GeoJSON layer of Python lists and floats takes several times its
    pickle in memory, and that is what the bound is for.
    """
    seen: set[int] = set()
    pending = [value]
    total = 0
    while pending:
        item = pending.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, np.ndarray):
            total += item.nbytes + 112
            if item.dtype == object:
                pending.extend(item.ravel())
        elif isinstance(item, (pd.DataFrame, pd.Series, pd.Index)):
            total += int(np.sum(item.memory_usage(deep=True)))
        elif isinstance(item, dict):
            total += sys.getsizeof(item)
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            total += sys.getsizeof(item)
            pending.extend(item)
        else:
            total += sys.getsizeof(item)
            if hasattr(item, "__dict__") and not isinstance(item, type):
                pending.append(vars(item))
            for slot in getattr(type(item), "__slots__", ()):
                if hasattr(item, slot):
                    pending.append(getattr(item, slot))
    return total


def memoised(function):
    """Cache ``function(store, *args)`` per store file and version (args must be hashable).

    A DataFrame is handed out as a copy, so a caller that changes it cannot change the cache.
    """
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(store, *args, **kwargs):
        bound = signature.bind(store, *args, **kwargs)
        bound.apply_defaults()  # grid(s, a) and grid(s, a, 250) share one entry
        key = (function.__module__, function.__qualname__, str(store.path), store.version,
               tuple(bound.arguments.items())[1:])
        with _lock:
            if key in _entries:
                _entries.move_to_end(key)
                return _handed_out(_entries[key][0])
        value = function(store, *args, **kwargs)
        _keep(key, value, size_of(value))
        return _handed_out(value)

    wrapper.uncached = function
    return wrapper


def _handed_out(value):
    return value.copy() if isinstance(value, pd.DataFrame) else value


def _keep(key, value, nbytes: int) -> None:
    global _total_bytes
    with _lock:
        if key in _entries:  # another thread computed it meanwhile
            _total_bytes -= _entries.pop(key)[1]
        _entries[key] = (value, nbytes)
        _total_bytes += nbytes
        while _total_bytes > MAX_BYTES and len(_entries) > 1:  # the newest stays, however large
            _total_bytes -= _entries.popitem(last=False)[1][1]


def held_bytes() -> int:
    """What the cache holds now, in bytes (as :func:`size_of` counts them)."""
    with _lock:
        return _total_bytes


def clear() -> None:
    """Forget everything (benchmarks that time a computation from scratch)."""
    global _total_bytes
    with _lock:
        _entries.clear()
        _total_bytes = 0
