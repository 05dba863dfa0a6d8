"""Save and load a `HybridLM` as a standard Hugging Face `Exaone4ForCausalLM` directory.

The directory holds `config.json` (an `Exaone4Config` with `layer_types` written out, as transformers asks),
`model.safetensors` and, when given, the tokenizer files, so `AutoModelForCausalLM.from_pretrained(dir)` and vLLM
load it directly.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import torch

from datamill.errors import InputError
from train_entry.model import HybridLM, ModelConfig

TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "chat_template.jinja",
)


def hf_layer_types(cfg: ModelConfig) -> list[str]:
    return ["sliding_attention" if cfg.is_local(i) else "full_attention" for i in range(cfg.num_layers)]


def to_hf_config(
    cfg: ModelConfig, bos_id: int | None = None, eos_id: int | None = None, pad_id: int | None = None
):
    from transformers import Exaone4Config

    hybrid = "L" in cfg.layer_pattern
    return Exaone4Config(
        vocab_size=cfg.vocab_size, hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers, num_attention_heads=cfg.num_heads, num_key_value_heads=cfg.num_kv_heads,
        head_dim=cfg.head_dim, hidden_act="silu", max_position_embeddings=cfg.max_position_embeddings,
        rms_norm_eps=cfg.rms_norm_eps, tie_word_embeddings=cfg.tie_embeddings,
        rope_parameters={"rope_type": "default", "rope_theta": cfg.rope_theta},
        # HF applies RoPE on every layer when sliding_window is None: that is the all-global (1.2B) layout.
        sliding_window=cfg.sliding_window if hybrid else None,
        sliding_window_pattern=cfg.layer_pattern if hybrid else None,
        layer_types=hf_layer_types(cfg), initializer_range=cfg.initializer_range,
        bos_token_id=bos_id, eos_token_id=eos_id, pad_token_id=pad_id,
    )  # fmt: skip


def from_hf_config(hf: dict) -> ModelConfig:
    types = hf.get("layer_types") or []
    n = hf["num_hidden_layers"]
    if len(types) != n:
        raise InputError(f"config.json: layer_types has {len(types)} entries for {n} layers (write them out)")
    layout = "".join("L" if t == "sliding_attention" else "G" for t in types)
    pattern = next(layout[:k] for k in range(1, n + 1) if n % k == 0 and layout[:k] * (n // k) == layout)
    rope = hf.get("rope_parameters") or {}
    return ModelConfig(
        vocab_size=hf["vocab_size"], hidden_size=hf["hidden_size"], intermediate_size=hf["intermediate_size"],
        num_layers=n, num_heads=hf["num_attention_heads"], num_kv_heads=hf["num_key_value_heads"],
        head_dim=hf.get("head_dim") or hf["hidden_size"] // hf["num_attention_heads"], layer_pattern=pattern,
        sliding_window=hf.get("sliding_window") or 0, rope_theta=rope.get("rope_theta", hf.get("rope_theta", 1e6)),
        rms_norm_eps=hf["rms_norm_eps"], tie_embeddings=bool(hf.get("tie_word_embeddings")),
        max_position_embeddings=hf["max_position_embeddings"],
    )  # fmt: skip


def save_hf(
    state_dict: dict[str, torch.Tensor],
    cfg: ModelConfig,
    out_dir: str | Path,
    tokenizer_dir: str | Path | None = None,
    special_ids: dict | None = None,
) -> Path:
    """Write an HF directory atomically (temp dir, then rename). `state_dict` uses HF names (HybridLM's own)."""
    from safetensors.torch import save_file

    out = Path(out_dir)
    tmp = out.with_name(out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state_dict.items()}
    if cfg.tie_embeddings:
        tensors.pop("lm_head.weight", None)  # HF re-ties it to model.embed_tokens.weight
    save_file(tensors, str(tmp / "model.safetensors"), metadata={"format": "pt"})
    to_hf_config(cfg, **(special_ids or {})).save_pretrained(str(tmp))
    if tokenizer_dir:
        for name in TOKENIZER_FILES:
            if (Path(tokenizer_dir) / name).exists():
                shutil.copy2(Path(tokenizer_dir) / name, tmp / name)
    for f in tmp.iterdir():
        with open(f, "rb") as fh:
            os.fsync(fh.fileno())
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out


def load_hf(hf_dir: str | Path, device: str | torch.device = "cpu") -> HybridLM:
    """A `HybridLM` from an HF Exaone4 directory (ours or any other with the same layout)."""
    from safetensors.torch import load_file

    d = Path(hf_dir)
    if not (d / "config.json").exists():
        raise FileNotFoundError(f"{d}: no config.json (not a Hugging Face model directory)")
    cfg = from_hf_config(json.loads((d / "config.json").read_text()))
    model = HybridLM(cfg)
    sd = load_file(str(d / "model.safetensors"))
    if cfg.tie_embeddings:
        sd["lm_head.weight"] = sd["model.embed_tokens.weight"]
    missing, unexpected = model.load_state_dict(sd, strict=False)
    if missing or unexpected:
        raise InputError(f"{d / 'model.safetensors'}: missing {missing[:5]} unexpected {unexpected[:5]}")
    return model.to(device)
