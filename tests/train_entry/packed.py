"""Build a packed export directory (docs/ARCHITECTURE.md "Packed export → trainer") from real GSM8K Q/A pairs
rendered in the EXAONE chat format, tokenized with the demo tokenizer. The exporter proper is datamill/export."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from datamill.tokens import DEFAULT_TOKENIZER, load_tokenizer
from schemas import Message, render_exaone_chat


def gsm8k_chats(examples: Path, n: int | None = None) -> list[tuple[str, list[tuple[int, int]]]]:
    rows = [
        json.loads(ln)
        for ln in (examples / "math" / "gsm8k_train.jsonl").read_text().splitlines()
        if ln.strip()
    ]
    out = []
    for r in rows[:n]:
        msgs = [Message(role="user", content=r["question"]), Message(role="assistant", content=r["answer"])]
        out.append(render_exaone_chat(msgs, reasoning=False))
    return out


def write_packed(out: Path, chats, seq_len: int, tokenizer: Path = DEFAULT_TOKENIZER) -> Path:
    """Greedy first-fit packing of whole conversations (longer ones are cut to seq_len)."""
    tok = load_tokenizer(str(tokenizer))
    docs = []
    for text, spans in chats:
        enc = tok.backend_tokenizer.encode(text, add_special_tokens=False)
        mask = [int(any(a <= s < b for a, b in spans)) for s, _ in enc.offsets]
        docs.append((enc.ids[:seq_len], mask[:seq_len]))
    rows: list[list[tuple[list[int], list[int]]]] = []
    for d in docs:
        row = next((r for r in rows if sum(len(x[0]) for x in r) + len(d[0]) <= seq_len), None)
        if row is None:
            rows.append(row := [])
        row.append(d)
    n = len(rows)
    tokens = np.zeros((n, seq_len), np.uint32)
    loss = np.zeros((n, seq_len), np.uint8)
    seg = np.zeros((n, seq_len), np.uint16)
    for i, row in enumerate(rows):
        pos = 0
        for k, (ids, m) in enumerate(row, start=1):
            tokens[i, pos : pos + len(ids)] = ids
            loss[i, pos : pos + len(ids)] = m
            seg[i, pos : pos + len(ids)] = k
            pos += len(ids)
    out.mkdir(parents=True, exist_ok=True)
    tokens.tofile(out / "tokens.bin")
    loss.tofile(out / "loss_mask.bin")
    seg.tofile(out / "segment_ids.bin")
    meta = {"seq_len": seq_len, "num_seqs": n, "vocab_size": len(tok), "pad_id": tok.pad_token_id,
            "eos_id": tok.convert_tokens_to_ids("[|endofturn|]"), "tokenizer": str(tokenizer),
            "manifest_sha256": "0" * 64, "dtype": "uint32"}  # fmt: skip
    (out / "meta.json").write_text(json.dumps(meta))
    return out
