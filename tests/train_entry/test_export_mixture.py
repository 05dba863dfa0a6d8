"""The trainer on a real exported mixture: store (GSM8K reasoning + non-reasoning, Korean chat, Spanish XQuAD, BFCL
tools, essays) → `datamill.mixing.run_mix` → `datamill.export.export` packed arrays → `train_entry.train`."""

from __future__ import annotations

import json

import pytest
import yaml

from datamill.store import Store
from train_entry.config import TrainConfig
from train_entry.data import PackedReader
from train_entry.train import train


@pytest.fixture(scope="module")
def exported(tmp_path_factory, examples):
    from datamill.export import export
    from datamill.mixing import run_mix
    from tests.datamill.mixing.realstore import build_real_store

    root = tmp_path_factory.mktemp("mixture")
    store = build_real_store(Store(root / "store"), examples, gsm8k_n=120, wrong=False)
    spec = {"name": "train-test", "components": [
        {"name": "math", "select": {"domain": ["math"], "passed": True}, "token_budget": 24000},
        {"name": "multi", "select": {"domain": ["multilingual"]}, "token_budget": 6000},
        {"name": "tools", "select": {"domain": ["tool_use"]}, "token_budget": 3000},
        {"name": "essays", "select": {"kind": ["web"]}, "token_budget": 4000}]}  # fmt: skip
    (root / "spec.yaml").write_text(yaml.safe_dump(spec))
    manifest = run_mix(root / "spec.yaml", store, root / "mix", progress=False).manifest_path
    export(manifest, store, root / "out", seq_len=256, formats=("packed",), progress=False)
    return root / "out" / "packed"


@pytest.mark.slow
def test_trains_on_a_real_exported_mixture(exported, tmp_path):
    r = PackedReader(exported)
    assert r.meta.seq_len == 256 and r.bad_rows == [] and len(r) > 40
    b = r.batch(list(range(len(r))))
    assert 0 < b.num_targets < (b.segment_ids > 0).sum()  # assistant-only (and web) tokens carry loss
    cfg = TrainConfig(data=str(exported), out_dir=str(tmp_path / "run"), max_steps=40, micro_batch_size=4,
                      warmup_steps=5, eval_every=20, ckpt_every=20, threads=1, log_every=1000)  # fmt: skip
    s = train(cfg, log=lambda *_: None)
    log = [json.loads(ln) for ln in (tmp_path / "run/log.jsonl").read_text().splitlines()]
    first, last = sum(x["loss"] for x in log[:5]) / 5, sum(x["loss"] for x in log[-5:]) / 5
    assert last < first - 1.5, (first, last)
    evals = [x["eval_loss"] for x in log if "eval_loss" in x]
    assert len(evals) == 2 and evals[1] < evals[0]
    assert s.steps == 40 and (tmp_path / "run/hf/model.safetensors").exists()
