"""CodeVerifier: run the response's last code block + the problem's tests in the sandbox; reasoned verdicts."""

from __future__ import annotations

import re
import secrets
from concurrent.futures import ThreadPoolExecutor

from generators.verify.response import last_code_block
from generators.verify.sandbox import DEFAULT_LIMITS, SandboxLimits, SandboxResult, run_python, self_test
from schemas import Verdict

NAME = "code_sandbox"
_LAST_EXC = re.compile(r"^(\w+(?:Error|Exception|Exit|Interrupt)|AssertionError)\b.*$", re.MULTILINE)
_OUTSIDE_PATH = re.compile(r"'(/(?!tmp/work)[^']*)'")


def build_program(code: str, tests: list[str], nonce: str) -> str:
    """Solution, then the tests, then a nonce line printed only when every test ran to the end."""
    return f"{code}\n\n# --- tests ---\n" + "\n".join(tests) + f"\nprint({nonce!r})\n"


def classify(result: SandboxResult, nonce: str) -> tuple[bool, str]:
    if result.status in ("timeout", "output_limit"):
        return False, result.status
    if result.status == "ok" and nonce in result.stdout:
        return True, ""
    exc = _LAST_EXC.findall(result.stderr)
    last = exc[-1] if exc else ""
    if last == "MemoryError" or (result.status == "killed" and not exc):
        return False, "memory_limit"  # RLIMIT_AS → MemoryError, or the kernel killed an allocation
    if last == "AssertionError":
        return False, "tests_failed"
    if last == "SyntaxError" or last == "IndentationError":
        return False, "syntax_error"
    tail = result.stderr[-400:]
    if last in ("PermissionError", "BlockingIOError") or "Network is unreachable" in tail:
        return False, "sandbox_violation"  # blocked by uid/rlimit/no-network: the program tried to leave
    if last == "FileNotFoundError" and _OUTSIDE_PATH.search(tail):
        return False, "sandbox_violation"  # host paths are hidden inside the sandbox
    if result.status == "ok":
        return False, "tests_not_run"  # exited 0 before the tests finished (e.g. sys.exit in the solution)
    return False, "runtime_error"


class CodeVerifier:
    def __init__(self, limits: SandboxLimits = DEFAULT_LIMITS, workers: int = 2):
        self.limits, self.workers = limits, workers

    def verify(self, response: str, tests: list[str], extract: bool = True) -> Verdict:
        """`response` is a model answer (its last ```python block is run) or, with extract=False, bare code."""
        code = last_code_block(response) if extract else response
        if code is None:
            return Verdict(verifier=NAME, passed=False, reason="no_code_block")
        try:
            compile(code, "<solution>", "exec")
        except SyntaxError as e:
            return Verdict(
                verifier=NAME,
                passed=False,
                reason="syntax_error",
                details={"error": f"line {e.lineno}: {e.msg}"},
            )
        except ValueError as e:  # e.g. null bytes
            return Verdict(verifier=NAME, passed=False, reason="syntax_error", details={"error": str(e)})
        if not tests:
            return Verdict(verifier=NAME, passed=False, reason="no_tests")
        self_test(self.limits)  # raises SandboxError (the job stops) instead of failing every sample
        nonce = "DATAMILL_TESTS_DONE_" + secrets.token_hex(8)
        res = run_python(build_program(code, tests, nonce), self.limits)
        ok, reason = classify(res, nonce)
        details = {
            "status": res.status,
            "returncode": res.returncode,
            "duration_s": round(res.duration_s, 3),
            "isolation": res.isolation,
            "output_bytes": res.details.get("output_bytes", 0),
        }
        if not ok:
            details["stderr_tail"] = res.stderr[-500:]
        return Verdict(verifier=NAME, passed=ok, reason=reason, details=details)

    def verify_many(self, items: list[tuple[str, list[str]]], extract: bool = True) -> list[Verdict]:
        with ThreadPoolExecutor(self.workers) as ex:  # each check is its own sandboxed process
            return list(ex.map(lambda it: self.verify(it[0], it[1], extract), items))
