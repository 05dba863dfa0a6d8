"""TravelEnvironment: flights, hotels, bookings and each traveller's calendar in SQLite.

Booking a flight takes a seat and puts the flight in the traveller's calendar; booking a hotel takes a room.
Errors are real: unknown ids, a full flight or hotel, dates in the wrong order, and conflicts — a calendar event
or flight that overlaps something already in the calendar is refused (`calendar_conflict`).
"""

from __future__ import annotations

import datetime as dt

from generators.tool_use.envs.base import Environment, ToolError, tool

SEAT_CLASSES = {"economy": 1.0, "business": 2.5}  # business fare = 2.5 × economy fare in this simulation

SCHEMA = """
CREATE TABLE travellers (user_id TEXT PRIMARY KEY, name TEXT NOT NULL, home_city TEXT NOT NULL);
CREATE TABLE flights (flight_id TEXT PRIMARY KEY, origin TEXT NOT NULL, destination TEXT NOT NULL,
                      depart TEXT NOT NULL, arrive TEXT NOT NULL, price REAL NOT NULL, seats_left INTEGER NOT NULL);
CREATE TABLE hotels (hotel_id TEXT PRIMARY KEY, city TEXT NOT NULL, name TEXT NOT NULL, price_per_night REAL NOT NULL,
                     rooms_left INTEGER NOT NULL);
CREATE TABLE bookings (booking_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES travellers, kind TEXT NOT NULL,
                       ref_id TEXT NOT NULL, start TEXT NOT NULL, end TEXT NOT NULL, detail TEXT NOT NULL,
                       price REAL NOT NULL, status TEXT NOT NULL);
CREATE TABLE events (event_id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES travellers, title TEXT NOT NULL,
                     start TEXT NOT NULL, end TEXT NOT NULL, booking_id TEXT);
"""

TRAVELLERS = [
    ("t_301", "Mina Park", "Seoul"),
    ("t_302", "Carlos Ruiz", "Madrid"),
    ("t_303", "Emily Chen", "Tokyo"),
]
FLIGHTS = [
    ("f_ICN_NRT_0812", "Seoul", "Tokyo", "2026-12-08T08:10", "2026-12-08T10:30", 210.0, 9),
    ("f_ICN_NRT_0814", "Seoul", "Tokyo", "2026-12-08T14:00", "2026-12-08T16:20", 185.0, 0),
    ("f_ICN_NRT_0819", "Seoul", "Tokyo", "2026-12-08T19:45", "2026-12-08T22:05", 160.0, 3),
    ("f_NRT_ICN_1109", "Tokyo", "Seoul", "2026-12-11T09:00", "2026-12-11T11:30", 205.0, 5),
    ("f_NRT_ICN_1118", "Tokyo", "Seoul", "2026-12-11T18:00", "2026-12-11T20:30", 175.0, 6),
    ("f_MAD_BCN_0907", "Madrid", "Barcelona", "2026-12-09T07:00", "2026-12-09T08:15", 80.0, 12),
    ("f_MAD_BCN_0918", "Madrid", "Barcelona", "2026-12-09T18:30", "2026-12-09T19:45", 65.0, 1),
    ("f_BCN_MAD_1020", "Barcelona", "Madrid", "2026-12-10T20:00", "2026-12-10T21:15", 70.0, 8),
]
HOTELS = [
    ("h_tyo_1", "Tokyo", "Shinjuku Garden Hotel", 140.0, 4),
    ("h_tyo_2", "Tokyo", "Asakusa Inn", 85.0, 2),
    ("h_tyo_3", "Tokyo", "Ginza Grand", 320.0, 0),
    ("h_bcn_1", "Barcelona", "Hotel Rambla", 110.0, 3),
    ("h_bcn_2", "Barcelona", "Casa Gracia", 95.0, 1),
]
EVENTS = [("e_9001", "t_301", "Team offsite", "2026-12-08T13:00", "2026-12-08T17:00"),
          ("e_9002", "t_302", "Dentist", "2026-12-09T17:00", "2026-12-09T18:00"),
          ("e_9003", "t_303", "Client call", "2026-12-10T10:00", "2026-12-10T11:00")]  # fmt: skip

_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "description": "A date, YYYY-MM-DD."}
_TIME = {
    "type": "string",
    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$",
    "description": "Local time, YYYY-MM-DDTHH:MM.",
}
_USER = {"type": "string", "description": "Traveller id, e.g. t_301."}
TOOLS = [
    tool(
        "search_flights",
        "Find flights between two cities on a date, with price and seats left.",
        {
            "origin": {"type": "string", "description": "Departure city."},
            "destination": {"type": "string", "description": "Arrival city."},
            "date": _DATE,
        },
        ["origin", "destination", "date"],
    ),
    tool(
        "search_hotels",
        "Find hotels in a city with a nightly price at or below max_price (all when omitted).",
        {"city": {"type": "string"}, "max_price": {"type": "number", "minimum": 0}},
        ["city"],
    ),
    tool(
        "book_flight",
        "Book a seat on a flight for a traveller; the flight is added to their calendar.",
        {
            "user_id": _USER,
            "flight_id": {"type": "string"},
            "seat_class": {
                "type": "string",
                "enum": list(SEAT_CLASSES),
                "description": "economy or business.",
            },
        },
        ["user_id", "flight_id", "seat_class"],
    ),
    tool(
        "book_hotel",
        "Book a hotel room for a traveller from check_in to check_out (nights = days between).",
        {"user_id": _USER, "hotel_id": {"type": "string"}, "check_in": _DATE, "check_out": _DATE},
        ["user_id", "hotel_id", "check_in", "check_out"],
    ),
    tool(
        "cancel_booking",
        "Cancel a flight or hotel booking; the seat or room is released.",
        {"booking_id": {"type": "string"}},
        ["booking_id"],
    ),
    tool("list_bookings", "List a traveller's bookings.", {"user_id": _USER}, ["user_id"]),
    tool(
        "list_calendar_events",
        "List a traveller's calendar events on one date.",
        {"user_id": _USER, "date": _DATE},
        ["user_id", "date"],
    ),
    tool(
        "create_calendar_event",
        "Add an event to a traveller's calendar. Refused if it overlaps another event.",
        {"user_id": _USER, "title": {"type": "string", "minLength": 1}, "start": _TIME, "end": _TIME},
        ["user_id", "title", "start", "end"],
    ),
]


def _parse(t: str, what: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(t)
    except ValueError:
        raise ToolError("bad_datetime", f"{what} {t!r} is not a valid date/time") from None


class TravelEnvironment(Environment):
    NAME = "travel"
    TOOLS = TOOLS
    SCHEMA_SQL = SCHEMA

    def seed(self) -> None:
        self.db.executemany("INSERT INTO travellers VALUES (?,?,?)", TRAVELLERS)
        self.db.executemany("INSERT INTO flights VALUES (?,?,?,?,?,?,?)", FLIGHTS)
        self.db.executemany("INSERT INTO hotels VALUES (?,?,?,?,?)", HOTELS)
        self.db.executemany("INSERT INTO events VALUES (?,?,?,?,?,NULL)", EVENTS)

    def _user(self, user_id: str) -> dict:
        return self.need(
            "SELECT * FROM travellers WHERE user_id = ?",
            (user_id,),
            "unknown_user",
            f"no traveller with id {user_id!r}",
        )

    def _new_id(self, table: str, col: str, prefix: str, first: int) -> str:
        top = self.one(f"SELECT max(CAST(substr({col}, {len(prefix) + 1}) AS INTEGER)) AS n FROM {table}")[
            "n"
        ]
        return f"{prefix}{max(first, (top or 0) + 1)}"

    def _check_free(self, user_id: str, start: str, end: str) -> None:
        clash = self.one(
            "SELECT * FROM events WHERE user_id = ? AND start < ? AND ? < end ORDER BY start",
            (user_id, end, start),
        )
        if clash:
            raise ToolError(
                "calendar_conflict",
                f"overlaps {clash['event_id']} '{clash['title']}' ({clash['start']}–{clash['end']})",
            )

    # -- tools ----------------------------------------------------------------------------------------
    def search_flights(self, origin: str, destination: str, date: str) -> list[dict]:
        _parse(date, "date")
        return self.all(
            "SELECT * FROM flights WHERE lower(origin) = lower(?) AND lower(destination) = lower(?) "
            "AND substr(depart, 1, 10) = ? ORDER BY depart",
            (origin.strip(), destination.strip(), date),
        )

    def search_hotels(self, city: str, max_price: float | None = None) -> list[dict]:
        return self.all(
            "SELECT * FROM hotels WHERE lower(city) = lower(?) AND price_per_night <= ? ORDER BY hotel_id",
            (city.strip(), 1e12 if max_price is None else max_price),
        )

    def book_flight(self, user_id: str, flight_id: str, seat_class: str) -> dict:
        self._user(user_id)
        f = self.need(
            "SELECT * FROM flights WHERE flight_id = ?",
            (flight_id,),
            "unknown_flight",
            f"no flight with id {flight_id!r}",
        )
        if f["seats_left"] <= 0:
            raise ToolError("flight_full", f"flight {flight_id} has no seats left")
        self._check_free(user_id, f["depart"], f["arrive"])
        bid = self._new_id("bookings", "booking_id", "b_", 7001)
        price = round(f["price"] * SEAT_CLASSES[seat_class], 2)
        self.db.execute("UPDATE flights SET seats_left = seats_left - 1 WHERE flight_id = ?", (flight_id,))
        self.db.execute(
            "INSERT INTO bookings VALUES (?,?,?,?,?,?,?,?,?)",
            (bid, user_id, "flight", flight_id, f["depart"], f["arrive"], seat_class, price, "confirmed"),
        )
        self.db.execute(
            "INSERT INTO events VALUES (?,?,?,?,?,?)",
            (
                self._new_id("events", "event_id", "e_", 9001),
                user_id,
                f"Flight {f['origin']} → {f['destination']}",
                f["depart"],
                f["arrive"],
                bid,
            ),
        )
        return self.one("SELECT * FROM bookings WHERE booking_id = ?", (bid,))

    def book_hotel(self, user_id: str, hotel_id: str, check_in: str, check_out: str) -> dict:
        self._user(user_id)
        h = self.need(
            "SELECT * FROM hotels WHERE hotel_id = ?",
            (hotel_id,),
            "unknown_hotel",
            f"no hotel with id {hotel_id!r}",
        )
        nights = (_parse(check_out, "check_out") - _parse(check_in, "check_in")).days
        if nights < 1:
            raise ToolError("bad_dates", f"check_out {check_out} must be after check_in {check_in}")
        if h["rooms_left"] <= 0:
            raise ToolError("hotel_full", f"{h['name']} ({hotel_id}) has no rooms left")
        bid = self._new_id("bookings", "booking_id", "b_", 7001)
        self.db.execute("UPDATE hotels SET rooms_left = rooms_left - 1 WHERE hotel_id = ?", (hotel_id,))
        self.db.execute(
            "INSERT INTO bookings VALUES (?,?,?,?,?,?,?,?,?)",
            (
                bid,
                user_id,
                "hotel",
                hotel_id,
                check_in,
                check_out,
                f"{nights} nights",
                round(nights * h["price_per_night"], 2),
                "confirmed",
            ),
        )
        return self.one("SELECT * FROM bookings WHERE booking_id = ?", (bid,))

    def cancel_booking(self, booking_id: str) -> dict:
        b = self.need(
            "SELECT * FROM bookings WHERE booking_id = ?",
            (booking_id,),
            "unknown_booking",
            f"no booking with id {booking_id!r}",
        )
        if b["status"] == "cancelled":
            raise ToolError("already_cancelled", f"booking {booking_id} is already cancelled")
        table, col, key = (
            ("flights", "seats_left", "flight_id")
            if b["kind"] == "flight"
            else ("hotels", "rooms_left", "hotel_id")
        )
        self.db.execute(f"UPDATE {table} SET {col} = {col} + 1 WHERE {key} = ?", (b["ref_id"],))
        self.db.execute("UPDATE bookings SET status = 'cancelled' WHERE booking_id = ?", (booking_id,))
        self.db.execute("DELETE FROM events WHERE booking_id = ?", (booking_id,))
        return self.one("SELECT * FROM bookings WHERE booking_id = ?", (booking_id,))

    def list_bookings(self, user_id: str) -> list[dict]:
        self._user(user_id)
        return self.all("SELECT * FROM bookings WHERE user_id = ? ORDER BY booking_id", (user_id,))

    def list_calendar_events(self, user_id: str, date: str) -> list[dict]:
        self._user(user_id)
        _parse(date, "date")
        return self.all(
            "SELECT event_id, title, start, end FROM events WHERE user_id = ? AND substr(start, 1, 10) <= ? "
            "AND ? <= substr(end, 1, 10) ORDER BY start",
            (user_id, date, date),
        )

    def create_calendar_event(self, user_id: str, title: str, start: str, end: str) -> dict:
        self._user(user_id)
        if _parse(end, "end") <= _parse(start, "start"):
            raise ToolError("bad_dates", f"end {end} must be after start {start}")
        self._check_free(user_id, start, end)
        eid = self._new_id("events", "event_id", "e_", 9001)
        self.db.execute("INSERT INTO events VALUES (?,?,?,?,?,NULL)", (eid, user_id, title, start, end))
        return {"event_id": eid, "user_id": user_id, "title": title, "start": start, "end": end}
