"""Build a mixture: per component, split its budget into (mode, language) cells, fill each cell from the
seeded candidate order, repeat for epochs, then enforce the global reasoning:non-reasoning ratio.

Cells: when a reasoning ratio is set, mode ∈ {reasoning, non_reasoning, ""} ("" = no mode, e.g. web documents,
which do not count toward the ratio); when language shares are set, language ∈ named ones + OTHER. A linear
program (`budget.allocate_cells`) decides how many tokens each cell gives, from what each cell has available.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from datamill.mixing.budget import OTHER, allocate_cells, fill, repeat_plan
from datamill.mixing.select import Candidates, check_select_values, fetch_candidates
from schemas.mixture import ManifestEntry, MixtureComponent, MixtureSpec

MODES = ("reasoning", "non_reasoning")


@dataclass
class ComponentResult:
    name: str
    role: str
    asked: int
    epochs: float
    cands: Candidates
    cells: dict[tuple[str | None, str | None], float] = field(default_factory=dict)  # cell → tokens asked
    entries: list[ManifestEntry] = field(default_factory=list)
    cell_selected: dict = field(default_factory=dict)  # cell → tokens selected
    notes: list[str] = field(default_factory=list)
    taken_earlier: int = 0  # candidates this component could not use: an earlier component had taken them

    @property
    def selected(self) -> int:
        return int(sum(e.tokens for e in self.entries))

    @property
    def available(self) -> int:
        return int(self.cands.cols["tokens"].sum())


def _cell_mask(c: Candidates, mode: str | None, lang: str | None, named: set[str]) -> np.ndarray:
    mask = np.ones(len(c), dtype=bool)
    if mode is not None:
        mask &= c.cols["mode"] == mode
    if lang == OTHER:
        mask &= ~np.isin(c.cols["language"], list(named))
    elif lang is not None:
        mask &= c.cols["language"] == lang
    return mask


def _plan_cells(spec: MixtureSpec, results: list[ComponentResult], comps: list[MixtureComponent]) -> None:
    """Fill ComponentResult.cells: tokens (repeats included) each (mode, language) cell should give."""
    modes = [*MODES, ""] if spec.reasoning_ratio is not None else [None]
    named = set(spec.language_shares)
    langs = [*sorted(named), OTHER] if named else [None]
    budgets, caps = {}, {}
    for r, comp in zip(results, comps):
        budgets[r.name] = float(r.asked)
        for m in modes:
            for lg in langs:
                avail = float(r.cands.cols["tokens"][_cell_mask(r.cands, m, lg, named)].sum())
                caps[(r.name, m, lg)] = (
                    (float(r.asked) if comp.upsample else avail * comp.epochs) if avail else 0.0
                )
    x = allocate_cells(budgets, caps, spec.reasoning_ratio, spec.ratio_priority, spec.language_shares)
    for r in results:
        r.cells = {(k[1], k[2]): v for k, v in x.items() if k[0] == r.name and v > 0}


def _fill_cell(
    spec: MixtureSpec, r: ComponentResult, comp: MixtureComponent, cell, budget: float, taken: set[str]
) -> list[ManifestEntry]:
    mode, lang = cell
    mask = _cell_mask(r.cands, mode, lang, set(spec.language_shares))
    if taken:
        gone = mask & np.isin(
            r.cands.cols["id"], list(taken)
        )  # a sample goes to the first component that takes it
        r.taken_earlier += int(gone.sum())
        mask &= ~gone
    c = r.cands.take(mask)
    tokens = c.cols["tokens"]
    epochs = comp.epochs
    unique_budget = budget / epochs
    if comp.upsample and 0 < tokens.sum() < unique_budget * (1 - spec.tolerance):
        epochs = budget / float(tokens.sum())
        unique_budget = float(tokens.sum())
        r.notes.append(f"cell {cell}: upsampled ×{epochs:.2f}")
    idx = fill(tokens, unique_budget)
    entries = []
    for rep, sub in repeat_plan(tokens[idx], epochs):
        for i in idx[sub].tolist():
            entries.append(
                ManifestEntry(
                    id=c.cols["id"][i],
                    dataset=c.cols["dataset"][i],
                    shard=c.cols["shard"][i],
                    row=int(c.cols["row"][i]),
                    component=r.name,
                    repeat=rep,
                    tokens=int(tokens[i]),
                    kind=c.cols["kind"][i],
                    mode=c.cols["mode"][i] or None,
                    language=c.cols["language"][i] or None,
                )
            )
    return entries


def _select_all(spec: MixtureSpec, results, comps) -> None:
    taken: set[str] = set()
    for r, comp in zip(results, comps):
        r.entries, r.cell_selected, r.taken_earlier = [], {}, 0
        for cell in sorted(r.cells, key=lambda k: (str(k[0]), str(k[1]))):
            got = _fill_cell(spec, r, comp, cell, r.cells[cell], taken)
            r.cell_selected[cell] = sum(e.tokens for e in got)
            r.entries += got
        taken |= {e.id for e in r.entries}


def mode_tokens(results: list[ComponentResult]) -> dict[str, int]:
    out = {m: 0 for m in MODES}
    for r in results:
        for e in r.entries:
            if e.mode in out:
                out[e.mode] += e.tokens
    return out


def build(spec: MixtureSpec, con, progress=None) -> list[ComponentResult]:
    """Select every component's samples (deterministic in spec + catalog)."""
    check_select_values(con, spec)
    comps = list(spec.components)
    results = []
    for comp in comps:
        results.append(
            ComponentResult(
                comp.name, comp.role, spec.budget(comp), comp.epochs, fetch_candidates(con, spec, comp)
            )
        )
        if progress:
            progress(comp.name)
    _plan_cells(spec, results, comps)
    _select_all(spec, results, comps)
    r_target = spec.reasoning_ratio
    if r_target is None or not spec.ratio_priority:
        return results
    for _ in range(3):  # data short in one mode: trim the other mode's cells so the ratio holds
        mt = mode_tokens(results)
        if not mt["reasoning"] or not mt["non_reasoning"]:
            break
        actual = mt["reasoning"] / mt["non_reasoning"]
        if abs(actual / r_target - 1) <= spec.tolerance / 2:
            break
        side, factor = (
            ("reasoning", r_target / actual) if actual > r_target else ("non_reasoning", actual / r_target)
        )
        for r, comp in zip(results, comps):
            for cell in r.cells:
                if cell[0] == side:
                    r.cells[cell] = r.cell_selected.get(cell, 0) * factor
                    note = f"{side} cells trimmed ×{factor:.3f} to keep the reasoning ratio {r_target}:1"
                    if note not in r.notes:
                        r.notes.append(note)
        _select_all(spec, results, comps)
    return results
