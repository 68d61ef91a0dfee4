"""The "Templates" page: edit, check, preview, try, save and version the office's templates.

Template text is untrusted: it is shown only with st.code, st.text and st.dataframe, never as
Markdown or HTML.
"""

from __future__ import annotations

import streamlit as st

from comms.drafting.draft import Request, draft_message
from comms.drafting.template import PromptTemplate, parse_template
from comms.templates.samples import Scenario, drafts_with, preview
from comms.templates.store import TemplateConflict, TemplateStore, Version
from comms.templates.validation import Problem, read_template_file, required_variables, validate
from core.catalog import load_catalog
from core.errors import ClarionError, TemplateError
from ui import auth, resources
from ui.editor import Editor
from ui.text import plain, t, ui_language
from ui.widgets import error_box, labelled_select

auth.require("templates")
catalog = load_catalog()
lang = ui_language()
store = TemplateStore(resources.settings())
editing = Editor("tpl")


def run_change(template_id: str, change: str) -> None:
    """Callback for save, revert and reset: runs before the page redraws, so it may set the text."""
    state = st.session_state
    author, comment = state.get("tpl_author", ""), state.get("tpl_comment", "")
    if auth.enabled():  # signed in: the version records who is signed in, not a typed name
        author = auth.current_user()
    base = state[editing.base_key(template_id)]
    try:
        if change == "save":
            version = store.save(
                template_id,
                state[editing.text_key(template_id)],
                author=author,
                comment=comment,
                base_version=base,
            )
        elif change == "revert":
            number = state[f"tpl_revert_to:{template_id}"]
            version = store.revert(template_id, number, author=author, base_version=base)
        else:
            version = store.reset(template_id, author=author, base_version=base)
    except TemplateConflict as exc:
        theirs = exc.theirs
        editing.notify(
            "conflict", number=theirs.number, author=theirs.author, when=theirs.created_at
        )
        state[editing.notice] |= {"diff": exc.diff, "template_id": template_id}
        return
    except ClarionError as exc:
        editing.notify("error", message=str(exc))
        return
    editing.load(template_id, version)
    state["tpl_comment"] = ""  # the next change needs its own comment
    editing.notify("saved", number=version.number)


def resolve_conflict(template_id: str, take_theirs: bool) -> None:
    """After a conflict: load the other version, or keep this text and base it on theirs."""
    theirs = store.current(template_id)
    if take_theirs:
        editing.load(template_id, theirs)
        editing.take_notice()
    else:
        st.session_state[editing.base_key(template_id)] = theirs.number
        editing.notify("rebased", number=theirs.number)


def import_file(template_id: str) -> None:
    """Callback for the uploader: a valid file for this template goes into the editor."""
    upload = st.session_state.get("tpl_upload")
    if upload is None:
        return
    try:
        text = read_template_file(upload.getvalue())
    except TemplateError as exc:
        editing.notify("invalid", problems=[str(exc)])
        return
    problems = validate(text, expected_id=template_id)
    if problems:
        editing.notify("invalid", problems=[str(p) for p in problems])
        return
    st.session_state[editing.text_key(template_id)] = text
    editing.notify("imported")


def show_notice(template_id: str) -> None:
    notice = editing.take_notice()
    if not notice:
        return
    match notice["kind"]:
        case "saved":
            st.success(t("tpl_saved", number=notice["number"]))
        case "rebased":
            st.info(t("tpl_rebased", number=notice["number"]))
        case "imported":
            st.info(t("tpl_imported"))
        case "error":
            error_box(notice["message"])
        case "invalid":
            st.error(t("tpl_import_invalid"))
            st.code("\n".join(notice["problems"]), language=None, wrap_lines=True)
        case "conflict" if notice["template_id"] == template_id:
            when = notice["when"] or "–"
            st.warning(
                t(
                    "tpl_conflict",
                    number=notice["number"],
                    author=plain(notice["author"]),
                    when=when,
                )
            )
            st.code(notice["diff"], language="diff")
            left, right = st.columns(2)
            left.button(
                t("tpl_load_theirs"),
                key="tpl_take_theirs",
                on_click=resolve_conflict,
                args=(template_id, True),
            )
            right.button(
                t("tpl_keep_mine"),
                key="tpl_keep_mine",
                on_click=resolve_conflict,
                args=(template_id, False),
            )


def show_overview(versions: list[Version]) -> None:
    rows = [
        {
            t("tpl_col_template"): v.template_id,
            t("tpl_col_version"): v.number,
            t("tpl_col_author"): v.author,
            t("tpl_col_saved"): v.created_at or "–",
            t("tpl_col_comment"): v.comment,
        }
        for v in versions
    ]
    st.dataframe(rows, hide_index=True)


def show_variables(template_id: str, text: str) -> None:
    st.markdown(f"**{t('tpl_variables')}**")
    try:
        variables = parse_template(text).variables
    except ClarionError:
        variables = required_variables(template_id)
    for name, description in variables.items():
        st.text(f"{name}: {description}")


def show_problems(problems: list[Problem]) -> None:
    if problems:
        st.error(t("tpl_problems", count=len(problems)))
        st.code("\n".join(map(str, problems)), language=None, wrap_lines=True)
    else:
        st.success(t("tpl_valid"))


def choose_scenario() -> Scenario:
    columns = st.columns(4)
    with columns[0]:
        topic = labelled_select(t("topic"), catalog.topics, "tpl_topic")
    with columns[1]:
        audience = labelled_select(t("audience"), catalog.audiences, "tpl_audience")
    with columns[2]:
        channel = labelled_select(t("channel"), catalog.channels, "tpl_channel")
    with columns[3]:
        language = labelled_select(t("language"), catalog.languages, "tpl_language")
    concern = st.text_input(
        t("concern"), value=Scenario().concern, max_chars=500, key="tpl_concern"
    )
    return Scenario(topic, audience, channel, language, concern)


def show_preview(template: PromptTemplate, scenario: Scenario) -> None:
    st.caption(t("tpl_preview_caption"))
    try:
        messages = preview(template, scenario)
    except ClarionError as exc:
        error_box(exc)
        return
    for message in messages:
        st.caption(message["role"])
        st.code(message["content"], language=None, wrap_lines=True)


def try_template(template: PromptTemplate, scenario: Scenario) -> None:
    """Write one message with the edited, unsaved template."""
    if not drafts_with(template):
        st.caption(t("tpl_try_unavailable"))
        return
    if not st.button(t("tpl_try_it"), key="tpl_try"):
        return
    request = Request(
        scenario.topic, scenario.audience, scenario.channel, scenario.language, scenario.concern
    )
    try:
        with st.spinner(t("writing")):
            message = draft_message(
                request,
                settings=resources.settings(),
                chat=resources.chat_model(),
                store=resources.store(),
                template=template,
            )
    except ClarionError as exc:
        error_box(exc)
        return
    st.caption(t("tpl_trial_result"))
    st.code(message.text, language=None, wrap_lines=True)
    st.caption(f"{t('template')}: {message.template_id}@{message.template_version}")
    st.text(", ".join(f"[{c.number}] {c.title}" for c in message.citations))


def show_history(template_id: str) -> None:
    versions = store.history(template_id)
    rows = [
        {
            t("tpl_col_version"): v.number,
            t("tpl_col_action"): v.action,
            t("tpl_col_author"): v.author,
            t("tpl_col_saved"): v.created_at or "–",
            t("tpl_col_comment"): v.comment,
            t("tpl_col_hash"): v.content_hash,
        }
        for v in versions
    ]
    st.dataframe(rows, hide_index=True)
    numbers = [v.number for v in versions]
    diff_key = f"{template_id}:{numbers[0]}"  # a new version resets the choice to the latest
    left, right = st.columns(2)
    old = left.selectbox(
        t("tpl_diff_old"), numbers, index=min(1, len(numbers) - 1), key=f"tpl_diff_old:{diff_key}"
    )
    new = right.selectbox(t("tpl_diff_new"), numbers, index=0, key=f"tpl_diff_new:{diff_key}")
    st.code(store.diff(template_id, int(old), int(new)) or t("tpl_no_difference"), language="diff")
    left, right = st.columns(2)
    left.selectbox(t("tpl_revert_to"), numbers, key=f"tpl_revert_to:{template_id}")
    left.button(
        t("tpl_revert"), key="tpl_revert", on_click=run_change, args=(template_id, "revert")
    )
    right.button(t("tpl_reset"), key="tpl_reset", on_click=run_change, args=(template_id, "reset"))


def edit_section(template_id: str) -> tuple[str, list[Problem]]:
    """The YAML editor beside its variables, validated on every change."""
    if editing.text_key(template_id) not in st.session_state:
        editing.load(template_id, store.current(template_id))
    editor, side = st.columns([3, 1])
    with editor:
        text = st.text_area(t("tpl_yaml"), key=editing.text_key(template_id), height=480) or ""
        st.caption(t("tpl_editing_from", number=st.session_state[editing.base_key(template_id)]))
    with side:
        show_variables(template_id, text)
    problems = validate(text, expected_id=template_id)
    show_problems(problems)
    return text, problems


def save_section(template_id: str, text: str, problems: list[Problem]) -> None:
    """Save with author and comment; export the text; import a file into the editor."""
    left, right = st.columns(2)
    if auth.enabled():
        st.session_state["tpl_author"] = auth.current_user()
    left.text_input(t("tpl_author"), max_chars=100, key="tpl_author", disabled=auth.enabled())
    right.text_input(t("tpl_comment"), max_chars=500, key="tpl_comment")
    st.button(
        t("tpl_save"),
        key="tpl_save",
        type="primary",
        disabled=bool(problems),
        on_click=run_change,
        args=(template_id, "save"),
    )
    st.download_button(
        t("tpl_export"),
        data=text.encode("utf-8"),
        file_name=f"{template_id}.yaml",
        mime="application/x-yaml",
        key="tpl_export",
    )
    st.file_uploader(
        t("tpl_import"),
        type=["yaml", "yml"],
        key="tpl_upload",
        on_change=import_file,
        args=(template_id,),
    )


def page() -> None:
    st.title(t("page_templates"))
    st.caption(t("tpl_intro"))
    summaries = store.summaries()
    show_overview(summaries)
    ids = [v.template_id for v in summaries]
    first = ids.index("draft_message") if "draft_message" in ids else 0  # the one used most
    template_id = str(st.selectbox(t("tpl_col_template"), ids, index=first, key="tpl_id"))
    show_notice(template_id)
    text, problems = edit_section(template_id)

    st.header(t("tpl_preview"))
    scenario = choose_scenario()
    if not problems:
        template = parse_template(text)
        show_preview(template, scenario)
        try_template(template, scenario)

    st.header(t("tpl_save"))
    save_section(template_id, text, problems)
    st.header(t("tpl_history"))
    show_history(template_id)


try:
    page()
except ClarionError as exc:  # a corrupt or locked database: say so, keep the app running
    error_box(exc)
