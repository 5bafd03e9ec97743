"""areaprofile: community-safety area profiles for any community safety partnership (see partnership.py)."""

__version__ = "0.1.0"
