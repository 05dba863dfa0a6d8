"""SIGKILL trials: run a datamill command, kill it at a random moment, re-run it to completion, and compare the
final outputs with an uninterrupted run. Used by every stage's fault test."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def datamill_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "datamill.cli", *args]


def run(cmd: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if out.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
        )
    return out


def run_and_kill(cmd: list[str], cwd: Path, kill_after_s: float) -> bool:
    """Start cmd, SIGKILL its whole process group after kill_after_s. True if it was killed before finishing."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True
    )
    try:
        proc.wait(timeout=kill_after_s)
        return False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True


def file_digest(*paths: Path) -> str:
    h = hashlib.sha256()
    for p in paths:
        h.update(Path(p).read_bytes())
    return h.hexdigest()


def store_fingerprint(store_root: Path) -> dict:
    """Sample ids + shard checksums + `check` verdict: what 'identical output' means for a store."""
    from datamill.integrity import check
    from datamill.store import Store

    store = Store(store_root)
    rep = check(store)
    assert rep.ok and not rep.warnings, rep.text()
    with store.connect(read_only=True) as con:
        shards = con.execute("SELECT path, rows, checksum FROM shards ORDER BY path").fetchall()
        ids = [r[0] for r in con.execute("SELECT id FROM samples ORDER BY id").fetchall()]
    assert len(ids) == len(set(ids)), "duplicate sample ids"
    return {"shards": shards, "ids_sha": hashlib.sha256("\n".join(ids).encode()).hexdigest(), "n": len(ids)}


@dataclass
class TrialReport:
    stage: str
    trials: int = 0
    killed_mid_run: int = 0
    identical: int = 0
    kill_times: list[float] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"{self.stage}: {self.trials} SIGKILL trials ({self.killed_mid_run} killed mid-run), "
            f"{self.identical} re-runs identical to the uninterrupted run"
        )


def kill_trials(
    stage: str,
    prepare: Callable[[Path], None],  # fill a fresh work dir with the inputs the command needs
    cmd: list[str],  # run with cwd = work dir
    fingerprint: Callable[[Path], object],
    base: Path,
    trials: int = 10,
    seed: int = 0,
) -> TrialReport:
    rng = random.Random(seed)
    ref = base / "reference"
    prepare(ref)
    t0 = time.monotonic()
    run(cmd, ref)
    duration = time.monotonic() - t0
    expected = fingerprint(ref)
    report = TrialReport(stage)
    for k in range(trials):
        work = base / f"trial{k}"
        prepare(work)
        kill_at = rng.uniform(0.15, 0.95) * duration
        report.kill_times.append(round(kill_at, 2))
        report.killed_mid_run += run_and_kill(cmd, work, kill_at)
        run(cmd, work)
        got = fingerprint(work)
        assert got == expected, f"{stage} trial {k} (killed at {kill_at:.2f}s of {duration:.2f}s) differs"
        report.trials += 1
        report.identical += 1
    print(report.line())
    return report
