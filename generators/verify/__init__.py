"""Verifiers: math (math-verify in bounded worker processes), code (sandboxed tests), logic (reasoning-gym)."""

from generators.verify.code_verifier import CodeVerifier
from generators.verify.logic_verifier import LogicVerifier
from generators.verify.math_verifier import MathVerifier, check_math
from generators.verify.sandbox import SandboxError, SandboxLimits, SandboxResult, run_python

__all__ = [
    "CodeVerifier",
    "LogicVerifier",
    "MathVerifier",
    "SandboxError",
    "SandboxLimits",
    "SandboxResult",
    "check_math",
    "run_python",
]
