"""TrajectoryVerifier: every trajectory gets the same verdicts; a sample is exported only if all pass.

- tool_call_format: each <tool_call> is JSON {"name", "arguments"}            → malformed_json
- tool_call_schema: each call names a tool and matches its parameter schema    → unknown_function, unknown_type,
  (strict: undeclared arguments are rejected; details name the rule,           missing_required, undeclared_argument,
   e.g. "undeclared_argument:verbose", see calls.py)                           wrong_type, not_in_enum, schema_violation
- execution: every environment error is recovered from                         → execution_error_unrecovered,
                                                                                 environment_internal_error
- termination: ends with the agent's answer, within limits                      → step_limit, truncated_output,
                                                                                 no_final_answer, reference_exhausted,
                                                                                 reference_error
- goal: the final environment state (and answer) satisfies the task's check     → goal_not_met

Schema and format failures are the agent's own mistakes, so even a later fix does not pass the sample (we would
train on the mistake). An environment error (out of stock, conflict) is part of the world: it is *recovered*
when a later call of the same tool succeeds, or the agent later tells the user — and never re-issues the
identical failing call.
"""

from __future__ import annotations

import json

from generators.tool_use.calls import REASONS, check_call
from generators.tool_use.envs import ENVIRONMENTS
from generators.tool_use.rollout import Trajectory
from schemas import ToolCall, Verdict

SCHEMA_REASONS = REASONS


def _rule(t: Trajectory, ev: dict) -> str:
    """The rule a rejected call broke (events keep the reason; the rule is re-derived from the same check)."""
    tools = {s["name"]: s for s in ENVIRONMENTS[t.task.env].TOOLS}
    problem = check_call(ToolCall(name=ev["name"], arguments=ev.get("arguments") or {}), tools)
    return problem.rule if problem is not None else ev["status"]


def _key(ev: dict) -> str:
    return json.dumps([ev.get("name"), ev.get("arguments")], sort_keys=True, default=str)


def recovered(events: list[dict], i: int, text_steps: set[int]) -> bool:
    """Whether the environment error at events[i] was handled by the agent afterwards."""
    ev = events[i]
    later = events[i + 1 :]
    if any(e["status"] == "execution_error" and _key(e) == _key(ev) for e in later):
        return False  # blindly retried the same failing call
    fixed = any(e["status"] == "ok" and e["name"] == ev["name"] for e in later)
    told_user = any(s > ev["step"] for s in text_steps)
    return fixed or told_user


class TrajectoryVerifier:
    def verify(self, t: Trajectory) -> list[Verdict]:
        return [self.format(t), self.schema(t), self.execution(t), self.termination(t), self.goal(t)]

    @staticmethod
    def format(t: Trajectory) -> Verdict:
        bad = [e for e in t.events if e["status"] == "malformed_json"]
        return Verdict(
            verifier="tool_call_format",
            passed=not bad,
            reason="malformed_json" if bad else "",
            details={"malformed": bad[:3]} if bad else {},
        )

    @staticmethod
    def schema(t: Trajectory) -> Verdict:
        bad = [e for e in t.events if e["status"] in SCHEMA_REASONS]
        if not bad:
            return Verdict(
                verifier="tool_call_schema",
                passed=True,
                details={"calls": sum(e["name"] is not None for e in t.events)},
            )
        violations = [
            {**{k: e.get(k) for k in ("step", "name", "status", "message")}, "rule": _rule(t, e)}
            for e in bad[:5]
        ]
        return Verdict(
            verifier="tool_call_schema",
            passed=False,
            reason=bad[0]["status"],
            details={
                "category": "unknown_function"
                if bad[0]["status"] == "unknown_function"
                else "schema_violation",
                "rule": violations[0]["rule"],
                "violations": violations,
            },
        )

    @staticmethod
    def execution(t: Trajectory) -> Verdict:
        text_steps = {
            i
            for i, m in enumerate(x for x in t.messages if x.role == "assistant")
            if not m.tool_calls and m.content.strip()
        }
        errs = [(i, e) for i, e in enumerate(t.events) if e["status"] == "execution_error"]
        internal = [e for _, e in errs if e.get("code") == "internal_error"]
        if internal:
            return Verdict(
                verifier="execution",
                passed=False,
                reason="environment_internal_error",
                details={"errors": internal[:3]},
            )
        unrec = [e for i, e in errs if not recovered(t.events, i, text_steps)]
        details = {
            "errors": len(errs),
            "recovered": len(errs) - len(unrec),
            "codes": sorted({e.get("code", "") for _, e in errs}),
        }
        if unrec:
            details["unrecovered"] = [{k: e.get(k) for k in ("step", "name", "code")} for e in unrec[:3]]
        return Verdict(
            verifier="execution",
            passed=not unrec,
            reason="execution_error_unrecovered" if unrec else "",
            details=details,
        )

    @staticmethod
    def termination(t: Trajectory) -> Verdict:
        details = {"end_reason": t.end_reason, "steps": t.steps, "user_turns": t.user_turns}
        if t.end_reason in ("step_limit", "reference_exhausted", "reference_error"):
            details["message"] = next(
                (e.get("message") for e in t.events if e["status"] == t.end_reason), None
            )
            return Verdict(verifier="termination", passed=False, reason=t.end_reason, details=details)
        if "length" in t.finish_reasons:
            return Verdict(verifier="termination", passed=False, reason="truncated_output", details=details)
        if not t.final_text().strip():
            return Verdict(verifier="termination", passed=False, reason="no_final_answer", details=details)
        return Verdict(verifier="termination", passed=True, details=details)

    @staticmethod
    def goal(t: Trajectory) -> Verdict:
        return Verdict(
            verifier="goal",
            passed=t.goal_ok,
            reason="" if t.goal_ok else "goal_not_met",
            details={"check": t.goal_detail},
        )
