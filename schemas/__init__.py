"""Typed records shared by every stage. Imports nothing else from the project.

One file per concept; each record has a `schema_version`, an Arrow schema, and JSON / Arrow / Parquet
round-trips with clear errors (see `records.py`).
"""

from schemas.chat_format import parse_exaone_chat, render_exaone_chat
from schemas.errors import SchemaError
from schemas.message import Message, ToolCall
from schemas.mixture import Manifest, ManifestEntry, MixtureComponent, MixtureSpec
from schemas.preference import PreferencePair
from schemas.records import read_parquet_records, records_from_arrow, records_to_arrow, write_parquet_records
from schemas.response_meta import ResponseMeta
from schemas.seed import SeedProblem
from schemas.sft import DOMAINS, MODES, Lineage, SFTSample, Verdict
from schemas.web import WebDocument

__all__ = [
    "DOMAINS",
    "MODES",
    "Lineage",
    "Manifest",
    "ManifestEntry",
    "Message",
    "MixtureComponent",
    "MixtureSpec",
    "PreferencePair",
    "ResponseMeta",
    "SFTSample",
    "SchemaError",
    "SeedProblem",
    "ToolCall",
    "Verdict",
    "WebDocument",
    "parse_exaone_chat",
    "read_parquet_records",
    "records_from_arrow",
    "records_to_arrow",
    "render_exaone_chat",
    "write_parquet_records",
]
