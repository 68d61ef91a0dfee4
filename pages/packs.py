"""The "Packs" page: plan a campaign, generate its grid, review each cell, audit and export."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from pydantic import ValidationError

from comms.campaign_facts import SLOTS
from comms.checks.sms import sms_info
from comms.drafting.write import should_ask
from comms.message import Message
from comms.packs.archive import export_pack, export_path, import_pack
from comms.packs.audit import audit_csv, audit_rows
from comms.packs.campaign import Campaign, Cell, Sender, cells
from comms.packs.coherence import Coherence, coherence
from comms.packs.evidence_flags import ChangedCell
from comms.packs.generation import Progress, create_campaign, generate_pack, regenerate_cell
from comms.packs.native import mark_native_checked, unchecked
from comms.packs.review import (
    add_comment,
    approvals_needed,
    approve,
    confirm_evidence,
    edit_text,
    reject,
    request_changes,
)
from comms.packs.store import CampaignRecord, PackMessage, PackStore
from core.catalog import load_catalog
from core.errors import ClarionError
from ui import auth, publish, resources
from ui.text import counted, link, plain, t, ui_language
from ui.widgets import (
    cell_name,
    check_list,
    error_box,
    evidence_badge,
    evidence_change,
    meant_texts,
    refused_text,
    refused_version,
    review_notes,
)

NOTICE = "pk_notice"
ICONS = {"draft": "📝", "needs_changes": "✏️", "approved": "✅", "rejected": "⛔"}

auth.require("generate")
catalog = load_catalog()
lang = ui_language()
packs = PackStore(resources.settings())
user = auth.current_user()


def labels(kind: str) -> dict[str, str]:
    return {e.id: e.label_in(lang) for e in getattr(catalog, kind)}


def act(action: Callable[[], Any], success: str = "") -> None:
    """Run a review action from a button callback; its outcome shows at the top of the page."""
    try:
        action()
        st.session_state[NOTICE] = ("success", success) if success else None
    except ClarionError as exc:
        st.session_state[NOTICE] = ("error", t("error", error=plain(str(exc))))


def plan_form() -> None:
    """A new campaign: topic, fact sheet, the grid's dimensions, variants and approvals."""
    with st.form("pk_plan"):
        left, right = st.columns(2)
        campaign_id = left.text_input(t("pk_id"), key="pk_new_id", max_chars=63)
        name = right.text_input(t("pk_name"), key="pk_new_name", max_chars=200)
        topics = labels("topics")
        topic = left.selectbox(
            t("topic"), list(topics), format_func=lambda i: topics[i], key="pk_topic"
        )
        sender = right.text_input(t("pk_sender"), key="pk_new_sender", max_chars=120)
        grid = {}
        for kind, column in (("audiences", left), ("channels", right), ("languages", left)):
            options = labels(kind)
            grid[kind] = column.multiselect(
                t(f"pk_{kind}"), list(options), format_func=options.__getitem__, key=f"pk_{kind}"
            )
        variants = right.number_input(t("pk_variants"), 1, 5, 1, key="pk_new_variants")
        approvals = right.radio(
            t("pk_approvals"), [1, 2], horizontal=True, help=t("pk_approvals_help"), key="pk_appr"
        )
        st.caption(t("facts_help"))
        cols = st.columns(2)
        facts = {
            slot: cols[n % 2].text_input(t(f"fact_{slot}"), key=f"pk_fact_{slot}", max_chars=300)
            for n, slot in enumerate(SLOTS)
        }
        if not st.form_submit_button(t("pk_create"), type="primary"):
            return
    try:
        campaign = Campaign.model_validate(
            {
                "id": campaign_id.strip(),
                "name": name.strip() or campaign_id.strip(),
                "topic": topic,
                "facts": facts,
                "variants": int(variants),
                "approvals": approvals,
                "sender": Sender(name=sender.strip()) if sender.strip() else None,
                **grid,
            }
        )
        create_campaign(packs, campaign, settings=resources.settings(), user=user)
    except (ValidationError, ClarionError) as exc:
        error_box(exc)
        return
    st.session_state["pk_campaign"] = campaign.id
    st.session_state[NOTICE] = ("success", t("pk_created", id=campaign.id))
    st.rerun()


def import_form() -> None:
    upload = st.file_uploader(t("pk_import"), type=["zip"], key="pk_upload")
    if upload is None or not st.button(t("pk_import_button"), key="pk_import"):
        return
    try:
        record = import_pack(packs, upload.getvalue(), user=user)
    except ClarionError as exc:
        error_box(exc)
        return
    st.session_state["pk_campaign"] = record.id
    st.session_state[NOTICE] = ("success", t("pk_imported", id=record.id))
    st.rerun()


def asking() -> bool:
    """The page's "ask the model" choice, within what the ask_model setting allows."""
    mode = resources.settings().ask_model
    requested = st.checkbox(
        t("pk_ask_model"), value=mode == "always", disabled=mode != "on-request", key="pk_ask"
    )
    return should_ask(resources.settings(), requested=requested)


def chat_for(ask: bool) -> Any:
    """The chat model only when it is asked: composing needs none."""
    return resources.chat_model() if ask else None


def coherence_section(state: Coherence) -> None:
    """The map version, the cells from an older one, and the consistency findings."""
    st.caption(t("pk_map", id=state.map_id, version=state.map_version))
    if state.stale:
        st.warning(t("pk_stale", cells=", ".join(cell.key for cell in state.stale)))
    if state.findings:
        lines = [f"- **{f.kind}**: {plain(f.detail)}" for f in state.findings]
        st.warning("\n".join([t("pk_consistency"), *lines]))
    else:
        st.caption(t("pk_consistent"))
    if state.evidence:
        st.warning(t("pk_evidence", messages=counted("n_messages", len(state.evidence))))


def generate(record: CampaignRecord, ask: bool) -> None:
    """Generate missing messages with a progress bar; Stop reruns the page, which ends it."""
    bar = st.progress(0.0)
    st.button(t("pk_stop"), key="pk_stop")  # a click interrupts this run; finished cells stay

    def show(progress: Progress) -> None:
        left = "…" if progress.seconds_left is None else f"{round(progress.seconds_left / 60)} min"
        text = t("pk_progress", done=progress.done, total=progress.total, left=left)
        bar.progress(progress.done / max(progress.total, 1), text=text)

    run = generate_pack(
        packs, record.id, settings=resources.settings(), chat=chat_for(ask),
        knowledge=resources.store(), user=user, ask_model=ask, on_progress=show,
    )  # fmt: skip
    st.session_state[NOTICE] = (
        "warning" if run.failed else "success",
        t("pk_generated", generated=len(run.generated), failed=len(run.failed)),
    )
    st.rerun()


def grid(
    record: CampaignRecord, stored: dict[Cell, PackMessage], flagged: dict[Cell, ChangedCell]
) -> None:
    """Rows audiences, columns channels, one language at a time; a button opens a cell."""
    campaign = record.campaign
    languages = labels("languages")
    language = st.segmented_control(
        t("language"), campaign.languages, format_func=languages.__getitem__, key="pk_language",
        default=campaign.languages[0],
    ) or campaign.languages[0]  # fmt: skip
    channels, audiences = labels("channels"), labels("audiences")
    header = st.columns([2] + [3] * len(campaign.channels))
    for column, channel in zip(header[1:], campaign.channels, strict=True):
        column.markdown(f"**{plain(channels[channel])}**")
    for audience in campaign.audiences:
        row = st.columns([2] + [3] * len(campaign.channels))
        row[0].markdown(plain(audiences[audience]))
        for column, channel in zip(row[1:], campaign.channels, strict=True):
            for variant in range(1, campaign.variants + 1):
                cell = Cell(audience, channel, language, variant)
                label = cell_label(stored.get(cell), variant, campaign.variants, flagged.get(cell))
                open_button(column, cell, label)


def open_button(where: Any, cell: Cell, label: str) -> None:
    """The button that opens a cell below the grid."""
    where.button(
        label,
        key=f"pk_cell:{cell.key}",
        on_click=st.session_state.__setitem__,
        args=("pk_open", cell.key),
        width="stretch",
    )


def changed_list(stored: dict[Cell, PackMessage], flagged: dict[Cell, ChangedCell]) -> None:
    """Only the cells on changed evidence, every language, in grid order."""
    for cell, item in flagged.items():
        label = cell_label(stored.get(cell), cell.variant, 1, item)
        open_button(st, cell, f"{plain(cell_name(cell))} · {label}")


def cell_label(
    message: PackMessage | None, variant: int, variants: int, changed: ChangedCell | None = None
) -> str:
    prefix = f"{variant}: " if variants > 1 else ""
    if message is None:
        return prefix + t("pk_missing")
    status = f"{ICONS[message.status]} {t('pk_status_' + message.status)}"
    badge = f" · ⚠️ {evidence_badge(changed.flags)}" if changed else ""
    native = f" · 🌐 {t('pk_native_badge')}" if unchecked(message) else ""
    return f"{prefix}{status} · {message.score}{badge}{native}"


def cell_panel(record: CampaignRecord, message: PackMessage, changed: ChangedCell | None) -> None:
    """One message: text, checks, sources, history, and every review action."""
    cell, campaign_id = message.cell, record.id
    st.subheader(" · ".join(labels(k)[getattr(cell, k[:-1])] for k in ("audiences", "channels")))
    if changed is not None:
        evidence_section(campaign_id, changed)
    left, right = st.columns([3, 2])
    with left:
        st.code(message.text, language=None, wrap_lines=True)
        info = sms_info(message.text)
        st.caption(
            t("pk_sms", chars=len(message.text), segments=info.segments, encoding=info.encoding)
        )
        refused_sections(message)
        native_section(campaign_id, message)
        names, needed = approvals_needed(packs, message)
        st.caption(t("pk_approved_by", count=len(names), needed=needed, names=", ".join(names)))
        review_actions(campaign_id, message)
        publish.test_reading(packs, campaign_id, message, user)
    with right:
        check_list(message.checks)
        st.markdown(f"**{t('citations')}**")
        for c in message.message.get("citations", []):
            st.markdown(f"[{c['number']}] {link(c['title'], c['url'])} · {plain(c['date'])}")
        review_notes(c["source_id"] for c in message.message.get("citations", []))
        st.markdown(f"**{t('pk_remarks')}**")
        for remark in packs.remarks(campaign_id, cell):
            note = f": {plain(remark.text)}" if remark.text else ""
            st.caption(f"{remark.created_at} · {plain(remark.user)} · {remark.kind}{note}")


def native_section(campaign_id: str, message: PackMessage) -> None:
    """For a translation: what its key messages mean, and the native check where the signed-in
    person reads the language."""
    cell, who = message.cell, auth.identity()
    try:
        ref = Message.model_validate(message.message).map
    except ValidationError:  # an imported message from another Clarion: no map reference
        ref = None
    rtl = next((lg.rtl for lg in catalog.languages if lg.id == cell.language), False)
    meant_texts(ref, cell.language, who, rtl)
    if not unchecked(message):
        return
    if who is None or not who.reads_language(cell.language) or not who.can("approve"):
        st.warning(t("pk_native_not_reader", language=cell.language), icon="🌐")
        return
    reader = who

    def check() -> None:
        mark_native_checked(packs, campaign_id, cell, reader=reader, revision=message.revision)

    st.button(t("pk_native_check"), key="pk_native_check", on_click=act,
              args=(check, t("pk_native_checked")))  # fmt: skip


def refused_sections(message: PackMessage) -> None:
    """The sentences the checks refused in the cell's text, and the model's version where it
    was not used, each sentence marked with its reason (nothing where none was refused)."""
    language = message.cell.language
    if verdicts := message.checks.refused_sentences():
        refused_text(message.text, verdicts, language)
    try:
        generated = Message.model_validate(message.message)
    except ValidationError:  # an imported message from another Clarion: not shown
        return
    rejected = generated.rejected_model_version
    if rejected is None:
        return
    with st.expander(t("model_not_used")):
        st.markdown(f"**{t('not_used_because')}**")
        checks = generated.model_checks
        if not refused_version(rejected.text, rejected.reasons, checks, language) and rejected.text:
            st.text(rejected.text)


def review_actions(campaign_id: str, message: PackMessage) -> None:
    cell, revision = message.cell, message.revision
    text_key, note_key = f"pk_text:{cell.key}:{revision}", f"pk_note:{cell.key}"
    st.text_area(t("edit"), message.text, key=text_key)
    st.text_input(t("pk_comment"), key=note_key, max_chars=2000)

    def text() -> str:  # read when the button's callback runs, so the latest input counts
        return str(st.session_state.get(text_key, ""))

    def note() -> str:
        return str(st.session_state.get(note_key, ""))

    st.button(
        t("pk_save"),
        key="pk_save",
        on_click=act,
        args=(lambda: edit_text(packs, campaign_id, cell, text(), user=user, revision=revision),),
    )
    # A row that wraps at content width: every label shows in full, whatever the column width
    # (five equal columns cut "Änderung anfordern" to "Änderung…").
    buttons = st.container(horizontal=True, wrap=True)
    buttons.button(
        t("pk_add_comment"),
        key="pk_add_comment",
        on_click=act,
        args=(lambda: add_comment(packs, campaign_id, cell, note(), user=user),),
    )
    if auth.allowed("approve"):
        decisions = {
            "pk_approve": lambda: approve(packs, campaign_id, cell, user=user, revision=revision),
            "pk_changes": lambda: request_changes(
                packs, campaign_id, cell, user=user, revision=revision, note=note()
            ),
            "pk_reject": lambda: reject(
                packs, campaign_id, cell, user=user, revision=revision, note=note()
            ),
        }
        for key, action in decisions.items():
            buttons.button(t(key), key=key, on_click=act, args=(action,))
    if buttons.button(t("pk_regenerate"), key="pk_regenerate"):
        regenerate(campaign_id, cell)
    if not auth.allowed("approve"):
        st.caption(t("pk_no_approve"))


def regenerate(campaign_id: str, cell: Cell) -> None:
    """Write the cell again (this closes its evidence flags), then redraw the page."""
    ask = should_ask(resources.settings(), requested=bool(st.session_state.get("pk_ask")))
    with st.spinner(t("writing")):
        act(lambda: regenerate_cell(
            packs, campaign_id, cell, settings=resources.settings(),
            chat=chat_for(ask), knowledge=resources.store(), user=user, ask_model=ask,
        ))  # fmt: skip
    st.rerun()


def evidence_section(campaign_id: str, changed: ChangedCell) -> None:
    """What changed in each cited passage, old beside new, with confirm and regenerate."""
    cell = changed.cell
    st.badge(evidence_badge(changed.flags), icon=":material/warning:", color="orange")
    for flag in changed.flags:
        with st.container(border=True):
            evidence_change(flag)
    reason_key = f"pk_reason:{cell.key}"
    buttons = st.container(horizontal=True, wrap=True, vertical_alignment="bottom")
    if auth.allowed("approve"):
        buttons.text_input(t("ev_reason"), key=reason_key, max_chars=2000)

        def confirm() -> None:
            reason = str(st.session_state.get(reason_key, ""))
            confirm_evidence(packs, campaign_id, cell, user=user, reason=reason)

        buttons.button(
            t("ev_confirm"), key="pk_confirm_evidence", on_click=act,
            args=(confirm, t("ev_confirmed")),
        )  # fmt: skip
    if buttons.button(t("pk_regenerate"), key="pk_regenerate_evidence"):
        regenerate(campaign_id, cell)


def audit_section(record: CampaignRecord) -> None:
    events = packs.events(record.id)
    st.dataframe(audit_rows(events), hide_index=True, key="pk_audit_table")
    st.download_button(
        t("pk_audit_download"),
        audit_csv(events).encode("utf-8"),
        file_name=f"{record.id}-audit.csv",
        mime="text/csv",
        key="pk_audit_csv",
    )


def export_section(record: CampaignRecord) -> None:
    draft = st.checkbox(t("pk_export_draft"), key="pk_export_draft")
    strict = st.checkbox(t("pk_export_strict"), key="pk_export_strict")
    if st.button(t("pk_export_button"), key="pk_export"):
        out = export_path(resources.settings(), record.id, draft=draft)
        try:
            result = export_pack(
                packs,
                record.id,
                out,
                user=user,
                draft=draft,
                ui_language=lang,
                strict=strict,
                knowledge=resources.store(),
            )
        except ClarionError as exc:
            error_box(exc)
            return
        st.session_state["pk_zip"] = (result.path.name, result.path.read_bytes())
        st.success(t("pk_exported", count=result.messages))
        if result.evidence_changed:
            changed = result.evidence_changed
            lines = [f"- {plain(cell_name(item.cell))}" for item in changed]
            st.warning("\n".join([t("pk_export_evidence", count=len(changed)), *lines]))
        if result.withheld:
            lines = [f"- {plain(cell_name(cell))}" for cell in result.withheld]
            st.warning("\n".join([t("pk_export_withheld", count=len(result.withheld)), *lines]))
    if "pk_zip" in st.session_state:
        name, data = st.session_state["pk_zip"]
        st.download_button(
            t("pk_download"), data, file_name=name, mime="application/zip", key="pk_download"
        )
        publish.pack_files(data)


st.title(t("page_packs"))
st.caption(t("pk_intro"))
notice = st.session_state.pop(NOTICE, None)
if notice:
    getattr(st, notice[0])(notice[1])
with st.expander(t("pk_new"), expanded=False):
    plan_form()
with st.expander(t("pk_import")):
    import_form()

try:
    records = {r.id: r for r in packs.campaigns()}
except ClarionError as exc:
    error_box(exc)
    st.stop()
if not records:
    st.info(t("pk_none"))
    st.stop()
chosen = st.selectbox(
    t("pk_campaign"), list(records), format_func=lambda i: f"{records[i].campaign.name} ({i})",
    key="pk_campaign",
)  # fmt: skip
record = records[str(chosen)]
stored = {m.cell: m for m in packs.messages(record.id)}
st.caption(
    t(
        "pk_summary",
        topic=labels("topics")[record.campaign.topic],
        stored=len(stored),
        size=record.campaign.size,
        template=record.template_number,
        model=plain(record.model),
    )
)
flagged: dict[Cell, ChangedCell] = {}
if stored:
    state = coherence(record.campaign, list(stored.values()), resources.settings())
    coherence_section(state)
    flagged = {item.cell: item for item in state.evidence}  # grid order
if st.session_state.get("pk_stop"):
    st.info(t("pk_stopped"))
ask = asking()
if len(stored) < record.campaign.size and st.button(
    t("pk_generate"), key="pk_generate", type="primary"
):
    try:
        generate(record, ask)
    except ClarionError as exc:
        error_box(exc)

st.header(t("pk_review"))
only_changed = st.checkbox(
    t("pk_only_changed", count=len(flagged)), key="pk_only_changed", disabled=not flagged
)
if only_changed and flagged:
    changed_list(stored, flagged)
else:
    grid(record, stored, flagged)
opened = st.session_state.get("pk_open")
current = next((m for c, m in stored.items() if c.key == opened), None)
if current is not None and current.cell in cells(record.campaign):
    cell_panel(record, current, flagged.get(current.cell))
with st.expander(t("pk_audit")):
    audit_section(record)
resources.wait_for_torch()  # scipy and altair fail while torch is still being imported
from ui.pretest import pretest_section  # noqa: E402  (after the wait above)

pretest_section(packs, record.campaign, user)
st.header(t("pk_export"))
export_section(record)
