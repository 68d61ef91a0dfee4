"""Sign-in and roles in the app under AppTest: nobody reaches a page before signing in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from comms.accounts import auth
from comms.templates.store import TemplateStore
from core.settings import Settings, load_settings
from tests.conftest import ROOT
from ui import auth as ui_auth
from ui import resources

PASSWORD = "Impfen-2025!"
PAGES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "pages").glob("*.py"))


@pytest.fixture
def users(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Local sign-in with an editor, a reviewer and an admin; fresh settings and throttle."""
    settings = load_settings()
    auth.add_user(settings, "erika", "editor", PASSWORD)
    auth.add_user(settings, "rita", "reviewer", PASSWORD)
    auth.add_user(settings, "adam", "admin", PASSWORD)
    monkeypatch.setenv("CLARION_AUTH", "local")
    monkeypatch.chdir(ROOT)
    for cached in (resources.settings, resources.store, ui_auth._throttle):
        cached.clear()
    yield settings
    for cached in (resources.settings, resources.store, ui_auth._throttle):
        cached.clear()


def start() -> AppTest:
    return AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()


def sign_in(at: AppTest, name: str, password: str = PASSWORD) -> AppTest:
    at.text_input(key="login_name").input(name)
    at.text_input(key="login_password").input(password)
    return next(b for b in at.button if b.label == "Anmelden").click().run()


def shows_only_login(at: AppTest) -> bool:
    return (
        not at.exception
        and [t.value for t in at.title] == ["Anmelden"]
        and [w.key for w in at.text_input] == ["login_name", "login_password"]
        and not at.text_area
        and not at.selectbox
        and not at.sidebar.caption
    )


@pytest.mark.parametrize("page", PAGES)
def test_every_page_shows_only_the_login_form_until_signed_in(users: Settings, page: str) -> None:
    at = start()
    assert shows_only_login(at)
    with pytest.raises(ValueError, match=r"Known pages: \[.Anmelden.\]"):  # only login
        at.switch_page(page)
    # Opened by its URL before any session ran app.py (right after a restart), Streamlit runs
    # the file in pages/ directly, without app.py: the page itself must show the login form.
    direct = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    direct.switch_page(page).run()
    assert shows_only_login(direct), f"{page} was reached without signing in"


def test_a_wrong_password_or_unknown_name_is_refused(users: Settings) -> None:
    at = start()
    for name, password in [("erika", "falsches-Passwort"), ("nobody", PASSWORD), ("erika", "")]:
        sign_in(at, name, password)
        assert [e.value for e in at.error] == ["Benutzername oder Passwort ist falsch."]
        assert shows_only_login(at)


def test_five_failures_lock_the_name_even_for_the_right_password(users: Settings) -> None:
    at = start()
    for _ in range(5):
        sign_in(at, "erika", "falsches-Passwort")
    sign_in(at, "erika", PASSWORD)
    assert "Zu viele Fehlversuche" in at.error[0].value
    assert shows_only_login(at)


def test_signing_in_opens_the_app(users: Settings) -> None:
    at = sign_in(start(), "erika")
    assert not at.exception
    assert at.title[0].value == "Nachricht schreiben"
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "erika" in captions and "editor" in captions
    assert "Chroma" in captions, "what is active is shown only after signing in"


def test_signing_out_forgets_the_identity(users: Settings) -> None:
    # AppTest runs a pages/ file directly (without app.py) on every run after the first, so
    # the sidebar's sign-out button is tested on its own; the browser test clicks it in the app.
    def script() -> None:
        import streamlit as st

        from comms.accounts.auth import Identity
        from ui import auth

        if "started" not in st.session_state:
            st.session_state["started"] = True
            st.session_state[auth.SESSION_KEY] = Identity("erika", "editor")
        with st.sidebar:
            auth.sidebar()
        st.write(auth.current_user() or "nobody")

    at = AppTest.from_function(script).run()
    assert at.markdown[0].value == "erika"
    at.sidebar.button(key="logout").click().run()
    assert at.markdown[0].value == "nobody"
    assert not at.sidebar.button


def test_a_removed_user_is_signed_out_at_the_next_click(users: Settings) -> None:
    at = sign_in(start(), "erika")
    auth.remove_user(users, "erika")
    at.run()
    assert shows_only_login(at)


def test_editor_may_write_but_not_edit_templates_or_knowledge(users: Settings) -> None:
    at = sign_in(start(), "erika")
    at.switch_page("pages/templates.py").run()
    assert not at.exception
    assert "Ihre Rolle (editor) darf das nicht" in at.error[0].value
    assert not at.text_area, "the template editor is not shown"
    at.switch_page("pages/knowledge.py").run()
    assert not at.exception
    assert any("nur Administrator" in i.value for i in at.info)
    assert not [b for b in at.button if b.key in ("add_files", "delete_source")]


def test_reviewer_may_not_edit_templates(users: Settings) -> None:
    at = sign_in(start(), "rita")
    at.switch_page("pages/templates.py").run()
    assert "Ihre Rolle (reviewer)" in at.error[0].value


def test_admin_may_edit_templates(users: Settings) -> None:
    at = sign_in(start(), "adam")
    at.switch_page("pages/templates.py").run()
    assert not at.exception
    assert not at.error
    assert at.title[0].value == "Vorlagen"
    assert at.text_area(key="tpl_text:draft_message").value


def test_a_template_saved_while_signed_in_is_signed_by_that_person(users: Settings) -> None:
    at = sign_in(start(), "adam")
    at.switch_page("pages/templates.py").run()
    editor = at.text_area(key="tpl_text:draft_message")
    editor.input(editor.value.replace("You are a public-health", "You are our public-health"))
    assert at.text_input(key="tpl_author").disabled
    at.session_state["tpl_author"] = "Mallory"  # what a forged widget value would leave there
    at.text_input(key="tpl_comment").input("Absender")
    at.button(key="tpl_save").click().run()
    assert not at.exception and not at.error
    assert TemplateStore(load_settings()).current("draft_message").author == "adam"


def test_auth_off_is_the_local_admin(monkeypatch: pytest.MonkeyPatch) -> None:
    def script() -> None:
        import streamlit as st

        from ui import auth

        st.text(f"{auth.current_user()} {auth.allowed('templates')} {auth.enabled()}")

    resources.settings.clear()
    at = AppTest.from_function(script).run()
    assert at.text[0].value == "local True False"
    resources.settings.clear()


def test_current_user_names_the_signed_in_person(users: Settings) -> None:
    def script() -> None:
        import streamlit as st

        from comms.accounts.auth import Identity
        from ui import auth

        st.session_state.setdefault(auth.SESSION_KEY, Identity("rita", "editor"))
        st.text(f"{auth.current_user()} {auth.identity()}")

    at = AppTest.from_function(script).run()
    # The role comes from the users table, not from what the session remembered.
    assert at.text[0].value == "rita Identity(name='rita', role='reviewer', reads=frozenset())"


def nobody(settings: Settings) -> None:
    for name in auth.load_users(settings):
        auth.remove_user(settings, name)


def test_no_users_yet_says_how_to_add_one(users: Settings) -> None:
    nobody(users)
    at = start()
    assert "python -m comms users add" in at.warning[0].value
    assert shows_only_login(at)


def test_a_broken_users_file_to_import_lets_nobody_in(users: Settings) -> None:
    nobody(users)  # an office upgrading: no users in the database yet, an old file to import
    auth.users_path(users).write_text("users:\n  erika:\n    role: chief\n")
    at = start()
    assert not at.exception
    assert "users file" in at.error[0].value and "chief" in at.error[0].value
    assert not at.text_input and not at.text_area


@pytest.fixture
def oidc(users: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    auth.add_user(users, "Olga@Amt.example", "admin", None)
    monkeypatch.setenv("CLARION_AUTH", "oidc")
    resources.settings.clear()
    return users


def test_oidc_shows_only_the_sign_in_button_until_signed_in(oidc: Settings) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Anmelden"]
    assert [b.key for b in at.button] == ["login_oidc"]
    assert not at.text_input and not at.selectbox


def test_oidc_without_provider_settings_says_what_is_missing(oidc: Settings) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.user = {"is_logged_in": False}
    at.run().button(key="login_oidc").click().run()
    assert not at.exception
    assert "secrets\\.toml" in at.error[0].value  # Markdown-escaped
    assert [t.value for t in at.title] == ["Anmelden"]


def test_oidc_user_gets_the_role_mapped_to_their_e_mail(oidc: Settings) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.user = {"is_logged_in": True, "email": "olga@amt.example", "name": "Olga"}
    at.run()
    assert not at.exception
    assert at.title[0].value == "Nachricht schreiben"
    at.switch_page("pages/templates.py").run()
    assert at.title[0].value == "Vorlagen" and not at.error


def test_oidc_user_without_a_role_is_refused(oidc: Settings) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.user = {"is_logged_in": True, "email": "stranger@example.org"}
    at.run()
    assert not at.exception
    assert "keine Rolle in Clarion" in at.error[0].value
    assert [b.key for b in at.button] == ["logout_oidc"]
    assert not at.selectbox
