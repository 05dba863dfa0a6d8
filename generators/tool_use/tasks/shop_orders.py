"""Shop order-management tasks: cancel (with confirmation), cancel refused → refund, parallel status lookups."""

from __future__ import annotations

from generators.tool_use.envs.shop import ShopEnvironment
from generators.tool_use.tasks import RefStep, Task
from generators.tool_use.tasks.shop import PRODUCT, SYSTEM, describe_order, money, order_items, stock_of


def cancel_order(v: int) -> Task:
    uid, oid = [("u_101", "o_5002"), ("u_104", "o_5007")][v]

    def goal(env, final):
        o = env.one("SELECT * FROM orders WHERE order_id = ?", (oid,))
        # seeded orders did not draw down the seeded stock, so a cancellation lifts it above the seed level
        restored = all(stock_of(env, pid) == PRODUCT[pid]["stock"] + q for pid, q in order_items(env, oid))
        ok = o["status"] == "cancelled" and o["cancel_reason"] == "ordered_by_mistake" and restored
        return ok, f"{oid} status={o['status']} reason={o['cancel_reason']} stock_restored={restored}"

    return Task(
        id=f"shop.cancel_order.{v}",
        env="shop",
        system=SYSTEM,
        tags=["multi_turn", "confirmation"],
        user_goal=f"You are user {uid}. Cancel your most recent order; you ordered it by mistake.",
        user_turns=[
            f"I need to cancel my most recent order, I ordered it by mistake. My user id is {uid}.",
            "Yes, please cancel it.",
        ],
        reference=[
            [
                RefStep(
                    think="List the customer's orders to find the most recent one.",
                    calls=[("list_orders", {"user_id": uid})],
                ),
                RefStep(
                    think="Orders come newest first. Confirm before cancelling.",
                    say=lambda r: describe_order(r.last("list_orders")[0]) + " Shall I cancel it?",
                ),
            ],
            [
                RefStep(
                    think="Confirmed; cancel with reason ordered_by_mistake.",
                    calls=[
                        (
                            "cancel_order",
                            lambda r: {
                                "order_id": r.last("list_orders")[0]["order_id"],
                                "reason": "ordered_by_mistake",
                            },
                        )
                    ],
                ),
                RefStep(
                    think="The cancellation succeeded; confirm it and that there is no charge.",
                    say=lambda r: (
                        f"Order {r.last('cancel_order')['order_id']} is now "
                        f"{r.last('cancel_order')['status']}; you will not be charged."
                    ),
                ),
            ],
        ],
        goal=goal,
    )


def cancel_refused_refund(v: int) -> Task:
    uid, oid = [("u_101", "o_5001"), ("u_104", "o_5006"), ("u_103", "o_5005")][v]

    def goal(env, final):
        o = env.one("SELECT * FROM orders WHERE order_id = ?", (oid,))
        ref = env.all("SELECT * FROM refunds WHERE order_id = ?", (oid,))
        ok = o["status"] == "refunded" and len(ref) == 1 and abs(ref[0]["amount"] - o["total"]) < 1e-6
        return ok, f"{oid} status={o['status']} refunds={[r['amount'] for r in ref]} total={o['total']}"

    return Task(
        id=f"shop.cancel_refused_refund.{v}",
        env="shop",
        system=SYSTEM,
        tags=["multi_turn", "error_recovery"],
        user_goal=f"You are user {uid}. You want to cancel order {oid}; if that is impossible, accept a full refund.",
        user_turns=[f"Please cancel order {oid}, I changed my mind.", "Okay, a full refund then."],
        reference=[
            [
                RefStep(
                    think="Try the cancellation the customer asked for.",
                    calls=[("cancel_order", {"order_id": oid, "reason": "changed_mind"})],
                ),
                RefStep(
                    think=lambda r: (
                        f"Refused: {r.last('cancel_order')['message']}. Check the order to offer a refund."
                    ),
                    calls=[("get_order", {"order_id": oid})],
                ),
                RefStep(
                    think="Delivered orders can be refunded; offer the full total and wait for a yes.",
                    say=lambda r: (
                        f"Order {oid} has already been {r.last('get_order')['status']}, so it can no "
                        f"longer be cancelled. I can refund it in full "
                        f"({money(r.last('get_order')['total'])}) instead — shall I?"
                    ),
                ),
            ],
            [
                RefStep(
                    think="The customer agreed to a full refund.", calls=[("refund_order", {"order_id": oid})]
                ),
                RefStep(
                    think="The refund was issued; give the refund id and amount.",
                    say=lambda r: (
                        f"Refund {r.last('refund_order')['refund_id']} of "
                        f"{money(r.last('refund_order')['amount'])} for order {oid} has been issued."
                    ),
                ),
            ],
        ],
        goal=goal,
    )


def order_status(v: int) -> Task:
    a, b = [("o_5001", "o_5002"), ("o_5004", "o_5005")][v]
    fresh = ShopEnvironment().snapshot(["orders", "inventory", "refunds"])

    def goal(env, final):
        st = {o: env.one("SELECT status FROM orders WHERE order_id = ?", (o,))["status"] for o in (a, b)}
        unchanged = env.snapshot(["orders", "inventory", "refunds"]) == fresh
        ok = unchanged and all(f"{o}" in final and s in final for o, s in st.items())
        return ok, f"state unchanged={unchanged}, statuses {st} mentioned={ok}"

    return Task(
        id=f"shop.order_status.{v}",
        env="shop",
        system=SYSTEM,
        tags=["parallel_calls", "read_only"],
        user_goal=f"Ask for the status of orders {a} and {b}.",
        user_turns=[f"What's the status of my orders {a} and {b}?"],
        reference=[
            [
                RefStep(
                    think="Two independent lookups: call get_order for both in parallel.",
                    calls=[("get_order", {"order_id": a}), ("get_order", {"order_id": b})],
                ),
                RefStep(
                    think="Both lookups returned; report each status and total.",
                    say=lambda r: " ".join(
                        f"Order {o['order_id']} is {o['status']} (total {money(o['total'])})."
                        for o in r.all("get_order")
                    ),
                ),
            ]
        ],
        goal=goal,
    )


TEMPLATES = {cancel_order: 2, cancel_refused_refund: 3, order_status: 2}
