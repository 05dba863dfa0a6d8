"""Main-content extraction: trafilatura 2.x checked against resiliparse, deterministic and fast.

`extract_main(html, url)` (chosen by the numbers in bench/RESULTS.md "extraction_bench"; docs/curation.md):
1. A lexbor parse (selectolax) drops what no extractor reads: script (JSON-LD kept aside), style, svg,
   noscript, iframe, template, object, embed, canvas, link, media (picture, img, video, audio) and comments. trafilatura removes the same elements
   after its own parse (settings.MANUALLY_CLEANED); cutting them first makes its lxml parse and tree walks, and
   resiliparse's parse, smaller.
2. trafilatura `fast=True, favor_precision=True` on the pruned page, and resiliparse's main-content text of the
   same pruned page (a second opinion for ~2 ms).
3. Fallback when the first returns too little: under 20% of resiliparse's length, trafilatura runs again with
   its own fallbacks (readability/jusText comparison) — pages whose article markup its fast path misses.
4. Lead paragraphs: long resiliparse paragraphs just before or inside the span trafilatura kept are put back
   (standfirsts and teasers that trafilatura's precision mode drops).
5. Structured data: JSON-LD `articleBody` when the HTML gave (almost) nothing; Recipe/HowTo ingredients and
   steps that are missing from the text.
6. Lines that are boilerplate on any site ("Read more: …", newsletter calls, credits) are dropped
   (curation/boilerplate_lines.py).
No per-process memory (trafilatura deduplicate=False): output is the same for any task count (DESIGN.md
"Determinism"). After extraction each document gets its final id: hash of dataset|run_id|source + text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from curation.boilerplate_lines import drop_boilerplate_lines
from curation.sink import RejectSink, doc_id
from curation.structured_data import structured_text
from schemas.web import META_EXTRACTED, META_HTML, META_SOURCE, META_URL

PRUNED_TAGS = (
    "script",
    "style",
    "svg",
    "noscript",
    "iframe",
    "template",
    "object",
    "embed",
    "canvas",
    "link",
    "picture",
    "img",
    "video",
    "audio",
)  # media: trafilatura drops them (include_images=False)
FAST_TOO_LITTLE = (
    0.2  # fast/resiliparse length ratio under which the full trafilatura runs (see module doc, 3)
)
LEAD_MIN_CHARS = 100  # resiliparse paragraphs shorter than this are never put back (menus, captions, bylines)
LEAD_BEFORE = 3  # paragraphs before the first one trafilatura kept that may be a lead
MATCH_MIN_CHARS = 30  # a resiliparse paragraph this long found in trafilatura's text anchors the kept span
COVERED_SHARE = 0.5  # a paragraph with half its 5-word shingles in the text already is not a missing lead
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


@lru_cache(maxsize=1)
def _trafilatura_config():
    from trafilatura.settings import use_config

    cfg = use_config()
    cfg.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no SIGALRM: extraction runs inside datatrove workers
    return cfg


def prune_html(html: str) -> tuple[str, list[str]]:
    """(pruned HTML, JSON-LD blocks) from one lexbor parse (selectolax; strip_tags runs in C)."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(_COMMENT.sub("", html))
    ld = [n.text(deep=True) for n in tree.css('script[type="application/ld+json"]')]
    tree.strip_tags(list(PRUNED_TAGS))
    return tree.html or "", ld


def trafilatura_text(html: str, url: str | None, fast: bool, favor_precision: bool = True) -> str:
    import trafilatura

    return (
        trafilatura.extract(
            html,
            url=url or None,
            fast=fast,
            favor_precision=favor_precision,
            favor_recall=not favor_precision,
            include_comments=False,
            deduplicate=False,
            with_metadata=False,
            config=_trafilatura_config(),
        )
        or ""
    )


def _shingles(words: list[str], n: int = 5) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(max(len(words) - n + 1, 1))}


def _end_of(anchor: str, text: str) -> int:
    """Where `anchor` ends in `text`, whatever whitespace and line breaks the two extractors put between words."""
    words = anchor.split()[-6:]
    m = re.search(r"\s+".join(map(re.escape, words)), text)
    return m.end() if m else -1


def add_lead_paragraphs(text: str, second: str) -> str:
    """Put back the second extractor's long paragraphs that lie before (up to LEAD_BEFORE) or inside the span of
    paragraphs both extractors kept, each after the kept paragraph that precedes it. A paragraph counts as kept
    when its words are in the text whatever the line breaks (trafilatura breaks lines at some inline elements,
    resiliparse does not), and one whose 5-word shingles are mostly in the text already is never added again."""
    lines = [s for s in (x.strip() for x in second.split("\n")) if s]
    flat = " ".join(text.split())
    present = [" ".join(s.split()) in flat for s in lines]
    kept = [i for i, s in enumerate(lines) if len(s) >= MATCH_MIN_CHARS and present[i]]
    if not kept:
        return text
    have = _shingles(text.split())
    inserts: list[tuple[int, str]] = []  # (position in text, paragraph)
    for i in range(max(kept[0] - LEAD_BEFORE, 0), kept[-1]):
        s = lines[i]
        if len(s) < LEAD_MIN_CHARS or present[i]:
            continue
        grams = _shingles(s.split())
        if len(grams & have) >= COVERED_SHARE * len(grams):
            continue
        prev = max((j for j in kept if j < i), default=None)
        pos = 0 if prev is None else _end_of(lines[prev], text)
        if pos >= 0:
            inserts.append((pos, s))
            have |= grams  # the same paragraph twice in the second opinion (caption + alt text) is added once
    for pos, s in sorted(inserts, key=lambda x: x[0], reverse=True):
        text = f"{s}\n{text}" if pos == 0 else f"{text[:pos]}\n{s}{text[pos:]}"
    return text


def extract_main(
    html: str,
    url: str | None = None,
    fallback: bool = True,
    leads: bool = True,
    structured: bool = True,
    line_rules: bool = True,
) -> str:
    """The chosen extraction; the flags turn single parts off for the ablations of bench/extraction_bench.py."""
    from resiliparse.extract.html2text import extract_plain_text

    pruned, ld = prune_html(html)
    text = trafilatura_text(pruned, url, fast=True)
    second = extract_plain_text(pruned, main_content=True) if fallback or leads else ""
    if fallback and len(text) < FAST_TOO_LITTLE * len(second):
        text = trafilatura_text(pruned, url, fast=False) or text
    if leads:
        text = add_lead_paragraphs(text, second)
    if structured:
        text = structured_text(text, ld)
    return (drop_boilerplate_lines(text) if line_rules else text).strip()


def extract_text(html: str, url: str | None = None, favor_precision: bool = True) -> str:
    """The pipeline's extraction (favor_precision=False: plain trafilatura in recall mode, for comparison)."""
    if not favor_precision:
        return trafilatura_text(prune_html(html)[0], url, fast=False, favor_precision=False)
    return extract_main(html, url)


class MainTextExtractor(PipelineStep):
    """HTML → main text (`extract_text`); plain-text documents pass through. Empty results go to the reject sink."""

    name = "⛏ Main text (trafilatura 2 + resiliparse)"
    type = "🛢 - EXTRAC"
    _requires_dependencies = ("trafilatura", "resiliparse", "selectolax")

    def __init__(self, sink: RejectSink, id_prefix: str = "", favor_precision: bool = True):
        super().__init__()
        self.sink, self.id_prefix, self.favor_precision = sink, id_prefix, favor_precision

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            self.stat_update("total")
            # source (file:offset) rather than url: the same page stored twice keeps two distinct ids
            key = f"{self.id_prefix}|{doc.metadata.get(META_SOURCE) or doc.id}"
            if doc.metadata.get(META_HTML):
                with self.track_time():
                    try:
                        text = extract_text(doc.text, doc.metadata.get(META_URL), self.favor_precision)
                    except Exception as e:  # noqa: BLE001 — lxml/trafilatura raise many types on broken markup
                        doc.id = doc_id(key, doc.text)
                        self.sink.add(doc, "extract", "extraction_error")
                        doc.metadata["error"] = f"{type(e).__name__}: {e}"[:300]
                        continue
                if not text.strip():
                    doc.id = doc_id(key, doc.text)
                    self.sink.add(doc, "extract", "empty_extraction")
                    self.stat_update("dropped_empty")
                    continue
                doc.text = text
                doc.metadata[META_EXTRACTED] = True
            doc.id = doc_id(key, doc.text)
            self.stat_update("forwarded")
            yield doc


TrafilaturaExtractor = MainTextExtractor  # the name pipeline.py and older configs import
