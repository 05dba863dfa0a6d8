"""Seed readers on the embedded real sample: counts, ground truth, bad rows reported with file:line."""

import json

import pytest

from generators.seeds import SeedSourceConfig, load_seeds
from generators.seeds.math_seeds import worked_answer
from generators.verify.answers import last_boxed
from schemas import SeedProblem, records_from_arrow, records_to_arrow


@pytest.mark.parametrize(
    "name,count", [("gsm8k", 200), ("math", 150), ("mbpp", 427), ("mbppplus", 25), ("humaneval", 164)]
)
def test_every_row_of_the_sample_becomes_a_seed(name, count):
    seeds, errors = load_seeds(SeedSourceConfig(name=name))
    assert (len(seeds), errors) == (count, [])
    assert len({s.id for s in seeds}) == count
    assert all(s.reference_solution for s in seeds)
    if name in ("gsm8k", "math"):
        assert all(s.ground_truth for s in seeds)
    else:
        assert all(s.tests for s in seeds)


def test_gsm8k_fields(examples):
    s = load_seeds(SeedSourceConfig(name="gsm8k", limit=1))[0][0]
    row = json.loads((examples / "math" / "gsm8k_train.jsonl").read_text().splitlines()[0])
    assert s.question == row["question"] and s.ground_truth == "72" and "<<" not in s.reference_solution
    assert s.reference_solution.endswith("$\\boxed{72}$.") and s.source == "gsm8k_train.jsonl:1"


def test_worked_answer_is_independent_of_the_hash_line():
    work = "He scored 48 + 16 = <<48+16=64>>64 points."
    assert worked_answer(work, "64") == "64"
    assert worked_answer(work, "66") == "64"  # the contradiction GSM8K train #357 really has
    assert worked_answer("So she pays $100 000.", "100000") == "100000"


def test_last_boxed_balances_braces():
    assert last_boxed("so $\\boxed{\\frac{1}{2}}$ and then \\boxed{x^{2}}") == "x^{2}"
    assert last_boxed("no box") is None


def test_bad_rows_are_reported_with_position(tmp_path, examples):
    lines = (examples / "math" / "gsm8k_train.jsonl").read_text().splitlines()[:2]
    f = tmp_path / "g.jsonl"
    f.write_text(
        lines[0] + "\n{broken\n" + json.dumps({"question": "q", "answer": "no hash"}) + "\n" + lines[1]
    )
    seeds, errors = load_seeds(SeedSourceConfig(name="gsm8k", path=str(f)))
    assert [s.id for s in seeds] == ["gsm8k:train:1", "gsm8k:train:4"]
    assert len(errors) == 2
    assert errors[0].startswith(f"{f}:2: malformed_json: Expecting property name enclosed in double quotes")
    assert errors[1] == f"{f}:3: GSM8K row without question / '#### answer'"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_seeds(SeedSourceConfig(name="math", path=str(tmp_path / "nope.jsonl")))


def test_reasoning_gym_is_reproducible_and_unknown_task_reported():
    a, _ = load_seeds(SeedSourceConfig(name="reasoning_gym", tasks=["syllogism"], limit=3, seed=7))
    b, errs = load_seeds(
        SeedSourceConfig(name="reasoning_gym", tasks=["syllogism", "no_such_task"], limit=3, seed=7)
    )
    assert [s.question for s in a] == [s.question for s in b[:3]]
    assert len(b) == 3 and errs and errs[0].startswith("reasoning_gym:no_such_task: cannot build")


def test_seed_problem_arrow_round_trip():
    seeds = load_seeds(SeedSourceConfig(name="humaneval", limit=2))[0]
    back = records_from_arrow(records_to_arrow(seeds, SeedProblem), SeedProblem)
    assert back == seeds
