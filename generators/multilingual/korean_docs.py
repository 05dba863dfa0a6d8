"""Readers for Korean legal/administrative text: the Constitution (articles by chapter) and National Assembly
bills (title, metadata, 제안이유/주요내용, body). Their own structure gives real QA and summarisation targets.

Bill files are PDF-to-text dumps: page markers (`- 3 -`), lines hard-wrapped mid-word, and a 신·구조문대비표
(old/new comparison table) laid out in columns that text extraction scrambles; `unwrap` and the section
rules below undo the first two and leave the table out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from datamill.errors import InputError

_PAGE = re.compile(r"^\s*-\s*\d+\s*-\s*$")
_CHAPTER = re.compile(r"^\s*제(\d+)장\s+(.+?)\s*$")
_SECTION = re.compile(r"^\s*제(\d+)절\s+(.+?)\s*$")
_ARTICLE = re.compile(r"^\s*제(\d+)조(?:의(\d+))?\s")
_SUPPLEMENT = re.compile(r"^\s*(펼침\s+)?부\s*칙")
_LIST_START = re.compile(r"^\s*([가-하]\.|\d+\.|[①-⑳]|\(\d+\)|[○□◦•\-])")


@dataclass(frozen=True)
class Article:
    number: str  # "10", or "10의2"
    chapter: str  # "제2장 국민의 권리와 의무"
    text: str  # the article verbatim, starting with 제N조


@dataclass
class Constitution:
    title: str
    preamble: str
    articles: list[Article] = field(default_factory=list)

    def chapters(self) -> dict[str, list[Article]]:
        out: dict[str, list[Article]] = {}
        for a in self.articles:
            out.setdefault(a.chapter, []).append(a)
        return out


def read_constitution(path: str | Path) -> Constitution:
    """Articles of the main text (the 부칙 supplementary provisions restart numbering and are left out)."""
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    title = next((ln.strip() for ln in lines if ln.strip()), "")
    chapter, preamble, articles, cur = "", [], [], None
    for n, line in enumerate(lines[1:], 2):
        if _SUPPLEMENT.match(line):
            break
        if m := _CHAPTER.match(line):
            chapter = f"제{m.group(1)}장 {m.group(2)}"
            continue
        if _SECTION.match(line):
            continue
        if m := _ARTICLE.match(line):
            if cur:
                articles.append(cur)
            number = m.group(1) + (f"의{m.group(2)}" if m.group(2) else "")
            cur = Article(number, chapter, line.strip())
        elif cur and line.strip():
            cur = Article(cur.number, cur.chapter, f"{cur.text}\n{line.strip()}")
        elif not chapter and line.strip():
            preamble.append(line.strip())
    if cur:
        articles.append(cur)
    if not articles:
        raise InputError(f"{path}:1: no articles (제N조) found: not a constitution/statute text")
    return Constitution(title, "\n".join(preamble), articles)


def unwrap(lines: list[str]) -> str:
    """Undo hard wrapping. A line opens a paragraph when it is indented, starts with a list marker or an
    article (제N조), is a heading (주요내용), or when the previous line ended a sentence (…다. / …임.: a period) or was
    clearly shorter than the wrap width (a title or the last line of a paragraph). Otherwise it continues the
    previous line, with a space only where the previous line ended with one (the wrap split a word otherwise)."""
    kept = [ln for ln in lines if ln.strip() and not _PAGE.match(ln)]
    lengths = sorted(len(ln.strip()) for ln in kept)
    width = lengths[int(0.8 * (len(lengths) - 1))] if lengths else 0
    paras: list[str] = []
    prev = ""
    for raw in kept:
        line = raw.strip()
        heading = bool(_HEADING_MAIN.match(raw))
        prev_ended = (
            not prev
            or _HEADING_MAIN.match(prev)
            or prev.rstrip().endswith(".")
            or len(prev.strip()) < 0.6 * width
        )
        if heading or prev_ended or raw[:1].isspace() or _LIST_START.match(raw) or _ARTICLE.match(raw):
            paras.append(line)
        else:
            paras[-1] += (" " if prev.endswith((" ", "\t")) else "") + line
        prev = raw
    return "\n".join(re.sub(r" {2,}", " ", p) for p in paras)


@dataclass(frozen=True)
class Bill:
    bill_id: str  # file stem (the bill number)
    title: str
    metadata: dict[str, str]  # 의안번호, 발의연월일/제출연월일, 발의자/제출자
    summary: str  # 제안이유 (및 주요내용): the bill's own summary, unwrapped
    body: (
        str  # the rest (bill text, supplementary provisions, notes), unwrapped, without the comparison table
    )


_HEADING_REASON = re.compile(r"^\s*제안이유")
_HEADING_MAIN = re.compile(r"^\s*주요내용\s*$")
_SUMMARY_END = re.compile(r"^\s*(참고사항|법률\s+제\s+호|법률\s+제\d+호)")
_TABLE = re.compile(r"^\s*신\s*·\s*구조문대비표")
_META = re.compile(r"(발의연월일|제출연월일|발\s*의\s*자|제\s*출\s*자)\s*:\s*(.+?)\s*$")


def read_bill(path: str | Path) -> Bill:
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((i for i, ln in enumerate(lines) if _HEADING_REASON.match(ln)), None)
    if start is None:
        raise InputError(f"{path}: no 제안이유 section: not a National Assembly bill text")
    head = [ln.strip() for ln in lines[:start] if ln.strip()]
    title_lines = []
    for ln in head:
        if ln.startswith(("(", "의안")) or ":" in ln:
            break
        title_lines.append(ln)
    metadata = {"의안번호": path.stem}
    for ln in head:
        if m := _META.search(ln):
            metadata[re.sub(r"\s+", "", m.group(1))] = re.sub(r"\s+", " ", m.group(2))
    end = len(lines)
    for i in range(start + 1, len(lines)):
        if _SUMMARY_END.match(lines[i]) or _TABLE.match(lines[i]):
            end = i
            break
    summary_lines = lines[start + 1 : end]
    body_lines = []
    for ln in lines[end:]:
        if _TABLE.match(ln):
            break
        body_lines.append(ln)
    summary = unwrap(summary_lines)
    if not summary:
        raise InputError(f"{path}:{start + 1}: empty 제안이유 section")
    return Bill(path.stem, " ".join(title_lines), metadata, summary, unwrap(body_lines))
