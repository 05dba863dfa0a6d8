"""Text side of decontamination: normalised tokens, which tokens are words, and n-gram hashes from prefix sums.

Normalisation (index and text alike): lower case; LaTeX math delimiters, spacing and layout commands dropped
(`\\left`, `\\frac`, `\\text`, `\\!`, `$`), other command names kept as words (`\\sqrt` → sqrt); punctuation and
whitespace dropped; tokens are letter runs and digit runs (`x^2` → x 2, `$32,\\!348` → 32 348). In the
*placeholder* row every number is `#`, so a copy with other numbers has the same n-grams. After GPT-4's
contamination check (arXiv 2303.08774, App. C), which also compares texts with spaces and symbols removed.

A *word* is a letter run of 2+ letters that is not a math or LaTeX name: what GPT-3's 13-gram counts in prose
(arXiv 2005.14165 §C). The variables, digits and command names that normalised LaTeX yields are tokens, not words:
"$m/n$, where $m$ and $n$" is 6 tokens of which 2 are words.
"""

from __future__ import annotations

import functools
import re
from itertools import compress
from operator import eq, not_

import numpy as np
import xxhash

# LaTeX that names no content: layout commands and control symbols (a backslash and one non-letter: \$ \, \! \{);
# a digit after a backslash is no LaTeX (a retyped "\3.20" from "$\$3.20$") and stays a number. One literal first
# character: the regex engine jumps from backslash to backslash.
_LATEX_DROP = re.compile(
    r"\\(?:(?:begin|end)\{[^{}]*\}|"
    r"(?:left|right|[dtc]?frac|text[a-z]*|math[a-z]*|operatorname|displaystyle|boxed|quad|qquad|"
    r"cdot|times|limits|[bB]igg?[lr]?|hline|hspace|vspace|label|tag)(?![a-z])|[^a-z0-9])"
)
# the non-ASCII punctuation that web text is full of (’ “ ” – — „ « » ‘ … in 60 real pages): no \w characters, so
# a space instead changes no token and spares the regex for the runs that hold them
_PUNCT = ("\u2019", "\u201c", "\u201d", "\u2013", "\u2014", "\u201e", "\u00ab", "\u00bb", "\u2018", "\u2026")
_WORD = re.compile(r"\w+")
_PIECE = re.compile(r"\d+|[^\W\d_]+")  # a \w+ run that mixes letters, digits or "_" ("x2", "a_1", "3j")
# UTF-8 bytes: every ASCII byte that is no \w character → space (\w = str.isalnum() or "_", re's own test);
# bytes ≥ 0x80 (parts of non-ASCII characters) are kept
_BYTE_SEP = bytes(c if c >= 128 or chr(c).isalnum() or chr(c) == "_" else 32 for c in range(256))

# LaTeX and math function names are no words of a question's own: "sin # circ cos # circ" is in many MATH items
MATH_NAMES = frozenset((
    "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos", "arctan", "log", "ln", "exp", "sqrt",
    "circ", "pi", "infty", "cdot", "cdots", "ldots", "dots", "le", "leq", "ge", "geq", "ne", "neq", "pm",
    "mp", "pmod", "mod", "bmod", "binom", "dbinom", "tbinom", "overline", "underline", "angle", "triangle",
    "sum", "prod", "int", "lim", "max", "min", "gcd", "lcm", "theta", "alpha", "beta", "gamma", "delta",
    "epsilon", "lambda", "mu", "sigma", "phi", "omega", "asy",
))  # fmt: skip

P = 0x100000001B3  # FNV-64 prime (odd, so invertible mod 2^64): n-gram hash = polynomial over token hashes
_P, _Q = np.uint64(P), np.uint64(pow(P, -1, 2**64))
HASH_NUM = np.uint64(xxhash.xxh64_intdigest("#"))
_HN = int(HASH_NUM)
_LIST_TOKENS = 64  # up to this many tokens the hash rows are built as Python lists (fewer numpy calls)


def tokens(text: str) -> tuple[list[str], list[bool]]:
    """(normalised tokens, is-letters flags; a token that is not letters is a number), the tokens being exactly
    `re.findall(r"\\w+")` of the lower-cased text (LaTeX handled first), runs that mix letters and digits split.
    The runs come from bytes.translate + split (ASCII punctuation → space; several times cheaper than the regex);
    the few that still hold a non-ASCII non-word character (’, —, “) or "_" are split by the regex itself."""
    t = text.lower()
    if "$" in t:
        t = t.replace("$", " ")
    if "\\" in t:  # most web text has no LaTeX: skip the pass
        t = _LATEX_DROP.sub(" ", t).replace("\\", " ")  # what is left of a backslash starts a command name
    if not t.isascii():
        for c in _PUNCT:
            if c in t:
                t = t.replace(c, " ")
    toks = t.encode("utf-8", "surrogatepass").translate(_BYTE_SEP).decode("utf-8", "surrogatepass").split()
    alpha = list(map(str.isalpha, toks))
    if not all(alpha):  # odd = neither letters nor digits (isalpha == isdigit: both False), found at C speed
        odd = list(compress(range(len(toks)), map(eq, alpha, map(str.isdigit, toks))))
        for i in reversed(odd):  # runs with non-word characters, and letters mixed with digits or "_"
            pieces = [
                x
                for w in _WORD.findall(toks[i])
                for x in ((w,) if w.isalpha() or w.isdigit() else _PIECE.findall(w))
            ]
            toks[i : i + 1] = pieces
            alpha[i : i + 1] = [x.isalpha() for x in pieces]
    return toks, alpha


def normal_tokens(text: str) -> list[str]:
    """Normalised tokens (see the module docstring): letter runs and digit runs."""
    return tokens(text)[0]


def is_word(t: str) -> bool:
    return len(t) > 1 and t.isalpha() and t not in MATH_NAMES


class _WordTest(dict):
    """token → is_word(token), tested once per distinct token (`IS_WORD.__getitem__` maps at C speed)."""

    def __missing__(self, t: str) -> bool:
        if len(self) > _TOKEN_CACHE:
            self.clear()
        self[t] = w = is_word(t)
        return w


IS_WORD = _WordTest()
_TOKEN_CACHE = 1 << 18  # distinct tokens kept by IS_WORD (a stream of 1.6M tokens of the bench sets has 16k)


def words(toks: list[str]) -> list[str]:
    return [t for t in toks if is_word(t)]


def word_positions(toks: list[str]) -> np.ndarray:
    """Positions of the words among the tokens (`is_word`, three C-level passes instead of a call per token)."""
    n = len(toks)
    alpha = np.fromiter(map(str.isalpha, toks), dtype=bool, count=n)
    longer = np.fromiter(map(len, toks), dtype=np.int64, count=n) > 1
    named = np.fromiter(map(MATH_NAMES.__contains__, toks), dtype=bool, count=n)
    return (alpha & longer & ~named).nonzero()[0]


def word_windows(wpos: np.ndarray, n_words: int) -> tuple[np.ndarray, np.ndarray]:
    """(start, end) token spans from each word to the n_words-th word after it, the tokens between included."""
    m = len(wpos) - n_words + 1
    if m <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    return wpos[:m], wpos[n_words - 1 :] + 1


def token_hashes(toks: list[str], alpha: list[bool] | None = None) -> np.ndarray:
    """(2, n) uint64: row 0 the tokens' xxh64, row 1 the same with every number (a token that is not letters) as
    the placeholder `#`."""
    n = len(toks)
    out = np.empty((2, n), np.uint64)
    out[0] = np.fromiter(map(xxhash.xxh64_intdigest, toks), dtype=np.uint64, count=n)
    letters = np.fromiter(map(str.isalpha, toks) if alpha is None else alpha, dtype=bool, count=n)
    out[1] = np.where(letters, out[0], HASH_NUM)
    return out


class _Powers:
    """P^k and P^-k mod 2^64, grown on demand (wrapping uint64 arithmetic is the modulus)."""

    def __init__(self):
        self.p = np.ones(1, np.uint64)
        self.q = np.ones(1, np.uint64)

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        if len(self.p) < n:
            k = max(n, 2 * len(self.p))
            for name, base in (("p", _P), ("q", _Q)):
                steps = np.full(k, base, dtype=np.uint64)
                steps[0] = 1
                setattr(self, name, np.cumprod(steps, dtype=np.uint64))
        return self.p[:n], self.q[:n]


_POW = _Powers()


@functools.lru_cache(maxsize=1024)
def _weights(n: int, rows: int) -> np.ndarray:
    """P^-t for the token at t of each of `rows` rows of n + 1 (a leading 0 each), end to end."""
    q = _POW.upto(n + 1)[1]
    return np.tile(np.concatenate([np.ones(1, np.uint64), q[:n]]), rows)


class Grams:
    """Hash of any token span of one or more token-hash rows, from one prefix sum per row:
    hash(i, j) = P^(j-1) · (S[j] − S[i]) with S[k] = Σ_{t<k} h_t P^-t, i.e. Σ h_t P^(j-1-t) (Horner's form of
    `filters.decontam.ngram_hashes`; wrapping uint64 arithmetic is the modulus)."""

    def __init__(self, rows: np.ndarray):
        """rows: (k, n) token hashes."""
        self.n = rows.shape[1]
        p, q = _POW.upto(self.n + 1)
        self.p = p
        self.s = np.zeros((rows.shape[0], self.n + 1), np.uint64)
        np.cumsum(rows * q[: self.n], axis=1, dtype=np.uint64, out=self.s[:, 1:])

    @classmethod
    def of_tokens(cls, toks: list[str], alpha: list[bool]) -> Grams:
        """Grams of normalised tokens: row 0 numbers kept, row 1 (only when the text has a number) blanked. The
        same span hashes as Grams(token_hashes(toks, alpha)) in a few flat numpy calls (a short text's cost is the
        calls, not the arithmetic): the rows lie end to end in one buffer and take one running sum, so row 1's
        sums carry row 0's total, which every span difference S[j] − S[i] within the row cancels."""
        n = len(toks)
        p, _ = _POW.upto(n + 1)
        if n <= _LIST_TOKENS:  # the rows go over as one flat list of Python ints
            flat = [0, *map(xxhash.xxh64_intdigest, toks)]
            if not all(alpha):  # the blanked row: a copy with the numbers (found at C speed) replaced
                flat += flat
                for i in compress(range(n + 2, 2 * n + 2), map(not_, alpha)):
                    flat[i] = _HN
            s = np.array(flat, dtype=np.uint64)
        else:
            h = np.fromiter(map(xxhash.xxh64_intdigest, toks), dtype=np.uint64, count=n)
            s = np.zeros((1 if all(alpha) else 2) * (n + 1), np.uint64)
            s[1 : n + 1] = h
            if len(s) > n + 1:
                s[n + 2 :] = np.where(np.fromiter(alpha, bool, n), h, HASH_NUM)
        k = len(s) // (n + 1)
        np.multiply(s, _weights(n, k), out=s)  # S[j] = Σ_{t<j} h_t P^-t
        np.cumsum(s, out=s)
        g = cls.__new__(cls)
        g.n, g.p, g.s = n, p, s.reshape(k, n + 1)
        return g

    def of(self, length: int, row: int = 0) -> np.ndarray:
        """Every n-gram of `length` tokens, in order of its start."""
        m = self.n - length + 1
        if m <= 0:
            return np.empty(0, np.uint64)
        s = self.s[row]
        return self.p[length - 1 : length - 1 + m] * (s[length:] - s[:m])

    def of_rows(self, length: int) -> np.ndarray:
        """Every n-gram of `length` tokens of every row: (rows, n − length + 1)."""
        m = max(self.n - length + 1, 0)
        return self.p[length - 1 : length - 1 + m] * (self.s[:, length : length + m] - self.s[:, :m])

    def at(self, start: np.ndarray, end: np.ndarray, row: int = 0) -> np.ndarray:
        """The spans [start, end) of one row."""
        s = self.s[row]
        return self.p[end - 1] * (s[end] - s[start])
