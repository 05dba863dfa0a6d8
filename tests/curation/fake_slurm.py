"""A fake Slurm on PATH for tests (never a real cluster): sbatch queues the script datatrove writes, squeue lists
queued jobs, sacct reports the states of jobs that ran, srun/scontrol do what a one-node allocation would.
`run_queue()` plays the cluster: it runs every queued job array, task by task, in submission order (datatrove
submits a stage after the stage it depends on). With FAKE_SLURM_RUN_ON_SQUEUE=1 the first squeue runs the queue
first (the jobs "finish while the caller waits").

Usage from a test: `env = install(tmp_path)`, then monkeypatch PATH/FAKE_SLURM_STATE from env.
Run as a script: `python fake_slurm.py <tool> args…` (the PATH wrappers do that).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

TOOLS = ("sbatch", "squeue", "sacct", "srun", "scontrol")


def install(root: Path) -> dict[str, str]:
    """Write the PATH wrappers under root/bin; return the environment additions."""
    bin_dir, state = root / "bin", root / "state"
    bin_dir.mkdir(parents=True, exist_ok=True)
    (state / "queue").mkdir(parents=True, exist_ok=True)
    for tool in TOOLS:
        w = bin_dir / tool
        w.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{Path(__file__).resolve()}" {tool} "$@"\n')
        w.chmod(0o755)
    venv_bin = str(Path(sys.executable).parent)  # launch_pickled_pipeline, merge_stats
    return {"PATH": f"{bin_dir}:{venv_bin}:{os.environ['PATH']}", "FAKE_SLURM_STATE": str(state)}


def _state() -> Path:
    return Path(os.environ["FAKE_SLURM_STATE"])


def _jobs() -> dict:
    p = _state() / "jobs.json"
    return json.loads(p.read_text()) if p.exists() else {}


def _save(jobs: dict) -> None:
    (_state() / "jobs.json").write_text(json.dumps(jobs, indent=1))


def sbatch(args: list[str]) -> None:
    jobs = _jobs()
    job_id = str(1000 + len(jobs))
    script = Path(args[-1]).read_text()
    (_state() / "queue" / f"{job_id}.sh").write_text(script)
    env = dict(
        a.split("=", 1)
        for a in next((a[len("--export=") :] for a in args if a.startswith("--export=")), "").split(",")[1:]
        if "=" in a
    )
    m = re.search(r"^#SBATCH --array=(\d+)-(\d+)", script, re.MULTILINE)
    array = list(range(int(m.group(1)), int(m.group(2)) + 1)) if m else [0]
    jobs[job_id] = {"state": "PENDING", "array": array, "env": env, "args": args[:-1]}
    _save(jobs)
    print(f"Submitted batch job {job_id}")


def run_queue() -> None:
    jobs = _jobs()
    for job_id, job in sorted(jobs.items(), key=lambda kv: int(kv[0])):
        if job["state"] != "PENDING":
            continue
        ok = True
        for task in job["array"]:
            env = {
                **os.environ,
                **job["env"],
                "SLURM_ARRAY_TASK_ID": str(task),
                "SLURM_JOB_ID": job_id,
                "SLURM_NODELIST": "fake-node",
                "SLURM_NODEID": "0",
            }
            r = subprocess.run(
                ["bash", str(_state() / "queue" / f"{job_id}.sh")], env=env, check=False, capture_output=True
            )
            (_state() / "queue" / f"{job_id}_{task}.log").write_bytes(r.stdout + r.stderr)
            ok = ok and r.returncode == 0
        job["state"] = "COMPLETED" if ok else "FAILED"
        _save(jobs)


def squeue(args: list[str]) -> None:
    if os.environ.get("FAKE_SLURM_RUN_ON_SQUEUE") == "1":
        run_queue()
    wanted = next((a[len("--jobs=") :].split(",") for a in args if a.startswith("--jobs=")), None)
    for job_id, job in _jobs().items():
        if job["state"] == "PENDING" and (wanted is None or job_id in wanted):
            print(f"{job_id}_[0-{len(job['array']) - 1}]")


def sacct(args: list[str]) -> None:
    wanted = next((a[len("--jobs=") :].split(",") for a in args if a.startswith("--jobs=")), None)
    for job_id, job in _jobs().items():
        if wanted is None or job_id in wanted:
            print(f"{job_id}|{job['state']}")


def srun(args: list[str]) -> None:  # srun [--opts] -l -n N cmd…: run cmd here
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] == "-n" else 1
    os.execvp(args[i], args[i:])


def scontrol(args: list[str]) -> None:  # scontrol show hostnames NODELIST
    print(args[-1])


if __name__ == "__main__":
    globals()[sys.argv[1]](sys.argv[2:])
