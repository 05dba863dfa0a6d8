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
  padding allowed) layers whose window covers the row run SDPA's causal kernel with no mask at all.
- Attention kernels (`attn_impl`): SDPA with explicit masks (any device), FlexAttention block masks (CUDA) or Flash
  varlen (CUDA); the masks and the kernel dispatch live in `train_entry.attention`.
- Parameter names are those of HF `Exaone4ForCausalLM` (`model.layers.0.self_attn.q_proj.weight`, …), so
  `train_entry.hf_io` writes a standard HF directory. The loss is outside (`train_entry.loss`), as are
  activation checkpointing and FSDP (`train_entry.distributed`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from datamill.errors import InputError
from train_entry.attention import ATTN_IMPLS, attend, build_masks, positions_from_segments


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
            raise InputError(f"layer_pattern must be a non-empty string of 'L' and 'G', got {p!r}")
        if self.num_layers % len(p):
            raise InputError(f"num_layers={self.num_layers} is not a multiple of len(layer_pattern {p!r})")
        if "L" in p and self.sliding_window <= 0:
            raise InputError(f"layer_pattern {p!r} has local layers but sliding_window={self.sliding_window}")
        if self.num_heads % self.num_kv_heads:
            raise InputError(
                f"num_heads={self.num_heads} is not a multiple of num_kv_heads={self.num_kv_heads}"
            )
        if self.head_dim % 2:
            raise InputError(f"head_dim={self.head_dim} must be even for RoPE")
        if self.attn_impl not in ATTN_IMPLS:
            raise InputError(f"attn_impl must be {' | '.join(ATTN_IMPLS)}, got {self.attn_impl!r}")

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
    inv_freq = 1.0 / (
        theta ** (torch.arange(0, head_dim, 2, dtype=torch.float, device=position_ids_BL.device) / head_dim)
    )
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
        return self.o_proj(attend(q, k, v, mask, impl))


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
            raise InputError("ModelConfig.vocab_size is unset (0): set it or take it from the packed export")
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

    def forward(
        self,
        input_ids_BL: torch.Tensor,
        segment_ids_BL: torch.Tensor | None = None,
        position_ids_BL: torch.Tensor | None = None,
        targets_BL: torch.Tensor | None = None,
        loss_chunk_tokens: int = 4096,
    ) -> torch.Tensor:
        """Final hidden states [B, L, D]; with `targets_BL`, the summed chunked cross-entropy instead (computed
        here so FSDP still holds the unsharded head weight). `segment_ids_BL=None`: each row is one document (the
        causal kernels, no document mask); padding after it changes no real token's output, since causal attention
        never looks forward (`train_entry.data.one_document_rows` decides that for a packed batch)."""
        if position_ids_BL is None and segment_ids_BL is None:
            position_ids_BL = torch.arange(input_ids_BL.shape[1], device=input_ids_BL.device).expand_as(
                input_ids_BL
            )
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
