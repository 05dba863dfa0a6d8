"""CachedSpacyTokenizer gives exactly datatrove's SpaCyTokenizer words and sentence spans (real extracted pages,
every line of them, and whitespace corner cases), and the quality filters use it for spaCy languages."""

from __future__ import annotations

import json

import pytest
from datatrove.utils.text import split_into_sentences
from datatrove.utils.word_tokenizers import SpaCyTokenizer

from curation.extract import extract_main
from curation.readers import decode_html
from filters.cached_tokenizer import CachedSpacyTokenizer
from filters.quality import LanguageQualityFilter

CORNER_CASES = [
    "",
    "   ",
    "  Hello  world. \n\n Next one!  ",
    "Hi.. there?! ok",
    "a.\tb",
    "U.S. troops left. Then",
    "¿Qué? ¡No!  Sí…",
    "e-mail: x@y.com, https://a.b/c?d=1.",
    "«Hola», dijo.\u00a0Luego—nada.",
]


def _units(web, langs: set[str]) -> dict[str, list[str]]:
    manifest = {
        r["file"]: r["html_lang"]
        for r in map(json.loads, (web / "html_manifest.jsonl").read_text().splitlines())
    }
    out: dict[str, list[str]] = {lang: list(CORNER_CASES) for lang in langs}
    for page in sorted((web / "html").glob("*.html")):
        if manifest.get(page.name) in langs:
            text = extract_main(decode_html(page.read_bytes()))
            out[manifest[page.name]] += [text] + [line.strip() for line in text.splitlines()]
    return out


def _assert_same(units: dict[str, list[str]]) -> None:
    for lang, texts in units.items():
        plain, cached = SpaCyTokenizer(lang), CachedSpacyTokenizer(lang)
        for t in texts + texts:  # the second round is served from the chunk cache
            assert cached.word_tokenize(t) == plain.word_tokenize(t), (lang, t[:200])
            assert cached.span_tokenize(t) == plain.span_tokenize(t), (lang, t[:200])
            assert cached.sent_tokenize(t) == plain.sent_tokenize(t), (lang, t[:200])


def test_same_words_and_sentences_as_spacy_on_embedded_pages(examples):
    _assert_same(_units(examples / "web", {"en", "es"}))


@pytest.mark.slow
def test_same_words_and_sentences_as_spacy_on_shared_pages(shared):
    _assert_same(_units(shared / "web", {"en", "es", "de", "fr"}))


def test_quality_filters_share_one_cached_tokenizer():
    q = LanguageQualityFilter(["en", "es"])
    for lang in ("en", "es"):
        toks = {f.language for _, f in q.filters_for(lang) if hasattr(f, "language")}
        assert len(toks) == 1 and isinstance(next(iter(toks)), CachedSpacyTokenizer), toks
    tok = next(f.language for _, f in q.filters_for("es"))
    text = "Primera frase. Segunda frase! Y una tercera"
    assert split_into_sentences(text, tok) == split_into_sentences(text, "es")
