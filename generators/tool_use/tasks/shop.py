"""Shop tasks: buy (multi-turn, parallel lookups), out-of-stock recovery; order management in shop_orders.py.

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


def orders_of(env: ShopEnvironment, user_id: str, seeded: bool) -> list[dict]:
    known = {o[0] for o in ORDERS}
    rows = env.all("SELECT * FROM orders WHERE user_id = ? ORDER BY order_id", (user_id,))
    return [r for r in rows if (r["order_id"] in known) == seeded]


def order_items(env: ShopEnvironment, order_id: str) -> list[tuple[str, int]]:
    return [
        (r["product_id"], r["quantity"])
        for r in env.all("SELECT * FROM order_items WHERE order_id = ?", (order_id,))
    ]


def stock_of(env: ShopEnvironment, pid: str) -> int:
    return env.one("SELECT stock FROM inventory WHERE product_id = ?", (pid,))["stock"]


def money(x: float) -> str:
    return f"${x:,.2f}"


def describe_order(o: dict) -> str:
    items = ", ".join(f"{i['quantity']} × {PRODUCT[i['product_id']]['name']}" for i in o["items"])
    return f"Your most recent order is {o['order_id']} ({items}), total {money(o['total'])}, status {o['status']}."


def order_call(quantity, shipping: str = "standard") -> tuple:
    """A place_order call for the customer and the first product found; `quantity` is a number or a function
    of the run so far."""
    return (
        "place_order",
        lambda r: {
            "user_id": r.last("find_user_by_email")["user_id"],
            "items": [
                {
                    "product_id": r.last("search_products")[0]["product_id"],
                    "quantity": quantity(r) if callable(quantity) else quantity,
                }
            ],
            "shipping": shipping,
        },
    )


def buy_item(v: int) -> Task:
    uid, pid, qty, ship = [
        ("u_101", "p_201", 1, "standard"),
        ("u_102", "p_207", 2, "express"),
        ("u_103", "p_211", 1, "standard"),
    ][v]
    u, p = USER[uid], PRODUCT[pid]
    query = p["name"].lower()

    def goal(env, final):
        new = orders_of(env, uid, seeded=False)
        ok = (
            len(new) == 1
            and order_items(env, new[0]["order_id"]) == [(pid, qty)]
            and new[0]["shipping"] == ship
            and new[0]["status"] == "placed"
            and stock_of(env, pid) == p["stock"] - qty
            and new[0]["order_id"] in final
        )
        return ok, f"new orders {[(o['order_id'], o['shipping']) for o in new]}, stock {stock_of(env, pid)}"

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
                    calls=[order_call(qty, ship)],
                ),
                RefStep(
                    think="The order went through; report the id, total and address.",
                    say=lambda r: (
                        f"Done! Order {r.last('place_order')['order_id']} for {qty} × {p['name']} is "
                        f"placed with {ship} shipping, total {money(r.last('place_order')['total'])}. "
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
        new = orders_of(env, uid, seeded=False)
        ok = (
            len(new) == 1
            and order_items(env, new[0]["order_id"]) == [(pid, have)]
            and stock_of(env, pid) == 0
        )
        return (
            ok,
            f"new orders {[(o['order_id'], order_items(env, o['order_id'])) for o in new]}, stock {stock_of(env, pid)}",
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
                    calls=[order_call(want)],
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
                    calls=[order_call(lambda r: r.last("search_products")[0]["stock"])],
                ),
                RefStep(
                    think="The second order went through; confirm the quantity, id and total.",
                    say=lambda r: (
                        f"Done: order {r.last('place_order')['order_id']} for "
                        f"{r.last('place_order')['items'][0]['quantity']} × {p['name']}, total "
                        f"{money(r.last('place_order')['total'])}."
                    ),
                ),
            ],
        ],
        goal=goal,
    )


TEMPLATES = {buy_item: 3, out_of_stock: 3}
