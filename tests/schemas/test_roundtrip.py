"""Every record survives JSON, Arrow and Parquet round-trips unchanged; bad input names where it is."""

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas import (
    SchemaError,
    SFTSample,
    WebDocument,
    read_parquet_records,
    records_from_arrow,
    records_to_arrow,
)
from schemas.records import write_parquet_records
from tests.schemas.strategies import RECORDS

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_json_and_arrow_roundtrip(kind):
    rtype, strategy = RECORDS[kind]

    @SETTINGS
    @given(st.lists(strategy, min_size=1, max_size=4))
    def check(records):
        for r in records:
            assert rtype.from_json(r.to_json()) == r
        table = records_to_arrow(records)
        assert table.schema.equals(rtype.ARROW_SCHEMA)
        assert records_from_arrow(table, rtype) == records

    check()


@pytest.mark.parametrize("kind", sorted(RECORDS))
def test_parquet_roundtrip(kind, tmp_path):
    rtype, strategy = RECORDS[kind]

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(strategy, min_size=1, max_size=4))
    def check(records):
        path = tmp_path / f"{kind}.parquet"
        write_parquet_records(records, str(path))
        assert read_parquet_records(str(path), rtype) == records

    check()


def test_bad_row_error_names_file_and_row(tmp_path):
    good = SFTSample(
        id="a",
        domain="math",
        language="en",
        mode="reasoning",
        messages=[{"role": "user", "content": "1+1?"}, {"role": "assistant", "content": "2"}],
    )
    rows = [good.to_row(), {**good.to_row(), "id": "b", "domain": "astrology"}]
    path = tmp_path / "bad.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=SFTSample.ARROW_SCHEMA), path)
    with pytest.raises(SchemaError) as e:
        read_parquet_records(str(path), SFTSample)
    assert e.value.where == f"{path}:row 1" and "domain" in str(e.value)


def test_schema_violations_have_reasons():
    with pytest.raises(SchemaError, match="assistant message"):
        SFTSample.from_json(
            json.dumps(
                {
                    "id": "x",
                    "domain": "math",
                    "language": "en",
                    "mode": "reasoning",
                    "messages": [{"role": "user", "content": "hi"}],
                }
            )
        )
    with pytest.raises(SchemaError, match="mode"):
        SFTSample.from_json(
            json.dumps(
                {
                    "id": "x",
                    "domain": "math",
                    "language": "en",
                    "mode": "fast",
                    "messages": [{"role": "assistant", "content": "hi"}],
                }
            )
        )
    with pytest.raises(SchemaError, match="only assistant messages carry tool_calls"):
        SFTSample.from_json(
            json.dumps(
                {
                    "id": "x",
                    "domain": "tool_use",
                    "language": "en",
                    "mode": "reasoning",
                    "messages": [
                        {"role": "user", "content": "hi", "tool_calls": [{"name": "f"}]},
                        {"role": "assistant", "content": "ok"},
                    ],
                }
            )
        )


def test_future_schema_version_rejected():
    row = WebDocument(id="w", text="hello").to_row()
    row["schema_version"] = 2
    with pytest.raises(SchemaError, match="schema_version 2"):
        WebDocument.from_row(row, "f.parquet:row 0")


def test_not_a_record_table():
    with pytest.raises(SchemaError, match="missing columns"):
        records_from_arrow(pa.table({"id": ["a"]}), SFTSample, "x.parquet")
