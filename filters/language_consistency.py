"""LanguageConsistencyFilter: a response stays in the query's language, in its thought and in its answer.

EXAONE 4.0 filters reasoning responses for language inconsistency (answers that switch language). We check the
whole response: the final answer as a whole (its fastText LID and the share of the expected script), then every
line of the thought and of the answer. Code blocks, inline code, `[asy]` blocks, LaTeX / math, URLs and
identifiers are blanked first (line numbers kept); only letters count, so numbers, symbols and full-width
punctuation (`，`) never decide anything. A line switches language when
- it holds letters of a script foreign to the expected language (Hangul, Kana, Cyrillic, … in an English or
  Spanish response; Kana, Cyrillic, … in a Korean one). Greek letters are math symbols and never count;
- in a Korean response, Han characters form running Chinese text rather than a hanja term (`_is_chinese`);
- in a Korean response, a sentence has no Hangul at all and fastText calls it another language (Korean grammar
  — particles and endings — is written in Hangul, so a Korean sentence full of loanwords still has Hangul);
- in a Latin-script response, fastText calls a sentence another language and gives the expected one almost no
  chance (English inside Spanish).
The reason names the switch: `switch_to_<script>_in_<thought|answer>` (`han`, `hangul`, `latin_en` …); `check()`
adds the line number and the line's text (`details`), which the verdicts carry.
LID is fastText lid.176 via `filters.lid` (offline).
"""

from __future__ import annotations

import re

from datamill.errors import InputError
from filters.lid import lid_model
from schemas.chat_format import split_thought

_BLANK = [  # (literal that must occur, non-prose span, spans lines); a span becomes its newlines: line numbers stay
    ("```", re.compile(r"```.*?(?:```|\Z)", re.DOTALL), True),
    ("[asy]", re.compile(r"\[asy\].*?(?:\[/asy\]|\Z)", re.DOTALL), True),
    ("$$", re.compile(r"\$\$.*?\$\$", re.DOTALL), True),
    ("\\[", re.compile(r"\\\[.*?\\\]", re.DOTALL), True),
    ("\\(", re.compile(r"\\\(.*?\\\)", re.DOTALL), True),
    ("\\begin", re.compile(r"\\begin\{([A-Za-z*]+)\}.*?\\end\{\1\}", re.DOTALL), True),
    ("`", re.compile(r"`[^`\n]*`"), False),
    ("$", re.compile(r"\$[^$\n]*\$"), False),
    ("\\", re.compile(r"\\[A-Za-z]+\*?(?:\{[^{}\n]*\})?"), False),
    ("://", re.compile(r"https?://\S+"), False),
]
# identifiers, calls, paths, a.b.c, e-mail; every branch starts with a literal so the scan stays fast
_CODEY = re.compile(r"[_=<>^/\\|{}\[\]@]|\((?<=\w\()|\.(?<=\w\.)(?=\w+\.\w)")
_SPACE = re.compile(r"\s")
_SENTENCE = re.compile(r"[.!?]\s+|[。！？]\s*")
_CLAUSE = re.compile(r"[,.;:!?。，、；：！？]")
_SCRIPT_OF_LANG = {
    "ko": "hangul",
    "en": "latin",
    "es": "latin",
    "fr": "latin",
    "de": "latin",
    "it": "latin",
    "pt": "latin",
}
# Unicode blocks of each script (Unicode 15 Blocks.txt); counting with one C-level regex per script is ~10× faster
# than a per-character lookup. Full-width Latin counts as Latin, half-width Kana as Kana.
_RANGES = {
    "latin": "A-Za-z\u00c0-\u024f\u1e00-\u1eff\uff21-\uff3a\uff41-\uff5a",
    "hangul": "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\uffa0-\uffdc",
    "han": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f",
    "kana": "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    "cyrillic": "\u0400-\u052f",
    "greek": "\u0370-\u03ff\u1f00-\u1fff",
    "arabic": "\u0600-\u06ff\u0750-\u077f",
    "hebrew": "\u0590-\u05ff",
    "thai": "\u0e00-\u0e7f",
    "devanagari": "\u0900-\u097f",
}
_SCRIPT_RE = {name: re.compile(f"[{ranges}]") for name, ranges in _RANGES.items()}
SCRIPTS = {lang: _SCRIPT_RE[script] for lang, script in _SCRIPT_OF_LANG.items()}  # language -> its letters
_LETTER = re.compile(r"[^\W\d_]")
_THREE_LETTERS = re.compile(r"[^\W\d_](?:[\W\d_]*[^\W\d_]){2}")
_ALIEN = {own: re.compile(f"[^\\W\\d_{_RANGES[own]}{_RANGES['greek']}]") for own in ("latin", "hangul")}
# letters that can start a script switch: Latin hosts allow Latin and Greek; Korean ones also Latin (loanwords) and
# Han (hanja, judged by _is_chinese)
_SUSPECT = {
    "latin": _ALIEN["latin"],
    "hangul": re.compile(
        f"[^\\W\\d_{_RANGES['hangul']}{_RANGES['greek']}{_RANGES['latin']}{_RANGES['han']}]"
    ),
}
# sentence-like stretches fastText reads: no line break or sentence end inside; for Korean also no Hangul;
# what ends one ("d.C." or "3.5" is no sentence end: a full stop ends one only before a space or the line's end)
_STRETCH_END = {
    "latin": re.compile(r"[.!?](?=\s|$)|[\n。！？]", re.MULTILINE),
    "hangul": re.compile(f"[.!?](?=\\s|$)|[\\n。！？]|[{_RANGES['hangul']}]+", re.MULTILINE),
}

# Hanja in Korean text are nouns inside Hangul grammar. In the real Korean data (../shared/data/korean: 10
# National Assembly bills, the Constitution, NSMC reviews and synopses, ChatbotData) the longest run of Han
# characters is 5 (敎育公務員, followed by its particle 이) and the most Han letters in a clause without any
# Hangul is 4 (a legal heading 第44條(休職), the four-character idiom 一場春夢 — 사자성어, the longest fixed
# hanja form). Longer Han stretches are running Chinese.
MAX_HANJA_RUN = 5
MAX_HANJA_CLAUSE = 4
_HAN_RUN = re.compile(f"[{_RANGES['han']}]+")
# A foreign script in a line may be one quoted name or term (XQuAD es quotes Chinese names such as 陳 in Spanish
# sentences): Chinese and Korean personal names are 2-3 characters and the longest fixed term form is the
# four-character idiom, so up to 4 Han/Kana/Hangul characters, or one word of an alphabet (Cyrillic, Arabic, …),
# is a quote; more is text in that language.
MAX_QUOTED_CJK = 4
MAX_QUOTED_WORDS = 1
_SCRIPT_RUN = {name: re.compile(f"[{ranges}]{{2,}}") for name, ranges in _RANGES.items()}
# fastText reads a stretch's first 100 characters (~16 words): its cost grows with the text, and on
# bench/quality/language.py they flag the same switches as whole sentences but one (1,706 vs 1,707 of 1,717 in
# English hosts), with the same false flags, and the check gets faster than line-by-line LID on Spanish prose
LID_CHARS = 100
_PAREN = re.compile(r"\([^()]*\)")
_HANGUL_RUNS = re.compile(f"[{_RANGES['hangul']}]+")


def script_counts(text: str) -> dict[str, int]:
    """Letters per script (`latin`, `hangul`, `han`, `kana`, …, `other`); digits, symbols and punctuation (the
    full-width `，` too) are not letters and never count."""
    total = len(_LETTER.findall(text))
    counts = {name: n for name, pat in _SCRIPT_RE.items() if total and (n := len(pat.findall(text)))}
    if total > sum(counts.values()):
        counts["other"] = total - sum(counts.values())
    return counts


def _first(text: str, script: str) -> int:
    m = _SCRIPT_RE[script].search(text) if script in _SCRIPT_RE else None
    return m.start() if m else len(text)


def blank_non_prose(text: str) -> str:
    """Code, `[asy]`, math, LaTeX commands, URLs and identifier-like tokens replaced by spaces (newlines kept)."""
    for literal, pat, multiline in _BLANK:
        if literal in text:  # one-line patterns need no callback: nothing to count
            text = pat.sub(_keep_newlines if multiline else " ", text)
    out, last = [], 0
    for m in _CODEY.finditer(text):  # few hits in prose: widen each to its whitespace-delimited token
        if m.start() < last:
            continue
        start = max(text.rfind(" ", last, m.start()), text.rfind("\n", last, m.start()), last - 1) + 1
        end = _SPACE.search(text, m.end())
        end = end.start() if end else len(text)
        out += [text[last:start], " "]
        last = end
    return "".join(out) + text[last:] if out else text


def _keep_newlines(m: re.Match) -> str:
    return " " + "\n" * m.group(0).count("\n")


def prose_lines(text: str) -> list[tuple[str, int, str]]:
    """(where, line number from 1, prose) for every line of the thought and of the final answer that has
    letters; a response cut off inside its thought has only thought lines."""
    thought, final = split_thought(text)
    out = []
    for where, part in (("thought", thought), ("answer", final or "")):
        for n, line in enumerate(blank_non_prose(part.lstrip("\n")).split("\n"), 1):  # 1 = first line
            if _LETTER.search(line):
                out.append((where, n, line))
    return out


def prose(text: str) -> str:
    """The natural-language part of the final answer (no thought, code, math, LaTeX, identifiers)."""
    return "\n".join(line for where, _, line in prose_lines(text) if where == "answer")


def script_ratio(text: str, language: str) -> float:
    """Share of letters written in `language`'s script (Hangul for ko, Latin for en/es); 1.0 if no letters."""
    pat = SCRIPTS.get(language)
    if pat is None:
        raise InputError(f"no script known for language {language!r}; known: {sorted(SCRIPTS)}")
    letters = len(_LETTER.findall(text))
    return len(pat.findall(text)) / letters if letters else 1.0


def _top_languages(texts: list[str], k: int = 2) -> list[list[tuple[str, float]]]:
    """fastText's top-k (language, probability) per text, best first (one batch call)."""
    if not texts:
        return []
    labels, probs = lid_model().predict([" ".join(t.split()) or "_" for t in texts], k=k)
    return [[(lab[9:], p) for lab, p in zip(ls, ps)] for ls, ps in zip(labels, probs)]  # "__label__xx"


def _languages(texts: list[str], expected: str) -> list[list[tuple[str, float]]]:
    """Top languages per text: one top-1 pass for all (k=1 is the cheapest call), and the top 2 again only where
    the top-1 is not `expected`, so a suspected switch also carries the expected language's probability."""
    tops = _top_languages(texts, k=1)
    again = [i for i, t in enumerate(tops) if t[0][0] != expected]
    for i, t in zip(again, _top_languages([texts[i] for i in again], k=2)):
        tops[i] = t
    return tops


def _is_chinese(line: str) -> bool:
    """Running Chinese inside a Korean line: a run of adjacent Han characters longer than any hanja word, or a
    Hangul-free clause with more Han letters than a four-character idiom (see MAX_HANJA_*)."""
    if any(len(run) > MAX_HANJA_RUN for run in _HAN_RUN.findall(line)):
        return True
    han, hangul = _SCRIPT_RE["han"], _SCRIPT_RE["hangul"]
    kana = _SCRIPT_RE[
        "kana"
    ]  # Han with Kana is Japanese (a quoted title such as 千と千尋の神隠し), judged as Kana
    return any(
        not hangul.search(c) and not kana.search(c) and len(han.findall(c)) > MAX_HANJA_CLAUSE
        for c in _CLAUSE.split(line)
    )


def _foreign_text(script: str, count: int, line: str) -> bool:
    """More letters of a foreign script than one quoted name or term (see MAX_QUOTED_*)."""
    if script in ("han", "kana", "hangul"):
        return count > MAX_QUOTED_CJK
    return len(_SCRIPT_RUN[script].findall(line)) > MAX_QUOTED_WORDS if script in _SCRIPT_RUN else False


class LanguageConsistencyFilter:
    def __init__(
        self,
        # fastText lid.176 top-1 scores above ~0.5 are reliable on sentence-length text (CCNet, Wenzek et al.
        # 2020, keeps docs with LID score > 0.5); below that we do not call a response "wrong language".
        min_language_prob: float = 0.5,
        # Korean technical answers keep English terms and variable names; 0.5 Hangul share among letters is the
        # line between "Korean with loanwords" and "English with Korean bits" (our choice, see docs/reasoning.md).
        min_script_ratio: float = 0.5,
        min_sentence_chars: int = 20,  # letters; shorter sentences give unreliable fastText LID
        # A same-script sentence (English in Spanish) is a switch when fastText gives it another language with
        # p >= min_language_prob and the expected language almost no chance: XQuAD's Spanish "Kenia ha ratificado
        # el Convenio núm." reads as Catalan p 0.83 with Spanish second at 0.13 (a false flag without this).
        max_expected_prob: float = 0.1,
    ):
        self.min_language_prob = min_language_prob
        self.min_script_ratio = min_script_ratio
        self.min_sentence_chars = min_sentence_chars
        self.max_expected_prob = max_expected_prob
        latin = _RANGES["latin"]  # stops scanning at the n-th Latin letter (cheaper than counting them all)
        self._enough_latin = re.compile(f"(?:[^{latin}]*[{latin}]){{{min_sentence_chars}}}")
        self._enough_letters = re.compile(f"(?:[\\W\\d_]*[^\\W\\d_]){{{min_sentence_chars}}}")

    def _answer_language(
        self,
        answer: str,
        expected: str,
        top: list[tuple[str, float]] | None,
        sentences: list[tuple[str, list[tuple[str, float]]]],
    ) -> str | None:
        """`low_script_ratio` / `wrong_language` for the answer as a whole, else None. Its language is fastText's
        on the whole answer, or, when its sentences were identified anyway, the one holding most of their
        letters (the same decision without reading the answer twice)."""
        own = _SCRIPT_OF_LANG.get(expected)
        # every letter in the expected script (or Greek)
        if own in _ALIEN and _ALIEN[own].search(answer) is None:
            if not self._enough_letters.match(answer):
                return None
        else:
            letters = len(_LETTER.findall(answer))
            if own and len(_SCRIPT_RE[own].findall(answer)) < self.min_script_ratio * letters:
                return "low_script_ratio"
            if letters < self.min_sentence_chars:
                return None
        if top is None and not sentences:
            return None
        if top is None:
            votes: dict[str, int] = {}
            for sentence, t in sentences:
                lang, prob = t[0]
                key = lang if prob >= self.min_language_prob else "?"
                votes[key] = votes.get(key, 0) + len(sentence)
            top = [(max(votes, key=votes.get), 1.0)]
        lang, prob = top[0]
        return "wrong_language" if lang not in (expected, "?") and prob >= self.min_language_prob else None

    def _scan(self, parts: list[tuple[str, str]], expected: str) -> tuple[tuple | None, list[tuple]]:
        """(first script switch as (part, offset, name) or None, stretches for fastText as (part, offset, text)).
        Whole parts are scanned with C-level regexes; lines are looked at only where a foreign letter is."""
        own = _SCRIPT_OF_LANG.get(expected)
        allowed = {own, "greek", "other"} | ({"latin", "han"} if own == "hangul" else set())
        suspect, ends = _SUSPECT.get(own), _STRETCH_END.get(own, _STRETCH_END["latin"])
        todo = []
        for pi, (_, body) in enumerate(parts):
            if own is not None and (
                suspect.search(body) or (own == "hangul" and _SCRIPT_RE["han"].search(body))
            ):
                offset = 0
                for line in body.split("\n"):
                    counts = script_counts(line) if suspect.search(line) else {}
                    foreign = sorted(
                        (s != "kana", _first(line, s), s)
                        for s, k in counts.items()  # Han+Kana: ja
                        if s not in allowed and _foreign_text(s, k, line)
                    )
                    if foreign:
                        return (pi, offset, foreign[0][2]), todo  # nothing later can come first
                    if own == "hangul" and _SCRIPT_RE["han"].search(line) and _is_chinese(line):
                        return (pi, offset, "han"), todo
                    offset += len(line) + 1
            # a parenthesised gloss such as "인공지능 (Artificial Intelligence)" is a quote, not a switch
            lid_body = _PAREN.sub(lambda m: " " * len(m.group(0)), body) if own == "hangul" else body
            if not self._enough_latin.match(
                lid_body
            ):  # fewer Latin letters in the whole part than one sentence
                continue
            start = 0
            for m in ends.finditer(lid_body):
                if m.start() - start >= self.min_sentence_chars and self._enough_latin.match(
                    lid_body, start, m.start()
                ):
                    todo.append((pi, start, lid_body[start : min(m.start(), start + LID_CHARS)]))
                start = m.end()
            if self._enough_latin.match(lid_body, start):
                todo.append((pi, start, lid_body[start : start + LID_CHARS]))
        return None, todo

    def check(self, text: str, expected_language: str) -> tuple[bool, str, dict]:
        """(passed, reason, details): details name the switched-to script, where, the line number and text."""
        if not text or not text.strip():
            return False, "empty", {}
        thought, final = split_thought(text)
        parts = [
            (where, blank_non_prose(part.lstrip("\n")))
            for where, part in (("thought", thought), ("answer", final or ""))
        ]
        answer = parts[1][1]
        judge_answer = (
            _THREE_LETTERS.search(answer) is not None
        )  # a pure math / code answer: nothing to judge
        found, todo = self._scan(parts, expected_language)
        # one fastText call; the whole answer is read only when none of its sentences are
        # (for Korean the answer's Hangul share is the whole-answer test: fastText has nothing to add)
        whole = judge_answer and expected_language != "ko" and not any(t[0] == 1 for t in todo)
        tops = _languages(([answer] if whole else []) + [t[2] for t in todo], expected_language)
        top = tops.pop(0) if whole else None
        if judge_answer:
            sentences = (
                [] if expected_language == "ko" else [(t[2], x) for t, x in zip(todo, tops) if t[0] == 1]
            )
            bad = self._answer_language(answer, expected_language, top, sentences)
            if bad:
                return False, bad, {"expected": expected_language}
        for (pi, offset, sentence), top in zip(todo, tops):
            lang, prob = top[0]
            unlikely = dict(top).get(expected_language, 0.0) < self.max_expected_prob
            if lang != expected_language and prob >= self.min_language_prob and unlikely:
                switch = (pi, offset, f"latin_{lang}")
                found = min(found, switch) if found else switch
                break
        if found is None:
            return True, "", {}
        pi, offset, name = found
        where, body = parts[pi]
        n = body.count("\n", 0, offset) + 1
        line = body.split("\n")[n - 1].strip()
        # the reason stays countable across samples; the line and its text are in the details
        return (
            False,
            f"switch_to_{name}_in_{where}",
            {"expected": expected_language, "script": name, "where": where, "line": n, "text": line[:200]},
        )

    def filter(self, text: str, expected_language: str) -> bool | tuple[bool, str]:
        ok, reason, _ = self.check(text, expected_language)
        return True if ok else (False, reason)
