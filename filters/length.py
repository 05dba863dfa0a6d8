"""LengthFilter: a response must fit the training context and say something after its reasoning.

Token counts are computed by the caller (one batched tokenizer call per chunk) and passed in: no I/O here.
"""

from __future__ import annotations

from datamill.errors import InputError


class LengthFilter:
    def __init__(
        self,
        # EXAONE 4.0 reasoning SFT trains on long traces; its SFT stage uses sequences up to 32K tokens
        # (arXiv 2507.11407, §3): anything longer cannot be trained on without truncation.
        max_tokens: int = 32768,
        min_tokens: int = 1,  # an answer needs at least one token
        # a final answer shorter than this (after </think>) is an empty shell, e.g. "." (our choice)
        min_answer_chars: int = 1,
    ):
        if min_tokens > max_tokens:
            raise InputError(f"min_tokens {min_tokens} > max_tokens {max_tokens}")
        self.max_tokens, self.min_tokens, self.min_answer_chars = max_tokens, min_tokens, min_answer_chars

    def filter(self, text: str, num_tokens: int) -> bool | tuple[bool, str]:
        if num_tokens > self.max_tokens:
            return False, "too_long"
        if num_tokens < self.min_tokens:
            return False, "too_short"
        answer = text.rsplit("</think>", 1)[-1].strip()
        if len(answer) < self.min_answer_chars:
            return False, "answer_too_short"
        return True
