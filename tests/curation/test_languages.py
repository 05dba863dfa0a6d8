"""Korean and Spanish survive the quality filters through per-language routing (real ko/es/en texts)."""

from __future__ import annotations

import json

import pytest
from datatrove.data import Document
from datatrove.pipeline.filters import GopherQualityFilter

from curation.job import run_curate
from datamill.demo_data import EXAMPLES
from datamill.store import Store
from filters.quality import LanguageQualityFilter
from tests.curation.helpers import write_config


def real_texts() -> dict[str, list[str]]:
    ko = [p.read_text(encoding="utf-8") for p in sorted((EXAMPLES / "korean/kobill").glob("*.txt"))]
    lines = (EXAMPLES / "korean/kolaw_constitution.txt").read_text(encoding="utf-8").splitlines()
    ko += ["\n".join(lines[i : i + 40]) for i in range(0, len(lines), 40)]
    out = {"ko": ko}
    for lang in ("es", "en"):
        arts = json.loads((EXAMPLES / f"spanish/xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
        paras = [p["context"] for a in arts for p in a["paragraphs"]]
        out[lang] = [
            "\n".join(paras[i : i + 3]) for i in range(0, min(len(paras), 45), 3)
        ]  # article-sized docs
    return out


@pytest.fixture(scope="module")
def texts():
    return real_texts()


def test_english_only_gopher_would_drop_korean_and_spanish(texts):
    english = GopherQualityFilter()  # datatrove defaults: English stop words, mean word length 3–10
    ko = [english.filter(Document(text=t, id="k")) for t in texts["ko"]]
    es = [english.filter(Document(text=t, id="s")) for t in texts["es"]]
    assert all(r is not True and r[1].startswith("gopher_") for r in ko), ko
    stop_word_drops = [r for r in es if r == (False, "gopher_enough_stop_words")]
    assert len(stop_word_drops) >= 0.8 * len(es), es


def test_language_routed_quality_keeps_them(texts):
    f = LanguageQualityFilter(["en", "ko", "es"])
    for lang in ("ko", "es", "en"):
        results = [f.filter(Document(text=t, id=lang, metadata={"language": lang})) for t in texts[lang]]
        kept = sum(r is True for r in results)
        assert kept >= 0.7 * len(results), (lang, results)


def test_routed_quality_still_drops_junk_in_each_language():
    f = LanguageQualityFilter(["en", "ko", "es"])
    junk = {"ko": "좋아요 " * 200, "es": "hola " * 200, "en": "click here " * 200}
    for lang, text in junk.items():
        ok, reason = f.filter(Document(text=text, id=lang, metadata={"language": lang}))
        assert not ok and reason.startswith("gopher_repetition"), (lang, reason)


def test_per_language_keep_rates_in_a_job(texts, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    with open(src / "docs.jsonl", "w", encoding="utf-8") as f:
        for lang, items in texts.items():
            f.writelines(
                json.dumps({"text": t, "url": f"https://example.org/{lang}/{i}"}, ensure_ascii=False) + "\n"
                for i, t in enumerate(items)
            )
    cfg = {
        "dataset": "multi",
        "workers": 1,
        "decontam": {"data_roots": [str(EXAMPLES)]},
        "inputs": [{"path": str(src), "format": "jsonl", "license": "see examples/data/SOURCES.md"}],
    }
    report = run_curate(write_config(tmp_path, cfg), Store(tmp_path / "store"))
    for lang in ("ko", "es", "en"):
        assert report.keep_rate(lang) >= 0.6, (lang, report.languages, report.dropped)
