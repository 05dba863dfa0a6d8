"""Pure parts of the engine-backed multilingual builders: prompts and parsers (tested with canned outputs)."""

from __future__ import annotations

import re

from datamill.errors import InputError
from generators.sft_checks import ParseError
from schemas import Message
from schemas.chat_format import reasoning_and_answer

LANGUAGE_NAMES = {"ko": "Korean", "es": "Spanish", "en": "English"}

_INSTRUCTION_TEMPLATES = {
    "ko": (
        "'{topic}' 주제에 대해 한국어 사용자가 AI 어시스턴트에게 할 법한 구체적인 질문이나 요청을 하나 "
        "한국어로 작성하세요. 다른 설명 없이 질문만 출력하세요."
    ),
    "es": (
        "Escribe en español una pregunta o petición concreta que un usuario hispanohablante podría hacer a un "
        "asistente de IA sobre el tema «{topic}». Escribe solo la pregunta, sin explicaciones."
    ),
}


def build_instruction_prompt(topic: str, language: str) -> list[Message]:
    if language not in _INSTRUCTION_TEMPLATES:
        raise InputError(
            f"no instruction template for language {language!r}; known: {sorted(_INSTRUCTION_TEMPLATES)}"
        )
    return [Message(role="user", content=_INSTRUCTION_TEMPLATES[language].format(topic=topic))]


def parse_instruction(text: str) -> str:
    """The instruction text: reasoning removed, surrounding quotes/labels stripped."""
    body = reasoning_and_answer(text)[1] or ""
    body = re.sub(
        r"^(질문|요청|Pregunta|Petición|Instrucción)\s*[:：]\s*", "", body.strip(), flags=re.IGNORECASE
    )
    body = body.strip().strip("\"'“”«»「」").strip()
    if not body:
        raise ParseError("unparseable_output", "empty instruction")
    return body


def build_translation_prompt(text: str, target_language: str) -> list[Message]:
    lang = LANGUAGE_NAMES[target_language]
    return [
        Message(
            role="user",
            content=(
                f"Translate the text between <source> tags into natural {lang}. Keep code, math ($…$), placeholders "
                "such as {name}, URLs and every number exactly as written. Output only the translation, without tags "
                f"or comments.\n\n<source>\n{text}\n</source>"
            ),
        )
    ]


def parse_translation(text: str) -> str:
    body = reasoning_and_answer(text)[1] or ""
    body = re.sub(r"^\s*<(source|translation)>\s*|\s*</(source|translation)>\s*$", "", body)
    return body.strip()
