"""A tiny random Exaone4ForCausalLM + the demo tokenizer, saved to a directory (no network, no weights)."""

from pathlib import Path

from datamill.demo_data import REPO_ROOT


def build_tiny_exaone(out: Path) -> Path:
    import torch
    from transformers import AutoTokenizer, Exaone4Config, Exaone4ForCausalLM

    tok = AutoTokenizer.from_pretrained(str(REPO_ROOT / "examples" / "tokenizer"), local_files_only=True)
    cfg = Exaone4Config(
        vocab_size=len(tok),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=16,
        max_position_embeddings=512,
        sliding_window=64,
        layer_types=["sliding_attention", "full_attention"],
        pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id,
        bos_token_id=tok.bos_token_id,
    )
    torch.manual_seed(0)
    model = Exaone4ForCausalLM(cfg)
    model.save_pretrained(str(out))
    tok.save_pretrained(str(out))
    return out
