"""Shop tasks: buy, out-of-stock recovery, cancel, cancel-refused → refund, parallel status lookups.

Each template takes a variant (user, product, order) and returns a Task whose goal check reads the final
database. Reference replies are computed from the tool results the reference agent actually received.
"""

from __future__ import annotations

from generators.tool_use.envs.shop import ORDERS, PRODUCTS, USERS, ShopEnvironment
from generators.tool_use.tasks import RefStep, Task

SYSTEM = (
    "You are the customer-support agent of an online shop. Use the tools to look up accounts, products and "
    "orders and to place, cancel or refund orders. Identify the customer before acting on an account. Ask "
    "before any action with a cost the customer has not confirmed. Report errors honestly and offer options."
)

USER = {u[0]: {"user_id": u[0], "name": u[1], "email": u[2], "address": u[3]} for u in USERS}
PRODUCT = {
    p[0]: {"product_id": p[0], "name": p[1], "category": p[2], "price": p[3], "stock": p[4]} for p in PRODUCTS
}


def _orders_of(env: ShopEnvironment, user_id: str, seeded: bool) -> list[dict]:
    known = {o[0] for o in ORDERS}
    rows = env.all("SELECT * FROM orders WHERE user_id = ? ORDER BY order_id", (user_id,))
    return [r for r in rows if (r["order_id"] in known) == seeded]


def _items(env: ShopEnvironment, order_id: str) -> list[tuple[str, int]]:
    return [
        (r["product_id"], r["quantity"])
        for r in env.all("SELECT * FROM order_items WHERE order_id = ?", (order_id,))
    ]


def _stock(env: ShopEnvironment, pid: str) -> int:
    return env.one("SELECT stock FROM inventory WHERE product_id = ?", (pid,))["stock"]


def _money(x: float) -> str:
    return f"${x:,.2f}"


def _describe(o: dict) -> str:
    items = ", ".join(f"{i['quantity']} × {PRODUCT[i['product_id']]['name']}" for i in o["items"])
    return f"Your most recent order is {o['order_id']} ({items}), total {_money(o['total'])}, status {o['status']}."


def buy_item(v: int) -> Task:
    uid, pid, qty, ship = [
        ("u_101", "p_201", 1, "standard"),
        ("u_102", "p_207", 2, "express"),
        ("u_103", "p_211", 1, "standard"),
    ][v]
    u, p = USER[uid], PRODUCT[pid]
    query = p["name"].lower()

    def goal(env, final):
        new = _orders_of(env, uid, seeded=False)
        ok = (
            len(new) == 1
            and _items(env, new[0]["order_id"]) == [(pid, qty)]
            and new[0]["shipping"] == ship
            and new[0]["status"] == "placed"
            and _stock(env, pid) == p["stock"] - qty
            and new[0]["order_id"] in final
        )
        return ok, f"new orders {[(o['order_id'], o['shipping']) for o in new]}, stock {_stock(env, pid)}"

    return Task(
        id=f"shop.buy_item.{v}",
        env="shop",
        system=SYSTEM,
        tags=["multi_turn", "parallel_calls", "multi_step"],
        user_goal=f"You are {u['name']} ({u['email']}). Buy {qty} × {p['name']} with {ship} shipping.",
        user_turns=[
            f"Hi! I'd like to buy {qty} {query}{'s' if qty > 1 else ''}.",
            f"It's {u['email']}, and {ship} shipping please.",
        ],
        reference=[
            [
                RefStep(
                    think="I must identify the customer before ordering, and the shipping speed is unknown.",
                    say="Happy to help! What is the e-mail address on your account, and would you like standard "
                    "or express (+$9.99) shipping?",
                )
            ],
            [
                RefStep(
                    think="Look up the account and the product at the same time; the two calls are independent.",
                    calls=[
                        ("find_user_by_email", {"email": u["email"]}),
                        ("search_products", {"query": query}),
                    ],
                ),
                RefStep(
                    think=lambda r: (
                        f"The account is {r.last('find_user_by_email')['user_id']}; the product "
                        f"{r.last('search_products')[0]['product_id']} has "
                        f"{r.last('search_products')[0]['stock']} in stock, enough for {qty}. "
                        f"The customer asked for it and chose {ship} shipping, so place the order."
                    ),
                    calls=[
                        (
                            "place_order",
                            lambda r: {
                                "user_id": r.last("find_user_by_email")["user_id"],
                                "items": [
                                    {
                                        "product_id": r.last("search_products")[0]["product_id"],
                                        "quantity": qty,
                                    }
                                ],
                                "shipping": ship,
                            },
                        )
                    ],
                ),
                RefStep(
                    think="The order went through; report the id, total and address.",
                    say=lambda r: (
                        f"Done! Order {r.last('place_order')['order_id']} for {qty} × {p['name']} is "
                        f"placed with {ship} shipping, total {_money(r.last('place_order')['total'])}. "
                        f"It will ship to {r.last('find_user_by_email')['address']}."
                    ),
                ),
            ],
        ],
        goal=goal,
    )


def out_of_stock(v: int) -> Task:
    uid, pid, want = [("u_104", "p_203", 5), ("u_103", "p_206", 4), ("u_102", "p_210", 6)][v]
    u, p = USER[uid], PRODUCT[pid]
    have = p["stock"]

    def goal(env, final):
        new = _orders_of(env, uid, seeded=False)
        ok = len(new) == 1 and _items(env, new[0]["order_id"]) == [(pid, have)] and _stock(env, pid) == 0
        return (
            ok,
            f"new orders {[(o['order_id'], _items(env, o['order_id'])) for o in new]}, stock {_stock(env, pid)}",
        )

    return Task(
        id=f"shop.out_of_stock.{v}",
        env="shop",
        system=SYSTEM,
        tags=["multi_turn", "error_recovery", "parallel_calls"],
        user_goal=f"You are {u['name']} ({u['email']}). You want {want} × {p['name']}; if fewer are available, "
        f"take all there are.",
        user_turns=[
            f"Please order {want} of the {p['name']} for me, standard shipping. My e-mail is {u['email']}.",
            f"Oh, okay. Then just the {have} you have, please.",
        ],
        reference=[
            [
                RefStep(
                    think="Identify the customer and find the product id; both lookups are independent.",
                    calls=[
                        ("find_user_by_email", {"email": u["email"]}),
                        ("search_products", {"query": p["name"]}),
                    ],
                ),
                RefStep(
                    think=lambda r: (
                        f"Customer {r.last('find_user_by_email')['user_id']}, product "
                        f"{r.last('search_products')[0]['product_id']}. Try the order as asked."
                    ),
                    calls=[
                        (
                            "place_order",
                            lambda r: {
                                "user_id": r.last("find_user_by_email")["user_id"],
                                "items": [
                                    {
                                        "product_id": r.last("search_products")[0]["product_id"],
                                        "quantity": want,
                                    }
                                ],
                                "shipping": "standard",
                            },
                        )
                    ],
                ),
                RefStep(
                    think=lambda r: (
                        f"The order failed: {r.last('place_order')['message']}. Nothing was charged. "
                        "Ask whether the customer wants the available quantity instead."
                    ),
                    say=lambda r: (
                        f"I'm sorry — that order could not be placed: only "
                        f"{r.last('search_products')[0]['stock']} {p['name']} are in stock, and nothing "
                        f"was charged. Would you like me to order those "
                        f"{r.last('search_products')[0]['stock']} instead?"
                    ),
                ),
            ],
            [
                RefStep(
                    think="The customer accepts the available quantity; order it.",
                    calls=[
                        (
                            "place_order",
                            lambda r: {
                                "user_id": r.last("find_user_by_email")["user_id"],
                                "items": [
                                    {
                                        "product_id": r.last("search_products")[0]["product_id"],
                                        "quantity": r.last("search_products")[0]["stock"],
                                    }
                                ],
                                "shipping": "standard",
                            },
                        )
                    ],
                ),
                RefStep(
                    say=lambda r: (
                        f"Done: order {r.last('place_order')['order_id']} for "
                        f"{r.last('place_order')['items'][0]['quantity']} × {p['name']}, total "
                        f"{_money(r.last('place_order')['total'])}."
                    )
                ),
            ],
        ],
        goal=goal,
    )


def cancel_order(v: int) -> Task:
    uid, oid = [("u_101", "o_5002"), ("u_104", "o_5007")][v]

    def goal(env, final):
        o = env.one("SELECT * FROM orders WHERE order_id = ?", (oid,))
        # seeded orders did not draw down the seeded stock, so a cancellation lifts it above the seed level
        restored = all(_stock(env, pid) == PRODUCT[pid]["stock"] + q for pid, q in _items(env, oid))
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
                    say=lambda r: _describe(r.last("list_orders")[0]) + " Shall I cancel it?",
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
                    say=lambda r: (
                        f"Order {r.last('cancel_order')['order_id']} is now "
                        f"{r.last('cancel_order')['status']}; you will not be charged."
                    )
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
                        f"({_money(r.last('get_order')['total'])}) instead — shall I?"
                    ),
                ),
            ],
            [
                RefStep(
                    think="The customer agreed to a full refund.", calls=[("refund_order", {"order_id": oid})]
                ),
                RefStep(
                    say=lambda r: (
                        f"Refund {r.last('refund_order')['refund_id']} of "
                        f"{_money(r.last('refund_order')['amount'])} for order {oid} has been issued."
                    )
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
                    say=lambda r: " ".join(
                        f"Order {o['order_id']} is {o['status']} (total {_money(o['total'])})."
                        for o in r.all("get_order")
                    )
                ),
            ]
        ],
        goal=goal,
    )


TEMPLATES = {buy_item: 3, out_of_stock: 3, cancel_order: 2, cancel_refused_refund: 3, order_status: 2}


def shop_tasks() -> list[Task]:
    return [make(v) for make, n in TEMPLATES.items() for v in range(n)]
