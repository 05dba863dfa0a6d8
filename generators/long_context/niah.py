"""NIAH evaluation over the length × depth grid: build the set, answer it (engine or an answers JSONL), score
RULER-style (fraction of needle values found, case-insensitive substring) per cell, write niah_grid.json."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from pathlib import Path

from datamill.atomic import atomic_write_text
from datamill.readers import iter_jsonl_errors
from generators.long_context.config import NiahConfig, length_bucket
from generators.long_context.generator import LongContextGenerator, Spec
from generators.verify.answers import contains_answer

log = logging.getLogger(__name__)


def ruler_score(answer: str, expected: list[str]) -> float:
    """RULER string-match: share of expected values that occur in the answer (case-insensitive substring), both
    sides in the answer layer's text form (NFKC, so full-width digits count; `1,234,567` = `1234567`)."""
    if not expected:
        raise ValueError("nothing to score: expected values are empty")
    return sum(contains_answer(answer or "", v) for v in expected) / len(expected)


def build_eval_set(cfg: NiahConfig, gen: LongContextGenerator) -> list[dict]:
    """One item per (language, length, depth, sample): prompt messages (no answer) + expected values."""
    items = []
    for lang in cfg.languages:
        for length in cfg.lengths:
            for depth in cfg.depths.values(cfg.seed):
                for i in range(cfg.samples_per_cell):
                    spec = Spec(lang, length, "niah", depth, i, cfg.needle_kind)
                    s = gen.build(spec, dataset="niah_eval")
                    expected = [n["value"] for n in s.metadata["needles"] if n["query"]]
                    items.append(
                        {
                            "id": s.id,
                            "language": lang,
                            "length": length_bucket(length),
                            "length_tokens": length,
                            "depth": depth,
                            "expected": expected,
                            "messages": [m.model_dump(exclude_defaults=True) for m in s.messages[:-1]],
                            "needles": s.metadata["needles"],
                        }
                    )
    return items


def read_answers(path: str | Path) -> tuple[dict[str, str], list[str]]:
    """JSONL of {"id", "answer"} → ({id: answer}, errors naming file:line); bad lines are skipped."""
    answers, errors = {}, []
    for n, row in iter_jsonl_errors(path, errors):
        if "id" not in row or "answer" not in row:
            errors.append(f"{path}:{n}: skipped (needs 'id' and 'answer')")
            continue
        answers[str(row["id"])] = str(row["answer"])
    return answers, errors


def score_grid(items: list[dict], answers: dict[str, str], model: str, threshold: float) -> dict:
    """Per (length, depth, language) mean score over the items that have an answer; green = every cell passes."""
    acc: dict[tuple, list[float]] = defaultdict(list)
    for it in items:
        if it["id"] in answers:
            acc[(it["length"], it["depth"], it["language"])].append(
                ruler_score(answers[it["id"]], it["expected"])
            )
    lengths = list(dict.fromkeys(it["length"] for it in items))
    depths = list(dict.fromkeys(it["depth"] for it in items))
    langs = list(dict.fromkeys(it["language"] for it in items))
    cells = []
    for ln in lengths:
        for d in depths:
            for lg in langs:
                sc = acc.get((ln, d, lg), [])
                cells.append(
                    {
                        "length": ln,
                        "depth": d,
                        "language": lg,
                        "n": len(sc),
                        "score": round(sum(sc) / len(sc), 4) if sc else None,
                    }
                )
    green = bool(cells) and all(c["n"] and c["score"] >= threshold for c in cells)
    return {
        "model": model,
        "lengths": lengths,
        "depths": depths,
        "languages": langs,
        "threshold": threshold,
        "cells": cells,
        "green": green,
    }


def grid_table(grid: dict) -> str:
    """Rows: length × language; columns: depths; score per cell ('-' = not scored)."""
    head = f"{'length':>7} {'lang':>4} | " + " ".join(f"{d:>6g}" for d in grid["depths"])
    by = {(c["length"], c["depth"], c["language"]): c["score"] for c in grid["cells"]}
    lines = [head, "-" * len(head)]
    for ln in grid["lengths"]:
        for lg in grid["languages"]:
            vals = [by.get((ln, d, lg)) for d in grid["depths"]]
            lines.append(
                f"{ln:>7} {lg:>4} | " + " ".join("     -" if v is None else f"{v:>6.2f}" for v in vals)
            )
    lines.append(f"green: {grid['green']} (threshold {grid['threshold']})")
    return "\n".join(lines)


def run_niah(cfg: NiahConfig, store_root: str | Path | None = None) -> dict | None:
    """Build → (answer) → score. Returns the grid, or None when there is nothing to score with."""
    from datamill.engine.base import SamplingParams
    from datamill.engine.factory import make_engine
    from generators.long_context.job import make_generator
    from schemas import Message

    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    gen = make_generator(cfg, None)
    items = build_eval_set(cfg, gen)
    atomic_write_text(
        out / "niah_eval.jsonl", "".join(json.dumps(it, ensure_ascii=False) + "\n" for it in items)
    )
    log.info(f"niah: wrote {len(items)} items to {out / 'niah_eval.jsonl'}")
    if cfg.answers:
        answers, errors = read_answers(cfg.answers)
        for e in errors:
            log.info(e)
        missing = sum(it["id"] not in answers for it in items)
        log.info(
            f"niah: {len(answers)} answers from {cfg.answers} ({missing} items without an answer, "
            f"{len(errors)} bad lines)"
        )
        model = f"answers:{Path(cfg.answers).name}"
    else:
        cache = Path(store_root) / "_cache" / "completions" if store_root else out / "_cache"
        engine = make_engine(cfg.engine, default_cache_dir=cache)
        if engine is None:
            log.info(
                "niah: no engine configured and no answers file: scoring needs a model "
                "(set engine.backend, or pass --answers FILE.jsonl with {id, answer} rows)"
            )
            return None
        params = SamplingParams(
            temperature=0.0, max_tokens=cfg.max_new_tokens, seed=cfg.seed, reasoning=False
        )
        prompts = [[Message(**m) for m in it["messages"]] for it in items]
        comps = engine.generate(prompts, params)
        answers = {it["id"]: (c[0].text if c else "") for it, c in zip(items, comps)}
        atomic_write_text(
            out / "niah_answers.jsonl",
            "".join(
                json.dumps({"id": k, "answer": v}, ensure_ascii=False) + "\n" for k, v in answers.items()
            ),
        )
        model = engine.model_name
    grid = score_grid(items, answers, model, cfg.threshold)
    atomic_write_text(out / "niah_grid.json", json.dumps(grid, ensure_ascii=False, indent=1))
    log.info(grid_table(grid))
    log.info(f"niah: wrote {out / 'niah_grid.json'}")
    return grid
