"""The CLI lists its commands and fails on bad input with one readable line and a non-zero status."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def datamill(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "datamill.cli", *args], capture_output=True, text=True,
                          cwd=cwd or REPO, timeout=120, check=False)


def test_help_lists_commands():
    out = datamill("--help")
    assert out.returncode == 0
    for cmd in ("check", "index", "generate", "train-tokenizer"):
        assert cmd in out.stdout


def test_missing_config_is_one_line_error(tmp_path):
    out = datamill("--store", str(tmp_path / "s"), "generate", "math", str(tmp_path / "nope.yaml"))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "nope.yaml" in out.stderr, out.stderr


def test_malformed_yaml_names_line(tmp_path):
    from datamill.config import ConfigError, load_yaml

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: demo\ncomponents: [a, b\nseed: 1\n")
    try:
        load_yaml(bad)
    except ConfigError as e:
        assert str(e).startswith(f"{bad}:3:") and "malformed YAML" in str(e)
    else:
        raise AssertionError("malformed YAML was accepted")


def test_check_on_empty_store_fails_readably(tmp_path):
    out = datamill("--store", str(tmp_path / "s"), "check")
    assert out.returncode == 1 and "no catalog" in out.stdout
