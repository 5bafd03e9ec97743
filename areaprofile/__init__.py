"""areaprofile: community-safety area profiles for Bath and North East Somerset."""

__version__ = "0.1.0"
