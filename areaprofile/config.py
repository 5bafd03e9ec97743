"""Fixed vocabulary shared by every module: the five forum areas, the published crime types,
and where things live by default."""

from __future__ import annotations

import os
from pathlib import Path

#: The five B&NES area forums, in the order they are shown everywhere.
AREAS: tuple[str, ...] = ("Bath", "Bathavon", "Chew Valley", "Keynsham", "Somer Valley")

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

#: Default local authority: Bath and North East Somerset.
DEFAULT_LA_CODE = "E06000022"
DEFAULT_LA_NAME = "Bath and North East Somerset"

#: Default police force: its data.police.uk id (file and URL names) and the name its rows carry.
DEFAULT_FORCE_ID = "avon-and-somerset"
DEFAULT_FORCE_NAME = "Avon and Somerset Constabulary"

PROJECT_ROOT = Path(__file__).resolve().parent.parent
AREAS_YAML = PROJECT_ROOT / "geo" / "areas.yaml"
KNOWLEDGE_DIR = PROJECT_ROOT / "data" / "knowledge"


def default_store_path() -> Path:
    """The store the app, CLI and reports open unless told otherwise."""
    return Path(os.environ.get("AREAPROFILE_STORE", PROJECT_ROOT / "store" / "areaprofile.duckdb"))
