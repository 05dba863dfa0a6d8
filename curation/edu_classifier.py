"""Train the educational-value fastText classifier in the DCLM manner (Li et al. 2024, arXiv 2406.11794 §4.4):
positives = high-quality explanatory / instructional text, negatives = random web text; a bigram fastText
model separates them and its P(positive) is the document's edu_score.

Positives here (real files, data/SOURCES.md): GSM8K and MATH solutions, XQuAD paragraphs (en, es), the Korean
constitution and National Assembly bills, Paul Graham essays. Negatives: whole web pages *including* their
boilerplate (all text of the HTML, not the extracted main content) and random user web text (NSMC movie
reviews, chatbot one-liners). Held-out split: 20% by hash of the text, reported in docs/curation.md.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import xxhash

from datamill.demo_data import EXAMPLES, shared_data
from filters.edu import NEGATIVE_LABEL, POSITIVE_LABEL, edu_scores, fasttext_line, load_edu_model

DEFAULT_MODEL = Path(__file__).resolve().parent / "models" / "edu_fasttext.ftz"
CHUNK = 1200  # characters per training example (web chunks and long positives cut to similar lengths)
# ENVIRONMENT.md: fastText on numpy 2 may hit NaN with unigrams; wordNgrams=2 and a small bucket avoid it
TRAIN_PARAMS = {
    "lr": 0.1,
    "epoch": 5,
    "wordNgrams": 2,
    "bucket": 20000,
    "dim": 32,
    "minCount": 2,
    "loss": "softmax",
    "thread": 1,
    "seed": 7,
}


def _chunks(text: str, size: int = CHUNK) -> list[str]:
    paras, out, cur = [p.strip() for p in text.split("\n") if p.strip()], [], ""
    for p in paras:
        if cur and len(cur) + len(p) > size:
            out.append(cur)
            cur = ""
        cur = f"{cur}\n{p}" if cur else p
    return out + ([cur] if cur else [])


def _groups(items: list[str], n: int) -> list[str]:
    return ["\n".join(items[i : i + n]) for i in range(0, len(items), n)]


def positives(root: Path) -> list[str]:
    out = []
    for name in ("gsm8k_train.jsonl", "math_train.jsonl"):
        for line in (root / "math" / name).read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            out.append(f"{r.get('question') or r.get('problem')}\n{r.get('answer') or r.get('solution')}")
    for lang in ("en", "es"):
        data = json.loads((root / "spanish" / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
        out += [p["context"] for art in data for p in art["paragraphs"]]
    out += _chunks((root / "korean" / "kolaw_constitution.txt").read_text(encoding="utf-8"))
    for p in sorted((root / "korean" / "kobill").glob("*.txt")):
        out += _chunks(p.read_text(encoding="utf-8", errors="replace"))
    niah = (
        root / "niah" / "PaulGrahamEssays" if (root / "niah" / "PaulGrahamEssays").is_dir() else root / "niah"
    )
    for p in sorted(niah.glob("*.txt")):
        out += _chunks(p.read_text(encoding="utf-8"))
    return out


def page_text_with_boilerplate(html: str) -> str:
    import lxml.html

    tree = lxml.html.fromstring(html)
    for bad in tree.xpath("//script|//style|//noscript"):
        bad.drop_tree()
    return "\n".join(t.strip() for t in tree.itertext() if t.strip())


def negatives(root: Path) -> list[str]:
    out = []
    for p in sorted((root / "web" / "html").glob("*.html")):
        try:
            out += _chunks(page_text_with_boilerplate(p.read_text(encoding="utf-8", errors="replace")))
        except Exception:  # noqa: BLE001, S112 — lxml rejects a few pages (empty documents); they just do not contribute
            continue
    reviews = [
        json.loads(x)["review"]
        for x in (root / "korean" / "nsmc_raw_reviews_sample.jsonl").read_text(encoding="utf-8").splitlines()
        if x.strip()
    ]
    out += _groups([r for r in reviews if r.strip()], 12)
    chat = [
        ln.rsplit(",", 1)[0]
        for ln in (root / "korean" / "ChatbotData.csv").read_text(encoding="utf-8").splitlines()[1:]
    ]
    out += _groups(chat, 12)
    return out


def split_examples(root: Path, max_per_class: int = 8000, seed: int = 0):
    """(train, heldout) lists of (label, text); held-out = 20% by text hash; classes capped for balance."""
    rng = random.Random(seed)
    data = []
    for label, texts in ((POSITIVE_LABEL, positives(root)), (NEGATIVE_LABEL, negatives(root))):
        texts = sorted({t for t in texts if len(t) > 80})
        rng.shuffle(texts)
        data += [(label, t) for t in texts[:max_per_class]]
    heldout = [(lab, t) for lab, t in data if xxhash.xxh64_intdigest(t) % 5 == 0]
    train = [(lab, t) for lab, t in data if xxhash.xxh64_intdigest(t) % 5 != 0]
    return train, heldout


def evaluate(model, heldout: list[tuple[str, str]], threshold: float = 0.5) -> dict[str, float]:
    scores = edu_scores(model, [t for _, t in heldout])
    tp = sum(s >= threshold and lab == POSITIVE_LABEL for s, (lab, _) in zip(scores, heldout))
    fp = sum(s >= threshold and lab != POSITIVE_LABEL for s, (lab, _) in zip(scores, heldout))
    fn = sum(s < threshold and lab == POSITIVE_LABEL for s, (lab, _) in zip(scores, heldout))
    return {
        "precision": tp / max(tp + fp, 1),
        "recall": tp / max(tp + fn, 1),
        "heldout": len(heldout),
        "heldout_positive": sum(lab == POSITIVE_LABEL for lab, _ in heldout),
        "threshold": threshold,
    }


def _train_in_child(train_file: str, model_out: str, quantize: bool) -> None:
    """Runs in a fresh interpreter: train, optionally quantize, save. Exit code 3 = NaN divergence."""
    import fasttext

    fasttext.FastText.eprint = lambda *a, **k: None
    try:
        model = fasttext.train_supervised(input=train_file, verbose=0, **TRAIN_PARAMS)
    except RuntimeError as e:
        if "NaN" in str(e):
            sys.exit(3)
        raise
    if quantize:  # ~8x smaller file; accuracy change is reported by the held-out metrics
        model.quantize(
            input=train_file, qnorm=False, retrain=False, cutoff=50000
        )  # qnorm/cutoff=20k lose recall
    model.save_model(model_out)


def train_edu_classifier(
    out: str | Path = DEFAULT_MODEL, root: Path | None = None, quantize: bool = True
) -> dict:
    """Train, evaluate on the held-out split, save the model (+ <model>.json with metrics). Returns the metrics."""

    root = Path(root) if root else (shared_data() or EXAMPLES)
    train, heldout = split_examples(root)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        for lab, t in train:
            f.write(f"{lab} {fasttext_line(t)}\n")
    tmp = out.with_name(out.name + ".tmp")
    # The numpy-2 fastText wheel diverges (NaN) at random when it trains in a process whose heap was used
    # before (in one long process ~50-97% of runs fail; in a fresh process 12 of 12 passed): train in a fresh
    # interpreter, and try again in another one if it still diverges.
    repo = str(Path(__file__).resolve().parents[1])
    code = f"from curation.edu_classifier import _train_in_child; _train_in_child({f.name!r}, {str(tmp)!r}, {quantize!r})"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))}
    try:
        for _ in range(10):
            proc = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
            )
            if proc.returncode != 3:
                break
        if proc.returncode != 0:
            raise RuntimeError(
                f"fastText training failed (exit code {proc.returncode}; 3 = diverged to NaN "
                f"10 times, see ENVIRONMENT.md): {proc.stderr.strip()[-500:]}"
            )
    finally:
        Path(f.name).unlink(missing_ok=True)
    tmp.replace(out)
    metrics = evaluate(load_edu_model(str(out)), heldout)
    metrics.update(train=len(train), data_root=str(root), params=TRAIN_PARAMS, quantized=quantize)
    from datamill.atomic import atomic_write_text

    atomic_write_text(out.with_name(out.name + ".json"), json.dumps(metrics, indent=1, default=str))
    return metrics
