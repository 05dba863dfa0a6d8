import json

import pytest

from datamill.tokens import count_tokens
from filters.length import LengthFilter


@pytest.fixture(scope="module")
def solution(examples):
    return json.loads((examples / "math" / "gsm8k_train.jsonl").read_text().splitlines()[0])["answer"]


def test_real_solution_fits(solution):
    n = count_tokens([solution])[0]
    assert n > 10
    assert LengthFilter().filter(solution, n) is True


def test_too_long_and_too_short(solution):
    n = count_tokens([solution])[0]
    assert LengthFilter(max_tokens=n - 1).filter(solution, n) == (False, "too_long")
    assert LengthFilter(min_tokens=n + 1, max_tokens=n + 10).filter(solution, n) == (False, "too_short")


def test_empty_answer_after_think(solution):
    text = f"<think>\n{solution}\n</think>\n\n "
    assert LengthFilter(min_answer_chars=2).filter(text, 50) == (False, "answer_too_short")
    with pytest.raises(ValueError, match="min_tokens"):
        LengthFilter(min_tokens=10, max_tokens=5)
