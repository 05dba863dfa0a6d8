"""Bad input is counted and quarantined with file:offset; the job goes on; exit status says how it went."""

from __future__ import annotations

import gzip
import json
import random
import re
import shutil
from pathlib import Path

import pytest

from curation.job import run_curate
from curation.readers import HtmlFileReader, JsonlRecordReader, WarcRecordReader
from datamill.cli import main as cli
from datamill.demo_data import EXAMPLES
from datamill.store import Store
from tests.curation.helpers import write_config

GOOD_PAGE = EXAMPLES / "web/html/pythonspeed.com.docker.html"


@pytest.fixture(scope="module")
def bad_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("bad")
    (d / "html").mkdir()
    (d / "warc").mkdir()
    (d / "jsonl").mkdir()
    shutil.copy(GOOD_PAGE, d / "html" / "good.html")
    (d / "html" / "empty.html").write_bytes(b"")
    (d / "html" / "latin1.html").write_bytes(
        "<html><body><p>Señal débil, café y niño</p></body></html>".encode("latin-1")
    )
    rnd = random.Random(0)  # high bytes in no code page's pattern (and no NUL, so not "binary"): undecodable
    (d / "html" / "noise.html").write_bytes(bytes(rnd.randrange(1, 256) for _ in range(4000)))
    (d / "html" / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (d / "html" / "bad.html.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"this is not deflate data" * 20)
    with open(d / "html" / "huge.html", "wb") as f:  # a 50 MB single document, made at test time
        f.write(b"<html><body>")
        block = b"<p>" + b"lorem ipsum dolor sit amet " * 37 + b"</p>\n"
        f.writelines(block for _ in range(50 * 1024 * 1024 // len(block) + 1))
        f.write(b"</body></html>")
    whole = (EXAMPLES / "web/warc/example.warc.gz").read_bytes()
    (d / "warc" / "truncated.warc.gz").write_bytes(
        whole[:1500]
    )  # cut inside the response record's gzip member
    good = json.dumps(
        {"text": (EXAMPLES / "niah/apple.txt").read_text()[:3000], "url": "https://x.example/a"}
    )
    lines = [good, '{"text": "unterminated', '{"body": "no text field"}', "[1, 2]", good.replace("/a", "/b")]
    (d / "jsonl" / "mixed.jsonl").write_text("\n".join(lines) + "\n")
    return d


def _read(reader) -> tuple[list, list[dict]]:
    docs = list(reader.run(None, 0, 1))
    items = list(reader.quarantine.items)
    return docs, items


def test_html_reader_quarantines_each_bad_file(bad_dir, tmp_path):
    docs, items = _read(HtmlFileReader(str(bad_dir / "html"), str(tmp_path), "html"))
    assert sorted(d.metadata["source"].rsplit("/", 1)[1] for d in docs) == ["good.html:0", "latin1.html:0"]
    assert "Señal débil, café y niño" in next(d.text for d in docs if "latin1" in d.metadata["source"])
    got = {Path(i["where"]).name: i["reason"] for i in items}
    assert got == {
        "empty.html:0": "empty_file",
        "noise.html:0": "undecodable",
        "binary.html:0": "binary_content",
        "bad.html.gz:0": "bad_gzip",
        "huge.html:0": "too_large",
    }


def test_html_reader_decodes_declared_charset(tmp_path):
    page = '<html><head><meta charset="iso-8859-1"></head><body>Señal</body></html>'.encode("latin-1")
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "p.html").write_bytes(page)
    docs, items = _read(HtmlFileReader(str(tmp_path / "in"), str(tmp_path), "html"))
    assert not items and "Señal" in docs[0].text


def test_truncated_warc_keeps_records_before_the_cut(bad_dir, tmp_path):
    docs, items = _read(WarcRecordReader(str(bad_dir / "warc"), str(tmp_path), "warc"))
    assert docs == []  # the only HTML record is the one that was cut
    assert len(items) == 1 and items[0]["reason"] == "truncated_record"
    offset = int(items[0]["where"].rsplit(":", 1)[1])
    assert 0 < offset < 1500 and items[0]["where"].split(":")[0].endswith("truncated.warc.gz")


def test_jsonl_reader_quarantines_bad_lines_by_byte_offset(bad_dir, tmp_path):
    docs, items = _read(JsonlRecordReader(str(bad_dir / "jsonl"), str(tmp_path), "jsonl"))
    assert [d.metadata["url"] for d in docs] == ["https://x.example/a", "https://x.example/b"]
    raw = (bad_dir / "jsonl" / "mixed.jsonl").read_bytes()
    for item in items:
        offset = int(item["where"].rsplit(":", 1)[1])
        assert offset == 0 or raw[offset - 1 : offset] == b"\n"  # offsets point at line starts
    assert [(i["reason"], raw[int(i["where"].rsplit(":", 1)[1]) :][:8]) for i in items] == [
        ("malformed_json", b'{"text":'),
        ("missing_text", b'{"body":'),
        ("missing_text", b"[1, 2]\n{"),
    ]


def test_job_continues_and_reports_quarantine(bad_dir, tmp_path, capsys):
    cfg = {
        "dataset": "bad",
        "tasks": 2,
        "workers": 1,
        "decontam": {"data_roots": [str(EXAMPLES)]},
        "inputs": [
            {"path": str(bad_dir / "html"), "format": "html"},
            {"path": str(bad_dir / "warc"), "format": "warc"},
            {"path": str(bad_dir / "jsonl"), "format": "jsonl"},
            {"path": str(bad_dir / "missing"), "format": "html"},
        ],
    }
    path = write_config(tmp_path, cfg)
    assert cli(["--store", str(tmp_path / "store"), "curate", path]) == 0
    out = capsys.readouterr().out
    assert "quarantined (10)" in out
    report = run_curate(path, Store(tmp_path / "store"))  # resumed: same numbers, nothing re-done
    assert report.quarantined == {
        "empty_file": 1,
        "undecodable": 1,
        "binary_content": 1,
        "bad_gzip": 1,
        "too_large": 1,
        "truncated_record": 1,
        "malformed_json": 1,
        "missing_text": 2,
        "missing_input": 1,
    }
    assert report.processed == 4  # good.html, latin1.html (charset detected) + the two good JSONL lines
    lines = [json.loads(x) for x in Path(report.quarantine_path).read_text(encoding="utf-8").splitlines()]
    assert all(re.search(r":\d+$", x["where"]) for x in lines if x["reason"] != "missing_input")


def test_exit_status_is_nonzero_only_when_nothing_was_processed(bad_dir, tmp_path, capsys):
    only_bad = tmp_path / "only_bad"
    only_bad.mkdir()
    for name in ("empty.html", "noise.html"):
        shutil.copy(bad_dir / "html" / name, only_bad / name)
    path = write_config(
        tmp_path,
        {
            "dataset": "nothing",
            "workers": 1,
            "decontam": {"enabled": False},
            "inputs": [{"path": str(only_bad), "format": "html"}],
        },
    )
    assert cli(["--store", str(tmp_path / "store"), "curate", path]) == 1
    assert "kept 0 of 0 documents" in capsys.readouterr().out
    with gzip.open(tmp_path / "x.gz", "wb") as f:
        f.write(b"ok")
    missing = write_config(
        tmp_path, {"inputs": [{"path": str(tmp_path / "nope"), "format": "html"}]}, "m.yaml"
    )
    assert cli(["--store", str(tmp_path / "store"), "curate", missing]) == 2  # clean one-line error


def test_parquet_rows_are_read_and_a_corrupt_file_is_quarantined(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curation.readers import ParquetRecordReader

    (tmp_path / "pq").mkdir()
    texts = [
        (EXAMPLES / "niah/apple.txt").read_text()[:2000],
        (EXAMPLES / "niah/bias.txt").read_text()[:2000],
    ]
    pq.write_table(
        pa.table({"text": texts, "url": ["https://a.example/1", "https://a.example/2"]}),
        tmp_path / "pq" / "ok.parquet",
    )
    (tmp_path / "pq" / "broken.parquet").write_bytes(b"PAR1" + b"\x00garbage" * 100)
    docs, items = _read(ParquetRecordReader(str(tmp_path / "pq"), str(tmp_path), "pq"))
    assert [d.metadata["source"].rsplit("/", 1)[1] for d in docs] == ["ok.parquet:0", "ok.parquet:1"]
    assert [d.metadata["url"] for d in docs] == ["https://a.example/1", "https://a.example/2"]
    assert [(Path(i["where"]).name, i["reason"]) for i in items] == [
        ("broken.parquet:0", "unreadable_parquet")
    ]


def test_a_corrupt_warc_record_is_quarantined_and_the_other_files_are_read(tmp_path):
    (tmp_path / "warc").mkdir()
    # warcio raises AttributeError (not ArchiveLoadFailed) for a response record without WARC-Target-URI
    broken = (
        (EXAMPLES / "web/warc/example.warc").read_bytes().replace(b"WARC-Target-URI", b"WARC-Target-URX", 1)
    )
    good_first = (EXAMPLES / "web/warc/example-iana.org-chunked.warc").read_bytes()
    (tmp_path / "warc" / "a_bad.warc").write_bytes(good_first + broken)
    shutil.copy(EXAMPLES / "web/warc/example.warc.gz", tmp_path / "warc" / "b_good.warc.gz")
    docs, items = _read(WarcRecordReader(str(tmp_path / "warc"), str(tmp_path), "warc"))
    assert [d.metadata["url"] for d in docs] == ["http://www.iana.org/", "http://example.com/"]
    assert [(Path(i["where"]).name.split(":")[0], i["reason"]) for i in items] == [
        ("a_bad.warc", "corrupt_warc")
    ]
    assert "AttributeError" in items[0]["detail"]
    assert int(items[0]["where"].rsplit(":", 1)[1]) >= len(
        good_first
    )  # the broken record, not the file start


def test_a_gzip_that_fails_before_its_first_line_is_quarantined_once(tmp_path):
    (tmp_path / "jsonl").mkdir()
    (tmp_path / "jsonl" / "bad.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"this is not deflate data" * 20)
    docs, items = _read(JsonlRecordReader(str(tmp_path / "jsonl"), str(tmp_path), "jsonl"))
    assert docs == [] and [(Path(i["where"]).name, i["reason"]) for i in items] == [
        ("bad.jsonl.gz:0", "bad_gzip")
    ]


def test_a_wrong_parquet_text_key_is_one_config_error_naming_file_and_columns(tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from curation.readers import ParquetRecordReader

    (tmp_path / "pq").mkdir()
    texts = [(EXAMPLES / "niah/apple.txt").read_text()[:2000]] * 50
    pq.write_table(
        pa.table({"content": texts, "url": ["https://a.example/x"] * 50}), tmp_path / "pq" / "rows.parquet"
    )
    docs, items = _read(ParquetRecordReader(str(tmp_path / "pq"), str(tmp_path), "pq", text_key="body"))
    assert docs == [] and len(items) == 1  # one line for the file, not one per row
    assert items[0]["reason"] == "missing_text_column" and "content, url" in items[0]["detail"]
    path = write_config(
        tmp_path,
        {
            "dataset": "pq",
            "decontam": {"enabled": False},
            "inputs": [{"path": str(tmp_path / "pq"), "format": "parquet", "text_key": "body"}],
        },
    )
    assert cli(["--store", str(tmp_path / "store"), "curate", path]) == 2
    err = capsys.readouterr().err
    assert "rows.parquet" in err and "'body'" in err and "columns: content, url" in err, err
