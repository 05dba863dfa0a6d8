"""Pure helpers that read a model response's final part: its code block, its tagged answer (no I/O, no model).
The thought / final split itself is `schemas.chat_format.split_thought`."""

from __future__ import annotations

import re

from schemas.chat_format import split_thought

_CODE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_ANSWER_LINE = re.compile(r"(?:final answer|answer)\s*(?:is)?\s*[:：]\s*(.+)", re.IGNORECASE)


def final_part(text: str) -> str:
    """The visible answer: what follows the thought; "" when the thought never closed (cut off)."""
    return split_thought(text)[1] or ""


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
