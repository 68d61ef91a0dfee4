"""SMS length: GSM-7 or UCS-2 encoding, code units and segments (3GPP TS 23.038 / 23.040)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# GSM 03.38 default alphabet, in table order 0x00-0x7F. 0x1B (escape) is left out: it only
# introduces the extension table. Unicode mapping as in unicode.org's GSM0338.TXT.
GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each of these costs two septets (escape + code).
GSM_EXTENSION = frozenset("\f^{}\\[~]|€")

SINGLE_GSM, PART_GSM = 160, 153  # septets; a part loses 7 to the concatenation header
SINGLE_UCS2, PART_UCS2 = 70, 67  # UTF-16 code units
MAX_SMS_SEGMENTS = 2  # the longest SMS a message may be, in concatenated parts
GSM_LANGUAGES = frozenset({"de", "en"})  # written in GSM-7 characters once typography is plain

Encoding = Literal["GSM-7", "UCS-2"]


@dataclass(frozen=True)
class SmsInfo:
    """How a text travels as SMS."""

    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    chars_per_segment: int


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic or extension table."""
    return all(ch in GSM_BASIC or ch in GSM_EXTENSION for ch in text)


def _costs(text: str, encoding: Encoding) -> list[int]:
    if encoding == "GSM-7":
        return [2 if ch in GSM_EXTENSION else 1 for ch in text]
    return [len(ch.encode("utf-16-le")) // 2 for ch in text]


def sms_units(text: str, gsm: bool) -> int:
    """Code units of `text` sent as GSM-7 (an extension character costs two) or UCS-2."""
    return sum(_costs(text, "GSM-7" if gsm else "UCS-2"))


def _pack(costs: list[int], capacity: int) -> int:
    """Segments needed when an escape pair or surrogate pair may not straddle two parts."""
    segments, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            segments, used = segments + 1, 0
        used += cost
    return segments


def sms_info(text: str) -> SmsInfo:
    """Encoding, units and segments of `text` sent as one (possibly concatenated) SMS."""
    encoding: Encoding = "GSM-7" if is_gsm7(text) else "UCS-2"
    single, part = (SINGLE_GSM, PART_GSM) if encoding == "GSM-7" else (SINGLE_UCS2, PART_UCS2)
    costs = _costs(text, encoding)
    units = sum(costs)
    if units <= single:
        return SmsInfo(encoding, units, 1, single)
    return SmsInfo(encoding, units, _pack(costs, part), part)


# Typographic characters outside GSM-7 that have a plain GSM equivalent. One of them in an SMS
# switches the whole text to UCS-2 and cuts a segment from 160 to 70 characters.
_GSM_EQUIVALENTS = str.maketrans(
    {
        "–": "-", "—": "-", "‑": "-", "−": "-",
        "„": '"', "“": '"', "”": '"', "‟": '"', "«": '"', "»": '"',
        "‚": "'", "‘": "'", "’": "'", "‛": "'", "‹": "'", "›": "'",
        "…": "...", "•": "-", "·": "-", "\u00a0": " ", "\u202f": " ", "\u2009": " ",
    }
)  # fmt: skip


def to_gsm(text: str) -> str:
    """Replace typographic characters with their GSM-7 equivalents (dashes, quotes, ellipsis)."""
    return text.translate(_GSM_EQUIVALENTS)


def sms_char_budget(gsm: bool, segments: int = MAX_SMS_SEGMENTS) -> int:
    """Characters that fit in `segments` concatenated SMS of the given encoding."""
    if segments > 1:
        return (PART_GSM if gsm else PART_UCS2) * segments
    return SINGLE_GSM if gsm else SINGLE_UCS2
