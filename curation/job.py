"""run_curate(config_path, store): the web curation job (Python API behind `datamill curate`).

Stages (curation/pipeline.py) run one after another on the configured executor; every stage skips the tasks
it already completed, and shards are registered atomically, so a killed job re-run with the same config
finishes without loss or duplicates. The report is read back from the catalog (what is really in the store).
"""

from __future__ import annotations

import gzip
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from curation.config import CurateConfig, resolve_input
from curation.executors import make_executor
from curation.pipeline import RunPaths, filter_stage, gather_stage, minhash_stages, write_stage
from curation.readers import check_parquet_text_key
from curation.sink import REJECTED_SUFFIX
from curation.slurm_run import run_on_slurm
from datamill.atomic import atomic_write_text
from datamill.config import load_config
from datamill.readers import Quarantine
from datamill.store import RunConflict, Store, config_hash

EXECUTION_FIELDS = {
    "executor",
    "tasks",
    "workers",
    "slurm",
    "work_dir",
}  # do not change the output → not in the run id


@dataclass
class CurateReport:
    dataset: str
    run_id: str
    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)  # "filter/reason" → count
    quarantined: dict[str, int] = field(default_factory=dict)  # reason → count
    languages: dict[str, dict[str, int]] = field(default_factory=dict)  # lang → {"kept": n, "dropped": n}
    quarantine_path: str = ""
    submitted: bool = False  # slurm: jobs are submitted or still running; a later run collects the report
    status: str = ""  # slurm: job ids and per-stage progress while `submitted`
    timings: dict[str, float] = field(default_factory=dict)  # stage → wall seconds in this call

    @property
    def rows_written(self) -> int:
        return self.kept

    @property
    def processed(self) -> int:
        return self.kept + sum(self.dropped.values())

    def keep_rate(self, lang: str) -> float:
        c = self.languages.get(lang, {})
        total = c.get("kept", 0) + c.get("dropped", 0)
        return c.get("kept", 0) / total if total else 0.0

    def summary(self) -> str:
        if self.submitted:
            return f"{self.dataset}/{self.run_id}: {self.status}"
        drops = ", ".join(f"{k}={v}" for k, v in sorted(self.dropped.items())) or "none"
        quar = ", ".join(f"{k}={v}" for k, v in sorted(self.quarantined.items())) or "none"
        langs = ", ".join(
            f"{k} {self.languages[k].get('kept', 0)}/{self.languages[k].get('kept', 0) + self.languages[k].get('dropped', 0)}"
            for k in sorted(self.languages)
        )
        return (
            f"{self.dataset}/{self.run_id}: kept {self.kept} of {self.processed} documents\n"
            f"  dropped: {drops}\n  quarantined ({sum(self.quarantined.values())}): {quar}"
            + (f" -> {self.quarantine_path}" if self.quarantine_path else "")
            + f"\n  kept/seen per language: {langs or 'none'}"
        )


def run_id_for(cfg: CurateConfig) -> str:
    semantic = {k: v for k, v in cfg.model_dump(mode="json").items() if k not in EXECUTION_FIELDS}
    return "cfg-" + config_hash(semantic)[:10]


def prepare_decontam_index(cfg: CurateConfig, store: Store) -> Path | None:
    """Build (or reuse) the 13-gram index; cached in <store>/_cache/decontam by benchmark files + settings."""
    from datamill.demo_data import EXAMPLES, shared_data
    from filters.benchmarks import benchmark_files, benchmark_texts
    from filters.decontam import INDEX_FORMAT, build_ngram_index, save_ngram_index

    if not cfg.decontam.enabled:
        return None
    d = cfg.decontam
    roots = (
        [Path(r) for r in d.data_roots]
        if d.data_roots is not None
        else [EXAMPLES] + ([shared_data()] if shared_data() else [])
    )
    files = [p for name in d.benchmarks if name in _benchmark_names() for p in benchmark_files(name, roots)]
    files += [Path(p) for p in d.extra_files.values() if Path(p).exists()]
    key = config_hash(
        {
            "benchmarks": d.benchmarks,
            "extra": d.extra_files,
            "n": d.n,
            "format": INDEX_FORMAT,
            "files": [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files],
        }
    )[:16]
    path = store.root / "_cache" / "decontam" / f"{key}.npz"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        save_ngram_index(path, build_ngram_index(benchmark_texts(d.benchmarks, roots, d.extra_files), d.n))
    return path


def _benchmark_names() -> set[str]:
    from filters.benchmarks import BENCHMARKS

    return set(BENCHMARKS)


def edu_model_path(cfg: CurateConfig) -> str:
    from curation.edu_classifier import DEFAULT_MODEL, train_edu_classifier

    if cfg.edu.model_path:
        if not Path(cfg.edu.model_path).exists():
            raise FileNotFoundError(
                f"edu.model_path {cfg.edu.model_path} does not exist (datamill train-classifier makes it)"
            )
        return cfg.edu.model_path
    if not DEFAULT_MODEL.exists():
        train_edu_classifier(DEFAULT_MODEL)
    return str(DEFAULT_MODEL)


def gathered_docs(paths: RunPaths) -> int:
    return sum(sum(1 for _ in gzip.open(p, "rt")) for p in sorted(paths.gathered.glob("*.jsonl.gz")))


def run_curate(config_path: str, store: Store) -> CurateReport:
    cfg = load_config(config_path, CurateConfig)
    return run_curate_config(cfg, store)


def run_curate_config(cfg: CurateConfig, store: Store) -> CurateReport:
    run_id = run_id_for(cfg)
    work = Path(cfg.work_dir) if cfg.work_dir else store.root / "_work" / "curate" / cfg.dataset / run_id
    paths = RunPaths(work / f"tasks{cfg.tasks}")
    missing = [i.path for i in cfg.inputs if not resolve_input(i.path).exists()]
    if len(missing) == len(cfg.inputs):
        raise FileNotFoundError(f"no input exists: {missing}")
    _check_task_count(store, cfg, run_id)
    _check_parquet_inputs(cfg)
    conf = cfg.model_dump(mode="json")
    store.begin_run(cfg.dataset, run_id, "web", conf, execution_keys=EXECUTION_FIELDS)
    store.begin_run(
        cfg.dataset + REJECTED_SUFFIX,
        run_id,
        "web",
        conf,
        parents=[cfg.dataset],
        execution_keys=EXECUTION_FIELDS,
    )
    decontam_index = prepare_decontam_index(cfg, store)
    edu_model = edu_model_path(cfg)
    root = str(store.root)
    present = cfg.model_copy(update={"inputs": [i for i in cfg.inputs if i.path not in missing]})

    stages = [
        ("filter", filter_stage(present, root, run_id, paths, edu_model, decontam_index), cfg.tasks, None),
        ("gather", gather_stage(cfg, root, run_id, paths), 1, 1),
    ]
    if cfg.executor == "slurm":  # one dependent job chain; collected here (wait) or by a later run
        chain = (
            stages
            + ([(n, s, t, None) for n, s, t in minhash_stages(cfg, paths)] if cfg.dedup.minhash else [])
            + [("write", write_stage(cfg, root, run_id, paths), cfg.dedup.shards, None)]
        )
        done, status = run_on_slurm(cfg, chain, {name: paths.logs(name) for name, *_ in chain}, paths.work)
        if not done:
            return CurateReport(cfg.dataset, run_id, submitted=True, status=status)
        return _finish(store, cfg, run_id, missing, paths, {})
    timings: dict[str, float] = {}

    def run_stage(name, steps, tasks, workers):
        t0 = time.perf_counter()
        make_executor(cfg, steps, tasks, paths.logs(name), name, workers=workers).run()
        timings[name] = time.perf_counter() - t0

    for name, steps, tasks, workers in stages:
        run_stage(name, steps, tasks, workers)
    use_minhash = cfg.dedup.minhash and gathered_docs(paths) > 0
    if use_minhash:
        for name, steps, tasks in minhash_stages(cfg, paths):
            run_stage(name, steps, tasks, cfg.dedup.workers)
    write_cfg = (
        cfg
        if use_minhash
        else cfg.model_copy(update={"dedup": cfg.dedup.model_copy(update={"minhash": False})})
    )
    run_stage("write", write_stage(write_cfg, root, run_id, paths), cfg.dedup.shards, cfg.dedup.workers)
    return _finish(store, cfg, run_id, missing, paths, timings)


def _finish(
    store: Store,
    cfg: CurateConfig,
    run_id: str,
    missing: list[str],
    paths: RunPaths,
    timings: dict[str, float],
) -> CurateReport:
    report = collect_report(store, cfg.dataset, run_id, missing, paths)
    report.timings = timings
    store.finish_run(cfg.dataset, run_id)
    store.finish_run(cfg.dataset + REJECTED_SUFFIX, run_id)
    return report


def _check_parquet_inputs(cfg: CurateConfig) -> None:
    """A wrong text_key is one config error naming the file and its columns (not one quarantine line per row)."""
    for inp in cfg.inputs:
        if inp.format == "parquet":
            p = resolve_input(inp.path)
            folder, glob = (str(p.parent), p.name) if p.is_file() else (str(p), inp.glob)
            check_parquet_text_key(folder, glob, inp.text_key)


def _check_task_count(store: Store, cfg: CurateConfig, run_id: str) -> None:
    from curation.dedup import EXACT_DEDUP_PART

    stale = [
        p
        for p in store.done_parts(cfg.dataset + REJECTED_SUFFIX, run_id)
        if cfg.tasks <= p < EXACT_DEDUP_PART
    ]
    if stale:
        raise RunConflict(
            f"run {run_id} was started with more than tasks={cfg.tasks} (rejected parts {sorted(stale)} "
            f"exist): re-run with the original task count, or use a new store"
        )


def collect_report(
    store: Store, dataset: str, run_id: str, missing: list[str], paths: RunPaths
) -> CurateReport:
    rep = CurateReport(dataset, run_id)
    with store.connect(read_only=True) as con:
        rows = con.execute(
            """SELECT dataset, language, json_extract_string(verdicts, '$[0].verifier') AS f,
                      json_extract_string(verdicts, '$[0].reason') AS r, count(*)
               FROM samples WHERE run_id = ? AND dataset IN (?, ?) GROUP BY ALL""",
            [run_id, dataset, dataset + REJECTED_SUFFIX],
        ).fetchall()
    for ds, lang, f, r, n in rows:
        slot = rep.languages.setdefault(lang or "und", {"kept": 0, "dropped": 0})
        if ds == dataset:
            rep.kept += n
            slot["kept"] += n
        else:
            rep.dropped[f"{f}/{r}"] = rep.dropped.get(f"{f}/{r}", 0) + n
            slot["dropped"] += n
    missing_q = Quarantine()
    for m in missing:
        missing_q.add(m, None, None, "missing_input", "path does not exist")
    items = missing_q.items
    for p in sorted(paths.quarantine.glob("*.jsonl")):
        items += [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]
    for it in items:
        rep.quarantined[it["reason"]] = rep.quarantined.get(it["reason"], 0) + 1
    out = store.run_dir(dataset, run_id) / "quarantine.jsonl"
    atomic_write_text(out, "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items))
    rep.quarantine_path = str(out)
    return rep
