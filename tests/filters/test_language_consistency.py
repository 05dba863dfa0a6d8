"""Language consistency on real text: whole answers in the wrong language, and switches inside the thought or
the answer, named by script, part and line; code, LaTeX, [asy], numbers and hanja terms are not switches."""

import json

import pytest

from filters.language_consistency import LanguageConsistencyFilter, blank_non_prose, prose, script_ratio


@pytest.fixture(scope="module")
def texts(examples):
    ko = (examples / "korean" / "kolaw_constitution.txt").read_text(encoding="utf-8").splitlines()
    ko = " ".join(line for line in ko if line.strip())[:1200]
    es = json.loads((examples / "spanish" / "xquad.es.json").read_text(encoding="utf-8"))
    en = json.loads((examples / "spanish" / "xquad.en.json").read_text(encoding="utf-8"))
    es_ctx = es["data"][0]["paragraphs"][0]["context"]
    en_ctx = en["data"][0]["paragraphs"][0]["context"]
    return {"ko": ko, "es": es_ctx, "en": en_ctx}


@pytest.fixture(scope="module")
def zh():
    from spacy.lang.zh.examples import sentences  # real Chinese sentences shipped with spaCy (MIT)

    return sentences


@pytest.fixture(scope="module")
def lines(texts):
    return {k: [s.strip() for s in v.split(". ") if len(s) > 40] for k, v in texts.items()}


def switch(text: str, lang: str) -> tuple[str, int | None]:
    """(reason, line number of the switch) from the filter's check()."""
    _, reason, details = LanguageConsistencyFilter().check(text, lang)
    return reason, details.get("line")


def respond(thought: list[str], answer: list[str]) -> str:
    return "<think>\n" + "\n".join(thought) + "\n</think>\n\n" + "\n".join(answer)


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


def test_chinese_line_with_full_width_comma_in_the_thought(lines, zh):
    text = respond(lines["ko"][:2] + [zh[0]] + lines["ko"][2:4], lines["ko"][4:6])
    assert "，" in zh[0]  # the old word filter dropped exactly such a line
    ok, reason, details = LanguageConsistencyFilter().check(text, "ko")
    assert (ok, reason, details["line"]) == (False, "switch_to_han_in_thought", 3)
    assert details["text"].startswith(zh[0][:10]) and details["where"] == "thought"


def test_hanja_terms_in_korean_are_not_a_switch(examples, zh):
    bill = (examples / "korean/kobill/1809892.txt").read_text(encoding="utf-8")
    assert "任用權者는" in bill and "第44條(休職)" in bill  # real hanja in a National Assembly bill
    f = LanguageConsistencyFilter()
    assert f.filter(respond(bill.splitlines()[:40], ["이상입니다."]), "ko") is True
    mixed = respond(["그래서 " + zh[2], "다음 단계로 넘어갑니다."], ["답은 5입니다."])
    assert switch(mixed, "ko") == ("switch_to_han_in_thought", 1)


def test_english_inside_a_korean_thought_and_spanish_answer(lines):
    f = LanguageConsistencyFilter()
    ko = respond(lines["ko"][:3] + [lines["en"][1]], lines["ko"][3:5])
    assert switch(ko, "ko") == ("switch_to_latin_en_in_thought", 4)
    es = respond(lines["es"][:2], [lines["es"][2], lines["es"][3] + ". " + lines["en"][0] + "."])
    assert switch(es, "es") == ("switch_to_latin_en_in_answer", 2)  # appended mid-line
    assert f.filter(es, "es") == (False, "switch_to_latin_en_in_answer")


def test_korean_inside_an_english_answer(lines):
    short_ko = min(lines["ko"], key=len)
    text = respond(lines["en"][:3], [lines["en"][3], short_ko, lines["en"][4]])
    assert switch(text, "en") == ("switch_to_hangul_in_answer", 2)


def test_korean_loanwords_and_variables_are_korean(lines):
    text = respond(
        [lines["ko"][0], "Python의 list comprehension을 사용하면 numpy 배열 없이도 계산할 수 있습니다."],
        ["따라서 f(x) = x^2 + 1 이고 답은 $\\boxed{5}$ 입니다."],
    )
    assert LanguageConsistencyFilter().filter(text, "ko") is True


def test_code_latex_asy_numbers_are_not_prose(examples, texts):
    row = next(
        json.loads(x) for x in (examples / "math/math_train.jsonl").read_text().splitlines() if "[asy]" in x
    )
    f = LanguageConsistencyFilter()
    assert f.check(respond([row["solution"]], ["The final answer is $\\boxed{3}$."]), "en")[0]  # was flagged
    code = "```python\n# 합계를 계산한다 (Korean comment)\ndef total(xs):\n    return sum(xs)\n```"
    assert (
        f.filter(
            respond([texts["en"]], [code, "$$\\text{합계} = 1,234 \\times 5$$", "12 + 7 = 19 ，。"]), "en"
        )
        is True
    )
    assert "합계" not in blank_non_prose(code + "\n$\\text{합계}$") and "print" not in prose("```print(1)```")
    assert f.filter("\\boxed{42}", "ko") is True  # nothing language-specific
    assert f.filter("", "ko") == (False, "empty")


def test_a_cut_off_thought_is_still_checked(lines, zh):
    text = "<think>\n" + "\n".join(lines["ko"][:2] + [zh[1]])  # never closed: no answer part at all
    assert switch(text, "ko") == ("switch_to_han_in_thought", 3)


@pytest.mark.parametrize("lang,script", [("ja", "kana"), ("ru", "cyrillic"), ("zh", "han")])
def test_other_scripts_in_an_english_thought(lines, lang, script):
    import importlib

    sentence = importlib.import_module(f"spacy.lang.{lang}.examples").sentences[1]
    text = respond([lines["en"][0], sentence, lines["en"][1]], [lines["en"][2]])
    assert switch(text, "en") == (f"switch_to_{script}_in_thought", 2)


def test_a_quoted_name_in_another_script_is_not_a_switch(lines):
    text = respond([lines["es"][0] + " El clan Chen (陳) vivía en Fujian."], [lines["es"][1]])
    assert LanguageConsistencyFilter().filter(text, "es") is True
