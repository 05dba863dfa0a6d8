"""The pure parts of the dashboards: filters → SQL, escaping, <think> splitting, needle spans, page compute()."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from dashboards.browse_query import BrowseFilter, build_where, count_sql, page_sql
from dashboards.common import escaped_html, md
from dashboards.sample_view import needle_spans, split_think
from dashboards.views import long_context, mixtures, overview, verification
from datamill.commands import dashboard


def test_filters_become_parameters_not_sql_text():
    f = BrowseFilter(languages=["ko"], text="50%_off'; DROP TABLE samples; --", audit="reject", min_tokens=10)
    where, params = build_where(f)
    assert "DROP" not in where and "ko" not in where
    assert params == [["ko"], "reject", "%50\\%\\_off'; DROP TABLE samples; --%", 10]


def test_filters_select_the_right_rows():
    con = duckdb.connect()
    con.execute("""CREATE TABLE samples AS SELECT * FROM (VALUES
        ('a', 'sft', 'math', 'en', 'reasoning', 100, true, NULL, 'solve 50% of x', MAP {'edu': 2.0}, 2.0, 's', 0),
        ('b', 'sft', 'math', 'ko', 'reasoning', 300, false, '[{"reason": "wrong_answer"}]', '한국어', MAP {'edu': 4.0}, 4.0, 's', 1),
        ('c', 'web', 'web', 'ko', NULL, 50, true, NULL, 'solve 50 of x', MAP {'edu': 1.0}, 1.0, 's', 2))
        t(id, kind, domain, language, mode, tokens, passed, verdicts, preview, scores, edu_score, shard, "row")""")
    con.execute("ALTER TABLE samples ADD COLUMN dataset VARCHAR DEFAULT 'd'")
    con.execute("ALTER TABLE samples ADD COLUMN contaminated BOOLEAN DEFAULT false")
    con.execute("CREATE TABLE latest_audits AS SELECT 'b' AS sample_id, 'reject' AS decision")

    def ids(**kw):
        sql, params = page_sql(BrowseFilter(**kw), 0, 10)
        return [r[0] for r in con.execute(sql, params).fetchall()]

    assert ids() == ["a", "b", "c"]
    assert ids(languages=["ko"]) == ["b", "c"]
    assert ids(text="50%") == ["a"]  # % is literal, not a wildcard
    assert ids(passed="failed") == ["b"] and ids(verdict_reason="wrong_") == ["b"]
    assert ids(audit="reject") == ["b"] and ids(audit="unaudited") == ["a", "c"]
    assert ids(min_tokens=60, max_tokens=200) == ["a"]
    assert ids(score_name="edu", min_score=3.0) == ["b"] and ids(min_edu=1.5, max_edu=3) == ["a"]
    assert ids(exclude_ids=["a"]) == ["b", "c"]
    csql, cparams = count_sql(BrowseFilter(modes=["reasoning"]))
    assert con.execute(csql, cparams).fetchone()[0] == 2
    with pytest.raises(ValueError, match="audit must be one of"):
        build_where(BrowseFilter(audit="maybe"))


def test_escaped_html_escapes_everything_and_marks_spans():
    text = 'a<script>alert("x")</script> needle & more'
    start = text.index("needle")
    out = escaped_html(text, [(start, start + 6, 'k<"v">')])
    assert "<script>" not in out and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in out
    assert '<mark title="k&lt;&quot;v&quot;&gt;" style="background:#ffe08a">needle</mark> &amp; more' in out
    # overlapping and out-of-range spans never duplicate or drop characters
    clipped = escaped_html("abcdef", [(1, 4, "x"), (2, 5, "y"), (5, 99, "z")])
    assert (
        clipped.count("<mark") == 3
        and "a<mark" in clipped
        and ">bcd</mark>" in clipped
        and ">e</mark>" in clipped
    )


def test_md_makes_data_literal():
    assert md("![x](http://e/p.png)") == "\\!\\[x\\]\\(http\\://e/p.png\\)"
    assert md(":material/cancel: $x$ a_b") == "\\:material/cancel\\: \\$x\\$ a\\_b"
    assert md("two\nlines") == "two lines"


def test_split_think():
    assert split_think("<think>\nlet me see\n</think>\n\nThe answer is 4.") == (
        "let me see",
        "The answer is 4.",
    )
    assert split_think("plain answer") == ("", "plain answer")
    assert split_think("answer", reasoning="explicit") == ("explicit", "answer")
    assert split_think("<think>cut off mid-thought") == ("cut off mid-thought", "")


def test_needle_spans_pick_their_message_and_skip_malformed():
    meta = {
        "needles": [
            {"kind": "fact", "key": "k", "depth": 0.5, "char_start": 3, "char_end": 9, "message_index": 0},
            {"char_start": 1, "char_end": 2, "message_index": 1},
            {"char_start": "x", "char_end": 2, "message_index": 0},
        ]
    }
    assert needle_spans(meta, 0) == [(3, 9, "fact k @ depth 0.5")]
    assert needle_spans(meta, 1) == [(1, 2, "needle  @ depth ?")]
    assert needle_spans({}, 0) == []


def test_overview_compute_groups_and_totals():
    groups = pl.DataFrame(
        {
            "dataset": ["a", "a", "b"],
            "kind": ["sft"] * 3,
            "domain": ["math", "code", "math"],
            "language": ["en", "en", "ko"],
            "mode": ["reasoning"] * 3,
            "samples": [2, 3, 5],
            "tokens": [20, 30, 50],
            "passed": [2, 0, 5],
        }
    )
    c = overview.compute(
        {
            "groups": groups,
            "lengths": pl.DataFrame({"kind": ["sft"], "log2_tokens": [5], "samples": [10]}),
            "edu": pl.DataFrame(schema={"kind": pl.String, "edu_score": pl.Float64}),
            "drops": pl.DataFrame(),
            "audits": pl.DataFrame(schema={"decision": pl.String}),
        },
        ["domain"],
    )
    assert c["totals"] == {"samples": 10, "tokens": 100, "datasets": 2, "passed": 7}
    assert c["table"].to_dicts() == [
        {"domain": "math", "samples": 7, "tokens": 70, "passed": 7, "pass_rate": 1.0},
        {"domain": "code", "samples": 3, "tokens": 30, "passed": 0, "pass_rate": 0.0},
    ]
    assert c["lengths"]["tokens_bucket"].to_list() == ["2^5"]


def test_verification_compute_per_query():
    df = pl.DataFrame(
        {
            "id": ["1", "2", "3"],
            "domain": ["code"] * 3,
            "passed": [True, False, False],
            "query_id": ["q1", "q1", None],
            "source": ["s", "s", "mbpp:7"],
            "meta_pass_rate": [0.5, 0.5, None],
            "verdicts": ["[]", '[{"verifier": "code_exec", "passed": false, "reason": "timeout"}]', "{bad"],
        }
    )
    t = verification.compute(df)
    assert t.to_dicts() == [
        {
            "query_id": "mbpp:7",
            "domain": "code",
            "responses": 1,
            "passed": 0,
            "pass_rate": 0.0,
            "meta_pass_rate": None,
            "top_failure": "unreadable_verdicts",
        },
        {
            "query_id": "q1",
            "domain": "code",
            "responses": 2,
            "passed": 1,
            "pass_rate": 0.5,
            "meta_pass_rate": 0.5,
            "top_failure": "code_exec:timeout",
        },
    ]


def test_long_context_compute_keeps_labels_and_skips_malformed_cells():
    cells, head = long_context.compute_niah(
        {
            "model": "m",
            "threshold": 0.8,
            "lengths": ["32K", "4K"],
            "cells": [
                {"length": "4K", "depth": 0.5, "n": 3, "score": 0.9},
                {"length": "32K", "depth": 0.5, "n": 3, "score": 0.1},
                {"length": "32K", "depth": 1.0, "n": 0, "score": None},
                {"depth": 1},
            ],
        }
    )
    assert cells["passes"].to_list() == [True, False, False] and head["failing_cells"] == 2
    assert head["length"] == ["32K", "4K"] and head["depth"] == ["0.5", "1.0"]  # the file's order, not sorted
    cov, empty, orders = long_context.compute_coverage(
        {
            "lengths": ["1K", "2K"],
            "depth_buckets": ["0-20%", "20-40%"],
            "cells": [{"length": "2K", "depth_bucket": "20-40%", "count": 3}, "junk", {"length": "1K"}],
            "empty": [{"length": "1K", "depth_bucket": "0-20%", "language": "ko"}],
        }
    )
    assert cov.to_dicts() == [{"length": "2K", "depth_bucket": "20-40%", "language": "?", "count": 3}]
    assert orders == {"length": ["1K", "2K"], "depth_bucket": ["0-20%", "20-40%"]}
    assert empty["language"].to_list() == ["ko"]


def test_mixtures_compute_reads_manifest_defensively():
    manifest = {
        "reasoning_ratio": 1.5,
        "components": [
            {"name": "math", "token_budget": 100, "tokens": 90},
            {"name": "odd", "requested": "lots"},
            "junk",
        ],
    }
    modes = pl.DataFrame(
        {"component": ["math", "math"], "mode": ["reasoning", "non_reasoning"], "tokens": [60, 30]}
    )
    c = mixtures.compute(manifest, modes)
    assert c["table"].select("component", "requested", "filled", "fill_rate").to_dicts() == [
        {"component": "math", "requested": 100.0, "filled": 90.0, "fill_rate": 0.9},
        {"component": "odd", "requested": None, "filled": None, "fill_rate": None},
    ]
    assert c["ratio"] == 2.0 and c["target_ratio"] == 1.5
    assert mixtures.compute({}, modes.clear())["ratio"] is None
    real = {
        "components": [
            {
                "name": "m",
                "asked_tokens": 300,
                "selected_tokens": 280,
                "available_tokens": 400,
                "status": "short",
            }
        ],
        "totals": {"reasoning_ratio": 1.2, "reasoning_ratio_target": 1.5},
        "samples": [
            {"id": "a", "component": "m"},
            {"id": "a", "component": "m"},
            {"id": "b", "component": "m"},
        ],
    }
    c = mixtures.compute(real, modes)
    assert c["table"].to_dicts()[0] == {
        "component": "m",
        "requested": 300.0,
        "filled": 280.0,
        "fill_rate": 0.933,
        "available": 400.0,
        "status": "short",
    }
    assert (c["reported_ratio"], c["target_ratio"]) == (1.2, 1.5)
    assert mixtures.manifest_ids(real, "/nonexistent") == {"m": ["a", "a", "b"]}  # repeats kept


def test_dashboard_command_needs_a_catalog(tmp_path, capsys):
    from datamill.cli import main

    assert main(["--store", str(tmp_path), "dashboard"]) == 2
    assert "no catalog at" in capsys.readouterr().err


def test_dashboard_command_runs_streamlit_on_the_app(dash_store, capsys):
    from datamill.cli import main

    assert main(["dashboard", "--store", str(dash_store.root), "--port", "8765", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "-m streamlit run" in out and "dashboards/app.py" in out and f"--store {dash_store.root}" in out
    assert "--server.port 8765" in out and dashboard.NAME == "dashboard"
