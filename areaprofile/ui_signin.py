"""Streamlit glue for personal accounts: sign in, sign out, sign out after inactivity.

Reading stays open to everyone; only changing the register (and adding data) needs an
account. Passwords, the limit on failed sign-ins and roles live in
:mod:`areaprofile.register.accounts`; this module only keeps the signed-in account in the
session and draws the form. When ``[auth]`` is set in ``.streamlit/secrets.toml`` a council
sign-in button (``st.login``, OpenID Connect) is offered too: the council account's e-mail
address must match an account name in the register.

app.py draws :func:`account_box` on every page, so this module is imported on every run; the register's
modules (SQLAlchemy, argon2: ~0.17 s to import) are imported only once an account is in play, so an
anonymous visitor's map or profile, and a restarted server's first visit, never wait for them.
"""

from __future__ import annotations

import datetime as dt
import os
from typing import TYPE_CHECKING

import streamlit as st

from areaprofile.errors import AreaprofileError
from areaprofile.ui import literal

if TYPE_CHECKING:
    from areaprofile.register.accounts import User
    from areaprofile.register.db import Register

_USER = "_register_user"
_SEEN = "_register_seen"
_FLASH = "_register_flash"


def register() -> Register:
    """The register that goes with the store this app serves (:func:`register_of`), or one
    sentence on the page when it cannot be opened."""
    from areaprofile import ui

    try:
        return register_of(ui.store())
    except AreaprofileError as exc:
        st.error(exc.message)
        st.stop()


def register_of(store) -> Register:
    """The register that goes with ``store``: $AREAPROFILE_REGISTER, else ``register.sqlite``
    beside the store (``store/register.sqlite`` by default), opened (and, when new, set up) once
    per process.

    One server serves one store, so one partnership: the store's partnership is passed to the
    register, which takes it when new and is refused (:class:`AreaprofileError`) when it belongs
    to another partnership.
    """
    from areaprofile import partnership
    from areaprofile.register.db import ENV_VAR, open_register

    return open_register(os.environ.get(ENV_VAR) or store.path.parent / "register.sqlite",
                         partnership.of_store(store))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def council_sign_in_configured() -> bool:
    """True when ``[auth]`` is in the server's secrets (OIDC); no secrets file is simply 'no'."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - a missing or unreadable secrets file means not configured
        return False


def _council_user() -> User | None:
    if not council_sign_in_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    from areaprofile.register import accounts

    email = str(st.user.get("email") or "")
    return accounts.get_user(register(), email) if email else None


def current_user() -> User | None:
    """The signed-in account, or None. A session idle for longer than the limit is signed out
    here (with a note for the next page), so an unattended laptop does not stay able to edit."""
    user = st.session_state.get(_USER)
    if user is None:
        user = _council_user()
        if user is not None:
            st.session_state[_USER] = user
    if user is None:
        return None
    from areaprofile.register import accounts

    if accounts.session_expired(st.session_state.get(_SEEN), _now()):
        minutes = int(accounts.idle_limit().total_seconds() // 60)
        sign_out(f"You were signed out after {minutes} minutes without activity; sign in again to make changes.")
        return None
    # The account may have been switched off since it signed in.
    fresh = accounts.get_user(register(), user.name)
    if fresh is None:
        sign_out("Your account is no longer active; ask an admin.")
        return None
    st.session_state[_USER] = fresh
    st.session_state[_SEEN] = _now()
    return fresh


def sign_out(note: str | None = None) -> None:
    st.session_state.pop(_USER, None)
    st.session_state.pop(_SEEN, None)
    if note:
        st.session_state[_FLASH] = note
    if council_sign_in_configured() and getattr(st.user, "is_logged_in", False):
        st.logout()


def account_box() -> None:
    """In the sidebar: who is signed in, with a Sign out button (nothing when nobody is)."""
    user = current_user()
    if user is None:
        return
    with st.sidebar:
        st.divider()
        where = "all areas" if user.is_admin else (", ".join(user.areas) or "no area")
        st.markdown(f"Signed in as **{literal(user.name)}** ({user.role}, {literal(where)})")
        if st.button("Sign out", key="sign_out", icon=":material/logout:"):
            sign_out("You are signed out.")
            st.rerun()


def sign_in_form(purpose: str) -> None:
    """The sign-in form; on success the page reruns signed in. ``purpose`` finishes
    'Sign in to ...' (e.g. 'add and change concerns')."""
    note = st.session_state.pop(_FLASH, None)
    if note:
        st.info(note)
    st.subheader(f"Sign in to {purpose}")
    from areaprofile.register import accounts

    reg = register()
    with st.form("sign_in", clear_on_submit=False):
        name = st.text_input("Account name", max_chars=100, autocomplete="username")
        password = st.text_input("Password", type="password", max_chars=1024, autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            user = accounts.sign_in(reg, name, password)
        except accounts.SignInFailed as exc:
            # After the last allowed failure say at once that a wait has started (for any name).
            message = accounts.LOCKED if accounts.locked_until(reg, name) else exc.message
            st.error(message)
        except AreaprofileError as exc:
            st.error(exc.message)
        else:
            st.session_state[_USER] = user
            st.session_state[_SEEN] = _now()
            st.rerun()
    if council_sign_in_configured():
        st.button("Sign in with your council account", on_click=st.login, key="council_sign_in")
        if getattr(st.user, "is_logged_in", False) and _council_user() is None:
            st.warning("Your council account has no editor account here; ask an admin to add one named with your "
                       "council e-mail address.")
    st.caption("No account? Ask whoever runs the dashboard. Accounts are personal: every change names who made it.")


def require(purpose: str, admin: bool = False) -> User:
    """The signed-in account, or stop the page after the sign-in form (and a note for viewers)."""
    user = current_user()
    if user is None:
        sign_in_form(purpose)
        st.stop()
    if admin and not user.is_admin:
        st.warning(f"Only admins can {purpose}; you are signed in as an {user.role}. Ask an admin.")
        st.stop()
    return user
