"""`TrainConfig`: one YAML file in configs/train/ per run; a few fields can be overridden on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from datamill.errors import InputError
from train_entry.model import PRESETS, ModelConfig


class ModelSpec(BaseModel):
    """A preset from `train_entry.model.PRESETS` plus field overrides (any `ModelConfig` field)."""

    model_config = ConfigDict(extra="forbid")
    preset: str = "tiny"
    """Name in PRESETS: tiny | exaone4-1.2b | exaone4-32b | bench-1.3b."""
    overrides: dict = Field(default_factory=dict)
    """ModelConfig fields to change, e.g. {layer_pattern: G, sliding_window: 1024}."""

    @field_validator("preset")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in PRESETS:
            raise ValueError(f"unknown preset {v!r}; known: {sorted(PRESETS)}")
        return v

    def build(self, data_vocab: int) -> ModelConfig:
        """The model config; vocab_size 0 (tiny preset) takes the export's vocabulary."""
        unknown = set(self.overrides) - set(ModelConfig.__dataclass_fields__)
        if unknown:
            raise InputError(f"model.overrides: unknown ModelConfig fields {sorted(unknown)}")
        cfg = PRESETS[self.preset].replace(**self.overrides)
        if cfg.vocab_size == 0:
            cfg = cfg.replace(vocab_size=data_vocab)
        if data_vocab > cfg.vocab_size:
            raise InputError(f"packed export vocab_size {data_vocab} > model vocab_size {cfg.vocab_size}")
        return cfg


class TrainConfig(BaseModel):
    """Everything one training run needs; the run is a function of this config and the packed export."""

    model_config = ConfigDict(extra="forbid")
    data: str
    """Packed export directory (meta.json + tokens.bin + loss_mask.bin + segment_ids.bin)."""
    out_dir: str = "runs/train"
    """Run directory: checkpoints/, log.jsonl, hf/ (the final Hugging Face model)."""
    model: ModelSpec = Field(default_factory=ModelSpec)
    """Architecture: preset + overrides."""
    micro_batch_size: int = Field(2, ge=1)
    """Sequences per forward/backward (per GPU)."""
    grad_accum: int = Field(1, ge=1)
    """Micro-batches per optimizer step; the loss is the token-weighted mean over all of them."""
    max_steps: int = Field(100, ge=1)
    """Optimizer steps; the cosine schedule ends here."""
    lr: float = Field(3e-3, gt=0)
    """Peak learning rate (tiny models take a large one; ~3e-4 for 1B-scale)."""
    min_lr_ratio: float = Field(0.1, ge=0, le=1)
    """Final learning rate as a fraction of lr."""
    warmup_steps: int = Field(10, ge=0)
    """Linear warmup steps."""
    weight_decay: float = 0.1
    """AdamW decoupled weight decay on matrices (not norms or embeddings)."""
    betas: tuple[float, float] = (0.9, 0.95)
    """AdamW betas."""
    grad_clip: float = 1.0
    """Clip the global gradient norm to this (0 = off)."""
    seed: int = 0
    """Seeds model init, the held-out split and the data order."""
    eval_every: int = 50
    """Evaluate the held-out loss every N steps (0 = only at the end)."""
    eval_fraction: float = Field(0.05, ge=0, lt=1)
    """Share of the export's rows held out for eval loss."""
    eval_max_seqs: int = 64
    """At most this many held-out rows."""
    ckpt_every: int = 50
    """Write a checkpoint every N steps (and at the end)."""
    keep_ckpts: int = 2
    """Newest checkpoints kept on disk."""
    log_every: int = 10
    """Console line every N steps (log.jsonl gets every step)."""
    activation_checkpointing: bool = False
    """Recompute each decoder layer in backward (saves memory at long sequence lengths)."""
    compile: bool = False
    """torch.compile each decoder layer (GPU runs; the first steps pay the compile time)."""
    bf16_weight_cache: bool = False
    """Cast the decoder layers' Linear weights to bf16 once per optimizer step, not in every micro-batch, and add
    their bf16 gradients straight into the fp32 ones (`train_entry.weight_cache`: the same numbers, fewer passes).
    One process with bf16 only."""
    loss_chunk_tokens: int = 4096
    """Tokens per chunk of the chunked cross-entropy."""
    attn_impl: Literal["auto", "sdpa", "flex", "varlen"] = "auto"
    """auto = FlexAttention on CUDA, SDPA with explicit masks elsewhere; varlen = torch's Flash varlen kernel
    over the packed documents (CUDA only)."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """Where to train; auto = cuda when available."""
    dtype: Literal["auto", "bf16", "fp32"] = "auto"
    """auto = bf16 autocast on CUDA, fp32 on CPU."""
    threads: int = 0
    """torch CPU threads (0 = torch default); fix it for bit-exact CPU resumes."""
    export_hf: bool = True
    """Write out_dir/hf (config.json + model.safetensors + tokenizer) at the end."""


def load_train_config(path: str | Path, **overrides) -> TrainConfig:
    """YAML → TrainConfig (file:position errors), then CLI overrides for the keys that are not None."""
    from datamill.config import ConfigError, load_yaml

    data = load_yaml(path)
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return TrainConfig.model_validate(data)
    except Exception as e:  # pydantic ValidationError: name the first bad field
        errors = getattr(e, "errors", None)
        if not errors:
            raise
        first = errors()[0]
        raise ConfigError(f"{path}: {'.'.join(map(str, first['loc'])) or '<top>'}: {first['msg']}") from None
