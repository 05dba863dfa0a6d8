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

from filters.lid import lid_model
from generators.verify.response import split_thought

_BLANK = [  # (literal that must occur, non-prose span); each span becomes its own newlines so line numbers stay
    ("```", re.compile(r"```.*?(?:```|\Z)", re.DOTALL)),
    ("[asy]", re.compile(r"\[asy\].*?(?:\[/asy\]|\Z)", re.DOTALL)),
    ("$$", re.compile(r"\$\$.*?\$\$", re.DOTALL)),
    ("\\[", re.compile(r"\\\[.*?\\\]", re.DOTALL)),
    ("\\(", re.compile(r"\\\(.*?\\\)", re.DOTALL)),
    ("\\begin", re.compile(r"\\begin\{([A-Za-z*]+)\}.*?\\end\{\1\}", re.DOTALL)),
    ("`", re.compile(r"`[^`\n]*`")),
    ("$", re.compile(r"\$[^$\n]*\$")),
    ("\\", re.compile(r"\\[A-Za-z]+\*?(?:\{[^{}\n]*\})?")),
    ("://", re.compile(r"https?://\S+")),
]
# identifiers, calls, paths, a.b.c, e-mail; every branch starts with a literal so the scan stays fast
_CODEY = re.compile(r"[_=<>^/\\|{}\[\]@]|\((?<=\w\()|\.(?<=\w\.)(?=\w+\.\w)")
_SENTENCE = re.compile(r"[.!?]\s+|[。！？]\s*")
_CLAUSE = re.compile(r"[,.;:!?。，、；：！？]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
SCRIPTS = {"ko": _HANGUL, "en": _LATIN, "es": _LATIN, "fr": _LATIN, "de": _LATIN, "it": _LATIN, "pt": _LATIN}
_SCRIPT_OF_LANG = {"ko": "hangul", "en": "latin", "es": "latin", "fr": "latin", "de": "latin", "it": "latin",
                   "pt": "latin"}
# Unicode blocks of each script (Unicode 15 Blocks.txt); counting with one C-level regex per script is ~10× faster
# than a per-character lookup. Full-width Latin counts as Latin, half-width Kana as Kana.
_RANGES = {
    "latin": "A-Za-z\u00c0-\u024f\u1e00-\u1eff\uff21-\uff3a\uff41-\uff5a",
    "hangul": "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7af\uffa0-\uffdc",
    "han": "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f",
    "kana": "\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f",
    "cyrillic": "\u0400-\u052f", "greek": "\u0370-\u03ff\u1f00-\u1fff", "arabic": "\u0600-\u06ff\u0750-\u077f",
    "hebrew": "\u0590-\u05ff", "thai": "\u0e00-\u0e7f", "devanagari": "\u0900-\u097f",
}
_SCRIPT_RE = {name: re.compile(f"[{ranges}]") for name, ranges in _RANGES.items()}
_LETTER = re.compile(r"[^\W\d_]")
_THREE_LETTERS = re.compile(r"[^\W\d_](?:[\W\d_]*[^\W\d_]){2}")
_ALIEN = {own: re.compile(f"[^\\W\\d_{_RANGES[own]}{_RANGES['greek']}]") for own in ("latin", "hangul")}

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
    for literal, pat in _BLANK:
        if literal in text:  # one-line patterns need no callback: nothing to count
            text = pat.sub(_keep_newlines if pat.flags & re.DOTALL else " ", text)
    if not _CODEY.search(text):
        return text
    return "\n".join(" ".join(t for t in line.split() if not _CODEY.search(t)) if _CODEY.search(line) else line
                     for line in text.split("\n"))


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
        raise ValueError(f"no script known for language {language!r}; known: {sorted(SCRIPTS)}")
    letters = len(_LETTER.findall(text))
    return len(pat.findall(text)) / letters if letters else 1.0


def _top_languages(texts: list[str], k: int = 2) -> list[dict[str, float]]:
    """fastText's top-k {language: probability} per text, best first (one batch call)."""
    if not texts:
        return []
    labels, probs = lid_model().predict([" ".join(t.split()) or "_" for t in texts], k=k)
    return [{lab.removeprefix("__label__"): float(p) for lab, p in zip(ls, ps)} for ls, ps in zip(labels, probs)]


def _languages(texts: list[str], expected: str) -> list[dict[str, float]]:
    """Top languages per text: one top-1 pass for all (k=1 is the cheapest call), and the top 2 again only where
    the top-1 is not `expected`, so a suspected switch also carries the expected language's probability."""
    tops = _top_languages(texts, k=1)
    again = [i for i, t in enumerate(tops) if expected not in t]
    for i, t in zip(again, _top_languages([texts[i] for i in again], k=2)):
        tops[i] = t
    return tops


def _is_chinese(line: str) -> bool:
    """Running Chinese inside a Korean line: a run of adjacent Han characters longer than any hanja word, or a
    Hangul-free clause with more Han letters than a four-character idiom (see MAX_HANJA_*)."""
    if any(len(run) > MAX_HANJA_RUN for run in _HAN_RUN.findall(line)):
        return True
    han, hangul = _SCRIPT_RE["han"], _SCRIPT_RE["hangul"]
    return any(not hangul.search(c) and len(han.findall(c)) > MAX_HANJA_CLAUSE for c in _CLAUSE.split(line))


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

    def _answer_language(self, answer: str, expected: str, top: dict[str, float] | None,
                         sentences: list[tuple[str, dict[str, float]]]) -> str | None:
        """`low_script_ratio` / `wrong_language` for the answer as a whole, else None. Its language is fastText's
        on the whole answer, or, when its sentences were identified anyway, the one holding most of their
        letters (the same decision without reading the answer twice)."""
        own = _SCRIPT_OF_LANG.get(expected)
        if own in _ALIEN and _ALIEN[own].search(answer) is None:  # every letter in the expected script (or Greek)
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
                lang, prob = next(iter(t.items()))
                key = lang if prob >= self.min_language_prob else "?"
                votes[key] = votes.get(key, 0) + len(sentence)
            top = {max(votes, key=votes.get): 1.0}
        lang, prob = next(iter(top.items()))
        return "wrong_language" if lang not in (expected, "?") and prob >= self.min_language_prob else None

    def _scan(self, lines: list[tuple[str, int, str]], expected: str) -> tuple[tuple | None, list[tuple]]:
        """(first script switch as (position, where, line, name, text) or None, sentences for fastText)."""
        own = _SCRIPT_OF_LANG.get(expected)
        allowed = {own, "greek", "other"} | ({"latin", "han"} if own == "hangul" else set())
        alien, todo = _ALIEN.get(own), []
        for pos, (where, n, line) in enumerate(lines):
            counts = script_counts(line) if alien is None or alien.search(line) else {}  # one scan usually
            foreign = sorted((_first(line, s), s) for s, k in counts.items()
                             if own is not None and s not in allowed and _foreign_text(s, k, line))
            if foreign:
                return (pos, where, n, foreign[0][1], line.strip()), todo  # nothing later can come first
            if own == "hangul" and counts.get("han") and _is_chinese(line):
                return (pos, where, n, "han", line.strip()), todo
            if not self._enough_latin.match(line):
                continue
            for sentence in _SENTENCE.split(line):
                # Korean grammar is written in Hangul: only Hangul-free stretches can be another language
                # (a parenthesised gloss such as "인공지능 (Artificial Intelligence)" is a quote, not a switch)
                for part in _HANGUL_RUNS.split(_PAREN.sub(" ", sentence)) if own == "hangul" else [sentence]:
                    if self._enough_latin.match(part):
                        todo.append((pos, where, n, " ".join(part.split())))
        return None, todo

    def check(self, text: str, expected_language: str) -> tuple[bool, str, dict]:
        """(passed, reason, details): details name the switched-to script, where, the line number and text."""
        if not text or not text.strip():
            return False, "empty", {}
        lines = prose_lines(text)
        answer = " ".join(line for where, _, line in lines if where == "answer")
        judge_answer = _THREE_LETTERS.search(answer) is not None  # a pure math / code answer: nothing to judge
        found, todo = self._scan(lines, expected_language)
        # one fastText call; the whole answer is read only when none of its sentences are
        # (for Korean the answer's Hangul share is the whole-answer test: fastText has nothing to add)
        whole = judge_answer and expected_language != "ko" and not any(t[1] == "answer" for t in todo)
        tops = _languages(([answer] if whole else []) + [t[3] for t in todo], expected_language)
        top = tops.pop(0) if whole else None
        if judge_answer:
            answer_sentences = [(t[3], x) for t, x in zip(todo, tops) if t[1] == "answer" and not whole]
            answer_sentences = [] if expected_language == "ko" else answer_sentences
            bad = self._answer_language(answer, expected_language, top, answer_sentences)
            if bad:
                return False, bad, {"expected": expected_language}
        for (pos, where, n, sentence), top in zip(todo, tops):
            lang, prob = next(iter(top.items()))
            unlikely = top.get(expected_language, 0.0) < self.max_expected_prob
            if lang != expected_language and prob >= self.min_language_prob and unlikely:
                switch = (pos, where, n, f"latin_{lang}", sentence)
                found = min(found, switch) if found else switch
                break
        if found is None:
            return True, "", {}
        _, where, n, name, line = found
        # the reason stays countable across samples; the line and its text are in the details
        return False, f"switch_to_{name}_in_{where}", {"expected": expected_language, "script": name,
                                                       "where": where, "line": n, "text": line[:200]}

    def filter(self, text: str, expected_language: str) -> bool | tuple[bool, str]:
        ok, reason, _ = self.check(text, expected_language)
        return True if ok else (False, reason)
