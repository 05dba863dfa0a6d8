"""`datamill train-tokenizer` on real text → a HF tokenizer with the EXAONE special tokens that the packed data,
the trainer and the saved HF directory all use."""

from __future__ import annotations

import json

from datamill.cli import main
from schemas import Message, render_exaone_chat
from schemas.chat_format import SPECIAL_TOKENS
from tests.train_entry.packed import gsm8k_chats, write_packed
from train_entry.config import TrainConfig
from train_entry.train import train


def test_trained_tokenizer_feeds_the_trainer(examples, tmp_path, capsys):
    tok_dir = tmp_path / "tok"
    assert main(["train-tokenizer", "--out", str(tok_dir), "--vocab-size", "1000",
                 str(examples / "math" / "gsm8k_train.jsonl")]) == 0  # fmt: skip
    assert f"tokenizer written to {tok_dir}" in capsys.readouterr().out
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(tok_dir))
    assert len(tok) == 1000
    text, _ = render_exaone_chat([Message(role="user", content="What is 7 × 6?"),
                                  Message(role="assistant", content="7 × 6 = 42")], reasoning=False)  # fmt: skip
    ids = tok(text, add_special_tokens=False).input_ids
    assert tok.decode(ids) == text  # byte-level: lossless, even for "×"
    for special in SPECIAL_TOKENS:  # each marker is one token
        assert len(tok(special, add_special_tokens=False).input_ids) == 1, special

    packed = write_packed(tmp_path / "packed", gsm8k_chats(examples, 60), seq_len=128, tokenizer=tok_dir)
    assert json.loads((packed / "meta.json").read_text())["vocab_size"] == 1000
    s = train(TrainConfig(data=str(packed), out_dir=str(tmp_path / "run"), max_steps=3, threads=1, eval_every=0),
              log=lambda *_: None)  # fmt: skip
    saved = AutoTokenizer.from_pretrained(s.hf_dir)
    assert saved(text, add_special_tokens=False).input_ids == ids
    assert json.loads((tmp_path / "run/hf/config.json").read_text())["vocab_size"] == 1000
