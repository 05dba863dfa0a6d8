"""Completion cache keyed by (model, rendered prompt, sampling params, seed): a resumed job never pays twice.

SQLite (stdlib) in WAL mode: safe for several worker processes, and a killed writer loses at most the
completion it was writing.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from generators.engine.base import Completion


class CompletionCache:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(str(self.path), timeout=60, isolation_level=None)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("CREATE TABLE IF NOT EXISTS completions (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def get(self, key: str) -> list[Completion] | None:
        row = self._con.execute("SELECT value FROM completions WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return [Completion(**{**c, "cached": True}) for c in json.loads(row[0])]

    def put(self, key: str, completions: list[Completion]) -> None:
        value = json.dumps([{**c.__dict__, "cached": False} for c in completions], ensure_ascii=False)
        self._con.execute("INSERT OR REPLACE INTO completions VALUES (?, ?)", (key, value))

    def __len__(self) -> int:
        return self._con.execute("SELECT count(*) FROM completions").fetchone()[0]
