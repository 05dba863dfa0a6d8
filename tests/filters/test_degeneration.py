import json

from filters.degeneration import DegenerationFilter, ngram_stats


def _gsm8k(examples, n=3):
    lines = (examples / "math" / "gsm8k_train.jsonl").read_text().splitlines()[:n]
    return [json.loads(x) for x in lines]


def test_real_reference_solution_passes(examples):
    f = DegenerationFilter()
    for row in _gsm8k(examples):
        text = (
            f"<think>\n{row['answer']}\n</think>\n\nThe answer is {row['answer'].split('####')[-1].strip()}."
        )
        assert f.filter(text) is True


def test_truncated_by_length_and_unclosed_think(examples):
    f = DegenerationFilter()
    sol = _gsm8k(examples, 1)[0]["answer"]
    assert f.filter(sol, finish_reason="length") == (False, "truncated")
    assert f.filter("<think>\n" + sol) == (False, "truncated")


def test_loop_is_ngram_repetition(examples):
    sol = _gsm8k(examples, 1)[0]["answer"]
    looped = "<think>" + sol + " Wait, let me recompute the total once more to be sure." * 60 + "</think> 72"
    assert DegenerationFilter().filter(looped) == (False, "ngram_repetition")


def test_repetition_ratio_without_single_hot_ngram(examples):
    sol = _gsm8k(examples, 1)[0]["answer"]
    text = (
        sol + "\n"
    ) * 5  # the whole answer restated 5 times: few repeats per n-gram, but most positions repeat
    top, ratio = ngram_stats(text, 20)
    assert top <= 20 and ratio > 0.3
    assert DegenerationFilter().filter(text) == (False, "repetition_ratio")


def test_no_answer_after_think_and_empty():
    f = DegenerationFilter()
    assert f.filter("<think>\nJanet has 16 eggs and eats 3.\n</think>\n  ") == (
        False,
        "no_answer_after_think",
    )
    assert f.filter("   ") == (False, "empty")
    assert DegenerationFilter(require_answer_after_think=False).filter("<think>x</think>") is True


def test_cjk_loop_uses_characters(examples):
    text = "정답은 무엇인가" * 200  # no spaces: character n-grams catch the loop
    assert DegenerationFilter().filter(text) == (False, "ngram_repetition")
