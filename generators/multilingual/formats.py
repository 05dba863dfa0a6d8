"""Render one structured document (title + labelled sections) as plain text, Markdown, JSON or a table.

EXAONE 4.0 restructures Korean long documents into varied formats so the model reads the same content in the
shapes users paste; each sample picks one format deterministically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

FORMATS = ("plain", "markdown", "json", "table")
FORMAT_NAMES_KO = {"plain": "텍스트", "markdown": "마크다운", "json": "JSON", "table": "표"}


@dataclass(frozen=True)
class Section:
    label: str
    text: str


def render_plain(title: str, sections: list[Section]) -> str:
    return "\n\n".join([title, *(f"{s.label}\n{s.text}" if s.label else s.text for s in sections)])


def render_markdown(title: str, sections: list[Section]) -> str:
    parts = [f"# {title}"]
    for s in sections:
        parts.append(f"## {s.label}\n\n{s.text}" if s.label else s.text)
    return "\n\n".join(parts)


def render_json(title: str, sections: list[Section]) -> str:
    obj = {"제목": title, "항목": [{"구분": s.label, "내용": s.text} for s in sections]}
    return json.dumps(obj, ensure_ascii=False, indent=2)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def render_table(title: str, sections: list[Section]) -> str:
    rows = [f"| {_cell(s.label)} | {_cell(s.text)} |" for s in sections]
    return "\n".join([f"**{title}**", "", "| 구분 | 내용 |", "|---|---|", *rows])


RENDERERS = {"plain": render_plain, "markdown": render_markdown, "json": render_json, "table": render_table}


def render(fmt: str, title: str, sections: list[Section]) -> str:
    if fmt not in RENDERERS:
        raise ValueError(f"unknown document format {fmt!r}; known: {list(RENDERERS)}")
    return RENDERERS[fmt](title, sections)
