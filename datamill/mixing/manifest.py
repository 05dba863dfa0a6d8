"""The mixture manifest's parts (`schemas.mixture.Manifest`: JSON, byte-identical for the same spec + catalog),
the asked-vs-available report, and reading a manifest file back."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from datamill.errors import DatamillError
from datamill.mixing.mixer import ComponentResult, mode_tokens
from datamill.packing import best_fit_decreasing
from schemas.mixture import ComponentReport, Manifest, MixTotals, MixtureSpec


class MixShortfall(DatamillError, ValueError):
    """A budget cannot be met and the spec says on_shortfall: error."""


def spec_hash(spec: MixtureSpec) -> str:
    return hashlib.sha256(json.dumps(spec.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()


def catalog_state(con) -> dict:
    """Hash of the shards table (path + checksum) and of the latest audit decisions the selection saw."""
    h = hashlib.sha256()
    for path, checksum in con.execute("SELECT path, checksum FROM shards ORDER BY path").fetchall():
        h.update(f"{path}\t{checksum}\n".encode())
    a = hashlib.sha256()
    for sid, decision in con.execute(
        "SELECT sample_id, decision FROM latest_audits ORDER BY sample_id"
    ).fetchall():
        a.update(f"{sid}\t{decision}\n".encode())
    return {"catalog_state": "sha256:" + h.hexdigest(), "audit_state": "sha256:" + a.hexdigest()}


def _status(asked: int, selected: int, tol: float) -> str:
    return "ok" if abs(selected - asked) <= tol * asked else "short"


def summarize(
    spec: MixtureSpec, results: list[ComponentResult]
) -> tuple[list[ComponentReport], MixTotals, list[str]]:
    """Per-component rows, global totals, and warnings (numbers included)."""
    rows, warnings = [], []
    for r in results:
        row = ComponentReport(
            name=r.name,
            role=r.role,
            asked_tokens=r.asked,
            selected_tokens=r.selected,
            samples=len(r.entries),
            unique_samples=len({e.id for e in r.entries}),
            available_tokens=r.available,
            available_samples=len(r.cands),
            matched_samples=r.cands.matched,
            excluded=dict(sorted(r.cands.excluded.items())),
            epochs=r.epochs,
            taken_by_earlier_components=r.taken_earlier,
            status=_status(r.asked, r.selected, spec.tolerance),
            notes=list(r.notes),
        )
        rows.append(row)
        if row.status != "ok":
            warnings.append(
                f"component {r.name!r}: asked {r.asked} tokens, selected {r.selected} "
                f"({r.selected / r.asked:.1%}); available {r.available} tokens in {len(r.cands)} samples "
                f"(× epochs {r.epochs:g})"
                + (f"; {'; '.join(r.notes)}" if r.notes else "")
                + (
                    f"; {r.taken_earlier} of them already taken by earlier components (components "
                    f"overlap: each sample goes to the first)"
                    if r.taken_earlier
                    else ""
                )
            )
    mt = mode_tokens(results)
    entries = [e for r in results for e in r.entries]
    total = sum(e.tokens for e in entries)
    langs: dict[str, int] = {}
    for e in entries:
        langs[e.language or "?"] = langs.get(e.language or "?", 0) + e.tokens
    totals = MixTotals(
        samples=len(entries),
        unique_samples=len({e.id for e in entries}),
        tokens=total,
        reasoning_tokens=mt["reasoning"],
        non_reasoning_tokens=mt["non_reasoning"],
        reasoning_ratio=round(mt["reasoning"] / mt["non_reasoning"], 6) if mt["non_reasoning"] else None,
        reasoning_ratio_target=spec.reasoning_ratio,
        language_tokens=dict(sorted(langs.items())),
        language_shares={k: round(v / total, 6) for k, v in sorted(langs.items())} if total else {},
    )
    r_t, r_a = spec.reasoning_ratio, totals.reasoning_ratio
    if (
        r_t is not None
        and (mt["reasoning"] or mt["non_reasoning"])
        and (r_a is None or abs(r_a / r_t - 1) > spec.tolerance)
    ):
        warnings.append(
            f"reasoning:non-reasoning ratio {r_a if r_a is not None else 'inf'}:1, "
            f"target {r_t}:1 (reasoning {mt['reasoning']} tokens, "
            f"non-reasoning {mt['non_reasoning']})"
        )
    for lang, share in spec.language_shares.items():
        got = totals.language_shares.get(lang, 0.0)
        if abs(got - share) > spec.tolerance * max(share, 1e-9) and abs(got - share) > spec.tolerance:
            warnings.append(f"language {lang!r}: share {got:.3f} of tokens, target {share:.3f}")
    return rows, totals, warnings


def pack_long_documents(spec: MixtureSpec, results: list[ComponentResult]) -> dict:
    """Assign every long-document entry (whole, uncut) to a stage-length sequence; returns packing stats."""
    docs = [e for r in results if r.role == "long_document" for e in r.entries]
    if not docs or not spec.stage_length:
        return {}
    assign, n_bins = best_fit_decreasing([e.tokens for e in docs], spec.stage_length)
    for e, b in zip(docs, assign.tolist()):
        e.pack = b
    used = sum(e.tokens for e in docs)
    return {
        "stage_length": spec.stage_length,
        "documents": len(docs),
        "sequences": n_bins,
        "fill": round(used / (n_bins * spec.stage_length), 6),
    }


def load_manifest(path: str | Path) -> Manifest:
    """The manifest at `path`; SchemaError (a ValueError) names the file and the position or key that is wrong."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such manifest")
    return Manifest.from_json(path.read_text(encoding="utf-8"), str(path))


def report_table(rows: list[ComponentReport], totals: MixTotals, warnings: list[str]) -> str:
    head = f"{'component':<22}{'role':<20}{'asked':>11}{'selected':>11}{'%':>8}{'available':>11}{'samples':>9}  status"
    out = [head, "-" * len(head)]
    for r in rows:
        pct = r.selected_tokens / r.asked_tokens if r.asked_tokens else 0.0
        out.append(
            f"{r.name[:21]:<22}{r.role:<20}{r.asked_tokens:>11}{r.selected_tokens:>11}"
            f"{pct:>8.1%}{r.available_tokens:>11}{r.samples:>9}  {r.status}"
        )
        if r.excluded:
            out.append(f"{'':<22}excluded: " + ", ".join(f"{k}={v}" for k, v in r.excluded.items()))
    out.append("-" * len(head))
    ratio = totals.reasoning_ratio
    out.append(
        f"total {totals.tokens} tokens, {totals.samples} samples ({totals.unique_samples} unique); "
        f"reasoning:non-reasoning = {ratio if ratio is not None else '-'}:1 "
        f"(target {totals.reasoning_ratio_target})"
    )
    out.append("languages: " + ", ".join(f"{k}={v:.1%}" for k, v in totals.language_shares.items()))
    out += [f"WARNING: {w}" for w in warnings]
    return "\n".join(out)
