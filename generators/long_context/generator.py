"""LongContextGenerator: one spec (language, length, task, depth, index) → one SFTSample (domain long_context).

Needle tasks (niah, multi_value, chain, fact) are built without a model: the answer is the needle values.
summarize / longform need an engine; `build_prompt` / `parse` are pure and the engine call lives in job.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from datamill.ids import sample_id
from generators.long_context.config import length_bucket
from generators.long_context.haystack import Context, HaystackBuilder, SentenceStream
from generators.long_context.needles import (
    INSTRUCTION,
    Needle,
    chain_needles,
    expected_values,
    fact_needles,
    magic_needles,
)
from generators.long_context.sources import data_root, load_documents, load_facts, word_pool
from schemas import Message, SFTSample, Verdict

ADHOC_RUN = "adhoc"  # the run id of samples built outside a job (tests, the NIAH grid)

# metadata keys (the dashboard and coverage report read these)
M_CONTEXT_TOKENS, M_LENGTH_BUCKET, M_NEEDLES, M_DEPTH_BUCKETS, M_SOURCES = (
    "context_tokens",
    "length_bucket",
    "needles",
    "depth_buckets",
    "sources",
)

LONGFORM = {
    "summarize": {
        "en": "Summarise the text above in about {words} words, covering its main arguments in order.",
        "es": "Resume el texto anterior en unas {words} palabras, cubriendo sus ideas principales en orden.",
        "ko": "위 텍스트를 약 {words}단어로 요약하되, 주요 내용을 순서대로 다루시오.",
    },
    "longform": {
        "en": "Using the text above, write a detailed, well-structured essay (at least {words} words) that "
        "explains its key ideas and connects them with examples from the text.",
        "es": "A partir del texto anterior, escribe un ensayo detallado y bien estructurado (al menos {words} "
        "palabras) que explique sus ideas clave con ejemplos del texto.",
        "ko": "위 텍스트를 바탕으로 핵심 내용을 설명하고 텍스트의 예를 들어 연결하는 자세하고 구조적인 글을 "
        "{words}단어 이상으로 쓰시오.",
    },
}


def depth_bucket(depth: float, n: int) -> str:
    """Bucket label for a depth percent: n equal buckets, 100 % in the last."""
    width = 100.0 / n
    i = min(int(depth // width), n - 1)
    return f"{round(i * width)}-{round((i + 1) * width)}%"


def all_depth_buckets(n: int) -> list[str]:
    return [depth_bucket(i * 100.0 / n, n) for i in range(n)]


@dataclass
class Spec:
    language: str
    length: int
    task: str
    depth: float
    index: int
    kind: str = "number"

    def key(self) -> str:
        return f"{self.language}|{self.length}|{self.task}|{self.depth}|{self.index}|{self.kind}"


class LongContextGenerator:
    def __init__(
        self,
        tokenizer,
        seed: int = 0,
        prefer_shared: bool = True,
        web_docs: dict | None = None,
        n_depth_buckets: int = 5,
        distractors: int = 2,
        values_per_key: int = 3,
        chain_hops: int = 3,
        facts_per_sample: int = 2,
        tokenizer_name: str = "examples/tokenizer",
    ):
        self.tok = tokenizer
        self.seed = seed
        self.root: Path = data_root(prefer_shared)
        self.web_docs = web_docs or {}
        self.n_buckets = n_depth_buckets
        self.distractors, self.values_per_key = distractors, values_per_key
        self.chain_hops, self.facts_per_sample = chain_hops, facts_per_sample
        self.tokenizer_name = tokenizer_name
        self._streams: dict[str, SentenceStream] = {}
        self._words: dict[str, list[str]] = {}
        self._facts: dict[str, list] = {}

    def stream(self, language: str) -> SentenceStream:
        if language not in self._streams:
            docs = load_documents(language, self.root, self.web_docs.get(language))
            self._streams[language] = SentenceStream(docs, self.tok)
            self._words[language] = word_pool(docs, language)
            self._facts[language] = load_facts(self.root, language)
        return self._streams[language]

    def rng(self, spec: Spec) -> random.Random:
        return random.Random(f"{self.seed}|{spec.key()}")

    def needles_for(self, spec: Spec, rng: random.Random) -> tuple[list[Needle], str, str, set[str]]:
        """(needles, question, answer, haystack documents to leave out)."""
        lang = spec.language
        words = self._words[lang]
        dis = [round(rng.uniform(0, 100), 2) for _ in range(self.distractors)]
        if spec.task == "niah":
            n, q, a = magic_needles(lang, spec.kind, [spec.depth], rng, words, dis)
            return n, q, a, set()
        if spec.task == "multi_value":
            extra = [round(rng.uniform(0, 100), 2) for _ in range(self.values_per_key - 1)]
            n, q, a = magic_needles(lang, spec.kind, [spec.depth] + extra, rng, words, dis)
            return n, q, a, set()
        if spec.task == "chain":
            extra = [round(rng.uniform(0, 100), 2) for _ in range(self.chain_hops - 1)]
            n, q, a = chain_needles(lang, [spec.depth] + extra, rng, dis[:2])
            return n, q, a, set()
        if spec.task == "fact":
            facts = self._facts[lang]
            if not facts:
                raise LookupError(f"no_fact_source_{lang}")
            picked = rng.sample(facts, min(self.facts_per_sample, len(facts)))
            extra = [round(rng.uniform(0, 100), 2) for _ in range(len(picked) - 1)]
            n, q, a = fact_needles(picked[0].language, picked, [spec.depth] + extra)
            return n, q, a, {f.doc for f in picked}
        raise ValueError(f"task {spec.task!r} has no needles")

    def context(
        self, spec: Spec, needles: list[Needle], rng: random.Random, exclude: set[str] = frozenset()
    ) -> Context:
        s = self.stream(spec.language)
        ex = {i for i, d in enumerate(s.docs) if d.name in exclude}
        return HaystackBuilder(s).build(
            spec.length, [n.text for n in needles], [n.depth for n in needles], rng, ex
        )

    def build(self, spec: Spec, dataset: str = "long_context", run_id: str = ADHOC_RUN) -> SFTSample:
        """A needle-task sample (no model needed)."""
        self.stream(spec.language)
        rng = self.rng(spec)
        needles, question, answer, exclude = self.needles_for(spec, rng)
        ctx = self.context(spec, needles, rng, exclude)
        content = f"{ctx.text}\n\n{question}"
        messages = [
            Message(role="system", content=INSTRUCTION[spec.language]),
            Message(role="user", content=content),
            Message(role="assistant", content=answer),
        ]
        verdict = Verdict(
            verifier="needle_answer",
            passed=all(v in answer for v in expected_values(needles)),
            reason="",
            details={"expected": expected_values(needles)},
        )
        return self._sample(spec, dataset, run_id, messages, ctx, needles, [verdict], mode="non_reasoning")

    def build_prompt(self, spec: Spec, words: int) -> tuple[list[Message], Context]:
        """summarize / longform: the long text plus the instruction (pure; the engine call is elsewhere)."""
        self.stream(spec.language)
        rng = self.rng(spec)
        ctx = self.context(spec, [], rng)
        instr = LONGFORM[spec.task][spec.language].format(words=words)
        return [Message(role="user", content=f"{ctx.text}\n\n{instr}")], ctx

    @staticmethod
    def parse(text: str, finish_reason: str, min_words: int) -> tuple[str | None, str]:
        """Model text → (answer, "") or (None, reason). Reasoning text is dropped."""
        body = text.split("</think>", 1)[-1].strip()
        if finish_reason == "length":
            return None, "truncated"
        if len(body.split()) < min_words:
            return None, "too_short"
        return body, ""

    def sample_from_response(
        self,
        spec: Spec,
        prompt: list[Message],
        ctx: Context,
        answer: str,
        model: str,
        dataset: str = "long_context",
        run_id: str = ADHOC_RUN,
    ) -> SFTSample:
        messages = prompt + [Message(role="assistant", content=answer)]
        s = self._sample(spec, dataset, run_id, messages, ctx, [], [], mode="non_reasoning")
        s.lineage.model = model
        return s

    def _sample(self, spec, dataset, run_id, messages, ctx: Context, needles, verdicts, mode) -> SFTSample:
        mi = next(i for i, m in enumerate(messages) if m.role == "user")
        meta_needles = [
            {
                "kind": n.kind,
                "key": n.key,
                "value": n.value,
                "depth": p.actual_depth,
                "target_depth": p.depth,
                "char_start": p.char_start,
                "char_end": p.char_end,
                "token_start": p.token_start,
                "token_end": p.token_end,
                "message_index": mi,
                "query": n.query,
            }
            for n, p in zip(needles, ctx.needles)
        ]
        buckets = sorted(
            {depth_bucket(m["depth"], self.n_buckets) for m in meta_needles if m["query"]},
            key=lambda b: float(b.split("-")[0]),
        )
        sid = sample_id(dataset, run_id, self.seed, spec.key())
        meta = {
            M_CONTEXT_TOKENS: ctx.num_tokens,
            M_LENGTH_BUCKET: length_bucket(spec.length),
            M_NEEDLES: meta_needles,
            M_DEPTH_BUCKETS: buckets,
            M_SOURCES: ctx.sources,
            "task": spec.task,
            "repeated_sources": ctx.cycles > 1,
            "source_cycles": ctx.cycles,
            "partial_tail_tokens": ctx.partial_tail_tokens,
            "tokenizer": self.tokenizer_name,
            "context_char_start": 0,
            "context_char_end": len(ctx.text),
        }
        lic = sorted({d.license for d in self.stream(spec.language).docs if d.name in set(ctx.sources)})
        return SFTSample(
            id=sid,
            dataset=dataset,
            domain="long_context",
            language=spec.language,
            mode=mode,
            messages=messages,
            verdicts=verdicts,
            num_tokens=self._chat_tokens(messages, ctx),
            license="; ".join(x for x in lic if x),
            metadata=meta,
            lineage={"source": ", ".join(ctx.sources[:5]), "seed": self.seed, "model": "reference"},
        )

    def _chat_tokens(self, messages: list[Message], ctx: Context) -> int:
        """Tokens of the rendered chat (non-reasoning) = text before the context + the context's exact count + text
        after it: two small encodes instead of a second long one (the context starts and ends on a word/needle
        next to a newline, where pre-tokenizing BPEs always split)."""
        from schemas import render_exaone_chat

        text, _ = render_exaone_chat(messages, reasoning=False)
        i = text.index(ctx.text)
        return len(self._enc(text[:i])) + ctx.num_tokens + len(self._enc(text[i + len(ctx.text) :]))

    def _enc(self, text: str) -> list[int]:
        tok = self.tok.backend_tokenizer if hasattr(self.tok, "backend_tokenizer") else self.tok
        return tok.encode(text, add_special_tokens=False).ids
