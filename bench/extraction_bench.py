"""extraction_bench: every extraction candidate's precision, recall, F1 (all pages and per language) and pages/s
per core, on the same pages, in one run.

Sets: trafilatura's evaldata (../shared/data/web, 181 pages; examples/data/web's 19 without ../shared) and our
own hand-checked snippets (examples/data/web/extraction_eval_own.json, 43 de/es/fr/KBS pages; the 9 embedded ones
without ../shared). Candidates: curation/extraction_eval.py `candidates` — trafilatura 2.3.1 (installed; precision,
recall, default, precision+fast), resiliparse, jusText, ours and its ablations — plus trafilatura 1.11 (datatrove
0.10.1's pin) run in a child process from bench/out/trafilatura-1.11 (`make bench` installs it there with
`pip install --no-deps --target`; it shares trafilatura 2's dependencies). Pages/s per core = pages / CPU seconds
of the extraction calls (time.process_time, one process), which other jobs on the machine do not inflate much.
Usage: python bench/extraction_bench.py [--quick] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._report import table, write_section
from curation.extraction_eval import OWN_EVAL, ExtractionScores, candidates, load_pages, score
from datamill.demo_data import EXAMPLES, shared_data

TRAFILATURA_111 = Path(__file__).with_name("out") / "trafilatura-1.11"
LANGS = ("en", "de", "es", "fr")


def eval_sets(web: Path) -> dict[str, tuple[Path, Path, Path | None]]:
    """name → (eval json, html dir, manifest)."""
    return {
        "trafilatura evaldata": (web / "html_evaldata.json", web / "html", web / "html_manifest.jsonl"),
        "own snippets (de/es/fr)": (EXAMPLES / "web" / OWN_EVAL, web / "html", None),
    }


def run_trafilatura_111(sets: dict) -> dict[str, dict[str, ExtractionScores]]:
    """set → candidate → scores, from `python -m curation.extraction_eval` with trafilatura 1.11 first on the path."""
    if not (TRAFILATURA_111 / "trafilatura").is_dir():
        print(
            f"trafilatura 1.11 not found in {TRAFILATURA_111}: its rows are skipped (make bench installs it)"
        )
        return {}
    env = {**os.environ, "PYTHONPATH": f"{TRAFILATURA_111}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out: dict[str, dict[str, ExtractionScores]] = {}
    for name, (ev, html, manifest) in sets.items():
        args = [sys.executable, "-m", "curation.extraction_eval", str(ev), str(html)] + (
            [str(manifest)] if manifest else []
        )
        res = json.loads(
            subprocess.run(
                args,
                env=env,
                check=True,
                capture_output=True,
                text=True,
                cwd=Path(__file__).resolve().parents[1],
            ).stdout.splitlines()[-1]
        )
        assert res["version"].startswith("1.11"), res["version"]
        out[name] = {}
        for cand, r in res["results"].items():
            s = ExtractionScores(
                pages=r["pages"], tp=r["tp"], fn=r["fn"], fp=r["fp"], tn=r["tn"], cpu_s=r["cpu_s"]
            )
            for lang, (tp, fn, fp, tn, pages) in r["per_lang"].items():
                s.per_lang[lang] = ExtractionScores(pages=pages, tp=tp, fn=fn, fp=fp, tn=tn)
            out[name][cand] = s
    return out


def prf(s: ExtractionScores | None) -> str:
    return f"{s.precision:.3f} / {s.recall:.3f} / {s.f1:.3f}" if s and s.pages else "—"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="embedded pages only")
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    web = EXAMPLES / "web" if args.quick or not shared_data() else shared_data() / "web"
    sets = eval_sets(web)
    results = run_trafilatura_111(sets)
    for name, (ev, html, manifest) in sets.items():
        pages = load_pages(ev, html, manifest)
        results.setdefault(name, {})
        for cand, fn in candidates(2).items():
            results[name][cand] = score(pages, fn)
    body = [
        (
            f'Pages: {web}. Cells are precision / recall / F1 (trafilatura\'s counting: a found "with" snippet is '
            'a true positive, a found "without" a false positive). Pages/s per core: CPU seconds of the extraction '
            "calls in one process. trafilatura 1.x rows ran in a child process with trafilatura 1.11.0 (datatrove "
            "0.10.1's pin), all others in this one, on the same decoded pages. `ours` = curation/extract.py; "
            "indented rows switch one of its parts off."
        )
    ]
    for name, cands in results.items():
        rows = []
        for cand, s in sorted(
            cands.items(), key=lambda kv: (not kv[0].startswith("trafilatura 1"), kv[0].startswith("  "))
        ):
            rows.append(
                [
                    cand,
                    s.pages,
                    prf(s),
                    *[prf(s.per_lang.get(lang)) for lang in LANGS],
                    f"{s.pages_per_s:.1f}" if s.cpu_s else "—",
                ]
            )
        langs = {lang: next(iter(cands.values())).per_lang.get(lang) for lang in LANGS}
        head = [
            "candidate",
            "pages",
            "all: P / R / F1",
            *[f"{lang} ({langs[lang].pages if langs[lang] else 0} pages)" for lang in LANGS],
            "pages/s per core",
        ]
        body.append(f"### {name}\n\n" + table(head, rows))
    text = "\n\n".join(body)
    print(text)
    if not args.no_write:
        write_section("extraction_bench", text)


if __name__ == "__main__":
    main()
