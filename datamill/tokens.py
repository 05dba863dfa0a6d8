"""Token counting with one tokenizer: a HF tokenizer directory, or the small BPE shipped in examples/tokenizer.

Catalog `tokens` columns, mixture budgets and long-context lengths are all counted here, so they agree.
The real EXAONE tokenizer is any HF tokenizer directory passed as `path` (never downloaded at run time).
"""

from __future__ import annotations

import functools
from pathlib import Path

from schemas import Message, render_exaone_chat

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TOKENIZER = REPO_ROOT / "examples" / "tokenizer"


@functools.lru_cache(maxsize=8)
def load_tokenizer(path: str | None = None):
    """A `transformers` fast tokenizer from a local directory (offline only)."""
    from transformers import AutoTokenizer

    p = Path(path) if path else DEFAULT_TOKENIZER
    if not (p / "tokenizer.json").exists() and not (p / "tokenizer_config.json").exists():
        raise FileNotFoundError(
            f"no tokenizer at {p}: pass a local HF tokenizer directory (nothing is downloaded here; "
            f"`datamill train-tokenizer` makes one)"
        )
    return AutoTokenizer.from_pretrained(str(p), local_files_only=True)


def count_tokens(texts: list[str], tokenizer_path: str | None = None) -> list[int]:
    tok = load_tokenizer(tokenizer_path)
    enc = tok.backend_tokenizer.encode_batch(texts, add_special_tokens=False)
    return [len(e.ids) for e in enc]


def count_chat_tokens(messages: list[Message], tools: list[dict] | None = None, reasoning: bool = True,
                      tokenizer_path: str | None = None) -> int:
    text, _ = render_exaone_chat(messages, tools, reasoning=reasoning)
    return count_tokens([text], tokenizer_path)[0]
