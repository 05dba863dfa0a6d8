"""GroundedQAGenerator with scripted model outputs on real passages (XQuAD English paragraphs as web documents):
each check keeps or drops for its stated reason, drops stay in the output with passed=false."""

from __future__ import annotations

import json

import pytest

from datamill.jobs import JobReport
from generators.knowledge.config import QAConfig
from generators.knowledge.generator import GroundedQAGenerator, Passage
from generators.knowledge.selection import SourceDocument
from generators.knowledge.xquad import XQuADReader
from generators.sft_checks import first_failure


def qa_json(*pairs):
    return json.dumps([{"question": q, "answer": a, "difficulty": d} for q, a, d in pairs])


# passage index → the model's QA output (text, finish_reason)
QA_OUTPUTS = {
    0: (
        qa_json(
            (
                "How many points did the Panthers defense give up?",
                "The Panthers defense gave up just 308 points, ranking sixth in the league.",
                "easy",
            )
        ),
        "stop",
    ),
    1: (
        qa_json(
            (
                "¿Quién ganó la ronda divisional?",
                (
                    "Los Broncos derrotaron a los Pittsburgh Steelers en la ronda "
                    "divisional por 23 a 16, anotando once puntos en los últimos tres minutos del partido."
                ),
                "easy",
            )
        ),
        "stop",
    ),
    2: (
        qa_json(
            (
                "Was Peyton Manning the oldest quarterback in a Super Bowl?",
                (
                    "Peyton Manning became the first quarterback ever to lead two different teams to multiple Super Bowls. "
                    "He is also the oldest quarterback ever to play in a Super Bowl at age 39. The past record was held "
                    "by John Elway, who led the Broncos to victory in Super Bowl XXXIII at age 38. Fue también el "
                    "mariscal de campo de mayor edad en jugar un Super Bowl. El récord anterior lo tenía John Elway, "
                    "que ganó con los Broncos."
                ),
                "medium",
            )
        ),
        "stop",
    ),
    3: ('[{"question": "Who performed the national anthem?", "answer": "Lady Ga', "length"),
    4: (
        qa_json(
            (
                "Who won the game?",
                (
                    "The Carolina Panthers won the championship after Cam Newton threw a "
                    "record-breaking touchdown pass to Michael Jordan in overtime."
                ),
                "medium",
            )
        ),
        "stop",
    ),
    5: ("Sure, here are some great questions about the theatre history of Warsaw!", "stop"),
    6: (
        qa_json(
            (
                "Which national titles has Polonia Warsaw won?",
                "They won the Ekstraklasa Championship in 2000 and the country's championship in 1946.",
                "hard",
            )
        ),
        "stop",
    ),
    7: (
        qa_json(
            (
                "What share of Warsaw's inhabitants were Catholics in 1901?",
                "According to the 1901 census, 56.2% of Warsaw's inhabitants were Catholics.",
                "hard",
            )
        ),
        "stop",
    ),
}
REASONING_OUTPUTS = {
    "Polonia": (
        (
            "<think>\nThe passage lists two titles: Ekstraklasa in 2000 and the national championship in 1946.\n"
            "</think>\n\nPolonia Warsaw won the Ekstraklasa Championship in 2000 and the country's championship "
            "in 1946."
        ),
        "stop",
    ),
    "Catholics": ("<think>\nThe 1901 census lists 711,988 inhabitants; the share of Catholics", "length"),
}
EXPECTED = {
    0: None,
    1: "wrong_language",
    2: "switch_to_latin_es_in_answer",
    3: "truncated",
    4: "unsupported_answer",
    5: "unparseable_output",
    6: None,
    7: None,
}


@pytest.fixture(scope="module")
def passages(examples):
    contexts = []
    for it in XQuADReader(examples / "spanish/xquad.en.json", "en").read():
        if it.context not in contexts:
            contexts.append(it.context)
    # documents 6 and 7 are "specialised" (edu_score ≥ 0.8): candidates for reasoning mode
    return [
        Passage(
            SourceDocument(f"doc{i}", c, "en", 0.9 if i >= 6 else 0.6, "CC-BY-SA-4.0", f"https://x/{i}"), 0, c
        )
        for i, c in enumerate(contexts[:8])
    ]


def script_for(passages, judge_says="SUPPORTED"):
    def script(prompt, params):
        if params.reasoning:
            return next(v for k, v in REASONING_OUTPUTS.items() if k in prompt)
        if prompt.startswith("Is the answer fully supported"):
            return judge_says, "stop"
        return next(QA_OUTPUTS[i] for i, p in enumerate(passages) if p.text in prompt)

    return script


def run_gen(scripted, passages, **cfg):
    gen = GroundedQAGenerator(
        scripted(script_for(passages, cfg.pop("judge_says", "SUPPORTED"))),
        QAConfig(reasoning_fraction=1.0, **cfg),
        "knowledge-web-qa",
        "run-test",
    )
    report = JobReport("knowledge-web-qa", "run-test")
    return gen.process(passages, report), report


def test_each_canned_output_is_kept_or_dropped_for_its_reason(scripted, passages):
    samples, report = run_gen(scripted, passages)
    plain = {s.lineage.parent_ids[0]: s for s in samples if s.mode == "non_reasoning"}
    for i, reason in EXPECTED.items():
        assert first_failure(plain[f"doc{i}"].verdicts) == reason, (i, plain[f"doc{i}"].verdicts)
        assert plain[f"doc{i}"].passed is (reason is None)
    # drops are counted per reason and kept in the output for audit
    assert report.dropped == {
        "wrong_language": 1,
        "switch_to_latin_es_in_answer": 1,
        "truncated": 2,
        "unsupported_answer": 1,
        "unparseable_output": 1,
    }
    assert plain["doc3"].messages[-1].content.startswith('[{"question"')  # the raw cut-off output is kept


def test_hard_specialised_pairs_get_a_reasoning_sample(scripted, passages):
    samples, _ = run_gen(scripted, passages)
    reasoning = {s.lineage.parent_ids[0]: s for s in samples if s.mode == "reasoning"}
    assert set(reasoning) == {"doc6", "doc7"}  # only passed pairs from specialised/hard documents
    good = reasoning["doc6"]
    assert good.passed and "Ekstraklasa" in good.messages[-1].reasoning_content
    assert good.messages[-1].content.startswith("Polonia Warsaw won")
    assert good.metadata["difficulty"] == "hard" and good.metadata["specialised"] is True
    assert first_failure(reasoning["doc7"].verdicts) == "truncated"


def test_a_reasoning_answer_cut_off_mid_thought_has_no_final_answer(scripted, passages, monkeypatch):
    """A thought that never closed has no final part: the trace is kept as reasoning and nothing as the answer
    (it used to be split at the last </think> only, so a thought re-opened after it became part of the answer and
    passed the support check, <think> tag and all)."""
    samples, _ = run_gen(scripted, passages)
    cut = next(s for s in samples if s.mode == "reasoning" and s.lineage.parent_ids == ["doc7"])
    assert (
        cut.messages[-1].reasoning_content.startswith("The 1901 census") and cut.messages[-1].content == " "
    )
    reopened = (
        "<think>\nThe census gives the share.\n</think>\n\nAccording to the 1901 census, 56.2% of "
        "Warsaw's inhabitants were Catholics.\n<think>\nWait, let me check the"
    )
    monkeypatch.setitem(REASONING_OUTPUTS, "Catholics", (reopened, "stop"))
    samples, report = run_gen(scripted, passages)
    cut = next(s for s in samples if s.mode == "reasoning" and s.lineage.parent_ids == ["doc7"])
    assert first_failure(cut.verdicts) == "no_final_answer" and not cut.passed
    assert cut.verdicts[-1].verifier == "reasoning_format" and report.dropped["no_final_answer"] == 1
    assert "<think>" not in cut.messages[-1].content


def test_lineage_scores_and_tokens(scripted, passages):
    samples, _ = run_gen(scripted, passages)
    s = next(s for s in samples if s.lineage.parent_ids == ["doc0"] and s.mode == "non_reasoning")
    assert s.lineage.model == "scripted-test-model" and s.lineage.prompt_id
    assert s.scores["edu"] == 0.6 and s.scores["support"] == pytest.approx(1.0)
    assert s.domain == "world_knowledge" and s.language == "en" and s.license == "CC-BY-SA-4.0"
    assert (
        s.num_tokens > 0 and passages[0].text in s.messages[0].content
    )  # with_context: passage in the query
    assert len({x.id for x in samples}) == len(samples)


def test_llm_judge_can_reject_a_lexically_supported_answer(scripted, passages):
    samples, _ = run_gen(scripted, passages[:1], llm_judge=True, judge_says="UNSUPPORTED")
    assert first_failure(samples[0].verdicts) == "judge_unsupported"
    samples, _ = run_gen(scripted, passages[:1], llm_judge=True, judge_says="The answer is SUPPORTED.")
    assert samples[0].passed and samples[0].verdicts[-1].verifier == "llm_judge"


def test_closed_book_mode_asks_the_question_alone(scripted, passages):
    samples, _ = run_gen(scripted, passages[:1], with_context=False)
    assert samples[0].messages[0].content == "How many points did the Panthers defense give up?"


def test_a_backend_that_returns_no_completion_is_a_counted_drop(passages):
    from datamill.engine import CannedEngine

    gen = GroundedQAGenerator(
        CannedEngine(lambda prompt, params: []), QAConfig(), "knowledge-web-qa", "run-test"
    )
    report = JobReport("knowledge-web-qa", "run-test")
    samples = gen.process(passages[:2], report)
    assert [first_failure(s.verdicts) for s in samples] == ["empty", "empty"] and report.dropped == {
        "empty": 2
    }
