"""Main-content extraction with trafilatura, deterministic: `deduplicate=False` (trafilatura's deduplicate keeps
a per-process memory of seen text, so datatrove's Trafilatura step gives different output for 1 and 2 tasks;
DESIGN.md "Determinism"). Duplicates are removed later by the dedup stages, over all documents at once.
After extraction each document gets its final id: hash of dataset|run_id|source + text (ARCHITECTURE.md "Ids").
"""

from __future__ import annotations

from datatrove.data import DocumentsPipeline
from datatrove.pipeline.base import PipelineStep

from curation.sink import RejectSink, doc_id


def extract_text(html: str, url: str | None = None, favor_precision: bool = True) -> str:
    import trafilatura

    # settings of datatrove's Trafilatura step / FineWeb, except deduplicate (see module docstring)
    return trafilatura.extract(html, url=url or None, favor_precision=favor_precision, include_comments=False,
                               deduplicate=False, with_metadata=False) or ""


class TrafilaturaExtractor(PipelineStep):
    """HTML → main text; plain-text documents pass through. Empty results go to the reject sink."""

    name = "⛏ Trafilatura (deterministic)"
    type = "🛢 - EXTRAC"

    def __init__(self, sink: RejectSink, id_prefix: str = "", favor_precision: bool = True):
        super().__init__()
        self.sink, self.id_prefix, self.favor_precision = sink, id_prefix, favor_precision

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        for doc in data:
            self.stat_update("total")
            # source (file:offset) rather than url: the same page stored twice keeps two distinct ids
            key = f"{self.id_prefix}|{doc.metadata.get('source') or doc.id}"
            if doc.metadata.get("is_html"):
                with self.track_time():
                    try:
                        text = extract_text(doc.text, doc.metadata.get("url"), self.favor_precision)
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
                doc.metadata["extracted"] = True
            doc.id = doc_id(key, doc.text)
            self.stat_update("forwarded")
            yield doc
