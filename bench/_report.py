"""Shared by the benchmarks: print a table and replace this benchmark's section in bench/RESULTS.md."""

from __future__ import annotations

import datetime as dt
import platform
import re
from pathlib import Path

from datamill.report import table  # noqa: F401  (re-exported for the benchmarks)

RESULTS = Path(__file__).with_name("RESULTS.md")


def write_section(name: str, body: str) -> None:
    """Replace (or append) the `## name` section of RESULTS.md."""
    import os

    stamp = f"_{dt.date.today()} · {platform.machine()} · {os.cpu_count()} cores · python {platform.python_version()}_"
    section = f"## {name}\n\n{stamp}\n\n{body.strip()}\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^## {re.escape(name)}\n.*?(?=^## |\Z)", re.DOTALL | re.MULTILINE)
    # a function, not a template: a section's text may hold backslashes (LaTeX in the quality notes)
    text = (
        pattern.sub(lambda _: section + "\n", text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + section
    )
    RESULTS.write_text(text)
