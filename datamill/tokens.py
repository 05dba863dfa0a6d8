"""Token counting with one tokenizer: a HF tokenizer directory, or the small BPE shipped in examples/tokenizer.

Catalog `tokens` columns, mixture budgets and long-context lengths are all counted here, so they agree.
The real EXAONE tokenizer is any HF tokenizer directory passed as `path` (never downloaded at run time).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import json
import re
from pathlib import Path

import numpy as np

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


# Word-start cut: before a space that follows a non-space and precedes a non-space ("a| b"). For the split
# patterns below no pre-token contains both sides of such a cut (a pre-token holding that space starts at it;
# the only lookahead, `\s+(?!\S)`, sees whitespace or end either way), and added tokens hold no whitespace
# (checked), so encoding the pieces separately gives exactly the ids of the whole text.
WORD_CUT = re.compile(r"(?<=\S)(?= \S)")
GPT2_SPLIT = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
SAFE_SPLITS = {  # Split pre-tokenizer patterns the cut argument was checked for (tests compare with whole text)
    GPT2_SPLIT,
    # Llama 3 / cl100k style and Qwen2 style (single digits)
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",
}


def word_cuttable(tok) -> bool:
    """True when cutting text at WORD_CUT cannot change this tokenizer's ids: no normalizer, a byte-level
    pre-tokenizer splitting with a pattern in SAFE_SPLITS, a deterministic BPE, added tokens without
    whitespace or stripping. Anything else is encoded whole."""
    cfg = json.loads(tok.backend_tokenizer.to_str())
    pre, model = cfg.get("pre_tokenizer") or {}, cfg.get("model") or {}
    if cfg.get("normalizer") is not None or model.get("type") != "BPE" or model.get("dropout"):
        return False
    if pre.get("type") == "ByteLevel":
        ok = pre.get("use_regex", True) and not pre.get("add_prefix_space")
    elif pre.get("type") == "Sequence" and len(pre.get("pretokenizers", [])) == 2:
        split, byte = pre["pretokenizers"]
        ok = (
            split.get("type") == "Split"
            and split.get("pattern", {}).get("Regex") in SAFE_SPLITS
            and split.get("behavior") == "Isolated"
            and not split.get("invert")
            and byte.get("type") == "ByteLevel"
            and not byte.get("use_regex")
            and not byte.get("add_prefix_space")
        )
    else:
        ok = False
    added_ok = all(
        not re.search(r"\s", a["content"])
        and not (a.get("lstrip") or a.get("rstrip") or a.get("single_word"))
        for a in cfg.get("added_tokens", [])
    )
    return bool(ok and added_ok)


@functools.lru_cache(maxsize=8)
def _cuttable(tok, vocab_size: int) -> bool:
    """word_cuttable, cached per tokenizer and vocabulary size (adding tokens re-checks)."""
    return word_cuttable(tok)


def encode_flat(texts: list[str], tok) -> tuple[np.ndarray, np.ndarray]:
    """Ids of every text back to back (uint32) and the token count of each text (int64), without special
    tokens — the same ids as `tok(text)` per text. Each distinct text is encoded once; for tokenizers that
    pass `word_cuttable`, each distinct word chunk is encoded once (this skips the tokenizer's per-text work on
    repeated words: see bench/export_bench.py)."""
    with _gc_paused():
        return _encode_flat(texts, tok)


@contextlib.contextmanager
def _gc_paused():
    """Millions of short-lived strings and lists, no reference cycles: the cyclic collector would only rescan
    them (about a quarter of the time on 1M tokens)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _encode_flat(texts: list[str], tok) -> tuple[np.ndarray, np.ndarray]:
    keys, slot = _distinct(texts)
    if keys and _cuttable(tok, len(tok)):
        parts = [WORD_CUT.split(t) for t in keys]
        chunks, chunk_slot = _distinct([c for ps in parts for c in ps])
        ids, lens = _encode(chunks, tok)
        per_key = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
        key_lens = np.add.reduceat(lens[chunk_slot], np.cumsum(per_key) - per_key)
        ids = _gather(ids, lens, chunk_slot)
    else:
        ids, key_lens = _encode(keys, tok)
    return _gather(ids, key_lens, slot), key_lens[slot]


def _distinct(items: list[str]) -> tuple[list[str], np.ndarray]:
    """Distinct items in first-seen order, and each item's index among them."""
    seen: dict[str, int] = {}
    slot = [seen.setdefault(t, len(seen)) for t in items]
    return list(seen), np.asarray(slot, dtype=np.int64)


def _encode(items: list[str], tok) -> tuple[np.ndarray, np.ndarray]:
    encs = tok.backend_tokenizer.encode_batch_fast(items, add_special_tokens=False) if items else []
    ids = [e.ids for e in encs]
    lens = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    return np.fromiter(itertools.chain.from_iterable(ids), dtype=np.uint32, count=int(lens.sum())), lens


def _gather(flat: np.ndarray, lens: np.ndarray, slot: np.ndarray) -> np.ndarray:
    """Concatenate the runs flat[off[k]:off[k]+lens[k]] for k in slot, vectorised."""
    if len(slot) and np.array_equal(slot, np.arange(len(lens))):
        return flat
    off = np.cumsum(lens) - lens
    run = lens[slot]
    total = int(run.sum())
    if total == 0:
        return np.zeros(0, dtype=np.uint32)
    starts = np.repeat(off[slot] - (np.cumsum(run) - run), run)
    return flat[np.arange(total) + starts]


def count_tokens(texts: list[str], tokenizer_path: str | None = None) -> list[int]:
    return encode_flat(texts, load_tokenizer(tokenizer_path))[1].tolist()


def count_chat_tokens(
    messages: list[Message],
    tools: list[dict] | None = None,
    reasoning: bool = True,
    tokenizer_path: str | None = None,
) -> int:
    text, _ = render_exaone_chat(messages, tools, reasoning=reasoning)
    return count_tokens([text], tokenizer_path)[0]
