"""A small real catalog for the dashboard tests, written through Store.write_shard from examples/data:
GSM8K questions with their reference solutions (and a mismatched solution that fails verification),
XQuAD Spanish QA, Korean ChatbotData, a BFCL tool call, a Paul Graham essay haystack with one needle,
real web pages (passed), a page whose text is markdown, and raw HTML pages dropped by a filter (one carries <script> tags); plus a coverage
file, a NIAH grid and one mixture built by datamill.mixing.run_mix."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import lxml.html

from datamill.atomic import atomic_write_text
from datamill.store import Store
from schemas import Message, SFTSample, ToolCall, WebDocument
from schemas.sft import Lineage, Verdict

NEEDLE = "The secret ingredient of the datamill soup is cardamom."
# A web page whose text is markdown (issue 20 item 5): the dashboard must show it verbatim and fetch nothing.
# remote.example is mapped to a local recorder in the browser test, so a fetch would be seen.
MARKDOWN_BAIT = (
    "Plain first paragraph.\n\n![pixel](http://remote.example/pixel.png)\n\n# Not a heading\n\n"
    "[a link](http://remote.example/page)\n\n*stars* and $x$ and :material/warning: stay as typed\n"
)


def _gsm8k(ex: Path, n: int = 6) -> list[SFTSample]:
    rows = [json.loads(line) for line in (ex / "math/gsm8k_train.jsonl").read_text().splitlines()[:n]]
    out = []
    for i, r in enumerate(rows):
        gold = r["answer"].split("####")[-1].strip()
        for j, (resp, src) in enumerate(
            ((r["answer"], "reference"), (rows[(i + 1) % n]["answer"], "mismatched"))
        ):
            got = resp.split("####")[-1].strip()
            ok = got == gold
            out.append(
                SFTSample(
                    id=f"gsm8k-{i}-r{j}",
                    domain="math",
                    language="en",
                    mode="reasoning",
                    messages=[
                        Message(role="user", content=r["question"]),
                        Message(role="assistant", content=f"The answer is {got}.", reasoning_content=resp),
                    ],
                    verdicts=[
                        Verdict(
                            verifier="math_answer",
                            passed=ok,
                            reason="" if ok else "wrong_answer",
                            details={"expected": gold, "got": got},
                        )
                    ],
                    scores={"pass_rate": 0.5},
                    num_tokens=len(resp.split()) + len(r["question"].split()),
                    license="MIT",
                    lineage=Lineage(
                        parent_ids=[f"gsm8k:train:{i}"], source=f"gsm8k:train:{i}", model="reference", seed=0
                    ),
                    metadata={"query_id": f"gsm8k:train:{i}", "pass_rate": 0.5, "response_source": src},
                )
            )
    return out


def _xquad(ex: Path, n: int = 5) -> list[SFTSample]:
    paras = json.loads((ex / "spanish/xquad.es.json").read_text())["data"][0]["paragraphs"]
    out = []
    for i, p in enumerate(paras[:n]):
        qa = p["qas"][0]
        out.append(
            SFTSample(
                id=f"xquad-es-{i}",
                domain="multilingual",
                language="es",
                mode="non_reasoning",
                messages=[
                    Message(role="user", content=f"{p['context']}\n\n{qa['question']}"),
                    Message(role="assistant", content=qa["answers"][0]["text"]),
                ],
                num_tokens=len(p["context"].split()),
                license="CC-BY-SA-4.0",
                lineage=Lineage(source=f"xquad:es:{qa['id']}", model="reference"),
            )
        )
    return out


def _korean(ex: Path, n: int = 8) -> list[SFTSample]:
    with open(ex / "korean/ChatbotData.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))[:n]
    return [
        SFTSample(
            id=f"ko-chatbot-{i}",
            domain="multilingual",
            language="ko",
            mode="non_reasoning",
            messages=[Message(role="user", content=r["Q"]), Message(role="assistant", content=r["A"])],
            num_tokens=len(r["Q"]) + len(r["A"]),
            license="MIT",
            lineage=Lineage(source=f"ChatbotData.csv:{i + 2}", model="reference"),
        )
        for i, r in enumerate(rows)
    ]


def _tool(ex: Path) -> SFTSample:
    q = json.loads((ex / "tools/bfcl/BFCL_v4_simple_python.json").read_text().splitlines()[0])
    ans = json.loads(
        (ex / "tools/bfcl/possible_answer/BFCL_v4_simple_python.json").read_text().splitlines()[0]
    )
    name, args = next(iter(ans["ground_truth"][0].items()))
    args = {k: v[0] for k, v in args.items()}
    return SFTSample(
        id="bfcl-simple-0",
        domain="tool_use",
        language="en",
        mode="non_reasoning",
        tools=q["function"],
        messages=[
            Message(role="user", content=q["question"][0][0]["content"]),
            Message(role="assistant", tool_calls=[ToolCall(id="call_0", name=name, arguments=args)]),
            Message(role="tool", tool_call_id="call_0", name=name, content=json.dumps({"area": 25})),
            Message(role="assistant", content="The area of the triangle is 25 square units."),
        ],
        verdicts=[Verdict(verifier="tool_call", passed=True, details={"schema_valid": True})],
        num_tokens=60,
        license="Apache-2.0",
        lineage=Lineage(source="bfcl:simple_python_0", model="reference"),
    )


def _long(ex: Path) -> SFTSample:
    hay = (ex / "niah/apple.txt").read_text()[:6000]
    cut = hay.rfind(". ", 0, len(hay) // 2) + 2
    doc = hay[:cut] + NEEDLE + " " + hay[cut:]
    content = f"Read the document and answer.\n\n{doc}\n\nWhat is the secret ingredient of the datamill soup?"
    start = content.index(NEEDLE)
    return SFTSample(
        id="niah-apple-0",
        domain="long_context",
        language="en",
        mode="non_reasoning",
        messages=[Message(role="user", content=content), Message(role="assistant", content="cardamom")],
        num_tokens=len(content.split()),
        license="essay (see SOURCES.md)",
        lineage=Lineage(source="niah/apple.txt", model="reference"),
        metadata={
            "needles": [
                {
                    "kind": "fact",
                    "key": "secret ingredient",
                    "value": "cardamom",
                    "depth": 0.5,
                    "char_start": start,
                    "char_end": start + len(NEEDLE),
                    "token_start": 0,
                    "token_end": 0,
                    "message_index": 0,
                }
            ]
        },
    )


def _web(ex: Path) -> tuple[list[WebDocument], list[WebDocument]]:
    manifest = [json.loads(line) for line in (ex / "web/html_manifest.jsonl").read_text().splitlines()]
    kept, dropped = [], []
    for i, m in enumerate(manifest[:10]):
        raw = (ex / "web/html" / m["file"]).read_text(encoding="utf-8", errors="replace")
        tree = lxml.html.fromstring(raw.encode())
        for bad in tree.xpath("//script|//style"):
            bad.drop_tree()
        text = re.sub(r"\s+\n", "\n", tree.text_content()).strip()[:3000]
        if i < 6:
            kept.append(
                WebDocument(
                    id=f"web-{i}",
                    text=text,
                    url=m["url"],
                    source=m["file"],
                    language=m.get("html_lang") or "en",
                    language_score=0.9,
                    edu_score=float(i % 4),
                    quality_scores={"edu": float(i % 4)},
                    num_tokens=len(text.split()),
                )
            )
        else:  # raw HTML that slipped past extraction: dropped by a filter; still shown escaped
            reason = "html_leftovers" if "<script" in raw else "too_short"
            dropped.append(
                WebDocument(
                    id=f"web-dropped-{i}",
                    text=raw[:4000] if reason == "html_leftovers" else text[:80],
                    url=m["url"],
                    source=m["file"],
                    language="en",
                    num_tokens=len(raw.split()),
                    metadata={"drop": {"filter": "QualityFilter", "reason": reason}},
                )
            )
    return kept, dropped


def build_catalog(store: Store, examples: Path) -> dict:
    """Write every shard + the long-context / mixture side files; returns notable sample ids."""
    for name, kind, records in (
        ("sft.math", "sft", _gsm8k(examples)),
        ("sft.xquad", "sft", _xquad(examples)),
        ("sft.ko_chat", "sft", _korean(examples)),
        ("sft.tools", "sft", [_tool(examples)]),
        ("sft.long", "sft", [_long(examples)]),
    ):
        store.begin_run(name, "r1", kind, {"source": "examples/data"})
        store.write_shard(name, "r1", 0, records)
        store.finish_run(name, "r1")
    kept, dropped = _web(examples)
    store.begin_run("web", "r1", "web", {})
    store.write_shard("web", "r1", 0, kept)
    store.begin_run("web.crafted", "r1", "web", {})
    store.write_shard(
        "web.crafted",
        "r1",
        0,
        [
            WebDocument(
                id="web-markdown-0",
                text=MARKDOWN_BAIT,
                url="http://remote.example/",
                source="inline (tests)",
                language="en",
                language_score=0.9,
                num_tokens=len(MARKDOWN_BAIT.split()),
            )
        ],
    )
    store.begin_run("web.rejected", "r1", "web", {})
    store.write_shard("web.rejected", "r1", 0, dropped)
    # coverage and NIAH grids in the shapes generators/long_context writes (compute_coverage, score_grid)
    from generators.long_context.coverage import compute_coverage
    from generators.long_context.niah import score_grid

    metas = [
        ("en", {"length_bucket": "1K", "depth_buckets": ["0-20%"]}),
        ("ko", {"length_bucket": "2K", "depth_buckets": ["40-60%", "80-100%"]}),
        ("es", {"length_bucket": "1K", "depth_buckets": ["20-40%"]}),
    ]
    cov = compute_coverage(
        metas, ["1K", "2K"], ["0-20%", "20-40%", "40-60%", "60-80%", "80-100%"], ["en", "ko", "es"]
    )
    atomic_write_text(store.root / "sft.long/r1/_coverage.json", json.dumps(cov))
    items = [
        {"id": f"n{i}", "length": ln, "depth": d, "language": "en", "expected": ["cardamom"]}
        for i, (ln, d) in enumerate((ln, d) for ln in ("4K", "8K") for d in (0.0, 0.5, 1.0))
    ]
    answers = {"n0": "cardamom", "n1": "cardamom", "n2": "no idea", "n3": "It is cardamom.", "n4": "pepper"}
    atomic_write_text(
        store.root / "evals/niah/niah_grid.json",
        json.dumps(score_grid(items, answers, "tiny-exaone", threshold=0.8)),
    )
    spec = store.root.parent / "dash_mix.yaml"  # a real mixture through datamill.mixing (its manifest format)
    spec.write_text(
        "name: dash-mix\nseed: 0\nreasoning_ratio: 1.5\non_shortfall: warn\ncomponents:\n"
        "  - {name: math, select: {domain: [math], passed: true}, token_budget: 300}\n"
        "  - {name: multilingual, select: {domain: [multilingual]}, token_budget: 5000}\n"
    )
    from datamill.mixing import run_mix

    run_mix(spec, store, progress=False)
    return {
        "script_doc": next(d.id for d in dropped if "<script" in d.text),
        "needle": "niah-apple-0",
        "tool": "bfcl-simple-0",
        "korean": "ko-chatbot-0",
        "markdown": "web-markdown-0",
    }
