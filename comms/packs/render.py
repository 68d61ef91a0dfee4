"""The files of an exported pack: Markdown, DOCX (letter, poster, plain), HTML overview, SMS CSV."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from comms.checks.lexicon import load_lexicon
from comms.checks.sentences import split_sentences
from comms.checks.sms import sms_info
from comms.model.licence import UNKNOWN, ModelLicence
from comms.packs.campaign import Campaign, Cell, Sender
from comms.packs.coherence import Coherence
from comms.packs.native import checked_by, unchecked
from comms.packs.store import PackMessage
from core.catalog import base_language, load_catalog, pick
from knowledge.history.reviews import Overdue

DRAFT_MARK = {
    "de": "ENTWURF – nicht freigegeben",
    "en": "DRAFT – not approved",
}
SALUTATION = {"de": "Sehr geehrte Damen und Herren,", "en": "Dear Sir or Madam,"}
CLOSING = {"de": "Mit freundlichen Grüßen", "en": "Kind regards"}
CLOSINGS = ("mit freundlichen grüßen", "freundliche grüße", "viele grüße", "herzliche grüße",
            "kind regards", "best regards", "best wishes", "yours sincerely")  # fmt: skip
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")  # fmt: skip
SMS_COLUMNS = ["recipient_group", "language", "variant", "text", "characters", "segments",
               "encoding", "status", "native_check"]  # fmt: skip
REVIEW_HEADING = {"de": "Quellen nach ihrem Prüfdatum", "en": "Sources past their review date"}
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'"


@dataclass(frozen=True)
class PackItem:
    """One exported message with what its files show besides the text."""

    message: PackMessage
    approvers: tuple[str, ...]
    name: str  # path in the ZIP without extension, e.g. messages/de/older-adults__sms__v1

    @property
    def cell(self) -> Cell:
        return self.message.cell


@dataclass(frozen=True)
class Layout:
    """What every file of one export shares."""

    campaign: Campaign
    draft: bool
    ui: str  # "de" or "en": labels, dates and the draft mark
    date: dt.date

    @property
    def mark(self) -> str:
        return f"{DRAFT_MARK['de']} / {DRAFT_MARK['en']}"


UNCHECKED = {
    "de": "Übersetzung: noch von niemandem mit dieser Muttersprache geprüft",
    "en": "Translation not yet checked by a native speaker",
}


def label(kind: str, entry_id: str, ui: str) -> str:
    """The catalog label of a topic, audience, channel or language in the UI language."""
    return pick(getattr(load_catalog(), kind), entry_id, kind[:-1]).label_in(ui)


def cell_title(layout: Layout, cell: Cell) -> str:
    """ "Audience · Channel · Language (variant n)" for headings and file titles."""
    parts = [
        label("audiences", cell.audience, layout.ui),
        label("channels", cell.channel, layout.ui),
    ]
    parts.append(label("languages", cell.language, layout.ui))
    variant = f" ({'Variante' if layout.ui == 'de' else 'variant'} {cell.variant})"
    return " · ".join(parts) + (variant if layout.campaign.variants > 1 else "")


def letter_date(language: str, day: dt.date) -> str:
    """The date as a letter in that language writes it."""
    if base_language(language) == "de":
        return day.strftime("%d.%m.%Y")
    if language == "en":
        return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"
    return day.isoformat()


def markdown(layout: Layout, item: PackItem) -> str:
    """A review copy of one message: heading, status, text, sources and checks."""
    m, lines = item.message, []
    if layout.draft:
        lines += [f"> **{layout.mark}**", ""]
    lines += [f"# {_md(layout.campaign.name)}", "", f"## {_md(cell_title(layout, m.cell))}", ""]
    status = f"Status: {m.status}" + (f" ({', '.join(item.approvers)})" if item.approvers else "")
    lines += [f"{_md(status)} · Score {m.score} · Revision {m.revision}", ""]
    if unchecked(m):
        lines += [f"> **{UNCHECKED[layout.ui]}**", ""]
    lines += ["---", ""]
    lines += [html.escape(m.text, quote=False), "", "---", ""]
    lines += ["## " + ("Quellen" if layout.ui == "de" else "Sources"), ""]
    for source in sources(m.message):
        lines.append(
            f"{source['number']}. {_md(source['title'])} <{source['url']}> · {source['date']}"
        )
    failed = ", ".join(m.failed_checks) or "–"
    lines += ["", f"Checks: {m.score}/100 · {_md(failed)}", ""]
    return "\n".join(lines)


def sources(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The cited passages: number, title, URL and date."""
    return [
        {key: c.get(key, "") for key in ("number", "chunk_id", "source_id", "title", "url", "date")}
        for c in message.get("citations", [])
    ]


def docx_bytes(layout: Layout, item: PackItem) -> bytes:
    """The message as a Word document: letter and poster layouts for print, plain otherwise."""
    from docx import Document  # heavy: only when exporting

    doc = Document()
    _page_setup(doc, layout, item)
    match item.cell.channel:
        case "letter":
            _letter(doc, layout, item)
        case "poster":
            _poster(doc, layout, item)
        case _:
            _plain(doc, layout, item)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page_setup(doc: Any, layout: Layout, item: PackItem) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)  # A4
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(2.2))
    sender = layout.campaign.sender
    props = doc.core_properties
    props.title = f"{layout.campaign.name} – {cell_title(layout, item.cell)}"
    props.author = props.last_modified_by = sender.name if sender else "Clarion"
    props.comments = layout.mark if layout.draft else "approved"
    if unchecked(item.message):
        props.comments += f" · {UNCHECKED[layout.ui]}"
    doc.styles["Normal"].font.name = "Arial"
    doc.styles["Normal"].font.size = Pt(11)
    marks = [layout.mark] if layout.draft else []
    marks += [UNCHECKED[layout.ui]] if unchecked(item.message) else []
    if marks:  # in the page header: seen in print, outside the letter's own text
        mark = section.header.paragraphs[0]
        run = mark.add_run(" · ".join(marks))
        run.bold, run.font.size, run.font.color.rgb = True, Pt(14), RGBColor(0xC0, 0, 0)
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _paragraph(doc: Any, text: str, size: float, *, bold: bool = False, rtl: bool = False) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Pt

    paragraph = doc.add_paragraph()
    run = paragraph.add_run(text)
    run.font.size, run.bold = Pt(size), bold
    if rtl:  # Arabic: right to left, right aligned
        paragraph.paragraph_format.element.get_or_add_pPr().append(OxmlElement("w:bidi"))
        paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return paragraph


def _sender_lines(sender: Sender | None, facts: dict[str, Any]) -> list[str]:
    if sender is None:
        return [facts["contact"]] if facts.get("contact") else []
    lines = [sender.name, *sender.address, sender.phone, sender.email, sender.web]
    return [line for line in lines if line]


def _letter(doc: Any, layout: Layout, item: PackItem) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    language, rtl = item.cell.language, _rtl(item.cell.language)
    lang = base_language(language)
    for n, line in enumerate(_sender_lines(layout.campaign.sender, layout.campaign.facts)):
        _paragraph(doc, line, 12 if n == 0 else 9, bold=n == 0).paragraph_format.space_after = 0
    dated = _paragraph(doc, letter_date(language, layout.date), 11)
    dated.alignment = WD_ALIGN_PARAGRAPH.LEFT if rtl else WD_ALIGN_PARAGRAPH.RIGHT
    subject = layout.campaign.facts.get("what") or label("topics", layout.campaign.topic, lang)
    _paragraph(doc, subject, 12, bold=True, rtl=rtl)
    body = paragraphs(item.message.text)
    if lang in SALUTATION and not _has_salutation(body, language):
        _paragraph(doc, SALUTATION[lang], 11, rtl=rtl)
    for part in body:
        _paragraph(doc, part, 11, rtl=rtl)
    lowered = item.message.text.lower()
    if lang in CLOSING and not any(closing in lowered for closing in CLOSINGS):
        _paragraph(doc, CLOSING[lang], 11, rtl=rtl)
        if layout.campaign.sender:
            _paragraph(doc, layout.campaign.sender.name, 11, rtl=rtl)
    _source_note(doc, item)


def _poster(doc: Any, layout: Layout, item: PackItem) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    language, rtl = item.cell.language, _rtl(item.cell.language)
    headline, rest = headline_split(item.message.text, language)
    top = _paragraph(doc, headline, 44, bold=True, rtl=rtl)
    top.paragraph_format.space_after = 0
    for part in paragraphs(rest):
        _paragraph(doc, part, 26, rtl=rtl)
    if layout.campaign.sender:
        bottom = _paragraph(doc, layout.campaign.sender.name, 16, bold=True, rtl=rtl)
        bottom.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _plain(doc: Any, layout: Layout, item: PackItem) -> None:
    rtl = _rtl(item.cell.language)
    _paragraph(doc, layout.campaign.name, 16, bold=True)
    _paragraph(doc, cell_title(layout, item.cell), 12, bold=True)
    for part in paragraphs(item.message.text):
        _paragraph(doc, part, 12, rtl=rtl)
    _source_note(doc, item)


def _source_note(doc: Any, item: PackItem) -> None:
    for source in sources(item.message.message):
        _paragraph(
            doc, f"[{source['number']}] {source['title']}, {source['url']} ({source['date']})", 8
        )


def paragraphs(text: str) -> list[str]:
    """Non-empty lines of a text: each is a paragraph in a document."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def headline_split(text: str, language: str) -> tuple[str, str]:
    """A poster's headline (the first sentence) and the rest, paragraphs kept."""
    lines = paragraphs(text) or [text.strip()]
    sentences = split_sentences(lines[0], language) or [lines[0]]
    rest = [" ".join(sentences[1:]), *lines[1:]]
    return sentences[0], "\n".join(part for part in rest if part)


def _has_salutation(body: list[str], language: str) -> bool:
    if not body:
        return False
    first = body[0].lower()
    greetings = load_lexicon(language).greetings
    starts = any(first.startswith(g.rstrip("*")) for g in greetings)
    return starts or first.startswith(("dear ", "sehr geehrte", "liebe"))


def _rtl(language: str) -> bool:
    return pick(load_catalog().languages, language, "language").rtl


def sms_csv(layout: Layout, items: list[PackItem]) -> str:
    """The SMS messages for a gateway: group, language, text, length in segments and encoding."""
    out = io.StringIO()
    columns = SMS_COLUMNS + (["draft"] if layout.draft else [])
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for item in items:
        if item.cell.channel != "sms":
            continue
        info = sms_info(item.message.text)
        row: dict[str, object] = {
            "recipient_group": item.cell.audience,
            "language": item.cell.language,
            "variant": item.cell.variant,
            "text": item.message.text,
            "characters": len(item.message.text),
            "segments": info.segments,
            "encoding": info.encoding,
            "status": item.message.status,
            # a translation no native speaker has checked: "pending"; checked: the reader
            "native_check": "pending" if unchecked(item.message) else checked_by(item.message),
        }
        if layout.draft:
            row["draft"] = "DRAFT"
        writer.writerow(row)
    return out.getvalue()


def pack_attribution(items: list[PackItem]) -> str:
    """ "Built with Llama" when any message of the pack was written by a Llama model."""
    for item in items:
        model = item.message.message.get("model") or {}
        licence = ModelLicence(
            name=str(model.get("name") or model.get("model_id") or ""),
            license=str(model.get("license") or UNKNOWN),
        )
        if licence.attribution:
            return licence.attribution
    return ""


def overview_html(
    layout: Layout,
    items: list[PackItem],
    file_names: dict[str, str],
    state: Coherence | None = None,
    overdue: Sequence[Overdue] = (),
) -> str:
    """One static page: per language a grid of audiences × channels; everything escaped.

    With `state`, it first names the map version, the cells from an older one and the
    consistency findings; then a line for each cited source past its review date."""
    e = html.escape
    campaign = layout.campaign
    head = (
        f'<!DOCTYPE html>\n<html lang="{e(layout.ui)}"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{e(CSP)}">'
        f"<title>{e(campaign.name)}</title><style>{_STYLE}</style></head><body>"
    )
    parts = [head]
    if layout.draft:
        parts.append(f'<p class="draft">{e(layout.mark)}</p>')
    parts.append(f"<h1>{e(campaign.name)}</h1>")
    parts.append(f"<p>{e(label('topics', campaign.topic, layout.ui))} · {e(str(layout.date))}</p>")
    if state is not None:
        parts.append(_coherence_html(state))
    if overdue:
        parts.append(_review_html(layout.ui, overdue))
    by_cell = {item.cell: item for item in items}
    for language in campaign.languages:
        parts.append(f"<h2>{e(label('languages', language, layout.ui))}</h2>")
        parts.append(_grid(layout, language, by_cell, file_names))
    attribution = pack_attribution(items)
    if attribution:  # the Llama licence asks products built on it to say so
        parts.append(f'<p class="attribution">{e(attribution)}</p>')
    parts.append("</body></html>\n")
    return "".join(parts)


def _coherence_html(state: Coherence) -> str:
    e = html.escape
    parts = [f'<p class="map">Message map: {e(state.map_id)}, version {e(state.map_version)}</p>']
    if state.stale:
        keys = "".join(f"<li>{e(cell.key)}</li>" for cell in state.stale)
        parts.append(
            '<div class="stale"><p>These messages came from an older version of the message '
            f"map; regenerate them to use the map in effect:</p><ul>{keys}</ul></div>"
        )
    if state.evidence:
        rows = "".join(f"<li>{e(item.summary())}</li>" for item in state.evidence)
        parts.append(
            '<div class="evidence"><p>These messages cite evidence that changed after they were '
            f"made; a reviewer should confirm or regenerate them:</p><ul>{rows}</ul></div>"
        )
    if state.findings:
        rows = "".join(
            f"<li><b>{e(f.kind)}</b>: {e(f.detail)} ({e(', '.join(c.key for c in f.cells))})</li>"
            for f in state.findings
        )
        parts.append(f'<div class="consistency"><h2>Consistency</h2><ul>{rows}</ul></div>')
    else:
        parts.append('<p class="consistency">Consistency: no disagreements found.</p>')
    return "".join(parts)


def _review_html(ui: str, overdue: Sequence[Overdue]) -> str:
    e = html.escape
    rows = "".join(f"<li>{e(source.notice(ui))}</li>" for source in overdue)
    heading = REVIEW_HEADING.get(ui, REVIEW_HEADING["en"])
    return f'<div class="review"><h2>{e(heading)}</h2><ul>{rows}</ul></div>'


def _grid(
    layout: Layout, language: str, by_cell: dict[Cell, PackItem], names: dict[str, str]
) -> str:
    e, campaign = html.escape, layout.campaign
    header = "".join(f"<th>{e(label('channels', ch, layout.ui))}</th>" for ch in campaign.channels)
    rows = [f"<table><tr><th></th>{header}</tr>"]
    for audience in campaign.audiences:
        rows.append(f"<tr><th>{e(label('audiences', audience, layout.ui))}</th>")
        for channel in campaign.channels:
            found = [
                by_cell[c]
                for v in range(1, campaign.variants + 1)
                if (c := Cell(audience, channel, language, v)) in by_cell
            ]
            cards = "".join(_card(i, names, layout.ui) for i in found)
            rows.append("<td>" + (cards or "–") + "</td>")
        rows.append("</tr>")
    rows.append("</table>")
    return "".join(rows)


def _card(item: PackItem, names: dict[str, str], ui: str) -> str:
    e, m = html.escape, item.message
    links = " ".join(
        f'<a href="{e(names[item.name + ext], quote=True)}">{ext[1:]}</a>'
        for ext in (".md", ".docx")
        if item.name + ext in names
    )
    status = f"{m.status} · {m.score}/100" + (
        f" · {', '.join(item.approvers)}" if item.approvers else ""
    )
    direction = ' dir="rtl"' if _rtl(item.cell.language) else ""
    native = f'<div class="unchecked">{e(UNCHECKED[ui])}</div>' if unchecked(m) else ""
    return (
        f'<div class="card"><div class="status {e(m.status)}">{e(status)}</div>{native}'
        f'<div class="text"{direction}>{e(m.text)}</div><div>{links}</div></div>'
    )


def _md(text: str) -> str:
    """Plain text in Markdown: HTML and emphasis characters shown as typed."""
    escaped = html.escape(text, quote=False)
    for char in "\\`*_[]#|":
        escaped = escaped.replace(char, "\\" + char)
    return escaped


_STYLE = (
    "body{font-family:Arial,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;width:100%}th,td{border:1px solid #bbb;padding:.5em;"
    "vertical-align:top}th{background:#f0f0f0;text-align:left}"
    ".card{margin-bottom:.8em}.text{white-space:pre-wrap;margin:.3em 0}"
    ".status{font-size:.85em;color:#555}.approved{color:#1a7f37}.rejected{color:#b00}"
    ".unchecked{background:#fff4d6;font-size:.85em;padding:.2em .4em}"
    ".stale,.consistency,.review{background:#fff4d6;padding:.3em .8em;margin:.6em 0}"
    ".draft{background:#fde2e2;color:#b00;font-weight:bold;padding:.6em;font-size:1.2em}"
)
