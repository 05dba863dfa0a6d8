"""Second pass of `BenchmarkIndex.match`: what the few positions that passed the Bloom filter match, and scoring.

It runs on Python integers: a text that gets here has a few dozen candidate positions, where numpy's per-call
cost (tens of small array calls) is more than the work. The prefix sums come over at once (`tolist`) for a short
text and one at a time for a long one, a span hash is P^(j-1) · (S[j] − S[i]) mod 2^64 as in
`decontam_text.Grams`, and the bucket directory and postings are read through memoryviews of the index's own
arrays (no copy). Only a text with many candidates (a long copied page) looks them up in one numpy call.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import compress

import numpy as np

from filters.decontam_text import IS_WORD, P

_M64 = (1 << 64) - 1
_POW = [1]  # P^k mod 2^64, grown on demand
_PYTHON_TOKENS = 256  # up to this many tokens the prefix sums come over at once, beyond one by one
_NUMPY_LOOKUP = 48  # more candidates than this: one vectorised lookup beats a Python loop over them


def powers(n: int) -> list[int]:
    while len(_POW) < n:
        _POW.append(_POW[-1] * P & _M64)
    return _POW


class SecondPass:
    """`run(...)`: part → (score, rule) for the positions of one text that passed the first pass."""

    def __init__(
        self,
        a: dict[str, np.ndarray],
        short: dict[int, dict[int, dict[int, list[int]]]],
        n_words: int,
        rules: tuple,
        cover_n: int,
        short_min: int,
        masks: np.ndarray,
        bloom_shift: int,
    ):
        self.a, self.short, self.nw, self.rules, self.cover_n, self.short_min = (
            a,
            short,
            n_words,
            rules,
            cover_n,
            short_min,
        )
        self.keys, self.dir, self.offsets = (memoryview(a[k]) for k in ("keys", "dir", "offsets"))
        self.rule, self.part, self.pos = (memoryview(a[k]) for k in ("rule", "part", "pos"))
        self.dir_shift = int(a["dir_shift"])
        self.bits, self.masks, self.bloom_shift = memoryview(a["bits"]), masks.tolist(), bloom_shift

    def run(
        self, g, toks: list[str], h0: list[tuple[int, int]], h1: list[tuple[int, int]], anchors: list[int]
    ) -> dict[int, tuple[float, str]]:
        """part → (score, rule). g: the text's `Grams`; h0 / h1: (position, hash) of the 8-grams that passed,
        numbers kept / blanked; anchors: positions whose first 3 tokens passed."""
        n, p, found = len(toks), powers(len(toks) + 1), {}
        s0 = g.s[0].tolist() if n <= _PYTHON_TOKENS else _Lazy(g.s[0])  # a long text reads a few sums
        for i in anchors:  # short questions, compared whole: one hash per length that starts so
            by_length = self.short.get(
                p[i + self.short_min - 1] * (s0[i + self.short_min] - s0[i]) & _M64, {}
            )
            for length, by_hash in by_length.items():
                if i + length <= n:
                    for part in by_hash.get(p[i + length - 1] * (s0[i + length] - s0[i]) & _M64, ()):
                        found.setdefault(part, (1.0, "whole_item"))
        # 13-word runs from the words among the passed positions, left to right; the text a run matched is
        # explained by it: runs and 8-grams starting inside it are not looked up again
        skip: set[int] = set()
        for i, end, h in self._runs(toks, s0, h0, skip):
            hits = self._postings([(h, True, i)])
            for _, part, _, _ in hits:
                found.setdefault(part, (1.0, self.rules[0][0]))
            if hits:
                skip.update(range(i, end - self.cover_n + 1))
        queries = [(h, False, t) for t, h in h0 + h1 if t not in skip]
        if queries:
            self.score(self._postings(queries, found), found)
        return found

    def _runs(self, toks: list[str], s0, h0: list[tuple[int, int]], skip: set[int]):
        """(start, end, hash) of the 13-word runs that start at the passed positions (in order), not in `skip` (which
        the caller grows as runs match), and pass the Bloom filter. Words are read forward from the passed positions
        only, a few dozen tokens at a time (a long text's hits sit in the few places it shares with the index)."""
        n, nw, p, word = len(toks), self.nw, _POW, IS_WORD.__getitem__
        wpos, scan = [], 0  # the words read since reading last (re)started, up to scan
        for i, _ in h0:
            if i in skip or not word(toks[i]):
                continue
            if i >= scan:  # nothing read here yet: start afresh at i
                wpos, scan = [], i
            k = bisect_left(wpos, i)
            while len(wpos) - k < nw and scan < n:
                stop = min(n, scan + 4 * nw)
                wpos += compress(range(scan, stop), map(word, toks[scan:stop]))
                scan = stop
            if len(wpos) - k < nw:
                return  # fewer than 13 words are left: neither here nor further on
            end = wpos[k + nw - 1] + 1
            h = p[end - 1] * (s0[end] - s0[i]) & _M64
            if self.maybe(h):
                yield i, end, h

    def maybe(self, h: int) -> bool:
        """The Bloom filter's answer for one hash (`decontam_index._maybe`)."""
        m = self.masks[h & 4095]
        return self.bits[h >> self.bloom_shift] & m == m

    def _postings(
        self, queries: list[tuple[int, bool, int]], found: dict | None = None
    ) -> list[tuple[int, ...]]:
        """(rule, part, item position, text position) of the postings under each query's hash, but for parts
        already in `found`. A run's hash answers for runs only; an 8-gram's for coverage and numbers_changed alike
        (without numbers both rows are one hash, and a blanked 8-gram never equals one with numbers kept)."""
        if len(queries) > _NUMPY_LOOKUP:
            return [x for x in self._postings_np(queries) if not found or x[1] not in found]
        keys, dirs, offsets, rules, parts, pos, shift = (
            self.keys,
            self.dir,
            self.offsets,
            self.rule,
            self.part,
            self.pos,
            self.dir_shift,
        )
        found = found or {}
        out = []
        for h, is_run, t in queries:
            b = h >> shift
            k, hi = dirs[b], dirs[b + 1]
            while k < hi and keys[k] != h:
                k += 1
            if k < hi:
                for j in range(offsets[k], offsets[k + 1]):
                    r, p = rules[j], parts[j]
                    if (r == 0) == is_run and p not in found:
                        out.append((r, p, pos[j], t))
        return out

    def _postings_np(self, queries: list[tuple[int, bool, int]]) -> list[tuple[int, int, int, int]]:
        """_postings for many queries at once: one binary search of the sorted keys for all of them."""
        a, keys = self.a, self.a["keys"]
        h = np.fromiter((q[0] for q in queries), np.uint64, len(queries))
        k = np.minimum(keys.searchsorted(h), len(keys) - 1)
        src = (keys.take(k) == h).nonzero()[0]
        start, stop = a["offsets"].take(k[src]), a["offsets"].take(k[src] + 1)
        cnt = stop - start
        post = np.repeat(start - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())
        src = np.repeat(src, cnt)
        rule = a["rule"].take(post)
        is_run = np.fromiter((q[1] for q in queries), bool, len(queries)).take(src)
        keep = ((rule == 0) == is_run).nonzero()[0]
        where = np.fromiter((q[2] for q in queries), np.int64, len(queries)).take(src[keep])
        post = post[keep]
        return list(
            zip(
                rule[keep].tolist(),
                a["part"].take(post).tolist(),
                a["pos"].take(post).tolist(),
                where.tolist(),
            )
        )

    def score(self, rows: list[tuple[int, int, int, int]], found: dict[int, tuple[float, str]]) -> None:
        """8-gram postings grouped by part and diagonal (text position − item position) into shared runs; a part is
        named when its long runs (on its best diagonal, for numbers_changed) cover the rule's share of it (parts
        already named are skipped)."""
        shared: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for r, p, s, t in rows:
            if p not in found:
                shared.setdefault((r, p), []).append((t - s, s))
        for (r, p), diag_pos in sorted(shared.items()):
            if p in found:
                continue
            name, share, min_run, min_covered, one_alignment = self.rules[r]
            diag_pos = sorted(set(diag_pos))
            if one_alignment:  # the best diagonal alone (a copy with other numbers keeps every token's place)
                by_diag: dict[int, list[tuple[int, int]]] = {}
                for d, pos in diag_pos:
                    by_diag.setdefault(d, []).append((d, pos))
                covered = max(run_cover(x, self.cover_n, min_run) for x in by_diag.values())
            else:
                covered = run_cover(diag_pos, self.cover_n, min_run)
            score = min(1.0, covered / max(int(self.a["part_len" if r == 2 else "blank_den"][p]), 1))
            if score > share and covered >= min_covered:
                found[p] = (score, name)


class _Lazy:
    """Python ints of a uint64 array, read one at a time."""

    def __init__(self, arr: np.ndarray):
        self.arr = arr

    def __getitem__(self, i: int) -> int:
        return int(self.arr[i])


def run_cover(diag_pos: list[tuple[int, int]], n: int, min_run: int) -> int:
    """Tokens of the item inside shared runs of ≥ min_run tokens. `diag_pos`: sorted (text position − item position,
    item position) of the shared n-grams; overlapping n-grams on one diagonal are one span shared by both texts."""
    spans, start, end, diag = [], -1, -1, None
    for d, s in diag_pos:
        if d != diag or s >= end:  # a new run
            spans.append((start, end))
            start, diag = s, d
        end = s + n
    spans.append((start, end))
    total, reach = 0, 0  # union of the long runs' item spans (two diagonals can cover the same tokens)
    for s, e in sorted(x for x in spans if x[1] - x[0] >= min_run):
        total += max(0, e - max(s, reach))
        reach = max(reach, e)
    return total
