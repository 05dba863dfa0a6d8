"""Training runs on real packed data (CPU, tiny model): the loss falls, accumulation and activation
checkpointing change nothing, the HF directory loads in transformers, the CLI wraps it all."""

from __future__ import annotations

import json

import pytest
import torch

from datamill.cli import main
from train_entry.config import TrainConfig
from train_entry.train import train


def cfg(data, out, **kw) -> TrainConfig:
    base = {
        "data": str(data),
        "out_dir": str(out),
        "model": {"preset": "tiny"},
        "micro_batch_size": 4,
        "max_steps": 60,
        "lr": 3e-3,
        "warmup_steps": 5,
        "eval_every": 20,
        "ckpt_every": 30,
        "log_every": 1000,
        "threads": 1,
        "seed": 0,
    }
    return TrainConfig.model_validate({**base, **kw})


def losses(run) -> list[float]:
    return [json.loads(ln)["loss"] for ln in (run / "log.jsonl").read_text().splitlines()]


@pytest.fixture(scope="module")
def tiny_run(gsm8k_packed, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    return out, train(cfg(gsm8k_packed, out), log=lambda *_: None)


def test_loss_decreases_on_real_packed_data(tiny_run):
    out, s = tiny_run
    ls = losses(out)
    assert len(ls) == s.steps == 60
    evals = [json.loads(ln).get("eval_loss") for ln in (out / "log.jsonl").read_text().splitlines()]
    evals = [e for e in evals if e is not None]
    assert sum(ls[:5]) / 5 > 8.5  # starts near ln(8192) = 9.01
    assert sum(ls[-5:]) / 5 < sum(ls[:5]) / 5 - 2.5
    assert len(evals) == 3 and evals[-1] < evals[0] and s.final_eval_loss == evals[-1]
    assert s.target_tokens > 0 and s.tokens == 60 * 4 * 128 and s.bad_rows == 0


def test_hf_directory_loads_with_transformers_and_gives_same_logits(tiny_run, gsm8k_packed):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from train_entry.data import PackedReader
    from train_entry.model import HybridLM

    out, s = tiny_run
    hf = AutoModelForCausalLM.from_pretrained(s.hf_dir).eval()
    assert type(hf).__name__ == "Exaone4ForCausalLM" and hf.config.layer_types[3] == "full_attention"
    ours = HybridLM(cfg(gsm8k_packed, out).model.build(8192)).eval()
    ours.load_state_dict(torch.load(f"{s.checkpoint_dir}/model.pt", weights_only=True))
    ids = PackedReader(gsm8k_packed).batch([0]).input_ids[:, :90]  # real tokens of the first document(s)
    with torch.no_grad():
        torch.testing.assert_close(hf(ids).logits, ours.logits(ids), rtol=1e-5, atol=1e-5)
    tok = AutoTokenizer.from_pretrained(s.hf_dir)  # the tokenizer travels with the model
    assert tok.convert_tokens_to_ids("[|assistant|]") == 5


def test_grad_accumulation_is_token_weighted(gsm8k_packed, tmp_path):
    a = train(
        cfg(gsm8k_packed, tmp_path / "a", max_steps=3, micro_batch_size=4, export_hf=False),
        log=lambda *_: None,
    )
    b = train(cfg(gsm8k_packed, tmp_path / "b", max_steps=3, micro_batch_size=2, grad_accum=2, export_hf=False),
              log=lambda *_: None)  # fmt: skip
    la, lb = losses(tmp_path / "a"), losses(tmp_path / "b")
    assert la == pytest.approx(lb, rel=1e-5, abs=1e-5) and la[0] != la[2]
    wa = torch.load(f"{a.checkpoint_dir}/model.pt", weights_only=True)
    wb = torch.load(f"{b.checkpoint_dir}/model.pt", weights_only=True)
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], rtol=1e-4, atol=1e-5)


def test_activation_checkpointing_changes_nothing(gsm8k_packed, tmp_path):
    a = train(cfg(gsm8k_packed, tmp_path / "a", max_steps=3, export_hf=False), log=lambda *_: None)
    b = train(cfg(gsm8k_packed, tmp_path / "b", max_steps=3, export_hf=False, activation_checkpointing=True),
              log=lambda *_: None)  # fmt: skip
    assert losses(tmp_path / "a") == pytest.approx(losses(tmp_path / "b"), rel=1e-6)
    wa = torch.load(f"{a.checkpoint_dir}/model.pt", weights_only=True)
    wb = torch.load(f"{b.checkpoint_dir}/model.pt", weights_only=True)
    assert wa.keys() == wb.keys()  # checkpoint_wrapper leaves the HF names alone
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], rtol=1e-5, atol=1e-6)


def test_cli_train_and_clean_errors(gsm8k_packed, tmp_path, capsys):
    y = tmp_path / "t.yaml"
    y.write_text(f"data: {gsm8k_packed}\nmodel: {{preset: tiny}}\nmax_steps: 4\nthreads: 1\neval_every: 2\n")
    assert main(["train", str(y), "--out", str(tmp_path / "r"), "--max-steps", "2", "--lr", "0.001"]) == 0
    out = capsys.readouterr().out
    summary = json.loads(out[out.index("{\n") :])
    assert summary["steps"] == 2 and summary["hf_dir"] == str(tmp_path / "r/hf")
    log = [json.loads(ln) for ln in (tmp_path / "r/log.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log] == [1, 2] and log[1]["lr"] <= 0.001
    assert (tmp_path / "r/hf/config.json").exists()
    y.write_text(f"data: {gsm8k_packed}\nmodel: {{preset: huge}}\n")
    assert main(["train", str(y)]) == 2
    assert f"{y}: model.preset: Value error, unknown preset 'huge'" in capsys.readouterr().err
    y.write_text(f"data: {gsm8k_packed}\nattn_impl: varlen\ndevice: cpu\n")
    assert main(["train", str(y), "--out", str(tmp_path / "r3")]) == 2
    assert (
        "attn_impl: varlen runs torch's Flash Attention kernel, which needs CUDA; this run is on cpu"
        in capsys.readouterr().err
    )
    assert not (tmp_path / "r3").exists(), "a refused run leaves nothing behind"
    y.write_text(f"data: {tmp_path / 'nowhere'}\n")
    assert main(["train", str(y), "--out", str(tmp_path / "r2")]) == 2
    assert "nowhere/meta.json: no such file" in capsys.readouterr().err


def test_resume_refuses_another_architecture(gsm8k_packed, tmp_path):
    train(cfg(gsm8k_packed, tmp_path / "r", max_steps=2, export_hf=False), log=lambda *_: None)
    other = cfg(
        gsm8k_packed,
        tmp_path / "r",
        max_steps=4,
        model={"preset": "tiny", "overrides": {"layer_pattern": "G"}},
    )
    with pytest.raises(
        ValueError,
        match=r"model_config.json: checkpoint was trained with another model: layer_pattern: 'LLLG' → 'G'",
    ):
        train(other, log=lambda *_: None)
    s = train(other, resume=False, log=lambda *_: None, export_hf=False)  # --no-resume starts over
    assert s.resumed_from is None and s.steps == 4


def test_resume_refuses_other_data(gsm8k_packed, tmp_path, examples):
    """Issue #20 item 9: a resume checked only the architecture, so `train --data <another export>` went on from the
    old cursor over different rows. Another manifest or another seq_len is refused, naming what changed."""
    from tests.train_entry.packed import gsm8k_chats, write_packed

    train(cfg(gsm8k_packed, tmp_path / "r", max_steps=2, ckpt_every=2, export_hf=False), log=lambda *_: None)
    longer = write_packed(tmp_path / "p256", gsm8k_chats(examples), seq_len=256)
    with pytest.raises(
        ValueError, match=r"data.json: checkpoint was trained with other data .*: seq_len: 128 → 256"
    ):
        train(cfg(longer, tmp_path / "r", max_steps=4), log=lambda *_: None)
    other = write_packed(tmp_path / "other", gsm8k_chats(examples, 100), seq_len=128)
    meta = json.loads((other / "meta.json").read_text())
    (other / "meta.json").write_text(json.dumps({**meta, "manifest_sha256": "1" * 64}))
    with pytest.raises(
        ValueError, match=r"manifest_sha256: '0{64}' → '1{64}'; use another out_dir or --no-resume"
    ):
        train(cfg(other, tmp_path / "r", max_steps=4), log=lambda *_: None)
    same = train(cfg(gsm8k_packed, tmp_path / "r", max_steps=4, export_hf=False), log=lambda *_: None)
    assert same.resumed_from == 2  # the same export still resumes


def test_bf16_weight_cache_trains_the_same_numbers(gsm8k_packed, tmp_path, monkeypatch):
    """`bf16_weight_cache` moves the bf16 casts, not the numbers: with bf16 autocast and 3 micro-batches per step, the
    logged losses, grad norms and the final weights equal a run without it; fp32 runs refuse it with a message."""
    import train_entry.train as T
    from train_entry.weight_cache import Bf16WeightCache

    arrived = []

    class Counting(Bf16WeightCache):  # proves the gradients really came through the bf16 copies
        def refresh(self):
            super().refresh()
            for copy in self.copies:
                copy.register_post_accumulate_grad_hook(lambda _: arrived.append(1))

    monkeypatch.setattr(T, "Bf16WeightCache", Counting)
    kw = {
        "max_steps": 4,
        "grad_accum": 3,
        "dtype": "bf16",
        "export_hf": False,
        "eval_every": 0,
        "ckpt_every": 4,
    }
    runs = {}
    for cached in (False, True):
        out = tmp_path / f"cache_{cached}"
        train(cfg(gsm8k_packed, out, bf16_weight_cache=cached, **kw), log=lambda *_: None)
        log = [json.loads(ln) for ln in (out / "log.jsonl").read_text().splitlines()]
        weights = torch.load(out / "checkpoints/step-000004/model.pt", weights_only=True)
        runs[cached] = ([(r["loss"], r["grad_norm"]) for r in log], weights)
    assert len(arrived) == 4 * 7 * 3 * 4, "28 decoder-layer weights × 3 micro-batches × 4 steps"
    assert runs[True][0] == runs[False][0] and len(runs[True][0]) == 4
    assert runs[True][1].keys() == runs[False][1].keys()
    for name, w in runs[False][1].items():
        assert torch.equal(runs[True][1][name], w), f"{name} differs after 4 steps"
    with pytest.raises(ValueError, match="bf16_weight_cache: needs bf16 autocast in one process"):
        train(
            cfg(gsm8k_packed, tmp_path / "fp32", bf16_weight_cache=True, max_steps=1, dtype="fp32"),
            log=lambda *_: None,
        )


def test_one_document_batches_train_like_the_masked_path(gsm8k_packed, tmp_path, monkeypatch):
    """The embedded GSM8K rows are one (cut) document each, so the trainer passes no segment ids and the model runs
    its causal kernels; forcing the document mask gives the same losses and the same weights."""
    from train_entry import data
    from train_entry.model import HybridLM

    seen: list[bool] = []
    forward = HybridLM.forward

    def recording(self, ids, seg=None, *a, **kw):
        seen.append(seg is None)
        return forward(self, ids, seg, *a, **kw)

    monkeypatch.setattr(HybridLM, "forward", recording)
    kw = {"max_steps": 4, "eval_every": 0, "ckpt_every": 4}
    runs = {"causal": train(cfg(gsm8k_packed, tmp_path / "causal", **kw), log=lambda *_: None)}
    assert seen and all(seen), "the one-document path was not taken"
    monkeypatch.setattr(data, "one_document_rows", lambda seg: False)
    seen.clear()
    runs["masked"] = train(cfg(gsm8k_packed, tmp_path / "masked", **kw), log=lambda *_: None)
    assert seen and not any(seen)
    assert losses(tmp_path / "causal") == pytest.approx(losses(tmp_path / "masked"), rel=1e-5)
    a, b = (torch.load(f"{r.checkpoint_dir}/model.pt", weights_only=True) for r in runs.values())
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-4, atol=1e-6, msg=k)


def test_packed_rows_keep_their_document_mask(tmp_path, examples, monkeypatch):
    """Rows of 512 tokens hold several GSM8K conversations each: the trainer passes their segment ids."""
    from tests.train_entry.packed import gsm8k_chats, write_packed
    from train_entry.model import HybridLM

    packed = write_packed(tmp_path / "packed512", gsm8k_chats(examples, 60), seq_len=512)
    seen: list[bool] = []
    forward = HybridLM.forward

    def recording(self, ids, seg=None, *a, **kw):
        seen.append(seg is not None and bool((seg[:, 1:] != seg[:, :-1]).any()))  # ids given, with a boundary
        return forward(self, ids, seg, *a, **kw)

    monkeypatch.setattr(HybridLM, "forward", recording)
    train(cfg(packed, tmp_path / "run", max_steps=2, micro_batch_size=2, eval_every=0, ckpt_every=2),
          log=lambda *_: None)  # fmt: skip
    assert len(seen) >= 2 and all(seen), seen  # two steps (and the final eval)
