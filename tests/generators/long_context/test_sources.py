"""Haystack sources: curated web documents from the catalog (passed only), word pools, real XQuAD facts."""

from __future__ import annotations

from generators.long_context.sources import load_documents, load_facts, load_web_documents, word_pool
from schemas import WebDocument


def test_web_documents_come_from_the_catalog_passed_only(store, examples):
    essays = sorted((examples / "niah").glob("*.txt"))
    kept = WebDocument(id="w-kept", text=essays[0].read_text(), language="en", license="MIT")
    dropped = WebDocument(
        id="w-dropped",
        text=essays[1].read_text(),
        language="en",
        metadata={"drop": {"filter": "gopher", "reason": "too_short"}},
    )
    korean = WebDocument(
        id="w-ko", text=(examples / "korean/kolaw_constitution.txt").read_text(), language="ko"
    )
    store.begin_run("web_curated", "r1", "web", {})
    store.write_shard("web_curated", "r1", 0, [kept, dropped, korean], kind="web")
    docs = load_web_documents(store, "en")
    assert [d.name for d in docs] == ["web:w-kept"] and docs[0].license == "MIT"
    assert [d.name for d in load_web_documents(store, "ko")] == ["web:w-ko"]
    en = load_documents("en", examples, web=docs)
    assert en[-1].name == "web:w-kept" and len(en) == len(essays) + 1


def test_no_catalog_means_no_web_documents(tmp_path):
    from datamill.store import Store

    assert load_web_documents(Store(tmp_path / "empty"), "en") == []


def test_word_pool_is_real_words_of_the_language(examples):
    docs = load_documents("ko", examples)
    ko = word_pool(docs, "ko")
    assert all("가" <= ch <= "힣" for w in ko for ch in w)
    text = " ".join(d.text for d in docs)
    assert "대한민국" not in ko and text.count("대한민국") > 5  # too common to be a needle word
    assert all(2 <= text.count(w) for w in ko[:30])
    es = word_pool(load_documents("es", examples), "es")
    assert all(w.isalpha() for w in es) and len(es) > 100


def test_facts_are_answer_bearing_sentences(examples):
    facts = load_facts(examples, "es")
    assert facts and all(f.answer in f.sentence for f in facts)
    ko = load_facts(examples, "ko")  # bill covers: number, date, lead sponsor of each embedded bill
    assert len(ko) == 3 * len(list((examples / "korean/kobill").glob("*.txt")))
    num = next(f for f in ko if f.id == "kobill:1809890:num")
    assert (num.answer, num.doc) == ("9890", "korean/kobill/1809890.txt")
    assert num.sentence == "지방공무원법 일부개정법률안의 의안 번호는 9890이다."
    assert all(f.answer in f.sentence for f in ko)
    assert load_facts(examples, "fr") == []
