"""SMS encoding and segment counting against the GSM 03.38 tables."""

from __future__ import annotations

import pytest

from comms.checks.sms import GSM_BASIC, GSM_EXTENSION, SmsInfo, is_gsm7, sms_info


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", SmsInfo("GSM-7", 0, 1, 160)),
        ("a" * 160, SmsInfo("GSM-7", 160, 1, 160)),
        ("a" * 161, SmsInfo("GSM-7", 161, 2, 153)),
        ("a" * 306, SmsInfo("GSM-7", 306, 2, 153)),
        ("a" * 307, SmsInfo("GSM-7", 307, 3, 153)),
        # extension characters cost two septets each
        ("€", SmsInfo("GSM-7", 2, 1, 160)),
        ("[]{}^~\\|€", SmsInfo("GSM-7", 18, 1, 160)),
        ("€" * 80, SmsInfo("GSM-7", 160, 1, 160)),
        ("€" * 81, SmsInfo("GSM-7", 162, 2, 153)),
        ("a" * 159 + "€", SmsInfo("GSM-7", 161, 2, 153)),
        # an escape pair never straddles two parts: 152 + (2) + 152 needs three parts
        ("a" * 152 + "€" + "a" * 152, SmsInfo("GSM-7", 306, 3, 153)),
        # German, French, Scandinavian and Spanish letters of the basic table
        ("Grüße äöüÄÖÜß", SmsInfo("GSM-7", 13, 1, 160)),
        ("éèùìòÇØøÅåÑñàÉÆæ¿¡§£¥¤", SmsInfo("GSM-7", 22, 1, 160)),
        ("ΔΦΓΛΩΠΨΣΘΞ@_\n\r", SmsInfo("GSM-7", 14, 1, 160)),
        # anything else switches the whole message to UCS-2
        ("ş", SmsInfo("UCS-2", 1, 1, 70)),
        ("Aşı", SmsInfo("UCS-2", 3, 1, 70)),
        ("ç", SmsInfo("UCS-2", 1, 1, 70)),  # the table has Ç only
        ("á", SmsInfo("UCS-2", 1, 1, 70)),
        ("`", SmsInfo("UCS-2", 1, 1, 70)),
        ("„Impfen“", SmsInfo("UCS-2", 8, 1, 70)),
        ("😀", SmsInfo("UCS-2", 2, 1, 70)),  # one emoji is two UTF-16 code units
        ("ş" * 70, SmsInfo("UCS-2", 70, 1, 70)),
        ("ş" * 71, SmsInfo("UCS-2", 71, 2, 67)),
        ("a" * 69 + "ş", SmsInfo("UCS-2", 70, 1, 70)),
        ("a" * 160 + "ş", SmsInfo("UCS-2", 161, 3, 67)),
        ("😀" * 35, SmsInfo("UCS-2", 70, 1, 70)),
        ("😀" * 36, SmsInfo("UCS-2", 72, 2, 67)),
        # a surrogate pair never straddles two parts: 66 + (2) + 66 needs three parts
        ("a" * 66 + "😀" + "a" * 66, SmsInfo("UCS-2", 134, 3, 67)),
        ("ş" * 134, SmsInfo("UCS-2", 134, 2, 67)),
        ("اللقاح يحمي طفلك", SmsInfo("UCS-2", 16, 1, 70)),
    ],
    ids=lambda value: repr(value)[:24] if isinstance(value, str) else None,
)
def test_sms_info(text: str, expected: SmsInfo) -> None:
    assert sms_info(text) == expected


@pytest.mark.parametrize(
    ("text", "gsm"),
    [("Masern-Impfung: 0 € (kostenlos)", True), ("Ölçek", False), ("Привет", False)],
)
def test_is_gsm7(text: str, gsm: bool) -> None:
    assert is_gsm7(text) is gsm


def test_tables_have_the_standard_sizes() -> None:
    # 128 code points less the escape; ten extension characters including form feed
    assert len(GSM_BASIC) == 127
    assert len(GSM_EXTENSION) == 10
    assert not GSM_BASIC & GSM_EXTENSION


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2.–27. Nov", "2.-27. Nov"),
        ("„Ja“ – ‚nein‘…", "\"Ja\" - 'nein'..."),
        ("ohne Änderung", "ohne Änderung"),
    ],
)
def test_to_gsm_replaces_typography(text: str, expected: str) -> None:
    from comms.checks.sms import is_gsm7, to_gsm

    assert to_gsm(text) == expected and is_gsm7(to_gsm(text))


def test_sms_char_budget() -> None:
    from comms.checks.sms import sms_char_budget

    assert (sms_char_budget(True), sms_char_budget(False), sms_char_budget(True, 1)) == (
        306,
        134,
        160,
    )
