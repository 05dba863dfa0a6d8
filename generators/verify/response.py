"""Pure helpers that split a model response into its parts (no I/O, no model)."""

from __future__ import annotations

import re

_THINK = re.compile(r"<think>.*?</think>", re.DOTALL)
_CODE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_ANSWER_LINE = re.compile(r"(?:final answer|answer)\s*(?:is)?\s*[:：]\s*(.+)", re.IGNORECASE)


def final_part(text: str) -> str:
    """The visible answer: what follows the last </think> (the whole text when there is no think block)."""
    if "</think>" in text:
        return text.rsplit("</think>", 1)[1]
    return _THINK.sub("", text)


def last_code_block(text: str) -> str | None:
    """The last fenced Python (or unlabeled) code block of the final answer, or None."""
    blocks = [(lang.lower(), body) for lang, body in _CODE.findall(final_part(text))]
    blocks = [b for lang, b in blocks if lang in ("", "python", "py", "python3")]
    return blocks[-1] if blocks else None


def tagged_answer(text: str) -> str | None:
    """`<answer>…</answer>` (last one), else an 'Answer: …' line, in the final part; None when absent."""
    part = final_part(text)
    tags = _ANSWER_TAG.findall(part)
    if tags:
        return tags[-1].strip()
    lines = _ANSWER_LINE.findall(part)
    return lines[-1].strip() if lines else None
