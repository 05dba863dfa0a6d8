"""A long-horizon travel task: three user turns, eight calls (most in parallel), a change of plan at the end."""

from __future__ import annotations

from generators.tool_use.envs.travel import TravelEnvironment
from generators.tool_use.tasks import RefStep, Results, Task
from generators.tool_use.tasks.travel import SYSTEM, no_overlaps


def _fits(flight: dict, events: list[dict]) -> bool:
    return all(not (e["start"] < flight["arrive"] and flight["depart"] < e["end"]) for e in events)


def cheapest_fitting(flights: list[dict], events: list[dict]) -> dict:
    return min((f for f in flights if f["seats_left"] > 0 and _fits(f, events)), key=lambda f: f["price"])


def cheapest_hotel(hotels: list[dict]) -> dict:
    return min((h for h in hotels if h["rooms_left"] > 0), key=lambda h: h["price_per_night"])


# What the reference agent reads from the results it received (both searches come back in call order).
def _outbound(r: Results) -> dict:
    return cheapest_fitting(r.all("search_flights")[0], r.last("list_calendar_events"))


def _inbound(r: Results) -> dict:
    return cheapest_fitting(r.all("search_flights")[1], [])


def _booked(r: Results) -> str:
    return " and ".join(f"{b['ref_id']} ({b['start'][5:16]}, ${b['price']:.2f}, booking {b['booking_id']})"
                        for b in r.all("book_flight"))  # fmt: skip


def plan_trip(v: int) -> Task:
    uid, home, city, out_day, back_day, guest, dinner_day = [
        ("t_301", "Seoul", "Tokyo", "2026-12-08", "2026-12-11", "Yuki", "2026-12-09")
    ][v]
    dinner = (f"{dinner_day}T19:00", f"{dinner_day}T21:00")
    event = {"user_id": uid, "title": f"Dinner with {guest}", "start": dinner[0], "end": dinner[1]}

    def goal(env: TravelEnvironment, final: str):
        env0 = TravelEnvironment()
        out = cheapest_fitting(
            env0.search_flights(home, city, out_day), env0.list_calendar_events(uid, out_day)
        )
        want = {
            out["flight_id"],
            cheapest_fitting(env0.search_flights(city, home, back_day), [])["flight_id"],
        }
        b = env.all("SELECT * FROM bookings WHERE user_id = ? ORDER BY booking_id", (uid,))
        flights = {x["ref_id"] for x in b if x["kind"] == "flight" and x["status"] == "confirmed"}
        hotels = [(x["ref_id"], x["status"]) for x in b if x["kind"] == "hotel"]
        rooms = "SELECT rooms_left FROM hotels WHERE hotel_id = ?"
        rooms_back = all(env.one(rooms, (h,)) == env0.one(rooms, (h,)) for h, _ in hotels)
        ev = env.all("SELECT start, end FROM events WHERE user_id = ? AND title = ?", (uid, event["title"]))
        dinner_ok = [(e["start"], e["end"]) for e in ev] == [dinner]
        ok = flights == want and [h[1] for h in hotels] == ["cancelled"] and rooms_back and dinner_ok
        ok = ok and no_overlaps(env, uid)
        return ok, f"flights {sorted(flights)} (want {sorted(want)}), hotels {hotels}, dinner {ev}"

    turn1 = f"Plan my trip: {home} to {city} on {out_day} and back on {back_day}. I'm {uid}. Economy, the cheapest "
    turn1 += "flights that don't clash with my calendar."
    turn2 = (
        f"Yes, the cheapest hotel there for the whole stay, and put a dinner with {guest} in my calendar on "
    )
    turn2 += f"{dinner_day} from 19:00 to 21:00."
    reference = [
        [RefStep(think="Three independent lookups: both flight searches and the calendar on the outbound day.",
                 calls=[("search_flights", {"origin": home, "destination": city, "date": out_day}),
                        ("search_flights", {"origin": city, "destination": home, "date": back_day}),
                        ("list_calendar_events", {"user_id": uid, "date": out_day})]),
         RefStep(think=lambda r: f"Outbound: the cheapest flight with seats that avoids "
                                 f"{[e['title'] for e in r.last('list_calendar_events')]} is "
                                 f"{_outbound(r)['flight_id']}; return: {_inbound(r)['flight_id']}. Book both.",
                 calls=[("book_flight", lambda r: {"user_id": uid, "flight_id": _outbound(r)["flight_id"],
                                                   "seat_class": "economy"}),
                        ("book_flight", lambda r: {"user_id": uid, "flight_id": _inbound(r)["flight_id"],
                                                   "seat_class": "economy"})]),
         RefStep(think="Both flights are booked; summarise and ask about a hotel.",
                 say=lambda r: f"Booked: {_booked(r)}. Would you like a hotel as well?")],
        [RefStep(think="The hotel search and the dinner event are independent: do both together.",
                 calls=[("search_hotels", {"city": city}), ("create_calendar_event", event)]),
         RefStep(think=lambda r: f"Cheapest hotel with rooms: {cheapest_hotel(r.last('search_hotels'))['name']}; "
                                 "book it for the whole stay.",
                 calls=[("book_hotel", lambda r: {"user_id": uid, "check_in": out_day, "check_out": back_day,
                                                  "hotel_id": cheapest_hotel(r.last("search_hotels"))["hotel_id"]})]),
         RefStep(think="Hotel booked and dinner added; confirm both.",
                 say=lambda r: f"Hotel booking {r.last('book_hotel')['booking_id']} "
                               f"({r.last('book_hotel')['detail']}, ${r.last('book_hotel')['price']:.2f}) is "
                               f"confirmed, and dinner with {guest} is in your calendar "
                               f"({r.last('create_calendar_event')['event_id']}).")],
        [RefStep(think="Cancel the hotel booking made earlier; flights and dinner stay.",
                 calls=[("cancel_booking", lambda r: {"booking_id": r.last("book_hotel")["booking_id"]})]),
         RefStep(think="Cancelled; the room is released.",
                 say=lambda r: f"Done — hotel booking {r.last('cancel_booking')['booking_id']} is "
                               f"{r.last('cancel_booking')['status']}. Your flights and the dinner are unchanged.")],
    ]  # fmt: skip
    return Task(
        id=f"travel.plan_trip.{v}",
        env="travel",
        system=SYSTEM,
        tags=["multi_turn", "parallel_calls", "multi_step", "long_horizon"],
        user_goal=f"You are traveller {uid}. Round trip {home}–{city}, out {out_day}, back {back_day}, cheapest "
        f"economy flights that fit your calendar; then the cheapest hotel and a dinner with {guest} on "
        f"{dinner_day} 19:00–21:00; finally cancel the hotel (a friend hosts you).",
        user_turns=[turn1, turn2, "Actually, please cancel the hotel — a friend will host me."],
        reference=reference,
        goal=goal,
    )


TEMPLATES = {plan_trip: 1}
