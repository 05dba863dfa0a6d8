"""The CLI lists its commands, shows library log records as its output, fails on bad input with one readable
line and a non-zero status, and lets a bug keep its traceback."""

import errno
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from datamill.catalog import CatalogBusy
from datamill.cli import PACKAGES, main
from datamill.config import ConfigError
from datamill.engine.errors import EngineConfigError, ServerUnreachable
from datamill.engine.factory import NoEngineConfigured
from datamill.errors import InputError
from datamill.jobs import JobReport
from datamill.mixing.manifest import MixShortfall
from datamill.records import ManifestOutOfDate
from datamill.store import RunConflict, StoreWriteError
from schemas.errors import SchemaError

REPO = Path(__file__).resolve().parents[2]


def datamill(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "datamill.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        timeout=120,
        check=False,
    )


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


# --- what the CLI shows: log records as plain lines, user errors as one line, bugs with their traceback ---


def _generate_with(monkeypatch, tmp_path, job) -> int:
    """`datamill generate math` with the reasoning job's run replaced by `job` (the registry imports it per call)."""
    monkeypatch.setattr("generators.reasoning.job.run", job)
    cfg = tmp_path / "math.yaml"
    cfg.write_text("domain: math\n")
    return main(["--store", str(tmp_path / "store"), "generate", "math", str(cfg)])


def test_library_log_records_are_the_commands_plain_output(monkeypatch, tmp_path, capsys):
    def job(kind, config_path, store):
        logging.getLogger("generators.reasoning.job").info("No model configured: 2 reference solutions")
        logging.getLogger("generators.reasoning.job").warning("gsm8k.jsonl:4: malformed_json")
        logging.getLogger("datamill.engine.fleet").info("engine endpoints:\n| endpoint | state |")
        return JobReport("sft_math", "r1", parts_total=1, rows_written=2)

    assert _generate_with(monkeypatch, tmp_path, job) == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "No model configured: 2 reference solutions",
        JobReport("sft_math", "r1", parts_total=1, rows_written=2).summary(),
    ]  # no level or logger name: as printed before
    assert err.splitlines() == ["gsm8k.jsonl:4: malformed_json", "engine endpoints:", "| endpoint | state |"]
    # the CLI configured nothing that outlives the command
    assert all(not logging.getLogger(p).handlers for p in PACKAGES)
    assert logging.getLogger("generators").level == logging.NOTSET


USER_ERRORS = [
    ConfigError("math.yaml:3: n_responses: Input should be greater than 0"),
    InputError("gsm8k.jsonl:1: not a GSM8K-style row"),
    RunConflict("run v1 of sft_math exists with another config (changed: n_responses)"),
    StoreWriteError(
        errno.ENOSPC, "cannot write sft_math/v1/part-00000.parquet: disk full; the catalog is unchanged"
    ),
    CatalogBusy("catalog.duckdb is locked by another process"),
    ManifestOutOfDate(
        "manifest.json: shard x/part-00000.parquet row 3 is not sample abc (re-run `datamill mix`)"
    ),
    MixShortfall("component math: asked 10000 tokens, 512 available"),
    SchemaError("bad SFTSample: domain: Input should be 'math'", "x/part-00000.parquet:row 1"),
    ServerUnreachable("no OpenAI-compatible server reachable: http://127.0.0.1:9/v1"),
    EngineConfigError("engine.model must name the served model for backend 'openai'"),
    NoEngineConfigured("no engine is configured (engine.backend: none)"),
    FileNotFoundError(errno.ENOENT, "No such file or directory", "seeds.jsonl"),
    PermissionError(errno.EACCES, "Permission denied", "store/catalog.duckdb"),
    IsADirectoryError(errno.EISDIR, "Is a directory", "configs"),
    NotADirectoryError(errno.ENOTDIR, "Not a directory", "math.yaml/x"),
    OSError(errno.ENOSPC, "No space left on device"),
    OSError(errno.EROFS, "Read-only file system"),
    OSError(errno.EDQUOT, "Disk quota exceeded"),
]


@pytest.mark.parametrize("exc", USER_ERRORS, ids=lambda e: f"{type(e).__name__}-{getattr(e, 'errno', '')}")
def test_each_user_error_is_one_line_and_exit_2(monkeypatch, tmp_path, capsys, exc):
    def job(kind, config_path, store):
        raise exc

    assert _generate_with(monkeypatch, tmp_path, job) == 2
    assert capsys.readouterr().err == f"datamill generate: error: {exc}\n"


BUGS = [
    ZeroDivisionError("division by zero"),
    AttributeError("'NoneType' object has no attribute 'text'"),
    ValueError("not enough values to unpack (expected 2, got 1)"),
    KeyError("query_id"),
    TypeError("bad operand"),
    OSError(errno.EIO, "Input/output error"),
    RuntimeError("dictionary changed size during iteration"),
]


@pytest.mark.parametrize("exc", BUGS, ids=lambda e: type(e).__name__)
def test_a_bug_inside_a_command_is_not_turned_into_an_error_line(monkeypatch, tmp_path, capsys, exc):
    def job(kind, config_path, store):
        raise exc

    with pytest.raises(type(exc)) as raised:
        _generate_with(monkeypatch, tmp_path, job)
    assert raised.value is exc and "error:" not in capsys.readouterr().err


def test_a_bug_keeps_its_traceback_and_is_not_exit_2(tmp_path):
    cfg = tmp_path / "math.yaml"
    cfg.write_text("domain: math\n")
    code = (
        "import sys\nimport generators.reasoning.job as job\n"
        "def run(kind, config_path, store):\n    return {}['query_id'] / 0\n"
        "job.run = run\nfrom datamill.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "--store", str(tmp_path / "s"), "generate", "math", str(cfg)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=False,
    )
    assert out.returncode == 1, out.stderr
    assert "Traceback (most recent call last)" in out.stderr and out.stderr.rstrip().endswith(
        "KeyError: 'query_id'"
    )
    assert "datamill generate: error" not in out.stderr


def test_a_config_for_another_domain_is_one_config_error_line(tmp_path):
    cfg = REPO / "configs" / "math.yaml"
    out = datamill("--store", str(tmp_path / "s"), "generate", "code", str(cfg))
    assert out.returncode == 2
    assert out.stderr == f"datamill generate: error: {cfg}: domain is 'math' but `generate code` was asked\n"


def test_the_endpoint_tables_are_of_the_commands_own_fleets(monkeypatch, tmp_path, capsys):
    from datamill.engine import EngineConfig, SamplingParams
    from datamill.engine.openai_backend import OpenAIEngine
    from datamill.engine.stub_server import StubServer
    from schemas import Message

    with StubServer(
        latency_s=0.0
    ) as stub:  # an engine used before the command, still alive (as in a test session)
        earlier = OpenAIEngine(
            EngineConfig(backend="openai", model="tiny", base_url=stub.url, progress=False)
        )
        earlier.generate([[Message(role="user", content="2+2?")]], SamplingParams(max_tokens=8))
        assert earlier.attempts >= 1

        def job(kind, config_path, store):
            raise InputError("seeds.jsonl:1: not a GSM8K-style row")

        assert _generate_with(monkeypatch, tmp_path, job) == 2
    assert capsys.readouterr().err == "datamill generate: error: seeds.jsonl:1: not a GSM8K-style row\n"
