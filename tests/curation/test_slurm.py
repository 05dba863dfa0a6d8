"""Slurm runs with datatrove's SlurmPipelineExecutor against a fake sbatch/squeue/sacct on PATH (never a real
cluster): the submission is recorded, a later `datamill curate` collects the report once the jobs are done, or
`slurm.wait` collects it in the same call; --qos is written only when configured."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from curation.job import run_curate
from datamill.cli import main as cli
from datamill.store import Store
from tests.curation import fake_slurm
from tests.curation.helpers import demo_config, write_config

# minhash off: 3 stages (filter, gather, write) keep the fake cluster's Python start-ups few
FAST = {"dedup": {"shards": 2, "minhash": False}, "pii": False}


@pytest.fixture
def slurm(tmp_path, monkeypatch) -> Path:
    for k, v in fake_slurm.install(tmp_path / "fake_slurm").items():
        monkeypatch.setenv(k, v)
    return tmp_path / "fake_slurm" / "state"


@pytest.fixture(scope="module")
def local_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("local")
    return run_curate(write_config(tmp, demo_config(**FAST)), Store(tmp / "store"))


def _jobs(state: Path) -> dict:
    return json.loads((state / "jobs.json").read_text())


def _stage_scripts(state: Path) -> list[str]:
    return [
        p.read_text()
        for p in sorted((state / "queue").glob("*.sh"))
        if "launch_pickled_pipeline" in p.read_text()
    ]


@pytest.mark.slow
def test_submission_is_recorded_and_a_later_run_collects_the_report(slurm, local_report, tmp_path, capsys):
    path = write_config(tmp_path, demo_config(executor="slurm", **FAST))
    store = ["--store", str(tmp_path / "store")]
    assert cli([*store, "curate", path]) == 0
    out = capsys.readouterr().out
    assert "Slurm jobs filter=" in out and "filter 0/2, gather 0/1, write 0/2" in out, out
    submitted = len(_jobs(slurm))
    scripts = _stage_scripts(slurm)
    assert len(scripts) == 3 and not any("--qos" in s for s in scripts)  # no qos configured → no --qos line

    assert cli([*store, "curate", path]) == 0  # jobs still queued: nothing submitted twice
    assert "queued or running" in capsys.readouterr().out
    assert len(_jobs(slurm)) == submitted

    fake_slurm.run_queue()  # the cluster runs the arrays
    assert {j["state"] for j in _jobs(slurm).values()} == {"COMPLETED"}, list((slurm / "queue").glob("*.log"))
    assert cli([*store, "curate", path]) == 0
    out = capsys.readouterr().out
    assert re.search(rf"kept {local_report.kept} of {local_report.processed} documents", out), out
    assert len(_jobs(slurm)) == submitted
    again = run_curate(path, Store(tmp_path / "store"))
    assert (again.kept, again.dropped, again.quarantined) == (
        local_report.kept,
        local_report.dropped,
        local_report.quarantined,
    )


@pytest.mark.slow
def test_wait_collects_in_the_same_call_and_qos_is_passed_when_set(
    slurm, local_report, tmp_path, monkeypatch
):
    monkeypatch.setenv("FAKE_SLURM_RUN_ON_SQUEUE", "1")  # the jobs run while run_curate polls squeue
    cfg = demo_config(executor="slurm", slurm={"wait": True, "poll_seconds": 0.1, "qos": "high"}, **FAST)
    report = run_curate(write_config(tmp_path, cfg), Store(tmp_path / "store"))
    assert not report.submitted
    assert (report.kept, report.dropped) == (local_report.kept, local_report.dropped)
    assert all("#SBATCH --qos=high" in s for s in _stage_scripts(slurm))


def test_failed_jobs_end_a_waiting_run_with_their_sacct_state(slurm, tmp_path, monkeypatch):
    from curation.slurm_run import SlurmRunFailed

    monkeypatch.setenv("FAKE_SLURM_RUN_ON_SQUEUE", "1")
    # a task that cannot start: the job's launch_pickled_pipeline is one that exits 1 (first on PATH)
    bad = slurm.parent / "bin" / "launch_pickled_pipeline"
    bad.write_text("#!/bin/sh\necho 'node lost' >&2\nexit 1\n")
    bad.chmod(0o755)
    cfg = demo_config(executor="slurm", slurm={"wait": True, "poll_seconds": 0.1}, **FAST)
    with pytest.raises(SlurmRunFailed, match=r"filter 0/2.*FAILED"):
        run_curate(write_config(tmp_path, cfg), Store(tmp_path / "store"))
