"""EXAONE chat rendering → tokens with an assistant-only loss mask → fixed-length packed sequences on disk.

Format (docs/ARCHITECTURE.md "Packed export → trainer"): meta.json + tokens.bin (uint32) + loss_mask.bin (uint8)
+ segment_ids.bin (uint16), each row-major [num_seqs, seq_len]; segment ids 1.. per document in a row, 0 = pad.

Tokenizing: `render_exaone_chat` gives the text and the trained character spans. Span edges always sit at
special tokens (after "[|assistant|]\\n", before the next role marker), so the text is cut at the edges and the
pieces are encoded in one batch (`datamill.tokens.encode_flat`): the mask is then a run-length per piece, with
no per-token offset lookup (tests check the result equals encoding the whole text). Documents without a chat
(web text) are trained on every token and end with EOS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from datamill.export.packing import best_fit_decreasing
from datamill.store import atomic_write_text
from datamill.tokens import encode_flat
from schemas import SFTSample, WebDocument, render_exaone_chat


def chat_pieces(s: SFTSample) -> list[tuple[str, bool]]:
    """(text piece, trained?) covering the whole rendered chat in order."""
    text, spans = render_exaone_chat(s.messages, s.tools, reasoning=s.mode == "reasoning")
    pieces, pos = [], 0
    for a, b in spans:
        if a > pos:
            pieces.append((text[pos:a], False))
        pieces.append((text[a:b], True))
        pos = b
    if pos < len(text):
        pieces.append((text[pos:], False))
    return pieces


@dataclass
class TokenizedDocs:
    tokens: np.ndarray  # uint32, all documents back to back
    mask: np.ndarray  # uint8
    bounds: np.ndarray  # int64 [n_docs + 1] offsets into tokens
    skipped: dict[str, int] = field(default_factory=dict)


def tokenize(records: list, tok) -> TokenizedDocs:
    """Encode SFT chats (assistant-only mask) and web documents (all tokens + EOS) in one batch."""
    pieces: list[str] = []
    trained: list[int] = []
    doc_pieces: list[int] = []  # pieces per document
    eos_after: list[bool] = []
    skipped: dict[str, int] = {}
    for r in records:
        if isinstance(r, SFTSample):
            ps = chat_pieces(r)
            eos_after.append(False)  # the chat ends with [|endofturn|]
        elif isinstance(r, WebDocument):
            ps = [(r.text, True)]
            eos_after.append(True)
        else:
            skipped[type(r).__name__] = skipped.get(type(r).__name__, 0) + 1
            continue
        pieces += [p for p, _ in ps]
        trained += [int(t) for _, t in ps]
        doc_pieces.append(len(ps))
    flat, lens = encode_flat(pieces, tok)  # SFT sets repeat pieces (N responses share a prompt): once each
    mask = np.repeat(np.asarray(trained, dtype=np.uint8), lens)
    piece_end = np.cumsum(lens)
    doc_end_piece = np.cumsum(doc_pieces) - 1
    ends = piece_end[doc_end_piece] if len(doc_pieces) else np.zeros(0, dtype=np.int64)
    if any(eos_after):  # insert EOS after plain-text documents
        eos = np.uint32(tok.eos_token_id)
        ins = ends[np.asarray(eos_after)]
        flat = np.insert(flat, ins, eos)
        mask = np.insert(mask, ins, 1)
        ends = ends + np.cumsum(eos_after)
    bounds = np.concatenate([[0], ends]).astype(np.int64)
    return TokenizedDocs(flat, mask, bounds, skipped)


def pack(docs: TokenizedDocs, seq_len: int, overlong: str = "split") -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Best-fit-decreasing pack into [num_seqs, seq_len] arrays (tokens, loss_mask, segment_ids) + stats."""
    if overlong not in ("split", "drop"):
        raise ValueError(f"overlong must be 'split' or 'drop', got {overlong!r}")
    starts, lengths = [], []
    stats = {"documents": len(docs.bounds) - 1, "overlong_split": 0, "overlong_dropped": 0, "dropped_tokens": 0}
    for a, b in zip(docs.bounds[:-1].tolist(), docs.bounds[1:].tolist()):
        n = b - a
        if n == 0:
            continue
        if n > seq_len:
            if overlong == "drop":
                stats["overlong_dropped"] += 1
                stats["dropped_tokens"] += n
                continue
            stats["overlong_split"] += 1
            for s in range(a, b, seq_len):
                starts.append(s)
                lengths.append(min(seq_len, b - s))
            continue
        starts.append(a)
        lengths.append(n)
    assign, n_seqs = best_fit_decreasing(lengths, seq_len)
    tokens = np.zeros((n_seqs, seq_len), dtype=np.uint32)
    mask = np.zeros((n_seqs, seq_len), dtype=np.uint8)
    seg = np.zeros((n_seqs, seq_len), dtype=np.uint16)
    fill = np.zeros(n_seqs, dtype=np.int64)
    nseg = np.zeros(n_seqs, dtype=np.int64)
    for s, n, row in zip(starts, lengths, assign.tolist()):
        o = fill[row]
        tokens[row, o:o + n] = docs.tokens[s:s + n]
        mask[row, o:o + n] = docs.mask[s:s + n]
        nseg[row] += 1
        seg[row, o:o + n] = nseg[row]
        fill[row] = o + n
    used = int(fill.sum())
    stats.update({"pieces": len(lengths), "num_seqs": n_seqs, "non_pad_tokens": used,
                  "loss_tokens": int(mask.sum()),
                  "efficiency": round(used / (n_seqs * seq_len), 6) if n_seqs else 0.0})
    return tokens, mask, seg, stats


def write_packed(out: Path, tokens: np.ndarray, mask: np.ndarray, seg: np.ndarray, meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, arr in (("tokens.bin", tokens), ("loss_mask.bin", mask), ("segment_ids.bin", seg)):
        tmp = out / (name + ".tmp")
        arr.tofile(tmp)
        tmp.replace(out / name)
    atomic_write_text(out / "meta.json", json.dumps(meta, indent=1, sort_keys=True) + "\n")


def read_packed(out: str | Path) -> tuple[dict, np.memmap, np.memmap, np.memmap]:
    """Memory-map a packed export (what train_entry does)."""
    out = Path(out)
    meta = json.loads((out / "meta.json").read_text())
    shape = (meta["num_seqs"], meta["seq_len"])
    return (meta, np.memmap(out / "tokens.bin", dtype=np.uint32, mode="r", shape=shape),
            np.memmap(out / "loss_mask.bin", dtype=np.uint8, mode="r", shape=shape),
            np.memmap(out / "segment_ids.bin", dtype=np.uint16, mode="r", shape=shape))
