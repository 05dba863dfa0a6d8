"""source: engine — n responses per query from the model, each verified, stored as SFTSample responses.

Pure parts: `load_queries` (GSM8K-style JSONL), `build_prompt`, `parse` (<think> split); the one engine call is
in `generate_responses`. Verification uses the math/code engineer's verifiers (generators.verify).
"""

from __future__ import annotations

import json
from pathlib import Path

from datamill.engine import SamplingParams
from datamill.errors import InputError
from datamill.ids import sample_id
from schemas import Lineage, Message, SFTSample
from schemas.chat_format import reasoning_and_answer


def load_queries(path: str | Path, limit: int) -> list[dict]:
    """[{query_id, question, gold}] from GSM8K-style JSONL; a bad line is an error naming file:line."""
    out = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            gold = row["answer"].rsplit("####", 1)[1].strip()
        except (json.JSONDecodeError, KeyError, IndexError, AttributeError) as e:
            raise InputError(f"{path}:{n}: not a GSM8K-style row with question / answer '… #### x' ({e})") from None
        out.append({"query_id": f"{Path(path).stem}:{n - 1}", "question": row["question"], "gold": gold})
        if len(out) >= limit:
            break
    return out


def build_prompt(q: dict) -> list[Message]:
    return [Message(role="user", content=q["question"] + "\nPut the final answer in \\boxed{}.")]


def parse(text: str) -> Message:
    think, answer = reasoning_and_answer(text, mode="structured")
    return Message(role="assistant", reasoning_content=think, content=answer or "")


def generate_responses(engine, queries: list[dict], n: int, seed: int, temperature: float, max_tokens: int,
                       reasoning: bool, verifier, dataset: str, run_id: str) -> list[SFTSample]:
    params = SamplingParams(temperature=temperature, max_tokens=max_tokens, n=n, seed=seed, reasoning=reasoning)
    prompts = [build_prompt(q) for q in queries]
    completions = engine.generate(prompts, params)
    pending = [(q, p, c) for q, p, comps in zip(queries, prompts, completions) for c in comps]
    verdicts = verifier.verify_many([(q["gold"], c.text, c.finish_reason) for q, _, c in pending]) if pending else []
    out = []
    for (q, prompt, c), v in zip(pending, verdicts):
        rid = sample_id(dataset, run_id, q["query_id"], c.prompt_id, c.index, seed)
        out.append(SFTSample(id=rid, dataset=dataset, domain="math", language="en", mode="reasoning" if reasoning else "non_reasoning",
                             messages=[*prompt, parse(c.text)], verdicts=[v],
                             lineage=Lineage(parent_ids=[q["query_id"]], source=q["query_id"], model=c.model,
                                             params=params.key(), seed=seed, prompt_id=c.prompt_id),
                             metadata={"query_id": q["query_id"], "finish_reason": c.finish_reason}))
    return out
