"""The one error type for bad records: it names where the bad input came from."""

from __future__ import annotations

from pydantic import ValidationError


class SchemaError(ValueError):
    """A record does not match its schema. `where` is 'file:row' or 'file:line' when known."""

    def __init__(self, message: str, where: str | None = None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


def explain(err: ValidationError) -> str:
    """The first problem of a pydantic error as 'field.path: message (+N more)'."""
    first = err.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "<record>"
    more = f" (+{err.error_count() - 1} more)" if err.error_count() > 1 else ""
    return f"{loc}: {first['msg']}{more}"
