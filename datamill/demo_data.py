"""Where real data lives: the embedded sample (examples/data, always there) and ../shared/data (optional)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = REPO_ROOT / "examples" / "data"


NO_SHARED = "none"  # DATAMILL_SHARED_DATA=none: use the embedded sample only (the demo sets it)


def shared_data() -> Path | None:
    """../shared/data beside the checkout (or $DATAMILL_SHARED_DATA), when present; None when that is "none"."""
    env = os.environ.get("DATAMILL_SHARED_DATA")
    if env == NO_SHARED:
        return None
    p = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    return p if p.is_dir() else None


def tokenizer_corpus(files: list[Path] | None = None) -> Iterator[str]:
    """Texts to train the demo tokenizer on: English essays, Korean law/bills/chat, Spanish QA, math, code."""
    if files is None:
        files = sorted(EXAMPLES.glob("niah/*.txt")) + [EXAMPLES / "korean/kolaw_constitution.txt"]
        files += sorted(EXAMPLES.glob("korean/kobill/*.txt")) + [EXAMPLES / "korean/ChatbotData.csv"]
        files += [
            EXAMPLES / "math/gsm8k_train.jsonl",
            EXAMPLES / "math/math_train.jsonl",
            EXAMPLES / "spanish/xquad.es.json",
            EXAMPLES / "spanish/xquad.en.json",
            EXAMPLES / "code/sanitized-mbpp.json",
        ]
    for f in files:
        text = Path(f).read_text(encoding="utf-8", errors="replace")
        if f.suffix == ".json":
            text = json.dumps(json.loads(text), ensure_ascii=False)
        for i in range(0, len(text), 4000):
            yield text[i : i + 4000]
