"""SampleTranslator: selected catalog samples (e.g. math / world knowledge, English) → Korean / Spanish.

Per translated turn: degeneration (the raw output), `TranslationFilter` (code, math, placeholders, numbers kept;
no untranslated span; length ratio) and `LanguageConsistencyFilter` (LID, script ratio, code switching) on
the translation. The query is always translated; the answer is translated too, or (responses: generate)
written afresh by the engine in the target language and checked like any response.
"""

from __future__ import annotations

from dataclasses import dataclass

from datamill.engine import Engine, SamplingParams
from datamill.jobs import JobReport
from filters.degeneration import DegenerationFilter
from filters.language_consistency import LanguageConsistencyFilter
from filters.translation import TranslationFilter
from generators.multilingual import prompts
from generators.multilingual.config import TranslationConfig
from generators.multilingual.generator import finish_sample
from generators.sft_checks import first_completion, reasoning_format, response_verdicts, to_verdict
from schemas import Lineage, Message, SFTSample
from schemas.chat_format import reasoning_and_answer


@dataclass(frozen=True)
class TranslationItem:
    source: SFTSample
    target: str

    @property
    def key(self) -> str:
        return f"{self.source.id}:{self.target}"


class SampleTranslator:
    def __init__(
        self,
        engine: Engine,
        cfg: TranslationConfig,
        dataset: str,
        run_id: str,
        tokenizer_path: str | None = None,
    ):
        self.engine, self.cfg, self.dataset, self.run_id = engine, cfg, dataset, run_id
        self.tokenizer_path = tokenizer_path
        self.degeneration, self.language, self.translation = (
            DegenerationFilter(),
            LanguageConsistencyFilter(),
            TranslationFilter(),
        )

    def _params(self, reasoning: bool = False) -> SamplingParams:
        c = self.cfg
        return SamplingParams(
            temperature=c.temperature, max_tokens=c.max_tokens, seed=c.seed, reasoning=reasoning
        )

    def check_turn(self, source: str, raw: str, finish_reason: str, target: str, role: str):
        """(translation, verdicts) for one turn; stops at the first failing check."""
        verdicts = [to_verdict("degeneration", self.degeneration.filter(raw, finish_reason), field=role)]
        text = prompts.parse_translation(raw) if verdicts[0].passed else raw
        if verdicts[-1].passed:
            verdicts.append(
                to_verdict(
                    "translation",
                    self.translation.filter(source, text, target),
                    field=role,
                    length_ratio=round(len(text) / max(1, len(source)), 3),
                )
            )
        if verdicts[-1].passed:
            verdicts.append(
                to_verdict(
                    "language_consistency", self.language.filter(text, target), field=role, expected=target
                )
            )
        return text, verdicts

    def process(self, items: list[TranslationItem], report: JobReport) -> list[SFTSample]:
        roles = ["user"] + (["assistant"] if self.cfg.responses == "translate" else [])
        jobs = [
            (i, role, next(m for m in it.source.messages if m.role == role).content)
            for i, it in enumerate(items)
            for role in roles
        ]
        outs = self.engine.generate(
            [prompts.build_translation_prompt(t, items[i].target) for i, _, t in jobs], self._params()
        )
        turns: dict[int, dict[str, str]] = {i: {} for i in range(len(items))}
        verdicts: dict[int, list] = {i: [] for i in range(len(items))}
        model = self.engine.model_name
        for (i, role, src), comps in zip(jobs, outs):
            c = first_completion(comps)
            text, v = self.check_turn(src, c.text, c.finish_reason, items[i].target, role)
            turns[i][role], model = text, c.model or model
            verdicts[i] += v
        if self.cfg.responses == "generate":
            todo = [i for i in range(len(items)) if all(v.passed for v in verdicts[i])]
            answers = (
                self.engine.generate(
                    [[Message(role="user", content=turns[i]["user"])] for i in todo], self._params()
                )
                if todo
                else []
            )
            for i, comps in zip(todo, answers):
                c = first_completion(comps)
                verdicts[i] += response_verdicts(
                    c.text, items[i].target, c.finish_reason, self.degeneration, self.language
                )
                think, answer = reasoning_and_answer(c.text)  # non-reasoning sample: the answer only
                if all(v.passed for v in verdicts[i]) and (fmt := reasoning_format(think, answer, False)):
                    verdicts[i].append(fmt)
                turns[i]["assistant"] = answer or ""
        samples = []
        for i, it in enumerate(items):
            src = it.source
            messages = [
                Message(role="user", content=turns[i].get("user") or " "),
                Message(role="assistant", content=turns[i].get("assistant") or " "),
            ]
            lineage = Lineage(
                parent_ids=[src.id],
                source=src.lineage.source or src.id,
                model=model,
                params=self._params().key(),
                seed=self.cfg.seed,
            )
            meta = {
                "source_dataset": src.dataset,
                "source_domain": src.domain,
                "source_language": src.language,
                "responses": self.cfg.responses,
            }
            samples.append(
                finish_sample(
                    self.dataset,
                    self.run_id,
                    it.key,
                    it.target,
                    "non_reasoning",
                    messages,
                    verdicts[i],
                    lineage,
                    src.license,
                    meta,
                    report,
                    self.tokenizer_path,
                )
            )
        return samples
