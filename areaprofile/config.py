"""Fixed vocabulary shared by every module: the published crime types and where things live by
default. Everything about a place (its areas, LA, force, caveats) is a partnership setting:
see :mod:`areaprofile.partnership`."""

from __future__ import annotations

import os
from pathlib import Path

#: Crime types exactly as data.police.uk publishes them in the street files.
ASB = "Anti-social behaviour"
CRIME_TYPES: tuple[str, ...] = (
    "Anti-social behaviour",
    "Bicycle theft",
    "Burglary",
    "Criminal damage and arson",
    "Drugs",
    "Other crime",
    "Other theft",
    "Possession of weapons",
    "Public order",
    "Robbery",
    "Shoplifting",
    "Theft from the person",
    "Vehicle crime",
    "Violence and sexual offences",
)

#: Slugs used by the police.uk JSON API, mapped to the published type names.
CRIME_TYPE_BY_SLUG: dict[str, str] = {
    "anti-social-behaviour": "Anti-social behaviour",
    "bicycle-theft": "Bicycle theft",
    "burglary": "Burglary",
    "criminal-damage-arson": "Criminal damage and arson",
    "drugs": "Drugs",
    "other-crime": "Other crime",
    "other-theft": "Other theft",
    "possession-of-weapons": "Possession of weapons",
    "public-order": "Public order",
    "robbery": "Robbery",
    "shoplifting": "Shoplifting",
    "theft-from-the-person": "Theft from the person",
    "vehicle-crime": "Vehicle crime",
    "violent-crime": "Violence and sexual offences",
}

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: One settings file per partnership: geo/<LA code>.yaml.
GEO_DIR = PROJECT_ROOT / "geo"


def default_store_path() -> Path:
    """The store the app, CLI and reports open unless told otherwise."""
    return Path(os.environ.get("AREAPROFILE_STORE", PROJECT_ROOT / "store" / "areaprofile.duckdb"))


#: Names that used to be constants here and are now settings of the default partnership.
_MOVED = {
    "AREAS": lambda p: p.area_names,
    "DEFAULT_LA_CODE": lambda p: p.la_code,
    "DEFAULT_LA_NAME": lambda p: p.la_name,
    "KNOWLEDGE_DIR": lambda p: p.knowledge_dir,
}


def __getattr__(name: str):
    """Old constants, for code written before partnerships were settings.

    They describe the DEFAULT partnership only, whatever store is open: new code asks
    ``partnership.of_store(store)`` (``.area_names``, ``.la_code``, ``.knowledge_dir``).
    """
    if name in _MOVED:
        import warnings

        from areaprofile import partnership

        warnings.warn(f"config.{name} is the default partnership's; use partnership.of_store(store).", DeprecationWarning,
                      stacklevel=2)
        return _MOVED[name](partnership.default())
    raise AttributeError(f"module 'areaprofile.config' has no attribute '{name}'")
