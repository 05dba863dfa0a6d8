"""Streaming export: records come shard by shard (each shard read once) and are spilled to a temp folder as they
come — chat/preference/text lines as JSON bytes, tokens and loss mask as flat arrays — then the outputs are
written in manifest order from the spill. Memory holds one batch of records and a few numbers per manifest
entry, whatever the mixture's size; the outputs are the same as encoding the whole manifest at once
(tests/datamill/export/test_export.py checks it). A sample repeated by epochs is spilled once and read per repeat.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from datamill.export.chat import LINE_FILES, export_row, jsonl_line, write_lines
from datamill.export.packed import pack_spans, tokenize
from schemas import SFTSample, WebDocument
from schemas.mixture import ManifestEntry

# records are tokenized in batches of about this many tokens (manifest counts): distinct pieces and words are
# encoded once per batch; tokenizing holds ~100 bytes per token of Python strings and lists
BATCH_TOKENS = 500_000
WRITE_ROWS = 8192  # lines per write (and per Parquet row group)


class Spill:
    def __init__(self, folder: Path, entries: list[ManifestEntry], chat: bool, tok=None):
        shutil.rmtree(folder, ignore_errors=True)  # a killed run's leftovers
        folder.mkdir(parents=True)
        self.folder, self.entries, self.chat, self.tok = folder, entries, chat, tok
        n = len(entries)
        self.line_file = np.full(n, -1, dtype=np.int8)
        self.line_off = np.zeros(n, dtype=np.int64)
        self.line_len = np.zeros(n, dtype=np.int64)
        self.doc_start = np.full(n, -1, dtype=np.int64)
        self.doc_len = np.zeros(n, dtype=np.int64)
        self.licenses: Counter = Counter()
        self.skipped: Counter = Counter()
        # the spill files stay open across add() calls; finish() / remove() close them (_close)
        self._lines = (
            [
                open(folder / name, "wb")  # noqa: SIM115 — closed by _close()
                for name in LINE_FILES
            ]
            if chat
            else []
        )
        self._line_pos = [0] * len(LINE_FILES)
        has_tok = tok is not None
        self._tokens = open(folder / "tokens.u32", "wb") if has_tok else None  # noqa: SIM115 — as above
        self._mask = open(folder / "mask.u8", "wb") if has_tok else None  # noqa: SIM115 — as above
        self._token_pos = 0
        self._pending: list[tuple[list[int], object]] = []
        self._pending_tokens = 0

    def add(self, idx: list[int], rec) -> None:
        self.licenses[getattr(rec, "license", "") or "unknown"] += len(idx)
        if self.chat:
            for i in idx:
                got = export_row(rec, self.entries[i].repeat)
                if got is not None:
                    k, row = got
                    line = jsonl_line(row)
                    self._lines[k].write(line)
                    self.line_file[i], self.line_off[i], self.line_len[i] = k, self._line_pos[k], len(line)
                    self._line_pos[k] += len(line)
        if self.tok is not None:
            if isinstance(rec, (SFTSample, WebDocument)):
                self._pending.append((idx, rec))
                self._pending_tokens += self.entries[idx[0]].tokens
                if self._pending_tokens >= BATCH_TOKENS:
                    self._tokenize()
            else:
                self.skipped[type(rec).__name__] += len(idx)

    def _tokenize(self) -> None:
        docs = tokenize([rec for _, rec in self._pending], self.tok)
        docs.tokens.tofile(self._tokens)
        docs.mask.tofile(self._mask)
        for k, (idx, _) in enumerate(self._pending):
            self.doc_start[idx] = self._token_pos + docs.bounds[k]
            self.doc_len[idx] = docs.bounds[k + 1] - docs.bounds[k]
        self._token_pos += int(docs.tokens.size)
        self._pending, self._pending_tokens = [], 0

    def finish(self) -> None:
        """Tokenize what is pending and close the spill files (then write_chat / pack)."""
        if self._pending:
            self._tokenize()
        self._close()

    def _close(self) -> None:
        for f in [*self._lines, self._tokens, self._mask]:
            if f is not None and not f.closed:
                try:
                    f.close()
                except OSError:  # disk full while flushing: the spill is thrown away anyway
                    pass

    def write_chat(self, out: Path) -> dict[str, int]:
        """chat.jsonl + chat.parquet, preference.jsonl, text.jsonl in manifest order; file → rows."""
        files = {}
        for k, name in enumerate(LINE_FILES):
            sel = np.flatnonzero(self.line_file == k)
            if sel.size:
                n = write_lines(out, name, self._read_lines(name, sel))
                files.update({"chat.parquet": n, name: n} if name == "chat.jsonl" else {name: n})
        return files

    def _read_lines(self, name: str, sel: np.ndarray) -> Iterator[list[bytes]]:
        data = np.memmap(self.folder / name, dtype=np.uint8, mode="r")
        for a in range(0, sel.size, WRITE_ROWS):
            part = sel[a : a + WRITE_ROWS]
            yield [
                data[o : o + n].tobytes()
                for o, n in zip(self.line_off[part].tolist(), self.line_len[part].tolist())
            ]

    def pack(self, seq_len: int, overlong: str, out: Path):
        """Pack the spilled documents (manifest order) into memory-mapped `<out>/*.bin.tmp` files."""
        sel = np.flatnonzero(self.doc_start >= 0)
        if self._token_pos:
            tokens = np.memmap(self.folder / "tokens.u32", dtype=np.uint32, mode="r")
            mask = np.memmap(self.folder / "mask.u8", dtype=np.uint8, mode="r")
        else:
            tokens, mask = np.zeros(0, np.uint32), np.zeros(0, np.uint8)
        return pack_spans(tokens, mask, self.doc_start[sel], self.doc_len[sel], seq_len, overlong, out)

    def remove(self) -> None:
        self._close()
        shutil.rmtree(self.folder, ignore_errors=True)
