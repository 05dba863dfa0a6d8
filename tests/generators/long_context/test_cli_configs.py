"""The shipped configs validate, and `datamill niah` / `datamill generate long-context` run through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from datamill.cli import main
from datamill.config import ConfigError, load_config
from generators.long_context.config import LongContextConfig, NiahConfig

CONFIGS = Path(__file__).resolve().parents[3] / "configs"


def test_shipped_configs_validate():
    lc = load_config(CONFIGS / "long_context.yaml", LongContextConfig)
    assert lc.lengths == [1024, 2048, 4096] and lc.engine.backend == "none"
    niah = load_config(CONFIGS / "niah.yaml", NiahConfig)
    assert niah.depths.values(0) == [0.0, 25.0, 50.0, 75.0, 100.0]


def test_bad_length_names_the_field(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("lengths: [4K, lots]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad.yaml:\d+: lengths: .*bad length 'lots'"):
        load_config(p, LongContextConfig)


def test_cli_niah_with_answers(tmp_path, capsys):
    cfg = {
        "out": str(tmp_path / "out"),
        "lengths": [256],
        "languages": ["es"],
        "prefer_shared_data": False,
        "depths": {"mode": "random", "count": 2},
    }
    p = tmp_path / "niah.yaml"
    p.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    assert main(["--store", str(tmp_path / "store"), "niah", str(p)]) == 0  # nothing to score: says so
    rows = [json.loads(x) for x in (tmp_path / "out" / "niah_eval.jsonl").read_text().splitlines()]
    ans = tmp_path / "a.jsonl"
    ans.write_text("".join(json.dumps({"id": r["id"], "answer": r["expected"][0]}) + "\n" for r in rows))
    assert main(["--store", str(tmp_path / "store"), "niah", str(p), "--answers", str(ans)]) == 0
    grid = json.loads((tmp_path / "out" / "niah_grid.json").read_text())
    assert grid["green"] and len(grid["depths"]) == 2 and "green: True" in capsys.readouterr().out


def test_cli_generate_long_context(tmp_path):
    cfg = {
        "lengths": [300],
        "languages": ["en"],
        "tasks": ["niah"],
        "depths": {"count": 2},
        "prefer_shared_data": False,
    }
    p = tmp_path / "lc.yaml"
    p.write_text(yaml.safe_dump(cfg), encoding="utf-8")
    assert main(["--store", str(tmp_path / "store"), "generate", "long-context", str(p)]) == 0
    assert list((tmp_path / "store" / "long_context").glob("*/_coverage.json"))
