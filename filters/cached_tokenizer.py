"""datatrove's spaCy word tokenizer, with the same output, without re-tokenizing words it has already seen.

spaCy tokenizes each whitespace-separated chunk on its own (prefix/suffix/infix rules and exceptions never cross
whitespace), so the words of a text are the words of its chunks, in order. spaCy caches a chunk's tokens only when
all its lexemes are in the vocabulary, and a blank pipeline's vocabulary is empty: every word of every document
goes through the affix rules again (spacy/tokenizer.pyx `_tokenize_affixes`), in each of the Gopher, C4 and
FineWeb filters that splits it (C4 once per line, for sentences). Here each distinct chunk is tokenized once per
process (the new chunks of a text in one spaCy call) and remembered; sentences are rebuilt from those tokens with
spaCy's own rules: its whitespace tokens (spacy/tokenizer.pyx `_tokenize_affixes`: a whitespace run becomes a token,
less its first char when that is a single space after a word) and its Sentencizer (a sentence ends after a token in
`punct_chars`, at the next token that is neither punctuation nor in `punct_chars`).
tests/filters/test_cached_tokenizer.py checks words and sentence spans equal SpaCyTokenizer's on real pages.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache

from datatrove.utils.word_tokenizers import SpaCyTokenizer, WordTokenizer, load_word_tokenizer

MAX_CACHED_CHUNKS = 500_000  # ~100 MB at worst; the cache is dropped (not trimmed) when full
_RUNS = re.compile(r"\S+|\s+")


class CachedSpacyTokenizer(SpaCyTokenizer):
    def __init__(self, language: str):
        super().__init__(language)
        self._chunks: dict[str, list[str]] = {}
        self._punct: dict[str, bool] = {}

    def __getstate__(self):  # pickled into datatrove workers without the (rebuildable) caches
        return {**self.__dict__, "_chunks": {}, "_punct": {}, "_tokenizer": None}

    def word_tokenize(self, text: str) -> list[str]:
        chunks = text.split()
        cache = self._chunks
        new = list(dict.fromkeys(c for c in chunks if c not in cache))
        if new:
            if len(cache) + len(new) > MAX_CACHED_CHUNKS:
                cache.clear()
            cache.update(self._tokenize_chunks(new))
        return [w for c in chunks for w in cache[c]]

    def span_tokenize(self, text: str) -> list[tuple[int, int]]:
        tokens = self._tokens(text)
        if not tokens:
            return []
        punct_chars = self.tokenizer.get_pipe("sentencizer").punct_chars
        starts, _start, seen_period = [0], 0, False
        for i, (tok, _) in enumerate(tokens):  # spacy/pipeline/sentencizer.pyx Sentencizer.predict
            in_punct_chars = tok in punct_chars
            if seen_period and not in_punct_chars and not self._is_punct(tok):
                _start, seen_period = i, False
                starts.append(i)
            elif in_punct_chars:
                seen_period = True
        ends = starts[1:] + [len(tokens)]
        return [(tokens[a][1], tokens[b - 1][1] + len(tokens[b - 1][0])) for a, b in zip(starts, ends)]

    def sent_tokenize(self, text: str) -> list[str]:
        return [s for s in (text[a:b].strip() for a, b in self.span_tokenize(text)) if s]

    def _tokens(self, text: str) -> list[tuple[str, int]]:
        """spaCy's token stream (text, char offset), whitespace tokens included."""
        self.word_tokenize(text)  # fills the chunk cache
        out: list[tuple[str, int]] = []
        for m in _RUNS.finditer(text):
            run, pos = m.group(), m.start()
            if not run[0].isspace():
                for tok in self._chunks[run]:
                    out.append((tok, pos))
                    pos += len(tok)
            elif pos == 0 or run[0] != " ":
                out.append((run, pos))
            elif len(run) > 1:  # a single space after a word is that word's trailing whitespace
                out.append((run[1:], pos + 1))
        return out

    def _is_punct(self, tok: str) -> bool:
        if tok not in self._punct:
            from spacy.attrs import IS_PUNCT

            self._punct[tok] = bool(self.tokenizer.vocab.lex_attr_getters[IS_PUNCT](tok))
        return self._punct[tok]

    def _tokenize_chunks(self, chunks: list[str]) -> dict[str, list[str]]:
        """One spaCy tokenizer call over the chunks joined by spaces; tokens go back to their chunk by offset."""
        joined = " ".join(chunks)
        starts, pos = [], 0
        for c in chunks:
            starts.append(pos)
            pos += len(c) + 1
        out: dict[str, list[str]] = {c: [] for c in chunks}
        with self.tokenizer.memory_zone():
            self.tokenizer.max_length = len(joined) + 10
            for token in self.tokenizer.tokenizer(joined):  # the tokenizer only: no sentencizer
                word = token.text.strip()  # as datatrove's strip_strings
                if word:
                    out[chunks[bisect_right(starts, token.idx) - 1]].append(word)
        return out


@cache
def cached_word_tokenizer(language: str) -> WordTokenizer | str:
    """One shared CachedSpacyTokenizer per language where datatrove would use spaCy; else the language code
    (datatrove then loads its own tokenizer for it)."""
    return (
        CachedSpacyTokenizer(language) if type(load_word_tokenizer(language)) is SpaCyTokenizer else language
    )
