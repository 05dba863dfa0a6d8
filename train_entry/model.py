"""EXAONE 4.0-style hybrid-attention decoder in one file (DESIGN.md "Model facts"; arXiv 2507.11407).

Features
- GQA (`num_kv_heads` ≤ `num_heads`), SwiGLU MLP, RMSNorm, optional tied input/output embeddings.
- QK-Reorder-LN: no pre-norm; RMSNorm on q and k per head (before RoPE); RMSNorm on the attention output and on
  the MLP output before each residual add; a final norm.
- Hybrid layout as one validated field, `layer_pattern`, repeated over the layers: "LLLG" makes layer i global
  when (i + 1) % 4 == 0. Local layers: sliding window (token i sees j when 0 ≤ i − j < window) with RoPE.
  Global layers: full causal, no RoPE (NoPE). A model without local layers ("G") uses RoPE on every layer,
  like EXAONE 4.0 1.2B and HF `Exaone4Attention` (`sliding_window is None` → RoPE everywhere).
- Packed sequences: `segment_ids` (0 = padding, 1.. = document) mask attention at document boundaries and
  position ids restart at each document. Without them (`segment_ids_BL=None`: each row is one document, trailing
  padding allowed) layers whose window covers the row run SDPA's causal kernel with no mask at all (`Causal`).
- Attention kernels: SDPA with an explicit boolean mask (any device; the CPU path), FlexAttention with a block
  mask on CUDA, which skips blocks outside the window so local layers cost O(L·window), or "varlen": torch's
  Flash Attention varlen kernel (`torch.nn.attention.varlen`, CUDA) over the packed documents (`cu_seqlens`) with
  its own sliding window, which needs no mask at all.
- Parameter names are those of HF `Exaone4ForCausalLM` (`model.layers.0.self_attn.q_proj.weight`, …), so
  `train_entry.hf_io` writes a standard HF directory. The loss is outside (`train_entry.loss`), as are
  activation checkpointing and FSDP (`train_entry.distributed`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

ATTN_IMPLS = ("auto", "sdpa", "flex", "varlen")


@dataclass
class ModelConfig:
    vocab_size: int = 102400  # 0 = take it from the packed export's meta.json
    hidden_size: int = 2048
    intermediate_size: int = 4096  # SwiGLU inner width
    num_layers: int = 30
    num_heads: int = 32
    num_kv_heads: int = 8
    head_dim: int = 64
    layer_pattern: str = "LLLG"  # repeated over layers; L = sliding-window local, G = global
    sliding_window: int = 4096  # tokens a local layer sees, itself included (HF counts the same way)
    rope_theta: float = 1_000_000.0
    rms_norm_eps: float = 1e-5
    tie_embeddings: bool = False
    max_position_embeddings: int = 131072
    initializer_range: float = 0.02
    attn_impl: str = "auto"  # runtime only: auto (flex on CUDA, sdpa elsewhere) | sdpa | flex | varlen (CUDA)

    def __post_init__(self):
        p = self.layer_pattern
        if not p or set(p) - {"L", "G"}:
            raise ValueError(f"layer_pattern must be a non-empty string of 'L' and 'G', got {p!r}")
        if self.num_layers % len(p):
            raise ValueError(f"num_layers={self.num_layers} is not a multiple of len(layer_pattern {p!r})")
        if "L" in p and self.sliding_window <= 0:
            raise ValueError(f"layer_pattern {p!r} has local layers but sliding_window={self.sliding_window}")
        if self.num_heads % self.num_kv_heads:
            raise ValueError(f"num_heads={self.num_heads} is not a multiple of num_kv_heads={self.num_kv_heads}")
        if self.head_dim % 2:
            raise ValueError(f"head_dim={self.head_dim} must be even for RoPE")
        if self.attn_impl not in ATTN_IMPLS:
            raise ValueError(f"attn_impl must be {' | '.join(ATTN_IMPLS)}, got {self.attn_impl!r}")

    def is_local(self, i: int) -> bool:
        return self.layer_pattern[i % len(self.layer_pattern)] == "L"

    def uses_rope(self, i: int) -> bool:
        return self.is_local(i) or "L" not in self.layer_pattern

    def replace(self, **kw) -> ModelConfig:
        return dataclasses.replace(self, **kw)


# Shapes from DESIGN.md "Model facts"; "bench-1.3b" is the benchmark shape.
PRESETS: dict[str, ModelConfig] = {
    "tiny": ModelConfig(vocab_size=0, hidden_size=64, intermediate_size=256, num_layers=4, num_heads=4,
                        num_kv_heads=2, head_dim=16, layer_pattern="LLLG", sliding_window=256, rope_theta=10_000.0,
                        tie_embeddings=True, max_position_embeddings=8192),
    "exaone4-1.2b": ModelConfig(hidden_size=2048, intermediate_size=4096, num_layers=30, num_heads=32, num_kv_heads=8,
                                head_dim=64, layer_pattern="G", tie_embeddings=True, max_position_embeddings=65536),
    "exaone4-32b": ModelConfig(hidden_size=5120, intermediate_size=27392, num_layers=64, num_heads=40, num_kv_heads=8,
                               head_dim=128, layer_pattern="LLLG", sliding_window=4096, tie_embeddings=False),
    "bench-1.3b": ModelConfig(hidden_size=2048, intermediate_size=4096, num_layers=32, num_heads=32, num_kv_heads=8,
                              head_dim=64, layer_pattern="LLLG", sliding_window=4096, tie_embeddings=False),
}  # fmt: skip


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


def build_masks(segment_ids_BL: torch.Tensor | None, cfg: ModelConfig, impl: str,
                like_BL: torch.Tensor | None = None) -> dict[bool, object]:
    """One mask per layer kind, built once per forward: {is_local: mask}. `segment_ids_BL=None` means one document per
    row (`like_BL` gives the shape and device then): a kind whose window covers the row gets `Causal`, a narrower
    window its band without document ids (no lookup per pair, and varlen's `cu_seqlens` need no host sync)."""
    ref = segment_ids_BL if segment_ids_BL is not None else like_BL
    L = ref.shape[1]
    kinds = {cfg.is_local(i) for i in range(cfg.num_layers)}
    if segment_ids_BL is None:
        causal = Causal(cudnn_first=_cudnn_first(ref.device))
        banded = kinds & {True} if cfg.sliding_window < L else set()  # local layers whose window is inside the row
        out: dict[bool, object] = {k: causal for k in kinds - banded}
        if banded:
            out |= _window_masks(None, cfg, impl, banded, ref)
        return out
    return _window_masks(segment_ids_BL, cfg, impl, kinds, ref)


def _window_masks(segment_ids_BL: torch.Tensor | None, cfg: ModelConfig, impl: str, kinds: set[bool],
                  ref: torch.Tensor) -> dict[bool, object]:
    """`build_masks` for the kinds that need a real mask (documents, or a window inside the row)."""
    B, L = ref.shape
    window = {True: cfg.sliding_window, False: None}
    if impl == "varlen":
        if segment_ids_BL is None:  # one document per row: the row starts, known without looking at the data
            cu = torch.arange(0, B * L + 1, L, dtype=torch.int32, device=ref.device)
        else:
            cu = varlen_documents(segment_ids_BL)
            torch._dynamo.maybe_mark_dynamic(cu, 0)  # the document count changes every batch: one graph for all
        # Flash's window (left, right) keeps key j for query i when i − left ≤ j ≤ i + right: (w − 1, 0) is our
        # "i − j < w"; (−1, 0) is plain causal.
        gqa = _varlen_native_gqa()
        return {k: VarlenMask(cu, L, (window[k] - 1, 0) if window[k] else (-1, 0), gqa) for k in kinds}
    if impl == "sdpa":
        seg = segment_ids_BL if segment_ids_BL is not None else torch.ones(1, L, dtype=torch.long, device=ref.device)
        return {k: dense_mask(seg, window[k]) for k in kinds}
    from torch.nn.attention.flex_attention import create_block_mask

    rows = B if segment_ids_BL is not None else None  # None: one mask broadcast over the batch
    return {k: create_block_mask(make_mask_mod(segment_ids_BL, window[k]), rows, None, L, L, device=ref.device,
                                 _compile=ref.is_cuda) for k in kinds}  # fmt: skip


# ---------------------------------------------------------------- modules
class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dtype = x.dtype
        x = x.float()
        x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)
        return self.weight * x.to(dtype)  # same order of operations as HF Exaone4RMSNorm


def rope_cos_sin(position_ids_BL: torch.Tensor, head_dim: int, theta: float, dtype: torch.dtype):
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float, device=position_ids_BL.device) / head_dim))
    freqs = position_ids_BL[..., None].float() * inv_freq
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos().to(dtype)[:, None], emb.sin().to(dtype)[:, None]  # [B, 1, L, hd]


def apply_rope(x_BHLd: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    x1, x2 = x_BHLd.chunk(2, dim=-1)
    return x_BHLd * cos + torch.cat((-x2, x1), dim=-1) * sin


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int):
        super().__init__()
        self.cfg, self.rope = cfg, cfg.uses_rope(layer)
        hd, H, K = cfg.head_dim, cfg.num_heads, cfg.num_kv_heads
        self.q_proj = nn.Linear(cfg.hidden_size, H * hd, bias=False)
        self.k_proj = nn.Linear(cfg.hidden_size, K * hd, bias=False)
        self.v_proj = nn.Linear(cfg.hidden_size, K * hd, bias=False)
        self.o_proj = nn.Linear(H * hd, cfg.hidden_size, bias=False)
        self.q_norm = RMSNorm(hd, cfg.rms_norm_eps)
        self.k_norm = RMSNorm(hd, cfg.rms_norm_eps)

    def forward(self, x_BLD: torch.Tensor, cos, sin, mask, impl: str) -> torch.Tensor:
        B, L, _ = x_BLD.shape
        hd = self.cfg.head_dim
        q = self.q_norm(self.q_proj(x_BLD).view(B, L, -1, hd).transpose(1, 2))
        k = self.k_norm(self.k_proj(x_BLD).view(B, L, -1, hd).transpose(1, 2))
        v = self.v_proj(x_BLD).view(B, L, -1, hd).transpose(1, 2)
        if self.rope:
            q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        q, k = q.to(v.dtype), k.to(v.dtype)  # the norms return fp32 under autocast; kernels want one dtype
        gqa = self.cfg.num_kv_heads != self.cfg.num_heads
        if isinstance(mask, Causal):  # the whole prefix, one document: SDPA's own causal kernels, whatever `impl`
            from torch.nn.attention import SDPBackend, sdpa_kernel

            first = [SDPBackend.CUDNN_ATTENTION, SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
                     SDPBackend.MATH]  # fmt: skip
            with sdpa_kernel(first, set_priority=True) if mask.cudnn_first else contextlib.nullcontext():
                y = F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=hd**-0.5, enable_gqa=gqa)
            return self.o_proj(y.transpose(1, 2).reshape(B, L, -1))
        if impl == "varlen":  # [B, H, L, d] → [B·L, H, d] and back; Inductor folds the transposes into RoPE/norm
            y = varlen_attention(*(t.transpose(1, 2).reshape(B * L, -1, hd) for t in (q, k, v)), mask, hd**-0.5)
            return self.o_proj(y.view(B, L, -1))
        if impl == "flex":
            y = _flex(q.device.type)(q, k, v, block_mask=mask, scale=hd**-0.5, enable_gqa=gqa)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=hd**-0.5, enable_gqa=gqa)
        return self.o_proj(y.transpose(1, 2).reshape(B, L, -1))


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.up_proj = nn.Linear(cfg.hidden_size, cfg.intermediate_size, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate_size, cfg.hidden_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig, layer: int):
        super().__init__()
        self.is_local = cfg.is_local(layer)
        self.self_attn = Attention(cfg, layer)
        self.mlp = MLP(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.post_feedforward_layernorm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)

    def forward(self, x: torch.Tensor, cos, sin, mask, impl: str) -> torch.Tensor:
        x = x + self.post_attention_layernorm(self.self_attn(x, cos, sin, mask, impl))
        return x + self.post_feedforward_layernorm(self.mlp(x))


class HybridDecoder(nn.Module):
    """The stack (HF `Exaone4Model`): embeddings → layers → final norm."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(cfg.vocab_size, cfg.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(cfg, i) for i in range(cfg.num_layers))
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)


class HybridLM(nn.Module):
    """Decoder + LM head. `forward` returns final hidden states (or the loss sum); `logits` adds the head."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        if cfg.vocab_size <= 0:
            raise ValueError("ModelConfig.vocab_size is unset (0): set it or take it from the packed export")
        self.cfg = cfg
        self.model = HybridDecoder(cfg)
        self.lm_head = nn.Linear(cfg.hidden_size, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.modules():  # HF initializer_range init: N(0, 0.02) for every matrix, ones for norms
            if isinstance(m, nn.Linear | nn.Embedding):
                nn.init.normal_(m.weight, std=self.cfg.initializer_range)
            elif isinstance(m, RMSNorm):
                nn.init.ones_(m.weight)

    def attn_impl(self, device: torch.device) -> str:
        impl = self.cfg.attn_impl
        return ("flex" if device.type == "cuda" else "sdpa") if impl == "auto" else impl

    def forward(self, input_ids_BL: torch.Tensor, segment_ids_BL: torch.Tensor | None = None,
                position_ids_BL: torch.Tensor | None = None, targets_BL: torch.Tensor | None = None,
                loss_chunk_tokens: int = 4096) -> torch.Tensor:
        """Final hidden states [B, L, D]; with `targets_BL`, the summed chunked cross-entropy instead (computed
        here so FSDP still holds the unsharded head weight). `segment_ids_BL=None`: each row is one document (the
        causal kernels, no document mask); padding after it changes no real token's output, since causal attention
        never looks forward (`train_entry.data.one_document_rows` decides that for a packed batch)."""
        if position_ids_BL is None and segment_ids_BL is None:
            position_ids_BL = torch.arange(input_ids_BL.shape[1], device=input_ids_BL.device).expand_as(input_ids_BL)
        elif position_ids_BL is None:
            position_ids_BL = positions_from_segments(segment_ids_BL)
        impl = self.attn_impl(input_ids_BL.device)
        masks = build_masks(segment_ids_BL, self.cfg, impl, like_BL=input_ids_BL)
        x = self.model.embed_tokens(input_ids_BL)
        cos, sin = rope_cos_sin(position_ids_BL, self.cfg.head_dim, self.cfg.rope_theta, x.dtype)
        for i, layer in enumerate(self.model.layers):  # layers may be wrapped from outside (AC, FSDP)
            x = layer(x, cos, sin, masks[self.cfg.is_local(i)], impl)
        x = self.model.norm(x)
        if targets_BL is None:
            return x
        from train_entry.loss import chunked_cross_entropy

        return chunked_cross_entropy(x, self.lm_head.weight, targets_BL, loss_chunk_tokens)

    def logits(self, input_ids_BL: torch.Tensor, segment_ids_BL: torch.Tensor | None = None) -> torch.Tensor:
        return self.lm_head(self(input_ids_BL, segment_ids_BL))

    def num_params(self, exclude_embeddings: bool = False) -> int:
        n = sum(p.numel() for p in self.parameters())
        return n - self.model.embed_tokens.weight.numel() if exclude_embeddings else n


def flops_per_token(cfg: ModelConfig, seq_len: int) -> float:
    """Training FLOPs per token (forward + backward = 3× forward): 6·N for the matmul weights plus attention
    scores/values (PaLM appendix B), with each query's average attended context: causal (L+1)/2, or the window."""
    d, hd = cfg.hidden_size, cfg.head_dim
    attn_w = d * hd * (2 * cfg.num_heads + 2 * cfg.num_kv_heads)
    per_layer = attn_w + 3 * d * cfg.intermediate_size
    dense = 6 * (cfg.num_layers * per_layer + d * cfg.vocab_size)
    attn = 0.0
    for i in range(cfg.num_layers):
        w = min(cfg.sliding_window, seq_len) if cfg.is_local(i) else seq_len
        ctx = (w * (w + 1) / 2 + (seq_len - w) * w) / seq_len  # mean over positions of min(t + 1, w)
        attn += 3 * 4 * cfg.num_heads * hd * ctx
    return dense + attn
