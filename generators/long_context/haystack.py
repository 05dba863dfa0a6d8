"""Haystacks of real long text cut to an exact token length, with needles inserted at sentence boundaries.

How exactness is achieved (one full encode in the common case):
1. Each source is split once into sentences; every sentence is tokenized once with its separator (" " inside
   a document, "\\n\\n" at a document start), and the counts are cached (`SentenceStream`).
2. `HaystackBuilder.build` walks whole sentences (cycling the source when it is too short, recorded as
   `cycles` > 1) until the budget `target - needle tokens` is reached, then fills the remainder r with a whole
   sentence from elsewhere in the source of exactly r tokens (there nearly always is one); only when none exists
   (or the fix-up below needs it) does it take a token prefix of the next sentence (the one partial sentence,
   always the last haystack piece; `partial_tail_tokens` > 0 in the metadata).
3. Needles go in at the sentence boundary whose cumulative token position is nearest the requested depth.
4. The rendered context is encoded once with offsets. If BPE merges made the count differ from the target
   (rare with byte-level pre-tokenizers), the partial tail grows/shrinks by the difference and it is re-encoded;
   the loop stops only when the count equals the target, so exactness never rests on the additive estimate.
   If it oscillates (a token prefix that re-encodes differently), the partial tail moves to the next sentence.
Needles only go after a piece that ends a sentence (never after a header, a hard line break inside a sentence
as in the bills, or a run-on cut), at the start, or at the very end (a needle at 100 % depth ends exactly at the
last token, after the partial tail if there is one). Needle char/token offsets are read off the final encoding.
"""

from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass, field

from datamill.errors import InputError

_PARA = re.compile(r"\n\s*\n")
_SENT_END = re.compile(r"(?:(?<=[.!?。！？])|(?<=[.!?。！？][\"'”’)\]]))\s+(?=\S)")
_ENDS_SENTENCE = re.compile(r"[.!?。！？][\"'”’)\]]?$")
_WS = re.compile(r"\s+")
MAX_SENTENCE_CHARS = (
    600  # split run-on "sentences" (e.g. bill tables) at whitespace so the fill stays fine-grained
)


def split_sentences(text: str) -> list[str]:
    """Paragraphs → whitespace-collapsed sentences; over-long pieces are cut at whitespace."""
    out: list[str] = []
    for para in _PARA.split(text.replace("\ufeff", "")):
        para = _WS.sub(" ", para).strip()
        for s in _SENT_END.split(para) if para else []:
            while len(s) > MAX_SENTENCE_CHARS:
                cut = s.rfind(" ", 0, MAX_SENTENCE_CHARS)
                cut = cut if cut > 0 else MAX_SENTENCE_CHARS
                out.append(s[:cut].strip())
                s = s[cut:].strip()
            if s:
                out.append(s)
    return out


@dataclass
class SourceDoc:
    name: str  # e.g. "niah/apple.txt", "web:<id>"
    text: str
    license: str = ""


class SentenceStream:
    """All sentences of a language's documents, flattened, with cached token counts (computed once;
    the separator-less count of a context's first sentence is computed when first needed)."""

    def __init__(self, docs: list[SourceDoc], tokenizer):
        if not docs:
            raise InputError("a haystack needs at least one source document")
        self.docs = docs
        self.tok = tokenizer.backend_tokenizer if hasattr(tokenizer, "backend_tokenizer") else tokenizer
        self.texts: list[str] = []
        self.seps: list[str] = []
        self.doc_of: list[int] = []
        # False for pieces that do not end a sentence (headers, run-on cuts, hard line breaks inside a
        # sentence as in the bills): no needle goes right after them
        self.ends: list[bool] = []
        for d, doc in enumerate(docs):
            for k, s in enumerate(split_sentences(doc.text)):
                self.texts.append(s)
                self.ends.append(bool(_ENDS_SENTENCE.search(s)))
                self.seps.append("\n\n" if k == 0 else " ")
                self.doc_of.append(d)
        if not self.texts:
            raise InputError(f"no sentences in sources {[d.name for d in docs][:3]}")
        with_sep = self.tok.encode_batch(
            [p + s for p, s in zip(self.seps, self.texts)], add_special_tokens=False
        )
        self.counts = [len(e.ids) for e in with_sep]
        self.total_tokens = sum(self.counts)
        self._bare: dict[int, int] = {}
        self._by_count: dict[int, list[int]] | None = None

    def bare(self, j: int) -> int:
        """Tokens of sentence j without its separator (it opens the context); counted on first use."""
        if j not in self._bare:
            self._bare[j] = self.count(self.texts[j])
        return self._bare[j]

    def whole_sentence_of(self, n_tokens: int, rng: random.Random, exclude: set[int]) -> int | None:
        """A sentence (with its separator) of exactly n_tokens that ends a sentence, or None."""
        if self._by_count is None:
            self._by_count = {}
            for j, (c, e) in enumerate(zip(self.counts, self.ends)):
                if e:
                    self._by_count.setdefault(c, []).append(j)
        options = [j for j in self._by_count.get(n_tokens, []) if self.doc_of[j] not in exclude]
        return rng.choice(options) if options else None

    def count(self, text: str) -> int:
        return len(self.tok.encode(text, add_special_tokens=False).ids)


@dataclass
class Placed:
    """A needle as placed: its text, the depth asked for, and where it ended up."""

    text: str
    depth: float  # requested, percent 0–100
    char_start: int = 0
    char_end: int = 0
    token_start: int = 0
    token_end: int = 0
    actual_depth: float = 0.0  # percent of the context's tokens before the needle


@dataclass
class Context:
    text: str
    num_tokens: int
    needles: list[Placed]
    sources: list[str]
    cycles: int  # how many passes over the source stream (1 = no repetition)
    encodes: int  # full-context encodes it took to hit the target exactly
    partial_tail_tokens: int = 0
    extra: dict = field(default_factory=dict)


class HaystackBuilder:
    """`build(target, needle_texts, depths, rng)` → Context of exactly `target` tokens."""

    def __init__(self, stream: SentenceStream, max_fixups: int = 32):
        self.s = stream
        self.max_fixups = max_fixups

    def _walk(self, start: int, budget: int, exclude: set[int]):
        """Whole sentence indices (in stream order, cycling) whose tokens sum ≤ budget, then the next index."""
        s, n = self.s, len(self.s.texts)
        picked, used, i, steps = [], 0, start, 0
        while True:
            j = i % n
            if s.doc_of[j] not in exclude:
                c = s.counts[j] if picked else s.bare(j)
                if used + c > budget:
                    return picked, used, j, steps // n + 1
                picked.append(j)
                used += c
            i += 1
            steps += 1
            if steps > n and not picked:
                raise ValueError("every source document is excluded: no haystack text left")

    def build(
        self,
        target: int,
        needle_texts: list[str],
        depths: list[float],
        rng: random.Random,
        exclude_docs: set[int] | None = None,
    ) -> Context:
        if target < 1:
            raise ValueError(f"target length must be ≥ 1 token, got {target}")
        if len(needle_texts) != len(depths):
            raise ValueError("one depth per needle")
        s = self.s
        needle_tok = sum(s.count(" " + t) for t in needle_texts)
        if needle_tok >= target:
            raise ValueError(f"needles take {needle_tok} tokens, no room in a {target}-token context")
        exclude = exclude_docs or set()
        start = rng.randrange(len(s.texts))
        picked, used, nxt, cycles = self._walk(start, target - needle_tok, exclude)
        partial = target - needle_tok - used  # tokens to take from sentence `nxt`
        fill = s.whole_sentence_of(partial, rng, exclude) if picked and partial else None
        if fill is not None:  # a whole sentence of exactly the remaining size: no partial sentence at all
            picked.append(fill)
            partial = 0
        order = sorted(range(len(depths)), key=lambda k: (depths[k], k))
        encodes, seen = 0, set()
        for _ in range(self.max_fixups):
            pieces, _tail = self._pieces(picked, nxt, partial)
            text, spans = self._render(pieces, needle_texts, depths, order, target - needle_tok)
            enc = s.tok.encode(text, add_special_tokens=False)
            encodes += 1
            diff = target - len(enc.ids)
            if diff == 0:
                break
            partial += diff
            while partial < 0 and picked:  # give back whole sentences, refill from the one dropped
                nxt = picked.pop()
                partial += s.counts[nxt] if picked else s.bare(nxt)
            if partial < 0:
                raise ValueError(f"cannot fit {len(needle_texts)} needles into {target} tokens")
            cap = s.counts[nxt]
            while partial >= cap:  # take the whole sentence and move on
                picked.append(nxt)
                partial -= cap
                nxt = self._next(nxt, exclude)
                cap = s.counts[nxt]
            if (
                len(picked),
                nxt,
                partial,
            ) in seen:  # oscillating (a cut inside a multi-byte char): other tail
                nxt = self._next(nxt, exclude)
            seen.add((len(picked), nxt, partial))
        else:
            raise RuntimeError(
                f"could not reach exactly {target} tokens after {self.max_fixups} encodes "
                f"(last {len(enc.ids)}); the tokenizer merges across sentence boundaries"
            )
        placed = []
        for k, (a, b) in enumerate(spans):  # needles start/end on a non-space char, so both map to a token
            ts, te = enc.char_to_token(a), enc.char_to_token(b - 1) + 1
            before = max(1, target - (te - ts))
            placed.append(Placed(needle_texts[k], depths[k], a, b, ts, te, round(100.0 * ts / before, 2)))
        names = sorted({s.docs[s.doc_of[j]].name for j in picked + ([nxt] if partial else [])})
        return Context(text, target, placed, names, cycles, encodes, partial)

    def _next(self, j: int, exclude: set[int]) -> int:
        j = (j + 1) % len(self.s.texts)
        while self.s.doc_of[j] in exclude:
            j = (j + 1) % len(self.s.texts)
        return j

    def _pieces(
        self, picked: list[int], nxt: int, partial: int
    ) -> tuple[list[tuple[str, str, int, bool]], str]:
        """[(sep, text, tokens_before, ends_sentence)], the partial tail (a token prefix of sentence `nxt`) last."""
        s = self.s
        pieces, cum = [], 0
        for j in picked:
            pieces.append((s.seps[j], s.texts[j], cum, s.ends[j]))
            cum += s.counts[j] if pieces[1:] else s.bare(j)
        tail = ""
        if partial > 0:
            full = (s.seps[nxt] if picked else "") + s.texts[nxt]
            enc = s.tok.encode(full, add_special_tokens=False)
            tail = full[: enc.offsets[min(partial, len(enc.offsets)) - 1][1]].strip()
            if tail:
                pieces.append((s.seps[nxt], tail, cum, False))
        return pieces, tail

    @staticmethod
    def _render(pieces, needle_texts, depths, order, total: int) -> tuple[str, list[tuple[int, int]]]:
        """Join pieces; each needle goes at the boundary (before piece i, or the end) nearest its depth."""
        # boundary i = before piece i (i == len(pieces): the end); allowed after a piece that ends a sentence
        allowed = [i for i in range(len(pieces) + 1) if i in (0, len(pieces)) or pieces[i - 1][3]]
        bounds = [pieces[i][2] if i < len(pieces) else total for i in allowed]
        slots: dict[int, list[int]] = {}
        for k in order:
            want = depths[k] / 100.0 * total
            j = min(bisect.bisect_left(bounds, want), len(bounds) - 1)
            if j > 0 and want - bounds[j - 1] <= bounds[j] - want:
                j -= 1
            slots.setdefault(allowed[j], []).append(k)
        out: list[str] = []
        length = 0
        spans: list[tuple[int, int]] = [(0, 0)] * len(needle_texts)

        def emit(sep: str, text: str) -> tuple[int, int]:
            nonlocal length
            if out:
                out.append(sep)
                length += len(sep)
            out.append(text)
            a = length
            length += len(text)
            return a, length

        for i in range(len(pieces) + 1):
            for k in slots.get(i, []):
                spans[k] = emit(" ", needle_texts[k])
            if i < len(pieces):
                emit(pieces[i][0], pieces[i][1])
        return "".join(out), spans
