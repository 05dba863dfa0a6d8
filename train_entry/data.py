"""Read the packed export (docs/ARCHITECTURE.md "Packed export → trainer") and cut it into training batches.

A directory with `meta.json` and three row-major `[num_seqs, seq_len]` arrays read through `np.memmap`:
`tokens.bin` (uint32), `loss_mask.bin` (uint8, 1 = assistant token to predict), `segment_ids.bin` (uint16, 1.. per
packed document, 0 = padding). Targets: token t+1 is predicted from t only inside one segment, and only where
`loss_mask[t+1] == 1`; position ids restart at each segment (the model derives them from the segment ids).

The order is a pure function of (seed, cursor): the cursor counts sequences handed out so far, epoch k uses a
permutation seeded by (seed, k), so a checkpoint that stores the cursor resumes on exactly the next batch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from datamill.errors import InputError

IGNORE = -100
ARRAYS = {"tokens": ("tokens.bin", np.uint32), "loss_mask": ("loss_mask.bin", np.uint8),
          "segment_ids": ("segment_ids.bin", np.uint16)}  # fmt: skip
META_KEYS = ("seq_len", "num_seqs", "vocab_size", "pad_id", "eos_id", "tokenizer", "manifest_sha256", "dtype")


@dataclass
class PackedMeta:
    seq_len: int
    num_seqs: int
    vocab_size: int
    pad_id: int
    eos_id: int
    tokenizer: str
    manifest_sha256: str
    dtype: str


@dataclass
class Batch:
    input_ids: torch.Tensor  # [B, L] int64
    targets: torch.Tensor  # [B, L] int64, IGNORE where no loss
    segment_ids: torch.Tensor  # [B, L] int64
    one_document_rows: bool = False  # `one_document_rows(segment_ids)`, decided on the host

    def to(self, device) -> Batch:
        moved = (t.to(device, non_blocking=True) for t in (self.input_ids, self.targets, self.segment_ids))
        return Batch(*moved, self.one_document_rows)

    @property
    def attention_segments(self) -> torch.Tensor | None:
        """What the model's attention needs: None when each row is one document (its causal kernels, no mask)."""
        return None if self.one_document_rows else self.segment_ids

    @property
    def num_targets(self) -> int:
        return int((self.targets != IGNORE).sum())


def read_meta(path: Path) -> PackedMeta:
    f = path / "meta.json"
    if not f.exists():
        raise FileNotFoundError(
            f"{f}: no such file (expected a packed export directory, see docs/ARCHITECTURE.md)"
        )
    try:
        raw = json.loads(f.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise InputError(f"{f}:{e.lineno}:{e.colno}: malformed JSON: {e.msg}") from None
    missing = [k for k in META_KEYS if k not in raw]
    if missing:
        raise InputError(f"{f}: missing keys {missing}")
    if raw["dtype"] != "uint32":
        raise InputError(f"{f}: dtype {raw['dtype']!r} — the packed format stores tokens as uint32")
    return PackedMeta(**{k: raw[k] for k in META_KEYS})


class PackedReader:
    """Memory-mapped packed export; rows with token ids ≥ vocab_size are reported and skipped."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.meta = read_meta(self.path)
        n, L = self.meta.num_seqs, self.meta.seq_len
        self.arrays: dict[str, np.memmap] = {}
        for key, (name, dtype) in ARRAYS.items():
            f = self.path / name
            want = n * L * np.dtype(dtype).itemsize
            if not f.exists():
                raise FileNotFoundError(f"{f}: no such file (meta.json says {n} × {L})")
            if f.stat().st_size != want:
                raise InputError(
                    f"{f}: {f.stat().st_size} bytes, expected {want} ({n} × {L} × {np.dtype(dtype).name})"
                )
            self.arrays[key] = np.memmap(f, dtype=dtype, mode="r", shape=(n, L))
        self.bad_rows = self._scan()
        self.problems = [f"{self.path / 'tokens.bin'}:row {r}: token id ≥ vocab_size {self.meta.vocab_size}"
                         for r in self.bad_rows[:20]]  # fmt: skip

    def _scan(self, block: int = 4096) -> list[int]:
        bad: list[int] = []
        for s in range(0, self.meta.num_seqs, block):
            mx = self.arrays["tokens"][s : s + block].max(axis=1)
            bad += (np.nonzero(mx >= self.meta.vocab_size)[0] + s).tolist()
        return bad

    def __len__(self) -> int:
        return self.meta.num_seqs

    def batch(self, rows: list[int] | np.ndarray) -> Batch:
        rows = np.sort(
            np.asarray(rows)
        )  # sorted reads are sequential on disk; order in a batch is irrelevant
        tok = torch.from_numpy(self.arrays["tokens"][rows].astype(np.int64))
        mask = torch.from_numpy(self.arrays["loss_mask"][rows].astype(np.bool_))
        seg = torch.from_numpy(self.arrays["segment_ids"][rows].astype(np.int64))
        return make_batch(tok, mask, seg)


def make_batch(tokens_BL: torch.Tensor, loss_mask_BL: torch.Tensor, segment_ids_BL: torch.Tensor) -> Batch:
    nxt_same_doc = (segment_ids_BL[:, 1:] == segment_ids_BL[:, :-1]) & (segment_ids_BL[:, 1:] > 0)
    keep = nxt_same_doc & loss_mask_BL[:, 1:].bool()
    targets = torch.full_like(tokens_BL, IGNORE)
    targets[:, :-1] = torch.where(keep, tokens_BL[:, 1:], IGNORE)
    return Batch(tokens_BL, targets, segment_ids_BL, one_document_rows(segment_ids_BL))


def one_document_rows(segment_ids_BL: torch.Tensor) -> bool:
    """True when every row is one document from its first token, then only padding (id 0) to its end. Causal attention
    alone then gives every document token the output the document mask would: a token never sees what follows it, and
    the padding has no targets. So the model may drop the mask (`HybridLM.forward(segment_ids_BL=None)`)."""
    first = segment_ids_BL[:, :1]
    real = segment_ids_BL > 0
    return bool(
        (first > 0).all()
        and ((segment_ids_BL == first) | ~real).all()
        and (real[:, 1:] <= real[:, :-1]).all()
    )


class PackedSplits:
    """Train / held-out rows of one export and the deterministic training order."""

    def __init__(self, reader: PackedReader, eval_fraction: float, eval_max_seqs: int, seed: int):
        good = np.setdiff1d(np.arange(len(reader)), np.asarray(reader.bad_rows, dtype=np.int64))
        n_eval = min(eval_max_seqs, round(len(good) * eval_fraction)) if len(good) > 1 else 0
        if eval_fraction > 0 and eval_max_seqs > 0 and len(good) > 1:
            n_eval = max(n_eval, 1)
        held = np.random.default_rng([seed, 0xE7A1]).permutation(good)[:n_eval]
        self.reader, self.seed = reader, seed
        self.eval_rows = np.sort(held)
        self.train_rows = np.setdiff1d(good, held)
        if len(self.train_rows) == 0:
            raise InputError(
                f"{reader.path}: no usable training rows ({len(reader)} rows, {len(reader.bad_rows)} bad)"
            )

    def rows_at(self, cursor: int, count: int) -> np.ndarray:
        """`count` training rows starting at global position `cursor` (epochs wrap with a fresh permutation)."""
        n, out = len(self.train_rows), []
        for c in range(cursor, cursor + count):
            epoch, k = divmod(c, n)
            out.append(self._perm(epoch)[k])
        return np.asarray(out)

    def _perm(self, epoch: int) -> np.ndarray:
        if getattr(self, "_cached", (None,))[0] != epoch:
            self._cached = (epoch, np.random.default_rng([self.seed, epoch]).permutation(self.train_rows))
        return self._cached[1]

    def eval_batches(self, batch_size: int):
        for s in range(0, len(self.eval_rows), batch_size):
            yield self.reader.batch(self.eval_rows[s : s + batch_size])
