"""PII removal for web documents: emails, IP addresses, phone numbers, Korean resident registration numbers (RRN)
and payment card numbers are replaced by placeholders and counted per kind (WebDocument.pii_counts).

`redact_pii` is pure; `PIIRedactor` is the datatrove step that applies it (it never drops a document).
Patterns follow datatrove's PIIFormatter (email / IPv4) and BigCode's PII pipeline (phones, card numbers with a
Luhn check, https://github.com/bigcode-project/bigcode-dataset/tree/main/pii); the RRN pattern is YYMMDD-GNNNNNN
with a valid date and gender/century digit 1–8 (Korean Resident Registration Act).
"""

from __future__ import annotations

import ipaddress
import re

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

PII_KINDS = ("emails", "ips", "phones", "kr_rrn", "cards")
from schemas.web import META_PII

EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}\b")
IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
RRN = re.compile(r"(?<!\d)(\d{2})(\d{2})(\d{2})[- ]?([1-8])(\d{6})(?!\d)")
CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
# international (+82 10 1234 5678, +1-202-555-0143), Korean mobile/landline (010-1234-5678, 02-123-4567),
# North American ((202) 555-0143); not inside a longer run of digit groups (card/ISBN-like numbers)
PHONE = re.compile(
    r"(?<![\w+])(?<!\d[ .-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?|\d{2,4}[ .-])\d{3,4}[ .-]\d{4}(?!\d)(?![ .-]\d)"
)

PLACEHOLDER = {
    "emails": "<EMAIL>",
    "ips": "<IP_ADDRESS>",
    "phones": "<PHONE>",
    "kr_rrn": "<KR_RRN>",
    "cards": "<CARD>",
}


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _valid_ip(s: str) -> bool:
    try:
        ip = ipaddress.ip_address(s)
    except ValueError:
        return False
    # version-like strings such as 1.2.3.4 are ambiguous; private/loopback addresses still identify networks
    return not ip.is_unspecified


def _valid_rrn(m: re.Match) -> bool:
    month, day = int(m.group(2)), int(m.group(3))
    return 1 <= month <= 12 and 1 <= day <= 31


def redact_pii(text: str) -> tuple[str, dict[str, int]]:
    """Return (redacted text, counts per PII kind). Order matters: RRNs and cards before phones."""
    counts = dict.fromkeys(PII_KINDS, 0)

    def sub(kind: str, pattern: re.Pattern, text: str, valid=None) -> str:
        def repl(m: re.Match) -> str:
            if valid is not None and not valid(m):
                return m.group(0)
            counts[kind] += 1
            return PLACEHOLDER[kind]

        return pattern.sub(repl, text)

    text = sub("emails", EMAIL, text)
    text = sub("kr_rrn", RRN, text, _valid_rrn)
    text = sub("cards", CARD, text, lambda m: _luhn_ok(re.sub(r"\D", "", m.group(0))))
    text = sub("ips", IPV4, text, lambda m: _valid_ip(m.group(0)))
    text = sub("phones", PHONE, text)
    return text, counts


class PIIRedactor(PipelineStep):
    """Replaces PII in doc.text with placeholders; counts go to doc.metadata["pii_counts"]."""

    name = "🔒 PII redactor"
    type = "✂️ - FORMAT"

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            with self.track_time():
                doc.text, counts = redact_pii(doc.text)
            doc.metadata[META_PII] = counts
            for kind, n in counts.items():
                if n:
                    self.stat_update(f"pii_{kind}", value=n)
            self.stat_update("docs")
            yield doc
