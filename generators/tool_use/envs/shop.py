"""ShopEnvironment: users, products, inventory, orders and refunds in SQLite.

Order life cycle: placed → shipped → delivered; a placed order can be cancelled (stock returns), a delivered one
refunded (once, at most its total). Errors are real: unknown ids, out of stock, cancelling a shipped order,
refunding an undelivered one, ordering as an unknown user.
"""

from __future__ import annotations

from generators.tool_use.envs.base import Environment, ToolError, tool

SHIPPING = {"standard": 0.0, "express": 9.99}
CANCEL_REASONS = ["changed_mind", "ordered_by_mistake", "found_cheaper", "other"]
CATEGORIES = ["electronics", "kitchen", "books", "sports", "office"]

SCHEMA = """
CREATE TABLE users (user_id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT UNIQUE NOT NULL, address TEXT NOT NULL);
CREATE TABLE products (product_id TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL, price REAL NOT NULL);
CREATE TABLE inventory (product_id TEXT PRIMARY KEY REFERENCES products, stock INTEGER NOT NULL CHECK (stock >= 0));
CREATE TABLE orders (order_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users, status TEXT NOT NULL,
                     shipping TEXT NOT NULL, total REAL NOT NULL, cancel_reason TEXT);
CREATE TABLE order_items (order_id TEXT NOT NULL REFERENCES orders, product_id TEXT NOT NULL REFERENCES products,
                          quantity INTEGER NOT NULL, unit_price REAL NOT NULL);
CREATE TABLE refunds (refund_id TEXT PRIMARY KEY, order_id TEXT NOT NULL REFERENCES orders, amount REAL NOT NULL);
"""

USERS = [
    ("u_101", "Mina Park", "mina.park@example.com", "12 Hangang-ro, Seoul"),
    ("u_102", "Carlos Ruiz", "carlos.ruiz@example.com", "Calle Mayor 5, Madrid"),
    ("u_103", "Emily Chen", "emily.chen@example.com", "88 Market St, San Francisco"),
    ("u_104", "Jae-won Lee", "jaewon.lee@example.com", "3 Teheran-ro, Seoul"),
]
PRODUCTS = [("p_201", "Wireless Mouse", "electronics", 24.99, 40), ("p_202", "Mechanical Keyboard", "electronics", 89.0, 12),
            ("p_203", "USB-C Hub", "electronics", 34.5, 2), ("p_204", "Noise Cancelling Headphones", "electronics", 199.0, 0),
            ("p_205", "Chef Knife", "kitchen", 45.0, 7), ("p_206", "Pour-over Coffee Set", "kitchen", 32.0, 3),
            ("p_207", "Cast Iron Pan", "kitchen", 38.75, 15), ("p_208", "Deep Learning (textbook)", "books", 72.0, 5),
            ("p_209", "Yoga Mat", "sports", 21.0, 25), ("p_210", "Running Shoes", "sports", 110.0, 4),
            ("p_211", "Desk Lamp", "office", 27.5, 9), ("p_212", "Notebook 3-pack", "office", 9.9, 60)]  # fmt: skip
ORDERS = [("o_5001", "u_101", "delivered", "standard", [("p_205", 1)]),
          ("o_5002", "u_101", "placed", "express", [("p_212", 2), ("p_211", 1)]),
          ("o_5003", "u_102", "shipped", "standard", [("p_202", 1)]),
          ("o_5004", "u_103", "placed", "standard", [("p_209", 2)]),
          ("o_5005", "u_103", "delivered", "express", [("p_207", 1), ("p_206", 1)]),
          ("o_5006", "u_104", "delivered", "standard", [("p_210", 1)]),
          ("o_5007", "u_104", "placed", "standard", [("p_208", 1)])]  # fmt: skip

_ID = {"type": "string", "description": "An id such as u_101, p_201 or o_5001."}
TOOLS = [
    tool(
        "search_products",
        "Search the catalogue by words in the product name, optionally within a category and "
        "under a maximum price. Returns matching products with price and stock.",
        {
            "query": {"type": "string", "description": "Words to look for in product names."},
            "category": {"type": "string", "enum": CATEGORIES, "description": "Restrict to one category."},
            "max_price": {
                "type": "number",
                "minimum": 0,
                "description": "Only products at or below this price.",
            },
        },
        ["query"],
    ),
    tool(
        "find_user_by_email",
        "Look up a customer account by e-mail address.",
        {"email": {"type": "string", "description": "The customer's e-mail address."}},
        ["email"],
    ),
    tool(
        "get_user",
        "Get a customer's profile (name, e-mail, shipping address).",
        {"user_id": _ID},
        ["user_id"],
    ),
    tool("get_order", "Get an order's status, items and total.", {"order_id": _ID}, ["order_id"]),
    tool("list_orders", "List a customer's orders, newest first.", {"user_id": _ID}, ["user_id"]),
    tool(
        "place_order",
        "Place an order for a customer. Fails if any item is out of stock.",
        {
            "user_id": _ID,
            "items": {
                "type": "array",
                "minItems": 1,
                "description": "Products and quantities.",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["product_id", "quantity"],
                    "properties": {"product_id": _ID, "quantity": {"type": "integer", "minimum": 1}},
                },
            },
            "shipping": {
                "type": "string",
                "enum": list(SHIPPING),
                "description": "Shipping speed (express costs 9.99).",
            },
        },
        ["user_id", "items"],
    ),
    tool(
        "cancel_order",
        "Cancel an order that has not shipped yet; its items go back to stock.",
        {"order_id": _ID, "reason": {"type": "string", "enum": CANCEL_REASONS, "description": "Why."}},
        ["order_id", "reason"],
    ),
    tool(
        "refund_order",
        "Refund a delivered order, in full or in part (at most the order total, once).",
        {
            "order_id": _ID,
            "amount": {
                "type": "number",
                "exclusiveMinimum": 0,
                "description": "Amount to refund; the full total when omitted.",
            },
        },
        ["order_id"],
    ),
]


class ShopEnvironment(Environment):
    NAME = "shop"
    TOOLS = TOOLS
    SCHEMA_SQL = SCHEMA

    def seed(self) -> None:
        self.db.executemany("INSERT INTO users VALUES (?,?,?,?)", USERS)
        self.db.executemany("INSERT INTO products VALUES (?,?,?,?)", [p[:4] for p in PRODUCTS])
        self.db.executemany("INSERT INTO inventory VALUES (?,?)", [(p[0], p[4]) for p in PRODUCTS])
        price = {p[0]: p[3] for p in PRODUCTS}
        for oid, uid, status, ship, items in ORDERS:
            total = round(sum(price[p] * q for p, q in items) + SHIPPING[ship], 2)
            self.db.execute("INSERT INTO orders VALUES (?,?,?,?,?,NULL)", (oid, uid, status, ship, total))
            self.db.executemany(
                "INSERT INTO order_items VALUES (?,?,?,?)", [(oid, p, q, price[p]) for p, q in items]
            )

    def _order(self, order_id: str) -> dict:
        o = self.need(
            "SELECT * FROM orders WHERE order_id = ?",
            (order_id,),
            "unknown_order",
            f"no order with id {order_id!r}",
        )
        o["items"] = self.all(
            "SELECT product_id, quantity, unit_price FROM order_items WHERE order_id = ?", (order_id,)
        )
        if o["cancel_reason"] is None:
            del o["cancel_reason"]
        return o

    def _user(self, user_id: str) -> dict:
        return self.need(
            "SELECT * FROM users WHERE user_id = ?",
            (user_id,),
            "unknown_user",
            f"no user with id {user_id!r}",
        )

    # -- tools ----------------------------------------------------------------------------------------
    def search_products(
        self, query: str, category: str | None = None, max_price: float | None = None
    ) -> list[dict]:
        words = [w.lower() for w in query.split() if w]
        rows = self.all(
            "SELECT p.*, i.stock FROM products p JOIN inventory i USING (product_id) ORDER BY product_id"
        )
        return [
            r
            for r in rows
            if all(w in r["name"].lower() for w in words)
            and (category is None or r["category"] == category)
            and (max_price is None or r["price"] <= max_price)
        ]

    def find_user_by_email(self, email: str) -> dict:
        return self.need(
            "SELECT * FROM users WHERE lower(email) = lower(?)",
            (email.strip(),),
            "unknown_user",
            f"no account with e-mail {email!r}",
        )

    def get_user(self, user_id: str) -> dict:
        return self._user(user_id)

    def get_order(self, order_id: str) -> dict:
        return self._order(order_id)

    def list_orders(self, user_id: str) -> list[dict]:
        self._user(user_id)
        ids = [
            r["order_id"]
            for r in self.all(
                "SELECT order_id FROM orders WHERE user_id = ? ORDER BY order_id DESC", (user_id,)
            )
        ]
        return [self._order(i) for i in ids]

    def place_order(self, user_id: str, items: list[dict], shipping: str = "standard") -> dict:
        self._user(user_id)
        total = SHIPPING[shipping]
        n = self.one("SELECT count(*) AS n FROM orders")["n"]
        order_id = f"o_{5001 + n}"
        self.db.execute("INSERT INTO orders VALUES (?,?,?,?,0,NULL)", (order_id, user_id, "placed", shipping))
        for it in items:
            p = self.need(
                "SELECT p.*, i.stock FROM products p JOIN inventory i USING (product_id) WHERE product_id = ?",
                (it["product_id"],),
                "unknown_product",
                f"no product with id {it['product_id']!r}",
            )
            if p["stock"] < it["quantity"]:
                raise ToolError(
                    "out_of_stock",
                    f"{p['name']} ({p['product_id']}): {it['quantity']} requested, {p['stock']} in stock",
                )
            self.db.execute(
                "UPDATE inventory SET stock = stock - ? WHERE product_id = ?",
                (it["quantity"], p["product_id"]),
            )
            self.db.execute(
                "INSERT INTO order_items VALUES (?,?,?,?)",
                (order_id, p["product_id"], it["quantity"], p["price"]),
            )
            total += p["price"] * it["quantity"]
        self.db.execute("UPDATE orders SET total = ? WHERE order_id = ?", (round(total, 2), order_id))
        return self._order(order_id)

    def cancel_order(self, order_id: str, reason: str) -> dict:
        o = self._order(order_id)
        if o["status"] != "placed":
            raise ToolError(
                "not_cancellable", f"order {order_id} is {o['status']}; only placed orders can be cancelled"
            )
        for it in o["items"]:
            self.db.execute(
                "UPDATE inventory SET stock = stock + ? WHERE product_id = ?",
                (it["quantity"], it["product_id"]),
            )
        self.db.execute(
            "UPDATE orders SET status = 'cancelled', cancel_reason = ? WHERE order_id = ?", (reason, order_id)
        )
        return self._order(order_id)

    def refund_order(self, order_id: str, amount: float | None = None) -> dict:
        o = self._order(order_id)
        if o["status"] != "delivered":
            raise ToolError(
                "not_refundable", f"order {order_id} is {o['status']}; only delivered orders can be refunded"
            )
        amount = o["total"] if amount is None else amount
        if amount > o["total"] + 1e-9:
            raise ToolError("refund_too_large", f"refund {amount} exceeds the order total {o['total']}")
        refund_id = f"r_{order_id[2:]}"
        self.db.execute("INSERT INTO refunds VALUES (?,?,?)", (refund_id, order_id, round(amount, 2)))
        self.db.execute("UPDATE orders SET status = 'refunded' WHERE order_id = ?", (order_id,))
        return {
            "refund_id": refund_id,
            "order_id": order_id,
            "amount": round(amount, 2),
            "status": "refunded",
        }
