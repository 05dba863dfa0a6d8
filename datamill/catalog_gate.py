"""Catalog connections that take turns inside one process.

DuckDB keeps one database instance per file per process, opened in one mode: a read-only and a read-write
connection to the same file cannot be open side by side ("different configuration"), and opening while
another thread closes the file's last connection can clash as well ("Unique file handle conflict"). A
Streamlit server is one process whose sessions are threads — one session reading while another records a
decision is the everyday case. So connections of this process wait at a gate for the other mode to close;
a waiting writer goes first, so a stream of page reads cannot starve a reviewer's click. Between processes
DuckDB's own file lock decides (datamill.catalog.connect retries it). Do not open a second connection while
holding one in the same thread: a writer waiting in between would wait for the first (until its timeout).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import defaultdict
from pathlib import Path

import duckdb

from datamill import catalog

IN_PROCESS_CLASH = ("different configuration", "Unique file handle conflict")  # duckdb 2.0 wording


class _ModeGate:
    def __init__(self) -> None:
        self.cv = threading.Condition()
        self.open: dict[str, tuple[bool, int]] = {}  # file → (read_only, connections open)
        self.writers_waiting: dict[str, int] = defaultdict(int)

    def _free(self, key: str, read_only: bool) -> bool:
        mode, _ = self.open.get(key, (read_only, 0))
        return mode == read_only and not (read_only and self.writers_waiting[key])

    @contextlib.contextmanager
    def turn(self, key: str, read_only: bool, timeout_s: float):
        with self.cv:
            self.writers_waiting[key] += not read_only
            try:
                if not self.cv.wait_for(lambda: self._free(key, read_only), timeout=max(timeout_s, 0.0)):
                    raise catalog.CatalogBusy(
                        f"catalog {key} is busy in this process (a connection in the other "
                        f"mode stayed open {timeout_s:.1f} s)"
                    )
            finally:
                self.writers_waiting[key] -= not read_only
            self.open[key] = (read_only, self.open.get(key, (read_only, 0))[1] + 1)
        try:
            yield
        finally:
            with self.cv:
                mode, n = self.open[key]
                if n == 1:
                    del self.open[key]
                else:
                    self.open[key] = (mode, n - 1)
                self.cv.notify_all()


_GATE = _ModeGate()


@contextlib.contextmanager
def catalog_connection(path: str | Path, read_only: bool = False, timeout_s: float = 30.0):
    """datamill.catalog.connect, after this process's connections of the other mode to the file have closed
    (and retried should DuckDB still report a clash, e.g. with a connection opened outside this gate)."""
    deadline = time.monotonic() + timeout_s
    with _GATE.turn(str(Path(path).resolve()), read_only, timeout_s):
        delay = 0.01
        while True:
            stack = contextlib.ExitStack()
            try:
                con = stack.enter_context(
                    catalog.connect(
                        path, read_only=read_only, timeout_s=max(0.0, deadline - time.monotonic())
                    )
                )
                break
            except (duckdb.ConnectionException, duckdb.ResourceInUseException) as e:
                stack.close()
                if not any(m in str(e) for m in IN_PROCESS_CLASH) or time.monotonic() > deadline:
                    raise catalog.CatalogBusy(f"catalog {path} is busy in this process: {e}") from e
                time.sleep(delay)
                delay = min(delay * 2, 0.2)
        with stack:
            yield con
