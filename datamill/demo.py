"""`datamill demo`: the whole flow on the embedded real sample (examples/data), on 2 CPU cores.

curate web pages → SFT sets for every domain → catalog → preference pairs → mixture → export → train a tiny
hybrid model → generate with that tiny model through the engine → summary. No LLM is configured in the demo:
generators that need one use the datasets' reference solutions / gold answers and say so; the tiny model
trained here is then plugged into the engine to show the model path for real (its answers are scored honestly).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import yaml

from datamill.demo_data import NO_SHARED
from datamill.store import Store
from datamill.tokens import REPO_ROOT

CONFIGS = REPO_ROOT / "configs"
log = logging.getLogger(__name__)  # the demo's own lines; `datamill demo` shows them on stdout


class Step:
    def __init__(self, total: int):
        self.n, self.total, self.timings = 0, total, []

    def __call__(self, title: str, fn, *args, stderr_to: Path | None = None, **kwargs):
        self.n += 1
        log.info(f"\n[{self.n}/{self.total}] {title}")
        t = time.monotonic()
        if stderr_to is None:
            out = fn(*args, **kwargs)
        else:  # datatrove's workers log to fd 2; keep the demo readable and the log on disk
            log.info(f"      (worker logs: {stderr_to})")
            stderr_to.parent.mkdir(parents=True, exist_ok=True)
            saved = os.dup(2)
            with open(stderr_to, "ab") as log_file:
                os.dup2(log_file.fileno(), 2)
                try:
                    out = fn(*args, **kwargs)
                finally:
                    os.dup2(saved, 2)
                    os.close(saved)
        self.timings.append((title, time.monotonic() - t))
        log.info(f"      done in {time.monotonic() - t:.1f}s")
        return out


def _show(reports) -> None:
    for r in reports if isinstance(reports, list) else [reports]:
        log.info("      " + r.summary())


def domain_table(store: Store) -> list[tuple]:
    with store.connect(read_only=True) as con:
        return con.execute(
            """SELECT kind, domain, language, count(*) AS samples, count(*) FILTER (WHERE passed) AS passed,
                      coalesce(sum(tokens) FILTER (WHERE passed), 0) AS tokens
               FROM samples GROUP BY ALL ORDER BY kind, domain, language"""
        ).fetchall()


def write_config(src: Path, dst: Path, **overrides) -> Path:
    data = yaml.safe_load(src.read_text())
    for dotted, value in overrides.items():
        node = data
        *parents, leaf = dotted.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return dst


# (kind of generators.GENERATORS, its demo config in configs/), run in this order
GENERATE_STEPS = [
    ("math", "math.yaml"),
    ("code", "code.yaml"),
    ("logic", "logic.yaml"),
    ("knowledge", "knowledge.yaml"),
    ("multilingual", "multilingual.yaml"),
    ("long-context", "long_context.yaml"),
    ("tool-use", "tool_use.yaml"),
]


def run_demo(
    out_dir: str | Path = "demo_out", train_steps: int | None = None, tiny_model_problems: int = 8
) -> dict:
    """Run the whole flow; returns the summary dict (also written to <out>/summary.json).

    The embedded sample only, whether or not ../shared/data is beside the checkout: the same output (and the counts
    in README / USER_GUIDE) on every machine. Workers inherit the setting; it is restored afterwards."""
    saved = os.environ.get("DATAMILL_SHARED_DATA")
    os.environ["DATAMILL_SHARED_DATA"] = NO_SHARED
    try:
        return _run_demo(out_dir, train_steps, tiny_model_problems)
    finally:
        if saved is None:
            os.environ.pop("DATAMILL_SHARED_DATA", None)
        else:
            os.environ["DATAMILL_SHARED_DATA"] = saved


def _run_demo(out_dir: str | Path, train_steps: int | None, tiny_model_problems: int) -> dict:
    import json

    from curation.job import run_curate
    from datamill.export import export
    from datamill.integrity import check
    from datamill.mixing import run_mix
    from generators import GENERATORS
    from train_entry.train import train

    out = Path(out_dir).resolve()
    store = Store(out / "store")
    os.chdir(REPO_ROOT)  # the demo configs name examples/data relative to the repository
    step = Step(6 + len(GENERATE_STEPS))
    log.info(
        "datamill demo — embedded real sample (examples/data) → curated web → SFT sets → mixture → export → "
        "tiny hybrid model.\nNo LLM is configured: generators use the datasets' reference solutions and gold "
        "answers (lineage.model = 'reference'), and skip what truly needs a model; the tiny model trained at the "
        "end is then run through the engine and scored honestly."
    )

    curate = step(
        "curate web pages (trafilatura → LID → quality → edu → PII → dedup → decontamination)",
        run_curate,
        str(CONFIGS / "curate_demo.yaml"),
        store,
        stderr_to=out / "logs" / "curate.log",
    )
    _show(curate)
    for kind, cfg in GENERATE_STEPS:
        _show(step(f"generate {kind}", GENERATORS[kind], kind, str(CONFIGS / cfg), store))
    mix = step(
        "mixture (token budgets, reasoning:non-reasoning 1.5:1)",
        run_mix,
        CONFIGS / "mixtures" / "demo.yaml",
        store,
        out / "mixture",
        progress=False,
    )
    log.info("\n".join("      " + line for line in mix.table.splitlines()))
    exp = step(
        "export (chat Parquet/JSONL + packed 2048-token sequences with assistant-only loss mask)",
        export,
        mix.manifest_path,
        store,
        out / "export",
        seq_len=2048,
        progress=False,
    )
    log.info("\n".join("      " + line for line in exp.table().splitlines()))
    overrides = {"max_steps": train_steps} if train_steps else {}
    summary = step(
        "train the tiny hybrid-attention model (3 local : 1 global) on the export",
        train,
        CONFIGS / "train" / "demo.yaml",
        data=str(out / "export" / "packed"),
        out_dir=str(out / "train"),
        log=lambda m: log.info("      " + m),
        **overrides,
    )
    tiny_cfg = write_config(
        CONFIGS / "math.yaml",
        out / "configs" / "math_tiny_model.yaml",
        **{
            "dataset": "sft_math_tiny_model",
            "engine.backend": "transformers",
            "engine.model": summary.hf_dir,
            "engine.cache_dir": str(out / "cache"),
            "sources": [{"name": "gsm8k", "data": "examples", "limit": tiny_model_problems}],
            "n_responses": 2,
            "include_reference": False,
            "sampling.max_tokens": 64,
        },
    )
    _show(
        step(
            "generate math with the tiny model just trained (engine: transformers backend)",
            GENERATORS["math"],
            "math",
            str(tiny_cfg),
            store,
        )
    )
    _show(
        step(
            "preference pairs (chosen = shortest verified-correct response, rejected = a failed one, e.g. the "
            "reference vs the tiny model's wrong answers)",
            GENERATORS["preference"],
            "preference",
            str(CONFIGS / "preference.yaml"),
            store,
        )
    )
    rep = check(store)
    table = domain_table(store)
    result = {
        "store": str(store.root),
        "catalog": str(store.catalog_path),
        "check_ok": rep.ok,
        "mixture_manifest": str(mix.manifest_path),
        "export_dir": str(out / "export"),
        "train_hf_dir": summary.hf_dir,
        "train_final_loss": summary.final_loss,
        "train_steps": summary.steps,
        "curation_quarantine": curate.quarantine_path,
        "domains": [
            dict(zip(["kind", "domain", "language", "samples", "passed", "tokens"], r)) for r in table
        ],
        "timings_s": {t: round(s, 1) for t, s in step.timings},
    }
    (out / "summary.json").write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    log_summary(result, rep.text())
    return result


def log_summary(result: dict, check_text: str) -> None:
    from datamill.report import table

    log.info("\n=== datamill demo summary ===")
    rows = [
        [d["kind"], d["domain"], d["language"], d["samples"], d["passed"], d["tokens"]]
        for d in result["domains"]
    ]
    log.info(table(["kind", "domain", "language", "samples", "passed", "tokens (passed)"], rows))
    log.info(f"\ncatalog check: {check_text.splitlines()[0]}")
    log.info(f"store:            {result['store']}  (catalog: {result['catalog']})")
    log.info(f"mixture manifest: {result['mixture_manifest']}")
    log.info(f"export:           {result['export_dir']}  (chat.parquet, chat.jsonl, packed/, README.md)")
    log.info(
        f"tiny model:       {result['train_hf_dir']}  ({result['train_steps']} steps, final loss "
        f"{result['train_final_loss']:.3f}; loads with transformers AutoModelForCausalLM)"
    )
    log.info(f"quarantine:       {result['curation_quarantine']}")
    log.info(f"summary:          {Path(result['store']).parent / 'summary.json'}")
    log.info(f"dashboard:        datamill --store {result['store']} dashboard")
