"""Korean constitution / bill readers and the four input formats, on the real files in examples/data."""

from __future__ import annotations

import json

import pytest

from generators.multilingual.formats import FORMATS, Section, render
from generators.multilingual.korean_docs import read_bill, read_constitution, unwrap
from generators.multilingual.legal_tasks import article_tasks, bill_tasks


@pytest.fixture(scope="module")
def constitution(examples):
    return read_constitution(examples / "korean/kolaw_constitution.txt")


@pytest.fixture(scope="module")
def bills(examples):
    return [read_bill(p) for p in sorted((examples / "korean/kobill").glob("*.txt"))]


def test_constitution_articles_and_chapters(constitution):
    arts = constitution.articles
    assert constitution.title == "대한민국헌법"
    assert [a.number for a in arts] == [str(i) for i in range(1, 131)]  # main text only, no 부칙 renumbering
    assert (
        arts[0].text
        == "제1조 ① 대한민국은 민주공화국이다.\n②대한민국의 주권은 국민에게 있고, 모든 권력은 국민으로부터 나온다."
    )
    assert arts[0].chapter == "제1장 총강" and arts[-1].chapter == "제10장 헌법개정"
    assert len(constitution.chapters()) == 10 and constitution.preamble.startswith("유구한 역사와 전통에")


def test_bill_summary_is_the_bills_own_section_without_page_markers(bills):
    b = bills[0]
    assert b.bill_id == "1809890" and b.title == "지방공무원법 일부개정법률안"
    assert b.metadata["발의연월일"] == "2010. 11. 12."
    assert (
        b.summary.startswith("초등학교 저학년의 경우에도") and "필요한 나이이나" in b.summary
    )  # wrap undone
    assert b.summary.endswith("개정하려는 것임(안 제63조제2항제4호).")
    assert "- 1 -" not in b.summary and "제안이유" not in b.body  # the target does not leak into the input
    assert "제63조제2항제4호 중" in b.body and "신·구조문대비표" not in b.body
    assert all(len(x.summary) > 100 for x in bills)


def test_unwrap_joins_wrapped_lines_and_keeps_list_items():
    lines = [
        "  첫 문단은 여기서 시작하여 다음 줄로 이어지는 긴 문장이 되는",
        "데 이렇게 단어 중간에서 끊어졌다가 다시 이어집니다.",
        "가. 첫째 항목",
        "나. 둘째 항목",
        "- 2 -",
    ]
    assert unwrap(lines) == (
        "첫 문단은 여기서 시작하여 다음 줄로 이어지는 긴 문장이 되는데 이렇게 단어 중간에서 끊어졌다가 다시 이어집니다.\n"
        "가. 첫째 항목\n나. 둘째 항목"
    )


def test_not_a_bill_or_statute_is_an_error_naming_the_file(examples):
    with pytest.raises(ValueError, match="ChatbotData.csv.*제안이유"):
        read_bill(examples / "korean/ChatbotData.csv")
    with pytest.raises(ValueError, match=r"nsmc_synopses.json:1: no articles"):
        read_constitution(examples / "korean/nsmc_synopses.json")


def test_formats_carry_the_same_content():
    sections = [
        Section("제1조", "대한민국은 민주공화국이다."),
        Section("제2조", "국가는 | 재외국민을\n보호한다."),
    ]
    out = {f: render(f, "헌법", sections) for f in FORMATS}
    assert json.loads(out["json"])["항목"][1] == {"구분": "제2조", "내용": "국가는 | 재외국민을\n보호한다."}
    assert out["markdown"].startswith("# 헌법\n\n## 제1조")
    assert "| 제2조 | 국가는 \\| 재외국민을<br>보호한다. |" in out["table"]
    assert (
        out["plain"] == "헌법\n\n제1조\n대한민국은 민주공화국이다.\n\n제2조\n국가는 | 재외국민을\n보호한다."
    )
    with pytest.raises(ValueError, match="unknown document format"):
        render("xml", "t", sections)


def test_tasks_rotate_formats_and_target_the_documents_own_text(constitution, bills):
    tasks = article_tasks(constitution, "korean/kolaw_constitution.txt")
    assert len(tasks) == 130 and {t.fmt for t in tasks} == set(FORMATS)
    t10 = next(t for t in tasks if t.metadata["article"] == "10")
    assert t10.target.startswith("제10조 모든 국민은 인간으로서의 존엄과 가치를 가지며")
    assert "제10조" in t10.user and "제2장 국민의 권리와 의무" in t10.user
    btasks = bill_tasks(bills, "korean/kobill")
    assert [t.target for t in btasks] == [b.summary for b in sorted(bills, key=lambda b: b.bill_id)]
    assert all(t.target not in t.user for t in btasks)
    assert len({t.key for t in tasks + btasks}) == len(tasks) + len(btasks)
