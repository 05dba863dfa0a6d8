"""Config errors name every problem with its file and line (issue #20 item 17: only the first pydantic error was
shown, so a user fixed one mistake per run)."""

from __future__ import annotations

import pytest

from datamill.cli import main
from datamill.config import ConfigError, load_config
from generators.reasoning.config import ReasoningJobConfig

BAD = """\
domain: mathh
dataset: sft_math
sources:
  - {name: gsm8k, limit: -3}
n_responses: 0
engine: {backend: none}
bogus: 1
"""


def test_every_problem_is_reported_with_its_line(tmp_path):
    path = tmp_path / "math.yaml"
    path.write_text(BAD)
    with pytest.raises(ConfigError) as err:
        load_config(path, ReasoningJobConfig)
    lines = str(err.value).splitlines()
    assert lines[0] == f"{path}: 4 problems:"
    assert lines[1:] == [
        f"  {path}:1: domain: Input should be 'math', 'code' or 'logic'",
        f"  {path}:4: sources.0.limit: Input should be greater than or equal to 1",
        f"  {path}:5: n_responses: Input should be greater than or equal to 1",
        f"  {path}:7: bogus: Extra inputs are not permitted",
    ]


def test_a_missing_key_is_reported_where_its_parent_is(tmp_path):
    path = tmp_path / "math.yaml"
    path.write_text("domain: math\nsources:\n  - {limit: 3}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path, ReasoningJobConfig)
    text = str(err.value)
    assert f"{path}: dataset: Field required" in text  # top-level: no line to point at
    assert f"{path}:3: sources.0.name: Field required" in text


def test_the_cli_prints_them_all_without_a_traceback(tmp_path, capsys):
    path = tmp_path / "math.yaml"
    path.write_text(BAD)
    assert main(["--store", str(tmp_path / "store"), "generate", "math", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.startswith(f"datamill generate: error: {path}: 4 problems:")
    assert err.count(f"{path}:") == 5
