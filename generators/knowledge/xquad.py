"""XQuADReader: SQuAD-format QA with gold answers (XQuAD en/es) → grounded seed SFT samples.

No model is involved: the paragraph is the context, the question the query, and the dataset's gold answer
(written by the dataset's annotators / professional translators) the assistant answer. English goes to the
world_knowledge domain, Spanish to multilingual (configs decide).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from datamill.errors import InputError
from schemas import Lineage, Message, SFTSample, Verdict

XQUAD_LICENSE = "CC-BY-SA-4.0"  # google-deepmind/xquad (examples/data/SOURCES.md)

# The instruction around passage + question, in the sample's own language.
TEMPLATES = {
    "en": "Read the passage and answer the question.\n\nPassage:\n{context}\n\nQuestion: {question}",
    "es": "Lee el texto y responde a la pregunta.\n\nTexto:\n{context}\n\nPregunta: {question}",
    "ko": "다음 글을 읽고 질문에 답하세요.\n\n글:\n{context}\n\n질문: {question}",
}


@dataclass(frozen=True)
class XQuADItem:
    qid: str
    title: str
    context: str
    question: str
    answer: str
    answer_start: int
    language: str
    where: str  # file:data[i].paragraphs[j].qas[k]

    @property
    def gold_span_ok(self) -> bool:
        """The gold answer sits in the paragraph at its offset (or at least somewhere in it)."""
        at = self.context[self.answer_start : self.answer_start + len(self.answer)] == self.answer
        return at or self.answer in self.context


class XQuADReader:
    """Reads one SQuAD-v1.1-format file. Malformed entries are skipped and listed in `errors` (file:position)."""

    def __init__(self, path: str | Path, language: str):
        self.path = Path(path)
        self.language = language
        self.errors: list[str] = []

    def read(self) -> list[XQuADItem]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8-sig"))["data"]
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as e:
            raise InputError(f"{self.path}: not a SQuAD-format JSON file ({e})") from None
        items: list[XQuADItem] = []
        for i, article in enumerate(data):
            for j, para in enumerate(article.get("paragraphs", [])):
                context = str(para.get("context", "")).lstrip("\ufeff").strip()
                for k, qa in enumerate(para.get("qas", [])):
                    where = f"{self.path.name}:data[{i}].paragraphs[{j}].qas[{k}]"
                    try:
                        ans = qa["answers"][0]
                        # offsets count from the raw context; the BOM we stripped shifts them by one
                        shift = len(para["context"]) - len(para["context"].lstrip("\ufeff"))
                        items.append(
                            XQuADItem(
                                qid=str(qa["id"]),
                                title=str(article.get("title", "")),
                                context=context,
                                question=str(qa["question"]).strip(),
                                answer=str(ans["text"]).strip(),
                                answer_start=int(ans["answer_start"]) - shift,
                                language=self.language,
                                where=where,
                            )
                        )
                    except (KeyError, IndexError, TypeError, ValueError) as e:
                        self.errors.append(f"{where}: malformed QA entry ({type(e).__name__}: {e})")
        return items


def build_messages(item: XQuADItem) -> list[Message]:
    template = TEMPLATES.get(item.language, TEMPLATES["en"])
    return [
        Message(role="user", content=template.format(context=item.context, question=item.question)),
        Message(role="assistant", content=item.answer),
    ]


def xquad_sample(
    item: XQuADItem, sample_id: str, domain: str, verdicts: list[Verdict], num_tokens: int
) -> SFTSample:
    return SFTSample(
        id=sample_id,
        domain=domain,
        language=item.language,
        mode="non_reasoning",
        messages=build_messages(item),
        verdicts=verdicts,
        num_tokens=num_tokens,
        license=XQUAD_LICENSE,
        lineage=Lineage(source=f"xquad:{item.language}:{item.qid}", model="reference"),
        metadata={
            "title": item.title,
            "qid": item.qid,
            "answer_start": item.answer_start,
            "where": item.where,
        },
    )


def import_xquad(
    items: list[XQuADItem], report, dataset: str, run_id: str, domain: str, tokenizer_path: str | None = None
) -> list[SFTSample]:
    """Checks on real data: the gold answer is in its paragraph, and the sample is in its stated language.
    A failing item is still written (passed=false) so the catalog shows what was dropped and why."""
    from datamill.ids import sample_id
    from datamill.tokens import count_chat_tokens
    from filters.language_consistency import LanguageConsistencyFilter
    from generators.sft_checks import first_failure, to_verdict

    lang_filter = LanguageConsistencyFilter()
    out = []
    for it in items:
        verdicts = [
            Verdict(
                verifier="gold_span",
                passed=it.gold_span_ok,
                reason="" if it.gold_span_ok else "answer_not_in_context",
            )
        ]
        messages = build_messages(it)
        text = "\n".join(m.content for m in messages)
        verdicts.append(
            to_verdict("language_consistency", lang_filter.filter(text, it.language), expected=it.language)
        )
        if reason := first_failure(verdicts):
            report.add_drop(reason)
        n = count_chat_tokens(messages, reasoning=False, tokenizer_path=tokenizer_path)
        out.append(
            xquad_sample(it, sample_id(dataset, run_id, f"{it.language}:{it.qid}"), domain, verdicts, n)
        )
    return out
