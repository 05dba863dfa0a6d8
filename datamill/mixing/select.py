"""Candidate selection in DuckDB: a component's predicates → its matching samples in seeded order.

Order key = md5(seed ':' id): stable across DuckDB versions, machines and catalog row order, so the same spec
over the same catalog picks the same samples. Global exclusions (rejected audits, decontamination hits, too
long) come back as flags so the report can say how many each one removed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from datamill.errors import DatamillError
from schemas.mixture import MixtureComponent, MixtureSpec, SampleFilter

# each dataset's latest complete run (datasets table), for MixtureSpec.latest_run_only
LATEST_RUN_JOIN = """LEFT JOIN (SELECT name, arg_max(run_id, created_at) AS run_id FROM datasets
                                WHERE status = 'complete' GROUP BY name) l ON l.name = s.dataset"""
COLUMNS = ("id", "dataset", "shard", "row", "kind", "mode", "language", "tokens")


@dataclass
class Candidates:
    """Matching samples of one component, in seeded order, after global exclusions."""

    cols: dict[str, np.ndarray]  # COLUMNS → arrays (object for strings)
    matched: int  # samples matching the component predicates before exclusions
    excluded: dict[str, int]  # reason → samples removed

    def __len__(self) -> int:
        return int(self.cols["tokens"].size)

    def take(self, mask: np.ndarray) -> Candidates:
        return Candidates({k: v[mask] for k, v in self.cols.items()}, self.matched, self.excluded)


def where_clause(sel: SampleFilter) -> tuple[str, list]:
    """SQL predicates (over `s` = samples, `a` = latest_audits) and their parameters."""
    parts: list[str] = []
    params: list = []
    for col in ("dataset", "run_id", "kind", "domain", "language", "mode"):
        values = getattr(sel, col)
        if values:
            parts.append(f"s.{col} IN ({', '.join('?' * len(values))})")
            params.extend(values)
    if sel.passed is not None:
        parts.append("coalesce(s.passed, false) = ?")
        params.append(sel.passed)
    for name, minimum in sorted(sel.min_scores.items()):
        parts.append("coalesce(s.scores[?], -1e300) >= ?")
        params.extend([name, minimum])
    if sel.min_edu_score is not None:
        parts.append("coalesce(s.edu_score, -1e300) >= ?")
        params.append(sel.min_edu_score)
    if sel.min_tokens is not None:
        parts.append("s.tokens >= ?")
        params.append(sel.min_tokens)
    if sel.max_tokens is not None:
        parts.append("s.tokens <= ?")
        params.append(sel.max_tokens)
    for verifier in sel.verifiers_passed:
        parts.append("""len(list_filter(coalesce(from_json(s.verdicts, '[{"verifier":"VARCHAR","passed":"BOOLEAN"}]'),
                        []), lambda v: v.verifier = ? AND v.passed)) > 0""")
        params.append(verifier)
    if sel.audit:
        parts.append(f"coalesce(a.decision, 'none') IN ({', '.join('?' * len(sel.audit))})")
        params.extend(sel.audit)
    return (" AND ".join(parts) or "true"), params


CATEGORICAL = ("dataset", "run_id", "kind", "domain", "language", "mode")


class UnknownSelectValue(DatamillError, ValueError):
    """A component selects a value that no sample in the catalog has (a typo, or data not generated yet)."""


def check_select_values(con, spec: MixtureSpec) -> None:
    """Refuse a spec naming values the catalog does not hold (e.g. `domain: [mathh]`): such a component would select
    nothing and the mixture would be silently empty. The message lists the values that exist."""
    wanted = {col: {v for c in spec.components for v in getattr(c.select, col)} for col in CATEGORICAL}
    problems = []
    for col, values in wanted.items():
        if not values:
            continue
        known = {
            r[0]
            for r in con.sql(f'SELECT DISTINCT "{col}" FROM samples WHERE "{col}" IS NOT NULL').fetchall()
        }
        for value in sorted(values - known):
            users = [c.name for c in spec.components if value in getattr(c.select, col)]
            problems.append(
                f"{col} {value!r} (component{'s' if len(users) > 1 else ''} {', '.join(users)}) matches no "
                f"sample; known {col} values: {', '.join(sorted(known)) or 'none (the catalog is empty)'}"
            )
    if problems:
        raise UnknownSelectValue(f"mixture {spec.name!r}: " + "; ".join(problems))


def fetch_candidates(con, spec: MixtureSpec, comp: MixtureComponent) -> Candidates:
    where, params = where_clause(comp.select)
    # long documents are fed whole, so the stage length is their only length limit
    max_len = spec.stage_length if comp.role == "long_document" else spec.max_tokens_per_sample
    sql = f"""
        SELECT s.id, s.dataset, s.shard, s."row", s.kind, coalesce(s.mode, '') AS mode,
               coalesce(s.language, '') AS language, coalesce(s.tokens, 0) AS tokens,
               coalesce(a.decision, '') = 'reject' AS x_rejected,
               coalesce(s.contaminated, false) AS x_contaminated,
               coalesce(s.tokens, 0) > ? AS x_too_long, coalesce(s.tokens, 0) <= 0 AS x_no_tokens,
               {"s.run_id IS DISTINCT FROM l.run_id" if spec.latest_run_only else "false"} AS x_old_run
        FROM samples s LEFT JOIN latest_audits a ON a.sample_id = s.id
        {LATEST_RUN_JOIN if spec.latest_run_only else ""}
        WHERE {where}
        ORDER BY md5(? || ':' || s.id), s.id"""
    t = con.sql(sql, params=[max_len if max_len else 2**62, *params, str(spec.seed)]).to_arrow_table()
    cols = {c: t.column(c).to_numpy(zero_copy_only=False) for c in t.column_names}
    keep = np.ones(t.num_rows, dtype=bool)
    excluded: dict[str, int] = {}
    no_contaminated = (
        spec.exclude_contaminated if comp.exclude_contaminated is None else comp.exclude_contaminated
    )
    flags = [
        ("rejected_audit", "x_rejected", spec.exclude_rejected),
        ("contaminated", "x_contaminated", no_contaminated),
        (
            "longer_than_stage" if comp.role == "long_document" else "too_long",
            "x_too_long",
            max_len is not None,
        ),
        ("no_token_count", "x_no_tokens", True),
        ("older_run", "x_old_run", spec.latest_run_only),
    ]
    for reason, col, active in flags:
        if active:
            hit = keep & cols[col].astype(bool)
            if hit.any():
                excluded[reason] = int(hit.sum())
            keep &= ~hit
    out = {c: cols[c][keep] for c in COLUMNS}
    out["tokens"] = out["tokens"].astype(np.int64)
    return Candidates(out, matched=t.num_rows, excluded=excluded)
