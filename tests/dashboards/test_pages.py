"""Every page through streamlit.testing.v1.AppTest over a real small catalog (see catalog_fixture.py)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.common import md
from tests.dashboards.catalog_fixture import MARKDOWN_BAIT, NEEDLE

APP = Path(__file__).resolve().parents[2] / "dashboards"
PAGES = ["overview", "browse", "audit", "verification", "curation", "long_context", "mixtures"]
TITLES = ["Overview", "Browse", "Audit", "Verification", "Curation", "Long context", "Mixtures"]


def page(name: str) -> AppTest:
    at = AppTest.from_file(str(APP / "views" / f"{name}.py"), default_timeout=60).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sql(store, q, params=None):
    with duckdb.connect(str(store.catalog_path), read_only=True) as con:
        return con.execute(q, params or []).fetchall()


def texts(at) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.get("html"), *at.text])


def documented_paths() -> dict[str, str]:
    """URL path → page title, from the page table of docs/dashboards.md (the paths users are told to open)."""
    doc = (APP.parent / "docs/dashboards.md").read_text()
    return {m[1]: m[0] for m in re.findall(r"^\| (\w[\w ]*) \| `/(\w*)` \|", doc, flags=re.MULTILINE)}


def test_app_navigates_to_every_page(dash_store):
    at = AppTest.from_file(str(APP / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Overview"  # default page
    for name, title in zip(PAGES, TITLES):
        at.switch_page(f"views/{name}.py").run()
        assert not at.exception, (name, [e.value for e in at.exception])
        assert at.title[0].value == title


def test_every_documented_url_path_opens_its_page(dash_store):
    """A user who types /overview (or any path in docs/dashboards.md) gets that page, not "Page not found"
    (issue 20 item 15): each documented path is a url_path st.navigation registers, and it runs its page."""
    paths = documented_paths()
    assert set(paths.values()) == set(TITLES), paths
    at = AppTest.from_file(str(APP / "app.py"), default_timeout=60).run()
    registered = {info["url_pathname"]: info.get("script_path") for info in at._registered_pages.values()}
    for path, title in paths.items():
        assert path in registered, (
            f"/{path} is documented but no page has that url_path: {sorted(registered)}"
        )
        at.switch_page(str(Path(registered[path]).relative_to(APP))).run()
        assert not at.exception and at.title[0].value == title, path


def test_overview_totals_and_charts(dash_store):
    at = page("overview")
    metrics = {m.label: m.value for m in at.metric}
    n, tokens = sql(dash_store, "SELECT count(*), sum(tokens) FROM samples")[0]
    assert metrics["samples"] == f"{n:,}" and metrics["tokens"] == f"{tokens:,}"
    assert len(at.get("vega_lite_chart")) >= 4  # tokens by domain, lengths, edu, drop reasons
    assert "html_leftovers" in json.dumps(
        [c.proto.spec for c in at.get("vega_lite_chart")]
    ) or "html_leftovers" in str([c.proto.datasets for c in at.get("vega_lite_chart")])


def test_browse_filters_change_results(dash_store):
    at = page("browse")
    total = sql(dash_store, "SELECT count(*) FROM samples")[0][0]
    assert at.caption[0].value.startswith(f"{total:,} matching")
    at.multiselect(key="browse_language").select("ko").run()
    n_ko = sql(dash_store, "SELECT count(*) FROM samples WHERE language = 'ko'")[0][0]
    assert at.caption[0].value.startswith(f"{n_ko:,} matching") and n_ko < total
    assert set(at.dataframe[0].value["language"]) == {"ko"}
    at.multiselect(key="browse_language").unselect("ko").run()
    at.text_input(key="browse_text").input("Natalia sold clips").run()
    assert list(at.dataframe[0].value["id"]) == ["gsm8k-0-r0", "gsm8k-0-r1"]
    at.text_input(key="browse_text").input("").run()
    at.radio(key="browse_passed").set_value("failed").run()
    failed = {r[0] for r in sql(dash_store, "SELECT id FROM samples WHERE NOT passed")}
    assert set(at.dataframe[0].value["id"]) == failed
    at.text_input(key="browse_reason").input("wrong_answer").run()
    assert set(at.dataframe[0].value["id"]) == {i for i in failed if i.startswith("gsm8k")}


def test_browse_pages_through_results(dash_store):
    at = page("browse")
    at.selectbox(key="browse_page_size").set_value(25).run()
    first = list(at.dataframe[0].value["id"])
    at.number_input(key="browse_page").set_value(2).run()
    second = list(at.dataframe[0].value["id"])
    ordered = [r[0] for r in sql(dash_store, "SELECT id FROM samples ORDER BY id")]
    assert first == ordered[:25] and second == ordered[25:50]


def _open(at, sample_id):
    opts = at.selectbox(key="browse_pick").options
    at.selectbox(key="browse_pick").set_value(
        next(i for i, o in enumerate(opts) if o.startswith(sample_id + " "))
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_script_sample_is_shown_escaped(dash_store, ids):
    at = page("browse")
    at.text_input(key="browse_text").input("<!doctype").run()
    _open(at, ids["script_doc"])
    shown = texts(at)
    assert "&lt;script" in shown
    assert "<script" not in shown.lower()


def test_markdown_in_a_sample_is_shown_verbatim(dash_store, ids):
    """Sample text never goes through the markdown renderer (issue 20 item 5: after a blank line CommonMark
    turned `![x](http://…)` into a fetched image, `# …` into a heading, ate `*` and `$…$`): it is one st.html
    body holding the escaped text, and no markdown element carries any of it."""
    at = _open(page("browse"), ids["markdown"])
    bodies = [h.value for h in at.get("html") if "remote.example" in h.value]
    assert bodies == [
        f'<div style="white-space:pre-wrap;word-break:break-word">{html.escape(MARKDOWN_BAIT)}</div>'
    ]
    assert not [m.value for m in at.markdown if "remote.example" in m.value or "Not a heading" in m.value]


def test_needles_highlighted_at_their_offsets(dash_store, ids):
    at = _open(page("browse"), ids["needle"])
    marks = [m.value for m in at.get("html") if "<mark" in m.value]
    assert len(marks) == 1
    assert f">{NEEDLE}</mark>" in marks[0]
    assert "1 needle(s) highlighted" in [c.value for c in at.caption]


def test_tool_schemas_calls_results_and_think(dash_store, ids):
    at = _open(page("browse"), ids["tool"])
    shown = [j.value for j in at.json]
    assert any("calculate_triangle_area" in s and "parameters" in s for s in shown)  # schema
    assert any('"base"' in s and "10" in s for s in shown)  # call arguments
    assert any('"area"' in s for s in shown)  # tool result parsed as JSON
    at = _open(page("browse"), "gsm8k-0-r0")
    think = [e for e in at.expander if e.label.startswith("<think>")]
    assert think and not think[0].proto.expanded  # reasoning collapsed
    assert "gsm8k:train:0" in [t.value for t in at.text]  # lineage: source document


def test_korean_text_shown(dash_store, ids):
    at = _open(page("browse"), ids["korean"])
    q = sql(dash_store, "SELECT preview FROM samples WHERE id = ?", [ids["korean"]])[0][0]
    assert any(q in m.value for m in at.get("html"))


def test_verification_pass_rates(dash_store):
    at = page("verification")
    table = at.dataframe[0].value
    expect = dict(
        sql(
            dash_store,
            """SELECT source, avg(passed::INT) FROM samples WHERE domain = 'math'
                                      GROUP BY source""",
        )
    )
    assert {q: float(r) for q, r in zip(table["query_id"], table["pass_rate"])} == pytest.approx(expect)
    assert set(table["top_failure"].dropna()) == {"math_answer:wrong_answer"}
    assert any(
        e.label.startswith(f":material/cancel: {md('math_answer')}: {md('wrong_answer')}")
        for e in at.expander
    )  # side by side verdicts


def test_verification_says_when_it_reads_only_part_and_filters_by_dataset(dash_store, monkeypatch):
    per_dataset = dict(
        sql(
            dash_store,
            """SELECT dataset, count(*) FROM samples WHERE kind = 'sft'
                                          AND domain IN ('math', 'code', 'logic') GROUP BY 1""",
        )
    )
    total = sum(per_dataset.values())
    at = page("verification")
    assert not at.warning, "under the read cap the page must not warn"
    assert {m.label: m.value for m in at.metric}["responses"] == f"{total:,}"
    monkeypatch.setenv("DATAMILL_DASH_MAX_VERIFIED", str(total - 1))
    at = page("verification")
    assert (
        f"{total:,} verified responses match" in at.warning[0].value
        and f"first {total - 1:,}" in at.warning[0].value
    )
    assert {m.label: m.value for m in at.metric}["responses"] == f"{total - 1:,}"  # what was read, as it says
    (name, n), *_ = sorted(per_dataset.items(), key=lambda kv: kv[1])
    at.multiselect(key="verif_dataset").select(name).run()
    assert not at.exception
    if (
        n > total - 1
    ):  # the fixture's only verified dataset: the filter cannot narrow it, and the page still says so
        assert f"{n:,} verified responses match" in at.warning[0].value
    else:
        assert not at.warning and {m.label: m.value for m in at.metric}["responses"] == f"{n:,}"
    from dashboards.views import verification

    root = str(dash_store.root)
    assert verification.load(root, -1.0, (name,), 10**6).height == n
    assert verification.load(root, -1.0, ("no-such-dataset",), 10**6).height == 0


def test_curation_reasons_and_examples(dash_store):
    at = page("curation")
    table = at.dataframe[0].value
    expect = dict(
        sql(
            dash_store,
            """SELECT json_extract_string(verdicts, '$[0].reason'), count(*) FROM samples
                                      WHERE kind = 'web' AND NOT passed GROUP BY 1""",
        )
    )
    assert dict(zip(table["reason"], table["documents"])) == expect
    at.selectbox(key="cur_reason").set_value(("QualityFilter", "html_leftovers")).run()
    assert len([e for e in at.expander if e.label.startswith("web-dropped-")]) == expect["html_leftovers"]


def test_long_context_heatmaps(dash_store):
    at = page("long_context")
    grid = json.loads(next(dash_store.root.rglob("niah_grid.json")).read_text())
    failing = sum(not (c["n"] and c["score"] >= grid["threshold"]) for c in grid["cells"])
    assert failing == 3  # one wrong answer, one unanswered item, one wrong at 8K
    assert f"{failing} cell(s) below threshold" in at.caption[0].value
    assert len(at.get("vega_lite_chart")) == 2
    cov = json.loads(next(dash_store.root.rglob("_coverage.json")).read_text())
    assert at.warning[0].value.startswith(f"{len(cov['empty'])} empty cell(s)")
    at.selectbox(key="lc_cov_lang").set_value("ko").run()
    spec = at.get("vega_lite_chart")[1].proto
    assert "80-100%" in str(spec) and not at.exception


def test_long_context_bad_grid_is_an_error_not_a_crash(dash_store, tmp_path):
    bad = tmp_path / "niah_grid.json"
    bad.write_text("{not json")
    at = page("long_context")
    at.text_input(key="lc_niah_path").input(str(bad)).run()
    at.selectbox(key="lc_niah").set_value(str(bad)).run()
    assert not at.exception and md(str(bad)) in at.error[0].value


def test_mixtures_requested_vs_filled_and_ratio(dash_store):
    at = page("mixtures")
    m = {x.label: x.value for x in at.metric}
    path = sql(dash_store, "SELECT manifest_path FROM mixtures WHERE name = 'dash-mix'")[0][0]
    manifest = json.loads(Path(path).read_text())
    by_mode = dict(
        sql(
            dash_store,
            """SELECT s.mode, sum(s.tokens) FROM (SELECT unnest(?) AS id) sel
                                      JOIN samples s USING (id) GROUP BY 1""",
            [[e["id"] for e in manifest["samples"]]],
        )
    )
    assert by_mode["reasoning"] and by_mode["non_reasoning"]
    assert (
        m["reasoning : non-reasoning (catalog)"]
        == f"{by_mode['reasoning'] / by_mode['non_reasoning']:.2f} : 1"
    )
    assert m["target ratio"] == "1.5 : 1"
    table = at.dataframe[1].value
    assert list(table["requested"]) == [c["asked_tokens"] for c in manifest["components"]]
    assert list(table["filled"]) == [c["selected_tokens"] for c in manifest["components"]]
    assert [w.value for w in at.warning] == [md(w) for w in manifest["warnings"]]


def test_browse_deep_link_opens_one_sample(dash_store, ids):
    at = AppTest.from_file(str(APP / "views" / "browse.py"), default_timeout=60)
    at.query_params["id"] = ids["korean"]
    at.run()
    assert not at.exception
    assert at.subheader[0].value == f"Sample {md(ids['korean'])}"
    q = sql(dash_store, "SELECT preview FROM samples WHERE id = ?", [ids["korean"]])[0][0]
    assert q in at.get("html")[0].value


def test_deep_link_id_is_shown_literally(dash_store):
    at = AppTest.from_file(str(APP / "views" / "browse.py"), default_timeout=60)
    at.query_params["id"] = "![pixel](http://attacker.example/p.png)"
    at.run()
    assert not at.exception
    shown = at.warning[0].value
    assert "\\!\\[pixel\\]\\(http" in shown and "![" not in shown
