"""Exact token lengths for every target, needles at the recorded offsets, depth edge cases, determinism."""

from __future__ import annotations

import random
import re

import pytest

from datamill.tokens import load_tokenizer
from generators.long_context.config import STANDARD_LENGTHS
from generators.long_context.generator import LongContextGenerator, Spec, depth_bucket
from generators.long_context.haystack import HaystackBuilder, SentenceStream, SourceDoc, split_sentences


@pytest.fixture(scope="module")
def tok():
    return load_tokenizer()


@pytest.fixture(scope="module")
def gen(tok):
    # the embedded sample only (12 essays): a fresh clone sees the same data; 128K cycles the essays
    return LongContextGenerator(tok, seed=0, prefer_shared=False)


def _enc(tok, text):
    return tok.backend_tokenizer.encode(text, add_special_tokens=False)


def _check_needles(tok, sample):
    meta = sample.metadata
    encoded: dict[int, list[int]] = {}
    for n in meta["needles"]:
        content = sample.messages[n["message_index"]].content
        span = content[n["char_start"] : n["char_end"]]
        assert n["value"] in span or (n["kind"] == "chain" and n["key"] in span), (n, span)
        ids = encoded.setdefault(n["message_index"], _enc(tok, content).ids)
        piece = tok.backend_tokenizer.decode(ids[n["token_start"] : n["token_end"]])
        assert span.strip() == piece.strip(), (span, piece)


@pytest.mark.parametrize("label", list(STANDARD_LENGTHS))
def test_exact_length_every_standard_target(tok, gen, label):
    target = STANDARD_LENGTHS[label]
    s = gen.build(Spec("en", target, "multi_value", 50.0, 0, "uuid"))
    ctx = s.messages[1].content[: s.metadata["context_char_end"]]
    assert len(_enc(tok, ctx).ids) == target
    assert s.metadata["context_tokens"] == target and s.metadata["length_bucket"] == label
    _check_needles(tok, s)
    # the embedded 12 essays hold fewer tokens than 128K: the source is cycled and the sample says so
    total = gen.stream("en").total_tokens
    if target > total + 1000 or target < total - 1000:  # near `total` it depends on the needles' size
        assert s.metadata["repeated_sources"] == (target > total)
        assert target // total <= s.metadata["source_cycles"] <= target // total + 1  # passes over the source


@pytest.mark.parametrize(
    "lang,target", [("ko", 1000), ("ko", 16384), ("es", 777), ("es", 32768), ("en", 3001)]
)
def test_exact_length_custom_targets_and_languages(tok, gen, lang, target):
    s = gen.build(Spec(lang, target, "chain", 37.5, 0, "-"))
    ctx = s.messages[1].content[: s.metadata["context_char_end"]]
    assert len(_enc(tok, ctx).ids) == target
    _check_needles(tok, s)


@pytest.mark.parametrize("task", ["niah", "multi_value", "chain", "fact"])
def test_depth_zero_and_hundred_are_the_context_edges(tok, gen, task):
    first = gen.build(Spec("en", 2048, task, 0.0, 0, "number"))
    n0 = next(n for n in first.metadata["needles"] if n["target_depth"] == 0.0)
    assert (n0["char_start"], n0["token_start"], n0["depth"]) == (0, 0, 0.0)
    last = gen.build(Spec("en", 2048, task, 100.0, 0, "number"))
    n1 = next(n for n in last.metadata["needles"] if n["target_depth"] == 100.0)
    assert n1["char_end"] == last.metadata["context_char_end"]
    assert n1["token_end"] == 2048 and n1["depth"] == 100.0
    assert depth_bucket(n1["depth"], 5) == "80-100%" and "80-100%" in last.metadata["depth_buckets"]
    _check_needles(tok, first)
    _check_needles(tok, last)


@pytest.mark.parametrize("lang", ["en", "ko", "es"])
def test_needles_sit_at_sentence_boundaries(gen, lang):
    # the bills break lines inside sentences: a needle must still never split a sentence
    for i, depth in enumerate([5.0, 33.0, 50.0, 71.0, 90.0]):
        s = gen.build(Spec(lang, 2048, "multi_value", depth, i, "word"))
        content = s.messages[1].content
        for n in s.metadata["needles"]:
            before = content[: n["char_start"]]
            ok = before == "" or before.endswith("\n\n") or re.search(r"[.!?。！？][\"'”’)\]]? $", before)
            assert ok, (lang, before[-60:], content[n["char_start"] : n["char_end"]])
            assert content[n["char_end"] - 1] == "."


def test_same_seed_same_sample_other_seed_differs(tok):
    spec = Spec("ko", 4096, "multi_value", 25.0, 0, "number")
    a = LongContextGenerator(tok, seed=7, prefer_shared=False).build(spec)
    b = LongContextGenerator(tok, seed=7, prefer_shared=False).build(spec)
    c = LongContextGenerator(tok, seed=8, prefer_shared=False).build(spec)
    assert a.model_dump() == b.model_dump()
    assert a.messages[1].content != c.messages[1].content and a.id != c.id


def test_answer_holds_every_queried_value_and_no_distractor(gen):
    s = gen.build(Spec("es", 2048, "multi_value", 60.0, 0, "word"))
    answer = s.messages[2].content
    queried = [n for n in s.metadata["needles"] if n["query"]]
    distract = [n for n in s.metadata["needles"] if not n["query"]]
    assert len(queried) == 3 and len(distract) == 2
    assert all(n["value"] in answer for n in queried)
    assert all(n["key"] not in answer for n in distract)
    assert s.verdicts[0].passed


def test_fact_needles_are_real_xquad_sentences_not_in_the_haystack(gen):
    s = gen.build(Spec("en", 4096, "fact", 30.0, 0, "-"))
    content = s.messages[1].content
    for n in s.metadata["needles"]:
        sentence = content[n["char_start"] : n["char_end"]]
        assert content.count(sentence) == 1  # the fact's own article was left out of the haystack
        assert n["value"] in s.messages[2].content


def test_korean_facts_come_from_a_bill_left_out_of_the_haystack(gen):
    s = gen.build(Spec("ko", 2048, "fact", 50.0, 0, "-"))
    content = s.messages[1].content
    for n in s.metadata["needles"]:
        assert n["key"].startswith("kobill:") and n["value"] in content[n["char_start"] : n["char_end"]]
        bill = "korean/kobill/" + n["key"].split(":")[1] + ".txt"
        assert bill not in s.metadata["sources"]
        assert n["value"] in s.messages[2].content


def test_split_sentences_keeps_punctuation_and_cuts_run_ons():
    text = "First one. Second one!  Third?\n\nNew para 다음과 같다. 끝" + " word" * 200
    out = split_sentences(text)
    assert out[:4] == ["First one.", "Second one!", "Third?", "New para 다음과 같다."]
    assert all(len(s) <= 600 for s in out) and out[-1].endswith("word")


def test_needles_too_big_for_the_target_fail_clearly(tok):
    stream = SentenceStream([SourceDoc("inline", "A short text. Another sentence here.")], tok)
    with pytest.raises(ValueError, match="no room"):
        HaystackBuilder(stream).build(
            8, ["One of the special magic numbers for x is: 1234567."], [50.0], random.Random(0)
        )


def test_shared_data_haystacks_are_exact_too(tok, shared):
    g = LongContextGenerator(tok, seed=3, prefer_shared=True)
    assert g.root == shared
    for lang in ("en", "ko", "es"):
        s = g.build(Spec(lang, 16384, "multi_value", 70.0, 0, "number"))
        assert len(_enc(tok, s.messages[1].content[: s.metadata["context_char_end"]]).ids) == 16384
        _check_needles(tok, s)
    assert len(g.stream("en").docs) >= 49  # all essays, not the 12 embedded


@pytest.mark.parametrize("lang,task", [("en", "fact"), ("ko", "chain"), ("es", "niah")])
def test_num_tokens_is_the_full_chat_count(gen, lang, task):
    from datamill.tokens import count_chat_tokens

    for depth in (0.0, 100.0):
        s = gen.build(Spec(lang, 1024, task, depth, 0, "word"))
        assert s.num_tokens == count_chat_tokens(s.messages, reasoning=False)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ko", "es"])
def test_every_standard_target_in_korean_and_spanish(tok, gen, lang):
    for label, target in STANDARD_LENGTHS.items():
        s = gen.build(Spec(lang, target, "multi_value", 80.0, 0, "number"))
        assert len(_enc(tok, s.messages[1].content[: s.metadata["context_char_end"]]).ids) == target, label
        _check_needles(tok, s)
