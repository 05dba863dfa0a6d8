"""The benchmark index behind `DecontaminationFilter`: normalised tokens, n-gram hashes, and three match rules that
name the benchmark item they matched.

Normalisation (both sides, index and text): lower case; LaTeX math delimiters, spacing and layout commands dropped
(`\\left`, `\\frac`, `\\text`, `\\!`, `$`), other command names kept as words (`\\sqrt` → sqrt); punctuation and
whitespace dropped; tokens are letter runs and numbers (`x^2` → x 2, `$32,\\!348` → 32 348). In the *placeholder*
stream every number is `#`, so a copy with other numbers has the same n-grams. After GPT-4's contamination check
(arXiv 2303.08774, App. C), which also compares texts with spaces and symbols removed.

Rules (a text is contaminated when any holds; each match reports benchmark, item id and rule):
- `ngram13`    a 13-gram of normalised tokens (numbers kept) shared with an item: GPT-3's rule (arXiv 2005.14165
               §C), made blind to case, punctuation, whitespace and LaTeX spelling.
- `whole_item` an item question shorter than 13 words (no 13-gram exists) occurs whole, numbers kept: GPT-4
               App. C likewise uses the entire example when it is shorter than its 50-character sample.
- `coverage`   ≥ 50% of one item part's tokens lie in 8-grams (placeholder stream) that the text shares: the
               n-gram coverage of open-instruct's decontamination (allenai/open-instruct decontamination/search.py,
               ngram_match: share of the eval instance's tokens covered by one document's matching n-grams) with
               Tülu 3's 8-grams and half-coverage threshold (arXiv 2411.15124 §3.2). Catches copies with numbers
               changed, partial copies (60% of an item), LaTeX stripped. Only item questions, only 8-grams that are at
               least half words, and not 8-grams shared by ≥ 8 item questions (templates
               such as "write a python function to find the") are not used: they name no item.
Speed: one tokenisation, token hashes by xxh64, every n-gram length from one prefix sum (polynomial hash mod 2^64),
and a bitmap of all index hashes so only candidate n-grams reach the sorted arrays.
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import xxhash

FORMAT = "datamill-decontam-2"
NGRAM = 13  # GPT-3 §C
COVER_N = 8  # Tülu 3 §3.2
COVER_MIN = 0.5  # Tülu 3 §3.2: more than half of the eval instance's tokens
NUMBERS_COVER_MIN = 0.8  # numbers blanked: Llama 2's "dirty" share of contaminated tokens (arXiv 2307.09288 §A.6)
SHORT_WORDS = 13  # below GPT-3's n-gram, an item is matched whole
SHORT_MIN_TOKENS = 3  # "Evaluate $i^{11}$" = evaluate i 11; fewer tokens name no item
COMMON_PARTS = 8  # an n-gram in this many item parts is a template (MBPP's "write a python function to …")
# Bloom filter of every index hash, blocked (one 64-bit word per hash, one gather per lookup), 2^22 words = 32 MiB,
# two bits per hash: ~0.03% false candidates at the ~1.9M n-grams of the full registry (Putze et al. 2007,
# "Cache-, hash- and space-efficient Bloom filters"), so a clean text almost never reaches the hash table
_BLOOM_WORDS = 22
_SHIFT = np.uint64(64 - _BLOOM_WORDS)
_ONE, _SIX = np.uint64(1), np.uint64(63)

_P = np.uint64(0x100000001B3)  # FNV-64 prime (odd, so invertible mod 2^64)
_Q = np.uint64(pow(0x100000001B3, -1, 2**64))
_LATEX_DROP = re.compile(
    r"\\(?:begin|end)\{[^{}]*\}|"
    r"\\(?:left|right|[dtc]?frac|text[a-z]*|math[a-z]*|operatorname|displaystyle|boxed|quad|qquad|"
    r"cdot|times|limits|[bB]igg?[lr]?|hline|hspace|vspace|label|tag)(?![a-z])|\\[^a-z]|\$"
)
_LATEX_CMD = re.compile(r"\\([a-z]+)")
_WORD = re.compile(r"\w+")
_PIECE = re.compile(r"\d+|[^\W\d_]+")  # a \w+ run that mixes letters, digits or "_" ("x2", "a_1", "3j")
_HASH_NUM = np.uint64(xxhash.xxh64_intdigest("#"))


def normal_tokens(text: str) -> list[str]:
    """Normalised tokens (see the module docstring): letter runs and digit runs."""
    return _tokens(text)[0]


def _tokens(text: str) -> tuple[list[str], np.ndarray]:
    """(tokens, is-number mask). `\\w+` runs, the few mixed ones split: faster than one regex of alternatives."""
    t = text.lower()
    if "\\" in t or "$" in t:  # most web text has no LaTeX: skip both passes
        t = _LATEX_CMD.sub(r" \1 ", _LATEX_DROP.sub(" ", t))
    toks = _WORD.findall(t)
    alpha = np.fromiter(map(str.isalpha, toks), dtype=bool, count=len(toks))
    other = np.flatnonzero(~alpha)
    mixed = [i for i in other.tolist() if not toks[i].isdigit()]
    if mixed:
        for i in reversed(mixed):
            toks[i : i + 1] = _PIECE.findall(toks[i])
        alpha = np.fromiter(map(str.isalpha, toks), dtype=bool, count=len(toks))
    return toks, ~alpha


def token_hashes(tokens: list[str], is_number: np.ndarray | None = None) -> np.ndarray:
    """(2, n) uint64: row 0 the tokens' xxh64, row 1 the same with every number as the placeholder `#`."""
    n = len(tokens)
    if is_number is None:
        is_number = ~np.fromiter(map(str.isalpha, tokens), dtype=bool, count=n)
    out = np.empty((2, n), np.uint64)
    out[0] = np.fromiter(map(xxhash.xxh64_intdigest, tokens), dtype=np.uint64, count=n)
    out[1] = np.where(is_number, _HASH_NUM, out[0])
    return out


class _Powers:
    """P^k and P^-k mod 2^64, grown on demand (wrapping uint64 arithmetic is the modulus)."""

    def __init__(self):
        self.p = np.ones(1, np.uint64)
        self.q = np.ones(1, np.uint64)

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.p) < n:
            k = max(n, 2 * len(self.p))
            for name, base in (("p", _P), ("q", _Q)):  # wrapping uint64 products: P^k mod 2^64
                steps = np.full(k, base, dtype=np.uint64)
                steps[0] = 1
                setattr(self, name, np.cumprod(steps, dtype=np.uint64))
        return self.p[:n], self.q[:n]


_POW = _Powers()


class Grams:
    """Every n-gram hash of one or more token-hash rows, from one prefix sum per row (wrapping uint64 arithmetic
    is the modulus): equal to `filters.decontam.ngram_hashes`' Horner form."""

    def __init__(self, rows: np.ndarray):
        """rows: (k, n) token hashes."""
        self.n = rows.shape[1]
        p, q = _POW.upto(self.n + 1)
        self.p = p
        self.s = np.zeros((rows.shape[0], self.n + 1), np.uint64)
        np.cumsum(rows * q[: self.n], axis=1, dtype=np.uint64, out=self.s[:, 1:])

    def of(self, length: int, row: int = 0) -> np.ndarray:
        m = self.n - length + 1
        if m <= 0:
            return np.empty(0, np.uint64)
        s = self.s[row]
        return self.p[length - 1 : length - 1 + m] * (s[length:] - s[:m])


def _bitmap(h: np.ndarray) -> np.ndarray:
    """Blocked Bloom filter: each hash sets 2 bits (its low 12 bits) in one 64-bit word (its top bits)."""
    words = np.zeros(1 << _BLOOM_WORDS, np.uint64)
    np.bitwise_or.at(words, (h >> _SHIFT).astype(np.int64), _bloom_mask(h))
    return words


def _bloom_mask(h: np.ndarray) -> np.ndarray:
    return (_ONE << (h & _SIX)) | (_ONE << ((h >> np.uint64(6)) & _SIX))


def _maybe(words: np.ndarray, h: np.ndarray) -> np.ndarray:
    mask = _bloom_mask(h)
    return (words[h >> _SHIFT] & mask) == mask


@dataclass
class Match:
    benchmark: str
    item: str  # the benchmark's own id (MATH unique_id, MBPP/BFCL/HumanEval task id, `<file>:<line>` for GSM8K)
    rule: str  # ngram13 | whole_item | coverage | numbers_changed
    score: float  # share of the question covered (1.0 for ngram13 and whole_item)

    def to_dict(self) -> dict:
        return {"benchmark": self.benchmark, "item": self.item, "rule": self.rule, "score": round(self.score, 3)}


_BUCKET = 8  # keys per hash-table bucket: a lookup is one gather of 8 keys per query, no probing loop


def _table(keys: np.ndarray) -> dict[str, np.ndarray]:
    """Bucketed hash table of distinct uint64 keys (bucket = top bits; ~4 keys per bucket of 8) and a small sorted
    overflow for full buckets (~1% at that load): one vectorised gather per lookup instead of the ~21 cache misses
    of a binary search over two million sorted hashes."""
    bits = max(1, int(np.ceil(np.log2(max(len(keys), 1) / 4))))
    bucket = (keys >> np.uint64(64 - bits)).astype(np.int64)
    order = np.argsort(bucket, kind="stable")
    b = bucket[order]
    first = np.searchsorted(b, b, "left")
    rank = np.arange(len(b)) - first
    fits = rank < _BUCKET
    tk = np.zeros((1 << bits, _BUCKET), np.uint64)
    tv = np.full((1 << bits, _BUCKET), -1, np.int64)
    tk[b[fits], rank[fits]] = keys[order[fits]]
    tv[b[fits], rank[fits]] = order[fits]
    over = order[~fits]
    o = np.argsort(keys[over])
    return {"table_keys": tk, "table_vals": tv, "table_shift": np.array(64 - bits),
            "over_keys": keys[over][o], "over_vals": over[o].astype(np.int64)}


def _lookup(a: dict[str, np.ndarray], h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index into h, posting) of every posting whose hash is in h (postings of key k: offsets[k]:offsets[k+1])."""
    b = (h >> a["table_shift"].astype(np.uint64)).astype(np.int64)
    rows = a["table_keys"][b]
    eq = rows == h[:, None]
    hit = eq.any(axis=1)
    src, key = np.flatnonzero(hit), a["table_vals"][b[hit], eq[hit].argmax(axis=1)]
    ok, ov = a["over_keys"], np.flatnonzero(~hit & (rows[:, -1] != 0))  # only a full bucket spills over
    if len(ok) and len(ov):
        i = np.minimum(np.searchsorted(ok, h[ov]), len(ok) - 1)
        found = ok[i] == h[ov]
        src, key = np.concatenate([src, ov[found]]), np.concatenate([key, a["over_vals"][i[found]]])
    lo, cnt = a["offsets"][key], a["offsets"][key + 1] - a["offsets"][key]
    return np.repeat(src, cnt), np.repeat(lo - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())


_SPAN_CACHE_TOKENS = 512  # texts up to this many tokens share cached spans (≤ 512 entries of ≤ ~0.3 MB)


@functools.lru_cache(maxsize=_SPAN_CACHE_TOKENS)
def _cached_spans(n: int, n13: int) -> tuple[np.ndarray, ...]:
    """_spans as positions in the flattened (2, n + 1) prefix array: (end, start, power, rule)."""
    row, start, end, rule = _spans(n, _queries(n13))
    return row * (n + 1) + end, row * (n + 1) + start, end - 1, rule


def _queries(n13: int) -> list[tuple[int, int, int]]:
    """(prefix row, n-gram length, rule id) of the n-grams every text is looked up by."""
    return [(0, n13, 0), (0, COVER_N, 2), (1, COVER_N, 3)]


def _spans(n: int, parts: list[tuple[int, int, int]]) -> tuple[np.ndarray, ...]:
    """(prefix row, start, end, rule id) of every n-gram a text of n tokens is looked up by: 13-grams, 8-grams
    (row 0: numbers kept) and 8-grams (row 1: numbers blanked)."""
    row, start, end, rule = [], [], [], []
    for r, k, rule_id in parts:
        m = max(n - k + 1, 0)
        row.append(np.full(m, r, np.int64))
        start.append(np.arange(m, dtype=np.int64))
        end.append(np.arange(k, k + m, dtype=np.int64))
        rule.append(np.full(m, rule_id, np.int8))
    return tuple(np.concatenate(x) for x in (row, start, end, rule))


# rule id → (name, share of the part's tokens that must be covered; None = one hit is enough)
RULES = (("ngram13", None), ("whole_item", None), ("coverage", COVER_MIN), ("numbers_changed", NUMBERS_COVER_MIN))


class BenchmarkIndex:
    """Normalised n-gram index of benchmark items (see the module docstring); `match(text)` names what matched.
    One sorted array of n-gram hashes for all rules, with the rule, item part and start of each entry."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.a = arrays
        self.n = int(arrays["n"])
        self.short_lengths = tuple(int(k) for k in arrays["short_len_set"])

    @classmethod
    def build(cls, items: list, n: int = NGRAM) -> BenchmarkIndex:
        """`items`: objects with .benchmark, .item_id and .parts (question first): `filters.benchmarks`."""
        bench, ids, part_item, part_len, short_lengths, anchors = [], [], [], [], set(), []
        blank_den: dict[int, int] = {}
        hs, rs, ps, ats = [], [], [], []

        def add(rule: int, hashes: np.ndarray, part: int, at: np.ndarray | None = None) -> None:
            at = np.arange(len(hashes)) if at is None else at
            hs.append(hashes[at])
            rs.append(np.full(len(at), rule, np.int8))
            ps.append(np.full(len(at), part, np.int32))
            ats.append(at.astype(np.int32))

        for i, it in enumerate(items):
            bench.append(it.benchmark)
            ids.append(it.item_id)
            for k, text in enumerate(it.parts):
                toks = normal_tokens(text)
                if not toks:
                    continue
                p = len(part_item)
                part_item.append(i)
                part_len.append(len(toks))
                g = Grams(token_hashes(toks))
                # 13-grams of at least half real words: "the quadratic formula b pm sqrt b 2 4 ac 2 a" or
                # "x 9 a 8 x 8 a 7 x 7" is in many MATH items once normalised
                add(0, g.of(n), p, _informative(toks, n))
                if k:  # near copies are judged on the question, as open-instruct queries the eval question
                    continue
                if len(toks) < SHORT_WORDS:
                    if len(toks) >= SHORT_MIN_TOKENS:
                        add(1, g.of(len(toks)), p)
                        short_lengths.add(len(toks))
                        anchors.append(g.of(SHORT_MIN_TOKENS)[:1])
                    continue
                add(2, g.of(COVER_N), p)
                if len(_words(toks)) >= SHORT_WORDS:  # fewer words: with other numbers it is another question
                    at = _informative(toks, COVER_N)
                    add(3, g.of(COVER_N, row=1), p, at)
                    # blanked numbers: share of the tokens the question's worded 8-grams can cover at all (a
                    # doctest or formula full of numbers is mostly outside them)
                    blank_den[p] = _covered(at.tolist(), COVER_N) if len(at) else 0
        h, r, part, pos = _specific(_cat(hs, np.uint64), _cat(rs, np.int8), _cat(ps, np.int32), _cat(ats, np.int32))
        a = {"format": np.array(FORMAT), "n": np.array(n), "bench": np.array(bench, dtype=str),
             "ids": np.array(ids, dtype=str), "part_item": np.array(part_item, np.int32),
             "part_len": np.array(part_len, np.int32), "short_len_set": np.array(sorted(short_lengths), np.int32),
             "blank_den": np.array([blank_den.get(k, 0) for k in range(len(part_len))], np.int32),
             "short_anchor": np.unique(_cat(anchors, np.uint64)),
             "rule": r, "part": part, "pos": pos, "bits": _bitmap(h)}
        keys, first = np.unique(h, return_index=True)
        a["offsets"] = np.append(first, len(h)).astype(np.int64)
        a.update(_table(keys))
        return cls(a)

    def save(self, path: str | Path) -> None:
        tmp = Path(f"{path}.tmp.npz")
        np.savez(tmp, **self.a)
        tmp.replace(path)

    @classmethod
    def load(cls, path: str | Path) -> BenchmarkIndex:
        z = np.load(path, allow_pickle=False)
        if "format" not in z.files or str(z["format"]) != FORMAT:
            raise ValueError(f"{path}: a decontamination index of an older format (no item ids); it is a cache: "
                             f"delete it and run again to rebuild")
        return cls({k: z[k] for k in z.files})

    def _with_short_items(self, g: Grams, q: np.ndarray, q_rule: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Add whole-question hashes of every short-item length, only where a short item's first 3 tokens occur
        (hashing every length everywhere would be 10 more n-grams per token)."""
        anchors = self.a["short_anchor"]
        a3 = g.of(SHORT_MIN_TOKENS)
        if not len(anchors) or not len(a3):
            return q, q_rule
        i = np.minimum(np.searchsorted(anchors, a3), len(anchors) - 1)
        at = np.flatnonzero(anchors[i] == a3)
        if not len(at):
            return q, q_rule
        end = (at[:, None] + np.array(self.short_lengths)[None, :]).ravel()
        start = np.repeat(at, len(self.short_lengths))
        ok = end <= g.n
        end, start = end[ok], start[ok]
        hs = g.p[end - 1] * (g.s[0, end] - g.s[0, start])
        return np.concatenate([q, hs]), np.concatenate([q_rule, np.ones(len(hs), np.int8)])

    def match(self, text: str) -> list[Match]:
        """Every benchmark item the text matches, best first (one Match per item)."""
        toks, is_number = _tokens(text)
        if len(toks) < SHORT_MIN_TOKENS:
            return []
        a = self.a
        g = Grams(token_hashes(toks, is_number))
        if g.n <= _SPAN_CACHE_TOKENS:  # short texts: one gather over cached spans (few numpy calls)
            flat_end, flat_start, p_at, q_rule = _cached_spans(g.n, self.n)
            s = g.s.ravel()
            q = g.p[p_at] * (s[flat_end] - s[flat_start])
        else:  # long texts: slices, no index arrays to build
            qs = [g.of(k, row=r) for r, k, _ in _queries(self.n)]
            q = np.concatenate(qs)
            q_rule = np.repeat(np.array([rule for _, _, rule in _queries(self.n)], np.int8), [len(x) for x in qs])
        q, q_rule = self._with_short_items(g, q, q_rule)
        cand = np.flatnonzero(_maybe(a["bits"], q))
        if not len(cand):  # the common case: nothing of the text is in the index
            return []
        q_rule = q_rule[cand]
        src, at = _lookup(a, q[cand])
        at = at[a["rule"][at] == q_rule[src]]
        if not len(at):
            return []
        # few postings per text: one pass in Python is cheaper than a dozen numpy calls
        found: dict[int, tuple[float, str]] = {}  # part → (score, rule)
        starts: dict[tuple[int, int], list[int]] = {}
        for r, p, s in zip(a["rule"][at].tolist(), a["part"][at].tolist(), a["pos"][at].tolist()):
            if r < 2:  # ngram13, whole_item: one hit names the part
                found.setdefault(p, (1.0, RULES[r][0]))
            else:
                starts.setdefault((r, p), []).append(s)
        for (r, p), pos in sorted(starts.items()):
            if p not in found:
                covered = _covered(sorted(set(pos)), COVER_N)
                score = min(1.0, covered / max(int(a["part_len" if r == 2 else "blank_den"][p]), 1))
                if score > RULES[r][1] and covered >= NGRAM:
                    found[p] = (score, RULES[r][0])
        best: dict[int, Match] = {}
        for p, (score, rule) in found.items():
            item = int(a["part_item"][p])
            if item not in best or score > best[item].score:
                best[item] = Match(str(a["bench"][item]), str(a["ids"][item]), rule, score)
        return sorted(best.values(), key=lambda m: (-m.score, m.benchmark, m.item))


def _covered(starts: list[int], n: int) -> int:
    """Tokens inside the union of the n-grams starting at `starts` (sorted)."""
    return sum(min(n, b - a) for a, b in itertools.pairwise(starts)) + n


# LaTeX and math function names are no words of a question's own: "sin # circ cos # circ" is in many MATH items
_MATH_NAMES = frozenset((
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "log", "ln", "exp", "sqrt",
    "circ", "pi", "infty", "cdot", "cdots", "ldots", "dots", "le", "leq", "ge", "geq", "ne", "neq", "pm",
    "mp", "pmod", "mod", "bmod", "binom", "dbinom", "tbinom", "overline", "underline", "angle", "triangle",
    "sum", "prod", "int", "lim", "max", "min", "gcd", "lcm", "theta", "alpha", "beta", "gamma", "delta",
    "epsilon", "lambda", "mu", "sigma", "phi", "omega", "asy",
))


def _is_word(t: str) -> bool:
    return len(t) > 1 and not t[0].isdigit() and t not in _MATH_NAMES


def _words(tokens: list[str]) -> list[str]:
    return [t for t in tokens if _is_word(t)]


def _informative(tokens: list[str], n: int) -> np.ndarray:
    """Starts of the n-grams with at least half real words (2+ letters, no math names): "# x # # y # = #" or
    "sold # # # # # #" (GSM8K's <<48/2=24>> arithmetic once numbers are blanked) are shared by unrelated items."""
    word = np.fromiter(map(_is_word, tokens), dtype=np.int32, count=len(tokens))
    c = np.concatenate([[0], np.cumsum(word)])
    m = len(tokens) - n + 1
    return np.flatnonzero(c[n : n + m] - c[:m] >= (n + 1) // 2) if m > 0 else np.empty(0, np.int64)


def _cat(xs: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(xs).astype(dtype) if xs else np.empty(0, dtype)


def _sorted_unique(h: np.ndarray, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, first = np.unique(h, return_index=True)
    return h, part[first]


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
