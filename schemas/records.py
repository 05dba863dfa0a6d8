"""Base class for stored records and their JSON / Arrow / Parquet round-trips.

Nested, open-ended fields (tool schemas, metadata, verdict details, tool-call arguments) are stored as JSON
text columns so every shard has one fixed Arrow schema; the columns users filter on are plain Arrow types.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Self, TypeVar

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, ValidationError

from schemas.errors import SchemaError, explain

JSON = pa.string()  # a column holding JSON text
R = TypeVar("R", bound="Record")


def json_dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def json_load(text: str | None, default: Any) -> Any:
    return default if text in (None, "") else json.loads(text)


class Record(BaseModel):
    """A typed record with a schema version and a fixed Arrow schema."""

    model_config = ConfigDict(extra="forbid")
    KIND: ClassVar[str] = "record"
    ARROW_SCHEMA: ClassVar[pa.Schema]
    SCHEMA_VERSION: ClassVar[int] = 1

    schema_version: int = 1

    # -- rows (Arrow-shaped dicts) -------------------------------------------------------------------
    def to_row(self) -> dict:
        return self.model_dump()

    @classmethod
    def row_to_fields(cls, row: dict) -> dict:
        return dict(row)

    @classmethod
    def from_row(cls, row: dict, where: str | None = None) -> Self:
        try:
            fields = cls.row_to_fields(row)
            version = fields.get("schema_version", cls.SCHEMA_VERSION)
            if version != cls.SCHEMA_VERSION:
                raise SchemaError(
                    f"{cls.__name__} schema_version {version} is not {cls.SCHEMA_VERSION}", where
                )
            return cls.model_validate(fields)
        except ValidationError as e:
            raise SchemaError(f"bad {cls.__name__}: {explain(e)}", where) from None
        except (json.JSONDecodeError, TypeError, AttributeError) as e:
            raise SchemaError(f"bad {cls.__name__}: {e}", where) from None

    # -- JSON ------------------------------------------------------------------------------------------
    def to_json(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes, where: str | None = None) -> Self:
        try:
            return cls.model_validate_json(text)
        except ValidationError as e:
            raise SchemaError(f"bad {cls.__name__}: {explain(e)}", where) from None


def records_to_arrow(records: list[Record], record_type: type[Record] | None = None) -> pa.Table:
    rtype = record_type or type(records[0])
    return pa.Table.from_pylist([r.to_row() for r in records], schema=rtype.ARROW_SCHEMA)


def records_from_arrow(table: pa.Table, record_type: type[R], where: str | None = None) -> list[R]:
    missing = [f.name for f in record_type.ARROW_SCHEMA if f.name not in table.column_names]
    if missing:
        raise SchemaError(f"not a {record_type.__name__} table: missing columns {missing}", where)
    rows = table.select([f.name for f in record_type.ARROW_SCHEMA]).to_pylist()
    return [record_type.from_row(r, f"{where}:row {i}" if where else f"row {i}") for i, r in enumerate(rows)]


def write_parquet_records(records: list[Record], path: str, record_type: type[Record] | None = None) -> None:
    """Plain write (no atomic rename): the store's ShardWriter is the atomic path."""
    pq.write_table(records_to_arrow(records, record_type), path, compression="zstd")


def read_parquet_records(path: str, record_type: type[R]) -> list[R]:
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise SchemaError(f"unreadable Parquet: {e}", str(path)) from None
    return records_from_arrow(table, record_type, str(path))
