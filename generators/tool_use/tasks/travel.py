"""Travel tasks: flight + hotel trip (parallel, multi-step), calendar conflict recovery, full flight → rebook."""

from __future__ import annotations

import itertools

from generators.tool_use.envs.travel import TravelEnvironment
from generators.tool_use.tasks import RefStep, Task

SYSTEM = (
    "You are a travel assistant with access to flights, hotels, bookings and the traveller's calendar. Search "
    "before booking, book only what the traveller chose, and keep the calendar free of overlaps. When a tool "
    "returns an error, explain it and offer alternatives."
)


def _bookings(env: TravelEnvironment, uid: str) -> list[dict]:
    return env.all(
        "SELECT * FROM bookings WHERE user_id = ? AND status = 'confirmed' ORDER BY booking_id", (uid,)
    )


def no_overlaps(env: TravelEnvironment, uid: str) -> bool:
    ev = env.all("SELECT * FROM events WHERE user_id = ? ORDER BY start", (uid,))
    return all(a["end"] <= b["start"] for a, b in itertools.pairwise(ev))


def _hhmm(t: str) -> str:
    return t[11:16]


def trip(v: int) -> Task:
    uid, origin, dest, day, out_day, when, max_price = [
        ("t_301", "Seoul", "Tokyo", "2026-12-08", "2026-12-11", "morning", 150),
        ("t_302", "Madrid", "Barcelona", "2026-12-09", "2026-12-10", "evening", 100),
    ][v]

    def pick(
        flights: list[dict],
    ) -> dict:  # the traveller's rule: first morning / last evening flight with seats
        ok = [
            f
            for f in flights
            if f["seats_left"] > 0 and (int(f["depart"][11:13]) < 12) == (when == "morning")
        ]
        return ok[0] if when == "morning" else ok[-1]

    def cheapest(hotels: list[dict]) -> dict:
        return min((h for h in hotels if h["rooms_left"] > 0), key=lambda h: h["price_per_night"])

    def goal(env, final):
        env0 = TravelEnvironment()
        want_f = pick(env0.search_flights(origin, dest, day))["flight_id"]
        want_h = cheapest(env0.search_hotels(dest, max_price))["hotel_id"]
        got = {(b["kind"], b["ref_id"], b["start"][:10], b["end"][:10]) for b in _bookings(env, uid)}
        f = env0.one("SELECT * FROM flights WHERE flight_id = ?", (want_f,))
        want = {("flight", want_f, f["depart"][:10], f["arrive"][:10]), ("hotel", want_h, day, out_day)}
        ok = got == want and no_overlaps(env, uid)
        return ok, f"bookings {sorted(got)} expected {sorted(want)}"

    return Task(
        id=f"travel.trip.{v}",
        env="travel",
        system=SYSTEM,
        tags=["multi_turn", "parallel_calls", "multi_step"],
        user_goal=f"You are traveller {uid}. Fly {origin} → {dest} on {day} ({when} flight, economy) and stay in "
        f"the cheapest hotel under ${max_price}/night until {out_day}.",
        user_turns=[
            f"I need to fly from {origin} to {dest} on {day} and stay until {out_day}. My traveller id is {uid}.",
            f"The {when} flight in economy, please. And the cheapest hotel under ${max_price} a night.",
        ],
        reference=[
            [
                RefStep(
                    think="Search the flights for that day first so the traveller can choose.",
                    calls=[("search_flights", {"origin": origin, "destination": dest, "date": day})],
                ),
                RefStep(
                    think="List the options with seats; a full flight cannot be booked.",
                    say=lambda r: (
                        "These flights are available: "
                        + "; ".join(
                            f"{f['flight_id']} departing {_hhmm(f['depart'])} (${f['price']:.0f}, "
                            + (f"{f['seats_left']} seats left)" if f["seats_left"] else "full)")
                            for f in r.last("search_flights")
                        )
                        + ". Which one would you like, and in which class?"
                    ),
                ),
            ],
            [
                RefStep(
                    think=lambda r: (
                        f"The {when} flight with seats is {pick(r.last('search_flights'))['flight_id']}. "
                        "Booking it and searching hotels are independent, so do both at once."
                    ),
                    calls=[
                        (
                            "book_flight",
                            lambda r: {
                                "user_id": uid,
                                "flight_id": pick(r.last("search_flights"))["flight_id"],
                                "seat_class": "economy",
                            },
                        ),
                        ("search_hotels", {"city": dest, "max_price": max_price}),
                    ],
                ),
                RefStep(
                    think=lambda r: (
                        f"Cheapest hotel with rooms: {cheapest(r.last('search_hotels'))['name']}. Book it "
                        f"from {day} to {out_day}."
                    ),
                    calls=[
                        (
                            "book_hotel",
                            lambda r: {
                                "user_id": uid,
                                "hotel_id": cheapest(r.last("search_hotels"))["hotel_id"],
                                "check_in": day,
                                "check_out": out_day,
                            },
                        )
                    ],
                ),
                RefStep(
                    think="Both bookings are confirmed; summarise ids, prices and dates.",
                    say=lambda r: (
                        f"All set! Flight booking {r.last('book_flight')['booking_id']} "
                        f"({r.last('book_flight')['ref_id']}, economy, ${r.last('book_flight')['price']:.2f}) "
                        f"is in your calendar, and hotel booking {r.last('book_hotel')['booking_id']} at "
                        f"{cheapest(r.last('search_hotels'))['name']} for {r.last('book_hotel')['detail']} "
                        f"(${r.last('book_hotel')['price']:.2f}) is confirmed."
                    ),
                ),
            ],
        ],
        goal=goal,
    )


def calendar_conflict(v: int) -> Task:
    uid, title, day, first, second = [
        ("t_301", "Dinner with Jisoo", "2026-12-08", ("16:00", "18:00"), ("18:00", "20:00")),
        ("t_303", "Gym", "2026-12-10", ("10:30", "11:30"), ("11:00", "12:00")),
    ][v]

    def goal(env, final):
        ev = env.all("SELECT * FROM events WHERE user_id = ? AND title = ?", (uid, title))
        ok = [(e["start"], e["end"]) for e in ev] == [
            (f"{day}T{second[0]}", f"{day}T{second[1]}")
        ] and no_overlaps(env, uid)
        return ok, f"events titled {title!r}: {[(e['start'], e['end']) for e in ev]}"

    return Task(
        id=f"travel.calendar_conflict.{v}",
        env="travel",
        system=SYSTEM,
        tags=["multi_turn", "error_recovery"],
        user_goal=f"You are traveller {uid}. Add '{title}' on {day} {first[0]}–{first[1]}; if that clashes, "
        f"move it to {second[0]}–{second[1]}.",
        user_turns=[
            f"Please add '{title}' to my calendar on {day} from {first[0]} to {first[1]}. I'm {uid}.",
            f"Then make it {second[0]} to {second[1]} instead.",
        ],
        reference=[
            [
                RefStep(
                    think="Create the event as asked; the calendar refuses overlaps.",
                    calls=[
                        (
                            "create_calendar_event",
                            {
                                "user_id": uid,
                                "title": title,
                                "start": f"{day}T{first[0]}",
                                "end": f"{day}T{first[1]}",
                            },
                        )
                    ],
                ),
                RefStep(
                    think=lambda r: (
                        f"Refused: {r.last('create_calendar_event')['message']}. Ask for another time."
                    ),
                    say=lambda r: (
                        f"I couldn't add it: that time {r.last('create_calendar_event')['message']}. "
                        "Would you like a different time?"
                    ),
                ),
            ],
            [
                RefStep(
                    think="Try the new slot the traveller gave.",
                    calls=[
                        (
                            "create_calendar_event",
                            {
                                "user_id": uid,
                                "title": title,
                                "start": f"{day}T{second[0]}",
                                "end": f"{day}T{second[1]}",
                            },
                        )
                    ],
                ),
                RefStep(
                    think="The new slot was free and the event was created; confirm it.",
                    say=lambda r: (
                        f"Added '{title}' on {day} from {second[0]} to {second[1]} "
                        f"(event {r.last('create_calendar_event')['event_id']})."
                    ),
                ),
            ],
        ],
        goal=goal,
    )


def full_flight(v: int) -> Task:
    uid, fid, origin, dest, day, seat = [
        ("t_303", "f_ICN_NRT_0814", "Seoul", "Tokyo", "2026-12-08", "business")
    ][v]

    def goal(env, final):
        got = [(b["ref_id"], b["detail"]) for b in _bookings(env, uid)]
        ok = got == [("f_ICN_NRT_0819", seat)] and no_overlaps(env, uid)
        return ok, f"confirmed bookings {got}"

    return Task(
        id=f"travel.full_flight.{v}",
        env="travel",
        system=SYSTEM,
        tags=["multi_turn", "error_recovery"],
        user_goal=f"You are traveller {uid}. Book {fid} in {seat}; if it is full, take the latest other flight that day.",
        user_turns=[
            f"Book me on flight {fid} in {seat} class, please. Traveller id {uid}.",
            "The evening one is fine.",
        ],
        reference=[
            [
                RefStep(
                    think="Book the requested flight.",
                    calls=[("book_flight", {"user_id": uid, "flight_id": fid, "seat_class": seat})],
                ),
                RefStep(
                    think="It is full. Look for other flights on the same route and day.",
                    calls=[("search_flights", {"origin": origin, "destination": dest, "date": day})],
                ),
                RefStep(
                    think="Only the flights with seats left are options; list them and let the traveller choose.",
                    say=lambda r: (
                        f"Sorry, {fid} is full. Other flights that day with seats: "
                        + "; ".join(
                            f"{f['flight_id']} at {_hhmm(f['depart'])}"
                            for f in r.last("search_flights")
                            if f["seats_left"] > 0
                        )
                        + ". Which would you like?"
                    ),
                ),
            ],
            [
                RefStep(
                    think="The evening flight is the last one with seats.",
                    calls=[
                        (
                            "book_flight",
                            lambda r: {
                                "user_id": uid,
                                "seat_class": seat,
                                "flight_id": [f for f in r.last("search_flights") if f["seats_left"] > 0][-1][
                                    "flight_id"
                                ],
                            },
                        )
                    ],
                ),
                RefStep(
                    think="The booking is confirmed; give the flight, class, booking id and price.",
                    say=lambda r: (
                        f"Booked: {r.last('book_flight')['ref_id']} in {seat}, booking "
                        f"{r.last('book_flight')['booking_id']} (${r.last('book_flight')['price']:.2f})."
                    ),
                ),
            ],
        ],
        goal=goal,
    )


TEMPLATES = {trip: 2, calendar_conflict: 2, full_flight: 1}
