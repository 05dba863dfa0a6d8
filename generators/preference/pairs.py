"""Responses (SFTSample, one per response, grouped by metadata.query_id) → PreferencePair records."""

from __future__ import annotations

from datamill.ids import sample_id
from datamill.jobs import JobReport
from datamill.tokens import count_chat_tokens, count_tokens
from filters.language_consistency import SCRIPTS, LanguageConsistencyFilter
from generators.preference.config import PreferenceConfig
from generators.preference.reward import Scored, score_group, select_pair
from schemas import Lineage, Message, PreferencePair, SFTSample
from schemas.response_meta import QUERY_ID  # the math/code/logic generators write it on every response


def split_response(s: SFTSample) -> tuple[list[Message], list[Message]]:
    """(prompt, response): the messages before the last user turn's answer, and that answer's turns."""
    last_user = (
        max(i for i, m in enumerate(s.messages) if m.role in ("user", "tool"))
        if any(m.role in ("user", "tool") for m in s.messages)
        else -1
    )
    return s.messages[: last_user + 1], s.messages[last_user + 1 :]


def response_text(msgs: list[Message]) -> str:
    return "\n".join(
        ((m.reasoning_content or "") + "\n" + m.content).strip() for m in msgs if m.role == "assistant"
    )


def group_by_query(records: list[SFTSample], report: JobReport) -> dict[str, list[SFTSample]]:
    groups: dict[str, list[SFTSample]] = {}
    for r in records:
        qid = r.metadata.get(QUERY_ID)
        if not qid:
            report.add_drop("no_query_id")
            continue
        groups.setdefault(str(qid), []).append(r)
    return {q: sorted(g, key=lambda r: r.id) for q, g in sorted(groups.items())}


def build_pair(
    qid: str,
    group: list[SFTSample],
    cfg: PreferenceConfig,
    run_id: str,
    report: JobReport,
    lang_filter: LanguageConsistencyFilter | None = None,
) -> PreferencePair | None:
    if len(group) < cfg.min_responses:
        report.add_drop("too_few_responses")
        return None
    lang_filter = lang_filter or LanguageConsistencyFilter()
    splits = [split_response(r) for r in group]
    answers = [" ".join(m.content for m in resp if m.role == "assistant") for _, resp in splits]
    lengths = count_tokens([response_text(resp) for _, resp in splits])
    scored = []
    for r, ans, n in zip(group, answers, lengths):
        lang_ok = None
        if cfg.weights.language > 0 and r.language in SCRIPTS:
            lang_ok = lang_filter.filter(ans, r.language) is True
        scored.append(
            Scored(
                id=r.id,
                correct=r.passed,
                length=n,
                language_ok=lang_ok,
                judge=r.scores.get(cfg.judge_score_key),
            )
        )
    score_group(scored, cfg.weights)
    picked = select_pair(scored, cfg.selection, cfg.min_margin)
    if isinstance(picked, str):
        report.add_drop(picked)
        return None
    chosen, rejected = picked
    by_id = {r.id: (r, sp) for r, sp in zip(group, splits)}
    c_rec, (prompt, c_resp) = by_id[chosen.id]
    _, (_, r_resp) = by_id[rejected.id]
    pid = sample_id(cfg.dataset, run_id, qid, chosen.id, rejected.id)
    tokens = count_chat_tokens(prompt + c_resp) + count_chat_tokens(prompt + r_resp)
    return PreferencePair(
        id=pid,
        query_id=qid,
        domain=c_rec.domain,
        language=c_rec.language,
        prompt=prompt,
        chosen=c_resp,
        rejected=r_resp,
        chosen_id=chosen.id,
        rejected_id=rejected.id,
        chosen_reward=chosen.reward,
        rejected_reward=rejected.reward,
        reward_components={s.id: s.parts for s in scored},
        num_tokens=tokens,
        license=c_rec.license,
        lineage=Lineage(
            parent_ids=[chosen.id, rejected.id],
            source=f"preference:{c_rec.dataset}:{qid}",
            params={"selection": cfg.selection, "weights": cfg.weights.model_dump()},
        ),
        metadata={
            "responses": len(group),
            "correct": sum(s.correct for s in scored),
            "mode": c_rec.mode,
            "rewards": {s.id: s.reward for s in scored},
        },
    )
