"""ChatbotReader: songys/Chatbot_data `ChatbotData.csv` (Q, A, label) → Korean non-reasoning chat pairs.

The pairs were written by the dataset author (README: "인공데이터", not collected from users), MIT licence.
label: 0 daily life, 1 breakup, 2 love.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from datamill.errors import InputError

CHATBOT_LICENSE = "MIT"  # songys/Chatbot_data (examples/data/SOURCES.md)
LABELS = {"0": "daily", "1": "breakup", "2": "love"}


@dataclass(frozen=True)
class ChatPair:
    row: int  # 1-based data row (line 1 is the header)
    question: str
    answer: str
    label: str


class ChatbotReader:
    """Rows with a missing Q or A are skipped and listed in `errors` as file:line."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.errors: list[str] = []

    def read(self) -> list[ChatPair]:
        pairs = []
        with open(self.path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or not {"Q", "A"} <= set(reader.fieldnames):
                raise InputError(
                    f"{self.path}:1: expected a header with columns Q,A(,label), got {reader.fieldnames}"
                )
            for i, row in enumerate(reader, 1):
                q, a = (row.get("Q") or "").strip(), (row.get("A") or "").strip()
                if not q or not a:
                    self.errors.append(f"{self.path}:{reader.line_num}: empty question or answer")
                    continue
                pairs.append(ChatPair(i, q, a, LABELS.get((row.get("label") or "").strip(), "unknown")))
        return pairs
