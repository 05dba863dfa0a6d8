"""`compile: true` (torch.compile per decoder layer, in place) trains like eager and keeps the HF names."""

from __future__ import annotations

import json

import pytest
import torch

from train_entry.config import TrainConfig
from train_entry.train import train


@pytest.mark.slow
def test_compiled_layers_match_eager(gsm8k_packed, tmp_path):
    runs = {}
    for name, compile_ in (("eager", False), ("compiled", True)):
        cfg = TrainConfig(data=str(gsm8k_packed), out_dir=str(tmp_path / name), max_steps=3, micro_batch_size=2,
                          threads=1, eval_every=0, compile=compile_, activation_checkpointing=True)  # fmt: skip
        runs[name] = train(cfg, log=lambda *_: None)
    losses = {
        n: [json.loads(ln)["loss"] for ln in (tmp_path / n / "log.jsonl").read_text().splitlines()]
        for n in runs
    }
    assert losses["compiled"] == pytest.approx(losses["eager"], rel=1e-4)
    a = torch.load(f"{runs['eager'].checkpoint_dir}/model.pt", weights_only=True)
    b = torch.load(f"{runs['compiled'].checkpoint_dir}/model.pt", weights_only=True)
    assert a.keys() == b.keys() and "model.layers.0.self_attn.q_proj.weight" in b  # no _orig_mod. prefixes
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-3, atol=1e-4)  # Adam steps ~lr: tiny fp diffs
