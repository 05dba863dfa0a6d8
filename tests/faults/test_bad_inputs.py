"""The bad-input corpus (tests/data/bad) across commands: a clear error naming the file and position, the bad
part quarantined, the rest processed, and a non-zero exit only when nothing could be processed."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.faults.harness import REPO, datamill_cmd

BAD = REPO / "tests" / "data" / "bad"
GOOD_PAGE = REPO / "examples" / "data" / "web" / "html" / "pythonspeed.com.docker.html"


def datamill(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    import os

    return subprocess.run(
        datamill_cmd(*args),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )


def _curate_cfg(tmp_path: Path, html_dir: Path, warc_dir: Path) -> Path:
    cfg = {
        "dataset": "web_bad",
        "tasks": 1,
        "workers": 1,
        "dedup": {"shards": 1},
        "inputs": [{"path": str(html_dir), "format": "html"}, {"path": str(warc_dir), "format": "warc"}],
        "decontam": {"benchmarks": ["gsm8k"]},
    }
    p = tmp_path / "curate.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return p


def test_curate_quarantines_bad_archives_and_binary_pages(tmp_path):
    html, warc = tmp_path / "html", tmp_path / "warc"
    html.mkdir(), warc.mkdir()
    shutil.copy(GOOD_PAGE, html)
    shutil.copy(BAD / "binary.html", html)
    for name in ("truncated.warc.gz", "not_gzip.warc.gz"):
        shutil.copy(BAD / name, warc)
    out = datamill(tmp_path, "--store", "store", "curate", str(_curate_cfg(tmp_path, html, warc)))
    assert out.returncode == 0, out.stdout + out.stderr
    qfile = next((tmp_path / "store").rglob("quarantine.jsonl"))
    items = [json.loads(line) for line in qfile.read_text().splitlines()]
    where = {Path(i["where"]).name: i["reason"] for i in items}  # "file:byte offset"
    assert where == {
        "binary.html:0": "binary_content",
        "not_gzip.warc.gz:0": "not_a_warc",
        "truncated.warc.gz:784": "truncated_record",
    }, items
    assert "quarantined" in out.stdout


def test_curate_with_only_bad_input_exits_non_zero(tmp_path):
    html, warc = tmp_path / "html", tmp_path / "warc"
    html.mkdir(), warc.mkdir()
    shutil.copy(BAD / "binary.html", html)
    shutil.copy(BAD / "not_gzip.warc.gz", warc)
    out = datamill(tmp_path, "--store", "store", "curate", str(_curate_cfg(tmp_path, html, warc)))
    assert out.returncode != 0, out.stdout


def _math_cfg(tmp_path: Path, seed_file: Path) -> Path:
    p = tmp_path / "math.yaml"
    p.write_text(
        yaml.safe_dump(
            {
                "domain": "math",
                "dataset": "sft_bad",
                "run_id": "v1",
                "engine": {"backend": "none"},
                "sources": [{"name": "gsm8k", "path": str(seed_file)}],
                "limits": {"math_workers": 1},
            }
        )
    )
    return p


def test_generate_skips_malformed_and_invalid_utf8_lines_naming_them(tmp_path):
    for name, line, reason in (
        ("malformed.jsonl", 2, "malformed_json"),
        ("invalid_utf8.jsonl", 2, "invalid_utf8"),
    ):
        work = tmp_path / name
        work.mkdir()
        out = datamill(work, "--store", "store", "generate", "math", str(_math_cfg(work, BAD / name)))
        assert out.returncode == 0, out.stdout + out.stderr
        assert f"{BAD / name}:{line}: {reason}" in out.stdout + out.stderr
        assert "rows in" in out.stdout and " 0 rows" not in out.stdout


def test_generate_with_an_absurdly_long_line(tmp_path):
    seed = tmp_path / "long.jsonl"
    good = (REPO / "examples/data/math/gsm8k_train.jsonl").read_text().splitlines()[:2]
    seed.write_text(
        good[0] + '\n{"question": "' + "x" * (65 << 20) + '", "answer": "#### 1"}\n' + good[1] + "\n"
    )
    out = datamill(tmp_path, "--store", "store", "generate", "math", str(_math_cfg(tmp_path, seed)))
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"{seed}:2: line_too_long" in out.stdout + out.stderr


def test_generate_with_nothing_usable_exits_non_zero(tmp_path):
    out = datamill(
        tmp_path, "--store", "store", "generate", "math", str(_math_cfg(tmp_path, BAD / "empty.jsonl"))
    )
    assert out.returncode != 0


def test_malformed_yaml_is_one_line_with_position(tmp_path):
    out = datamill(tmp_path, "--store", "store", "mix", str(BAD / "malformed.yaml"))
    assert out.returncode == 2 and out.stderr.strip().count("\n") == 0
    assert f"{BAD / 'malformed.yaml'}:6:1: malformed YAML" in out.stderr
    out = datamill(tmp_path, "--store", "store", "generate", "math", str(BAD / "not_a_mapping.yaml"))
    assert out.returncode == 2 and "expected a mapping" in out.stderr


def test_index_refuses_schema_violating_shards_naming_the_row(tmp_path):
    shard_dir = tmp_path / "store" / "x" / "r"
    shard_dir.mkdir(parents=True)
    shutil.copy(BAD / "schema_violation.parquet", shard_dir / "part-00000.parquet")
    shutil.copy(BAD / "foreign_columns.parquet", shard_dir / "part-00001.parquet")
    out = datamill(tmp_path, "--store", "store", "index")
    assert out.returncode == 1
    assert "x/r/part-00000.parquet:row 1: bad SFTSample: domain" in out.stdout
    assert "x/r/part-00001.parquet: not a datamill record shard" in out.stdout


def test_export_of_a_cut_manifest_names_the_position(tmp_path):
    bad = tmp_path / "manifest.json"
    bad.write_text('{"name": "m", "components": [')
    out = datamill(tmp_path, "--store", "store", "export", str(bad), "--out", "exp")
    assert out.returncode == 2 and f"{bad}:1:" in out.stderr and "malformed manifest JSON" in out.stderr
