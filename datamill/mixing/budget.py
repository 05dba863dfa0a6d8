"""Pure budget arithmetic: split component budgets across modes / languages, and fill a budget from a
seeded candidate order. No I/O; unit-tested directly."""

from __future__ import annotations

import numpy as np

OTHER = "*other*"  # languages not named in language_shares


def fill(tokens: np.ndarray, budget: float) -> np.ndarray:
    """Indices (in candidate order) whose token sum comes as close to `budget` as possible from below.

    Take the longest prefix that fits, then keep scanning in the same order and add any sample that still fits
    the gap (first-fit): the shortfall is then smaller than the smallest remaining candidate, not one sample.
    """
    tokens = np.asarray(tokens, dtype=np.int64)
    if budget <= 0 or tokens.size == 0:
        return np.zeros(0, dtype=np.int64)
    csum = np.cumsum(tokens)
    k = int(np.searchsorted(csum, budget, side="right"))
    chosen = list(range(k))
    gap = budget - (int(csum[k - 1]) if k else 0)
    if k < tokens.size and gap > 0:
        rest = np.nonzero(tokens[k:] <= gap)[0] + k
        for i in rest:
            t = int(tokens[i])
            if t <= gap:
                chosen.append(int(i))
                gap -= t
                if gap <= 0:
                    break
    return _swap_closer(tokens, np.asarray(chosen, dtype=np.int64), budget)


def _swap_closer(tokens: np.ndarray, chosen: np.ndarray, budget: float, rounds: int = 4) -> np.ndarray:
    """Shrink the gap further: swap one chosen sample for a longer unchosen one that still fits (best swap first).
    Small budgets over long samples otherwise miss the 1 % tolerance by one sample's granularity."""
    for _ in range(rounds):
        gap = budget - int(tokens[chosen].sum())
        if gap <= 0 or chosen.size == 0:
            break
        free = np.setdiff1d(np.arange(tokens.size), chosen, assume_unique=True)
        if free.size == 0:
            break
        order = np.argsort(tokens[chosen], kind="stable")
        ct = tokens[chosen][order]
        # for each free j: the smallest chosen i with t_i >= t_j - gap (gain t_j - t_i ≤ gap, as large as possible)
        pos = np.searchsorted(ct, tokens[free] - gap, side="left")
        ok = pos < ct.size
        gains = np.where(ok, tokens[free] - ct[np.minimum(pos, ct.size - 1)], -1)
        gains[gains > gap] = -1
        best = int(np.argmax(gains))
        if gains[best] <= 0:
            break
        i = chosen[order[pos[best]]]
        chosen = np.sort(np.concatenate([chosen[chosen != i], [free[best]]]))
    return chosen


def allocate_cells(
    budgets: dict[str, float],
    caps: dict[tuple[str, str, str | None], float],
    ratio: float | None = None,
    ratio_hard: bool = True,
    shares: dict[str, float] | None = None,
) -> dict[tuple[str, str, str | None], float]:
    """Tokens to take from each (component, mode, language) cell: a small linear program (HiGHS).

    Variables x_k ∈ [0, caps_k] (caps = available tokens × epochs). Each component takes at most its budget and
    pays 1 per token it is short. The reasoning:non-reasoning ratio (cells with mode "reasoning" /
    "non_reasoning") is a hard constraint when `ratio_hard` (EXAONE 4.0: too much reasoning data makes the model
    think in non-reasoning mode, so budgets give way), else a soft one; language shares are soft with weight 3
    (over budgets). Tiny per-component terms (weight 1e-3) make each component follow the ratio and shares on
    its own when it can, so the optimum is not an arbitrary vertex. Deterministic (same input → same answer).
    """
    from scipy.optimize import linprog

    shares = shares or {}
    cells = sorted((k for k, v in caps.items() if v > 0), key=lambda k: (k[0], k[1], str(k[2])))
    if not cells:
        return {}
    idx = {k: i for i, k in enumerate(cells)}
    n = len(cells)
    cost: list[float] = [0.0] * n
    bounds: list[tuple[float, float | None]] = [(0.0, min(caps[k], budgets[k[0]])) for k in cells]
    a_eq: list[list[float]] = []
    b_eq: list[float] = []

    def add_var(c: float) -> int:
        cost.append(c)
        bounds.append((0.0, None))
        for row in a_eq:
            row.append(0.0)
        return len(cost) - 1

    def add_row(coef: dict[int, float], soft_weight: float | None) -> None:
        if soft_weight is not None:  # Σ coef·x + p − q = 0, paying soft_weight per unit of p and q
            p, q = add_var(soft_weight), add_var(soft_weight)
            coef = {**coef, p: 1.0, q: -1.0}
        a_eq.append([coef.get(j, 0.0) for j in range(len(cost))])
        b_eq.append(0.0)

    comps = sorted({k[0] for k in cells})
    shorts = {}
    for c in comps:  # Σ_c x + short_c = B_c
        shorts[c] = short = add_var(1.0)
        row = {idx[k]: 1.0 for k in cells if k[0] == c}
        row[short] = 1.0
        a_eq.append([row.get(j, 0.0) for j in range(len(cost))])
        b_eq.append(float(budgets[c]))
    # fairness tie-break: the avoidable part of each shortfall ≤ z × what the component could give; small cost on z
    # spreads an unavoidable cut (e.g. the ratio caps non-reasoning tokens) over components in proportion
    reach = {
        c: min(float(budgets[c]), sum(min(caps[k], budgets[c]) for k in cells if k[0] == c)) for c in comps
    }
    z = add_var(1e-2 * sum(reach.values()))
    if ratio is not None:

        def ratio_row(ks):
            return {
                idx[k]: (1.0 if k[1] == "reasoning" else -ratio)
                for k in ks
                if k[1] in ("reasoning", "non_reasoning")
            }

        add_row(ratio_row(cells), None if ratio_hard else 1.0)
        for c in comps:
            row = ratio_row([k for k in cells if k[0] == c])
            if row:
                add_row(row, 1e-3)
    for lang, share in sorted(shares.items()):

        def lang_row(ks, lang=lang, share=share):
            return {idx[k]: (1.0 if k[2] == lang else 0.0) - share for k in ks}

        add_row(lang_row(cells), 3.0)
        for c in comps:
            add_row(lang_row([k for k in cells if k[0] == c]), 1e-3)
    a_ub = [[0.0] * len(cost) for _ in comps]
    for row, c in zip(a_ub, comps):
        row[shorts[c]], row[z] = 1.0, -reach[c]
    b_ub = [float(budgets[c]) - reach[c] for c in comps]
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
    if res.status != 0:
        raise RuntimeError(f"mixture budget allocation failed: {res.message}")
    return {k: float(res.x[idx[k]]) for k in cells}


def repeat_plan(tokens: np.ndarray, epochs: float) -> list[tuple[int, np.ndarray]]:
    """(repeat index, indices) for `epochs` passes over a selection: whole passes, then a token-prefix of it."""
    n_full = int(np.floor(epochs + 1e-9))
    frac = epochs - n_full
    plan = [(r, np.arange(tokens.size)) for r in range(n_full)]
    if frac > 1e-9 and tokens.size:
        part = fill(tokens, frac * float(np.sum(tokens)))
        if part.size:
            plan.append((n_full, np.sort(part)))
    return plan
