"""run("knowledge", ...) end to end: no-engine run on the embedded data, resume, and a canned-engine run through
the engine factory over web documents in the catalog."""

from __future__ import annotations

import json

import yaml

from datamill.engine.base import prompt_id
from generators.knowledge.job import run
from generators.knowledge.qa import build_qa_prompt, split_passages
from generators.knowledge.xquad import XQuADReader
from schemas import WebDocument


def write_config(tmp_path, **over):
    cfg = {"engine": {"backend": "none"}, "data_root": "examples"}
    cfg.update(over)
    path = tmp_path / "knowledge.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return str(path)


def test_without_engine_imports_xquad_and_says_what_it_skipped(tmp_path, store, caplog):
    caplog.set_level("INFO")  # the job's messages are INFO log records
    reports = run("knowledge", write_config(tmp_path), store)
    out = caplog.text
    assert "SKIPPED grounded web QA: no model is configured" in out
    assert [r.dataset for r in reports] == ["knowledge-xquad"]
    with store.connect(read_only=True) as con:
        rows = con.execute("""SELECT domain, language, mode, passed, count(*), min(tokens), any_value(license)
                              FROM samples WHERE dataset = 'knowledge-xquad' GROUP BY ALL""").fetchall()
    assert rows == [("world_knowledge", "en", "non_reasoning", True, 105, rows[0][5], "CC-BY-SA-4.0")]
    assert rows[0][5] > 50
    again = run(
        "knowledge", write_config(tmp_path), store
    )  # same config → same run, every shard already done
    assert again[0].parts_skipped == again[0].parts_total and again[0].rows_written == 0


def test_canned_engine_run_reads_web_documents_from_the_catalog(tmp_path, store, examples):
    contexts = sorted({it.context for it in XQuADReader(examples / "spanish/xquad.en.json", "en").read()})[:3]
    docs = [
        WebDocument(
            id=f"web{i}",
            text=c,
            language="en",
            edu_score=0.5 + 0.2 * i,
            license="CC-BY-SA-4.0",
            url=f"https://example.org/{i}",
        )
        for i, c in enumerate(contexts)
    ]
    store.begin_run("web", "r1", "web", {})
    store.write_shard("web", "r1", 0, docs, kind="web")
    canned = tmp_path / "canned.jsonl"
    lines = []
    for i, c in enumerate(contexts):
        passage = split_passages(c, 2000)[0]
        first_sentence = passage.split(". ")[0] + "."
        answer = first_sentence if i != 1 else "It was invented by Napoleon in the Bronze Age on Mars."
        lines.append(
            {
                "prompt_id": prompt_id(build_qa_prompt(passage, "en", 3), reasoning=False),
                "outputs": [
                    json.dumps(
                        [
                            {
                                "question": "What does the passage say first?",
                                "answer": answer,
                                "difficulty": "easy",
                            }
                        ]
                    )
                ],
            }
        )
    canned.write_text("\n".join(json.dumps(x) for x in lines))
    cfg = write_config(
        tmp_path,
        engine={"backend": "canned", "canned_path": str(canned), "model": "canned-demo"},
        xquad={"enabled": False},
        qa={"reasoning_fraction": 0.0},
    )
    reports = run("knowledge", cfg, store)
    assert [r.dataset for r in reports] == ["knowledge-web-qa"] and reports[0].dropped == {
        "unsupported_answer": 1
    }
    with store.connect(read_only=True) as con:
        rows = con.execute("""SELECT parent_ids[1], passed, edu_score, json_extract_string(verdicts, '$[1].reason')
                              FROM samples WHERE dataset = 'knowledge-web-qa' ORDER BY 1""").fetchall()
    assert rows == [
        ("web0", True, 0.5, ""),
        ("web1", False, 0.7, "unsupported_answer"),
        ("web2", True, 0.9, ""),
    ]
