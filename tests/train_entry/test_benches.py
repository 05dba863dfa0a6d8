"""The training benchmarks' CPU smoke modes (the same code the GPU runs, on a tiny shape): what they count and what
they report. Their GPU numbers live in bench/RESULTS.md; nothing here times anything."""

from __future__ import annotations

import json
import math

import pytest
import torch

from bench import attn_bench, train_bench
from train_entry.attention import dense_mask


@pytest.mark.parametrize("window", [None, 1, 7, 64])
def test_attended_pairs_is_what_the_mask_keeps(window):
    """The attention bench's FLOPs come from this count: it must equal the model's own mask, documents and window."""
    lengths = attn_bench.doc_lengths(256, packed=True, seed=3)
    assert len(lengths) > 1 and sum(lengths) == 256
    seg = attn_bench.segments(lengths, "cpu")
    assert attn_bench.attended_pairs(lengths, window) == int(dense_mask(seg, window).sum())


def test_attention_bench_smoke_reports_one_and_packed_documents(capsys):
    assert attn_bench.main(["--smoke", "--no-write", "--iters", "1"]) == 0
    rows = [eval(line, {}) for line in capsys.readouterr().out.splitlines() if line.startswith("{'seq'")]
    assert {(r["docs"] > 1, r["kind"]) for r in rows} == {(False, "global"), (False, "local"), (True, "global"),
                                                         (True, "local")}  # fmt: skip
    assert all(r["kernel"] == "sdpa (dense mask)" and r["s"] > 0 and r["tflops"] > 0 for r in rows), rows


@pytest.fixture
def keep_threads():
    """The smoke mode pins torch to one thread (steadier CPU timings); give the rest of the suite its threads back."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def test_train_bench_smoke_rows(tmp_path, capsys, keep_threads):
    """Three variants at one length: each row ran its planned micro-batches and a random-init model's loss is about
    ln(vocab); an attention kernel that cannot run here (Flash varlen needs CUDA) is an error row, not a crash."""
    out = tmp_path / "rows.jsonl"
    args = ["--smoke", "--no-write", "--seqs", "64", "--steps", "1", "--warmup", "0", "--jsonl", str(out)]
    assert train_bench.main([*args, "--variants", "hybrid,global,hf"]) == 0
    # with document ids, so the local layers reach the varlen kernel (one-document rows of 64 ≤ window run SDPA's)
    assert train_bench.main([*args, "--variants", "hybrid", "--attn", "varlen", "--doc-mask"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    ok, varlen = rows[:3], rows[3]
    assert [r["variant"] for r in ok] == ["hybrid", "global", "hf"]
    vocab = train_bench.TINY.vocab_size
    for r in ok:
        assert r["micro"] == 512 // 64 and r["tok_s"] > 0, r
        assert abs(r["loss"] - math.log(vocab)) < 0.5, f"{r['variant']}: loss {r['loss']:.2f} vs ln {vocab}"
    assert [r["attn"] for r in ok] == ["auto", "auto", "sdpa"]
    assert not any(r["doc_mask"] for r in ok) and varlen["doc_mask"]
    assert "tok_s" not in varlen and "NotImplementedError" in varlen["error"], varlen
    printed = capsys.readouterr().out
    assert "ours hybrid LLLG · varlen · doc mask" in printed and "NotImplementedError" in printed


def test_train_bench_no_cudnn_switches_cudnn_attention_off(tmp_path, capsys, keep_threads, monkeypatch):
    """`--no-cudnn` turns cuDNN attention off for the whole run (the model's `Causal` then leaves SDPA's order alone)
    and the row says so."""
    calls: list[bool] = []
    monkeypatch.setattr(
        torch.backends.cuda, "enable_cudnn_sdp", calls.append
    )  # no global change in this process
    args = ["--smoke", "--no-write", "--seqs", "64", "--steps", "1", "--warmup", "0", "--variants", "hybrid"]
    assert train_bench.main([*args, "--no-cudnn", "--jsonl", str(tmp_path / "rows.jsonl")]) == 0
    assert calls == [False]
    row = json.loads((tmp_path / "rows.jsonl").read_text())
    assert row["no_cudnn"] and "tok_s" in row
    assert "ours hybrid LLLG · no cuDNN" in capsys.readouterr().out
