"""`datamill train-tokenizer`: a byte-level BPE with the EXAONE 4.0 special tokens, saved as a HF directory.

For tests and the demo only; real runs pass the real EXAONE tokenizer directory.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from schemas.chat_format import SPECIAL_TOKENS

CONTROL_TOKENS = ["[PAD]", "[BOS]", "[UNK]"]


def train_tokenizer(texts: Iterable[str], out_dir: str | Path, vocab_size: int = 8192) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=CONTROL_TOKENS + SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="[PAD]",
        bos_token="[BOS]",
        unk_token="[UNK]",
        eos_token="[|endofturn|]",
        additional_special_tokens=SPECIAL_TOKENS,
    )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fast.save_pretrained(str(out))
    return out
