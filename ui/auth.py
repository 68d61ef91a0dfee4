"""Sign-in for the app: the login page, who is signed in, and role checks for the pages.

With CLARION_AUTH=off (the default) everyone is the single local user with every permission.
With `local` or `oidc`, app.py shows only the login page until someone signs in, and every
page checks the role it needs. The users table is read on each run, so a removed user is
signed out and a changed role applies at the next click.

Local sign-in also leaves a signed session token in a cookie (comms/accounts/sessions.py): a
new Streamlit session, such as the one another replica starts when the browser's replica died,
reads it and knows the person without asking for the password again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import streamlit as st
from streamlit.errors import StreamlitAuthError
from streamlit.navigation.page import StreamlitPage
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from comms.accounts import sessions
from comms.accounts.auth import (
    LOCAL,
    Identity,
    LoginThrottle,
    Permission,
    authenticate,
    identity_for_email,
    identity_of,
    load_users,
)
from core.errors import ClarionError
from ui import resources
from ui.text import plain, t
from ui.widgets import error_box

SESSION_KEY = "auth_identity"
TOKEN_KEY = "auth_token"  # the token this session issued; the browser keeps it as a cookie
SIGNED_OUT = "auth_signed_out"  # signed out here: the cookie sent at connection no longer counts
FRAMED = "auth_framed"  # this session has run app.py (its navigation) at least once
OIDC_PROBLEM = "auth_oidc_problem"


@st.cache_resource(show_spinner=False)
def _throttle() -> LoginThrottle:
    """Failed logins per name, in the database: shared by every session and every replica."""
    return LoginThrottle(resources.settings())


def enabled() -> bool:
    """Whether people must sign in."""
    return resources.settings().auth_mode != "off"


def identity() -> Identity | None:
    """Who is signed in now (the local user when auth is off), or None."""
    settings = resources.settings()
    match settings.auth_mode:
        case "off":  # the local user reads what a user named "local" says, if any
            try:
                local = load_users(settings).get(LOCAL.name)
            except ClarionError:  # sign-in is off: an unreadable data folder is said where
                return LOCAL  # it is used, not by hiding the page (tests/test_faults.py)
            return LOCAL if local is None else replace(LOCAL, reads=frozenset(local.reads))
        case "local":
            signed = st.session_state.get(SESSION_KEY)
            if not isinstance(signed, Identity):
                signed = _from_cookie()
                if signed is None:
                    return None
                st.session_state[SESSION_KEY] = signed
            user = load_users(settings).get(signed.name)
            if user is None or user.password_hash is None:  # removed meanwhile: signed out
                st.session_state.pop(SESSION_KEY, None)
                return None
            return identity_of(signed.name, user)
        case "oidc":
            if not st.user.is_logged_in:
                return None
            email = st.user.get("email")
            return identity_for_email(load_users(settings), str(email or ""))


def _from_cookie() -> Identity | None:
    """The person the session cookie names: a session this server process did not start (its
    replica died, or the tab was reopened) continues without a second password prompt."""
    token = st.context.cookies.get(sessions.COOKIE)
    if not isinstance(token, str) or not token or st.session_state.get(SIGNED_OUT):
        return None
    settings = resources.settings()
    if sessions.is_revoked(settings, token):  # signed out, perhaps in another browser
        return None
    return sessions.verify(_secret(), token, load_users(settings))


def _secret() -> str:
    """Streamlit's server.cookieSecret: the same on every replica, or tokens fail over nowhere."""
    return str(st.get_option("server.cookieSecret") or "")


def _cookie_script(token: str, max_age: int) -> str:
    """JavaScript that sets (max_age > 0) or deletes (0) the session cookie in this browser.

    Streamlit sends no HTTP response a script could add a Set-Cookie header to: the app talks
    over a websocket. So the page sets the cookie, which therefore cannot be HttpOnly;
    SameSite=Strict keeps it out of other sites' requests, Secure out of plain HTTP."""
    cookie = f"{sessions.COOKIE}={token}; Path=/; Max-Age={max_age}; SameSite=Strict"
    return (
        f"<script>document.cookie = {json.dumps(cookie)} + "
        '(location.protocol === "https:" ? "; Secure" : "");</script>'
    )


def _keep_cookie() -> None:
    """Give the browser the token this session issued, until it sends it back."""
    token = st.session_state.get(TOKEN_KEY)
    if isinstance(token, str) and st.context.cookies.get(sessions.COOKIE) != token:
        st.html(_cookie_script(token, sessions.SESSION_HOURS * 3600), unsafe_allow_javascript=True)


def current_user() -> str:
    """The signed-in person's name for audit entries: "local" when auth is off, "" if nobody."""
    who = identity()
    return who.name if who else ""


def author() -> str:
    """Who to record as the author of a new source version: the signed-in person's name, or
    "" when auth is off (nobody signed in)."""
    return current_user() if enabled() else ""


def allowed(permission: Permission) -> bool:
    """Whether the signed-in person's role allows permission."""
    who = identity()
    return who is not None and who.can(permission)


def require(permission: Permission | None = None) -> Identity:
    """Stop the page unless someone is signed in (else the login form) and may do permission.

    Every page calls this first. app.py already shows only the login page to anyone not
    signed in, but Streamlit runs a file in pages/ directly when it is asked for by URL
    before any session has called st.navigation (right after a restart): the page must
    guard itself.
    """
    _leave_pages_folder_mode()
    try:
        who = identity()
    except ClarionError as exc:
        error_box(exc)
        st.stop()
    if who is None:
        login_page()
        st.stop()
    if permission is not None and not who.can(permission):
        st.error(t("auth_forbidden", role=who.role, needed=permission))
        st.stop()
    return who


def _leave_pages_folder_mode() -> None:
    """Run the page again inside app.py when Streamlit ran its file on its own.

    Until some session of a server process has called st.navigation, Streamlit treats the
    pages/ folder next to app.py as an old-style multipage app: it runs a page asked for by URL
    without app.py (no language switch, no sign-out, no caption of what is active), with
    app.py itself listed among the pages. That is the first run a replica does when a browser
    whose replica died reconnects to it on any page but the first. Streamlit keeps the mode in
    one flag per process, which st.navigation clears; clearing it here and rerunning gives the
    page its frame, with the browser's widget values. tests/test_replicas.py fails over on the
    packs page."""
    ctx = get_script_run_ctx()
    if ctx is None or st.session_state.get(FRAMED):
        return  # (AppTest runs pages on their own after a first run of app.py: left alone)
    main = Path(ctx.pages_manager.main_script_path).resolve()
    pages = ctx.pages_manager.get_pages().values()
    if len(pages) < 2 or not any(Path(p.get("script_path") or "") == main for p in pages):
        return  # app.py's navigation never lists app.py; a lone page is a test's direct run
    PagesManager.uses_pages_directory = False
    st.rerun()


def pages_for(pages: Sequence[StreamlitPage]) -> list[StreamlitPage]:
    """The app's pages for a signed-in person; only the login page for anyone else."""
    st.session_state[FRAMED] = True  # app.py calls this on every run
    try:
        signed_in = identity() is not None
    except ClarionError as exc:  # e.g. a broken users file to import: nobody gets in
        error_box(exc)
        st.stop()
    if signed_in:
        return list(pages)
    return [st.Page(login_page, title=t("login_title"), icon="🔐", url_path="login")]


def sidebar() -> None:
    """Who is signed in, with a sign-out button (nothing when auth is off)."""
    who = identity()
    if who is None or not enabled():
        return
    st.caption(t("auth_signed_in", name=plain(who.name), role=who.role))
    _keep_cookie()
    if not st.button(t("logout"), key="logout"):
        return
    if resources.settings().auth_mode == "oidc":
        st.logout()  # forgets the identity cookie and starts a new session
        return
    for token in {st.session_state.get(TOKEN_KEY), st.context.cookies.get(sessions.COOKIE)}:
        if isinstance(token, str) and token:
            sessions.revoke(resources.settings(), token)  # a copy of the cookie stops working
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop(TOKEN_KEY, None)
    st.session_state[SIGNED_OUT] = True  # the login page deletes the cookie
    st.rerun()


def login_page() -> None:
    """The only page anyone sees before signing in."""
    st.title(t("login_title"))
    if st.session_state.get(SIGNED_OUT):
        st.html(_cookie_script("", 0), unsafe_allow_javascript=True)
    try:
        if resources.settings().auth_mode == "oidc":
            _oidc_login()
        else:
            _local_login()
    except ClarionError as exc:  # e.g. a broken users file to import: nobody gets in
        error_box(exc)


def _local_login() -> None:
    users = load_users(resources.settings())
    if not users:
        st.warning(t("login_no_users"))
    with st.form("login"):
        name = st.text_input(t("login_name"), max_chars=100, key="login_name")
        password = st.text_input(
            t("login_password"), type="password", max_chars=200, key="login_password"
        )
        submitted = st.form_submit_button(t("login_button"), type="primary")
    if not submitted:
        return
    wait = _throttle().wait(name)
    if wait > 0:
        st.error(t("login_throttled", seconds=int(wait) + 1))
        return
    found = authenticate(users, name, password)
    if found is None:
        _throttle().failed(name)
        st.error(t("login_failed"))
        return
    _throttle().succeeded(name)
    st.session_state[SESSION_KEY] = found
    st.session_state.pop(SIGNED_OUT, None)
    if _secret():
        st.session_state[TOKEN_KEY] = sessions.issue(_secret(), found.name, users[found.name])
    st.rerun()


def _oidc_login() -> None:
    if st.user.is_logged_in:  # signed in with the provider, but no user has that e-mail
        st.error(t("login_no_role", email=plain(str(st.user.get("email") or "?"))))
        st.button(t("logout"), key="logout_oidc", on_click=st.logout)
        return
    problem = st.session_state.pop(OIDC_PROBLEM, None)
    if problem:
        error_box(problem)
    st.caption(t("login_oidc_intro"))
    st.button(t("login_oidc"), key="login_oidc", type="primary", on_click=_start_oidc)


def _start_oidc() -> None:
    try:
        st.login()  # redirects to the identity provider
    except StreamlitAuthError as exc:  # no [auth] in .streamlit/secrets.toml, or no Authlib
        st.session_state[OIDC_PROBLEM] = str(exc)
