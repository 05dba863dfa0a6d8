"""Attention for the hybrid model: which mask each layer kind gets, and which kernel runs it.

- Packed sequences: `segment_ids` (0 = padding, 1.. = document) mask attention at document boundaries
  (`document_starts`; `positions_from_segments` restarts RoPE positions there). Without them
  (`segment_ids_BL=None`: each row is one document, trailing padding allowed) a layer kind whose window covers
  the row runs SDPA's causal kernel with no mask at all (`Causal`).
- Kernels (`attn_impl`): SDPA with an explicit boolean mask (any device; the CPU path), FlexAttention with a block
  mask on CUDA, which skips blocks outside the window so local layers cost O(L·window), or "varlen": torch's
  Flash Attention varlen kernel (`torch.nn.attention.varlen`, CUDA) over the packed documents (`cu_seqlens`)
  with its own sliding window, which needs no mask at all.

`build_masks` makes one mask per layer kind per forward; `attend` runs one layer's attention with it. The model
(`train_entry.model`) holds the weights, norms and RoPE and calls these two.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import Protocol

import torch
import torch.nn.functional as F

ATTN_IMPLS = ("auto", "sdpa", "flex", "varlen")


class LayerLayout(Protocol):
    """What the masks need to know of a model: its layers, which are local, and the local window
    (`train_entry.model.ModelConfig`)."""

    num_layers: int
    sliding_window: int

    def is_local(self, i: int) -> bool: ...


# ---------------------------------------------------------------- masks (shared by the SDPA and flex paths)
def document_starts(segment_ids_BL: torch.Tensor) -> torch.Tensor:
    """True where a document starts: each row's first token and wherever the segment id changes."""
    start = torch.ones_like(segment_ids_BL, dtype=torch.bool)
    start[:, 1:] = segment_ids_BL[:, 1:] != segment_ids_BL[:, :-1]
    return start


def positions_from_segments(segment_ids_BL: torch.Tensor) -> torch.Tensor:
    """Position of each token inside its document: restarts at 0 wherever the segment id changes."""
    B, L = segment_ids_BL.shape
    idx = torch.arange(L, device=segment_ids_BL.device).expand(B, L)
    return idx - torch.cummax(torch.where(document_starts(segment_ids_BL), idx, 0), dim=1).values


def make_mask_mod(segment_ids_BL: torch.Tensor | None, window: int | None):
    """FlexAttention mask_mod: causal, same document (unless `segment_ids_BL` is None: one document per row) and (for
    local layers) inside the window."""

    def mask_mod(b, h, q_idx, kv_idx):
        ok = q_idx >= kv_idx
        if segment_ids_BL is not None:
            ok = ok & (segment_ids_BL[b, q_idx] == segment_ids_BL[b, kv_idx])
        return ok & (q_idx - kv_idx < window) if window else ok

    return mask_mod


def dense_mask(segment_ids_BL: torch.Tensor, window: int | None) -> torch.Tensor:
    """The same rule as `make_mask_mod`, materialised as a boolean [B, 1, L, L] mask for SDPA."""
    L = segment_ids_BL.shape[1]
    ones = torch.ones(L, L, dtype=torch.bool, device=segment_ids_BL.device)
    band = ones.tril() & ~ones.tril(-window) if window else ones.tril()  # kv ≤ q and (q − kv < window)
    return (band & (segment_ids_BL[:, :, None] == segment_ids_BL[:, None, :]))[:, None]


@dataclass(frozen=True)
class Causal:
    """The mask of a layer whose every query sees its whole prefix (one document per row, no window inside the row):
    SDPA's causal kernel, no mask tensor. `cudnn_first`: try cuDNN's attention before Flash. On Hopper cuDNN's
    kernels ran training shapes 1.7–2.3× faster than the Flash backend SDPA picks first (huggingface/transformers
    #48163, six GPUs measured: Hopper only wins); tritonbench measured 631 vs 329 TFLOP/s on an H100
    (pytorch/pytorch#142132). A shape cuDNN cannot serve falls back to Flash (a priority, not a restriction)."""

    cudnn_first: bool = False


def _cudnn_first(device: torch.device) -> bool:
    """Hopper (see `Causal`), unless cuDNN attention was switched off (`torch.backends.cuda.enable_cudnn_sdp(False)`)."""
    if device.type != "cuda" or not torch.backends.cuda.cudnn_sdp_enabled():
        return False
    return torch.cuda.get_device_capability(device)[0] == 9


@functools.cache
def _flex(device_type: str):
    """Compiled FlexAttention on CUDA (the fused kernel); the eager reference elsewhere (forward-only on CPU)."""
    from torch.nn.attention.flex_attention import flex_attention

    return torch.compile(flex_attention, dynamic=False) if device_type == "cuda" else flex_attention


@dataclass(frozen=True)
class VarlenMask:
    """What the varlen kernel needs instead of a mask: document starts over the flattened batch (`cu_seqlens`, int32,
    the B·L end last), the longest document bound (L: an upper bound is enough), Flash's window (left, right), and
    whether this torch's `varlen_attn` takes fewer key/value heads (`enable_gqa`) or needs them repeated."""

    cu_seqlens: torch.Tensor
    max_len: int
    window: tuple[int, int]
    native_gqa: bool


def varlen_documents(segment_ids_BL: torch.Tensor) -> torch.Tensor:
    """`cu_seqlens` of the packed batch: a document starts at each row start and wherever the segment id changes, so
    a padding run (id 0) is its own document, as in `dense_mask`. One host sync (the count is data-dependent)."""
    idx = document_starts(segment_ids_BL).flatten().nonzero().flatten()
    end = torch.tensor([segment_ids_BL.numel()], device=idx.device, dtype=idx.dtype)
    return torch.cat([idx, end]).to(torch.int32)


@functools.cache
def _varlen_native_gqa() -> bool:
    """Checks this torch's `varlen_attn` once, outside any compiled region: window support is required (torch ≥
    2.10); `enable_gqa` came later (pytorch/pytorch#179468, April 2026)."""
    import inspect

    try:
        from torch.nn.attention.varlen import varlen_attn
    except ImportError:
        varlen_attn = None
    params = inspect.signature(varlen_attn).parameters if varlen_attn else {}
    if "window_size" not in params:
        raise RuntimeError(f"attn_impl='varlen' needs torch.nn.attention.varlen.varlen_attn with window_size "
                           f"(torch >= 2.10); this is torch {torch.__version__}: use attn_impl='flex'")  # fmt: skip
    return "enable_gqa" in params


def varlen_attention(q_THd, k_THd, v_THd, mask: VarlenMask, scale: float) -> torch.Tensor:
    """Varlen attention, [T, H, d] in and out: GQA natively where this torch can, else by repeating key/value heads."""
    if q_THd.shape[1] != k_THd.shape[1] and not mask.native_gqa:
        rep = q_THd.shape[1] // k_THd.shape[1]
        k_THd, v_THd = k_THd.repeat_interleave(rep, dim=1), v_THd.repeat_interleave(rep, dim=1)
    return _flash_varlen(q_THd, k_THd, v_THd, mask, scale)


def _flash_varlen(q_THd, k_THd, v_THd, mask: VarlenMask, scale: float) -> torch.Tensor:
    """The kernel itself: torch's `varlen_attn` (Flash Attention 2, CUDA)."""
    from torch.nn.attention.varlen import varlen_attn

    kw = {"enable_gqa": True} if q_THd.shape[1] != k_THd.shape[1] else {}
    cu = mask.cu_seqlens
    return varlen_attn(q_THd, k_THd, v_THd, cu, cu, mask.max_len, mask.max_len, scale=scale, window_size=mask.window,
                       **kw)  # fmt: skip


def build_masks(
    segment_ids_BL: torch.Tensor | None, cfg: LayerLayout, impl: str, like_BL: torch.Tensor | None = None
) -> dict[bool, object]:
    """One mask per layer kind, built once per forward: {is_local: mask}. `segment_ids_BL=None` means one document per
    row (`like_BL` gives the shape and device then): a kind whose window covers the row gets `Causal`, a narrower
    window its band without document ids (no lookup per pair, and varlen's `cu_seqlens` need no host sync)."""
    ref = segment_ids_BL if segment_ids_BL is not None else like_BL
    L = ref.shape[1]
    kinds = {cfg.is_local(i) for i in range(cfg.num_layers)}
    if segment_ids_BL is None:
        causal = Causal(cudnn_first=_cudnn_first(ref.device))
        banded = (
            kinds & {True} if cfg.sliding_window < L else set()
        )  # local layers whose window is inside the row
        out: dict[bool, object] = {k: causal for k in kinds - banded}
        if banded:
            out |= _window_masks(None, cfg, impl, banded, ref)
        return out
    return _window_masks(segment_ids_BL, cfg, impl, kinds, ref)


def _window_masks(
    segment_ids_BL: torch.Tensor | None, cfg: LayerLayout, impl: str, kinds: set[bool], ref: torch.Tensor
) -> dict[bool, object]:
    """`build_masks` for the kinds that need a real mask (documents, or a window inside the row)."""
    B, L = ref.shape
    window = {True: cfg.sliding_window, False: None}
    if impl == "varlen":
        if segment_ids_BL is None:  # one document per row: the row starts, known without looking at the data
            cu = torch.arange(0, B * L + 1, L, dtype=torch.int32, device=ref.device)
        else:
            cu = varlen_documents(segment_ids_BL)
            torch._dynamo.maybe_mark_dynamic(
                cu, 0
            )  # the document count changes every batch: one graph for all
        # Flash's window (left, right) keeps key j for query i when i − left ≤ j ≤ i + right: (w − 1, 0) is our
        # "i − j < w"; (−1, 0) is plain causal.
        gqa = _varlen_native_gqa()
        return {k: VarlenMask(cu, L, (window[k] - 1, 0) if window[k] else (-1, 0), gqa) for k in kinds}
    if impl == "sdpa":
        seg = (
            segment_ids_BL
            if segment_ids_BL is not None
            else torch.ones(1, L, dtype=torch.long, device=ref.device)
        )
        return {k: dense_mask(seg, window[k]) for k in kinds}
    from torch.nn.attention.flex_attention import create_block_mask

    rows = B if segment_ids_BL is not None else None  # None: one mask broadcast over the batch
    return {k: create_block_mask(make_mask_mod(segment_ids_BL, window[k]), rows, None, L, L, device=ref.device,
                                 _compile=ref.is_cuda) for k in kinds}  # fmt: skip


# ---------------------------------------------------------------- kernel dispatch
def attend(q_BHLd: torch.Tensor, k_BKLd: torch.Tensor, v_BKLd: torch.Tensor, mask, impl: str) -> torch.Tensor:
    """One layer's attention, [B, L, H·d] out: queries [B, H, L, d], keys/values [B, K, L, d] (K < H: GQA), with the
    mask `build_masks` made for this layer's kind and the model's `impl`."""
    B, _, L, hd = q_BHLd.shape
    q, k, v = q_BHLd, k_BKLd, v_BKLd
    gqa = q.shape[1] != k.shape[1]
    if isinstance(mask, Causal):  # the whole prefix, one document: SDPA's own causal kernels, whatever `impl`
        from torch.nn.attention import SDPBackend, sdpa_kernel

        first = [SDPBackend.CUDNN_ATTENTION, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
                 SDPBackend.MATH]  # fmt: skip
        with sdpa_kernel(first, set_priority=True) if mask.cudnn_first else contextlib.nullcontext():
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=hd**-0.5, enable_gqa=gqa)
        return y.transpose(1, 2).reshape(B, L, -1)
    if impl == "varlen":  # [B, H, L, d] → [B·L, H, d] and back; Inductor folds the transposes into RoPE/norm
        y = varlen_attention(*(t.transpose(1, 2).reshape(B * L, -1, hd) for t in (q, k, v)), mask, hd**-0.5)
        return y.view(B, L, -1)
    if impl == "flex":
        y = _flex(q.device.type)(q, k, v, block_mask=mask, scale=hd**-0.5, enable_gqa=gqa)
    else:
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=hd**-0.5, enable_gqa=gqa)
    return y.transpose(1, 2).reshape(B, L, -1)
