"""Rows that are one document each need no document mask: the model then runs SDPA's causal kernel (`Causal`) where
the window covers the row, and a band without document ids where it does not. The trainer decides per batch on the
host (`one_document_rows`); these tests hold both to the masked path's numbers."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import train_entry.attention as A
from train_entry.attention import Causal, build_masks
from train_entry.data import IGNORE, make_batch, one_document_rows
from train_entry.model import HybridLM, ModelConfig


def tiny(**kw) -> ModelConfig:
    return ModelConfig(vocab_size=300, hidden_size=64, intermediate_size=128, num_layers=4, num_heads=4,
                       num_kv_heads=2, head_dim=16, layer_pattern="LLLG", sliding_window=16, rope_theta=10_000.0,
                       **kw)  # fmt: skip


@pytest.mark.parametrize("seg,expected", [
    ([[1, 1, 1, 0, 0], [2, 2, 2, 2, 2]], True),  # one document each, trailing padding allowed
    ([[1, 1, 2, 2, 0]], False),  # two documents in a row
    ([[0, 1, 1, 1, 1]], False),  # padding first: the document would not start at position 0
    ([[1, 1, 0, 1, 1]], False),  # padding inside: the tokens after it would see it
    ([[3, 3, 0, 0, 0], [1, 2, 2, 2, 2]], False),  # one good row does not make the batch
])  # fmt: skip
def test_one_document_rows(seg, expected):
    seg = torch.tensor(seg)
    assert one_document_rows(seg) is expected
    b = make_batch(torch.zeros_like(seg), torch.ones_like(seg, dtype=torch.bool), seg)
    assert b.one_document_rows is expected and b.to("cpu").one_document_rows is expected
    assert (b.attention_segments is None) is expected
    if not expected:
        assert b.attention_segments is b.segment_ids


def test_masks_without_document_ids():
    cfg, like = tiny(), torch.zeros(2, 40, dtype=torch.long)
    wide = build_masks(None, cfg, "sdpa", like_BL=like[:, :16])  # the window (16) covers the row
    assert wide == {True: Causal(), False: Causal()}
    masks = build_masks(None, cfg, "sdpa", like_BL=like)
    assert masks[False] == Causal()
    band = masks[True]  # [1, 1, L, L]: one band for every row, nothing looked up per document
    assert band.shape == (1, 1, 40, 40) and torch.equal(
        band, A.dense_mask(torch.ones(1, 40, dtype=torch.long), 16)
    )
    flex = build_masks(None, cfg, "flex", like_BL=like)[True]
    assert flex.shape[0] == 1 and flex.shape[-2:] == (40, 40)


def _loss_and_grads(model: HybridLM, ids, seg, tgt):
    model.zero_grad(set_to_none=True)
    loss = model(ids, seg, targets_BL=tgt) / (tgt != IGNORE).sum()
    loss.backward()
    return loss.detach(), [
        (n, p.grad.clone()) for n, p in model.named_parameters()
    ]  # wrappers rename, not reorder


def _recorded_sdpa(monkeypatch) -> list[dict]:
    calls: list[dict] = []
    real = F.scaled_dot_product_attention

    def sdpa(*a, **kw):
        first = torch.nn.attention._cur_sdpa_kernel_backends(with_priority=True)[0]
        calls.append(
            {"is_causal": kw.get("is_causal", False), "mask": kw.get("attn_mask") is not None, "first": first}
        )
        return real(*a, **kw)

    monkeypatch.setattr(A.F, "scaled_dot_product_attention", sdpa)
    return calls


@pytest.mark.parametrize("L", [14, 40])  # window 16 covers the row / local layers keep a band
def test_causal_path_equals_the_document_mask_in_loss_and_gradients(monkeypatch, L):
    torch.manual_seed(0)
    model = HybridLM(tiny())
    ids = torch.randint(1, 300, (2, L))
    seg = torch.tensor([[1] * (L - 5) + [0] * 5, [7] * L])  # one document + padding, one full document
    b = make_batch(ids, torch.ones_like(ids, dtype=torch.bool), seg)
    assert b.one_document_rows
    calls = _recorded_sdpa(monkeypatch)
    masked = _loss_and_grads(model, ids, b.segment_ids, b.targets)
    assert not any(c["is_causal"] for c in calls)
    calls.clear()
    causal = _loss_and_grads(model, ids, b.attention_segments, b.targets)
    layers = model.cfg.num_layers
    n_causal = layers if L <= 16 else layers // 4  # every layer, or only the global ones (pattern LLLG)
    assert sum(c["is_causal"] and not c["mask"] for c in calls) == n_causal, calls
    torch.testing.assert_close(causal[0], masked[0], rtol=1e-6, atol=1e-6)
    for (name, g), (_, got) in zip(masked[1], causal[1], strict=True):
        torch.testing.assert_close(got, g, rtol=1e-5, atol=1e-7, msg=name)


def test_dropping_the_mask_of_a_packed_row_would_be_caught():
    """The equality above is not vacuous: with two documents in a row the mask changes the loss, and
    `one_document_rows` keeps it."""
    torch.manual_seed(0)
    model = HybridLM(tiny())
    ids = torch.randint(1, 300, (1, 40))
    b = make_batch(ids, torch.ones_like(ids, dtype=torch.bool), torch.tensor([[1] * 25 + [2] * 15]))
    assert b.attention_segments is b.segment_ids
    with torch.no_grad():
        masked, unmasked = (model(ids, s, targets_BL=b.targets) for s in (b.segment_ids, None))
    assert (masked - unmasked).abs() > 1e-3


def test_flex_band_without_document_ids_matches_sdpa_on_cpu(monkeypatch):
    from torch.nn.attention import flex_attention as fa

    monkeypatch.setattr(
        fa, "_WARNINGS_SHOWN", set()
    )  # torch warns once per process: keep the process's set as it is
    torch.manual_seed(2)
    model = HybridLM(tiny()).eval()
    flex = HybridLM(tiny(attn_impl="flex")).eval()
    flex.load_state_dict(model.state_dict())
    ids = torch.randint(0, 300, (2, 64))
    with torch.no_grad(), pytest.warns(UserWarning, match="without torch.compile"):  # the eager reference ran
        out = flex.logits(ids)
    with torch.no_grad():
        torch.testing.assert_close(out, model.logits(ids, torch.ones_like(ids)), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("capability,first", [((9, 0), True), ((8, 0), False), ((10, 0), False)])
def test_cudnn_goes_first_on_hopper_only(monkeypatch, capability, first):
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    assert A._cudnn_first(torch.device("cuda")) is first
    assert A._cudnn_first(torch.device("cpu")) is False
    monkeypatch.setattr(
        torch.backends.cuda, "cudnn_sdp_enabled", lambda: False
    )  # a user's global switch wins
    assert A._cudnn_first(torch.device("cuda")) is False


def test_cudnn_first_sets_sdpa_priority_and_changes_no_number(monkeypatch):
    from torch.nn.attention import SDPBackend

    torch.manual_seed(3)
    model = HybridLM(tiny()).eval()
    ids = torch.randint(0, 300, (2, 40))
    calls = _recorded_sdpa(monkeypatch)
    with torch.no_grad():
        plain = model(ids)
        monkeypatch.setattr(A, "_cudnn_first", lambda device: True)
        first = model(ids)
    causal = [c["first"] for c in calls if c["is_causal"]]
    assert len(causal) == 2, causal  # one global layer per forward
    assert causal[0] != SDPBackend.CUDNN_ATTENTION and causal[1] == SDPBackend.CUDNN_ATTENTION, causal
    assert torch.nn.attention._cur_sdpa_kernel_backends(with_priority=True)[0] == causal[0], (
        "priority restored"
    )
    torch.testing.assert_close(first, plain, rtol=0, atol=0)


def test_compiled_and_checkpointed_causal_path_matches_eager_masked():
    """The trainer's fast path for one-document rows: compiled (Inductor, CPU) + checkpointed layers with `Causal` and
    the document-free band equal the eager masked model in loss and every gradient; a second batch of the same shape
    compiles nothing new."""
    from torch._dynamo.utils import counters

    from train_entry.distributed import apply_activation_checkpointing, apply_compile

    torch._dynamo.reset()
    torch.manual_seed(0)
    ref = HybridLM(tiny())
    fast = HybridLM(tiny())
    fast.load_state_dict(ref.state_dict())
    apply_activation_checkpointing(fast)
    apply_compile(fast)
    graphs = []
    for seed in (1, 2):
        g = torch.Generator().manual_seed(seed)
        ids = torch.randint(1, 300, (2, 40), generator=g)
        seg = torch.tensor([[1] * 33 + [0] * 7, [1] * 40])
        b = make_batch(ids, torch.ones_like(ids, dtype=torch.bool), seg)
        want = _loss_and_grads(ref, ids, b.segment_ids, b.targets)
        got = _loss_and_grads(fast, ids, b.attention_segments, b.targets)
        torch.testing.assert_close(got[0], want[0], rtol=1e-5, atol=1e-5)
        for (name, grad), (_, g) in zip(want[1], got[1], strict=True):
            torch.testing.assert_close(g, grad, rtol=1e-4, atol=1e-6, msg=name)
        graphs.append(counters["stats"]["unique_graphs"])
    assert graphs[0] > 0 and graphs[1] == graphs[0], f"graphs {graphs}"
