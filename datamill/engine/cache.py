"""Completion cache: one row per sample, keyed by (model, rendered prompt, sampling params, sample index).

Each completion is committed as it arrives, so a killed job re-sends only the requests that had not finished.
SQLite (stdlib) in WAL mode: several processes may share the file, and one connection per cache object is
shared by threads behind a lock. `synchronous=NORMAL` in WAL mode keeps every commit through a killed process
and never corrupts the file; only an OS crash or power loss can roll back the last commits, which are then
re-paid (https://www.sqlite.org/pragma.html#pragma_synchronous).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from datamill.engine.base import Completion

SQLITE_MAX_VARS = (
    999  # the lowest SQLITE_MAX_VARIABLE_NUMBER of any SQLite build (sqlite.org/limits.html, #9)
)


def _row(c: Completion) -> str:
    return json.dumps({**c.__dict__, "cached": False}, ensure_ascii=False)


class CompletionCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = sqlite3.connect(str(self.path), timeout=60, isolation_level=None, check_same_thread=False)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")
        # `samples` replaced the per-prompt `completions` table of the first cache (one row per prompt, written
        # after a whole chunk); that table is left alone and no longer read.
        self._con.execute("CREATE TABLE IF NOT EXISTS samples (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def get(self, key: str) -> Completion | None:
        return self.get_many([key]).get(key)

    def get_many(self, keys: list[str]) -> dict[str, Completion]:
        """The cached completions among `keys` (missing keys are absent from the result)."""
        found: dict[str, Completion] = {}
        with self._lock:
            for i in range(0, len(keys), SQLITE_MAX_VARS):
                part = keys[i : i + SQLITE_MAX_VARS]
                q = f"SELECT key, value FROM samples WHERE key IN ({','.join('?' * len(part))})"
                for key, value in self._con.execute(q, part):
                    found[key] = Completion(**{**json.loads(value), "cached": True})
        return found

    def put(self, key: str, completion: Completion) -> None:
        """Commit one completion now (its own transaction: it survives a kill the moment this returns)."""
        with self._lock:
            self._con.execute("INSERT OR REPLACE INTO samples VALUES (?, ?)", (key, _row(completion)))

    def put_many(self, items: Iterable[tuple[str, Completion]]) -> None:
        """Commit several completions in one transaction: all of them or none."""
        rows = [(k, _row(c)) for k, c in items]
        with self._lock:
            self._con.execute("BEGIN IMMEDIATE")
            try:
                self._con.executemany("INSERT OR REPLACE INTO samples VALUES (?, ?)", rows)
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def __len__(self) -> int:
        with self._lock:
            return self._con.execute("SELECT count(*) FROM samples").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._con.close()
