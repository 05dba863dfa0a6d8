"""store/catalog.duckdb: datasets, shards, samples (one row each), audits, mixtures.

Connections are short-lived: a batch job opens the catalog only to register a finished shard (one
transaction), so dashboards, reviewers and other jobs get their turn; a locked catalog is retried with
backoff (DuckDB allows one writing process at a time).
"""

from __future__ import annotations

import contextlib
import random
import time
from pathlib import Path

import duckdb

from datamill.errors import DatamillError

# Bump whenever DDL changes: a catalog at this version is opened without running DDL, because even the no-op
# `CREATE … IF NOT EXISTS` / `CREATE OR REPLACE VIEW` statements are writes that clash with concurrent transactions
# of other connections in the same process (a dashboard's reviewers: write-write conflict on latest_audits).
SCHEMA_VERSION = 2
DDL = """
CREATE TABLE IF NOT EXISTS datasets (
  name VARCHAR, run_id VARCHAR, kind VARCHAR, version VARCHAR, config_hash VARCHAR, code_version VARCHAR,
  parents VARCHAR[], config_json VARCHAR, status VARCHAR, created_at TIMESTAMP, finished_at TIMESTAMP,
  PRIMARY KEY (name, run_id));
CREATE TABLE IF NOT EXISTS shards (
  path VARCHAR PRIMARY KEY, dataset VARCHAR, run_id VARCHAR, part INTEGER, kind VARCHAR, rows BIGINT,
  bytes BIGINT, checksum VARCHAR, created_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS samples (
  id VARCHAR PRIMARY KEY, dataset VARCHAR, run_id VARCHAR, shard VARCHAR, "row" INTEGER, kind VARCHAR,
  domain VARCHAR, language VARCHAR, mode VARCHAR, tokens BIGINT, passed BOOLEAN, verdicts VARCHAR,
  scores MAP(VARCHAR, DOUBLE), edu_score DOUBLE, contaminated BOOLEAN, parent_ids VARCHAR[], source VARCHAR,
  license VARCHAR, preview VARCHAR, contamination VARCHAR);
-- catalogs written before the column existed get it (appended last, where the projections put it)
ALTER TABLE samples ADD COLUMN IF NOT EXISTS contamination VARCHAR;
CREATE SEQUENCE IF NOT EXISTS audit_seq;
CREATE TABLE IF NOT EXISTS audits (
  audit_id BIGINT DEFAULT nextval('audit_seq'), sample_id VARCHAR, decision VARCHAR, reason VARCHAR,
  reviewer VARCHAR, ts TIMESTAMP);
CREATE TABLE IF NOT EXISTS mixtures (
  name VARCHAR, spec_hash VARCHAR, manifest_path VARCHAR, manifest_sha256 VARCHAR, samples BIGINT,
  tokens BIGINT, catalog_state VARCHAR, created_at TIMESTAMP, PRIMARY KEY (name, spec_hash));
CREATE OR REPLACE VIEW latest_audits AS
  SELECT * EXCLUDE (rn) FROM (
    SELECT *, row_number() OVER (PARTITION BY sample_id ORDER BY ts DESC, audit_id DESC) AS rn FROM audits)
  WHERE rn = 1;
"""

# Per record kind: how a shard's rows project onto catalog `samples` columns (run in DuckDB, no Python loop).
PROJECTIONS = {
    "sft": """id, dataset, domain, language, mode, num_tokens AS tokens,
        coalesce(list_bool_and(list_transform(verdicts, lambda v: v.passed)), true) AS passed,
        to_json(verdicts)::VARCHAR AS verdicts, scores,
        scores['edu'] AS edu_score, coalesce(json_extract(metadata, '$.contaminated')::BOOLEAN, false) AS contaminated,
        lineage.parent_ids AS parent_ids, lineage.source AS source, license,
        left(coalesce(list_filter(messages, lambda m: m.role = 'user')[1].content, ''), 300) AS preview,
        json_extract(metadata, '$.contamination')::VARCHAR AS contamination""",
    # a rejected web document carries metadata.drop = {"filter": …, "reason": …} (curation exclusion shards)
    "web": """id, dataset, 'web' AS domain, language, NULL AS mode, num_tokens AS tokens,
        json_extract(metadata, '$.drop') IS NULL AS passed,
        CASE WHEN json_extract(metadata, '$.drop') IS NULL THEN NULL ELSE json_array(json_object(
          'verifier', json_extract_string(metadata, '$.drop.filter'), 'passed', false,
          'reason', json_extract_string(metadata, '$.drop.reason'),
          'details', coalesce(json_extract(metadata, '$.contamination')::VARCHAR, '{}')))::VARCHAR END AS verdicts,
        quality_scores AS scores, edu_score, contaminated,
        []::VARCHAR[] AS parent_ids, coalesce(nullif(url, ''), source) AS source, license, left(text, 300) AS preview,
        json_extract(metadata, '$.contamination')::VARCHAR AS contamination""",
    "preference": """id, dataset, domain, language, NULL AS mode, num_tokens AS tokens, true AS passed,
        NULL AS verdicts, MAP {'chosen_reward': chosen_reward, 'rejected_reward': rejected_reward} AS scores,
        NULL AS edu_score, false AS contaminated, [chosen_id, rejected_id] AS parent_ids, lineage.source AS source,
        license, left(coalesce(list_filter(prompt, lambda m: m.role = 'user')[1].content, ''), 300) AS preview,
        NULL::VARCHAR AS contamination""",
}


class CatalogBusy(DatamillError, RuntimeError):
    """Another process holds the catalog longer than we wait: retry when it is done."""


def _is_lock_error(e: Exception) -> bool:
    msg = str(e).lower()
    return "lock" in msg or "conflicting" in msg or "being used" in msg


@contextlib.contextmanager
def connect(path: str | Path, read_only: bool = False, timeout_s: float = 120.0):
    """Open the catalog (creating tables on first write), retrying while another process holds the lock."""
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"no catalog at {path} (run `datamill index` or a job first)")
    deadline = time.monotonic() + timeout_s
    delay = 0.02
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as e:
            if not _is_lock_error(e) and ("ermission" in str(e) or "ead-only" in str(e) or "space" in str(e)):
                raise PermissionError(f"cannot open catalog {path} for writing: {e}") from None
            if not _is_lock_error(e) or time.monotonic() > deadline:
                raise CatalogBusy(f"catalog {path} is locked by another process: {e}") from e
            time.sleep(delay * (1 + random.random()))
            delay = min(delay * 2, 0.5)
    try:
        if not read_only:
            _ensure_schema(con)
        yield con
    finally:
        con.close()


def _ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create or upgrade the tables (one transaction) unless the catalog is at SCHEMA_VERSION already (a pure read)."""
    try:
        if con.execute("SELECT max(schema_version) FROM catalog_meta").fetchone()[0] == SCHEMA_VERSION:
            return
    except duckdb.CatalogException:  # a new catalog, or one older than catalog_meta
        pass
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(DDL)
        con.execute("CREATE TABLE IF NOT EXISTS catalog_meta (schema_version INTEGER)")
        con.execute("DELETE FROM catalog_meta")
        con.execute("INSERT INTO catalog_meta VALUES (?)", [SCHEMA_VERSION])
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def register_shard(con: duckdb.DuckDBPyConnection, store_root: Path, shard: dict, kind: str) -> None:
    """Insert one finished shard and its sample rows in a single transaction (all or nothing)."""
    abs_path = str(store_root / shard["path"])
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM samples WHERE shard = ?", [shard["path"]])
        con.execute("DELETE FROM shards WHERE path = ?", [shard["path"]])
        con.execute(
            "INSERT INTO shards VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
            [
                shard["path"],
                shard["dataset"],
                shard["run_id"],
                shard["part"],
                kind,
                shard["rows"],
                shard["bytes"],
                shard["checksum"],
            ],
        )
        con.execute(
            f"""INSERT INTO samples
            SELECT p.id, p.dataset, ? AS run_id, ? AS shard, p.file_row_number::INTEGER AS "row", ? AS kind,
                   p.* EXCLUDE (id, dataset, file_row_number)
            FROM (SELECT {PROJECTIONS[kind]}, file_row_number FROM read_parquet(?, file_row_number = true)) p""",
            [shard["run_id"], shard["path"], kind, abs_path],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
