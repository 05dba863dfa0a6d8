"""One place that turns a list of steps into a datatrove executor: local (default), Ray or Slurm, from the
same CurateConfig. skip_completed=True everywhere: a re-run skips the tasks that finished (resume)."""

from __future__ import annotations

from curation.config import CurateConfig


def make_executor(
    cfg: CurateConfig,
    steps: list,
    tasks: int,
    logging_dir: str,
    name: str,
    depends=None,
    workers: int | None = None,
):
    workers = min(workers or cfg.workers, tasks)
    if cfg.executor == "local":
        from datatrove.executor import LocalPipelineExecutor

        return LocalPipelineExecutor(
            steps, tasks=tasks, workers=workers, logging_dir=logging_dir, skip_completed=True, depends=depends
        )
    if cfg.executor == "ray":
        from datatrove.executor.ray import RayPipelineExecutor

        return RayPipelineExecutor(
            steps,
            tasks=tasks,
            workers=workers,
            logging_dir=logging_dir,
            skip_completed=True,
            depends=depends,
            cpus_per_task=1,
        )
    from datatrove.executor.slurm import SlurmPipelineExecutor

    s = cfg.slurm
    # qos=None: datatrove then writes no --qos line and the cluster's default QOS applies (many clusters have
    # no QOS called "normal", and sbatch rejects an unknown one)
    return SlurmPipelineExecutor(
        steps,
        tasks=tasks,
        time=s.time,
        partition=s.partition,
        cpus_per_task=s.cpus_per_task,
        mem_per_cpu_gb=s.mem_per_cpu_gb,
        qos=s.qos,
        job_name=f"curate-{name}",
        logging_dir=logging_dir,
        sbatch_args=s.sbatch_args or None,
        depends=depends,
        skip_completed=True,
    )
