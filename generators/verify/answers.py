"""The one answer-equivalence layer: is a candidate answer the same as the gold one? Pure functions, no I/O.

Every place that compares answers uses it: math verdicts (`math_verifier.check_math`, so reasoning and
preference), NIAH scoring (`contains_answer`) and knowledge checks (`normalise_text`).

Math (`answers_equal(gold, final)`), cheapest first:
1. our normalisation: the candidate (last `\\boxed{}` of the final part, else an "answer: …" line, else a short
   bare final part) and the gold are rewritten to one canonical string (escaped `\\$`, `\\!`/`\\,` spacing,
   `\\left`/`\\right`, `\\dfrac`, degrees, percent, `\\text{}` units after a value, thousands separators, MC
   letters `(B)`, whitespace) and compared as strings, or as exact values when both are closed-form numbers
   (`0.5` = `\\frac{1}{2}`; `exact_value.py`). Nothing here changes a value, so it adds no false positive.
2. exact arithmetic vetoes: numbers (or `a = b` chains, base-b numerals, matrices of numbers) that differ beyond
   any rounding are unequal, whatever math-verify says (it compares floats: `1/2^98` = `1/2^99` for it).
3. plain math-verify, `verify(parse(\\boxed{gold}), parse(final part))` (order matters, HF math-verify README),
   with the gold parsed once per process (N responses share one gold). What it accepts is accepted, so wherever
   plain math-verify gives the right verdict, ours gives it too.
math-verify's own time limits use `signal.alarm` (main thread only): we pass `parsing_timeout=None` /
`timeout_seconds=None`; callers bound time (`MathVerifier` kills a stuck worker process).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

from generators.verify.exact_value import exact_value, values_differ

# -- extracting the candidate from the final part ----------------------------------------------------------

_ANCHOR = re.compile(
    r"(?:final answer|answer|respuesta(?: final)?)\s*(?:is|es|:|：|=)\s*:?\s*(.+)$",
    re.IGNORECASE | re.MULTILINE,
)
_SHORT_BARE = 40  # a whole final part this short on one line is itself the answer ("6-5i", "$\frac{1}{2}$")


def last_boxed(text: str) -> str | None:
    """Content of the last `\\boxed{…}` / `\\fbox{…}` (braces balanced), or None."""
    start = max(text.rfind("\\boxed"), text.rfind("\\fbox"))
    if start < 0:
        return None
    i = text.find("{", start)
    if i < 0 or text[start:i].strip() not in ("\\boxed", "\\fbox"):
        return None
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1 : j]
    return None


def extract_answer(final: str) -> tuple[str | None, str]:
    """(answer, where) stated in a response's final part (never its thought): where is `boxed` (last
    `\\boxed{}`), `anchor` (last "answer: …" / "final answer is …" line) or `bare` (a short one-line final part);
    (None, "") when it states none."""
    boxed = last_boxed(final)
    if boxed is not None:
        return boxed, "boxed"
    lines = _ANCHOR.findall(final)
    if lines:
        return lines[-1].strip(), "anchor"
    bare = final.strip()
    if bare and "\n" not in bare and len(bare) <= _SHORT_BARE:
        return bare, "bare"
    return None, ""


# -- canonical form ----------------------------------------------------------------------------------------

_WRAPPERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))
# presentation only: sizing, spacing (`40,\!320`, `1\,000`) and currency signs (`\$32`) carry no value
_DROP = re.compile(
    r"\\(?:displaystyle|textstyle|left\.|right\.|left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![A-Za-z])"
    r"|(?<!\\)\\[!,;:>]|~|\\\$|\$"
)
_CONTROL_SPACE = re.compile(r"(?<!\\)\\ ")  # "\ " is a space; "\\ " (a matrix row break) is not
_DEGREE = re.compile(r"\^\s*\{?\s*\\circ\s*\}?|\\circ|°|\\degree(?![A-Za-z])")
_PERCENT = re.compile(r"\\?%")
# a unit written as text after a value ("5\text{ cm}", "16\text{ daps}^2"); i/j/e stay (imaginary unit, e)
_UNIT = re.compile(
    r"(?<=[\d})\]])\s*\\(?:text|textrm|mbox)\{\s*([A-Za-z][A-Za-z. ]*?)\s*\}(?:\^\{?[23]\}?)?(?=$|[,)\]])"
)
_TEXT_WRAP = re.compile(r"^\\(?:text|textbf|textrm|mathrm|mbox)\{([^{}]*)\}$")
_FRAC_SHORT = re.compile(r"\\frac(\d)(\d)")
_ONE_CHAR_GROUP = re.compile(r"([_^])\{(\w)\}")
_SQRT_SHORT = re.compile(r"\\sqrt(\d)")
_SPACED_DIGITS = re.compile(r"(?<=\d)\s+(?=\d)")
_THOUSANDS = re.compile(r"^-?\d{1,3}(?:(?:,|\{,\})\d{3})+(?:\.\d+)?$|^-?\d{1,3}(?: \d{3})+(?:\.\d+)?$")
_CHOICE = re.compile(r"^\(?([A-J])\)?$")
_ALIASES = {
    "\\mathrm{i}": "i",
    "\\text{i}": "i",
    "\\imath": "i",
    "\\dfrac": "\\frac",
    "\\tfrac": "\\frac",
    "\\le ": "\\leq ",
    "\\ge ": "\\geq ",
    "−": "-",
    "\\neq": "\\ne",
}


def _unwrap(s: str) -> str:
    s = s.strip()
    changed = True
    while changed:
        changed = False
        for a, b in _WRAPPERS:
            if len(s) > len(a) + len(b) and s.startswith(a) and s.endswith(b):
                s, changed = s[len(a) : -len(b)].strip(), True
        boxed = last_boxed(s)
        if boxed is not None and s.startswith(("\\boxed", "\\fbox")) and s.endswith("}"):
            s, changed = boxed.strip(), True
    return s


@functools.lru_cache(maxsize=8192)
def canonical(answer: str) -> str:
    """One string per way of writing an answer; two answers with equal canonical forms have equal values."""
    s = unicodedata.normalize("NFKC", answer)
    for a, b in _ALIASES.items():
        s = s.replace(a, b)
    s = _unwrap(s).rstrip(" .。")
    s = _CONTROL_SPACE.sub(" ", _DROP.sub("", s))
    s = _DEGREE.sub("", _PERCENT.sub("", s))
    s = _UNIT.sub("", s.strip())
    m = _TEXT_WRAP.match(s.strip())
    if m:
        s = m.group(1)
    s = _FRAC_SHORT.sub(r"\\frac{\1}{\2}", s)
    s = _SQRT_SHORT.sub(r"\\sqrt{\1}", s)
    s = _ONE_CHAR_GROUP.sub(r"\1\2", s)  # x^{2} = x^2, 1011_{2} = 1011_2
    s = " ".join(s.split()).strip(" .")
    if _THOUSANDS.match(s):
        s = s.replace("{,}", "").replace(",", "").replace(" ", "")
    s = _SPACED_DIGITS.sub("\u2423", s)  # "2 3" is not "23": one visible mark stays between digits
    s = "".join(s.split())
    m = _CHOICE.match(s)
    return m.group(1) if m else s


def fast_equal(gold: str, candidate: str) -> str | None:
    """'normalised' / 'exact' when the two are equal by our normalisation alone (same canonical string, or the
    same exact value: `0.5` = `\\frac{1}{2}`, `2^{10}` = `1024`), else None (undecided)."""
    g, c = canonical(gold), canonical(candidate)
    if not g or not c:
        return None
    if g == c:
        return "normalised"
    gv, cv = exact_value(g), exact_value(c)
    if gv is not None and cv is not None and gv[0] == cv[0]:
        return "exact"
    if c.count("=") == 1 and "=" not in g and re.match(r"^[A-Za-z](?:_\{?\w+\}?)?=", c):  # "x=5" for gold 5
        return fast_equal(gold, c.split("=", 1)[1])
    return None


def proven_different(gold: str, candidate: str) -> bool:
    """Exact arithmetic shows different values (`exact_value.values_differ`). A percent on one side only may be a
    conversion (25% = 0.25): then nothing is proven and math-verify's reading decides."""
    return ("%" in gold) == ("%" in candidate) and values_differ(canonical(gold), canonical(candidate))


# -- math-verify underneath ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Equivalence:
    equal: bool
    reason: str  # "" | "wrong_answer" | "no_final_answer" | "gold_unparseable"
    method: str  # how it was decided: normalised | exact | math_verify | "" (rejected by math-verify)
    answer: str  # the candidate we read (≤ 200 chars), for the verdict's details


def gold_latex(gold: str) -> str:
    """The gold as math-verify should read it: inside `\\boxed{}` (a bare `6-5i` would otherwise be read as 6)."""
    gold = gold.strip()
    return gold if "\\boxed" in gold or "\\fbox" in gold else f"\\boxed{{{gold}}}"


def _quiet_math_verify():
    import logging

    import math_verify

    logging.getLogger("math_verify").setLevel(logging.ERROR)  # "timeout is disabled": callers bound time
    return math_verify


@functools.lru_cache(maxsize=4096)
def parsed_gold(gold: str) -> tuple:
    """math-verify's parse of the gold, once per process (N responses to one query share it)."""
    mv = _quiet_math_verify()
    got = mv.parse(gold_latex(gold), parsing_timeout=None)
    if not got and canonical(gold):
        got = mv.parse(f"${canonical(gold)}$", parsing_timeout=None)
    return tuple(got)


def math_verify_equal(gold: str, final: str) -> bool | None:
    """Plain math-verify on the final part against the (cached) gold; None when the final part parses to nothing."""
    mv = _quiet_math_verify()
    answer = mv.parse(final, parsing_timeout=None)
    if not answer:
        return None
    return bool(mv.verify(list(parsed_gold(gold)), answer, timeout_seconds=None))


def answers_equal(gold: str, final: str) -> Equivalence:
    """Is the answer stated in `final` (a response's final part, thought already removed) equal to `gold`?"""
    cand, where = extract_answer(final)
    shown = (cand if cand is not None else final.strip())[:200]
    if cand is not None:
        method = fast_equal(gold, cand)
        if method:
            return Equivalence(True, "", method, shown)
    if not final.strip():
        return Equivalence(False, "no_final_answer", "", "")
    if cand is not None and proven_different(gold, cand):
        return Equivalence(False, "wrong_answer", "exact", shown)  # no float rounding to trust
    if not gold.strip() or not parsed_gold(gold):
        return Equivalence(False, "gold_unparseable", "", shown)
    ok = math_verify_equal(gold, final)
    if ok:
        return Equivalence(True, "", "math_verify", shown)
    if ok is None and where in ("", "bare"):  # nothing answer-like: no boxed value, no "answer:" line
        return Equivalence(False, "no_final_answer", "", shown)
    return Equivalence(False, "wrong_answer", "", shown)


# -- text answers (NIAH values, knowledge answers) ----------------------------------------------------------

_WS = re.compile(r"\s+")
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")


def normalise_text(text: str) -> str:
    """NFKC (full-width digits and letters), case-folded, one space between words, `1,234,567` → `1234567`."""
    s = _WS.sub(" ", unicodedata.normalize("NFKC", text or "")).casefold().strip()
    return _GROUPED.sub(lambda m: m.group(0).replace(",", ""), s)


def contains_answer(text: str, value: str) -> bool:
    """RULER's string match (the value occurs in the text, case-insensitive), after `normalise_text` on both."""
    v = normalise_text(value)
    return bool(v) and v in normalise_text(text)
