"""Engine-backed multilingual builders with scripted outputs: every check keeps or drops for its stated reason.

Translation sources are real (XQuAD English samples) and the "good" Spanish translation is XQuAD's own
professional translation of the same paragraph and question.
"""

from __future__ import annotations

import re

import pytest

from datamill.jobs import JobReport
from generators.knowledge.xquad import XQuADReader, build_messages, import_xquad
from generators.multilingual.config import InstructionsConfig, TranslationConfig
from generators.multilingual.generator import InstructionGenerator, TopicItem
from generators.multilingual.translator import SampleTranslator, TranslationItem
from generators.sft_checks import first_failure

KO_GOOD = (
    "김장은 겨울을 앞두고 많은 양의 김치를 한꺼번에 담그는 한국의 전통 풍습입니다. 배추를 소금에 절이면 수분이 빠져 "
    "양념이 잘 배고 쉽게 무르지 않습니다. 절인 배추에 고춧가루, 마늘, 젓갈 등으로 만든 양념을 골고루 바릅니다. "
    "김치는 낮은 온도에서 천천히 발효되며 유산균이 늘어나 맛이 깊어집니다. 2013년에는 김장 문화가 유네스코 "
    "인류무형문화유산으로 등재되었습니다."
)
KO_SWITCHED = KO_GOOD + (
    " The lactic acid bacteria also make kimchi a healthy probiotic food. Many families still "
    "share this tradition with their neighbours every winter."
)
EN_ANSWER = (
    "Kimjang is the Korean tradition of making large amounts of kimchi before winter. Salting the cabbage "
    "draws out water so the seasoning soaks in."
)
ES_GOOD = (
    "El Día de Muertos es una celebración mexicana en la que las familias recuerdan a sus seres queridos. "
    "Se construyen altares con flores de cempasúchil, velas y fotografías."
)

# topic → (instruction output, answer output, finish_reason of the answer, expected first drop reason)
CASES = {
    ("ko", "김장 문화"): (
        "김장 김치를 담글 때 배추를 소금에 절이는 이유는 무엇인가요?",
        KO_GOOD,
        "stop",
        None,
    ),
    ("ko", "발효 음식"): ("질문: 김치가 발효되면 왜 맛이 깊어지나요?", EN_ANSWER, "stop", "low_script_ratio"),
    ("ko", "한국의 겨울 풍습"): (
        "김장은 어떤 풍습인지 자세히 설명해 주세요.",
        KO_SWITCHED,
        "stop",
        "switch_to_latin_en_in_answer",
    ),
    ("ko", "유네스코 유산"): (
        "한국의 유네스코 인류무형문화유산에는 무엇이 있나요?",
        "김장 문화는 2013년에 등재되었고, 그",
        "length",
        "truncated",
    ),
    ("es", "el Día de Muertos"): (
        "«¿Cuáles son las tradiciones más importantes del Día de Muertos en México?»",
        ES_GOOD,
        "stop",
        None,
    ),
    ("es", "la Guerra Civil"): (
        "What were the main causes of the Spanish Civil War in 1936?",
        ES_GOOD,
        "stop",
        "wrong_language",
    ),
}


def instruction_script(prompt, params):
    for (lang, topic), (instruction, answer, finish, _) in CASES.items():
        if params.max_tokens == 512 and topic in prompt:
            return instruction, "stop"
        if prompt == re.sub(r"^(질문)\s*[:：]\s*", "", instruction).strip("«»"):
            return answer, finish
    raise AssertionError(f"unexpected prompt {prompt[:80]!r}")


def test_instruction_generator_keeps_and_drops_for_the_stated_reasons(scripted):
    gen = InstructionGenerator(scripted(instruction_script), InstructionsConfig(per_topic=1), "ml-inst", "r")
    report = JobReport("ml-inst", "r")
    samples = gen.process([TopicItem(lang, topic) for lang, topic in CASES], report)
    by_topic = {s.metadata["topic"]: s for s in samples}
    for (lang, topic), (*_, reason) in CASES.items():
        s = by_topic[topic]
        assert first_failure(s.verdicts) == reason, (topic, s.verdicts)
        assert s.language == lang and s.domain == "multilingual"
    assert (
        by_topic["김장 문화"].messages[0].content
        == "김장 김치를 담글 때 배추를 소금에 절이는 이유는 무엇인가요?"
    )
    assert (
        by_topic["발효 음식"].messages[0].content == "김치가 발효되면 왜 맛이 깊어지나요?"
    )  # label stripped
    assert (
        by_topic["la Guerra Civil"].metadata["stage"] == "instruction"
    )  # dropped before an answer was asked for
    assert report.dropped == {
        "low_script_ratio": 1,
        "switch_to_latin_en_in_answer": 1,
        "truncated": 1,
        "wrong_language": 1,
    }


@pytest.fixture(scope="module")
def xquad_pairs(examples):
    en = XQuADReader(examples / "spanish/xquad.en.json", "en").read()
    es = XQuADReader(examples / "spanish/xquad.es.json", "es").read()
    report = JobReport("knowledge-xquad", "r")
    sources = import_xquad(en[:6], report, "knowledge-xquad", "r", "world_knowledge")
    return sources, es[:6]


def test_translator_checks_each_turn(scripted, xquad_pairs):
    sources, es = xquad_pairs
    spanish = {s.messages[0].content: build_messages(t)[0].content for s, t in zip(sources, es)}
    answers = {s.messages[1].content: t.answer for s, t in zip(sources, es)}
    src_user = [s.messages[0].content for s in sources]
    items = [
        TranslationItem(sources[0], "es"),
        TranslationItem(sources[1], "es"),
        TranslationItem(sources[2], "es"),
        TranslationItem(sources[3], "ko"),
        TranslationItem(sources[4], "ko"),
    ]

    def script(prompt, params):
        text = prompt.split("<source>\n", 1)[1].rsplit("\n</source>", 1)[0]
        if text == src_user[1]:
            return text, "stop"  # left in English
        if text == src_user[2]:
            return re.sub(r"\d+", "muchos", spanish[text]), "stop"  # numbers lost
        if text == src_user[3]:
            return spanish[text], "stop"  # asked for Korean, got Spanish
        if text == src_user[4]:
            return spanish[text][:200], "length"  # cut off
        return spanish.get(text) or answers[text], "stop"

    report = JobReport("ml-tr", "r")
    out = SampleTranslator(scripted(script), TranslationConfig(), "ml-tr", "r").process(items, report)
    reasons = [first_failure(s.verdicts) for s in out]
    assert reasons == [None, "untranslated_span", "number_missing", "low_script_ratio", "truncated"]
    good = out[0]
    assert (
        good.language == "es"
        and good.lineage.parent_ids == [sources[0].id]
        and good.license == "CC-BY-SA-4.0"
    )
    assert good.messages[0].content == spanish[sources[0].messages[0].content]
    assert good.messages[1].content == es[0].answer
    assert {v.details.get("field") for v in good.verdicts} == {"user", "assistant"}


def test_translator_generate_mode_answers_the_translated_query(scripted, xquad_pairs):
    sources, es = xquad_pairs
    spanish = build_messages(es[0])[0].content

    def script(prompt, params):
        if prompt.startswith("Translate"):
            return spanish, "stop"
        assert prompt == spanish  # the answer is asked for in the target language
        return "La defensa de los Panthers permitió solo 308 puntos y quedó sexta en la liga.", "stop"

    out = SampleTranslator(scripted(script), TranslationConfig(responses="generate"), "ml-tr", "r").process(
        [TranslationItem(sources[0], "es")], JobReport("ml-tr", "r")
    )
    assert out[0].passed and out[0].messages[1].content.startswith("La defensa de los Panthers")
    assert [v.verifier for v in out[0].verdicts] == [
        "degeneration",
        "translation",
        "language_consistency",
        "degeneration",
        "language_consistency",
    ]


def test_model_written_qa_over_korean_legal_documents(scripted, store):
    import json

    from generators.multilingual.config import MultilingualConfig
    from generators.multilingual.job import run_legal_qa

    seen = []

    def script(prompt, params):
        passage = prompt.split("Passage:\n", 1)[1]
        seen.append(passage)
        body = max(passage.split("\n"), key=len)  # one article / paragraph of the passage, verbatim
        answer = (
            "국회는 매년 봄에 벚꽃 축제를 열고 우주 탐사 예산을 심의한다."
            if "제3장 국회" in passage
            else body
        )
        return json.dumps(
            [{"question": "이 조문은 무엇을 규정하나요?", "answer": answer}], ensure_ascii=False
        ), "stop"

    cfg = MultilingualConfig(data_root="examples")
    report = run_legal_qa(store, cfg, scripted(script), {})
    n_chapter3 = sum("제3장 국회" in p for p in seen)
    assert n_chapter3 >= 1 and report.dropped == {"unsupported_answer": n_chapter3}
    with store.connect(read_only=True) as con:
        rows = con.execute("""SELECT DISTINCT domain, language, passed, parent_ids, edu_score, source LIKE 'korean/%'
                              FROM samples WHERE dataset = 'multilingual-legal-qa-ko' ORDER BY passed""").fetchall()
    assert rows == [
        ("multilingual", "ko", False, [], None, True),
        ("multilingual", "ko", True, [], None, True),
    ]
    assert report.rows_written == len(seen)
