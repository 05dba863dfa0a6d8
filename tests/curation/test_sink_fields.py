"""The store writer's mapping from curation metadata (named keys in schemas.web) to WebDocument fields."""

from datatrove.data import Document

from curation.sink import to_web_document
from schemas import WebDocument
from schemas.web import (
    FIELD_KEYS,
    META_CONTAMINATION,
    META_DROP,
    META_EDU,
    META_EDU_LLM,
    META_EXACT_HASH,
    META_HTML,
    META_LANGUAGE,
    META_LANGUAGE_SCORE,
    META_MINHASH_CLUSTER,
    META_PII,
    META_QUALITY,
    META_SOURCE,
    META_URL,
)


def test_field_keys_become_fields_and_the_rest_stays_in_metadata():
    doc = Document(
        text="Photosynthesis turns light into sugar.",
        id="d1",
        metadata={
            META_URL: "https://example.org/p",
            META_SOURCE: "crawl.warc.gz:120",
            META_LANGUAGE: "en",
            META_LANGUAGE_SCORE: 0.97,
            META_QUALITY: {"gopher": 1},
            META_EDU: 3.2,
            META_PII: {"email": 1},
            META_MINHASH_CLUSTER: -1,
            META_EXACT_HASH: "ab12",
            META_HTML: False,
            "file_path": "/in/crawl.warc.gz",
            META_EDU_LLM: 4,
            META_CONTAMINATION: [{"benchmark": "gsm8k"}],
        },
    )
    w = to_web_document(doc, num_tokens=7)
    assert (w.url, w.source, w.language, w.language_score, w.edu_score) == (
        "https://example.org/p",
        "crawl.warc.gz:120",
        "en",
        0.97,
        3.2,
    )
    assert w.quality_scores == {"gopher": 1.0} and w.pii_counts == {"email": 1}
    assert (
        w.dedup_cluster == "exact:ab12"
    )  # minhash cluster -1 means none, so the exact hash names the cluster
    assert w.metadata == {META_EDU_LLM: 4, META_CONTAMINATION: [{"benchmark": "gsm8k"}]}
    assert not FIELD_KEYS & set(w.metadata)
    assert WebDocument.from_row(w.to_row()) == w


def test_rejected_html_is_cut_and_names_its_filter():
    doc = Document(text="<p>x</p>" * 5000, id="d2", metadata={META_HTML: True})
    doc.metadata[META_DROP] = {"filter": "extract", "reason": "empty_extraction"}
    w = to_web_document(doc, num_tokens=0)
    assert len(w.text) == 20_000 and w.metadata == {
        META_DROP: {"filter": "extract", "reason": "empty_extraction"}
    }
