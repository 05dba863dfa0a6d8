"""The progress bar of one engine run: tqdm over samples (its rate and ETA), with requests/s, tokens/s,
failed requests and endpoints down in the postfix. Shown when stderr is a terminal (or a file is given)."""

from __future__ import annotations

import sys
import time

BAR_REFRESH_S = 0.5


class ProgressBar:
    def __init__(self, endpoints: list, total: int, file=None, enabled: bool = True):
        self.endpoints, self.start = endpoints, time.monotonic()
        self.requests = self.tokens = self.failures = 0
        self.last = 0.0
        self.bar = None
        if file is not None or (enabled and sys.stderr.isatty()):
            from tqdm import tqdm

            self.bar = tqdm(
                total=total,
                unit="sample",
                desc="engine",
                leave=False,
                file=file or sys.stderr,
                mininterval=BAR_REFRESH_S,
            )

    def count(self, task, out) -> None:
        """One request's outcome (a fleet `Outcome` for a `Task`)."""
        self.requests += 1
        self.failures += out.kind == "retry"
        self.tokens += out.tokens
        if self.bar is not None and out.kind in ("ok", "drop"):
            self.bar.update(len(out.samples) if out.kind == "ok" else task.count)
        self.refresh()

    def postfix(self) -> str:
        dt = max(time.monotonic() - self.start, 1e-9)
        down = sum(not e.up for e in self.endpoints)
        return f"{self.requests / dt:.1f} req/s, {self.tokens / dt:.0f} tok/s, {self.failures} failed" + (
            f", {down} endpoint(s) down" if down else ""
        )

    def refresh(self) -> None:
        now = time.monotonic()
        if self.bar is not None and now - self.last >= BAR_REFRESH_S:
            self.last = now
            self.bar.set_postfix_str(self.postfix())

    def close(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(self.postfix())
            self.bar.close()
