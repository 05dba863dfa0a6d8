"""Extraction quality on gold snippets: per page, "with" snippets that belong to the main content and "without"
snippets of boilerplate. Two sets: trafilatura's evaldata (../shared/data/web/html_evaldata.json, 181 pages) and
our own hand-checked snippets (examples/data/web/extraction_eval_own.json, pages of ../shared/data/web/html).
Counting follows trafilatura's own evaluation (tests/comparison.py): a found "with" is a true positive, a
missing one a false negative, a found "without" a false positive; precision = TP/(TP+FP), recall = TP/(TP+FN).
`CANDIDATES` are the extractors and combinations compared in bench/extraction_bench.py.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from curation.readers import decode_html

OWN_EVAL = "extraction_eval_own.json"


@dataclass
class ExtractionScores:
    pages: int = 0
    tp: int = 0
    fn: int = 0
    fp: int = 0
    tn: int = 0
    cpu_s: float = 0.0
    per_page: dict[str, dict[str, int]] = field(default_factory=dict)
    per_lang: dict[str, ExtractionScores] = field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.tp / max(self.tp + self.fp, 1)

    @property
    def recall(self) -> float:
        return self.tp / max(self.tp + self.fn, 1)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / max(p + r, 1e-9)

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.cpu_s if self.cpu_s else 0.0

    def add(self, page: dict[str, int]) -> None:
        self.pages += 1
        self.tp, self.fn, self.fp, self.tn = (
            self.tp + page["tp"],
            self.fn + page["fn"],
            self.fp + page["fp"],
            self.tn + page["tn"],
        )


@dataclass
class EvalPage:
    key: str
    path: Path
    url: str | None
    lang: str
    with_: list[str]
    without: list[str]


def load_pages(eval_json: Path, html_dir: Path, manifest: Path | None = None) -> list[EvalPage]:
    """Pages of an evaldata-style JSON ({url: {file, with, without, lang?}}) whose HTML file exists; the language
    is the entry's `lang`, else <html lang> from the manifest."""
    gold = json.loads(Path(eval_json).read_text(encoding="utf-8"))
    langs = {}
    if manifest and Path(manifest).exists():
        langs = {r["file"]: r["html_lang"] for r in map(json.loads, Path(manifest).read_text().splitlines())}
    pages = []
    for key, e in sorted(gold.items()):
        path = Path(html_dir) / e["file"]
        if path.exists():
            url = key if key.startswith("http") else None
            pages.append(
                EvalPage(
                    key,
                    path,
                    url,
                    e.get("lang") or langs.get(e["file"], "und"),
                    e.get("with", []),
                    e.get("without", []),
                )
            )
    return pages


def score(pages: list[EvalPage], extract: Callable[[str, str | None, str], str]) -> ExtractionScores:
    """Run `extract(html, url, lang)` on every page (decoded as the readers decode it); CPU time is the
    extraction's only, after one untimed call (imports and lazy set-up are not per-page costs)."""
    s = ExtractionScores()
    if pages:
        extract(decode_html(pages[0].path.read_bytes()) or "", pages[0].url, pages[0].lang)
    for p in pages:
        html = decode_html(p.path.read_bytes()) or ""
        t0 = time.process_time()
        text = extract(html, p.url, p.lang)
        s.cpu_s += time.process_time() - t0
        tp, fp = sum(x in text for x in p.with_), sum(x in text for x in p.without)
        page = {"tp": tp, "fn": len(p.with_) - tp, "fp": fp, "tn": len(p.without) - fp}
        s.per_page[p.key] = page
        s.add(page)
        s.per_lang.setdefault(p.lang, ExtractionScores()).add(page)
    return s


def evaluate_extraction(web_dir: Path, favor_precision: bool = True) -> ExtractionScores:
    """Our pipeline's extraction on trafilatura's evaldata of `web_dir` (html_evaldata.json + html/)."""
    from curation.extract import extract_text

    web_dir = Path(web_dir)
    pages = load_pages(web_dir / "html_evaldata.json", web_dir / "html", web_dir / "html_manifest.jsonl")
    return score(pages, lambda html, url, lang: extract_text(html, url, favor_precision))


# jusText stoplists by page language (jusText ships one per language, named in English)
JUSTEXT_LANGS = {
    "en": "English",
    "de": "German",
    "es": "Spanish",
    "fr": "French",
    "pl": "Polish",
    "pt": "Portuguese",
    "it": "Italian",
    "fi": "Finnish",
    "hu": "Hungarian",
    "no": "Norwegian_Bokmal",
    "ar": "Arabic",
    "ko": "Korean",
}


def _justext(html: str, url: str | None, lang: str) -> str:
    import justext

    name = JUSTEXT_LANGS.get(lang, "English")
    stoplist = justext.get_stoplist(name) if name in justext.get_stoplists() else frozenset()
    return "\n".join(
        p.text
        for p in justext.justext(html.encode("utf-8"), stoplist, encoding="utf-8")
        if not p.is_boilerplate
    )


def _trafilatura(**kw) -> Callable[[str, str | None, str], str]:
    def run(html: str, url: str | None, lang: str) -> str:
        import trafilatura

        # as datatrove's Trafilatura step calls it, but deduplicate=False (deterministic)
        return (
            trafilatura.extract(
                html, url=url, include_comments=False, deduplicate=False, with_metadata=False, **kw
            )
            or ""
        )

    return run


def _resiliparse(html: str, url: str | None, lang: str) -> str:
    from resiliparse.extract.html2text import extract_plain_text

    return extract_plain_text(html, main_content=True)


def _ours(**flags) -> Callable[[str, str | None, str], str]:
    def run(html: str, url: str | None, lang: str) -> str:
        from curation.extract import extract_main

        return extract_main(html, url, **flags)

    return run


def candidates(trafilatura_major: int) -> dict[str, Callable[[str, str | None, str], str]]:
    """name → extract(html, url, lang). Names carry the trafilatura major version they ran with."""
    v = f"trafilatura {trafilatura_major}"
    out = {
        f"{v} precision": _trafilatura(favor_precision=True),
        f"{v} recall": _trafilatura(favor_recall=True),
        f"{v} default": _trafilatura(),
    }
    if trafilatura_major < 2:
        return out
    return {
        **out,
        f"{v} precision fast": _trafilatura(favor_precision=True, fast=True),
        "resiliparse main_content": _resiliparse,
        "jusText (page-language stoplist)": _justext,
        "ours: trafilatura 2 fast + fallback + leads (resiliparse) + JSON-LD + line rules": _ours(),
        "  ours without line rules": _ours(line_rules=False),
        "  ours without leads from resiliparse": _ours(leads=False),
        "  ours without the fallback to full trafilatura": _ours(fallback=False),
        "  ours without JSON-LD": _ours(structured=False),
    }


def main() -> None:
    """`python -m curation.extraction_eval EVAL_JSON HTML_DIR [MANIFEST]`: JSON scores of the trafilatura
    candidates of whatever trafilatura is importable (bench/extraction_bench.py runs 1.11 this way)."""
    import sys

    import trafilatura

    pages = load_pages(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]) if len(sys.argv) > 3 else None)
    major = int(trafilatura.__version__.split(".")[0])
    out = {}
    for name, fn in candidates(major).items():
        s = score(pages, fn)
        out[name] = {
            "tp": s.tp,
            "fn": s.fn,
            "fp": s.fp,
            "tn": s.tn,
            "pages": s.pages,
            "cpu_s": s.cpu_s,
            "per_lang": {k: [v.tp, v.fn, v.fp, v.tn, v.pages] for k, v in s.per_lang.items()},
        }
    print(json.dumps({"version": trafilatura.__version__, "results": out}))


if __name__ == "__main__":
    main()
