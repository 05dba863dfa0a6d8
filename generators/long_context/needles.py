"""Needles (RULER templates in en/ko/es), the questions that need them, and the reference answers.

RULER (Hsieh et al. 2024, https://arxiv.org/abs/2404.06654): "One of the special magic {type} for {key} is:
{value}."; values are 7-digit numbers, words or UUIDs; variable tracking chains "VAR X = 12345 … VAR Y = VAR X".
Pure functions of an rng: the same seed gives the same needles.
"""

from __future__ import annotations

import random
import string
import uuid
from dataclasses import dataclass

from generators.long_context.sources import Fact

NEEDLE_KINDS = ("number", "word", "uuid")
# (kind, language) → noun phrase used in the template; es/ko carry gender / word order in the full template
TYPE_NAMES = {
    "en": {"number": "numbers", "word": "words", "uuid": "uuids"},
    "es": {
        "number": "números mágicos especiales",
        "word": "palabras mágicas especiales",
        "uuid": "UUID mágicos especiales",
    },
    "ko": {"number": "특별한 마법 숫자", "word": "특별한 마법 단어", "uuid": "특별한 마법 UUID"},
}
NEEDLE_TEMPLATE = {
    "en": "One of the special magic {type} for {key} is: {value}.",
    "es": "{one} de {art} {type} para {key} es: {value}.",
    "ko": "{key}에 대한 {type} 중 하나는 다음과 같습니다: {value}.",
}
QUESTION = {
    "en": "What are all the special magic {type} for {key} mentioned in the provided text?",
    "es": "¿Cuáles son {all} {art} {type} para {key} {mentioned} en el texto proporcionado?",
    "ko": "제공된 텍스트에 언급된 {key}에 대한 {type}를 모두 쓰시오.",
}
ANSWER = {
    "en": "The special magic {type} for {key} mentioned in the provided text are: {values}.",
    "es": "{Art} {type} para {key} {mentioned} en el texto proporcionado son: {values}.",
    "ko": "제공된 텍스트에 언급된 {key}에 대한 {type}는 다음과 같습니다: {values}.",
}
CHAIN_QUESTION = {
    "en": "Find all variables that are assigned the value {value} in the text above.",
    "es": "Encuentra todas las variables a las que se asigna el valor {value} en el texto anterior.",
    "ko": "위 텍스트에서 값 {value}가 할당된 변수를 모두 찾으시오.",
}
CHAIN_ANSWER = {
    "en": "The variables assigned the value {value} are: {values}.",
    "es": "Las variables a las que se asigna el valor {value} son: {values}.",
    "ko": "값 {value}가 할당된 변수는 다음과 같습니다: {values}.",
}
FACT_QUESTION = {
    "en": "Answer the following questions using only the provided text.",
    "es": "Responde a las siguientes preguntas usando solo el texto proporcionado.",
    "ko": "제공된 텍스트만 사용하여 다음 질문에 답하시오.",
}
# Spanish agreement: palabras is feminine
_ES = {
    "number": {"one": "Uno", "art": "los", "Art": "Los", "all": "todos", "mentioned": "mencionados"},
    "word": {"one": "Una", "art": "las", "Art": "Las", "all": "todas", "mentioned": "mencionadas"},
    "uuid": {"one": "Uno", "art": "los", "Art": "Los", "all": "todos", "mentioned": "mencionados"},
}
INSTRUCTION = {
    "en": "Read the text, then answer the question that follows it using only the text.",
    "es": "Lee el texto y luego responde a la pregunta que le sigue usando solo el texto.",
    "ko": "텍스트를 읽은 뒤, 텍스트만 사용하여 그 뒤에 나오는 질문에 답하시오.",
}


@dataclass
class Needle:
    kind: str  # number | word | uuid | fact | chain | distractor
    key: str
    value: str
    text: str  # the sentence inserted into the haystack
    depth: float  # requested, percent
    query: bool = True  # False for distractors: present in the text, not asked for


def make_value(kind: str, rng: random.Random, words: list[str]) -> str:
    if kind == "number":
        return str(rng.randint(1_000_000, 9_999_999))
    if kind == "word":
        return rng.choice(words)
    if kind == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    raise ValueError(f"unknown needle kind {kind!r}: expected one of {NEEDLE_KINDS}")


def needle_sentence(language: str, kind: str, key: str, value: str) -> str:
    return NEEDLE_TEMPLATE[language].format(
        type=TYPE_NAMES[language][kind], key=key, value=value, **_ES[kind]
    )


def make_key(rng: random.Random, words: list[str]) -> str:
    return f"{rng.choice(words)}-{rng.choice(words)}"


def magic_needles(
    language: str,
    kind: str,
    depths: list[float],
    rng: random.Random,
    words: list[str],
    distractor_depths: list[float] = (),
) -> tuple[list[Needle], str, str]:
    """One key with len(depths) values (dispersed), plus distractors for other keys. → (needles, question, answer)."""
    key = make_key(rng, words)
    values: list[str] = []
    while len(values) < len(depths):
        v = make_value(kind, rng, words)
        values += [] if v in values else [v]
    needles = [
        Needle(kind, key, v, needle_sentence(language, kind, key, v), d) for v, d in zip(values, depths)
    ]
    for d in distractor_depths:
        other = make_key(rng, words)
        while other == key:
            other = make_key(rng, words)
        v = make_value(kind, rng, words)
        needles.append(
            Needle("distractor", other, v, needle_sentence(language, kind, other, v), d, query=False)
        )
    tname = TYPE_NAMES[language][kind]
    question = QUESTION[language].format(type=tname, key=key, **_ES[kind])
    answer = ANSWER[language].format(type=tname, key=key, values=", ".join(values), **_ES[kind])
    return needles, question, answer


def _var(rng: random.Random) -> str:
    return "".join(rng.choice(string.ascii_uppercase) for _ in range(5))


def chain_needles(
    language: str, depths: list[float], rng: random.Random, distractor_depths: list[float] = ()
) -> tuple[list[Needle], str, str]:
    """Multi-hop variable chain: VAR A = 12345, VAR B = VAR A, …; the answer needs every hop."""
    value = str(rng.randint(10_000, 99_999))
    names: list[str] = []
    while len(names) < len(depths):
        n = _var(rng)
        names += [] if n in names else [n]
    needles = []
    for i, (name, d) in enumerate(zip(names, sorted(depths))):
        rhs = value if i == 0 else f"VAR {names[i - 1]}"
        needles.append(Needle("chain", name, rhs, f"VAR {name} = {rhs}.", d))
    other = str(rng.randint(10_000, 99_999))
    while other == value:
        other = str(rng.randint(10_000, 99_999))
    prev = None
    for d in sorted(distractor_depths):
        name = _var(rng)
        rhs = other if prev is None else f"VAR {prev}"
        needles.append(Needle("distractor", name, rhs, f"VAR {name} = {rhs}.", d, query=False))
        prev = name
    question = CHAIN_QUESTION[language].format(value=value)
    answer = CHAIN_ANSWER[language].format(value=value, values=", ".join(names))
    return needles, question, answer


def fact_needles(language: str, facts: list[Fact], depths: list[float]) -> tuple[list[Needle], str, str]:
    """Real sentences from another document; questions numbered, answers numbered."""
    needles = [Needle("fact", f.id, f.answer, f.sentence, d) for f, d in zip(facts, depths)]
    qs = "\n".join(f"{i}. {f.question}" for i, f in enumerate(facts, 1))
    question = f"{FACT_QUESTION[language]}\n{qs}"
    answer = "\n".join(f"{i}. {f.answer}" for i, f in enumerate(facts, 1))
    return needles, question, answer


def expected_values(needles: list[Needle]) -> list[str]:
    """What a correct answer must contain (RULER scoring): queried values, or chain variable names."""
    return [n.key if n.kind == "chain" else n.value for n in needles if n.query]
