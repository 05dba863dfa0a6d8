"""SFT and preference generators — the one list of what exists: `GENERATORS`, kind → job.

A job is `job(kind, config_path, store) -> JobReport | list[JobReport]`: the `run` of one package's `job.py`
(`datamill generate KIND CONFIG` and the demo call it). Each job module is imported on its job's first call, so
`import generators` pulls neither torch, transformers nor vLLM, and `datamill generate math` imports only the
reasoning job (the job modules themselves keep those libraries inside the code that needs them).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datamill.jobs import JobReport
    from datamill.store import Store


@dataclass(frozen=True)
class GeneratorJob:
    """The `run` function of `module`, imported when the job is first called."""

    module: str

    def __call__(self, kind: str, config_path: str, store: Store) -> JobReport | list[JobReport]:
        return importlib.import_module(self.module).run(kind, config_path, store)


_REASONING = GeneratorJob("generators.reasoning.job")  # math, code and logic: one job, three seed sets

GENERATORS: dict[str, GeneratorJob] = {
    "math": _REASONING,
    "code": _REASONING,
    "logic": _REASONING,
    "knowledge": GeneratorJob("generators.knowledge.job"),
    "multilingual": GeneratorJob("generators.multilingual.job"),
    "long-context": GeneratorJob("generators.long_context.job"),
    "tool-use": GeneratorJob("generators.tool_use.job"),
    "preference": GeneratorJob("generators.preference.job"),
}
