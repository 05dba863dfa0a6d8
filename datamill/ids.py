"""The one id policy: run ids and sample ids (docs/ARCHITECTURE.md, "Ids").

- A run id is `cfg-<sha256 of the config that shapes the output>[:10]` unless the user names one: the same config
  re-run resumes the same run; keys that only say how to execute (workers, executor) are left out.
- A sample id is `sha256(dataset|run_id|content key…)[:24]`: deterministic (a killed job re-run writes the same
  ids, so nothing is duplicated), and scoped by dataset and run (a second run of the same seeds under a new run id
  gets ids of its own instead of colliding in the catalog).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

ID_HEX = 24  # 96 bits: a collision among 10^9 samples has probability ~6e-12 (birthday bound n²/2^97)
RUN_HEX = 10


def digest(*parts: object) -> str:
    """sha256 hex of the parts joined with '|' (the separator of every id here)."""
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()


def sample_id(dataset: str, run_id: str, *key: object) -> str:
    """The id of one sample of `dataset`/`run_id`; `key` names its content (seed id, mode, response index …)."""
    if not dataset or not run_id:
        raise ValueError(f"sample ids need a dataset and a run id (got {dataset!r}, {run_id!r})")
    return digest(dataset, run_id, *key)[:ID_HEX]


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()


def run_id_for(config: dict, execution_keys: Iterable[str] = ()) -> str:
    """`cfg-<hash>` of the config without `run_id` itself and without the keys that only say how to execute
    (dotted for nested keys: "limits.code_workers")."""
    return "cfg-" + config_hash(_without(config, {"run_id", *execution_keys}))[:RUN_HEX]


def with_run_id(cfg, execution_keys: Iterable[str] = ()):
    """A job config (pydantic, with a `run_id` field) whose run_id is set: the user's, else `run_id_for` it."""
    if cfg.run_id:
        return cfg
    return cfg.model_copy(update={"run_id": run_id_for(cfg.model_dump(mode="json"), execution_keys)})


def _without(config: dict, keys: set[str], prefix: str = "") -> dict:
    out = {}
    for k, v in config.items():
        path = prefix + k
        if path in keys:
            continue
        out[k] = _without(v, keys, path + ".") if isinstance(v, dict) else v
    return out
