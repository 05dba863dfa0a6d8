"""GroundedQAGenerator: passages → engine-written QA pairs → checks → world-knowledge SFT samples.

One chunk of passages makes at most three batched engine calls: QA writing, the optional judge, and
reasoning-mode answers for the sampled hard/specialised subset. Every candidate becomes a sample; failed ones
carry a `passed=false` verdict (kept for audit, never selected by mixtures) and are counted per reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from datamill.engine import Engine, SamplingParams
from datamill.ids import sample_id
from datamill.jobs import JobReport
from datamill.tokens import count_chat_tokens
from filters.degeneration import DegenerationFilter
from filters.language_consistency import LanguageConsistencyFilter
from generators.knowledge import qa
from generators.knowledge.checks import SupportFilter, support_overlap
from generators.knowledge.config import QAConfig
from generators.knowledge.selection import SourceDocument
from generators.sft_checks import (
    ParseError,
    first_completion,
    first_failure,
    reasoning_format,
    response_verdicts,
    to_verdict,
)
from schemas import Lineage, Message, SFTSample, Verdict
from schemas.chat_format import reasoning_and_answer


@dataclass(frozen=True)
class Passage:
    doc: SourceDocument
    index: int
    text: str

    @property
    def key(self) -> str:
        return f"{self.doc.id}:{self.index}"


def in_fraction(key: str, fraction: float) -> bool:
    """Deterministic sampling: the same key is always in or out (no RNG state across chunks)."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < fraction


class GroundedQAGenerator:
    def __init__(
        self,
        engine: Engine,
        cfg: QAConfig,
        dataset: str,
        run_id: str,
        tokenizer_path: str | None = None,
        domain: str = "world_knowledge",
    ):
        self.engine, self.cfg, self.dataset, self.run_id, self.domain = engine, cfg, dataset, run_id, domain
        self.tokenizer_path = tokenizer_path
        self.support = SupportFilter(min_overlap=cfg.min_support_overlap)
        self.degeneration = DegenerationFilter()
        self.language = LanguageConsistencyFilter()

    def _params(self, reasoning: bool) -> SamplingParams:
        c = self.cfg
        return SamplingParams(
            temperature=c.temperature, max_tokens=c.max_tokens, seed=c.seed, reasoning=reasoning
        )

    def _sample(
        self,
        key: str,
        passage: Passage,
        messages: list[Message],
        mode: str,
        verdicts: list[Verdict],
        prompt_id: str,
        metadata: dict,
        report: JobReport,
    ) -> SFTSample:
        reason = first_failure(verdicts)
        if reason:
            report.add_drop(reason)
        doc = passage.doc
        edu = {"edu": doc.edu_score} if doc.edu_score is not None else {}
        return SFTSample(
            id=sample_id(self.dataset, self.run_id, key),
            domain=self.domain,
            language=doc.language,
            mode=mode,
            messages=messages,
            verdicts=verdicts,
            scores={**edu, **metadata.pop("scores", {})},
            num_tokens=count_chat_tokens(
                messages, reasoning=mode == "reasoning", tokenizer_path=self.tokenizer_path
            ),
            license=doc.license,
            metadata={"passage_index": passage.index, "url": doc.url, **metadata},
            lineage=Lineage(
                parent_ids=[doc.id] if doc.in_catalog else [],
                source=doc.url or doc.id,
                model=self.engine.model_name,
                params=self._params(mode == "reasoning").key(),
                seed=self.cfg.seed,
                prompt_id=prompt_id,
            ),
        )

    def process(self, passages: list[Passage], report: JobReport) -> list[SFTSample]:
        prompts = [
            qa.build_qa_prompt(p.text, p.doc.language, self.cfg.questions_per_passage) for p in passages
        ]
        outputs = self.engine.generate(prompts, self._params(reasoning=False))
        samples: list[SFTSample] = []
        pending: list[tuple[Passage, int, qa.QAPair, list[Verdict], str]] = []
        for p, prompt, comps in zip(passages, prompts, outputs):
            c = first_completion(comps)
            verdicts = [to_verdict("degeneration", self.degeneration.filter(c.text, c.finish_reason))]
            pairs: list[qa.QAPair] = []
            if verdicts[0].passed:
                try:
                    pairs = qa.parse_qa(c.text)
                except ParseError as e:
                    verdicts.append(
                        Verdict(verifier="qa_parse", passed=False, reason=e.reason, details={"error": str(e)})
                    )
            if not pairs:  # the raw output is kept for audit
                raw = [*prompt, Message(role="assistant", content=c.text or " ")]
                samples.append(
                    self._sample(f"{p.key}:raw", p, raw, "non_reasoning", verdicts, c.prompt_id, {}, report)
                )
                continue
            for k, pair in enumerate(pairs):
                # language first: an answer in the wrong language also shares few words with the passage
                v = [
                    to_verdict(
                        "language_consistency",
                        self.language.filter(f"{pair.question}\n{pair.answer}", p.doc.language),
                        expected=p.doc.language,
                    ),
                    to_verdict(
                        "support",
                        self.support.filter(pair.answer, p.text),
                        overlap=round(support_overlap(pair.answer, p.text), 3),
                    ),
                ]
                pending.append((p, k, pair, v, c.prompt_id))
        if self.cfg.llm_judge:
            todo = [i for i, (*_, v, _) in enumerate(pending) if all(x.passed for x in v)]
            judged = self.engine.generate(
                [
                    qa.build_judge_prompt(pending[i][0].text, pending[i][2].question, pending[i][2].answer)
                    for i in todo
                ],
                self._params(reasoning=False),
            )
            for i, comps in zip(todo, judged):
                pending[i][3].append(to_verdict("llm_judge", qa.parse_judge(first_completion(comps).text)))
        reasoning_todo: list[tuple[Passage, int, qa.QAPair, str, str]] = []
        for p, k, pair, verdicts, pid in pending:
            difficulty = qa.tag_difficulty(pair, p.text)
            specialised = p.doc.specialised_score >= self.cfg.specialised_edu_score
            user = qa.build_user_turn(pair, p.text, self.cfg.with_context, p.doc.language)
            messages = [Message(role="user", content=user), Message(role="assistant", content=pair.answer)]
            meta = {
                "difficulty": difficulty,
                "specialised": specialised,
                "question": pair.question,
                "scores": {"support": support_overlap(pair.answer, p.text)},
            }
            samples.append(
                self._sample(f"{p.key}:{k}", p, messages, "non_reasoning", verdicts, pid, meta, report)
            )
            if (
                all(v.passed for v in verdicts)
                and (difficulty == "hard" or specialised)
                and in_fraction(f"{p.key}:{k}", self.cfg.reasoning_fraction)
            ):
                reasoning_todo.append((p, k, pair, user, difficulty))
        if reasoning_todo:
            answers = self.engine.generate(
                [[Message(role="user", content=t[3])] for t in reasoning_todo], self._params(reasoning=True)
            )
            for (p, k, pair, user, difficulty), comps in zip(reasoning_todo, answers):
                samples.append(
                    self._reasoning_sample(p, k, pair, user, difficulty, first_completion(comps), report)
                )
        return samples

    def _reasoning_sample(
        self, p: Passage, k: int, pair: qa.QAPair, user: str, difficulty: str, c, report
    ) -> SFTSample:
        verdicts = response_verdicts(
            c.text, p.doc.language, c.finish_reason, self.degeneration, self.language
        )
        think, answer = reasoning_and_answer(c.text)  # answer None: cut off mid-thought
        if all(v.passed for v in verdicts):
            verdicts.append(
                reasoning_format(think, answer, need_reasoning=True)
                or to_verdict(
                    "support",
                    self.support.filter(answer, p.text),
                    overlap=round(support_overlap(answer, p.text), 3),
                )
            )
        messages = [
            Message(role="user", content=user),
            Message(role="assistant", content=answer or " ", reasoning_content=think),
        ]
        meta = {
            "difficulty": difficulty,
            "specialised": p.doc.specialised_score >= self.cfg.specialised_edu_score,
            "question": pair.question,
            "reference_answer": pair.answer,
        }
        return self._sample(
            f"{p.key}:{k}:reasoning", p, messages, "reasoning", verdicts, c.prompt_id, meta, report
        )
