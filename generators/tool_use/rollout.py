"""Trajectory generation: user simulator ↔ agent ↔ environment, until the user stops or a step limit.

Every agent output (model or reference) goes through the same path: parse the EXAONE text → check each call
against its schema → execute it in the environment → return results or errors as `tool` messages → the agent
goes again while it makes calls; a step with no call hands the turn back to the user. Many trajectories are
advanced in lockstep so the engine sees one batch per round (one call for agents, one for users).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from datamill.engine.base import Engine, SamplingParams
from generators.tool_use.calls import check_call, error_feedback, parse_agent_output
from generators.tool_use.envs import ENVIRONMENTS, Environment
from generators.tool_use.tasks import ReferenceAgent, ScriptedUser, Task
from schemas import Message

STOP = "###STOP###"
USER_SIM_SYSTEM = (
    "You play a customer talking to a support agent. Stay in character; never call tools; answer in one or two "
    "short sentences and reveal only what the agent asks for. Your situation and goal:\n{goal}\n"
    f"When your goal is met (or cannot be met), reply with exactly {STOP}."
)


def tool_block(tools: list[dict]) -> str:
    """The <tool> list exactly as schemas.render_exaone_chat writes it into the system turn."""
    return "".join(f"<tool>{json.dumps(t, ensure_ascii=False)}</tool>\n" for t in tools)


@dataclass
class Trajectory:
    task: Task
    mode: str  # reasoning | non_reasoning
    env: Environment
    messages: list[Message] = field(default_factory=list)  # conversation, without the system turn
    events: list[dict] = field(default_factory=list)  # one per attempted call: step, name, status, code
    raw_outputs: list[str] = field(default_factory=list)
    finish_reasons: list[str] = field(default_factory=list)
    steps: int = 0
    user_turns: int = 0
    phase: str = "agent"  # agent | user | done
    end_reason: str = ""
    goal_ok: bool = False
    goal_detail: str = ""
    agent: ReferenceAgent | None = None
    user: ScriptedUser | None = None

    @property
    def system(self) -> Message:
        return Message(role="system", content=self.task.system)

    def final_text(self) -> str:
        last = next((m for m in reversed(self.messages) if m.role == "assistant"), None)
        return last.content if last is not None and not last.tool_calls else ""


class TrajectoryRunner:
    """engine=None → the tasks' reference agents (lineage model "reference"). user_engine=None → scripted users."""

    def __init__(
        self,
        engine: Engine | None = None,
        user_engine: Engine | None = None,
        max_steps: int = 12,
        max_user_turns: int = 6,
        sampling: SamplingParams | None = None,
    ):
        self.engine, self.user_engine = engine, user_engine
        self.max_steps, self.max_user_turns = max_steps, max_user_turns
        self.sampling = sampling or SamplingParams(
            temperature=0.7, max_tokens=1024, n=1, stop=("[|endofturn|]",)
        )

    # -- pure prompt builders ---------------------------------------------------------------------------
    @staticmethod
    def agent_prompt(t: Trajectory) -> list[Message]:
        tools = ENVIRONMENTS[t.task.env].TOOLS
        return [Message(role="system", content=t.task.system + "\n" + tool_block(tools))] + t.messages

    @staticmethod
    def user_prompt(t: Trajectory) -> list[Message]:
        """The simulator sees the conversation from the user's side: roles flipped, tool traffic hidden."""
        out = [Message(role="system", content=USER_SIM_SYSTEM.format(goal=t.task.user_goal))]
        for m in t.messages:
            if m.role == "user":
                out.append(Message(role="assistant", content=m.content))
            elif m.role == "assistant" and m.content.strip():
                out.append(Message(role="user", content=m.content))
        return out

    # -- the loop -----------------------------------------------------------------------------------------
    def start(self, task: Task, mode: str) -> Trajectory:
        t = Trajectory(task=task, mode=mode, env=ENVIRONMENTS[task.env](), user=ScriptedUser(task))
        if self.engine is None:
            t.agent = ReferenceAgent(task, reasoning=mode == "reasoning")
        t.messages.append(Message(role="user", content=t.user.respond([])))
        t.user_turns = 1
        return t

    def run(self, jobs: list[tuple[Task, str]]) -> list[Trajectory]:
        trajs = [self.start(task, mode) for task, mode in jobs]
        while True:
            agents = [t for t in trajs if t.phase == "agent"]
            for t, (text, finish) in zip(agents, self._agent_outputs(agents)):
                self.apply_agent(t, text, finish)
            users = [t for t in trajs if t.phase == "user"]
            for t, text in zip(users, self._user_outputs(users)):
                self.apply_user(t, text)
            if not agents and not users:
                break
        for t in trajs:
            t.goal_ok, t.goal_detail = t.task.goal(t.env, t.final_text())
        return trajs

    def _agent_outputs(self, trajs: list[Trajectory]) -> list[tuple[str | None, str]]:
        if self.engine is None:
            return [(t.agent.respond(t.messages), "stop") for t in trajs]
        out: dict[int, tuple[str, str]] = {}
        for mode in ("reasoning", "non_reasoning"):
            idx = [i for i, t in enumerate(trajs) if t.mode == mode]
            if not idx:
                continue
            params = SamplingParams(
                **{
                    **self.sampling.key(),
                    "n": 1,
                    "reasoning": mode == "reasoning",
                    "stop": tuple(self.sampling.stop),
                }
            )
            comps = self.engine.generate([self.agent_prompt(trajs[i]) for i in idx], params)
            for i, c in zip(idx, comps):
                out[i] = (c[0].text, c[0].finish_reason) if c else ("", "error")
        return [out[i] for i in range(len(trajs))]

    def _user_outputs(self, trajs: list[Trajectory]) -> list[str | None]:
        if self.user_engine is None:
            return [t.user.respond(t.messages) for t in trajs]
        params = SamplingParams(
            **{**self.sampling.key(), "n": 1, "reasoning": False, "stop": tuple(self.sampling.stop)}
        )
        comps = self.user_engine.generate([self.user_prompt(t) for t in trajs], params)
        return [parse_agent_output(c[0].text).content if c else None for c in comps]

    def apply_agent(self, t: Trajectory, text: str | None, finish: str = "stop") -> None:
        if text is None:  # the reference plan ran out (or broke) while the agent still had the turn
            error = t.agent.error if t.agent is not None else ""
            t.phase, t.end_reason = "done", "reference_error" if error else "reference_exhausted"
            t.events.append({"step": t.steps, "name": None, "status": t.end_reason, "message": error})
            return
        t.raw_outputs.append(text)
        t.finish_reasons.append(finish)
        step = parse_agent_output(text, step=t.steps)
        reasoning = step.reasoning if t.mode == "reasoning" else None
        t.messages.append(
            Message(
                role="assistant", content=step.content, reasoning_content=reasoning, tool_calls=step.calls
            )
        )
        tools = {s["name"]: s for s in ENVIRONMENTS[t.task.env].TOOLS}
        for p in step.malformed:
            t.events.append(
                {
                    "step": t.steps,
                    "index": p.index,
                    "name": None,
                    "status": p.reason,
                    "message": p.message,
                    "raw": p.raw[:500],
                }
            )
            t.messages.append(
                Message(
                    role="tool",
                    tool_call_id=f"call_{t.steps}_{p.index}",
                    content=json.dumps(error_feedback(p), ensure_ascii=False),
                )
            )
        for k, call in enumerate(step.calls):
            ev = {"step": t.steps, "index": k, "name": call.name, "arguments": call.arguments}
            problem = check_call(call, tools)
            if problem is not None:
                ev.update(status=problem.reason, message=problem.message)
                content = json.dumps(error_feedback(problem), ensure_ascii=False)
            else:
                res = t.env.execute(call.name, call.arguments)
                ev.update(status="ok" if res.ok else "execution_error", code=res.error_code)
                content = res.content()
            t.events.append(ev)
            t.messages.append(Message(role="tool", tool_call_id=call.id, name=call.name, content=content))
        t.steps += 1
        if step.calls or step.malformed:
            if t.steps >= self.max_steps:
                t.phase, t.end_reason = "done", "step_limit"
        else:
            t.phase = "user"

    def apply_user(self, t: Trajectory, text: str | None) -> None:
        if text is None or STOP in text or not text.strip():  # an empty reply ends the conversation too
            t.phase, t.end_reason = "done", "user_stop"
        elif t.user_turns >= self.max_user_turns:
            t.phase, t.end_reason = "done", "user_turn_limit"
        else:
            t.messages.append(Message(role="user", content=text.strip()))
            t.user_turns += 1
            t.phase = "agent"
