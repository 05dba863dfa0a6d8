"""generators.GENERATORS: the one list of generator jobs, used by `datamill generate` and the demo."""

from __future__ import annotations

import importlib
import inspect
import subprocess
import sys
import types
from pathlib import Path

import pytest

import generators
from datamill.commands import generate as generate_command
from datamill.demo import GENERATE_STEPS
from generators import GENERATORS, GeneratorJob

HEAVY = ("torch", "transformers", "vllm")
REPO = Path(__file__).resolve().parents[2]


def test_importing_generators_pulls_no_model_library():
    code = f"import sys, generators; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    ).stdout
    assert out.strip() == "[]", f"import generators loaded {out.strip()}"


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_every_kind_names_a_job_module_with_run(kind):
    run = importlib.import_module(GENERATORS[kind].module).run
    assert list(inspect.signature(run).parameters) == ["kind", "config_path", "store"], GENERATORS[
        kind
    ].module


def test_a_job_imports_its_module_on_the_first_call_and_forwards_the_arguments(monkeypatch):
    calls = []
    fake = types.ModuleType("fake_generator_job")
    fake.run = lambda kind, config_path, store: calls.append((kind, config_path, store)) or "report"
    monkeypatch.setitem(sys.modules, "fake_generator_job", fake)
    assert GeneratorJob("fake_generator_job")("math", "configs/math.yaml", "store") == "report"
    assert calls == [("math", "configs/math.yaml", "store")]


def test_the_cli_and_the_demo_read_the_same_list(capsys):
    assert generate_command.HELP.endswith(": " + "|".join(GENERATORS) + ".")
    import argparse

    p = argparse.ArgumentParser()
    generate_command.add_arguments(p)
    with pytest.raises(SystemExit):
        p.parse_args(["not-a-kind", "x.yaml"])
    assert "invalid choice: 'not-a-kind'" in capsys.readouterr().err
    assert {k for k, _ in GENERATE_STEPS} <= set(GENERATORS)
    assert (
        generators.GENERATORS["math"] is generators.GENERATORS["logic"]
    )  # one reasoning job, three seed sets
