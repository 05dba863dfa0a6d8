"""Config builders shared by the curation tests (real inputs from examples/data)."""

from __future__ import annotations

from pathlib import Path

import yaml

from datamill.demo_data import EXAMPLES, REPO_ROOT


def demo_config(**overrides) -> dict:
    cfg = yaml.safe_load((REPO_ROOT / "configs" / "curate_demo.yaml").read_text())
    for inp in cfg["inputs"]:
        inp["path"] = str(REPO_ROOT / inp["path"])
    cfg.update(workers=1)  # in-process: the test process keeps its loaded models between runs
    cfg["decontam"]["data_roots"] = [str(EXAMPLES)]
    cfg.update(overrides)
    return cfg


def write_config(tmp: Path, cfg: dict, name: str = "curate.yaml") -> str:
    p = Path(tmp) / name
    p.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return str(p)
