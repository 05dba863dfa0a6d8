"""Verifiers: math (answers.py: our normalisation + math-verify, in bounded worker processes), code (sandboxed
tests), logic (reasoning-gym). `answers` is the one answer-equivalence layer every generator compares with."""

from generators.verify.answers import Equivalence, answers_equal, contains_answer, normalise_text
from generators.verify.code_verifier import CodeVerifier
from generators.verify.logic_verifier import LogicVerifier
from generators.verify.math_verifier import MathVerifier, check_math
from generators.verify.sandbox import SandboxError, SandboxLimits, SandboxResult, run_python

__all__ = [
    "CodeVerifier",
    "Equivalence",
    "LogicVerifier",
    "MathVerifier",
    "SandboxError",
    "SandboxLimits",
    "SandboxResult",
    "answers_equal",
    "check_math",
    "contains_answer",
    "normalise_text",
    "run_python",
]
