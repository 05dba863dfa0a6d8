"""All verdicts for a batch of responses: the domain verifier + degeneration / language / length filters."""

from __future__ import annotations

from dataclasses import dataclass

from filters.degeneration import DegenerationFilter
from filters.language_consistency import LanguageConsistencyFilter
from filters.length import LengthFilter
from generators.sft_checks import to_verdict
from generators.verify import CodeVerifier, LogicVerifier, MathVerifier, SandboxLimits
from generators.verify.sandbox import DEFAULT_LIMITS
from schemas import Verdict
from schemas.seed import SeedProblem


@dataclass
class Response:
    seed: SeedProblem
    text: str
    finish_reason: str
    mode: str  # reasoning | non_reasoning
    source: str  # "reference" or the model name
    index: int  # sample index within (query, mode); -1 for the reference
    num_tokens: int = 0
    prompt_id: str | None = None


class ResponseChecker:
    def __init__(
        self,
        domain: str,
        math_workers: int = 1,
        math_timeout_s: float = 10.0,
        code_limits: SandboxLimits = DEFAULT_LIMITS,
        code_workers: int = 2,
        max_tokens: int = 32768,
    ):
        self.domain = domain
        self.math = MathVerifier(math_workers, math_timeout_s) if domain == "math" else None
        self.code = CodeVerifier(code_limits, code_workers) if domain == "code" else None
        self.logic = LogicVerifier() if domain == "logic" else None
        self.degeneration = DegenerationFilter()
        self.language = LanguageConsistencyFilter()
        self.length = LengthFilter(max_tokens=max_tokens)

    def close(self) -> None:
        if self.math is not None:
            self.math.close()

    def correctness(self, responses: list[Response]) -> list[Verdict]:
        if self.math is not None:
            return self.math.verify_many([(r.seed.ground_truth, r.text, r.finish_reason) for r in responses])
        if self.code is not None:
            return self.code.verify_many([(r.text, r.seed.tests) for r in responses])
        m = [r.seed.metadata for r in responses]
        return [
            self.logic.verify(r.text, x["task"], x["rg_seed"], x["rg_size"], x["rg_index"])
            for r, x in zip(responses, m)
        ]

    def check(self, responses: list[Response]) -> list[list[Verdict]]:
        out = []
        for r, v in zip(responses, self.correctness(responses)):
            lang = self.language.check(r.text, r.seed.language)  # a switch's details name its line
            out.append(
                [
                    v,
                    to_verdict("degeneration", self.degeneration.filter(r.text, r.finish_reason)),
                    Verdict(verifier="language_consistency", passed=lang[0], reason=lang[1], details=lang[2]),
                    to_verdict("length", self.length.filter(r.text, r.num_tokens)),
                ]
            )
        return out
