"""The checks every SFT builder shares: a filter result as a Verdict, the reasoning format, the response checks."""

from datamill.engine import Completion
from filters.degeneration import DegenerationFilter
from filters.length import LengthFilter
from generators.sft_checks import (
    first_completion,
    first_failure,
    reasoning_format,
    response_verdicts,
    to_verdict,
)
from schemas.chat_format import reasoning_and_answer


def test_a_filter_result_becomes_a_verdict_with_its_reason():
    looping = "The answer is 4. " * 40
    v = to_verdict("degeneration", DegenerationFilter().filter(looping, "stop"), checked="whole text")
    assert (v.verifier, v.passed, v.reason, v.details) == (
        "degeneration",
        False,
        "ngram_repetition",
        {"checked": "whole text"},
    )
    ok = to_verdict("length", LengthFilter().filter("<think>\nadd\n</think>\n\nIt is 4.", 12))
    assert (ok.passed, ok.reason, ok.details) == (True, "", {})
    assert first_failure([ok, v]) == "ngram_repetition" and first_failure([ok]) is None


def test_reasoning_format_says_what_is_missing():
    assert reasoning_format(
        *reasoning_and_answer("<think>\nthe census says"), need_reasoning=True
    ).reason == ("no_final_answer")
    assert (
        reasoning_format(*reasoning_and_answer("It is 4."), need_reasoning=True).reason == "missing_reasoning"
    )
    assert reasoning_format(*reasoning_and_answer("It is 4."), need_reasoning=False) is None
    assert reasoning_format(*reasoning_and_answer("<think>\nadd\n</think>\n\n4"), need_reasoning=True) is None


def test_response_checks_stop_at_the_first_failure():
    assert [v.reason for v in response_verdicts("<think>\nhalf a thought", "en", "length")] == ["truncated"]
    got = response_verdicts("서울은 대한민국의 수도입니다.", "en")
    assert [v.verifier for v in got] == ["degeneration", "language_consistency"] and not got[1].passed
    assert got[1].details == {"expected": "en"}


def test_a_backend_that_returned_nothing_gives_an_empty_error_completion():
    c = first_completion([])
    assert (c.text, c.finish_reason) == ("", "error")
    assert first_completion([Completion(text="x", finish_reason="stop")]).text == "x"
