"""Korean legal/administrative long text → QA and summarisation tasks whose targets are the documents' own text.

- Constitution article lookup: a chapter rendered in one of four formats + "what does 제N조 say?" → the article
  verbatim.
- Bill summarisation: a bill (metadata + body, its summary section removed) in one of four formats + "summarise
  the reasons and main content" → the bill's own 제안이유/주요내용 section (written by its proposers).
No model is involved, so these are real targets even with `engine.backend: none`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from generators.multilingual.formats import FORMAT_NAMES_KO, FORMATS, Section, render
from generators.multilingual.korean_docs import Bill, Constitution

CONSTITUTION_LICENSE = "KR statute: not copyright-protected (Korean Copyright Act art. 7)"
BILL_LICENSE = "KR National Assembly bill: public legislative document"

_ARTICLE_QUESTIONS = (
    "{title} 제{n}조는 무엇을 규정하고 있나요? 위 문서의 조문을 그대로 인용해 답하세요.",
    "위 문서에서 {title} 제{n}조의 내용을 찾아 그대로 알려 주세요.",
    "제{n}조의 전문을 위 자료에서 찾아 적어 주세요.",
)
_BILL_REQUESTS = (
    "위 법률안을 읽고 제안이유와 주요내용을 요약해 주세요.",
    "이 법률안이 왜 제안되었고 무엇을 바꾸려 하는지 정리해 주세요.",
)


@dataclass(frozen=True)
class LegalTask:
    key: str  # stable id key, e.g. "constitution:제10조:json"
    task: str  # article_lookup | bill_summary
    fmt: str
    user: str
    target: str
    source: str
    license: str
    metadata: dict = field(default_factory=dict)


def _pick(options: tuple, k: int):
    return options[k % len(options)]


def article_tasks(con: Constitution, source: str, formats: tuple[str, ...] = FORMATS) -> list[LegalTask]:
    """One task per article; the format and wording rotate with the article index (deterministic)."""
    tasks = []
    chapters = con.chapters()
    for i, art in enumerate(con.articles):
        fmt = _pick(formats, i)
        sections = [
            Section(f"제{a.number}조", a.text.split(" ", 1)[1] if " " in a.text else a.text)
            for a in chapters[art.chapter]
        ]
        doc = render(fmt, f"{con.title} {art.chapter}", sections)
        question = _pick(_ARTICLE_QUESTIONS, i // len(formats)).format(title=con.title, n=art.number)
        user = (
            f"다음은 {con.title} {art.chapter} 부분을 {FORMAT_NAMES_KO[fmt]} 형식으로 정리한 것입니다.\n\n"
            f"{doc}\n\n{question}"
        )
        tasks.append(
            LegalTask(
                f"constitution:제{art.number}조:{fmt}",
                "article_lookup",
                fmt,
                user,
                art.text,
                source,
                CONSTITUTION_LICENSE,
                {"article": art.number, "chapter": art.chapter},
            )
        )
    return tasks


def bill_tasks(bills: list[Bill], source_dir: str, formats: tuple[str, ...] = FORMATS) -> list[LegalTask]:
    tasks = []
    for i, bill in enumerate(sorted(bills, key=lambda b: b.bill_id)):
        fmt = _pick(formats, i)
        sections = [Section(k, v) for k, v in bill.metadata.items()] + [Section("본문", bill.body)]
        doc = render(fmt, bill.title, sections)
        user = (
            f"다음은 국회 법률안을 {FORMAT_NAMES_KO[fmt]} 형식으로 정리한 것입니다.\n\n{doc}\n\n"
            f"{_pick(_BILL_REQUESTS, i)}"
        )
        tasks.append(
            LegalTask(
                f"bill:{bill.bill_id}:{fmt}",
                "bill_summary",
                fmt,
                user,
                bill.summary,
                str(Path(source_dir) / f"{bill.bill_id}.txt"),
                BILL_LICENSE,
                {"bill_id": bill.bill_id, "title": bill.title},
            )
        )
    return tasks


def legal_documents(con: Constitution, bills: list[Bill], constitution_source: str, bills_dir: str):
    """The same documents as plain text, one per constitution chapter and per bill, for model-written QA
    (`GroundedQAGenerator`); they are files, not catalog records, so they carry no edu score."""
    from generators.knowledge.selection import SourceDocument

    docs = []
    for chapter, arts in con.chapters().items():
        text = render("plain", f"{con.title} {chapter}", [Section("", a.text) for a in arts])
        docs.append(
            SourceDocument(
                f"{constitution_source}#{chapter}",
                text,
                "ko",
                None,
                CONSTITUTION_LICENSE,
                constitution_source,
                in_catalog=False,
            )
        )
    for b in sorted(bills, key=lambda b: b.bill_id):
        path = str(Path(bills_dir) / f"{b.bill_id}.txt")
        text = render("plain", b.title, [Section("제안이유 및 주요내용", b.summary), Section("본문", b.body)])
        docs.append(SourceDocument(path, text, "ko", None, BILL_LICENSE, path, in_catalog=False))
    return docs
