"""PII redaction: each kind is found, counted and replaced; look-alikes are left alone."""

from __future__ import annotations

from datatrove.data import Document

from filters.pii import PIIRedactor, redact_pii


def test_each_kind_is_redacted_and_counted():
    text = (
        "Write to kim.j@example.co.kr or call 010-1234-5678 / +1 (202) 555-0143. "
        "Server 192.168.0.17 logged 주민등록번호 900101-1234567 and card 4111 1111 1111 1111."
    )
    out, counts = redact_pii(text)
    assert counts == {"emails": 1, "ips": 1, "phones": 2, "kr_rrn": 1, "cards": 1}
    for secret in ("kim.j@", "1234-5678", "555-0143", "192.168", "900101", "4111"):
        assert secret not in out
    assert {"<EMAIL>", "<PHONE>", "<IP_ADDRESS>", "<KR_RRN>", "<CARD>"} <= set(out.replace(".", " ").split())


def test_look_alikes_are_kept():
    text = (
        "In 2019-2020 version 1.2.3 shipped; ISBN 978-3-16-148410-0; order 4111 1111 1111 1112 "
        "(fails Luhn); 991399-1234567 has month 13; IP-like 999.1.1.1."
    )
    out, counts = redact_pii(text)
    assert counts == {"emails": 0, "ips": 0, "phones": 0, "kr_rrn": 0, "cards": 0}, (counts, out)
    assert out == text


def test_step_records_counts_in_metadata():
    docs = [Document(text="mail a@b.org twice a@b.org", id="1"), Document(text="nothing here", id="2")]
    out = list(PIIRedactor().run(iter(docs)))
    assert out[0].metadata["pii_counts"]["emails"] == 2 and out[0].text == "mail <EMAIL> twice <EMAIL>"
    assert sum(out[1].metadata["pii_counts"].values()) == 0
