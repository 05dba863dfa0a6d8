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
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from datamill.atomic import atomic_write_text
from datamill.packing import best_fit_decreasing
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


def pack(
    docs: TokenizedDocs, seq_len: int, overlong: str = "split", out: Path | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Best-fit-decreasing pack into [num_seqs, seq_len] arrays (tokens, loss_mask, segment_ids) + stats."""
    b = docs.bounds
    return pack_spans(docs.tokens, docs.mask, b[:-1], np.diff(b), seq_len, overlong, out)


def pack_spans(
    tokens: np.ndarray,
    mask: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    seq_len: int,
    overlong: str = "split",
    out: Path | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Pack documents tokens[s:s+n] (for s, n in starts, lengths; order matters only for ties). With `out`, the
    arrays are memory-mapped files `<out>/<name>.tmp` that `write_packed` renames into place."""
    if overlong not in ("split", "drop"):
        raise ValueError(f"overlong must be 'split' or 'drop', got {overlong!r}")
    p_starts, p_lengths = [], []
    stats = {"documents": len(starts), "overlong_split": 0, "overlong_dropped": 0, "dropped_tokens": 0}
    for a, n in zip(np.asarray(starts).tolist(), np.asarray(lengths).tolist()):
        if n == 0:
            continue
        if n > seq_len:
            if overlong == "drop":
                stats["overlong_dropped"] += 1
                stats["dropped_tokens"] += n
                continue
            stats["overlong_split"] += 1
            for s in range(a, a + n, seq_len):
                p_starts.append(s)
                p_lengths.append(min(seq_len, a + n - s))
            continue
        p_starts.append(a)
        p_lengths.append(n)
    assign, n_seqs = best_fit_decreasing(p_lengths, seq_len)
    out_tokens, out_mask, seg = (_array(out, name, dt, (n_seqs, seq_len)) for name, dt in PACKED_FILES)
    fill = np.zeros(n_seqs, dtype=np.int64)
    nseg = np.zeros(n_seqs, dtype=np.int64)
    for s, n, row in zip(p_starts, p_lengths, assign.tolist()):
        o = fill[row]
        out_tokens[row, o : o + n] = tokens[s : s + n]
        out_mask[row, o : o + n] = mask[s : s + n]
        nseg[row] += 1
        seg[row, o : o + n] = nseg[row]
        fill[row] = o + n
    used = int(fill.sum())
    stats.update(
        {
            "pieces": len(p_lengths),
            "num_seqs": n_seqs,
            "non_pad_tokens": used,
            "loss_tokens": int(
                sum(int(np.count_nonzero(out_mask[i : i + 4096])) for i in range(0, n_seqs, 4096))
            ),
            "efficiency": round(used / (n_seqs * seq_len), 6) if n_seqs else 0.0,
        }
    )
    return out_tokens, out_mask, seg, stats


PACKED_FILES = (("tokens.bin", np.uint32), ("loss_mask.bin", np.uint8), ("segment_ids.bin", np.uint16))


def _array(out: Path | None, name: str, dtype, shape: tuple[int, int]) -> np.ndarray:
    if out is None or shape[0] == 0:
        return np.zeros(shape, dtype=dtype)
    out.mkdir(parents=True, exist_ok=True)
    return np.memmap(out / (name + ".tmp"), dtype=dtype, mode="w+", shape=shape)  # zero-filled (sparse) file


def write_packed(out: Path, tokens: np.ndarray, mask: np.ndarray, seg: np.ndarray, meta: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for (name, _), arr in zip(PACKED_FILES, (tokens, mask, seg)):
        tmp = out / (name + ".tmp")
        if isinstance(arr, np.memmap) and Path(arr.filename).resolve() == tmp.resolve():
            arr.flush()
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
        else:
            arr.tofile(tmp)
        tmp.replace(out / name)
    atomic_write_text(out / "meta.json", json.dumps(meta, indent=1, sort_keys=True) + "\n")


def read_packed(out: str | Path) -> tuple[dict, np.memmap, np.memmap, np.memmap]:
    """Memory-map a packed export (what train_entry does)."""
    out = Path(out)
    meta = json.loads((out / "meta.json").read_text())
    shape = (meta["num_seqs"], meta["seq_len"])
    return (meta, *(np.memmap(out / name, dtype=dt, mode="r", shape=shape) for name, dt in PACKED_FILES))
