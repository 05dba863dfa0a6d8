"""Real long text per language: Paul Graham essays (en), Korean constitution + bills (ko), XQuAD Spanish
paragraphs (es), plus curated web documents from the catalog (kind 'web', passed), and XQuAD facts for
'fact' needles. ../shared/data is used when present (all 49 essays, all XQuAD), else the embedded sample."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from datamill.demo_data import EXAMPLES, shared_data
from datamill.errors import InputError
from generators.long_context.haystack import SourceDoc, split_sentences

PG_LICENSE = "essays (c) Paul Graham; via gkamradt/LLMTest_NeedleInAHaystack (MIT)"
KO_LICENSE = "public domain (KR Copyright Act art. 7): statute and National Assembly bills via konlpy"
XQUAD_LICENSE = "CC-BY-SA-4.0 (google-deepmind/xquad)"
_WORDS = {
    "en": re.compile(r"\b[a-z]{5,10}\b"),
    "es": re.compile(r"\b[a-záéíóúñ]{5,10}\b"),
    "ko": re.compile(r"[가-힣]{2,4}"),
}


@dataclass
class Fact:
    """A real fact from another document: the sentence holding the answer, its question and answer."""

    id: str
    language: str
    sentence: str
    question: str
    answer: str
    doc: str  # article title: the haystack leaves this document out


def data_root(prefer_shared: bool = True) -> Path:
    return (shared_data() if prefer_shared else None) or EXAMPLES


def _essay_dir(root: Path) -> Path:
    return (
        root / "niah" / "PaulGrahamEssays" if (root / "niah" / "PaulGrahamEssays").is_dir() else root / "niah"
    )


def _xquad(root: Path, lang: str) -> list[dict]:
    p = root / "spanish" / f"xquad.{lang}.json"
    try:
        return json.loads(p.read_text(encoding="utf-8"))["data"]
    except (OSError, json.JSONDecodeError, KeyError) as e:
        raise InputError(f"{p}: cannot read XQuAD ({e})") from None


def load_documents(language: str, root: Path, web: list[SourceDoc] | None = None) -> list[SourceDoc]:
    """Haystack documents for one language, sorted by name (deterministic)."""
    docs: list[SourceDoc] = []
    if language == "en":
        for f in sorted(_essay_dir(root).glob("*.txt")):
            docs.append(
                SourceDoc(f"niah/{f.name}", f.read_text(encoding="utf-8", errors="replace"), PG_LICENSE)
            )
    elif language == "ko":
        law = root / "korean" / "kolaw_constitution.txt"
        if law.exists():
            docs.append(
                SourceDoc("korean/kolaw_constitution.txt", law.read_text(encoding="utf-8"), KO_LICENSE)
            )
        for f in sorted((root / "korean" / "kobill").glob("*.txt")):
            docs.append(
                SourceDoc(
                    f"korean/kobill/{f.name}", f.read_text(encoding="utf-8", errors="replace"), KO_LICENSE
                )
            )
    elif language == "es":
        for art in _xquad(root, "es"):
            text = "\n\n".join(p["context"] for p in art["paragraphs"])
            docs.append(SourceDoc(f"xquad.es:{art['title']}", text, XQUAD_LICENSE))
    else:
        raise InputError(f"no built-in haystack for language {language!r} (en, ko, es); add web documents")
    return docs + [d for d in (web or [])]


def load_web_documents(store, language: str, min_chars: int = 2000, limit: int = 2000) -> list[SourceDoc]:
    """Curated web documents (kind 'web', passed) of one language from the catalog; [] when there are none."""
    if not store.catalog_path.exists():
        return []
    with store.connect(read_only=True) as con:
        rows = con.execute(
            """SELECT s.id, sh.path, s."row", s.license FROM samples s JOIN shards sh ON s.shard = sh.path
               WHERE s.kind = 'web' AND s.passed AND s.language = ? ORDER BY s.id LIMIT ?""",
            [language, limit],
        ).fetchall()
    if not rows:
        return []
    import pyarrow.parquet as pq

    by_shard: dict[str, list[tuple[str, int, str]]] = {}
    for sid, path, row, lic in rows:
        by_shard.setdefault(path, []).append((sid, row, lic or ""))
    docs = []
    for path, items in sorted(by_shard.items()):
        texts = pq.read_table(store.root / path, columns=["text"]).column("text").to_pylist()
        docs += [
            SourceDoc(f"web:{sid}", texts[row], lic)
            for sid, row, lic in items
            if row < len(texts) and len(texts[row] or "") >= min_chars
        ]
    return sorted(docs, key=lambda d: d.name)


def word_pool(docs: list[SourceDoc], language: str, min_count: int = 2, max_count: int = 5) -> list[str]:
    """Real but rare words of the haystack language for needle keys and word values: seen at least twice (not
    a typo) and at most `max_count` times, so a word value is unlikely to occur in the haystack by chance."""
    pat = _WORDS.get(language, _WORDS["en"])
    counts: dict[str, int] = {}
    for d in docs:
        for w in pat.findall(d.text.lower()):
            counts[w] = counts.get(w, 0) + 1
    pool = sorted(w for w, c in counts.items() if min_count <= c <= max_count)
    if len(pool) < 20:
        raise InputError(
            f"only {len(pool)} distinct {language} words in the sources: too few for needle keys"
        )
    return pool


def _batchim(word: str) -> bool:
    ch = word.strip()[-1:] or "a"
    return "가" <= ch <= "힣" and (ord(ch) - 0xAC00) % 28 != 0


def korean_bill_facts(root: Path) -> list[Fact]:
    """Facts read off each bill's cover (number, date, lead sponsor), stated in a fixed Korean sentence; the
    values are the bill's own, the wording is ours (there is no Korean reading-comprehension set offline)."""
    facts = []
    for f in sorted((root / "korean" / "kobill").glob("*.txt")):
        text = f.read_text(encoding="utf-8", errors="replace")
        lines = []
        for line in text.replace(
            "\ufeff", ""
        ).splitlines():  # title: the lines before "(…대표발의)" or "의안"
            if line.strip().startswith("(") or re.match(r"\s*의\s*안\s*$", line):
                break
            lines.append(line)
        title = " ".join(" ".join(lines).split())
        num = re.search(r"\n\s*(\d{4,})\s*\n", text)
        date = re.search(r"(발의|제출)연월일\s*:\s*(\d{4})\.\s*(\d{1,2})\.\s*(\d{1,2})\.", text)
        who = re.search(r"\((\S+?)의원\s*대표발의", text)
        if not title or not num or not date:
            continue
        doc, obj = f"korean/kobill/{f.name}", "을" if _batchim(title) else "를"
        when = f"{date.group(2)}년 {int(date.group(3))}월 {int(date.group(4))}일"
        kind = date.group(1)
        facts.append(
            Fact(
                f"kobill:{f.stem}:num",
                "ko",
                f"{title}의 의안 번호는 {num.group(1)}이다.",
                f"{title}의 의안 번호는 무엇인가?",
                num.group(1),
                doc,
            )
        )
        facts.append(
            Fact(
                f"kobill:{f.stem}:date",
                "ko",
                f"{title}의 {kind}연월일은 {when}이다.",
                f"{title}의 {kind}연월일은 언제인가?",
                when,
                doc,
            )
        )
        if who:
            facts.append(
                Fact(
                    f"kobill:{f.stem}:sponsor",
                    "ko",
                    f"{title}{obj} 대표발의한 의원은 {who.group(1)}이다.",
                    f"{title}{obj} 대표발의한 의원은 누구인가?",
                    who.group(1),
                    doc,
                )
            )
    return facts


def load_facts(root: Path, language: str) -> list[Fact]:
    """en/es: XQuAD questions whose answer lies in one sentence of its paragraph; ko: bill-cover facts."""
    if language == "ko":
        return korean_bill_facts(root)
    if language not in ("en", "es"):
        return []
    facts = []
    for art in _xquad(root, language):
        for para in art["paragraphs"]:
            ctx = para["context"].replace("\ufeff", "")
            sents = split_sentences(ctx)
            for qa in para["qas"]:
                ans = qa["answers"][0]["text"].strip()
                hit = [s for s in sents if ans and ans in s]
                if len(hit) == 1 and len(hit[0]) <= 400:
                    facts.append(
                        Fact(
                            qa["id"],
                            language,
                            hit[0],
                            qa["question"].strip(),
                            ans,
                            f"xquad.{language}:{art['title']}",
                        )
                    )
    return facts
