"""TranslationFilter: each reason on short inline texts, and behaviour on real human translations (XQuAD en→es)."""

from __future__ import annotations

import pytest

from filters.translation import TranslationFilter
from generators.knowledge.xquad import XQuADReader

SRC = "Compute $x^2 + 3x$ for x = 12 using `pow(x, 2)`, then email {name} at 5 pm."
GOOD_KO = (
    "`pow(x, 2)`를 사용해 x = 12일 때 $x^2 + 3x$를 계산한 다음, 오후 5시에 {name}에게 이메일을 보내세요."
)


@pytest.mark.parametrize(
    ("translation", "reason"),
    [
        ("", "empty"),
        (
            "pow(x, 2)를 사용해 x = 12일 때 $x^2 + 3x$를 계산한 다음, 오후 5시에 {name}에게 이메일을 보내세요.",
            "code_not_preserved",
        ),
        (
            "`pow(x, 2)`를 사용해 x = 12일 때 x제곱 더하기 3x를 계산한 다음, 오후 5시에 {name}에게 보내세요.",
            "code_not_preserved",
        ),
        (
            "`pow(x, 2)`를 사용해 x = 12일 때 $x^2 + 3x$를 계산한 다음, 오후 5시에 이름에게 이메일을 보내세요.",
            "placeholder_missing",
        ),
        (
            "`pow(x, 2)`를 사용해 x = 열둘일 때 $x^2 + 3x$를 계산한 다음, 오후 5시에 {name}에게 이메일을 보내세요.",
            "number_missing",
        ),
        (
            GOOD_KO + " 참고로 이 계산은 학교에서 배운 방법과 같으며 다른 방법도 많이 있습니다." * 3,
            "length_ratio",
        ),
    ],
)
def test_each_reason(translation, reason):
    assert TranslationFilter().filter(SRC, translation, "ko") == (False, reason)


def test_untranslated_sentence_is_caught():
    src = "The river floods every spring. Farmers plant rice on the banks after the water goes down again."
    half = "강은 매년 봄에 범람합니다. Farmers plant rice on the banks after the water goes down again."
    assert TranslationFilter().filter(src, half, "ko") == (False, "untranslated_span")
    full = "강은 매년 봄에 범람합니다. 물이 다시 빠지면 농부들은 강둑에 벼를 심습니다."
    assert TranslationFilter().filter(src, full, "ko") is True


def test_good_translation_passes_and_number_formats_are_equivalent():
    f = TranslationFilter()
    assert f.filter(SRC, GOOD_KO, "ko") is True
    assert (
        f.filter(
            "Out of 711,988 inhabitants 56.2% were Catholics.",
            "De sus 711 988 habitantes, el 56,2 % eran católicos.",
            "es",
        )
        is True
    )
    # money is not math: "$5 and $6" must not be required verbatim
    assert f.filter("It costs $5 and $6 per month.", "Cuesta 5 y 6 dólares al mes.", "es") is True
    # a run of names kept as written is not "untranslated"
    assert (
        f.filter(
            "Teams include the NFL (Los Angeles Rams, San Diego Chargers, Los Angeles Chargers Club) today.",
            "Entre los equipos está la NFL (Los Angeles Rams, San Diego Chargers, Los Angeles Chargers Club) hoy.",
            "es",
        )
        is True
    )


def test_real_human_translations_mostly_pass(examples):
    """XQuAD's professional translations keep numbers, code and length: almost all pass; the ones that fail
    spell a number out or reformat it (e.g. '4:51' → '4 min 51 s'), which the strict check is meant to flag."""
    en = XQuADReader(examples / "spanish/xquad.en.json", "en").read()
    es = XQuADReader(examples / "spanish/xquad.es.json", "es").read()
    assert [a.qid for a in en] == [b.qid for b in es]
    f = TranslationFilter()
    results = [f.filter(a.question, b.question, "es") for a, b in zip(en, es)]
    assert sum(r is True for r in results) / len(results) >= 0.95
    contexts = {a.context: b.context for a, b in zip(en, es)}
    failures = {r[1] for s, t in contexts.items() if (r := f.filter(s, t, "es")) is not True}
    assert failures <= {"number_missing"}
    assert f.filter(contexts[next(c for c in contexts if "4:51" in c)], "", "es") == (False, "empty")
