"""HybridLM against transformers' Exaone4ForCausalLM (random weights, CPU, float32) and its own invariants."""

from __future__ import annotations

import pytest
import torch

from train_entry.attention import positions_from_segments
from train_entry.hf_io import to_hf_config
from train_entry.model import HybridLM, ModelConfig


def tiny(**kw) -> ModelConfig:
    base = {
        "vocab_size": 300,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_layers": 4,
        "num_heads": 4,
        "num_kv_heads": 2,
        "head_dim": 16,
        "layer_pattern": "LLLG",
        "sliding_window": 16,
        "rope_theta": 10_000.0,
    }
    return ModelConfig(**{**base, **kw})


def hf_twin(model: HybridLM):
    from transformers import Exaone4ForCausalLM

    hf = Exaone4ForCausalLM(to_hf_config(model.cfg)).eval()
    hf.load_state_dict(model.state_dict(), strict=True)  # same parameter names, nothing missing or extra
    return hf


@pytest.mark.parametrize("pattern,tied", [("LLLG", False), ("LLLG", True), ("G", True), ("LG", False)])
def test_logits_match_transformers_exaone4(pattern, tied):
    torch.manual_seed(0)
    model = HybridLM(tiny(layer_pattern=pattern, tie_embeddings=tied)).eval()
    hf = hf_twin(model)
    assert hf.config.layer_types[3] == "full_attention"
    ids = torch.randint(0, 300, (2, 50))  # 50 > sliding_window 16: the window is exercised
    with torch.no_grad():
        ours, theirs = model.logits(ids), hf(ids).logits
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


def test_window_and_nope_change_the_output():
    """The parity above is not vacuous: a wider window, or RoPE on the global layer, gives other logits."""
    torch.manual_seed(0)
    model = HybridLM(tiny()).eval()
    ids = torch.randint(0, 300, (1, 50))
    wide = HybridLM(tiny(sliding_window=1000)).eval()
    wide.load_state_dict(model.state_dict())
    with torch.no_grad():
        a, b = model.logits(ids), wide.logits(ids)
    torch.testing.assert_close(a[:, :16], b[:, :16])  # inside the window both see the same keys
    assert (a[:, 16:] - b[:, 16:]).abs().max() > 1e-3
    assert [model.cfg.uses_rope(i) for i in range(4)] == [True, True, True, False]
    assert all(
        ModelConfig(layer_pattern="G", num_layers=4).uses_rope(i) for i in range(4)
    )  # 1.2B: RoPE everywhere


def test_packed_documents_are_independent():
    """Two documents packed in one row give the same logits as each run alone (document mask + positions)."""
    torch.manual_seed(1)
    model = HybridLM(tiny()).eval()
    a, b = torch.randint(0, 300, (1, 30)), torch.randint(0, 300, (1, 25))
    row = torch.cat([a, b, torch.zeros(1, 9, dtype=torch.long)], dim=1)
    seg = torch.tensor([[1] * 30 + [2] * 25 + [0] * 9])
    with torch.no_grad():
        packed = model.logits(row, seg)
        torch.testing.assert_close(packed[:, :30], model.logits(a), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(packed[:, 30:55], model.logits(b), rtol=1e-5, atol=1e-5)


def test_positions_restart_per_segment():
    seg = torch.tensor([[1, 1, 1, 2, 2, 0, 0], [5, 5, 5, 5, 5, 5, 5]])
    assert positions_from_segments(seg).tolist() == [[0, 1, 2, 0, 1, 0, 1], [0, 1, 2, 3, 4, 5, 6]]


@pytest.mark.parametrize("kw,msg", [
    ({"layer_pattern": "LLX"}, "string of 'L' and 'G'"),
    ({"layer_pattern": "LLLG", "num_layers": 6}, "not a multiple of len(layer_pattern"),
    ({"sliding_window": 0}, "has local layers but sliding_window=0"),
    ({"num_heads": 4, "num_kv_heads": 3}, "not a multiple of num_kv_heads"),
])  # fmt: skip
def test_config_validation(kw, msg):
    with pytest.raises(ValueError, match=msg.replace("(", r"\(")):
        tiny(**kw)


def test_flex_path_matches_sdpa_forward_on_cpu():
    """The FlexAttention block-mask path (eager on CPU, forward only) gives the SDPA path's logits."""
    torch.manual_seed(2)
    model = HybridLM(tiny()).eval()
    flex = HybridLM(tiny(attn_impl="flex")).eval()
    flex.load_state_dict(model.state_dict())
    ids = torch.randint(0, 300, (2, 64))
    seg = torch.tensor([[1] * 40 + [2] * 20 + [0] * 4, [1] * 64])
    with torch.no_grad(), pytest.warns(UserWarning, match="without torch.compile"):
        out = flex.logits(ids, seg)
    with torch.no_grad():
        torch.testing.assert_close(out, model.logits(ids, seg), rtol=1e-4, atol=1e-4)


def test_train_config_offers_every_attention_kernel_the_model_has():
    """TrainConfig's `attn_impl` choices are a Literal (for its error messages); they must stay the model's list."""
    import typing

    from train_entry.attention import ATTN_IMPLS
    from train_entry.config import TrainConfig

    assert typing.get_args(TrainConfig.model_fields["attn_impl"].annotation) == ATTN_IMPLS
