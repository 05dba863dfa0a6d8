"""The benchmark index behind `DecontaminationFilter`: match rules that name the benchmark item they matched.

Tokens, words and hashes: `filters.decontam_text` (case, punctuation, whitespace and LaTeX spelling ignored;
numbers blanked in a second row). A text is contaminated when any rule holds; each match names benchmark, item id
and rule. Every rule asks for evidence an item's own text gives and stock phrasing does not:
- `ngram13`    13 *words* in a row shared with an item part, the tokens between them included: GPT-3's 13-gram
               (arXiv 2005.14165 §C) counted in words, as GPT-3 counts prose. Normalised LaTeX is mostly tokens that
               are no words (`$m/n$` → m n), so 13 tokens can be a stock phrase that many items share ("can be
               expressed as m n where m and n are relatively prime", "cancel the factors of a b to get a 2 ab b 2").
- `whole_item` a question of fewer than 13 words (no 13-word run exists) occurs whole, numbers kept: GPT-4
               (arXiv 2303.08774, App. C) likewise uses the entire example when it is shorter than its sample.
- `coverage`   > 50% of a question's tokens lie in 8-grams that the text shares: open-instruct's n-gram coverage
               (allenai/open-instruct decontamination/search.py, ngram_match) with Tülu 3's 8-grams and threshold
               (arXiv 2411.15124 §3.2): partial copies (60% of an item), LaTeX stripped. A token counts only inside
               a run of 11+ tokens that both texts share in one place (Llama 2, arXiv 2307.09288 App. A.6: a token is
               contaminated when it lies in a shared n-gram longer than 10 tokens), so scattered stock pieces ("let a
               b c d be real numbers such that", "a 2 b 2 c 2 d 2") do not add up to half a short question.
- `numbers_changed` > 80% (Llama 2's "dirty" share) of a question's coverable tokens in shared 8-grams with numbers
               blanked, all on one alignment (a copy with other numbers keeps every token's place; two stock phrases
               of remainder-theorem questions sit at different offsets); questions of 13+ words, 8-grams at least
               half words.
No n-gram shared by ≥ 8 item parts is used (templates such as "write a python function to find the": they name
no item; GPT-3 §C likewise ignores 13-grams frequent in its training documents).
Speed (`match`): one tokenisation, span hashes from prefix sums, one Bloom-filter read per position in numpy; the
few positions that pass go to `decontam_match.SecondPass` in plain Python (a clean text never gets there).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from filters.decontam_match import SecondPass, run_cover
from filters.decontam_text import (
    Grams,
    is_word,
    normal_tokens,
    token_hashes,
    tokens,
    word_positions,
    word_windows,
    words,
)

__all__ = ["BenchmarkIndex", "Grams", "Match", "normal_tokens", "token_hashes", "words"]

FORMAT = "datamill-decontam-3"  # 3: item ids, 13-word runs, coverage runs, a first-pass Bloom filter
NGRAM = 13  # GPT-3 §C, in words
COVER_N = 8  # Tülu 3 §3.2
COVER_MIN = 0.5  # Tülu 3 §3.2: more than half of the eval instance's tokens
NUMBERS_COVER_MIN = (
    0.8  # numbers blanked: Llama 2's "dirty" share of contaminated tokens (arXiv 2307.09288 §A.6)
)
MIN_RUN = 11  # Llama 2 §A.6: a token is contaminated inside a shared n-gram longer than 10 tokens
MIN_COVERED = 13  # numbers_changed covers at least GPT-3's 13 tokens of the question
SHORT_WORDS = 13  # below GPT-3's 13 words, a question is matched whole
SHORT_MIN_TOKENS = 3  # "Evaluate $i^{11}$" = evaluate i 11; fewer tokens name no item
COMMON_PARTS = 8  # an n-gram in this many item parts is a template (MBPP's "write a python function to …")
# Blocked Bloom filter of what the first pass asks about (one 64-bit word per hash, two bits in it; Putze et al. 2007,
# "Cache-, hash- and space-efficient Bloom filters"): 2^22 words = 32 MiB hold the ~1M hashes of the bench's registry
# at < 1% of bits set, ~0.01% false candidates, so a clean text almost never reaches the second pass
_BLOOM_WORDS = 22
_SHIFT = np.uint64(64 - _BLOOM_WORDS)
_ONE, _SIX, _B6 = np.uint64(1), np.uint64(63), np.uint64(6)
# rule id → (name, share of the part's tokens that must be covered (None: one hit is enough), shortest shared run
# that counts, fewest covered tokens, one alignment only)
RULES = (
    ("ngram13", None, 0, 0, False),
    ("whole_item", None, 0, 0, False),
    ("coverage", COVER_MIN, MIN_RUN, MIN_RUN, False),
    ("numbers_changed", NUMBERS_COVER_MIN, COVER_N, MIN_COVERED, True),
)


@dataclass
class Match:
    benchmark: str
    item: (
        str  # the benchmark's own id (MATH unique_id, MBPP/BFCL/HumanEval task id, `<file>:<line>` for GSM8K)
    )
    rule: str  # ngram13 | whole_item | coverage | numbers_changed
    score: float  # share of the question covered (1.0 for ngram13 and whole_item)

    def to_dict(self) -> dict:
        return {
            "benchmark": self.benchmark,
            "item": self.item,
            "rule": self.rule,
            "score": round(self.score, 3),
        }


def _bloom_mask(h: np.ndarray) -> np.ndarray:
    return (_ONE << (h & _SIX)) | (_ONE << ((h >> _B6) & _SIX))


_MASKS = _bloom_mask(np.arange(4096, dtype=np.uint64))  # the two bits of each value of a hash's low 12 bits
_LOW12 = np.uint64(4095)


def _bitmap(h: np.ndarray) -> np.ndarray:
    """Blocked Bloom filter: each hash sets 2 bits (its low 12 bits) in one 64-bit word (its top bits)."""
    bits = np.zeros(1 << _BLOOM_WORDS, np.uint64)
    np.bitwise_or.at(bits, (h >> _SHIFT).astype(np.int64), _bloom_mask(h))
    return bits


def _maybe(bits: np.ndarray, h: np.ndarray) -> np.ndarray:
    mask = _MASKS.take(h & _LOW12)
    return (bits.take(h >> _SHIFT) & mask) == mask


def _directory(keys: np.ndarray) -> dict[str, np.ndarray]:
    """Sorted distinct keys and, per value of their top bits, where that bucket starts (~2 keys a bucket): a Python
    lookup reads one bucket's few adjacent keys instead of the ~20 scattered reads of a binary search."""
    bits = max(1, int(np.log2(max(len(keys), 2))) - 1)
    bucket = (keys >> np.uint64(64 - bits)).astype(np.int64)
    first = np.searchsorted(bucket, np.arange((1 << bits) + 1))
    return {"keys": keys, "dir": first.astype(np.int64), "dir_shift": np.array(64 - bits)}


class BenchmarkIndex:
    """Normalised index of benchmark items (see the module docstring); `match(text)` names what matched.
    Postings (rule, item part, start) under sorted hashes; whole short questions by their first 3 tokens."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.a = arrays
        self.n = int(arrays["n"])
        self._second: SecondPass | None = None  # made on first use (memoryviews of the arrays)
        self._names = (arrays["part_item"].tolist(), arrays["bench"].tolist(), arrays["ids"].tolist())
        # first-3-token hash → {length: {whole hash: parts}} of the short questions that start so
        self.short: dict[int, dict[int, dict[int, list[int]]]] = {}
        for anchor, length, h, part in zip(
            *(arrays[k].tolist() for k in ("short_anchor", "short_len", "short_hash", "short_part"))
        ):
            self.short.setdefault(anchor, {}).setdefault(length, {}).setdefault(h, []).append(part)

    @classmethod
    def build(cls, items: list, n: int = NGRAM) -> BenchmarkIndex:
        """`items`: objects with .benchmark, .item_id and .parts (question first): `filters.benchmarks`."""
        bench, ids, part_item, part_len, blank_den = [], [], [], [], []
        hs, rs, ps, ats, eights, short = [], [], [], [], [], []

        def add(rule: int, hashes: np.ndarray, part: int, at: np.ndarray) -> None:
            hs.append(hashes)
            rs.append(np.full(len(at), rule, np.int8))
            ps.append(np.full(len(at), part, np.int32))
            ats.append(at.astype(np.int32))

        for i, it in enumerate(items):
            bench.append(it.benchmark)
            ids.append(it.item_id)
            for k, text in enumerate(it.parts):
                toks, alpha = tokens(text)
                if not toks:
                    continue
                p, den = len(part_item), 0
                part_item.append(i)
                part_len.append(len(toks))
                g = Grams(token_hashes(toks, alpha))
                eights.append(g.of(COVER_N))  # the first pass's key of a 13-word run: its first 8 tokens
                wpos = word_positions(toks)
                start, end = word_windows(wpos, n)
                add(0, g.at(start, end), p, start)
                # near copies are judged on the question, as open-instruct queries the eval question
                if k == 0:
                    if len(wpos) < SHORT_WORDS and len(toks) >= SHORT_MIN_TOKENS:
                        short.append((int(g.of(SHORT_MIN_TOKENS)[0]), len(toks), int(g.of(len(toks))[0]), p))
                    if len(toks) >= NGRAM:
                        add(2, g.of(COVER_N), p, np.arange(len(toks) - COVER_N + 1))
                    if len(wpos) >= SHORT_WORDS:  # fewer words: with other numbers it is another question
                        at = _informative(toks, COVER_N)
                        add(3, g.of(COVER_N, row=1)[at], p, at)
                        # numbers blanked: share of the tokens the question's worded 8-grams can cover at all (a
                        # doctest or formula full of numbers is mostly outside them)
                        den = run_cover([(0, s) for s in at.tolist()], COVER_N, RULES[3][2])
                blank_den.append(den)
        h, r, part, pos = _specific(
            _cat(hs, np.uint64), _cat(rs, np.int8), _cat(ps, np.int32), _cat(ats, np.int32)
        )
        cols = list(zip(*short)) or [(), (), (), ()]
        sa, sl, sh, sp = (np.array(c, dt) for c, dt in zip(cols, (np.uint64, np.int32, np.uint64, np.int32)))
        a = {
            "format": np.array(FORMAT),
            "n": np.array(n),
            "bench": np.array(bench, dtype=str),
            "ids": np.array(ids, dtype=str),
            "part_item": np.array(part_item, np.int32),
            "part_len": np.array(part_len, np.int32),
            "blank_den": np.array(blank_den, np.int32),
            "short_anchor": sa,
            "short_len": sl,
            "short_hash": sh,
            "short_part": sp,
            "rule": r,
            "part": part,
            "pos": pos,
        }
        run = r == 0
        starts = _cat(eights, np.uint64)[np.cumsum([0] + [len(e) for e in eights])[part[run]] + pos[run]]
        a["bits"] = _bitmap(np.concatenate([h, starts, sa]))  # postings, run starts, short-question starts
        keys, first = np.unique(h, return_index=True)
        a["offsets"] = np.append(first, len(h)).astype(np.int64)
        a.update(_directory(keys))
        return cls(a)

    def save(self, path: str | Path) -> None:
        tmp = Path(f"{path}.tmp.npz")
        np.savez(tmp, **self.a)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> BenchmarkIndex:
        z = np.load(path, allow_pickle=False)
        if "format" not in z.files or str(z["format"]) != FORMAT:
            raise ValueError(
                f"{path}: a decontamination index of an older format ({FORMAT} expected); it is a "
                f"cache: delete it and run again to rebuild"
            )
        return cls({k: z[k] for k in z.files})

    def match(self, text: str) -> list[Match]:
        """Every benchmark item the text matches, best first (one Match per item).

        First pass, over the whole text in numpy: the Bloom filter is read for every position's 8-gram with numbers
        kept (a coverage posting, or the first 8 tokens of some item's 13-word run?), with numbers blanked where it
        holds a number (a numbers_changed posting?), and its first 3 tokens (the start of a short question?). A
        clean text ends here. Second pass (`decontam_match.SecondPass`), only at the positions that passed: 13-word
        runs hashed and looked up, short questions compared whole, then the 8-grams that no matched run already
        holds looked up and scored."""
        toks, alpha = tokens(text)
        if len(toks) < SHORT_MIN_TOKENS:
            return []
        a = self.a
        g = Grams.of_tokens(toks, alpha)  # without numbers the blanked row is the same row: one row
        k, n = g.s.shape[0], g.n
        if n <= _SPAN_CACHE_TOKENS:  # short text: every query from one gather over cached span positions
            end, start, power = _query_spans(n, k)
            s = g.s.ravel()
            q = g.p[power] * (s[end] - s[start])
            m8, m1, num = max(n - COVER_N + 1, 0), (k - 1) * max(n - COVER_N + 1, 0), None
        else:  # long text: slices; blanked 8-grams only where they differ (where there is a number)
            q8 = g.of_rows(COVER_N)
            num = (q8[0] != q8[1]).nonzero()[0] if k > 1 else np.empty(0, np.int64)
            q = np.concatenate([q8[0], q8[-1, num], g.of(SHORT_MIN_TOKENS)])
            m8, m1 = q8.shape[1], len(num)
        hits = _maybe(a["bits"], q).nonzero()[0]
        if not len(hits):  # the common case: nothing of the text is in the index
            return []
        i0, i1 = hits.searchsorted((m8, m8 + m1)).tolist()  # the passed queries by kind: (position, hash)
        r0, r1 = hits[:i0], hits[i0:i1]
        at1 = r1 - m8 if num is None else num.take(r1 - m8)
        if num is None:  # short text: the blanked row was asked everywhere; where it equals row 0 it is row 0
            keep = q.take(r1) != q.take(at1)
            r1, at1 = r1[keep], at1[keep]
        h0 = list(zip(r0.tolist(), q.take(r0).tolist()))
        h1 = list(zip(at1.tolist(), q.take(r1).tolist()))
        anchors = (hits[i1:] - (m8 + m1)).tolist()
        if self._second is None:
            self._second = SecondPass(
                a, self.short, self.n, RULES, COVER_N, SHORT_MIN_TOKENS, _MASKS, int(_SHIFT)
            )
        found = self._second.run(g, toks, h0, h1, anchors)
        best: dict[int, Match] = {}
        part_item, bench, ids = self._names
        for p, (score, rule) in found.items():
            item = part_item[p]
            if item not in best or score > best[item].score:
                best[item] = Match(bench[item], ids[item], rule, score)
        return sorted(best.values(), key=lambda m: (-m.score, m.benchmark, m.item))


_SPAN_CACHE_TOKENS = 256  # texts up to this many tokens compute their queries from cached span positions


@functools.lru_cache(maxsize=2 * _SPAN_CACHE_TOKENS)  # one or two rows
def _query_spans(n: int, rows: int) -> tuple[np.ndarray, ...]:
    """(end, start) of every first-pass query of a text of n tokens as positions in its flattened (rows, n + 1)
    prefix sums and the power of P of each: 8-grams of each row, then 3-grams of row 0."""
    m8, m3 = max(n - COVER_N + 1, 0), max(n - SHORT_MIN_TOKENS + 1, 0)
    start = np.concatenate([np.arange(m8) + r * (n + 1) for r in range(rows)] + [np.arange(m3)])
    length = np.repeat([COVER_N] * rows + [SHORT_MIN_TOKENS], [m8] * rows + [m3])
    within = np.concatenate([np.arange(m8)] * rows + [np.arange(m3)])  # start within its row
    return start + length, start, within + length - 1


def _informative(toks: list[str], n: int) -> np.ndarray:
    """Starts of the n-grams with at least half real words (2+ letters, no math names): "# x # # y # = #" or
    "sold # # # # # #" (GSM8K's <<48/2=24>> arithmetic once numbers are blanked) are shared by unrelated items."""
    word = np.fromiter(map(is_word, toks), dtype=np.int32, count=len(toks))
    c = np.concatenate([[0], np.cumsum(word)])
    m = len(toks) - n + 1
    return np.flatnonzero(c[n : n + m] - c[:m] >= (n + 1) // 2) if m > 0 else np.empty(0, np.int64)


def _cat(xs: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(xs).astype(dtype) if xs else np.empty(0, dtype)


def _specific(h: np.ndarray, rule: np.ndarray, part: np.ndarray, pos: np.ndarray) -> tuple[np.ndarray, ...]:
    """Entries sorted by hash, without n-grams that COMMON_PARTS or more item parts share under one rule."""
    order = np.lexsort((pos, part, rule, h))
    h, rule, part, pos = h[order], rule[order], part[order], pos[order]
    new_pair = np.ones(len(h), bool)
    new_pair[1:] = (h[1:] != h[:-1]) | (rule[1:] != rule[:-1]) | (part[1:] != part[:-1])
    key_change = np.ones(len(h), bool)
    key_change[1:] = (h[1:] != h[:-1]) | (rule[1:] != rule[:-1])
    group = np.cumsum(key_change) - 1
    n_parts = np.bincount(group, weights=new_pair)
    keep = n_parts[group] < COMMON_PARTS
    return h[keep], rule[keep], part[keep], pos[keep]
