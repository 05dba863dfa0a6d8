"""Grounded QA from web documents — the pure parts: passages, prompts, parsing, difficulty.

EXAONE 4.0 builds world-knowledge SFT data from web problems filtered by educational value and samples the
specialised, high-difficulty ones for reasoning mode. Here a model writes question/answer pairs grounded in
one passage; `SupportFilter` (checks.py) and an optional judge prompt keep only answers the passage supports.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from generators.knowledge.checks import content_units
from generators.knowledge.xquad import TEMPLATES
from generators.sft_checks import ParseError
from schemas import Message
from schemas.chat_format import reasoning_and_answer

DIFFICULTIES = ("easy", "medium", "hard")
LANGUAGE_NAMES = {"en": "English", "es": "Spanish", "ko": "Korean", "de": "German", "fr": "French"}


@dataclass(frozen=True)
class QAPair:
    question: str
    answer: str
    difficulty: str | None = None  # the model's own label, when it gave a valid one


def split_passages(text: str, max_chars: int = 2000, min_chars: int = 200) -> list[str]:
    """Consecutive paragraphs packed into passages of at most `max_chars` (a longer paragraph stands alone)."""
    paras = [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
    out: list[str] = []
    cur = ""
    for p in paras:
        if cur and len(cur) + len(p) + 1 > max_chars:
            out.append(cur)
            cur = ""
        cur = f"{cur}\n{p}" if cur else p
    if cur:
        out.append(cur)
    return [p[:max_chars] for p in out if len(p) >= min_chars]


def build_qa_prompt(passage: str, language: str, n_questions: int) -> list[Message]:
    lang = LANGUAGE_NAMES.get(language, language)
    instr = (
        f"Write {n_questions} question-answer pairs in {lang} that test knowledge stated in the passage below. "
        "Each question must be self-contained (understandable without seeing the passage) and each answer must "
        "be fully supported by the passage; do not add facts that are not in it. Label each pair's difficulty "
        '"easy", "medium" or "hard" (hard = needs combining several statements or specialised knowledge).\n'
        'Reply with only a JSON list: [{"question": "...", "answer": "...", "difficulty": "..."}]\n\n'
        f"Passage:\n{passage}"
    )
    return [Message(role="user", content=instr)]


def parse_qa(text: str) -> list[QAPair]:
    """Parse the JSON list of QA pairs (code fences allowed). Raises ParseError('unparseable_output')."""
    body = reasoning_and_answer(text)[1] or ""  # nothing when the reasoning was cut off before it closed
    body = re.sub(r"^```(?:json)?\s*|\s*```$", "", body.strip())
    start, end = body.find("["), body.rfind("]")
    if start < 0 or end <= start:
        raise ParseError("unparseable_output", "no JSON list in the output")
    try:
        items = json.loads(body[start : end + 1])
    except json.JSONDecodeError as e:
        raise ParseError("unparseable_output", f"bad JSON: {e.msg}") from None
    pairs = []
    for it in items if isinstance(items, list) else []:
        if isinstance(it, dict) and str(it.get("question", "")).strip() and str(it.get("answer", "")).strip():
            diff = str(it.get("difficulty", "")).strip().lower()
            pairs.append(
                QAPair(
                    str(it["question"]).strip(),
                    str(it["answer"]).strip(),
                    diff if diff in DIFFICULTIES else None,
                )
            )
    if not pairs:
        raise ParseError("unparseable_output", "no question/answer objects in the JSON list")
    return pairs


def tag_difficulty(
    pair: QAPair, passage: str, hard_answer_units: int = 25, hard_question_overlap: float = 0.3
) -> str:
    """The model's label when valid; otherwise long answers to questions that share little wording with the
    passage (the reader must connect statements rather than find one) count as hard, short lookups as easy."""
    if pair.difficulty:
        return pair.difficulty
    q_units = content_units(pair.question)
    q_overlap = len(q_units & content_units(passage)) / len(q_units) if q_units else 1.0
    long_answer = len(content_units(pair.answer)) >= hard_answer_units
    if long_answer and q_overlap < hard_question_overlap:
        return "hard"
    return "medium" if long_answer or q_overlap < hard_question_overlap else "easy"


def build_user_turn(pair: QAPair, passage: str, with_context: bool, language: str) -> str:
    if not with_context:
        return pair.question
    return TEMPLATES.get(language, TEMPLATES["en"]).format(context=passage, question=pair.question)


def build_judge_prompt(passage: str, question: str, answer: str) -> list[Message]:
    return [
        Message(
            role="user",
            content=(
                "Is the answer fully supported by the passage (every fact in it is stated in the passage)? "
                "Reply with exactly one word: SUPPORTED or UNSUPPORTED.\n\n"
                f"Passage:\n{passage}\n\nQuestion: {question}\nAnswer: {answer}"
            ),
        )
    ]


def parse_judge(text: str) -> bool | tuple[bool, str]:
    """True when the judge's final word is SUPPORTED; (False, reason) otherwise."""
    words = re.findall(r"\b(UNSUPPORTED|SUPPORTED)\b", (reasoning_and_answer(text)[1] or "").upper())
    if not words:
        return False, "judge_unparseable"
    return True if words[-1] == "SUPPORTED" else (False, "judge_unsupported")
