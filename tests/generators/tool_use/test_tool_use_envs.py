"""The simulated environments: actions change the database; errors are real and leave no partial state."""

from __future__ import annotations

from generators.tool_use.envs import ShopEnvironment, TravelEnvironment


def test_shop_order_lifecycle_changes_state():
    env = ShopEnvironment()
    r = env.execute("place_order", {"user_id": "u_102", "items": [{"product_id": "p_209", "quantity": 3}]})
    assert r.ok and r.value["order_id"] == "o_5008" and r.value["total"] == 63.0
    assert env.one("SELECT stock FROM inventory WHERE product_id = 'p_209'")["stock"] == 22
    c = env.execute("cancel_order", {"order_id": "o_5008", "reason": "changed_mind"})
    assert c.ok and c.value["status"] == "cancelled"
    assert env.one("SELECT stock FROM inventory WHERE product_id = 'p_209'")["stock"] == 25
    again = env.execute("cancel_order", {"order_id": "o_5008", "reason": "changed_mind"})
    assert (again.ok, again.error_code) == (False, "not_cancellable")


def test_shop_out_of_stock_rolls_back_the_whole_order():
    env = ShopEnvironment()
    before = env.snapshot(["orders", "order_items", "inventory"])
    r = env.execute(
        "place_order",
        {
            "user_id": "u_101",
            "items": [{"product_id": "p_201", "quantity": 1}, {"product_id": "p_204", "quantity": 1}],
        },
    )
    assert (r.ok, r.error_code) == (False, "out_of_stock") and "0 in stock" in r.value["message"]
    assert env.snapshot(["orders", "order_items", "inventory"]) == before  # the mouse was not taken either


def test_shop_errors_for_unknown_ids_and_refund_rules():
    env = ShopEnvironment()
    assert env.execute("get_order", {"order_id": "o_1"}).error_code == "unknown_order"
    assert env.execute("find_user_by_email", {"email": "nobody@example.com"}).error_code == "unknown_user"
    assert env.execute("refund_order", {"order_id": "o_5002"}).error_code == "not_refundable"  # not delivered
    assert (
        env.execute("refund_order", {"order_id": "o_5001", "amount": 1000}).error_code == "refund_too_large"
    )
    ok = env.execute("refund_order", {"order_id": "o_5001"})
    assert ok.ok and ok.value["amount"] == 45.0
    assert env.execute("refund_order", {"order_id": "o_5001"}).error_code == "not_refundable"  # only once
    assert env.execute("no_such_tool", {}).error_code == "unknown_tool"


def test_travel_conflicts_full_flights_and_cancellation():
    env = TravelEnvironment()
    clash = env.execute(
        "create_calendar_event",
        {"user_id": "t_301", "title": "Lunch", "start": "2026-12-08T12:30", "end": "2026-12-08T13:30"},
    )
    assert clash.error_code == "calendar_conflict" and "e_9001" in clash.value["message"]
    assert (
        env.execute(
            "book_flight", {"user_id": "t_301", "flight_id": "f_ICN_NRT_0814", "seat_class": "economy"}
        ).error_code
        == "flight_full"
    )
    b = env.execute(
        "book_flight", {"user_id": "t_302", "flight_id": "f_MAD_BCN_0918", "seat_class": "business"}
    )
    assert b.ok and b.value["price"] == 162.5
    assert env.one("SELECT seats_left FROM flights WHERE flight_id = 'f_MAD_BCN_0918'")["seats_left"] == 0
    assert len(env.execute("list_calendar_events", {"user_id": "t_302", "date": "2026-12-09"}).value) == 2
    # the booked flight now blocks the calendar: an overlapping event is refused
    assert (
        env.execute(
            "create_calendar_event",
            {"user_id": "t_302", "title": "Call", "start": "2026-12-09T19:00", "end": "2026-12-09T19:30"},
        ).error_code
        == "calendar_conflict"
    )
    assert env.execute("cancel_booking", {"booking_id": b.value["booking_id"]}).ok
    assert env.one("SELECT seats_left FROM flights WHERE flight_id = 'f_MAD_BCN_0918'")["seats_left"] == 1
    assert (
        env.execute("cancel_booking", {"booking_id": b.value["booking_id"]}).error_code == "already_cancelled"
    )
    assert (
        env.execute(
            "book_hotel",
            {"user_id": "t_302", "hotel_id": "h_bcn_1", "check_in": "2026-12-10", "check_out": "2026-12-09"},
        ).error_code
        == "bad_dates"
    )


def test_environment_bug_is_reported_as_internal_error():
    env = ShopEnvironment()
    r = env.execute(
        "get_order", {"order_id": "o_5001", "surprise": 1}
    )  # the runner's schema check prevents this
    assert (r.ok, r.error_code) == (False, "internal_error") and "TypeError" in r.value["message"]
