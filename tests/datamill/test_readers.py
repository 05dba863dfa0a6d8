"""Tolerant readers keep the good rows of the bad-input corpus and say where each bad one is."""

from pathlib import Path

from datamill.readers import Quarantine, iter_csv, iter_jsonl, read_json

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"


def test_malformed_jsonl_keeps_good_lines_and_names_bad_ones():
    q = Quarantine()
    good = [n for n, obj in iter_jsonl(BAD / "malformed.jsonl", q)]
    assert good == [1, 3, 5]
    assert [(i["line"], i["reason"].split(":")[0]) for i in q.items] == [
        (2, "malformed_json"),
        (4, "malformed_json"),
    ]
    assert q.lines()[0].startswith(f"{BAD / 'malformed.jsonl'}:2: malformed_json")


def test_invalid_utf8_is_quarantined_with_byte_offset():
    q = Quarantine()
    assert [n for n, _ in iter_jsonl(BAD / "invalid_utf8.jsonl", q)] == [1, 3]
    item = q.items[0]
    line_start = len((BAD / "invalid_utf8.jsonl").read_bytes().split(b"\n")[0]) + 1
    assert item["reason"] == "invalid_utf8" and item["offset"] == line_start + len(b'{"question": "caf')


def test_absurdly_long_line_is_quarantined(tmp_path):
    path = tmp_path / "long.jsonl"
    path.write_text('{"a": 1}\n{"text": "' + "x" * 2_000_000 + '"}\n{"b": 2}\n')
    q = Quarantine()
    assert [obj for _, obj in iter_jsonl(path, q, max_line_bytes=1 << 20)] == [{"a": 1}, {"b": 2}]
    assert q.items[0]["line"] == 2 and q.items[0]["reason"].startswith("line_too_long")


def test_empty_file_yields_nothing_and_no_error():
    q = Quarantine()
    assert list(iter_jsonl(BAD / "empty.jsonl", q)) == [] and len(q) == 0


def test_read_json_names_line_and_column():
    try:
        read_json(BAD / "invalid_tools.jsonl")
    except ValueError as e:
        assert str(e).startswith(f"{BAD / 'invalid_tools.jsonl'}:2:1: malformed JSON")
    else:
        raise AssertionError("JSON Lines parsed as one JSON document")


def test_csv_rows_from_real_chatbot_data(examples):
    q = Quarantine()
    rows = [r for _, r in iter_csv(examples / "korean/ChatbotData.csv", q)]
    assert len(rows) == 300 and set(rows[0]) == {"Q", "A", "label"} and len(q) == 0
