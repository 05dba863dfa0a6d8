"""Faceted sample filters → one parameterized SQL WHERE clause over catalog `samples` (pure, no I/O).

User input only ever travels as query parameters, never inside the SQL text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

AUDIT_STATUSES = ("any", "unaudited", "accept", "reject", "flag")
PASSED = ("any", "passed", "failed")
COLUMNS = """s.id, s.dataset, s.kind, s.domain, s.language, s.mode, s.tokens, s.passed, s.edu_score,
    s.contaminated, la.decision AS audit, s.preview, s.shard, s."row", s.verdicts"""


@dataclass
class BrowseFilter:
    datasets: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    modes: list[str] = field(default_factory=list)
    passed: str = "any"  # any | passed | failed
    verdict_reason: str = ""  # substring of a verdict's verifier/reason, e.g. "wrong_answer"
    audit: str = "any"  # any | unaudited | accept | reject | flag
    text: str = ""  # case-insensitive substring of the preview
    min_tokens: int | None = None
    max_tokens: int | None = None
    min_edu: float | None = None
    max_edu: float | None = None
    score_name: str = ""  # a key of the scores map …
    min_score: float | None = None  # … and its minimum
    exclude_ids: list[str] = field(default_factory=list)  # e.g. decisions still pending in the audit journal


def build_where(f: BrowseFilter) -> tuple[str, list]:
    """SQL condition over `s` (samples) and `la` (latest_audits), and its parameters in order."""
    conds, params = [], []
    for col, values in (
        ("dataset", f.datasets),
        ("kind", f.kinds),
        ("domain", f.domains),
        ("language", f.languages),
        ("mode", f.modes),
    ):
        if values:
            conds.append(f"list_contains(?, s.{col})")
            params.append(list(values))
    if f.passed not in PASSED:
        raise ValueError(f"passed must be one of {PASSED}, got {f.passed!r}")
    if f.passed != "any":
        conds.append("s.passed = ?")
        params.append(f.passed == "passed")
    if f.verdict_reason.strip():
        conds.append("s.verdicts ILIKE ? ESCAPE '\\'")
        params.append(f"%{_like_escape(f.verdict_reason.strip())}%")
    if f.audit not in AUDIT_STATUSES:
        raise ValueError(f"audit must be one of {AUDIT_STATUSES}, got {f.audit!r}")
    if f.audit == "unaudited":
        conds.append("la.decision IS NULL")
    elif f.audit != "any":
        conds.append("la.decision = ?")
        params.append(f.audit)
    if f.text.strip():
        conds.append("s.preview ILIKE ? ESCAPE '\\'")
        params.append(f"%{_like_escape(f.text.strip())}%")
    for expr, op, value in (
        ("s.tokens", ">=", f.min_tokens),
        ("s.tokens", "<=", f.max_tokens),
        ("s.edu_score", ">=", f.min_edu),
        ("s.edu_score", "<=", f.max_edu),
    ):
        if value is not None:
            conds.append(f"{expr} {op} ?")
            params.append(value)
    if f.score_name and f.min_score is not None:
        conds.append("s.scores[?] >= ?")
        params += [f.score_name, f.min_score]
    if f.exclude_ids:
        conds.append("NOT list_contains(?, s.id)")
        params.append(list(f.exclude_ids))
    return (" AND ".join(conds) or "true"), params


def _like_escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def page_sql(f: BrowseFilter, page: int, page_size: int) -> tuple[str, list]:
    """One page of matching samples ordered by id (LIMIT/OFFSET: DuckDB keeps a top-N heap, no full sort).
    Without an audit filter the page is cut first and only its rows are joined with latest_audits."""
    where, params = build_where(f)
    limit = f"ORDER BY s.id LIMIT {int(page_size)} OFFSET {int(page) * int(page_size)}"
    if "la." in where:
        sql = f"""SELECT {COLUMNS} FROM samples s LEFT JOIN latest_audits la ON la.sample_id = s.id
                  WHERE {where} {limit}"""
    else:
        sql = f"""SELECT {COLUMNS} FROM (SELECT * FROM samples s WHERE {where} {limit}) s
                  LEFT JOIN latest_audits la ON la.sample_id = s.id ORDER BY s.id"""
    return sql, params


def count_sql(f: BrowseFilter) -> tuple[str, list]:
    where, params = build_where(f)
    join = " LEFT JOIN latest_audits la ON la.sample_id = s.id" if "la." in where else ""
    return f"SELECT count(*) AS n FROM samples s{join} WHERE {where}", params
