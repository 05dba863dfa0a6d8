"""The one error type for bad records: it names where the bad input came from."""


class SchemaError(ValueError):
    """A record does not match its schema. `where` is 'file:row' or 'file:line' when known."""

    def __init__(self, message: str, where: str | None = None):
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)
