"""The base of datamill's own errors: bad input, bad config or a broken environment that the user can act on.

The CLI prints any DatamillError as one line and exits 2; anything else (a programming bug) keeps its traceback.
Stdlib only, so every layer (the sandbox, the engine, the trainer) can raise it without importing more.
"""

from __future__ import annotations


class DatamillError(Exception):
    """An error the user can act on; its message is the whole story (what failed, where, what to do)."""


class InputError(DatamillError, ValueError):
    """A value or file the user gave is wrong (a config value, an input file, the store's contents); the message
    names it. Also a ValueError, so the callers and tests that catch ValueError keep working."""
