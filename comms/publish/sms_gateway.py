"""The SMS file for a gateway: one row per SMS with its encoding and segment count.

Encoding and segments come from comms.checks.sms (3GPP TS 23.038 / 23.040); data_coding is the
SMPP value a gateway sends them with (0: GSM-7 default alphabet, 8: UCS-2)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from comms.checks.sms import sms_info
from core.errors import InputError

COLUMNS = ["message_id", "recipient_group", "language", "text", "encoding", "data_coding",
           "units", "segments", "status"]  # fmt: skip
DATA_CODING = {"GSM-7": 0, "UCS-2": 8}


@dataclass(frozen=True)
class Sms:
    """One SMS to send: an id the gateway reports back, the group it goes to, its text."""

    message_id: str
    recipient_group: str
    language: str
    text: str
    status: str = "approved"


def gateway_csv(messages: Iterable[Sms]) -> str:
    """UTF-8 CSV, CRLF rows (RFC 4180), one row per SMS."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for sms in messages:
        if not sms.text.strip():
            raise InputError(f"The SMS {sms.message_id} is empty: there is nothing to send.")
        info = sms_info(sms.text)
        writer.writerow(
            {
                "message_id": sms.message_id,
                "recipient_group": sms.recipient_group,
                "language": sms.language,
                "text": sms.text,
                "encoding": info.encoding,
                "data_coding": DATA_CODING[info.encoding],
                "units": info.units,
                "segments": info.segments,
                "status": sms.status,
            }
        )
    return out.getvalue()
