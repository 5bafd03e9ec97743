"""The living concerns register: what each forum raised and what was done ("You said, we did").

People's data, kept apart from the police.uk store (this package never imports the store, and
the store never imports it): :mod:`.db` opens and migrates it, :mod:`.models` holds its schema,
:mod:`.concerns` changes and lists concerns and actions, :mod:`.accounts` signs people in,
:mod:`.exchange` exports and imports it. See docs/register-api.md... or /work/notes/register-api.md.
"""

from areaprofile.register.db import Register, open_register

__all__ = ["Register", "open_register"]
