import json

import pytest

from filters.language_consistency import LanguageConsistencyFilter, prose, script_ratio


@pytest.fixture(scope="module")
def texts(examples):
    ko = (examples / "korean" / "kolaw_constitution.txt").read_text(encoding="utf-8").splitlines()
    ko = " ".join(line for line in ko if line.strip())[:1200]
    es = json.loads((examples / "spanish" / "xquad.es.json").read_text(encoding="utf-8"))
    en = json.loads((examples / "spanish" / "xquad.en.json").read_text(encoding="utf-8"))
    es_ctx = es["data"][0]["paragraphs"][0]["context"]
    en_ctx = en["data"][0]["paragraphs"][0]["context"]
    return {"ko": ko, "es": es_ctx, "en": en_ctx}


def test_matching_language_passes(texts):
    f = LanguageConsistencyFilter()
    for lang, text in texts.items():
        assert f.filter(text, lang) is True, lang


def test_wrong_language(texts):
    f = LanguageConsistencyFilter()
    assert f.filter(texts["es"], "en") == (False, "wrong_language")
    assert f.filter(texts["en"], "es") == (False, "wrong_language")


def test_low_hangul_share_for_korean(texts):
    assert script_ratio(texts["ko"], "ko") > 0.9
    assert LanguageConsistencyFilter().filter(texts["en"], "ko") == (False, "low_script_ratio")


def test_code_switching(texts):
    en_sents = texts["en"].split(". ")[:2]
    es_sents = texts["es"].split(". ")[:5]
    mixed = ". ".join(es_sents) + ". " + ". ".join(en_sents) + "."  # mostly Spanish, 2 of 7 sentences English
    assert LanguageConsistencyFilter().filter(mixed, "es") == (False, "code_switching")
    assert LanguageConsistencyFilter(max_foreign_sentence_frac=0.5).filter(mixed, "es") is True


def test_think_code_math_are_stripped(texts):
    answer = f"<think>{texts['en']}</think>\n```python\nprint('hello world')\n```\n$x^2 + \\frac{{1}}{{2}}$ {texts['es']}"
    assert "print" not in prose(answer) and "frac" not in prose(answer)
    assert LanguageConsistencyFilter().filter(answer, "es") is True
    assert LanguageConsistencyFilter().filter("\\boxed{42}", "ko") is True  # nothing language-specific
    assert LanguageConsistencyFilter().filter("", "ko") == (False, "empty")
