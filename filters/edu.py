"""Educational-value scoring: a small fastText classifier trained DCLM-style (`datamill train-classifier`,
curation/edu_classifier.py) gives P(high quality) in [0, 1]; documents under `threshold` are dropped.

When an LLM engine is configured, `LLMEduLabeler` asks it for the FineWeb-Edu additive 0–5 rubric
(arXiv 2406.17557 App. F; FineWeb-Edu keeps score >= 3) — the pure parts `build_edu_prompt` / `parse_edu_score`
are separate from the one engine call.
"""

from __future__ import annotations

import re

from datatrove.data import Document, DocumentsPipeline
from datatrove.pipeline.base import PipelineStep
from datatrove.pipeline.filters.base_filter import BaseFilter

from schemas.web import META_EDU, META_EDU_LLM

POSITIVE_LABEL = "__label__hq"
NEGATIVE_LABEL = "__label__cc"  # DCLM's fastText labels: high quality vs Common Crawl
_WS = re.compile(r"\s+")
EDU_MAX_CHARS = 20_000


def fasttext_line(text: str) -> str:
    """fastText reads one line: fold whitespace, lower-case (as in the DCLM classifier's preprocessing)."""
    return _WS.sub(" ", text[:EDU_MAX_CHARS]).strip().lower()


def load_edu_model(path: str):
    import fasttext

    fasttext.FastText.eprint = lambda *a, **k: None
    return fasttext.load_model(str(path))


def edu_scores(model, texts: list[str]) -> list[float]:
    labels, probs = model.predict([fasttext_line(t) or "_" for t in texts], k=2)
    out = []
    for labs, ps in zip(labels, probs):
        d = dict(zip(labs, ps))
        out.append(float(min(d.get(POSITIVE_LABEL, 0.0), 1.0)))
    return out


class EduScoreFilter(BaseFilter):
    """Scores each document with the fastText edu classifier; keeps score >= threshold.

    threshold=0 scores without dropping. DCLM keeps the top ~10% of its pool (arXiv 2406.11794 §4.4); with our
    classifier a threshold is chosen on held-out data (docs/curation.md)."""

    name = "🎓 Edu-value score"

    def __init__(self, model_path: str, threshold: float = 0.0, exclusion_writer=None, batch_size: int = 64):
        super().__init__(exclusion_writer, batch_size=batch_size)
        self.model_path = str(model_path)
        self.threshold = threshold
        self._model = None

    def decide(self, doc: Document, score: float) -> bool | tuple[bool, str]:
        doc.metadata[META_EDU] = round(score, 6)
        return True if score >= self.threshold else (False, "low_edu_score")

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        return self.filter_batch([doc])[0]

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        return [self.decide(d, s) for d, s in zip(batch, edu_scores(self._model, [d.text for d in batch]))]

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        self._model = load_edu_model(self.model_path)
        yield from super().run(data, rank, world_size)


# FineWeb-Edu annotation prompt (HuggingFaceFW/fineweb-edu-classifier, "additive 5-point scoring system").
EDU_RUBRIC = """Below is an extract from a web page. Evaluate whether the page has a high educational value and could be useful in an educational setting for teaching from primary school to grade school levels using the additive 5-point scoring system described below. Points are accumulated based on the satisfaction of each criterion:

- Add 1 point if the extract provides some basic information relevant to educational topics, even if it includes some irrelevant or non-academic content like advertisements and promotional material.
- Add another point if the extract addresses certain elements pertinent to education but does not align closely with educational standards. It might mix educational content with non-educational material, offering a superficial overview of potentially useful topics, or presenting information in a disorganized manner and incoherent writing style.
- Award a third point if the extract is appropriate for educational use and introduces key concepts relevant to school curricula. It is coherent though it may not be comprehensive or could include some extraneous information. It may resemble an introductory section of a textbook or a basic tutorial that is suitable for learning but has notable limitations like treating concepts that are too complex for grade school students.
- Grant a fourth point if the extract highly relevant and beneficial for educational purposes for a level not higher than grade school, exhibiting a clear and consistent writing style. It could be similar to a chapter from a textbook or a tutorial, offering substantial educational content, including exercises and solutions, with minimal irrelevant information, and the concepts aren't too advanced for grade school students. The content is coherent, focused, and valuable for structured learning.
- Bestow a fifth point if the extract is outstanding in its educational value, perfectly suited for teaching either at primary school or grade school. It follows detailed reasoning, the writing style is easy to follow and offers profound and thorough insights into the subject matter, devoid of any non-educational or complex content.

The extract:
{text}

After examining the extract:
- Briefly justify your total score, up to 100 words.
- Conclude with the score using the format: "Educational score: <total points>\""""

_SCORE = re.compile(r"Educational score:\s*\**\s*([0-5])\b", re.IGNORECASE)


def build_edu_prompt(text: str, max_chars: int = 6000) -> str:
    return EDU_RUBRIC.format(text=text[:max_chars])


def parse_edu_score(completion: str) -> int | None:
    """The last 'Educational score: N' in the reply (0–5), or None when the reply has none."""
    found = _SCORE.findall(completion.split("</think>")[-1])
    return int(found[-1]) if found else None


class LLMEduLabeler(PipelineStep):
    """Adds metadata["edu_llm_score"] (0–5 or None) from an LLM engine; never drops (labels train/check the
    fastText scorer). `engine_config` is a datamill.engine EngineConfig dict; the engine is built per task."""

    name = "🧑‍🏫 LLM edu labels"
    type = "🏷 - LABEL"

    def __init__(self, engine_config: dict, batch_size: int = 16, cache_dir: str | None = None):
        super().__init__()
        self.engine_config = engine_config
        self.batch_size = batch_size
        self.cache_dir = cache_dir

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        from datatrove.utils.batching import batched

        from datamill.engine.base import EngineConfig, SamplingParams
        from datamill.engine.factory import make_engine
        from schemas import Message

        engine = make_engine(EngineConfig(**self.engine_config), self.cache_dir)
        params = SamplingParams(temperature=0.0, max_tokens=256, reasoning=False)
        for batch in batched(data, self.batch_size):
            prompts = [[Message(role="user", content=build_edu_prompt(d.text))] for d in batch]
            with self.track_time("batch"):
                outs = engine.generate(prompts, params) if engine else [[] for _ in batch]
            for doc, comps in zip(batch, outs):
                score = parse_edu_score(comps[0].text) if comps else None
                doc.metadata[META_EDU_LLM] = score
                self.stat_update("labeled" if score is not None else "unparsed")
                yield doc
