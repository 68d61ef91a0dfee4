"""The "Knowledge" page: upload documents, browse sources and their passages, search, delete,
and set the date by which a source is to be checked for a newer version."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core import clock
from core.catalog import load_catalog
from core.errors import ClarionError
from knowledge.history.reviews import Review, review_dates, set_review_date
from knowledge.history.versions import diff, latest_versions, versions
from knowledge.ingest import ingest_upload, remove_source
from knowledge.retrieval.search import Filters, search
from knowledge.sources.corpus import KINDS, LANGUAGES
from knowledge.sources.documents import SUPPORTED
from ui import auth, resources
from ui.text import link, plain, t, ui_language
from ui.widgets import error_box, impact_note, passage_change

auth.require()
catalog = load_catalog()
lang = ui_language()
st.title(t("page_knowledge"))
st.caption(t("kn_intro"))

try:
    store = resources.store()
except ClarionError as exc:
    error_box(exc)
    st.stop()

today = clock.today()


def review_cell(review: Review | None) -> str:
    """A source's review date for the table, marked when it has passed."""
    if review is None or review.review_by is None:
        return "–"
    overdue = f" · {t('kn_overdue')}" if review.is_overdue(today) else ""
    return f"{review.review_by.isoformat()}{overdue}"


def review_panel(source_id: str, review: Review | None) -> None:
    """The source's review date and where it comes from; reviewers and admins set or clear it."""
    date = review.review_by if review else None
    origin = t("kn_review_own")
    if review is not None and review.set_by:
        origin = t("kn_review_set_by", name=plain(review.set_by), at=plain(review.set_at))
    shown = plain(review_cell(review)) if date else t("kn_review_none")
    st.markdown(f"{t('kn_review', date=shown)} ({origin})")
    if not auth.allowed("approve"):
        return
    left, middle, right = st.columns([2, 1, 1], vertical_alignment="bottom")
    chosen = left.date_input(t("kn_review_input"), value=date or today, format="YYYY-MM-DD",
                             key=f"review_date:{source_id}")  # fmt: skip
    if middle.button(t("kn_review_set"), key="review_set") and isinstance(chosen, dt.date):
        save_review(source_id, chosen)
    may_clear = review is not None and bool(review.set_by)  # only a date set here clears
    if may_clear and right.button(t("kn_review_clear"), key="review_clear"):
        save_review(source_id, None)


def save_review(source_id: str, date: dt.date | None) -> None:
    try:
        set_review_date(resources.settings(), store, source_id, date, auth.current_user())
    except ClarionError as exc:
        error_box(exc)
        return
    st.rerun()


upload_tab, sources_tab, search_tab = st.tabs([t("kn_upload"), t("kn_sources"), t("kn_search")])

with upload_tab:
    may_change = auth.allowed("knowledge")  # admins only; everyone may browse and search
    if not may_change:
        st.info(t("kn_upload_admin_only"))
    files = st.file_uploader(
        t("kn_upload_files"),
        type=sorted(s.lstrip(".") for s in SUPPORTED),
        accept_multiple_files=True,
        key="uploads",
        disabled=not may_change,
    )
    if may_change and files and st.button(t("kn_add"), type="primary", key="add_files"):
        progress = st.progress(0.0, text=t("kn_progress", done=0, total=len(files)))
        for done, upload in enumerate(files, 1):
            try:
                result = ingest_upload(store, upload.name, upload.getvalue(), auth.author())
                st.success(
                    t(
                        "kn_added",
                        name=plain(upload.name),
                        status=result.status,
                        chunks=result.chunks,
                    )
                )
                impact_note(result.impact)
            except ClarionError as exc:
                st.error(t("kn_failed", name=plain(upload.name), error=plain(str(exc))))
            progress.progress(done / len(files), text=t("kn_progress", done=done, total=len(files)))

with sources_tab:
    sources = store.sources()
    try:
        reviews = review_dates(resources.settings(), store)
    except ClarionError as exc:  # the sources still show; only their review dates are missing
        error_box(exc)
        reviews = {}
    st.caption(t("kn_count", sources=len(sources), chunks=store.count()))
    st.dataframe(
        [
            {
                t("kn_col_title"): s.title,
                "ID": s.source_id,
                t("kn_col_kind"): s.kind,
                t("kn_col_language"): s.language,
                t("kn_col_date"): s.date,
                t("kn_col_review"): review_cell(reviews.get(s.source_id)),
                t("kn_col_chunks"): s.chunks,
                t("kn_col_origin"): s.origin,
            }
            for s in sources
        ],
        hide_index=True,
        width="stretch",
    )
    ids = [s.source_id for s in sources]
    chosen = st.selectbox(t("kn_open"), ids, index=None, key="open_source")
    if chosen:
        summary = next(s for s in sources if s.source_id == chosen)
        st.markdown(f"**{link(summary.title, summary.url)}** · {plain(summary.date)}")
        review_panel(chosen, reviews.get(chosen))
        for chunk_id, section, text in store.chunks_of(chosen):
            with st.expander(f"{chunk_id} · {section}" if section else chunk_id):
                st.text(text)
        if summary.origin == "corpus":
            st.info(t("kn_corpus_note"))
        if may_change and st.button(t("kn_delete"), key="delete_source"):
            removed = remove_source(store, chosen, auth.author())
            st.session_state.pop("open_source", None)
            st.session_state["kn_removed"] = (summary.title, removed)  # shown after the rerun
            st.rerun()

with search_tab:
    query = st.text_input(t("kn_query"), key="kn_query", max_chars=2000)
    cols = st.columns(4)
    vaccine = cols[0].selectbox(
        t("topic"),
        [None, *(tp.id for tp in catalog.topics)],
        format_func=lambda v: "–" if v is None else v,
        key="f_vaccine",
    )
    audience = cols[1].selectbox(
        t("audience"),
        [None, *(a.id for a in catalog.audiences)],
        format_func=lambda v: "–" if v is None else v,
        key="f_audience",
    )
    language = cols[2].selectbox(
        t("kn_col_language"),
        [None, *LANGUAGES],
        format_func=lambda v: "–" if v is None else v,
        key="f_language",
    )
    kind = cols[3].selectbox(
        t("kn_col_kind"),
        [None, *KINDS],
        format_func=lambda v: "–" if v is None else v,
        key="f_kind",
    )
    if query.strip():
        try:
            passages = search(store, query, k=8, filters=Filters(vaccine, audience, language, kind))
        except ClarionError as exc:
            error_box(exc)
            passages = []
        if not passages:
            st.info(t("kn_nothing"))
        for n, p in enumerate(passages, 1):
            st.markdown(f"**{n}. {link(p.title, p.url)}** · {plain(p.section)} · {p.score:.3f}")
            st.text(p.text)


# Living evidence: what a removal touched, and each source's versions and their differences.


def removal_note() -> None:
    """After a source was deleted (and the page redrawn): what went, and what cited it."""
    removed = st.session_state.pop("kn_removed", None)
    if removed is None:
        return
    title, result = removed
    passages = result.impact.changed_passages if result.impact else 0
    st.success(t("kn_deleted", name=plain(title), chunks=passages))
    impact_note(result.impact)


def history_section() -> None:
    """A source's versions and, between two of them, what changed passage by passage."""
    st.header(t("kn_history"))
    known = {v.source_id: v for v in latest_versions(store.database)}
    if not known:
        st.caption(t("kn_history_none"))
        return
    chosen = st.selectbox(
        t("kn_history_source"), list(known), index=None, key="kn_history_source",
        format_func=lambda sid: f"{known[sid].title} ({sid})",
    )  # fmt: skip
    if chosen is None:
        return
    found = versions(store.database, chosen)
    st.dataframe(
        [{t("tpl_col_version"): v.number, t("kn_col_date"): v.created_at,
          t("map_col_status"): t(f"kn_status_{v.status}"), t("kn_col_chunks"): v.passages,
          t("tpl_col_author"): v.author or "–"} for v in found],
        hide_index=True, key="kn_history_table",
    )  # fmt: skip
    if len(found) < 2:
        st.caption(t("kn_one_version"))
        return
    numbers = [v.number for v in found]
    left, right = st.columns(2)
    chosen_key = f"{chosen}:{numbers[-1]}"  # a new version resets the choice to the latest two
    first = left.selectbox(t("tpl_diff_old"), numbers, index=len(numbers) - 2,
                           key=f"kn_diff_old:{chosen_key}")  # fmt: skip
    second = right.selectbox(t("tpl_diff_new"), numbers, index=len(numbers) - 1,
                             key=f"kn_diff_new:{chosen_key}")  # fmt: skip
    changes = diff(store.database, chosen, int(first), int(second))
    shown = [change for change in changes if change.change != "unchanged"]
    st.caption(t("kn_unchanged", count=len(changes) - len(shown)))
    for change in shown:
        passage_change(change)


with sources_tab:
    removal_note()
    history_section()
