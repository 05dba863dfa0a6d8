"""Packed export reader: targets rule, clear errors naming the file, skipped bad rows, deterministic order."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from tests.train_entry.packed import gsm8k_chats, write_packed
from train_entry.data import IGNORE, PackedReader, PackedSplits, make_batch


@pytest.fixture(scope="module")
def packed(examples, tmp_path_factory):
    return write_packed(tmp_path_factory.mktemp("packed") / "gsm8k", gsm8k_chats(examples, 80), seq_len=128)


def test_targets_only_inside_a_segment_where_next_token_is_trained():
    tok = torch.tensor([[10, 11, 12, 13, 14, 15, 0, 0]])
    mask = torch.tensor([[0, 1, 1, 0, 1, 1, 0, 0]])
    seg = torch.tensor([[1, 1, 1, 2, 2, 2, 0, 0]])
    b = make_batch(tok, mask, seg)
    # t=0→11 (trained), t=1→12, t=2→13 crosses into doc 2: no loss; t=3→14, t=4→15; padding and the end: none
    assert b.targets.tolist() == [[11, 12, IGNORE, 14, 15, IGNORE, IGNORE, IGNORE]]
    assert b.num_targets == 4


def test_real_export_loss_only_on_assistant_tokens(packed):
    r = PackedReader(packed)
    b = r.batch([0])
    from datamill.tokens import load_tokenizer

    tok = load_tokenizer(None)
    trained = tok.decode(b.targets[0][b.targets[0] != IGNORE].tolist())
    assert "48/2 = <<48/2=24>>24 clips in May" in trained and "####" in trained  # the first answer is trained
    assert "of her friends in April" not in trained and "[|user|]" not in trained  # its question is not
    assert trained.count("[|endofturn|]") == len(set(b.segment_ids[0].tolist()) - {0})  # each answer's end
    seg = b.segment_ids[0]
    starts = (seg[1:] != seg[:-1]).nonzero().flatten() + 1
    assert all(b.targets[0, s - 1] == IGNORE for s in starts.tolist())  # never predict across documents


def test_errors_name_the_file(packed, tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    meta = json.loads((packed / "meta.json").read_text())
    (bad / "meta.json").write_text(json.dumps({k: v for k, v in meta.items() if k != "seq_len"}))
    with pytest.raises(ValueError, match=r"bad/meta.json: missing keys \['seq_len'\]"):
        PackedReader(bad)
    (bad / "meta.json").write_text(json.dumps({**meta, "dtype": "uint16"}))
    with pytest.raises(ValueError, match=r"bad/meta.json: dtype 'uint16'"):
        PackedReader(bad)
    (bad / "meta.json").write_text(json.dumps(meta))
    for name in ("tokens.bin", "loss_mask.bin", "segment_ids.bin"):
        (bad / name).write_bytes((packed / name).read_bytes())
    (bad / "segment_ids.bin").write_bytes((packed / "segment_ids.bin").read_bytes()[:-2])
    with pytest.raises(ValueError, match=r"segment_ids.bin: \d+ bytes, expected \d+"):
        PackedReader(bad)
    (bad / "meta.json").write_text('{\n  "seq_len": 128,,\n}')
    with pytest.raises(ValueError, match=r"meta.json:2:\d+: malformed JSON"):
        PackedReader(bad)


def test_out_of_vocab_rows_are_reported_and_skipped(packed, tmp_path):
    bad = tmp_path / "oov"
    bad.mkdir()
    for f in packed.iterdir():
        (bad / f.name).write_bytes(f.read_bytes())
    meta = json.loads((packed / "meta.json").read_text())
    tokens = np.fromfile(bad / "tokens.bin", dtype=np.uint32).reshape(meta["num_seqs"], meta["seq_len"])
    tokens[3, 17] = meta["vocab_size"] + 5
    tokens.tofile(bad / "tokens.bin")
    r = PackedReader(bad)
    assert r.bad_rows == [3]
    assert r.problems == [f"{bad / 'tokens.bin'}:row 3: token id ≥ vocab_size {meta['vocab_size']}"]
    splits = PackedSplits(r, eval_fraction=0.1, eval_max_seqs=8, seed=0)
    assert 3 not in splits.train_rows and 3 not in splits.eval_rows


def test_order_is_a_function_of_seed_and_cursor(packed):
    r = PackedReader(packed)
    s = PackedSplits(r, eval_fraction=0.1, eval_max_seqs=8, seed=7)
    n = len(s.train_rows)
    assert len(s.eval_rows) == min(8, round(len(r) * 0.1)) and not set(s.eval_rows) & set(s.train_rows)
    whole = s.rows_at(0, 2 * n + 3)
    pieces = np.concatenate([s.rows_at(c, 5) for c in range(0, 2 * n + 3, 5)])[: 2 * n + 3]
    assert np.array_equal(whole, pieces)  # resuming at any cursor continues the same stream
    assert sorted(whole[:n]) == sorted(s.train_rows) and sorted(whole[n : 2 * n]) == sorted(s.train_rows)
    assert not np.array_equal(whole[:n], whole[n : 2 * n])  # each epoch is reshuffled
    other = PackedSplits(r, eval_fraction=0.1, eval_max_seqs=8, seed=8)
    assert not np.array_equal(other.rows_at(0, n), whole[:n])
