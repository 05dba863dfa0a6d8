"""run("multilingual", ...) on real data with no engine, and the catalog view the issue asks for: per-language
counts and drop reasons of both jobs, queried from samples.language / passed / verdicts."""

from __future__ import annotations

import pytest
import yaml

from datamill.demo_data import REPO_ROOT
from datamill.jobs import JobReport
from generators.knowledge.job import run as run_knowledge
from generators.multilingual.chatbot import ChatbotReader
from generators.multilingual.job import chatbot_samples
from generators.multilingual.job import run as run_multilingual


def write_config(tmp_path, name, **over):
    cfg = {"engine": {"backend": "none"}, "data_root": "examples", **over}
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True))
    return str(path)


def test_without_engine_builds_seed_parts_and_says_what_it_skipped(tmp_path, store, caplog):
    caplog.set_level("INFO")  # the job's messages are INFO log records
    reports = run_multilingual(
        "multilingual", write_config(tmp_path, "ml", instructions={"topics": {"ko": ["김장"]}}), store
    )
    out = caplog.text
    assert "SKIPPED new instructions: no model is configured" in out and "1 seed topics (ko: 1)" in out
    assert "SKIPPED translations: no model is configured" in out
    assert [r.dataset for r in reports] == [
        "multilingual-xquad-es",
        "multilingual-chatbot-ko",
        "multilingual-legal-ko",
    ]
    with store.connect(read_only=True) as con:
        rows = dict(con.execute("""SELECT dataset, count(*) FROM samples GROUP BY dataset""").fetchall())
        legal = con.execute(
            """SELECT json_extract_string(metadata_json, '$.format') AS fmt, count(*) FROM (
            SELECT preview, verdicts, id FROM samples WHERE dataset = 'multilingual-legal-ko') s
            JOIN (SELECT id, metadata AS metadata_json FROM read_parquet(?)) p USING (id) GROUP BY fmt ORDER BY fmt""",
            [str(store.root / "multilingual-legal-ko" / "*" / "*.parquet")],
        ).fetchall()
        meta = con.execute("""SELECT DISTINCT domain, language, mode, license FROM samples
                              WHERE dataset = 'multilingual-chatbot-ko'""").fetchall()
    assert rows == {
        "multilingual-xquad-es": 105,
        "multilingual-chatbot-ko": 300,
        "multilingual-legal-ko": 134,
    }
    assert legal == [("json", 33), ("markdown", 34), ("plain", 34), ("table", 33)]
    assert meta == [("multilingual", "ko", "non_reasoning", "MIT")]
    again = run_multilingual(
        "multilingual", write_config(tmp_path, "ml", instructions={"topics": {"ko": ["김장"]}}), store
    )
    assert all(r.parts_skipped == r.parts_total and r.rows_written == 0 for r in again)


def test_catalog_shows_per_language_counts_and_drop_reasons(tmp_path, store):
    """The 'Show' query: both jobs with the shipped configs into one catalog, then counts by language and by drop
    reason (the shipped configs read examples/data with no engine, as the demo does)."""
    knowledge = run_knowledge("knowledge", str(REPO_ROOT / "configs/knowledge.yaml"), store)
    multilingual = run_multilingual("multilingual", str(REPO_ROOT / "configs/multilingual.yaml"), store)
    with store.connect(read_only=True) as con:
        per_language = con.execute("""
            SELECT language, count(*) FILTER (WHERE passed) AS kept, count(*) FILTER (WHERE NOT passed) AS dropped
            FROM samples WHERE domain IN ('world_knowledge', 'multilingual') GROUP BY language ORDER BY language
        """).fetchall()
        reasons = con.execute("""
            SELECT language, v.reason, count(*) FROM samples, unnest(from_json(verdicts,
                   '[{"verifier":"VARCHAR","passed":"BOOLEAN","reason":"VARCHAR"}]')) AS t(v)
            WHERE NOT passed AND NOT v.passed GROUP BY ALL ORDER BY ALL""").fetchall()
    drops = {}
    for r in knowledge + multilingual:
        for reason, n in r.dropped.items():
            drops[reason] = drops.get(reason, 0) + n
    assert {lang for lang, *_ in per_language} == {"en", "es", "ko"}
    total = {lang: kept + dropped for lang, kept, dropped in per_language}
    assert total == {"en": 105, "es": 105, "ko": 434}
    # every drop counted by a job is queryable in the catalog with the same reason
    assert (
        sum(n for *_, n in reasons) == sum(dropped for _, _, dropped in per_language) == sum(drops.values())
    )
    assert {reason for _, reason, _ in reasons} == set(drops)


def test_malformed_chatbot_rows_are_skipped_with_file_and_line(tmp_path, examples):
    bad = tmp_path / "ChatbotData.csv"
    lines = (examples / "korean/ChatbotData.csv").read_text(encoding="utf-8").splitlines()[:4]
    bad.write_text("\n".join([*lines[:2], "질문만 있고 답이 없음,,0", *lines[2:]]) + "\n", encoding="utf-8")
    reader = ChatbotReader(bad)
    pairs = reader.read()
    assert len(pairs) == 3 and reader.errors == [f"{bad}:3: empty question or answer"]
    samples = chatbot_samples(pairs, JobReport("c", "r"), "c", "r", "ChatbotData.csv")
    assert (
        samples[0].lineage.source == "ChatbotData.csv:2"
        and samples[0].messages[1].content == "하루가 또 가네요."
    )
    with pytest.raises(ValueError, match=r"kolaw_constitution.txt:1: expected a header"):
        ChatbotReader(examples / "korean/kolaw_constitution.txt").read()


@pytest.mark.slow
def test_full_shared_data_run(tmp_path, store, shared):
    """All of ../shared/data: 1,190 XQuAD es, 11,823 ChatbotData pairs, 10 bills."""
    reports = run_multilingual("multilingual", write_config(tmp_path, "ml", data_root="shared"), store)
    by_name = {r.dataset: r for r in reports}
    assert by_name["multilingual-xquad-es"].rows_written == 1190
    assert by_name["multilingual-chatbot-ko"].rows_written == 11823
    assert by_name["multilingual-legal-ko"].rows_written == 130 + 10
    assert not any(r.errors for r in reports)
    known = {"wrong_language", "low_script_ratio", "empty", "answer_not_in_context", "short_target"}
    assert all(x in known or x.startswith("switch_to_") for r in reports for x in r.dropped)
    # real data is mostly clean: the language checks drop a small share (short chat lines fool fastText)
    assert sum(by_name["multilingual-chatbot-ko"].dropped.values()) < 0.05 * 11823
