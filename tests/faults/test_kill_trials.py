"""SIGKILL at random moments of curate / generate / mix / export / train, ten trials each; every re-run must
finish with outputs identical to an uninterrupted run (same sample ids and shard checksums, same manifest, same
packed arrays, same trained weights), no duplicates and `datamill check` clean."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tests.faults.harness import REPO, datamill_cmd, file_digest, kill_trials, run, store_fingerprint

pytestmark = pytest.mark.slow
EXAMPLES = REPO / "examples" / "data"
TRIALS = 10


def _write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


CURATE = {
    "dataset": "web_fault",
    "executor": "local",
    "tasks": 2,
    "workers": 2,
    "inputs": [
        {"path": str(EXAMPLES / "web" / "html"), "format": "html", "glob": "[a-l]*.html"},
        {"path": str(EXAMPLES / "web" / "warc"), "format": "warc"},
    ],
    "languages": {"min_scores": {"en": 0.65, "es": 0.65, "ko": 0.65}},
    "edu": {"threshold": 0.0},
    "dedup": {"shards": 2},
    "decontam": {"benchmarks": ["gsm8k", "mbpp"]},
}
MATH = {
    "domain": "math",
    "dataset": "sft_math_fault",
    "run_id": "v1",
    "engine": {"backend": "none"},
    "sources": [
        {"name": "gsm8k", "data": "examples", "limit": 80},
        {"name": "math", "data": "examples", "limit": 40},
    ],
    "modes": ["reasoning", "non_reasoning"],
    "limits": {"math_workers": 1},
    "chunk_size": 12,
}
MIX = {
    "name": "fault",
    "seed": 7,
    "reasoning_ratio": 1.5,
    "on_shortfall": "warn",
    "components": [
        {
            "name": "math",
            "select": {"kind": ["sft"], "domain": ["math"], "passed": True},
            "token_budget": 20000,
        },
        {
            "name": "tools",
            "select": {"kind": ["sft"], "domain": ["tool_use"], "passed": True},
            "token_budget": 12000,
            "epochs": 2,
        },
    ],
}


def test_curate_survives_sigkill(tmp_path):
    def prepare(work: Path):
        _write(work / "curate.yaml", CURATE)

    rep = kill_trials(
        "curate",
        prepare,
        datamill_cmd("--store", "store", "curate", "curate.yaml"),
        lambda w: store_fingerprint(w / "store"),
        tmp_path,
        trials=TRIALS,
    )
    assert rep.trials == TRIALS and rep.killed_mid_run >= TRIALS // 2, rep.line()


def test_generate_survives_sigkill(tmp_path):
    def prepare(work: Path):
        _write(work / "math.yaml", MATH)

    rep = kill_trials(
        "generate math",
        prepare,
        datamill_cmd("--store", "store", "generate", "math", "math.yaml"),
        lambda w: store_fingerprint(w / "store"),
        tmp_path,
        trials=TRIALS,
    )
    assert rep.trials == TRIALS and rep.killed_mid_run >= TRIALS // 2, rep.line()


@pytest.fixture(scope="module")
def base_store(tmp_path_factory) -> Path:
    """A real store to mix from: verified GSM8K/MATH references + tool-use trajectories and BFCL seeds."""
    base = tmp_path_factory.mktemp("base")
    run(datamill_cmd("--store", "store", "generate", "math", str(_write(base / "math.yaml", MATH))), base)
    run(
        datamill_cmd("--store", "store", "generate", "tool-use", str(REPO / "configs" / "tool_use.yaml")),
        base,
    )
    _write(base / "mix.yaml", MIX)
    return base


def _copy_base(base: Path, work: Path, with_manifest: bool = False) -> None:
    shutil.copytree(base / "store", work / "store")
    shutil.copy(base / "mix.yaml", work / "mix.yaml")
    if with_manifest:
        shutil.copytree(base / "mix", work / "mix")


def test_mix_survives_sigkill(tmp_path, base_store):
    rep = kill_trials(
        "mix",
        lambda w: _copy_base(base_store, w),
        datamill_cmd("--store", "store", "mix", "mix.yaml", "--out", "mix"),
        lambda w: file_digest(w / "mix" / "manifest.json"),
        tmp_path,
        trials=TRIALS,
    )
    assert rep.trials == TRIALS, rep.line()


@pytest.fixture(scope="module")
def mixed_store(base_store) -> Path:
    if not (base_store / "mix" / "manifest.json").exists():
        run(datamill_cmd("--store", "store", "mix", "mix.yaml", "--out", "mix"), base_store)
    return base_store


def _export_digest(work: Path) -> str:
    out = work / "export"
    packed = sorted((out / "packed").glob("*"))
    return file_digest(*packed, out / "chat.jsonl", out / "chat.parquet")


def test_export_survives_sigkill(tmp_path, mixed_store):
    rep = kill_trials(
        "export",
        lambda w: _copy_base(mixed_store, w, with_manifest=True),
        datamill_cmd(
            "--store", "store", "export", "mix/manifest.json", "--out", "export", "--seq-len", "1024"
        ),
        _export_digest,
        tmp_path,
        trials=TRIALS,
    )
    assert rep.trials == TRIALS, rep.line()


def test_train_survives_sigkill(tmp_path, mixed_store):
    packed = tmp_path / "packed_src"
    run(
        datamill_cmd(
            "--store",
            "store",
            "export",
            "mix/manifest.json",
            "--out",
            str(packed),
            "--seq-len",
            "256",
            "--formats",
            "packed",
        ),
        mixed_store,
    )
    cfg = yaml.safe_load((REPO / "configs" / "train" / "demo.yaml").read_text())
    cfg.update(
        {
            "data": str(packed / "packed"),
            "out_dir": "run",
            "max_steps": 40,
            "ckpt_every": 4,
            "eval_every": 20,
            "log_every": 10,
            "keep_ckpts": 1,
        }
    )

    def prepare(work: Path):
        _write(work / "train.yaml", cfg)

    def digest(work: Path) -> str:
        return file_digest(*sorted((work / "run" / "hf").glob("*.safetensors")))

    rep = kill_trials("train", prepare, datamill_cmd("train", "train.yaml"), digest, tmp_path, trials=TRIALS)
    assert rep.trials == TRIALS and rep.killed_mid_run >= TRIALS // 2, rep.line()
