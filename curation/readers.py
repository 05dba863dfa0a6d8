"""Readers for WARC, HTML directories, JSONL and Parquet (datatrove BaseDiskReader subclasses: files are split
among tasks by datatrove). Every document gets metadata source = "file:offset" (WARC: record offset in the file;
JSONL: byte offset of the line, in the decompressed stream for .gz; Parquet: row number; HTML: 0).

Unlike datatrove's own readers, nothing bad is dropped silently: unreadable files and records (truncated or
corrupt WARC/gzip, binary or non-UTF-8 content, empty files, oversized documents, malformed JSON lines) are
written to a quarantine JSONL with file:offset and reason, and the task goes on. Pages that are not UTF-8 are
decoded with their declared charset, else the one charset-normalizer detects.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from pathlib import Path

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.readers.base import BaseDiskReader

from datamill.readers import Quarantine
from schemas.web import META_HTML, META_LICENSE, META_SOURCE, META_URL

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*([A-Za-z0-9_\-]+)", re.IGNORECASE)


class QuarantineLog:
    """Quarantined items of one reader in one task (datamill.readers.Quarantine records: file:byte offset)."""

    def __init__(self, folder: str, name: str):
        self.folder, self.name = str(folder), name
        self.log = Quarantine()

    @property
    def items(self) -> list[dict]:
        return self.log.items

    def add(self, path: str, offset: int | str, reason: str, detail: str = "") -> None:
        self.log.add(path, None, offset, reason, detail)

    def flush(self, rank: int) -> None:
        self.log.write(Path(self.folder) / f"{self.name}-{rank:05d}.jsonl")


def decode_html(data: bytes, declared: str | None = None) -> str | None:
    """UTF-8, else the charset the HTTP header or a <meta> tag declares, else the one charset-normalizer detects;
    None only when nothing decodes (charset-normalizer finds no encoding under its default 20% "mess" ratio)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    # a UTF-8 page with a few broken sequences (a teaser cut inside a character) is still UTF-8: its valid
    # multi-byte characters far outnumber the errors, while in a latin-1/cp1252 page every non-ASCII byte is one
    if bad <= 8 and sum(1 for c in text if c > "\x7f") - bad >= 20 * bad:
        return text
    m = _META_CHARSET.search(data[:8192])
    for cs in (declared, m.group(1).decode("ascii") if m else None):
        if cs and cs.lower().replace("_", "-") not in ("utf-8", "utf8"):
            try:
                return data.decode(cs)
            except (UnicodeDecodeError, LookupError):
                continue
    return detect_and_decode(data)


def detect_and_decode(data: bytes) -> str | None:
    """Pages without a (working) declared charset: latin-1, cp1252, EUC-KR… are common on the web. Only reached
    for bytes that are not UTF-8, so the detector's cost is paid by few pages."""
    from charset_normalizer import from_bytes

    results = from_bytes(data)
    best = results.best()
    if best is None:
        return None
    # short pages often tie (same chaos and coherence) between single-byte code pages; windows-1252 is the
    # HTML Standard's fallback encoding for undeclared pages in most locales (html.spec.whatwg.org, "determining
    # the character encoding", step 9), so it wins a tie
    tied = [r for r in results if (r.chaos, r.coherence) == (best.chaos, best.coherence)]
    return str(next((r for r in tied if r.encoding == "cp1252"), best))


def looks_binary(data: bytes) -> bool:
    return b"\x00" in data[:8192]


class CurationReader(BaseDiskReader):
    """Shared parts: file:offset sources, quarantine, size limit; subclasses implement `read_items`."""

    fmt = ""

    def __init__(
        self,
        data_folder: str,
        quarantine_dir: str,
        name: str,
        glob: str | None = None,
        license: str = "",
        max_doc_bytes: int = 10_000_000,
        source_root: str | None = None,
        **kw,
    ):
        super().__init__(data_folder, glob_pattern=glob, **kw)
        # the input path as configured: sources (and so ids) do not depend on where the checkout is
        self.source_root = str(source_root or data_folder).rstrip("/")
        self.quarantine_dir, self.qname = quarantine_dir, name
        self.license, self.max_doc_bytes = license, max_doc_bytes
        self.quarantine: QuarantineLog | None = None

    def make_doc(
        self,
        text: str,
        path: str,
        offset: int | str,
        url: str = "",
        is_html: bool = True,
        extra: dict | None = None,
    ) -> Document:
        src = f"{self.source_root}/{path}:{offset}"
        meta = {
            META_SOURCE: src,
            META_URL: url or "",
            META_LICENSE: self.license,
            META_HTML: is_html,
            "input_format": self.fmt,
            **(extra or {}),
        }
        return Document(text=text, id=src, metadata=meta)

    def bad(self, path: str, offset: int | str, reason: str, detail: str = "") -> None:
        self.stat_update(f"quarantined_{reason}")
        self.quarantine.add(f"{self.source_root}/{path}", offset, reason, detail)

    def read_file(self, filepath: str) -> DocumentsPipeline:
        try:
            yield from self.read_items(filepath)
        except (OSError, EOFError, zlib.error, ValueError) as e:  # whole-file failures not caught per record
            self.bad(filepath, getattr(e, "offset", 0), "unreadable_file", f"{type(e).__name__}: {e}")

    def read_items(self, filepath: str) -> DocumentsPipeline:
        raise NotImplementedError

    def run(self, data: DocumentsPipeline = None, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self.quarantine = QuarantineLog(self.quarantine_dir, self.qname)
        yield from super().run(data, rank, world_size)
        self.quarantine.flush(rank)


class HtmlFileReader(CurationReader):
    """One document per HTML file (.html, .htm, .html.gz)."""

    name = "📄 HTML files"
    fmt = "html"

    def read_items(self, filepath: str) -> DocumentsPipeline:
        with self.data_folder.open(filepath, "rb") as f:
            head = f.read(2)
            f.seek(0)
            if head == b"\x1f\x8b":
                try:
                    data = gzip.GzipFile(fileobj=f).read(self.max_doc_bytes + 1)
                except (OSError, EOFError, zlib.error) as e:
                    return self.bad(filepath, 0, "bad_gzip", str(e))
            else:
                data = f.read(self.max_doc_bytes + 1)
        if not data.strip():
            return self.bad(filepath, 0, "empty_file")
        if len(data) > self.max_doc_bytes:
            return self.bad(filepath, 0, "too_large", f"> {self.max_doc_bytes} bytes")
        if looks_binary(data):
            return self.bad(filepath, 0, "binary_content")
        html = decode_html(data)
        if html is None:
            return self.bad(
                filepath, 0, "undecodable", "not UTF-8, no usable declared charset, none detected"
            )
        yield self.make_doc(html, filepath, 0)


class WarcRecordReader(CurationReader):
    """HTML response/resource records of WARC files (gzip per record or plain); warcio parses."""

    name = "🕷 WARC records"
    fmt = "warc"
    _requires_dependencies = ("warcio",)

    def read_items(self, filepath: str) -> DocumentsPipeline:
        from warcio.archiveiterator import ArchiveIterator
        from warcio.exceptions import ArchiveLoadFailed

        offset, n = 0, 0
        with self.data_folder.open(filepath, "rb") as f:
            if not f.read(1):
                return self.bad(filepath, 0, "empty_file")
            f.seek(0)
            it = ArchiveIterator(f, no_record_parse=False)
            try:
                for record in it:
                    data = record.content_stream().read(self.max_doc_bytes + 1)  # before get_record_offset
                    offset = it.get_record_offset()
                    n += 1
                    doc = self.record_to_doc(record, data, filepath, offset)
                    if doc is not None:
                        yield doc
            except (
                ArchiveLoadFailed,
                OSError,
                EOFError,
                zlib.error,
                ValueError,
                AttributeError,
                TypeError,
                KeyError,
                IndexError,
            ) as e:
                # warcio has no single error type for a broken record: a response without WARC-Target-URI
                # raises AttributeError (recordloader.load_http_headers: None.startswith), bad numbers
                # ValueError. The stream position after a bad record is unknown, so the rest of this file is
                # given up (records before it were read) and the task goes on with the next file.
                self.bad(
                    filepath,
                    offset,
                    "corrupt_warc" if n else "not_a_warc",
                    f"{type(e).__name__}: {str(e).strip()[:200]}",
                )

    def record_to_doc(self, record, data: bytes, filepath: str, offset: int) -> Document | None:
        if record.rec_type not in ("response", "resource", "conversion"):
            return None
        ctype = (
            (record.http_headers.get_header("Content-Type") if record.http_headers else None)
            or record.content_type
            or ""
        )
        if record.rec_type != "conversion" and "html" not in ctype.lower():
            self.stat_update("skipped_non_html")
            return None
        url = record.rec_headers.get_header("WARC-Target-URI") or ""
        if len(data) > self.max_doc_bytes:
            self.bad(filepath, offset, "too_large", url)
            return None
        if getattr(record.raw_stream, "limit", 0) > 0:  # fewer bytes than Content-Length: the file was cut
            self.bad(filepath, offset, "truncated_record", url)
            return None
        if not data.strip():
            self.stat_update("skipped_empty_record")
            return None
        if looks_binary(data):
            self.bad(filepath, offset, "binary_content", url)
            return None
        m = _HEADER_CHARSET.search(ctype)
        html = decode_html(data, m.group(1) if m else None)
        if html is None:
            self.bad(filepath, offset, "undecodable", url)
            return None
        date = record.rec_headers.get_header("WARC-Date") or ""
        return self.make_doc(
            html, filepath, offset, url=url, is_html=record.rec_type != "conversion", extra={"date": date}
        )


class JsonlRecordReader(CurationReader):
    """One document per JSON line; `text_key` holds text (or HTML when is_html)."""

    name = "🐿 JSONL records"
    fmt = "jsonl"

    def __init__(self, *a, text_key: str = "text", url_key: str = "url", is_html: bool = False, **kw):
        super().__init__(*a, **kw)
        self.text_key_, self.url_key, self.is_html = text_key, url_key, is_html

    def read_items(self, filepath: str) -> DocumentsPipeline:
        offset = 0
        with self.data_folder.open(filepath, "rb") as raw:
            f = gzip.GzipFile(fileobj=raw) if raw.read(2) == b"\x1f\x8b" else raw
            raw.seek(0)
            try:
                for line in f:
                    start, offset = offset, offset + len(line)
                    doc = self.line_to_doc(line, filepath, start)
                    if doc is not None:
                        yield doc
            except (OSError, EOFError, zlib.error) as e:
                # one line per file: a gzip that fails before its first line is bad_gzip, not also empty_file
                return self.bad(filepath, offset, "bad_gzip", str(e))
        if offset == 0:
            self.bad(filepath, 0, "empty_file")

    def line_to_doc(self, line: bytes, filepath: str, offset: int) -> Document | None:
        if not line.strip():
            return None
        if len(line) > self.max_doc_bytes:
            self.bad(filepath, offset, "too_large", f"{len(line)} bytes")
            return None
        try:
            row = json.loads(line.decode("utf-8"))
        except UnicodeDecodeError:
            self.bad(filepath, offset, "not_utf8")
            return None
        except json.JSONDecodeError as e:
            self.bad(filepath, offset, "malformed_json", e.msg)
            return None
        text = row.get(self.text_key_) if isinstance(row, dict) else None
        if not isinstance(text, str) or not text.strip():
            self.bad(filepath, offset, "missing_text", f"no string field {self.text_key_!r}")
            return None
        extra = {
            k: v
            for k, v in row.items()
            if k not in (self.text_key_, self.url_key) and isinstance(v, (str, int, float, bool))
        }
        return self.make_doc(
            text,
            filepath,
            offset,
            url=str(row.get(self.url_key) or ""),
            is_html=self.is_html,
            extra={"input_fields": extra},
        )


class ParquetRecordReader(JsonlRecordReader):
    """One document per Parquet row (source offset = row number)."""

    name = "📒 Parquet rows"
    fmt = "parquet"

    def read_items(self, filepath: str) -> DocumentsPipeline:
        import pyarrow.parquet as pq

        row_no = 0
        with self.data_folder.open(filepath, "rb") as f:
            try:
                pf = pq.ParquetFile(f)
                columns = pf.schema_arrow.names
                if self.text_key_ not in columns:  # a config mistake, not a bad row: one line for the file
                    return self.bad(
                        filepath, 0, "missing_text_column", missing_column_message(self.text_key_, columns)
                    )
                for batch in pf.iter_batches(batch_size=1024):
                    for row in batch.to_pylist():
                        doc = self.line_to_doc(json.dumps(row, default=str).encode(), filepath, row_no)
                        row_no += 1
                        if doc is not None:
                            yield doc
            except Exception as e:  # noqa: BLE001 — pyarrow raises several types for corrupt files
                self.bad(filepath, row_no, "unreadable_parquet", f"{type(e).__name__}: {e}")


def missing_column_message(text_key: str, columns: list[str]) -> str:
    return f"text_key {text_key!r} is not a column; columns: {', '.join(columns) or '(none)'}"


def check_parquet_text_key(folder: str, glob: str | None, text_key: str) -> None:
    """Raise ConfigError naming the first readable Parquet file without the `text_key` column (run before the job,
    so a wrong key is one config error instead of one quarantine line per row); unreadable files are left to the
    reader's quarantine."""
    import pyarrow.parquet as pq
    from datatrove.io import get_datafolder

    from datamill.config import ConfigError

    df = get_datafolder(folder)
    for path in df.list_files(glob_pattern=glob, recursive=True):
        try:
            with df.open(path, "rb") as f:
                columns = pq.ParquetFile(f).schema_arrow.names
        except Exception:  # noqa: BLE001 — corrupt file: quarantined (unreadable_parquet) when read
            columns = None
        if columns is not None and text_key not in columns:
            raise ConfigError(
                f"{df.resolve_paths(path)}: {missing_column_message(text_key, columns)} "
                f"(set text_key in the input's config)"
            )
