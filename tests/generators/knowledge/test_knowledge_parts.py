"""Pure parts: support overlap, QA parsing, difficulty, judge parsing, passages, XQuAD reading, selection."""

from __future__ import annotations

import json

import pytest

from generators.knowledge import qa
from generators.knowledge.checks import SupportFilter, content_units, support_overlap
from generators.knowledge.config import SelectionConfig
from generators.knowledge.selection import select_documents
from generators.knowledge.xquad import XQuADReader
from generators.sft_checks import ParseError
from schemas import WebDocument

PASSAGE = (
    "The Panthers defense gave up just 308 points, ranking sixth in the league, while also leading the NFL "
    "in interceptions with 24 and boasting four Pro Bowl selections."
)


def test_support_filter_keeps_grounded_and_drops_invented_answers():
    f = SupportFilter()
    assert f.filter("They gave up 308 points and led the NFL with 24 interceptions.", PASSAGE) is True
    assert f.filter("The Panthers won the Super Bowl in 1995 thanks to Michael Jordan.", PASSAGE) == (
        False,
        "unsupported_answer",
    )
    assert f.filter("  ", PASSAGE) == (False, "empty")


def test_korean_overlap_ignores_attached_particles():
    passage = "대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다."
    assert support_overlap("주권은 국민에게 있습니다", passage) > 0.6
    assert support_overlap("대통령이 모든 권력을 가진다", passage) < 0.6
    assert "국민" in content_units("국민에게")


def test_parse_qa_accepts_fences_and_think_blocks_and_rejects_prose():
    body = json.dumps(
        [{"question": "Q1?", "answer": "A1", "difficulty": "HARD"}, {"question": "", "answer": "x"}]
    )
    pairs = qa.parse_qa(f"<think>\nplan\n</think>\n\n```json\n{body}\n```")
    assert pairs == [qa.QAPair("Q1?", "A1", "hard")]
    with pytest.raises(ParseError) as e:
        qa.parse_qa("I cannot write questions for this passage.")
    assert e.value.reason == "unparseable_output"
    with pytest.raises(ParseError):
        qa.parse_qa('[{"question": "only a question"}]')


def test_difficulty_uses_the_model_label_or_the_overlap_heuristic():
    assert qa.tag_difficulty(qa.QAPair("q", "a", "medium"), PASSAGE) == "medium"
    lookup = qa.QAPair("How many points did the Panthers defense give up?", "308 points")
    assert qa.tag_difficulty(lookup, PASSAGE) == "easy"
    long_answer = " ".join(f"word{i}" for i in range(30))
    assert (
        qa.tag_difficulty(qa.QAPair("Why did the strategy work so well overall?", long_answer), PASSAGE)
        == "hard"
    )


def test_judge_parse_reads_the_final_verdict():
    assert qa.parse_judge("SUPPORTED") is True
    assert qa.parse_judge("<think>maybe SUPPORTED</think>\n\nUNSUPPORTED") == (False, "judge_unsupported")
    assert qa.parse_judge("I am not sure.") == (False, "judge_unparseable")


def test_split_passages_packs_paragraphs():
    text = "\n\n".join(["a" * 300, "b" * 300, "c" * 900, "tiny"])
    parts = qa.split_passages(text, max_chars=700, min_chars=200)
    assert [len(p) for p in parts] == [601, 700]  # a+b packed; c cut to the cap; the short tail dropped


def test_xquad_reader_reads_real_files_and_reports_bad_entries(examples, tmp_path):
    items = XQuADReader(examples / "spanish/xquad.es.json", "es").read()
    assert len(items) == 105 and all(it.gold_span_ok for it in items)
    assert not items[0].context.startswith("\ufeff")  # the BOM is stripped, the offsets shifted with it
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "data": [
                    {
                        "title": "t",
                        "paragraphs": [
                            {
                                "context": "Paris is in France.",
                                "qas": [
                                    {"id": "1", "question": "Where?", "answers": []},
                                    {
                                        "id": "2",
                                        "question": "Where?",
                                        "answers": [{"text": "France", "answer_start": 12}],
                                    },
                                ],
                            }
                        ],
                    }
                ]
            }
        )
    )
    reader = XQuADReader(bad, "en")
    assert [it.qid for it in reader.read()] == ["2"]
    assert reader.errors == [
        "bad.json:data[0].paragraphs[0].qas[0]: malformed QA entry (IndexError: list index out of range)"
    ]
    with pytest.raises(ValueError, match="not a SQuAD-format"):
        XQuADReader(examples / "korean/ChatbotData.csv", "ko").read()


def test_selection_by_edu_score_language_topic_and_curation_verdict(store, examples):
    contexts = sorted({it.context for it in XQuADReader(examples / "spanish/xquad.en.json", "en").read()})[:5]
    docs = [
        WebDocument(id="a", text=contexts[0], language="en", edu_score=0.7, license="L"),
        WebDocument(id="b", text=contexts[1], language="en", edu_score=0.2),  # below the edu threshold
        WebDocument(id="c", text=contexts[2], language="de", edu_score=0.8),  # language not asked for
        WebDocument(
            id="d",
            text=contexts[3],
            language="en",
            edu_score=0.8,
            metadata={"drop": {"filter": "gopher", "reason": "too_short"}},
        ),  # rejected by curation
        WebDocument(id="e", text=contexts[4], language="en", edu_score=0.8),
    ]
    store.begin_run("web-test", "r1", "web", {})
    store.write_shard("web-test", "r1", 0, docs, kind="web")
    chosen = select_documents(store, SelectionConfig(min_edu_score=0.5, languages=["en"]))
    assert [d.id for d in chosen] == ["a", "e"] and chosen[0].license == "L" and chosen[0].text == contexts[0]
    word = contexts[4].split()[3]
    assert [
        d.id
        for d in select_documents(store, SelectionConfig(languages=["en"], topic_keywords=[word.upper()]))
    ] == [d.id for d in chosen if word.lower() in d.text.lower()]
