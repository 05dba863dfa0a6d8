"""RULER scorer on canned answers, grid aggregation, the answers-file and engine paths of `datamill niah`."""

from __future__ import annotations

import json

import pytest

from datamill.engine.base import SamplingParams, prompt_id
from generators.long_context.config import NiahConfig
from generators.long_context.niah import read_answers, ruler_score, run_niah, score_grid
from schemas import Message


def test_ruler_score_is_case_insensitive_substring_fraction():
    assert ruler_score("The numbers are 1234567 and 7654321.", ["1234567", "7654321"]) == 1.0
    assert ruler_score("only 1234567", ["1234567", "7654321", "9999999"]) == pytest.approx(1 / 3)
    assert ruler_score("The word is APPLE", ["apple"]) == 1.0
    assert ruler_score("", ["apple"]) == 0.0
    with pytest.raises(ValueError, match="expected values are empty"):
        ruler_score("x", [])


def _items():
    return [
        {"id": f"{ln}-{d}", "length": ln, "depth": d, "language": "en", "expected": [f"v{ln}{d}"]}
        for ln in ("1K", "2K")
        for d in (0.0, 100.0)
    ]


def test_score_grid_green_only_when_every_cell_passes():
    items = _items()
    right = {it["id"]: f"answer: V{it['length']}{it['depth']}" for it in items}
    grid = score_grid(items, right, "canned", 0.9)
    assert grid["green"] and [c["score"] for c in grid["cells"]] == [1.0] * 4
    wrong_one = dict(right, **{"2K-100.0": "no idea"})
    grid = score_grid(items, wrong_one, "canned", 0.9)
    assert not grid["green"]
    assert next(c for c in grid["cells"] if c["length"] == "2K" and c["depth"] == 100.0)["score"] == 0.0
    missing = {k: v for k, v in right.items() if k != "1K-0.0"}
    grid = score_grid(items, missing, "canned", 0.9)
    cell = next(c for c in grid["cells"] if c["length"] == "1K" and c["depth"] == 0.0)
    assert (cell["n"], cell["score"], grid["green"]) == (0, None, False)


def test_read_answers_skips_bad_lines_naming_file_and_line(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"id": "x", "answer": "1"}\nnot json\n{"answer": "no id"}\n', encoding="utf-8")
    answers, errors = read_answers(p)
    assert answers == {"x": "1"}
    assert errors[0].startswith(f"{p}:2: malformed_json") and errors[1].startswith(f"{p}:3: skipped")


def _cfg(tmp_path, **kw) -> NiahConfig:
    return NiahConfig(
        out=str(tmp_path / "out"),
        lengths=[512, 1024],
        languages=["en", "es"],
        depths={"mode": "grid", "count": 3},
        prefer_shared_data=False,
        **kw,
    )


def test_no_engine_no_answers_writes_eval_set_and_says_so(tmp_path, caplog):
    caplog.set_level("INFO")  # the job's messages are INFO log records
    assert run_niah(_cfg(tmp_path)) is None
    rows = [json.loads(x) for x in (tmp_path / "out" / "niah_eval.jsonl").read_text().splitlines()]
    assert len(rows) == 2 * 2 * 3 and {r["depth"] for r in rows} == {0.0, 50.0, 100.0}
    assert all(r["expected"][0] in r["messages"][1]["content"] for r in rows)
    assert "scoring needs a model" in caplog.text
    assert not (tmp_path / "out" / "niah_grid.json").exists()


def test_offline_answers_file_scores_per_cell(tmp_path):
    run_niah(_cfg(tmp_path))
    rows = [json.loads(x) for x in (tmp_path / "out" / "niah_eval.jsonl").read_text().splitlines()]
    ans = tmp_path / "answers.jsonl"
    # a canned "model" that finds the needle only in the first half of the context
    ans.write_text(
        "".join(
            json.dumps({"id": r["id"], "answer": r["expected"][0] if r["depth"] < 50 else "?"}) + "\n"
            for r in rows
        ),
        encoding="utf-8",
    )
    grid = run_niah(_cfg(tmp_path, answers=str(ans)))
    saved = json.loads((tmp_path / "out" / "niah_grid.json").read_text())
    assert saved == grid and saved["model"] == "answers:answers.jsonl" and saved["green"] is False
    assert {c["score"] for c in saved["cells"] if c["depth"] == 0.0} == {1.0}
    assert {c["score"] for c in saved["cells"] if c["depth"] >= 50.0} == {0.0}
    assert saved["lengths"] == ["512", "1K"] and saved["depths"] == [0.0, 50.0, 100.0]


def test_engine_path_with_canned_backend(tmp_path):
    run_niah(_cfg(tmp_path))
    rows = [json.loads(x) for x in (tmp_path / "out" / "niah_eval.jsonl").read_text().splitlines()]
    canned = tmp_path / "canned.jsonl"
    with canned.open("w") as f:
        for r in rows:  # canned outputs keyed by the rendered prompt (non-reasoning), all correct
            pid = prompt_id([Message(**m) for m in r["messages"]], reasoning=False)
            f.write(json.dumps({"prompt_id": pid, "outputs": [f"It is {r['expected'][0]}."]}) + "\n")
    cfg = _cfg(tmp_path, engine={"backend": "canned", "canned_path": str(canned), "model": "canned-niah"})
    grid = run_niah(cfg, tmp_path / "store")
    assert grid["green"] and grid["model"] == "canned-niah" and all(c["n"] == 1 for c in grid["cells"])
    assert (tmp_path / "out" / "niah_answers.jsonl").exists()
    assert SamplingParams(reasoning=False).reasoning is False
