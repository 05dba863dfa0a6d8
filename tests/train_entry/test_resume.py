"""kill -9 during training, run the same command again: the run continues from the last complete checkpoint and
ends bit-identical to an uninterrupted run (every logged loss, every final weight)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]


def run_cmd(config: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "datamill.cli", "train", str(config), "--out", str(out)]


def latest_step(out: Path) -> int:
    p = out / "checkpoints" / "latest"
    try:
        return int(p.read_text().strip().split("-")[1])
    except (FileNotFoundError, IndexError, ValueError):
        return 0


@pytest.mark.slow
def test_sigkill_then_resume_is_bit_exact(gsm8k_packed, tmp_path):
    config = tmp_path / "resume.yaml"
    config.write_text(f"""data: {gsm8k_packed}
model: {{preset: tiny}}
micro_batch_size: 2
max_steps: 80
warmup_steps: 10
eval_every: 40
ckpt_every: 10
keep_ckpts: 2
log_every: 1000
threads: 1
""")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    ref, killed = tmp_path / "ref", tmp_path / "killed"
    subprocess.run(run_cmd(config, ref), check=True, cwd=REPO, env=env, capture_output=True)

    proc = subprocess.Popen(run_cmd(config, killed), cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while latest_step(killed) < 20 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    at_kill = latest_step(killed)
    logged = len((killed / "log.jsonl").read_text().splitlines())
    assert 20 <= at_kill < 80

    again = subprocess.run(
        run_cmd(config, killed), check=True, cwd=REPO, env=env, capture_output=True, text=True
    )
    resumed = json.loads(again.stdout[again.stdout.index("{\n") :])["resumed_from"]
    assert resumed >= at_kill and f"resumed from {killed}/checkpoints/step-{resumed:06d}" in again.stdout
    assert logged >= resumed  # steps done after the last checkpoint were lost and done again

    rec = lambda p: [
        {k: r[k] for k in ("step", "loss", "lr", "grad_norm") if k in r} | {"eval": r.get("eval_loss")}
        for r in map(json.loads, (p / "log.jsonl").read_text().splitlines())
    ]
    assert rec(killed) == rec(ref)  # exact float equality, step by step
    wa = torch.load(ref / "checkpoints/step-000080/model.pt", weights_only=True)
    wb = torch.load(killed / "checkpoints/step-000080/model.pt", weights_only=True)
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    oa = torch.load(ref / "checkpoints/step-000080/optim.pt", weights_only=True)["state"]
    ob = torch.load(killed / "checkpoints/step-000080/optim.pt", weights_only=True)["state"]
    assert all(torch.equal(oa[i]["exp_avg_sq"], ob[i]["exp_avg_sq"]) for i in oa)
    assert (ref / "hf/model.safetensors").read_bytes() == (killed / "hf/model.safetensors").read_bytes()
    assert not list((killed / "checkpoints").glob("*.tmp"))
