"""curation_bench: docs/s per core of our full curation pipeline vs plain datatrove on the same input, in the same
run, and whether our output is identical for 1 and 2 workers.

Input: the real HTML pages of ../shared/data/web (181; examples/data/web's 19 with --quick) + warcio's WARC
samples, each page copied --repeat times under new names (copies are exact duplicates: ours removes them in
dedup, the reference keeps them; both extract and filter every copy).
Reference = plain datatrove 0.10.1: our reader → datatrove's Trafilatura step (its defaults: favour_precision,
deduplicate=True, 1 s timeout sandbox) → Gopher repetition → Gopher quality → C4 → FineWeb → JSONL. It runs in a
child process twice: with trafilatura 1.11.0, the version datatrove[processing] pins (bench/out/trafilatura-1.11,
installed by `make bench`), and with the trafilatura 2.3.1 we install.
Ours = `run_curate` (reader → curation/extract.py → LID routing → per-language quality → edu score → PII →
decontamination → exact + MinHash dedup → store shards + catalog), in this process.
Every pipeline runs after a warm-up on 3 pages (model loads are one-off costs) with 2 tasks on 1 worker, timed
in CPU seconds of its process + children (process_time + RUSAGE_CHILDREN), which other jobs on this shared
machine inflate far less than wall time: docs/s per core = input docs / CPU s. --trials repeats the measurement.
Usage: python bench/curation_bench.py [--quick] [--repeat 2] [--trials 2] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._report import table, write_section
from datamill.demo_data import EXAMPLES, shared_data

TRAFILATURA_111 = Path(__file__).with_name("out") / "trafilatura-1.11"


def cpu() -> float:
    """CPU seconds of this process + its finished children (datatrove's extractor sandbox is a child)."""
    import resource

    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def make_input(
    src_web: Path, dst: Path, repeat: int, limit: int | None = None, langs: set[str] | None = None
) -> int:
    (dst / "html").mkdir(parents=True)
    pages = sorted((src_web / "html").glob("*.html"))[:limit]
    if langs:  # <html lang> from the manifest
        keep = {
            r["file"]
            for r in map(json.loads, (src_web / "html_manifest.jsonl").read_text().splitlines())
            if r["html_lang"] in langs
        }
        pages = [p for p in pages if p.name in keep]
    for r in range(repeat):
        for p in pages:
            shutil.copy(p, dst / "html" / f"r{r}-{p.name}")
    shutil.copytree(EXAMPLES / "web/warc", dst / "warc")
    return len(pages) * repeat


def reference_pipeline(inp: Path, out: Path) -> float:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.extractors import Trafilatura
    from datatrove.pipeline.filters import (
        C4QualityFilter,
        FineWebQualityFilter,
        GopherQualityFilter,
        GopherRepetitionFilter,
    )
    from datatrove.pipeline.writers import JsonlWriter

    from curation.readers import HtmlFileReader, WarcRecordReader

    steps = [
        HtmlFileReader(str(inp / "html"), str(out / "q"), "html"),
        WarcRecordReader(str(inp / "warc"), str(out / "q"), "warc"),
        Trafilatura(favour_precision=True),
        GopherRepetitionFilter(),
        GopherQualityFilter(),
        C4QualityFilter(),
        FineWebQualityFilter(),
        JsonlWriter(str(out / "ref")),
    ]
    t0 = cpu()
    LocalPipelineExecutor(steps, tasks=2, workers=1, logging_dir=str(out / "logs")).run()
    return cpu() - t0


def reference_in_child(inp: Path, out: Path, web: Path, trafilatura_dir: Path | None) -> tuple[float, str]:
    """(CPU s, trafilatura version) of the reference, run by `--reference` in a child process."""
    env = dict(os.environ)
    if trafilatura_dir:
        env["PYTHONPATH"] = f"{trafilatura_dir}{os.pathsep}{env.get('PYTHONPATH', '')}"
    r = subprocess.run(
        [sys.executable, __file__, "--reference", str(inp), str(out), str(web)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    res = json.loads(r.stdout.strip().splitlines()[-1])
    return res["cpu"], res["trafilatura"]


def our_config(inp: Path, out: Path, workers: int, dataset: str) -> str:
    import yaml

    cfg = yaml.safe_load((Path(__file__).resolve().parents[1] / "configs/curate_demo.yaml").read_text())
    cfg["inputs"][0]["path"], cfg["inputs"][1]["path"] = str(inp / "html"), str(inp / "warc")
    cfg.update(workers=workers, dataset=dataset)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"c{workers}.yaml").write_text(yaml.safe_dump(cfg))
    return str(out / f"c{workers}.yaml")


def our_pipeline(
    inp: Path, out: Path, store_root: Path, workers: int = 1, dataset: str = "web_demo"
) -> tuple[float, object]:
    """One store for all timed runs (a dataset name each): the 13-gram decontamination index is built once, in the
    warm-up, as on a real store."""
    from curation.job import run_curate
    from datamill.store import Store

    path = our_config(inp, out, workers, dataset)
    t0 = cpu()
    report = run_curate(path, Store(store_root))
    return cpu() - t0, report


def store_fingerprint(store_root: Path, dataset: str) -> dict[str, bytes]:
    """Every shard file of the dataset and its rejects, by path relative to the store."""
    return {
        str(p.relative_to(store_root)): p.read_bytes()
        for ds in (dataset, dataset + ".rejected")
        for p in sorted((store_root / ds).rglob("part-*.parquet"))
    }


def lid_rate(texts: list[str]) -> float:
    from filters.lid import detect_languages

    detect_languages(texts[:8])
    t0 = time.process_time()
    for i in range(0, len(texts), 64):
        detect_languages([t[:10_000] for t in texts[i : i + 64]])
    return len(texts) / (time.process_time() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="embedded 19 pages only")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--trials", type=int, default=2)
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--reference", nargs=3, metavar=("IN", "OUT", "WEB"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.reference:  # child: warm up on 3 pages, then time the reference on IN
        import trafilatura

        inp, out, web = map(Path, args.reference)
        make_input(web, out / "warm_in", 1, limit=3)
        reference_pipeline(out / "warm_in", out / "warm")
        print(
            json.dumps({"cpu": reference_pipeline(inp, out / "run"), "trafilatura": trafilatura.__version__})
        )
        return
    web = EXAMPLES / "web" if args.quick or not shared_data() else shared_data() / "web"
    have_111 = (TRAFILATURA_111 / "trafilatura").is_dir()
    if not have_111:
        print(
            f"trafilatura 1.11 not in {TRAFILATURA_111} (make bench installs it): its reference row is skipped"
        )
    rows, ratios, notes = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_input(web, tmp / "warm_in", 1, limit=3)
        our_pipeline(tmp / "warm_in", tmp / "warm_ours", tmp / "store")
        inputs = [
            (f"all pages × {args.repeat}", None, args.repeat),
            (f"en/es pages × {args.repeat}", {"en", "es"}, args.repeat),
            ("all pages × 1", None, 1),
        ]  # no copies: every word cache starts cold on every page
        for label, langs, repeat in inputs:
            d = tmp / label.replace(" ", "_").replace("/", "").replace("×", "x")
            n = make_input(web, d / "in", repeat, langs=langs) + 5  # + the 5 HTML records of the WARC samples
            for trial in range(args.trials):
                refs = (
                    [reference_in_child(d / "in", d / f"ref111_{trial}", web, TRAFILATURA_111)]
                    if have_111
                    else []
                )
                refs.append(reference_in_child(d / "in", d / f"ref2_{trial}", web, None))
                ours_cpu, report = our_pipeline(
                    d / "in", d / f"ours_{trial}", tmp / "store", dataset=f"b{len(ratios)}"
                )
                base = refs[0][0]
                for ref_cpu, version in refs:
                    rows.append(
                        [
                            label,
                            trial + 1,
                            f"plain datatrove, trafilatura {version}",
                            n,
                            f"{ref_cpu:.1f}",
                            f"{n / ref_cpu:.1f}",
                            f"{base / ref_cpu:.2f}×",
                        ]
                    )
                rows.append(
                    [
                        label,
                        trial + 1,
                        "ours (full pipeline incl. dedup, store, catalog)",
                        n,
                        f"{ours_cpu:.1f}",
                        f"{n / ours_cpu:.1f}",
                        f"**{base / ours_cpu:.2f}×**",
                    ]
                )
                ratios.append((label, base / ours_cpu))
                notes.append(
                    f"{label}, trial {trial + 1}: ours kept {report.kept} of {report.processed}; stages (wall s) "
                    + ", ".join(f"{k} {v:.1f}" for k, v in report.timings.items())
                )
        print(
            table(["input", "trial", "pipeline", "docs", "CPU s", "docs/s per core", "speed-up"], rows),
            flush=True,
        )
        # the all-pages input with 1 and 2 workers into two stores: byte-identical shards?
        d = tmp / f"all_pages_x_{args.repeat}"
        for w in (1, 2):
            our_pipeline(d / "in", d / f"ours_w{w}", tmp / f"store_w{w}", workers=w)
        one, two = (
            store_fingerprint(tmp / "store_w1", "web_demo"),
            store_fingerprint(tmp / "store_w2", "web_demo"),
        )
        identical = one == two and len(one) > 0
        texts = [
            json.loads(x)["text"] for p in sorted((d / "ref2_0" / "run" / "ref").glob("*")) for x in _lines(p)
        ]
        lid = lid_rate(texts * max(1, 2000 // max(len(texts), 1)))
    docs_s = "docs/s per core"
    body = (
        f"Input: {web} pages (× N: each page copied N times) + WARC samples; 2 tasks on 1 worker, CPU seconds (process + children) "
        f"after a warm-up run; {args.trials} trials. Speed-up = reference CPU s (plain datatrove with trafilatura "
        f"{'1.11.0, its pinned version' if have_111 else '2.3.1'}) / ours, measured in the same trial. With all "
        "pages, ours routes the languages it is not configured for (de, fr, pl, …: en/ko/es only) out before the "
        "quality filters, which the reference runs on every page; the en/es-only input compares the same work.\n\n"
        + table(["input", "trial", "pipeline", "docs", "CPU s", docs_s, "speed-up vs plain datatrove"], rows)
        + "\n\nSpeed-up of ours per trial: "
        + ", ".join(f"{lbl} {r:.2f}×" for lbl, r in ratios)
        + " (goal ≥ 1.5×).\n\nOutput of ours with 1 and 2 workers (all pages, same config): "
        + (f"byte-identical ({len(one)} shard files)" if identical else "DIFFERENT")
        + ".\n\n"
        + "\n".join(f"- {x}" for x in notes)
        + f"\n\nLID (fastText lid.176, batches of 64, first 10k chars): {lid:,.0f} docs/s per core."
    )
    print(body)
    if not args.no_write:
        write_section("curation_bench", body)
    if not identical:
        sys.exit("output differs between 1 and 2 workers")


def _lines(p: Path):
    import gzip

    with gzip.open(p, "rt", encoding="utf-8") as f:
        yield from f


if __name__ == "__main__":
    main()
