"""Exporting a pack as a ZIP (written atomically) and importing one back to continue work.

Export signs the manifest with this installation's secret (comms.packs.signature). Import re-runs
every check on this installation's code and evidence, and keeps statuses and review decisions
only from a pack this installation signed; any other pack's messages come in as drafts, with the
file's approvals and decisions kept as notes in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from comms.checks.sms import sms_info
from comms.drafting.template import parse_template
from comms.message import Message
from comms.packs.audit import AuditEvent
from comms.packs.campaign import Campaign, Cell, cells, check_campaign
from comms.packs.coherence import Coherence, coherence
from comms.packs.evidence_flags import ChangedCell
from comms.packs.native import unchecked_cells
from comms.packs.pretest_results import PretestResult
from comms.packs.publications import output_names, publication_files, tested_by_readers
from comms.packs.render import (
    Layout,
    PackItem,
    docx_bytes,
    markdown,
    overview_html,
    sms_csv,
    sources,
)
from comms.packs.review import message_checks, person
from comms.packs.signature import sign, signed_here
from comms.packs.store import (
    CampaignRecord,
    PackMessage,
    PackStore,
    Remark,
    Transaction,
    audit_event,
)
from comms.report import LintReport
from core.clock import now
from core.database import Connection
from core.errors import ClarionError, InputError, file_problems
from core.settings import Settings
from knowledge.history.reviews import Overdue, overdue
from knowledge.history.versions import latest, passages
from knowledge.retrieval.store import Store

FORMAT: Literal["clarion-pack"] = "clarion-pack"
FORMAT_VERSION: Literal[1] = 1
MANIFEST = "manifest.json"
MAX_ZIP_BYTES = 50 * 1024 * 1024  # the pack ZIP itself, as uploaded or imported
MAX_ENTRIES = 5_000
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # uncompressed, all files together
MAX_MANIFEST_BYTES = 32 * 1024 * 1024
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a local file header, or an empty archive
MAX_RATIO = 200  # uncompressed / compressed: far beyond what text, DOCX or JSON reach


class PackFileError(ClarionError):
    """A ZIP that is damaged, not a Clarion pack, or unsafe to open."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ManifestSource(Strict):
    number: int
    chunk_id: str
    source_id: str
    title: str
    url: str
    date: str


class ManifestRemark(Strict):
    user: str
    kind: Literal["comment", "approve", "reject", "needs_changes"]
    text: str
    revision: int
    created_at: str


class ManifestMessage(Strict):
    """One message's text, review state and full provenance."""

    audience: str
    channel: str
    language: str
    variant: int = Field(ge=1)
    status: Literal["draft", "needs_changes", "approved", "rejected"]
    revision: int = Field(ge=1)
    text: str
    edited: bool
    files: dict[str, str]
    sms: dict[str, Any] | None
    model: dict[str, Any]
    template_id: str
    template_version: str
    seed: int
    created_at: str
    evidence_ids: list[str]
    sources: list[ManifestSource]
    checks: LintReport
    approvals: list[str]
    remarks: list[ManifestRemark]
    updated_by: str
    updated_at: str
    generated: dict[str, Any]  # the Message as the model wrote it, evidence texts included
    # the pretests whose winning version this message is (comms/pretest), absent before them
    pretests: list[PretestResult] = Field(default_factory=list)

    @property
    def cell(self) -> Cell:
        return Cell(self.audience, self.channel, self.language, self.variant)


class ManifestTemplate(Strict):
    id: str
    number: int
    version: str
    text: str


class ManifestMap(Strict):
    """The message map: the version the last generation run used, and the one in effect."""

    id: str
    version: str
    in_effect: str


class ManifestFinding(Strict):
    kind: str
    detail: str
    cells: list[str]  # cell keys


class Manifest(Strict):
    """manifest.json: what the pack holds and where every message came from."""

    format: Literal["clarion-pack"]
    format_version: Literal[1]
    draft: bool
    exported_at: str
    exported_by: str
    campaign: Campaign
    template: ManifestTemplate
    model: str
    created_by: str
    created_at: str
    messages: list[ManifestMessage]
    files: dict[str, str]  # path in the ZIP → sha256 of its bytes
    map: ManifestMap | None = None  # absent in packs made before message maps
    stale_cells: list[str] = Field(default_factory=list)  # from another map version
    # approved translations no native speaker checked, exported because the campaign accepts
    # them (campaign.accept_unchecked_translations); in a draft export, every unchecked one
    unchecked_translations: list[str] = Field(default_factory=list)
    consistency: list[ManifestFinding] = Field(default_factory=list)
    signature: str = ""  # HMAC-SHA256 of the rest, with the exporting installation's secret

    def content(self) -> bytes:
        """What the signature covers: every field but the signature, as canonical JSON."""
        data = self.model_dump(mode="json", exclude={"signature"})
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    messages: int
    draft: bool
    evidence_changed: tuple[ChangedCell, ...] = ()  # approved, but their evidence changed
    withheld: tuple[Cell, ...] = ()  # approved, but no native speaker checked the translation


def export_path(settings: Settings, campaign_id: str, *, draft: bool) -> Path:
    """Where the app keeps an export: data_dir/exports/<campaign>-<time>[-draft].zip."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return settings.data_dir / "exports" / f"{campaign_id}-{stamp}{'-draft' if draft else ''}.zip"


def export_pack(
    store: PackStore,
    campaign_id: str,
    out: Path,
    *,
    user: str,
    draft: bool = False,
    ui_language: str = "de",
    strict: bool = False,
    knowledge: Store | None = None,
) -> ExportResult:
    """Write the pack to out: approved messages only, or (draft) all, each file marked DRAFT.

    Approved messages whose cited evidence changed since are exported with a warning (listed
    in the result and the overview); `strict` refuses the export until each is confirmed or
    regenerated. With the knowledge store, the overview names each cited source past its
    review date."""
    user = person(user)
    with store.transaction(write=False) as tx:
        record = tx.campaign(campaign_id)
        chosen = [m for m in tx.messages(campaign_id) if draft or m.status == "approved"]
        remarks = {m.cell: tx.remarks(campaign_id, m.cell) for m in chosen}
        approvers = {m.cell: tx.approvers(campaign_id, m.cell, m.revision) for m in chosen}
        tested = tx.pretest_results(campaign_id)
    if not chosen and draft:
        raise InputError(f"Campaign '{campaign_id}' has no messages yet: generate them first.")
    chosen, withheld = _native_checked(record.campaign, chosen, draft=draft, strict=strict)
    if not chosen and withheld:
        raise InputError(
            f"Every approved message of campaign '{campaign_id}' is a translation no native "
            f"speaker has checked: {', '.join(c.key for c in withheld)}. A reviewer who reads "
            "the language marks each checked, or the campaign file says "
            "`accept_unchecked_translations: true`."
        )
    if not chosen:
        raise InputError(
            f"Campaign '{campaign_id}' has no approved messages yet: approve some, or make a "
            "draft export (every file marked DRAFT)."
        )
    chosen.sort(key=lambda m: _grid_rank(record.campaign, m.cell))
    layout = Layout(record.campaign, draft, ui_language, dt.date.today())
    items = [PackItem(m, tuple(approvers[m.cell]), _name(m.cell, draft)) for m in chosen]
    state = coherence(record.campaign, chosen, store.settings)
    changed = state.approved_on_old_evidence(chosen)
    if strict and changed and not draft:
        lines = "; ".join(item.cell.key for item in changed)
        raise InputError(
            f"{len(changed)} approved message(s) cite evidence that changed since: {lines}. "
            "A reviewer confirms or regenerates each (Packs page, or `python -m comms stale`); "
            "export without --strict to write the pack with a warning."
        )
    cited = [source["source_id"] for item in items for source in sources(item.message.message)]
    due = overdue(store.settings, knowledge, cited, layout.date) if knowledge else {}
    files = _files(layout, items, state, list(due.values()))
    readers = tested_by_readers(store, campaign_id, chosen)
    files |= publication_files(store.settings, layout, items, readers)
    manifest = _manifest(record, items, remarks, tested, files, state, user=user, draft=draft)
    manifest.signature = sign(store.settings, manifest.content())
    files[MANIFEST] = manifest.model_dump_json(indent=2).encode("utf-8")
    write_zip(out, files)
    with store.transaction() as tx:
        for item in items:
            tx.record(audit_event(item.message, user, "export", _export_note(out, draft)))
    return ExportResult(out, len(items), draft, tuple(changed), tuple(withheld))


def _native_checked(
    campaign: Campaign, chosen: list[PackMessage], *, draft: bool, strict: bool
) -> tuple[list[PackMessage], list[Cell]]:
    """The messages an export may mark approved, and the unchecked translations it keeps out.

    A draft export, or a campaign that accepts unchecked translations, keeps them all (the
    manifest lists them); a strict export refuses them by name; otherwise they stay out."""
    unchecked = unchecked_cells(chosen)
    if draft or campaign.accept_unchecked_translations or not unchecked:
        return chosen, []
    if strict:
        raise InputError(
            f"{len(unchecked)} approved message(s) are translations no native speaker has "
            f"checked: {', '.join(cell.key for cell in unchecked)}. A reviewer who reads the "
            "language marks each checked (Packs page, or `python -m comms packs native-check`), "
            "or the campaign file says `accept_unchecked_translations: true`."
        )
    return [m for m in chosen if m.cell not in unchecked], unchecked


def write_zip(out: Path, files: dict[str, bytes]) -> None:
    """Write a ZIP atomically: a temp file in the same folder, then os.replace."""
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(handle, "wb") as raw:
            with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for name, data in files.items():
                    archive.writestr(name, data)
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes it private; it is an ordinary file to hand on
        os.replace(temp, out)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _name(cell: Cell, draft: bool) -> str:
    prefix = "DRAFT_" if draft else ""
    return f"messages/{cell.language}/{prefix}{cell.audience}__{cell.channel}__v{cell.variant}"


def _grid_rank(campaign: Campaign, cell: Cell) -> tuple[int, int, int, int]:
    return (
        campaign.languages.index(cell.language),
        campaign.audiences.index(cell.audience),
        campaign.channels.index(cell.channel),
        cell.variant,
    )


def _files(
    layout: Layout, items: list[PackItem], state: Coherence, due: list[Overdue]
) -> dict[str, bytes]:
    prefix = "DRAFT_" if layout.draft else ""
    files: dict[str, bytes] = {}
    for item in items:
        files[item.name + ".md"] = markdown(layout, item).encode("utf-8")
        files[item.name + ".docx"] = docx_bytes(layout, item)
    names = {name: name for name in files}
    files[f"{prefix}index.html"] = overview_html(layout, items, names, state, due).encode("utf-8")
    files[f"{prefix}sms.csv"] = sms_csv(layout, items).encode("utf-8")
    return files


def _manifest(
    record: CampaignRecord,
    items: list[PackItem],
    remarks: dict[Cell, list[Remark]],
    tested: dict[Cell, list[PretestResult]],
    files: dict[str, bytes],
    state: Coherence,
    *,
    user: str,
    draft: bool,
) -> Manifest:
    return Manifest(
        format=FORMAT,
        format_version=FORMAT_VERSION,
        draft=draft,
        exported_at=now(),
        exported_by=user,
        campaign=record.campaign,
        template=ManifestTemplate(
            id=record.template_id,
            number=record.template_number,
            version=record.template_hash,
            text=record.template_text,
        ),
        model=record.model,
        created_by=record.created_by,
        created_at=record.created_at,
        messages=[_entry(item, remarks[item.cell], tested.get(item.cell, [])) for item in items],
        files={name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
        map=ManifestMap(
            id=record.map_id or state.map_id,
            version=record.map_version,
            in_effect=state.map_version,
        ),
        stale_cells=[cell.key for cell in state.stale],
        unchecked_translations=[c.key for c in unchecked_cells([i.message for i in items])],
        consistency=[
            ManifestFinding(kind=f.kind, detail=f.detail, cells=[c.key for c in f.cells])
            for f in state.findings
        ],
    )


def _entry(item: PackItem, remarks: list[Remark], pretests: list[PretestResult]) -> ManifestMessage:
    m, generated = item.message, item.message.message
    info = sms_info(m.text) if m.cell.channel == "sms" else None
    return ManifestMessage(
        audience=m.cell.audience,
        channel=m.cell.channel,
        language=m.cell.language,
        variant=m.cell.variant,
        status=m.status,
        revision=m.revision,
        text=m.text,
        edited=m.edited,
        files={"markdown": item.name + ".md", "docx": item.name + ".docx"} | output_names(item),
        sms=None if info is None else vars(info),
        model=dict(generated.get("model") or {}),
        template_id=str(generated.get("template_id", "")),
        template_version=str(generated.get("template_version", "")),
        seed=m.seed,
        created_at=str(generated.get("created_at", "")),
        evidence_ids=list(m.evidence_ids),
        sources=[ManifestSource.model_validate(s) for s in sources(generated)],
        checks=m.checks,
        approvals=list(item.approvers),
        remarks=[ManifestRemark(**vars(r)) for r in remarks],  # type: ignore[arg-type]
        updated_by=m.updated_by,
        updated_at=m.updated_at,
        generated=generated,
        pretests=pretests,
    )


def _export_note(out: Path, draft: bool) -> str:
    return f"{'draft' if draft else 'approved'} export to {out.name}"


def read_manifest(source: Path | bytes | IO[bytes]) -> Manifest:
    """The manifest of a pack ZIP, after checking the ZIP is whole, safe and a Clarion pack."""
    _check_size(source)
    stream: Path | IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source
    if not _head(stream).startswith(ZIP_MAGIC):
        raise PackFileError(
            "This file is not a ZIP file; a Clarion pack is the .zip that a pack export writes."
        )
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = _safe_entries(archive)
            if MANIFEST not in infos:
                raise PackFileError("This ZIP is not a Clarion pack: it has no manifest.json.")
            manifest = _parse_manifest(_read(archive, infos[MANIFEST], MAX_MANIFEST_BYTES))
            _check_files(archive, infos, manifest)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError) as exc:
        raise PackFileError(f"The ZIP file is damaged or incomplete ({exc}).") from exc
    return manifest


def _head(stream: Path | IO[bytes]) -> bytes:
    """The first bytes of a file or stream (a stream is put back where it was)."""
    if isinstance(stream, Path):
        try:
            with stream.open("rb") as handle:
                return handle.read(4)
        except OSError as exc:
            raise PackFileError(f"The pack file cannot be read ({exc}).") from exc
    start = stream.tell()
    head = stream.read(4)
    stream.seek(start)
    return head


def _check_size(source: Path | bytes | IO[bytes]) -> None:
    """A pack ZIP over MAX_ZIP_BYTES is refused before it is opened."""
    if isinstance(source, bytes):
        size = len(source)
    elif isinstance(source, Path):
        size = source.stat().st_size if source.exists() else 0
    else:
        return  # a stream: its entries are bounded by MAX_TOTAL_BYTES as they are read
    if size > MAX_ZIP_BYTES:
        raise PackFileError(f"The file is larger than {MAX_ZIP_BYTES // 2**20} MB.")


def import_pack(store: PackStore, source: Path | bytes | IO[bytes], *, user: str) -> CampaignRecord:
    """Store a pack's campaign and messages to continue working on it: with their review
    history if this installation signed the pack, otherwise as drafts (the file's approvals
    become notes). Checks are re-run either way; nothing is stored unless all of it is."""
    user = person(user)
    manifest = read_manifest(source)
    campaign = check_campaign(manifest.campaign)
    parse_template(manifest.template.text, origin="the pack's template")
    record = CampaignRecord(
        campaign=campaign,
        template_id=manifest.template.id,
        template_number=manifest.template.number,
        template_hash=manifest.template.version,
        template_text=manifest.template.text,
        model=manifest.model,
        created_by=manifest.created_by,
        created_at=manifest.created_at,
        map_id=manifest.map.id if manifest.map else "",
        map_version=manifest.map.version if manifest.map else "",
    )
    grid = set(cells(campaign))
    stray = [m.cell.key for m in manifest.messages if m.cell not in grid]
    if stray:
        raise PackFileError(f"The pack has messages outside its campaign's grid: {stray[0]}.")
    trusted = signed_here(store.settings, manifest.content(), manifest.signature)
    with store.transaction() as tx:
        tx.insert_campaign(record)
        for entry in manifest.messages:
            _import_message(tx, record.campaign, entry, user, trusted=trusted)
        tx.record(AuditEvent(campaign.id, user, "import", detail=_import_note(manifest, trusted)))
    return record


def _import_note(manifest: Manifest, trusted: bool) -> str:
    count = f"imported {len(manifest.messages)} messages"
    exported = f"exported {manifest.exported_at} by {manifest.exported_by}"
    if trusted:
        return f"{count} ({exported}); signed by this installation: review state kept"
    return (
        f"{count} (the file says: {exported}); not signed by this installation: every message "
        "is a draft, the file's approvals and decisions are notes"
    )


def _import_message(
    tx: Transaction, campaign: Campaign, entry: ManifestMessage, user: str, *, trusted: bool
) -> None:
    checks = _checks(tx.db, campaign, entry)
    message = PackMessage(
        campaign_id=campaign.id,
        cell=entry.cell,
        status=entry.status if trusted else "draft",
        text=entry.text,
        checks=checks,
        message=entry.generated,
        revision=entry.revision,
        seed=entry.seed,
        updated_by=entry.updated_by if trusted else user,
        updated_at=entry.updated_at if trusted else now(),
    )
    if not tx.insert_message(message):
        raise PackFileError(f"The pack lists {entry.cell.key} twice.")
    if not trusted:
        tx.record(audit_event(message, user, "import", _draft_note(entry)))
        for remark in entry.remarks:
            tx.record(audit_event(message, user, "import_note", _remark_note(remark)))
        for result in entry.pretests:
            tx.record(audit_event(message, user, "import_note", _pretest_note(result)))
        return
    for r in entry.remarks:
        kept = Remark(r.user, r.kind, r.text, r.revision, r.created_at)
        tx.add_remark(campaign.id, entry.cell, kept)
    for result in entry.pretests:
        tx.record_pretest(campaign.id, entry.cell, result)
    tx.record(audit_event(message, user, "import", "from a pack ZIP this installation signed"))


def _draft_note(entry: ManifestMessage) -> str:
    approvals = ", ".join(entry.approvals) or "nobody"
    return (
        "from a pack ZIP not signed by this installation, as a draft; the file says: "
        f"{entry.status.replace('_', ' ')}, revision {entry.revision} approved by {approvals}"
    )


def _remark_note(remark: ManifestRemark) -> str:
    what = "commented" if remark.kind == "comment" else remark.kind.replace("_", " ")
    text = f": {remark.text}" if remark.text else ""
    return (
        f"the pack file says: {remark.user} {what} on revision {remark.revision} at "
        f"{remark.created_at}{text}"
    )


def _pretest_note(result: PretestResult) -> str:
    return (
        f"the pack file says: pretest {result.pretest_id} chose version {result.version} "
        f"({result.respondents} respondents): {result.summary}"
    )


def _checks(db: Connection, campaign: Campaign, entry: ManifestMessage) -> LintReport:
    """The message's checks as this installation's code and evidence give them now."""
    try:
        generated = Message.model_validate(entry.generated)
    except ValidationError as exc:
        raise PackFileError(
            f"The pack's record of {entry.cell.key} is not a message this Clarion can check "
            f"({file_problems(exc)[0]})."
        ) from exc
    current = _current_texts(db, {p.source_id for p in generated.evidence})
    evidence = [replace(p, text=current.get(p.chunk_id, p.text)) for p in generated.evidence]
    dump = generated.model_copy(update={"evidence": evidence}).model_dump(mode="json")
    return message_checks(entry.text, dump, campaign)


def _current_texts(db: Connection, source_ids: set[str]) -> dict[str, str]:
    """Passage texts by chunk id in the newest version of each source this installation has;
    a passage the pack cites from a source unknown here is checked as the pack has it."""
    texts: dict[str, str] = {}
    for source_id in sorted(source_ids):
        version = latest(db, source_id)
        if version is not None:
            texts |= {p.chunk_id: p.text for p in passages(db, source_id, version.number)}
    return texts


def _safe_entries(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """Every entry by name; refuse too many, unsafe names and zip-bomb sizes or ratios."""
    infos = archive.infolist()
    if len(infos) > MAX_ENTRIES:
        raise PackFileError(f"The ZIP has {len(infos)} files; a pack has at most {MAX_ENTRIES}.")
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        raise PackFileError(
            f"The ZIP would unpack to {total // 2**20} MB; a pack is at most "
            f"{MAX_TOTAL_BYTES // 2**20} MB. It was refused as a possible zip bomb."
        )
    entries: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        path = PurePosixPath(info.filename)
        if path.is_absolute() or ".." in path.parts or "\\" in info.filename:
            raise PackFileError(f"The ZIP contains an unsafe file name: {info.filename!r}.")
        if info.file_size > 1_000_000 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise PackFileError(
                f"{info.filename} is compressed {info.file_size // max(info.compress_size, 1)}:1; "
                "it was refused as a possible zip bomb."
            )
        if info.filename in entries:
            raise PackFileError(f"The ZIP contains {info.filename} twice.")
        entries[info.filename] = info
    return entries


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read one entry, never more than limit bytes whatever its header claims."""
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise PackFileError(f"{info.filename} is larger than {limit // 2**20} MB.")
    return data


def _parse_manifest(data: bytes) -> Manifest:
    try:
        raw = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackFileError(f"manifest.json is not valid JSON ({exc}).") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise PackFileError("This ZIP is not a Clarion pack: its manifest.json is of another kind.")
    if raw.get("format_version") != FORMAT_VERSION:
        raise PackFileError(
            f"This pack has format version {raw.get('format_version')!r}; this Clarion reads "
            f"version {FORMAT_VERSION}."
        )
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        raise PackFileError(
            f"manifest.json does not follow the pack format ({exc.error_count()} problems; "
            f"first: {file_problems(exc)[0]})."
        ) from exc


def _check_files(
    archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], manifest: Manifest
) -> None:
    """Every file the manifest lists is there with the same bytes."""
    for name, digest in manifest.files.items():
        if name not in infos:
            raise PackFileError(f"The pack is incomplete: {name} is missing.")
        data = _read(archive, infos[name], MAX_TOTAL_BYTES)
        if hashlib.sha256(data).hexdigest() != digest:
            raise PackFileError(f"The pack is damaged: {name} differs from its manifest entry.")
