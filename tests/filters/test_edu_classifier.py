"""Edu-value scoring: the committed fastText model, the FineWeb-Edu rubric prompt/parse, and training."""

from __future__ import annotations

import json

import pytest
from datatrove.data import Document

from curation.edu_classifier import DEFAULT_MODEL, train_edu_classifier
from datamill.demo_data import EXAMPLES
from filters.edu import EduScoreFilter, build_edu_prompt, edu_scores, load_edu_model, parse_edu_score


def test_committed_model_ranks_explanations_above_web_boilerplate():
    model = load_edu_model(str(DEFAULT_MODEL))
    row = json.loads((EXAMPLES / "math/gsm8k_train.jsonl").read_text().splitlines()[-1])
    explanation = f"{row['question']}\n{row['answer']}"
    boilerplate = "Home | About us | Contact | Login | Subscribe to our newsletter | Cookie settings | © 2024 All rights reserved"
    hi, lo = edu_scores(model, [explanation, boilerplate])
    assert 0 <= lo < 0.5 < hi <= 1


def test_filter_threshold_drops_with_reason():
    f = EduScoreFilter(str(DEFAULT_MODEL), threshold=0.5)
    f._model = load_edu_model(str(DEFAULT_MODEL))
    doc = Document(text="Buy now! Best price! Click here! Free shipping! Sale sale sale!", id="x")
    assert f.filter(doc) == (False, "low_edu_score") and doc.metadata["edu_score"] < 0.5


def test_rubric_prompt_and_parse():
    p = build_edu_prompt("Photosynthesis converts light into chemical energy.")
    assert "additive 5-point" in p and "Photosynthesis" in p
    assert parse_edu_score("Clear and on-topic.\nEducational score: 4") == 4
    assert parse_edu_score("<think>Educational score: 1</think>Fine.\nEducational score: **3**") == 3
    assert parse_edu_score("I cannot rate this.") is None


@pytest.mark.slow
def test_training_on_the_embedded_sample_generalises(tmp_path):
    m = train_edu_classifier(tmp_path / "edu.ftz", root=EXAMPLES)
    assert (tmp_path / "edu.ftz").stat().st_size < 5_000_000
    # 19 web pages of negatives only: far weaker than the ../shared model (0.97/0.98, docs/curation.md)
    assert m["precision"] >= 0.7 and m["recall"] >= 0.8, m


def test_llm_labeler_with_canned_engine(tmp_path):
    from datamill.engine.base import prompt_id
    from filters.edu import LLMEduLabeler
    from schemas import Message

    docs = [
        Document(text="Photosynthesis turns light into sugar; here is how, step by step.", id="a"),
        Document(text="BUY NOW cheap watches", id="b"),
    ]
    replies = ["A clear explanation.\nEducational score: 4", "An advert.\nEducational score: 0"]
    canned = tmp_path / "canned.jsonl"
    canned.write_text(
        "\n".join(
            json.dumps(
                {
                    "prompt_id": prompt_id(
                        [Message(role="user", content=build_edu_prompt(d.text))], reasoning=False
                    ),
                    "outputs": [r],
                }
            )
            for d, r in zip(docs, replies)
        )
    )
    step = LLMEduLabeler({"backend": "canned", "canned_path": str(canned)})
    out = list(step.run(iter(docs)))
    assert [d.metadata["edu_llm_score"] for d in out] == [4, 0]
