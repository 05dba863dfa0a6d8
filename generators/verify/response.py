"""Pure helpers that split a model response into its parts (no I/O, no model)."""

from __future__ import annotations

import re

# EXAONE 4.0 wraps reasoning in <think>…</think>; EXAONE Deep used <thought>…</thought> (DESIGN.md)
THOUGHT_TAGS = (("<think>", "</think>"), ("<thought>", "</thought>"))
_CODE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)
_ANSWER_TAG = re.compile(r"<answer>(.*?)</answer>", re.DOTALL)
_ANSWER_LINE = re.compile(r"(?:final answer|answer)\s*(?:is)?\s*[:：]\s*(.+)", re.IGNORECASE)


def split_thought(text: str) -> tuple[str, str | None]:
    """(thought, final part). The final part is what follows the last closing tag, or the whole text when the
    response has no thought; it is None when a thought was opened and never closed (the response was cut off
    mid-thought, so it has no final part at all). A closing tag without its opening one is a prefilled
    `<think>` (the chat template wrote it into the prompt)."""
    for open_tag, close_tag in THOUGHT_TAGS:
        if close_tag in text:
            thought, final = text.rsplit(close_tag, 1)
            if open_tag in final:  # a second thought opened after the last close and never closed: cut off
                return thought.split(open_tag, 1)[-1] + final, None
            return thought.split(open_tag, 1)[-1], final
    for open_tag, _ in THOUGHT_TAGS:
        if open_tag in text:
            return text.split(open_tag, 1)[1], None
    return "", text


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
