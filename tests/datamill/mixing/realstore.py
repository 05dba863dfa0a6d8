"""Small real stores for mixture / export / preference tests, built from examples/data (never invented text).

gsm8k: per problem a reasoning-mode sample (solution steps in <think>, the answer after it), a non-reasoning
sample (the reference solution), and — for preference pairs — a wrong response (the next problem's real
solution, verdict wrong_answer), all with metadata.query_id. ko-chat: Korean chatbot Q/A. es-xquad: Spanish
reading comprehension. tools: BFCL calls with their ground-truth arguments. web-essays: whole essays (long docs).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from datamill.store import Store
from datamill.tokens import count_tokens
from schemas import Lineage, Message, SFTSample, ToolCall, Verdict, WebDocument, render_exaone_chat

CALC = re.compile(r"<<[^>]*>>")


def _count(samples: list[SFTSample]) -> None:
    """Token counts as the store will render them (after the Arrow round trip, which sorts tool-call arguments)."""
    samples[:] = [SFTSample.from_row(s.to_row()) for s in samples]
    texts = [render_exaone_chat(s.messages, s.tools, reasoning=s.mode == "reasoning")[0] for s in samples]
    for s, n in zip(samples, count_tokens(texts)):
        s.num_tokens = n


def gsm8k_samples(examples: Path, n: int = 200, wrong: bool = True) -> list[SFTSample]:
    rows = [json.loads(line) for line in (examples / "math/gsm8k_train.jsonl").read_text().splitlines()[:n]]
    out = []
    for i, r in enumerate(rows):
        steps, answer = CALC.sub("", r["answer"]).rsplit("####", 1)
        qid, user = f"gsm8k:train:{i}", Message(role="user", content=r["question"])
        ok = [Verdict(verifier="math_verify", passed=True)]
        meta = {"query_id": qid, "gold": answer.strip()}
        out.append(
            SFTSample(
                id=f"gsm8k-r-{i}",
                domain="math",
                language="en",
                mode="reasoning",
                verdicts=ok,
                messages=[
                    user,
                    Message(
                        role="assistant",
                        reasoning_content=steps.strip(),
                        content=f"The answer is {answer.strip()}.",
                    ),
                ],
                license="MIT",
                lineage=Lineage(source=qid, model="reference"),
                metadata=meta,
            )
        )
        out.append(
            SFTSample(
                id=f"gsm8k-n-{i}",
                domain="math",
                language="en",
                mode="non_reasoning",
                verdicts=ok,
                messages=[user, Message(role="assistant", content=CALC.sub("", r["answer"]))],
                license="MIT",
                lineage=Lineage(source=qid, model="reference"),
                metadata=meta,
            )
        )
        if wrong:
            other = CALC.sub("", rows[(i + 1) % len(rows)]["answer"])
            out.append(
                SFTSample(
                    id=f"gsm8k-w-{i}",
                    domain="math",
                    language="en",
                    mode="non_reasoning",
                    verdicts=[Verdict(verifier="math_verify", passed=False, reason="wrong_answer")],
                    messages=[user, Message(role="assistant", content=other)],
                    license="MIT",
                    lineage=Lineage(source=qid, model="reference-shuffled"),
                    metadata=meta,
                )
            )
    _count(out)
    return out


def korean_samples(examples: Path, n: int = 300) -> list[SFTSample]:
    with open(examples / "korean/ChatbotData.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:n]
    out = [
        SFTSample(
            id=f"ko-{i}",
            domain="multilingual",
            language="ko",
            mode="non_reasoning",
            license="MIT",
            messages=[Message(role="user", content=r["Q"]), Message(role="assistant", content=r["A"])],
        )
        for i, r in enumerate(rows)
    ]
    _count(out)
    return out


def spanish_samples(examples: Path, n: int = 150) -> list[SFTSample]:
    data = json.loads((examples / "spanish/xquad.es.json").read_text(encoding="utf-8"))["data"]
    out = []
    for art in data:
        for para in art["paragraphs"]:
            for qa in para["qas"]:
                if len(out) >= n:
                    break
                prompt = f"{para['context'].lstrip(chr(0xFEFF))}\n\nPregunta: {qa['question']}"
                out.append(
                    SFTSample(
                        id=f"es-{qa['id']}",
                        domain="multilingual",
                        language="es",
                        mode="non_reasoning",
                        license="CC-BY-SA-4.0",
                        messages=[
                            Message(role="user", content=prompt),
                            Message(role="assistant", content=qa["answers"][0]["text"]),
                        ],
                    )
                )
    _count(out)
    return out


def tool_samples(examples: Path, n: int = 40) -> list[SFTSample]:
    d = examples / "tools/bfcl"
    qs = [json.loads(x) for x in (d / "BFCL_v4_simple_python.json").read_text().splitlines()[:n]]
    gts = {
        g["id"]: g
        for g in map(json.loads, (d / "possible_answer/BFCL_v4_simple_python.json").read_text().splitlines())
    }
    out = []
    for q in qs:
        ((name, args),) = gts[q["id"]]["ground_truth"][0].items()
        call = ToolCall(id="call_0", name=name, arguments={k: v[0] for k, v in args.items()})
        out.append(
            SFTSample(
                id=f"tool-{q['id']}",
                domain="tool_use",
                language="en",
                mode="non_reasoning",
                tools=q["function"],
                license="Apache-2.0",
                messages=[
                    Message(role="user", content=q["question"][0][0]["content"]),
                    Message(role="assistant", tool_calls=[call]),
                ],
            )
        )
    _count(out)
    return out


def essay_docs(examples: Path) -> list[WebDocument]:
    files = sorted((examples / "niah").glob("*.txt"))
    texts = [f.read_text(encoding="utf-8") for f in files]
    return [
        WebDocument(
            id=f"essay-{f.stem}",
            text=t,
            source=str(f.name),
            language="en",
            license="fair-use-sample",
            num_tokens=n,
        )
        for f, t, n in zip(files, texts, count_tokens(texts))
    ]


def build_real_store(store: Store, examples: Path, gsm8k_n: int = 200, wrong: bool = True) -> Store:
    """Write the datasets above as shards (one run each) through Store.write_shard."""
    for dataset, records in (
        ("gsm8k", gsm8k_samples(examples, gsm8k_n, wrong)),
        ("ko-chat", korean_samples(examples)),
        ("es-xquad", spanish_samples(examples)),
        ("tools", tool_samples(examples)),
        ("web-essays", essay_docs(examples)),
    ):
        store.begin_run(dataset, "r1", records[0].KIND, {"test": dataset})
        for part in range(0, len(records), 250):
            store.write_shard(dataset, "r1", part // 250, records[part : part + 250])
        store.finish_run(dataset, "r1")
    return store
