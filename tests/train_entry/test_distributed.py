"""FSDP2 through torchrun on CPU (gloo, 2 processes): the same losses as one process with the same global batch,
and a resume from a sharded run's checkpoint continues its loss curve exactly."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def losses(run: Path) -> list[float]:
    return [json.loads(ln)["loss"] for ln in (run / "log.jsonl").read_text().splitlines()]


@pytest.mark.slow
def test_fsdp_two_processes_match_one_and_resume(gsm8k_packed, tmp_path):
    cfg = tmp_path / "c.yaml"
    common = f"data: {gsm8k_packed}\nmodel: {{preset: tiny}}\nmax_steps: 6\neval_every: 3\nckpt_every: 3\nthreads: 1\n"
    cfg.write_text(common + "micro_batch_size: 2\n")  # × 2 ranks
    one = tmp_path / "one.yaml"
    one.write_text(common + "micro_batch_size: 4\n")
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                "-m", "datamill.cli", "train"]  # fmt: skip
    out = subprocess.run([*torchrun, str(cfg), "--out", str(tmp_path / "fsdp")], check=False, cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count('"steps": 6') == 1  # only rank 0 reports
    subprocess.run([sys.executable, "-m", "datamill.cli", "train", str(one), "--out", str(tmp_path / "single")],
                   cwd=REPO, env=env, check=True, capture_output=True, timeout=300)  # fmt: skip
    sharded, single = losses(tmp_path / "fsdp"), losses(tmp_path / "single")
    assert len(sharded) == 6 and sharded == pytest.approx(single, rel=1e-5)
    assert sharded[-1] < sharded[0]

    ckpts = tmp_path / "fsdp" / "checkpoints"
    shutil.rmtree(ckpts / "step-000006")
    (ckpts / "latest").unlink()
    again = subprocess.run([*torchrun, str(cfg), "--out", str(tmp_path / "fsdp")], check=False, cwd=REPO, env=env,
                           capture_output=True, text=True, timeout=300)  # fmt: skip
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"resumed from {ckpts}/step-000003" in again.stdout
    assert losses(tmp_path / "fsdp") == sharded
