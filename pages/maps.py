"""The "Maps" page: read a topic's message map; admins edit, propose, approve and revert it.

Map text is untrusted: it is shown only with st.text, st.code and st.dataframe, or escaped
with plain(); never as raw Markdown or HTML.
"""

from __future__ import annotations

import streamlit as st

from comms.drafting.grounding import pin_map_facts
from comms.maps.compose import compose
from comms.maps.evidence_flags import changed_facts, confirm_fact
from comms.maps.library import LoadedMap, load_map
from comms.maps.native import pending_languages, propose_native_check
from comms.maps.proposal import draft_concern
from comms.maps.schema import ALL_LANGUAGES, MessageMap, map_hash
from comms.maps.store import MapConflict, MapStore
from comms.maps.summary import ConcernSummary, KeyMessageLine, summarize
from comms.maps.validation import MapProblem, check_map
from core.catalog import load_catalog
from core.errors import ClarionError, InputError
from ui import auth, resources
from ui.editor import Editor
from ui.text import plain, t
from ui.widgets import error_box, evidence_badge, evidence_change, labelled_select

PREVIEW_CHANNELS = ("sms", "letter", "faq")

auth.require("view_maps")
catalog = load_catalog()
store = MapStore(resources.settings())
editing = Editor("map")


def person() -> str:
    """Who is changing the map: the signed-in person, or the typed name when auth is off."""
    return auth.current_user() if auth.enabled() else st.session_state.get("map_author", "")


def run_change(map_id: str, change: str) -> None:
    """Callback for propose, approve and revert: runs before the page redraws."""
    state = st.session_state
    try:
        if change == "propose":
            version = store.propose(map_id, state[editing.text_key(map_id)], author=person(),
                                    comment=state.get("map_comment", ""),
                                    base_version=state[editing.base_key(map_id)])  # fmt: skip
        elif change == "approve":
            version = store.approve(map_id, approver=person(), number=state["map_pending_no"])
        else:
            version = store.revert(map_id, state[f"map_revert_to:{map_id}"], author=person())
    except MapConflict as exc:
        editing.notify("error", message=str(exc), diff=exc.diff)
        return
    except ClarionError as exc:
        editing.notify("error", message=str(exc))
        return
    editing.load(map_id, store.latest(map_id))
    state["map_comment"] = ""
    if change == "approve":
        editing.notify("approved", number=version.number, pin_error=pin_facts(map_id))
    else:
        editing.notify("proposed", number=version.number)


def run_native_check(map_id: str, language: str) -> None:
    """Callback: the signed-in reader's native check, proposed as the map's next version."""
    reader = auth.identity()
    try:
        if reader is None:
            raise InputError("Sign in to record a native check.")
        version = propose_native_check(store, map_id, language, reader=reader)
    except ClarionError as exc:
        editing.notify("error", message=str(exc))
        return
    editing.load(map_id, store.latest(map_id))
    editing.notify("proposed", number=version.number)


def native_section(map_id: str, language: str) -> None:
    """For a language the map still lists as pending: who may check it, or the button."""
    if language not in pending_languages(store.latest(map_id).text):
        return
    st.warning(t("map_native_pending", language=language), icon="🌐")
    reader = auth.identity()
    if reader is not None and reader.reads_language(language) and reader.can("approve"):
        st.button(t("map_native_check", language=language), key="map_native_check",
                  on_click=run_native_check, args=(map_id, language))  # fmt: skip


def pin_facts(map_id: str) -> str:
    """Pin the approved map's facts to the passages they rest on; the error, if any."""
    settings = resources.settings()
    try:
        pin_map_facts(settings, resources.store(), load_map(map_id, settings))
    except ClarionError as exc:  # the approval stands; the page says what was not pinned
        return str(exc)
    return ""


def confirm_change(map_id: str, fact_id: str) -> None:
    """Callback: an admin confirms that a fact still holds on its changed passage."""
    reason = str(st.session_state.get(f"map_fact_reason:{map_id}/{fact_id}", ""))
    try:
        confirm_fact(resources.settings(), map_id, fact_id, user=person() or auth.current_user(),
                     reason=reason)  # fmt: skip
    except ClarionError as exc:
        editing.notify("error", message=str(exc))
        return
    editing.notify("fact_confirmed", fact=fact_id)


def show_notice() -> None:
    notice = editing.take_notice()
    if not notice:
        return
    match notice["kind"]:
        case "proposed":
            st.success(t("map_proposed", number=notice["number"]))
        case "approved":
            st.success(t("map_approved", number=notice["number"]))
            if notice.get("pin_error"):
                st.warning(t("map_pin_failed", error=plain(notice["pin_error"])))
        case "fact_confirmed":
            st.success(t("map_fact_confirmed", fact=plain(notice["fact"])))
        case _:
            error_box(notice["message"])
            if notice.get("diff"):
                st.code(notice["diff"], language="diff")


def show_status(map_id: str) -> None:
    current, pending = store.current(map_id), store.pending(map_id)
    approver = plain(current.approver or "–")
    st.caption(t("map_in_effect", number=current.number, hash=current.content_hash,
                 approver=approver))  # fmt: skip
    if pending is not None:
        st.info(t("map_pending", number=pending.number, author=plain(pending.author)))


def choose_concern(summaries: list[ConcernSummary]) -> ConcernSummary:
    """The overarching key messages first, then each concern by its question."""
    labels = {s.concern_id: s.question or t("map_overview") for s in summaries}
    chosen = st.selectbox(t("map_concern"), list(labels), format_func=labels.__getitem__,
                          key="map_concern")  # fmt: skip
    return next(s for s in summaries if s.concern_id == chosen)


def show_key_message(key: KeyMessageLine) -> None:
    st.text(key.text)
    figures = [t("map_words", words=key.words)]
    if key.formula:
        figures.append(t("map_grade", formula=key.formula, grade=f"{key.grade:g}"))
    else:
        counts = ", ".join(map(str, key.sentence_words)) or "0"
        figures.append(t("map_sentence_words", counts=counts))
    st.caption(" · ".join(figures))
    for fact in key.facts:
        st.text(f"• {fact.text}")
        st.caption(plain(f"[{fact.source}]"))
    if not key.facts:
        st.caption(t("map_no_facts"))


def show_map(found: MessageMap, language: str) -> ConcernSummary:
    """The chosen concern's three key messages in three columns, facts underneath."""
    summary = choose_concern(summarize(found, language))
    if summary.question:
        st.text(summary.question)
    for column, key in zip(st.columns(3), summary.key_messages, strict=True):
        with column:
            show_key_message(key)
    st.caption(t("map_total", words=summary.words, target=summary.target_words))
    return summary


def evidence_section(map_id: str, found: MessageMap, language: str, can_edit: bool) -> None:
    """The map's facts whose cited passage changed: old beside new; an admin confirms each."""
    changed = changed_facts(resources.settings(), map_id)
    if not changed:
        return
    st.header(t("map_evidence"))
    for name, flags in changed.items():
        fact_id = name.split("/", 1)[1]
        with st.container(border=True):
            badge = evidence_badge(flags)
            st.markdown(f"**{t('map_fact', fact=plain(fact_id))}** · ⚠️ {badge}")
            fact = found.fact(fact_id)
            if fact is not None:
                st.text(fact.text.get(language) or fact.text.get("en", ""))
            for flag in flags:
                evidence_change(flag)
            if can_edit:
                st.text_input(t("map_fact_reason"), max_chars=2000,
                              key=f"map_fact_reason:{map_id}/{fact_id}")  # fmt: skip
                st.button(t("map_fact_confirm"), key=f"map_fact_confirm:{map_id}/{fact_id}",
                          on_click=confirm_change, args=(map_id, fact_id))  # fmt: skip
    if not can_edit:
        st.caption(t("map_fact_admin_only"))


def show_problems(problems: list[MapProblem]) -> None:
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    if errors:
        st.error(t("map_problems", count=len(errors)))
        st.code("\n".join(map(str, errors)), language=None, wrap_lines=True)
    else:
        st.success(t("map_valid"))
    if warnings:
        st.warning(t("map_warnings", count=len(warnings)))
        st.code("\n".join(map(str, warnings)), language=None, wrap_lines=True)


def edit_section(map_id: str) -> tuple[MessageMap | None, list[MapProblem]]:
    """The YAML editor, checked on every change."""
    if editing.text_key(map_id) not in st.session_state:
        editing.load(map_id, store.latest(map_id))
    text = st.text_area(t("map_yaml"), key=editing.text_key(map_id), height=420) or ""
    st.caption(t("map_editing_from", number=st.session_state[editing.base_key(map_id)]))
    found, problems = check_map(text, f"{map_id}.yaml", map_id)
    show_problems(problems)
    errors = found is None or any(p.severity == "error" for p in problems)
    left, right = st.columns(2)
    if auth.enabled():
        st.session_state["map_author"] = auth.current_user()
    left.text_input(t("map_author"), max_chars=100, key="map_author", disabled=auth.enabled())
    right.text_input(t("map_comment"), max_chars=500, key="map_comment")
    st.button(t("map_propose"), key="map_propose", type="primary", disabled=errors,
              on_click=run_change, args=(map_id, "propose"))  # fmt: skip
    return (None if errors else found), problems


def approval_section(map_id: str) -> None:
    """The pending proposal against the map in effect, and the approve button."""
    pending = store.pending(map_id)
    if pending is None:
        st.caption(t("map_nothing_pending"))
        return
    current = store.current(map_id)
    st.code(store.diff(map_id, current.number, pending.number), language="diff")
    st.session_state["map_pending_no"] = pending.number
    st.button(t("map_approve", number=pending.number), key="map_approve",
              on_click=run_change, args=(map_id, "approve"))  # fmt: skip


def history_section(map_id: str, can_edit: bool) -> None:
    versions = store.history(map_id)
    rows = [{t("tpl_col_version"): v.number, t("tpl_col_action"): v.action,
             t("map_col_status"): v.status, t("tpl_col_author"): v.author,
             t("tpl_col_saved"): v.created_at or "–", t("map_col_approver"): v.approver,
             t("map_col_approved"): v.approved_at or "–", t("tpl_col_comment"): v.comment,
             t("tpl_col_hash"): v.content_hash} for v in versions]  # fmt: skip
    st.dataframe(rows, hide_index=True)
    numbers = [v.number for v in versions]
    diff_key = f"{map_id}:{numbers[0]}"  # a new version resets the choice to the latest
    left, right = st.columns(2)
    old = left.selectbox(t("tpl_diff_old"), numbers, index=min(1, len(numbers) - 1),
                         key=f"map_diff_old:{diff_key}")  # fmt: skip
    new = right.selectbox(t("tpl_diff_new"), numbers, index=0, key=f"map_diff_new:{diff_key}")
    st.code(store.diff(map_id, int(old), int(new)) or t("tpl_no_difference"), language="diff")
    if can_edit:
        left.selectbox(t("tpl_revert_to"), numbers, key=f"map_revert_to:{map_id}")
        left.button(t("map_revert"), key="map_revert", on_click=run_change,
                    args=(map_id, "revert"))  # fmt: skip


def preview_section(found: MessageMap, text: str, summary: ConcernSummary) -> None:
    """The SMS, letter and FAQ Clarion composes from the map shown, for one audience."""
    st.caption(t("map_preview_caption"))
    left, right = st.columns(2)
    with left:
        audience_id = labelled_select(t("audience"), catalog.audiences, "map_audience")
    with right:
        language_id = labelled_select(t("language"), catalog.languages, "map_preview_language")
    loaded = LoadedMap(found, map_hash(text), text)
    audience = next(a for a in catalog.audiences if a.id == audience_id)
    language = next(x for x in catalog.languages if x.id == language_id)
    topic = next(x for x in catalog.topics if x.id == found.id)
    for channel in [c for c in catalog.channels if c.id in PREVIEW_CHANNELS]:
        composed = compose(loaded, topic=topic, audience=audience, channel=channel,
                           language=language, concern_id=summary.concern_id or None)  # fmt: skip
        st.caption(channel.label_in(st.session_state.get("ui_language", "de")))
        st.code(composed.text, language=None, wrap_lines=True)


def draft_section(map_id: str) -> None:
    """Ask the model for a new concern's key messages and facts, as a draft to correct."""
    question = st.text_input(t("map_draft_question"), max_chars=300, key="map_draft_question")
    if st.button(t("map_draft_button"), key="map_draft_button"):
        try:
            with st.spinner(t("writing")):
                st.session_state["map_draft_yaml"] = draft_concern(
                    question, map_id, chat=resources.chat_model(), store=resources.store(),
                    settings=resources.settings(),
                )  # fmt: skip
        except ClarionError as exc:
            error_box(exc)
    if st.session_state.get("map_draft_yaml"):
        st.caption(t("map_draft_caption"))
        st.code(st.session_state["map_draft_yaml"], language="yaml")


def shown_map(map_id: str, can_edit: bool) -> tuple[MessageMap, str]:
    """The editor's text when an admin has a valid edit there, else the map in effect."""
    edited = st.session_state.get(editing.text_key(map_id)) if can_edit else None
    current = store.current(map_id)
    if edited and edited != current.text:
        found, problems = check_map(edited, f"{map_id}.yaml", map_id)
        if found is not None and not any(p.severity == "error" for p in problems):
            st.caption(t("map_showing_edit"))
            return found, edited
    found, _ = check_map(current.text, f"{map_id}.yaml", map_id)
    if found is None:
        raise ClarionError(f"The map '{map_id}' in effect does not parse; run `maps check`.")
    return found, current.text


def page() -> None:
    st.title(t("page_maps"))
    st.caption(t("map_intro"))
    can_edit = auth.allowed("edit_maps")
    left, right = st.columns(2)
    map_id = str(left.selectbox(t("map_topic"), store.ids(), key="map_id"))
    language = str(right.selectbox(t("map_language"), ALL_LANGUAGES, key="map_language"))
    show_notice()
    show_status(map_id)
    native_section(map_id, language)
    found, text = shown_map(map_id, can_edit)
    summary = show_map(found, language)
    evidence_section(map_id, found, language, can_edit)
    st.header(t("map_preview"))
    preview_section(found, text, summary)
    if not can_edit:
        st.caption(t("map_view_only"))
    else:
        st.header(t("map_editor"))
        edit_section(map_id)
        st.header(t("map_approval"))
        approval_section(map_id)
        st.header(t("map_draft"))
        draft_section(map_id)
    st.header(t("map_history"))
    history_section(map_id, can_edit)


try:
    page()
except ClarionError as exc:  # a corrupt or locked database: say so, keep the app running
    error_box(exc)
