"""Trajectories with canned agent outputs through the real environments: assert the verdict reasons."""

from __future__ import annotations

import json

from generators.tool_use.rollout import TrajectoryRunner
from generators.tool_use.tasks import agent_text
from generators.tool_use.tasks.shop import buy_item, out_of_stock
from generators.tool_use.tasks.shop_orders import order_status
from generators.tool_use.verify import TrajectoryVerifier


def call(name: str, args: dict, think: str = "", say: str = "") -> str:
    return agent_text(think or None, say, [(name, args)])


def failed(traj) -> dict[str, str]:
    return {v.verifier: v.reason for v in TrajectoryVerifier().verify(traj) if not v.passed}


def schema_rule(traj) -> str:
    return next(v for v in TrajectoryVerifier().verify(traj) if v.verifier == "tool_call_schema").details[
        "rule"
    ]


def run_one(engine, task, mode="non_reasoning", max_steps=12):
    return TrajectoryRunner(engine, engine, max_steps=max_steps).run([(task, mode)])[0]


MINA = {"email": "mina.park@example.com"}
ORDER_MOUSE = {"user_id": "u_101", "items": [{"product_id": "p_201", "quantity": 1}], "shipping": "standard"}
ASK = agent_text(None, "Sure, what's your e-mail and shipping speed?", [])


def test_valid_calls_meet_the_goal(make_engine):
    eng = make_engine(
        [ASK,
         agent_text("Look both up.", "", [("find_user_by_email", MINA), ("search_products", {"query": "wireless mouse"})]),
         call("place_order", ORDER_MOUSE),
         agent_text(None, "Order o_5008 is placed.", [])],
        ["mina.park@example.com, standard please.", "###STOP###"])  # fmt: skip
    t = run_one(eng, buy_item(0), mode="reasoning")
    assert failed(t) == {}
    assert t.end_reason == "user_stop" and t.user_turns == 2
    assert [e["status"] for e in t.events] == ["ok", "ok", "ok"]
    assert t.env.one("SELECT stock FROM inventory WHERE product_id = 'p_201'")["stock"] == 39  # a real effect
    assert t.messages[3].tool_calls[1].name == "search_products"  # parallel calls in one step
    assert t.messages[3].reasoning_content == "Look both up."


def test_unknown_tool(make_engine):
    eng = make_engine([call("delete_all_orders", {}), agent_text(None, "Done.", [])])
    t = run_one(eng, order_status(0))
    assert failed(t)["tool_call_schema"] == "unknown_function"
    assert schema_rule(t) == "unknown_function:delete_all_orders"
    told = json.loads(t.messages[2].content)  # the agent was told, with the rule
    assert (told["error"], told["rule"]) == ("unknown_function", "unknown_function:delete_all_orders")


def test_wrong_argument_type(make_engine):
    bad = {**ORDER_MOUSE, "items": [{"product_id": "p_201", "quantity": "one"}]}
    eng = make_engine(
        [call("find_user_by_email", MINA), call("place_order", bad), agent_text(None, "Hmm.", [])]
    )
    t = run_one(eng, buy_item(0))
    assert failed(t)["tool_call_schema"] == "wrong_type"
    assert schema_rule(t) == "wrong_type:items/0/quantity:integer"
    assert t.env.one("SELECT count(*) AS n FROM orders")["n"] == 7  # never executed


def test_missing_required_arg(make_engine):
    eng = make_engine([call("cancel_order", {"order_id": "o_5002"}), agent_text(None, "Sorry.", [])])
    t = run_one(eng, order_status(0))
    f = failed(t)
    assert f["tool_call_schema"] == "missing_required" and schema_rule(t) == "missing_required:reason"
    assert (
        t.env.one("SELECT status FROM orders WHERE order_id = 'o_5002'")["status"] == "placed"
    )  # not executed


def test_bad_enum(make_engine):
    eng = make_engine(
        [call("cancel_order", {"order_id": "o_5002", "reason": "because"}), agent_text(None, "Ok.", [])]
    )
    t = run_one(eng, order_status(0))
    assert failed(t)["tool_call_schema"] == "not_in_enum" and schema_rule(t) == "not_in_enum:reason"


def test_undeclared_argument(make_engine):
    eng = make_engine(
        [call("get_order", {"order_id": "o_5001", "include_history": True}), agent_text(None, "Ok.", [])]
    )
    t = run_one(eng, order_status(0))
    assert failed(t)["tool_call_schema"] == "undeclared_argument"
    assert schema_rule(t) == "undeclared_argument:include_history"


def test_malformed_json(make_engine):
    eng = make_engine(['<think>\n\n</think>\n\n<tool_call>{"name": "get_order", "arguments": {"order_id": "o_5001"</tool_call>',
                       agent_text(None, "Order o_5001 is delivered, o_5002 is placed.", [])])  # fmt: skip
    t = run_one(eng, order_status(0))
    f = failed(t)
    assert f == {"tool_call_format": "malformed_json"}  # the goal itself was met by the final answer
    assert json.loads(t.messages[2].content)["error"] == "malformed_json"


def test_environment_error_unrecovered(make_engine):
    # cancel a delivered order → the environment refuses; the agent blindly repeats the same call
    bad = {"order_id": "o_5001", "reason": "changed_mind"}
    eng = make_engine(
        [call("cancel_order", bad), call("cancel_order", bad), agent_text(None, "Cancelled!", [])]
    )
    t = run_one(eng, order_status(0))
    f = failed(t)
    assert f["execution"] == "execution_error_unrecovered"
    assert [e.get("code") for e in t.events] == ["not_cancellable", "not_cancellable"]
    assert t.env.one("SELECT status FROM orders WHERE order_id = 'o_5001'")["status"] == "delivered"


def test_environment_error_recovered(make_engine):
    user = {"user_id": "u_104", "shipping": "standard"}
    eng = make_engine(
        [agent_text(None, "", [("find_user_by_email", {"email": "jaewon.lee@example.com"}),
                               ("search_products", {"query": "usb-c hub"})]),
         call("place_order", {**user, "items": [{"product_id": "p_203", "quantity": 5}]}),
         agent_text(None, "Only 2 are in stock. Order 2 instead?", []),
         call("place_order", {**user, "items": [{"product_id": "p_203", "quantity": 2}]}),
         agent_text(None, "Ordered 2 × USB-C Hub (o_5008).", [])],
        ["Then just the 2 you have, please.", "###STOP###"])  # fmt: skip
    t = run_one(eng, out_of_stock(0), mode="reasoning")
    assert failed(t) == {}
    ex = next(v for v in TrajectoryVerifier().verify(t) if v.verifier == "execution")
    assert (
        ex.details["errors"] == 1 and ex.details["recovered"] == 1 and ex.details["codes"] == ["out_of_stock"]
    )


def test_goal_not_met(make_engine):
    wrong = {**ORDER_MOUSE, "items": [{"product_id": "p_201", "quantity": 3}]}  # user asked for one
    eng = make_engine([call("place_order", wrong), agent_text(None, "Order o_5008 placed.", [])])
    t = run_one(eng, buy_item(0))
    assert failed(t) == {"goal": "goal_not_met"}


def test_step_limit(make_engine):
    eng = make_engine([call("get_order", {"order_id": "o_5001"})])  # never stops calling
    t = run_one(eng, order_status(0), max_steps=3)
    assert t.steps == 3 and failed(t)["termination"] == "step_limit"


def test_user_simulator_sees_no_tool_traffic(make_engine):
    eng = make_engine([call("get_order", {"order_id": "o_5001"}), agent_text(None, "It is delivered.", [])])
    runner = TrajectoryRunner(eng, eng)
    t = runner.run([(order_status(0), "non_reasoning")])[0]
    prompt = runner.user_prompt(t)
    assert [m.role for m in prompt] == ["system", "assistant", "user"]  # roles flipped, tool turns hidden
    assert prompt[-1].content == "It is delivered." and t.end_reason == "user_stop"


def test_every_reference_task_passes_and_some_recover_from_real_errors():
    from generators.tool_use.job import load_tasks

    tasks = load_tasks(["shop", "travel"])
    trajs = TrajectoryRunner().run([(t, m) for t in tasks for m in ("reasoning", "non_reasoning")])
    assert {t.task.id: failed(t) for t in trajs if failed(t)} == {}
    codes = {e.get("code") for t in trajs for e in t.events if e["status"] == "execution_error"}
    assert {"out_of_stock", "not_cancellable", "calendar_conflict", "flight_full"} <= codes
    assert any(len(m.tool_calls) > 1 for t in trajs for m in t.messages)  # parallel calls
    assert all(m.reasoning_content is None for t in trajs if t.mode == "non_reasoning" for m in t.messages)
    assert all(
        m.reasoning_content
        for t in trajs
        if t.mode == "reasoning"
        for m in t.messages
        if m.role == "assistant"
    )


def test_truncated_output_and_no_final_answer(make_engine):
    eng = make_engine([agent_text(None, "", [])])  # the agent hands back an empty turn
    t = run_one(eng, order_status(0))
    assert failed(t)["termination"] == "no_final_answer"
    runner = TrajectoryRunner(eng, eng)
    t = runner.start(order_status(0), "non_reasoning")
    runner.apply_agent(t, agent_text(None, "Order o_5001 is deliv", []), finish="length")  # cut at max_tokens
    runner.apply_user(t, "###STOP###")
    assert failed(t)["termination"] == "truncated_output"


def test_broken_reference_plan_is_a_failure_not_a_crash():
    from dataclasses import replace

    from generators.tool_use.tasks import RefStep

    # the plan reads a result of a tool it never called: the trajectory ends with reference_error
    task = replace(
        order_status(0), reference=[[RefStep(think="t", say=lambda r: r.last("get_user")["name"])]]
    )
    t = TrajectoryRunner().run([(task, "reasoning")])[0]
    assert t.end_reason == "reference_error" and failed(t)["termination"] == "reference_error"
    assert (
        "get_user"
        in next(v for v in TrajectoryVerifier().verify(t) if v.verifier == "termination").details["message"]
    )
