"""`datamill curate` on Slurm: submit the stage chain once, record it, collect the report when the jobs are done.

datatrove's SlurmPipelineExecutor submits one job array per stage (each depending on the one before) and returns
at once. The submission is recorded in <work>/slurm_submission.json; the next `datamill curate` of the same config
then (a) collects the report when every stage's tasks are complete (datatrove's completion markers), (b) says
which jobs are still queued or running (squeue) without submitting anything again, or (c) resubmits only the
incomplete tasks when the recorded jobs ended without completing them (their sacct states are shown).
With `slurm.wait: true` the call itself waits for the jobs (squeue every `slurm.poll_seconds`) and collects.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from curation.config import CurateConfig
from curation.executors import make_executor
from datamill.atomic import atomic_write_text
from datamill.errors import DatamillError

SUBMISSION = "slurm_submission.json"


class SlurmRunFailed(DatamillError):
    """Slurm did not do the work: the jobs ended with stages incomplete, or squeue failed (one CLI line, exit 2)."""


def stage_progress(logs: dict[str, str], tasks: dict[str, int]) -> dict[str, tuple[int, int]]:
    """stage → (completed tasks, tasks), from datatrove's <logging_dir>/completions/<rank> markers."""
    out = {}
    for name, n in tasks.items():
        done = Path(logs[name]) / "completions"
        out[name] = (min(sum(1 for _ in done.iterdir()) if done.is_dir() else 0, n), n)
    return out


def _slurm_cmd(args: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(args, check=False, capture_output=True, text=True, timeout=120)
    except FileNotFoundError as e:
        raise FileNotFoundError(
            f"{args[0]} not found: run a Slurm curate config where the Slurm commands are "
            f"installed (the cluster's login node)"
        ) from e


def active_jobs(job_ids: list[str]) -> set[str]:
    """The ids among `job_ids` that squeue still lists (pending or running; array tasks count for their job)."""
    if not job_ids:
        return set()
    r = _slurm_cmd(["squeue", "--noheader", "--format=%i", f"--jobs={','.join(job_ids)}"])
    if r.returncode != 0:
        # every id has left the queue (slurmctld forgets finished jobs)
        if "invalid job id" in r.stderr.lower():
            return set()
        raise SlurmRunFailed(f"squeue failed ({r.returncode}): {r.stderr.strip()[:300]}")
    listed = {line.strip().split("_", 1)[0] for line in r.stdout.splitlines() if line.strip()}
    return listed & set(job_ids)


def job_states(job_ids: list[str]) -> dict[str, str]:
    """job id → sacct State (e.g. FAILED, TIMEOUT, CANCELLED); {} when accounting is not available."""
    if not job_ids:
        return {}
    r = _slurm_cmd(
        ["sacct", "--noheader", "--parsable2", "--format=JobID,State", f"--jobs={','.join(job_ids)}"]
    )
    states: dict[str, set[str]] = {}
    for line in r.stdout.splitlines() if r.returncode == 0 else []:
        job, _, state = line.partition("|")
        states.setdefault(job.split("_", 1)[0].split(".", 1)[0], set()).add(
            state.split()[0] if state else "?"
        )
    return {j: ",".join(sorted(s)) for j, s in states.items()}


def submit_chain(
    cfg: CurateConfig, chain: list[tuple[str, list, int, int | None]], logs: dict[str, str]
) -> dict[str, str]:
    """One dependent job array per stage; stage → job id ("-1": datatrove found it complete and skipped it)."""
    ex, executors = None, []
    for name, steps, tasks, workers in chain:
        ex = make_executor(cfg, steps, tasks, logs[name], name, depends=ex, workers=workers)
        executors.append((name, ex))
    ex.run()
    return {name: str(e.job_id) for name, e in executors}


def run_on_slurm(
    cfg: CurateConfig, chain: list[tuple[str, list, int, int | None]], logs: dict[str, str], work: Path
) -> tuple[bool, str]:
    """(True, "") when every stage is complete (collect the report); else (False, a status line)."""
    tasks = {name: n for name, _, n, _ in chain}
    record = work / SUBMISSION

    def complete() -> bool:
        return all(d == n for d, n in stage_progress(logs, tasks).values())

    if complete():
        return True, ""
    note = ""
    jobs = json.loads(record.read_text())["jobs"] if record.exists() else {}
    live = active_jobs([j for j in jobs.values() if j != "-1"])
    if not live:
        if jobs:
            states = job_states([j for j in jobs.values() if j != "-1"])
            note = (
                "the submitted jobs ended with stages incomplete (sacct: "
                + (", ".join(f"{s}={states.get(j, '?')}" for s, j in jobs.items() if j != "-1") or "n/a")
                + f"; logs in {Path(next(iter(logs.values()))).parent}); resubmitted the incomplete tasks. "
            )
        jobs = submit_chain(cfg, chain, logs)
        work.mkdir(parents=True, exist_ok=True)
        atomic_write_text(record, json.dumps({"jobs": jobs, "submitted_at": time.time()}, indent=1))
        live = {j for j in jobs.values() if j != "-1"}
    while cfg.slurm.wait and live:
        time.sleep(cfg.slurm.poll_seconds)
        live = active_jobs(sorted(live))
    if complete():
        return True, ""
    progress = ", ".join(f"{s} {d}/{n}" for s, (d, n) in stage_progress(logs, tasks).items())
    ids = ", ".join(f"{s}={j}" for s, j in jobs.items())
    if cfg.slurm.wait:
        states = job_states([j for j in jobs.values() if j != "-1"])
        raise SlurmRunFailed(
            f"Slurm jobs ended with incomplete stages ({progress}; sacct: {states or 'n/a'}); "
            f"see the logs under {Path(next(iter(logs.values()))).parent}"
        )
    return False, (
        f"{note}Slurm jobs {ids} ({'queued or running' if live else 'submitted'}); tasks done: {progress}. "
        f"Run the same command again to collect the report when they are done."
    )
