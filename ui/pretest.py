"""The Packs page's pretest section: pick versions, get the survey files, import, read, adopt."""

from __future__ import annotations

import streamlit as st

from comms.packs.campaign import Campaign
from comms.packs.store import PackStore
from comms.pretest.adoption import adopt
from comms.pretest.analysis import PretestAnalysis
from comms.pretest.charts import means_chart, paired_chart
from comms.pretest.design import Pretest
from comms.pretest.power import respondents_needed
from comms.pretest.store import PretestStore
from comms.pretest.summary import Language, notes, number, summarise
from comms.pretest.versions import Choice, choices
from comms.pretest.workflow import analyse_pretest, create_pretest, import_answers, survey_files
from core.catalog import load_catalog
from core.errors import ClarionError
from ui import auth, resources
from ui.text import plain, t, ui_language
from ui.widgets import error_box

HOPED = (0.2, 0.5, 0.8)  # Cohen's small, medium, large dz: the smallest difference to find
MIME = {
    ".txt": "text/plain",
    ".pdf": "application/pdf",
    ".csv": "text/csv",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def pretest_section(packs: PackStore, campaign: Campaign, user: str) -> None:
    """Everything about the campaign's pretests, under one header."""
    store = PretestStore(resources.settings())
    st.header(t("pt_title"))
    st.caption(t("pt_intro"))
    with st.expander(t("pt_new")):
        create_form(packs, store, campaign, user)
    found = {p.id: p for p in store.of_campaign(campaign.id)}
    if not found:
        st.info(t("pt_none"))
        return
    chosen = st.selectbox(t("pt_pick"), list(found), key="pt_pick")
    pretest = found[str(chosen)]
    versions_list(pretest)
    files_section(pretest)
    answers_form(store, pretest, user)
    results_section(packs, store, pretest, user)


def create_form(packs: PackStore, store: PretestStore, campaign: Campaign, user: str) -> None:
    """Which message, which languages, which versions: a pretest is made from the pack."""
    lang = ui_language()
    catalog = load_catalog()
    names = {e.id: e.label_in(lang) for kind in ("audiences", "channels", "languages")
             for e in getattr(catalog, kind)}  # fmt: skip
    columns = st.columns(3)
    audience = columns[0].selectbox(
        t("audience"), campaign.audiences, format_func=names.get, key="pt_audience"
    )
    channel = columns[1].selectbox(
        t("channel"), campaign.channels, format_func=names.get, key="pt_channel"
    )
    languages = columns[2].multiselect(
        t("pt_languages"), campaign.languages, default=campaign.languages[:1],
        format_func=names.get, key="pt_languages",
    )  # fmt: skip
    offered = choices(packs, campaign.id, str(audience), str(channel), list(languages))
    if not languages or len(offered) < 2:
        st.info(t("pt_too_few"))
        return
    picked = st.multiselect(
        t("pt_versions"), offered, default=offered[:2], format_func=_choice_name,
        max_selections=4, key="pt_versions",
    )  # fmt: skip
    sizes = {t(f"pt_hoped_{dz}"): dz for dz in HOPED}
    hoped = sizes[str(st.selectbox(t("pt_hoped"), list(sizes), index=1, key="pt_hoped"))]
    needed = respondents_needed(hoped, versions=max(2, len(picked)))
    st.caption(t("pt_needed", needed=needed))
    if st.button(t("pt_create"), key="pt_create"):
        try:
            made = create_pretest(
                packs, store, campaign.id, str(audience), str(channel), list(languages),
                list(picked), user=user, hoped_dz=hoped, knowledge=resources.store(),
            )  # fmt: skip
        except ClarionError as exc:
            error_box(exc)
            return
        st.session_state["pt_pick"] = made.id
        st.success(t("pt_created", id=made.id, forms=len(made.orders)))


def _choice_name(choice: Choice) -> str:
    return t(f"pt_choice_{choice.source}", variant=choice.variant, map=choice.map_version)


def versions_list(pretest: Pretest) -> None:
    """The texts under test, in the first language tested."""
    language = pretest.languages[0]
    for version in pretest.versions:
        origin = _choice_name(Choice(version.variant, version.source, version.map_version))
        st.markdown(f"**{t('pt_version', label=version.label)}** · {plain(origin)}")
        st.text(version.texts[language])


def files_section(pretest: Pretest) -> None:
    """The LimeSurvey file, the paper questionnaires and the CSV template."""
    st.subheader(t("pt_files"))
    st.caption(t("pt_files_help", forms=len(pretest.orders)))
    for n, (name, data) in enumerate(_survey_files(pretest.model_dump_json()).items()):
        mime = next((m for s, m in MIME.items() if name.endswith(s)), "application/octet-stream")
        st.download_button(name, data, file_name=name, mime=mime, key=f"pt_file_{n}")


@st.cache_data(max_entries=8, show_spinner=False)
def _survey_files(spec: str) -> dict[str, bytes]:
    """The files of a pretest, made once per design (the PDFs take a moment)."""
    return survey_files(Pretest.model_validate_json(spec))


def answers_form(store: PretestStore, pretest: Pretest, user: str) -> None:
    """Take in a LimeSurvey response export or the filled-in CSV template."""
    st.subheader(t("pt_answers"))
    upload = st.file_uploader(t("pt_upload"), type=["csv", "txt"], key=f"pt_upload_{pretest.id}")
    if upload is not None and st.button(t("pt_import"), key="pt_import"):
        try:
            done = import_answers(store, pretest.id, upload.getvalue(), upload.name, user=user)
        except ClarionError as exc:
            error_box(exc)
        else:
            st.success(t("pt_imported", respondents=done.respondents, name=plain(done.filename)))
    for item in store.imports(pretest.id):
        st.caption(
            t("pt_import_line", name=plain(item.filename), respondents=item.respondents,
              user=plain(item.imported_by), at=item.imported_at[:16])
        )  # fmt: skip


def results_section(packs: PackStore, store: PretestStore, pretest: Pretest, user: str) -> None:
    """The analysis in a sentence, tables and charts, and the button that adopts the winner."""
    ratings = store.ratings(pretest.id)
    if not ratings:
        st.info(t("pt_no_answers"))
        return
    lang = ui_language()
    language: Language = "de" if lang == "de" else "en"
    analysis = analyse_pretest(store, pretest)
    st.subheader(t("pt_result"))
    st.markdown(plain(summarise(analysis, language)))
    for note in notes(analysis, language):
        st.warning(plain(note))
    st.dataframe(_means(analysis, language), hide_index=True, key="pt_means")
    st.dataframe(_pairs(analysis, language), hide_index=True, key="pt_pairs")
    # Vega's own theme: Streamlit's clips the charts' titles
    st.altair_chart(means_chart(analysis, language), theme=None, key="pt_chart_means")
    st.altair_chart(paired_chart(analysis, language), theme=None, key="pt_chart_paired")
    if auth.allowed("approve"):
        adopt_form(packs, store, pretest, analysis, user)


def _means(analysis: PretestAnalysis, language: Language) -> list[dict[str, object]]:
    return [
        {
            t("pt_col_version"): v.version,
            t("pt_col_n"): v.respondents,
            t("pt_col_mean"): number(v.mean, language),
            t("pt_col_ci"): _interval(v.ci_low, v.ci_high, language),
        }
        for v in analysis.versions
    ]


def _pairs(analysis: PretestAnalysis, language: Language) -> list[dict[str, object]]:
    return [
        {
            t("pt_col_pair"): f"{p.second} − {p.first}",
            t("pt_col_difference"): number(p.difference, language),
            t("pt_col_ci"): _interval(p.ci_low, p.ci_high, language),
            "dz": "–" if p.dz is None else number(p.dz, language),
            t("pt_col_p"): _p(p.p_holm, language),
        }
        for p in analysis.pairs
    ]


def _interval(low: float | None, high: float | None, language: Language) -> str:
    if low is None or high is None:
        return "–"
    return f"{number(low, language)} … {number(high, language)}"


def _p(value: float, language: Language) -> str:
    """p as a reader expects it: three decimals, and "< 0.001" below that."""
    if value < 0.001:
        return "< 0,001" if language == "de" else "< 0.001"
    text = f"{value:.3f}"
    return text.replace(".", ",") if language == "de" else text


def adopt_form(
    packs: PackStore, store: PretestStore, pretest: Pretest, analysis: PretestAnalysis, user: str
) -> None:
    """Adopt the winner in one step; another version only with a reason."""
    labels = [v.label for v in pretest.versions]
    if analysis.winner is not None:
        label, reason = analysis.winner, ""
        st.success(t("pt_winner", label=label))
    else:
        label = st.selectbox(t("pt_adopt_other"), labels, key="pt_adopt_label")
        reason = st.text_input(t("pt_reason"), key="pt_reason", max_chars=500)
    if st.button(t("pt_adopt", label=label), key="pt_adopt"):
        try:
            done = adopt(packs, store, pretest.id, user=user, label=label, reason=reason)
        except ClarionError as exc:
            error_box(exc)
            return
        st.success(t("pt_adopted", label=done.result.version, count=len(done.messages)))
