"""Language consistency: plain fastText LID line by line vs ours (filters.language_consistency) on whole responses.

Clean responses (`<think>…</think>` + answer) are built from real text: English = MATH train solutions (LaTeX,
`[asy]` figures), GSM8K train solutions, MBPP prompts with their code; Spanish = XQuAD es paragraphs (with a
LaTeX line and an MBPP code block whose identifiers and comments are English); Korean = the Constitution, the
National Assembly bills (hanja terms), NSMC synopses and ChatbotData answers (with LaTeX, code, `[asy]`).
Each clean response also gets one injected switch — a real sentence of another language (XQuAD en/es, Korean
Constitution, spaCy's shipped zh/ja/ru example sentences) — alternately in the thought and in the answer, on its
own line or appended to an existing line. Plain = fastText lid.176 on every raw line with ≥ 20 letters: flagged
when one is another language with p ≥ 0.5. FP here = a clean response flagged (false flag), FN = a switch missed.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

from bench.quality import Row
from bench.quality.math import cpu_timed

AREA = "language consistency"
FLOOR = "≥ 95% switches flagged, ≤ 1% false flags"
_SPLIT = re.compile(r"(?<=[.!?。])\s+")


def _sentences(text: str, min_letters: int = 25) -> list[str]:
    return [s.strip() for s in _SPLIT.split(text) if sum(c.isalpha() for c in s) >= min_letters]


def _paragraphs(xquad: list[dict]) -> list[str]:
    return [p["context"] for a in xquad for p in a["paragraphs"]]


def _response(thought: list[str], answer: list[str]) -> str:
    return "<think>\n" + "\n".join(thought) + "\n</think>\n\n" + "\n".join(answer)


def foreign_pools(data: Path) -> dict[str, list[str]]:
    import importlib

    es = json.loads((data / "spanish/xquad.es.json").read_text(encoding="utf-8"))["data"]
    en = json.loads((data / "spanish/xquad.en.json").read_text(encoding="utf-8"))["data"]
    ko = (data / "korean/kolaw_constitution.txt").read_text(encoding="utf-8")
    pools = {
        "es": [s for p in _paragraphs(es)[1::2] for s in _sentences(p)][
            :200
        ],  # odd paragraphs: hosts use even
        "en": [s for p in _paragraphs(en)[1::2] for s in _sentences(p)][:200],
        "ko": [s for s in _sentences(ko, 15) if not s.startswith("제")][:200],
    }
    for lang in ("zh", "ja", "ru"):  # sentences spaCy ships in spacy/lang/<lang>/examples.py (MIT)
        pools[lang] = list(importlib.import_module(f"spacy.lang.{lang}.examples").sentences)
    return pools


def english_hosts(data: Path, every: int) -> list[list[str]]:
    from generators.verify.answers import last_boxed

    hosts = []
    for i, line in enumerate((data / "math/math_train.jsonl").read_text(encoding="utf-8").splitlines()):
        row = json.loads(line)
        if i % every == 0 or ("[asy]" in row["solution"] and i % (every // 2 or 1) == 0):
            gold = last_boxed(row["solution"]) or ""
            hosts.append([row["solution"], f"Therefore, the final answer is $\\boxed{{{gold}}}$."])
    for i, line in enumerate((data / "math/gsm8k_train.jsonl").read_text(encoding="utf-8").splitlines()):
        if i % (every * 2) == 0:
            work, final = json.loads(line)["answer"].rsplit("####", 1)
            hosts.append([re.sub(r"<<[^>]*>>", "", work).strip(), f"So the answer is {final.strip()}."])
    for t in json.loads((data / "code/sanitized-mbpp.json").read_text(encoding="utf-8"))[
        :: max(1, every // 4)
    ]:
        hosts.append(
            [
                f"The task: {t['prompt']}\nI will write the function and check it against the examples.",
                f"Here is the solution:\n```python\n{t['code']}\n```",
            ]
        )
    return hosts


def spanish_hosts(data: Path) -> list[list[str]]:
    es = json.loads((data / "spanish/xquad.es.json").read_text(encoding="utf-8"))["data"]
    code = json.loads((data / "code/sanitized-mbpp.json").read_text(encoding="utf-8"))
    hosts = []
    for i, p in enumerate(_paragraphs(es)):  # all 240 (the odd ones also give Spanish to other hosts)
        s = _sentences(p, 1)
        cut = max(1, 2 * len(s) // 3)
        extra = (
            ["$$\\frac{a}{b} = 0.5, \\quad x^2 + 1 = 10$$"]
            if i % 2
            else [f"```python\n{code[i]['code']}\n```"]
        )
        hosts.append(["\n".join(s[:cut] + extra[:1]), "\n".join(s[cut:] or s[-1:])])
    return hosts


def korean_hosts(data: Path) -> list[list[str]]:
    ko = data / "korean"
    law = [
        x.strip()
        for x in (ko / "kolaw_constitution.txt").read_text(encoding="utf-8").splitlines()
        if x.strip()
    ]
    bills = [
        [x.strip() for x in f.read_text(encoding="utf-8").splitlines() if x.strip()]
        for f in sorted((ko / "kobill").glob("*.txt"))
    ]
    with open(ko / "ChatbotData.csv", encoding="utf-8") as fh:
        chat = [r["A"] for r in csv.DictReader(fh)]
    synopses = [
        e.get("synopsis", "") for e in json.loads((ko / "nsmc_synopses.json").read_text(encoding="utf-8"))
    ]
    mbpp = json.loads((data / "code/sanitized-mbpp.json").read_text(encoding="utf-8"))
    hosts = [["\n".join(law[i : i + 6]), chat[i % len(chat)]] for i in range(0, len(law), 6)]
    hosts += [
        ["\n".join(b[i : i + 8]), chat[(100 + j) % len(chat)]]
        for j, b in enumerate(bills)
        for i in range(0, len(b), 8)
    ]
    hosts += [["\n".join(_sentences(s, 1)), chat[(200 + j) % len(chat)]] for j, s in enumerate(synopses) if s]
    figure = '[asy]\ndraw((0,0)--(1,1));\nlabel("$A$", (0,0), SW);\n[/asy]'
    for j in range(60):  # Korean prose around LaTeX, code and an [asy] figure
        hosts.append(
            [
                f"{law[j]}\n$x^2 + y^2 = r^2$ 이므로 \\(r = 5\\) 입니다.\n{figure}",
                f"{chat[(250 + j) % len(chat)]}\n```python\n{mbpp[j]['code']}\n```",
            ]
        )
    return hosts


def inject(host: list[str], sentence: str, k: int) -> tuple[str, str]:
    """(response, where) with `sentence` in the thought (even k) or the answer, on its own line (k % 4 < 2) or
    written in front of a line's text, always next to a prose line (a model writes prose there, not inside `$$…$$` or `[asy]`)."""
    from filters.language_consistency import blank_non_prose

    thought, answer = host[0].split("\n"), host[1].split("\n")
    part = thought if k % 2 == 0 else answer
    prose = blank_non_prose("\n".join(part)).split("\n")
    i = next((j for j, line in enumerate(prose) if sum(c.isalpha() for c in line) >= 10), 0)
    if k % 4 < 2:
        part.insert(i, sentence)
    else:
        part[i] = f"{sentence} {part[i]}"  # before the line's prose: a line may end by opening \begin{align*}
    return _response(thought, answer), ("thought" if k % 2 == 0 else "answer")


def plain_flags(text: str, expected: str) -> bool:
    from filters.lid import detect_languages

    lines = [x for x in text.split("\n") if sum(c.isalpha() for c in x) >= 20]
    return any(lg != expected and p >= 0.5 for lg, p in (detect_languages(lines) if lines else []))


def evaluate(name: str, lang: str, hosts: list[list[str]], foreign: list[str], pools: dict) -> Row:
    from filters.language_consistency import LanguageConsistencyFilter

    f = LanguageConsistencyFilter()
    items = [(_response(h[0].split("\n"), h[1].split("\n")), False, "", "") for h in hosts]
    for k, h in enumerate(hosts):
        src = foreign[k % len(foreign)]
        pool = pools[src]
        text, where = inject(h, pool[(k // len(foreign)) % len(pool)], k)
        items.append((text, True, src, where))
    f.check(items[0][0], lang), plain_flags(items[0][0], lang)  # the LID model loads outside the timing
    plain, plain_rate = cpu_timed(lambda it: plain_flags(it[0], lang), items, runs=5)
    ours_r, ours_rate = cpu_timed(lambda it: f.check(it[0], lang), items, runs=5)
    ours = [not r[0] for r in ours_r]
    n = len(items)
    pfp = sum(p and not it[1] for p, it in zip(plain, items))
    pfn = sum(not p and it[1] for p, it in zip(plain, items))
    ofp = [(it, r) for o, r, it in zip(ours, ours_r, items) if o and not it[1]]
    ofn = [it for o, it in zip(ours, items) if not o and it[1]]
    switched = n - len(hosts)
    notes = [
        (
            f"{name}: {len(hosts)} clean + {switched} switched (to {', '.join(foreign)}); ours flagged "
            f"{switched - len(ofn)}/{switched} switches, {len(ofp)}/{len(hosts)} clean; plain {switched - pfn}"
            f"/{switched} and {pfp}/{len(hosts)}"
        )
    ]
    for it, r in ofp[:3]:
        notes.append(f"{name}: false flag `{r[1]}` on `{r[2].get('text', '')[:80]}`")
    for it in ofn[:3]:
        notes.append(f"{name}: missed {it[2]} in the {it[3]}")
    met = len(ofn) <= 0.05 * switched and len(ofp) <= 0.01 * len(hosts) and ours_rate >= plain_rate
    return Row(
        AREA,
        name,
        n,
        (n - pfp - pfn) / n,
        (n - len(ofp) - len(ofn)) / n,
        pfp,
        len(ofp),
        pfn,
        len(ofn),
        plain_rate,
        ours_rate,
        FLOOR,
        met,
        notes,
    )


def run(quick: bool) -> list[Row]:
    from datamill.demo_data import EXAMPLES, shared_data

    data = shared_data() if shared_data() is not None and not quick else EXAMPLES
    pools = foreign_pools(data)
    cap = 40 if quick else None
    sets = [
        (
            "English responses (MATH, GSM8K, MBPP)",
            "en",
            english_hosts(data, 40 if quick else 8),
            ["es", "ko", "zh", "ja", "ru"],
        ),
        ("Spanish responses (XQuAD es + LaTeX/code)", "es", spanish_hosts(data), ["en", "ko", "zh"]),
        (
            "Korean responses (law, bills, synopses, chat + LaTeX/code/[asy])",
            "ko",
            korean_hosts(data),
            ["en", "zh", "es", "ja"],
        ),
    ]
    return [evaluate(name, lang, hosts[:cap], foreign, pools) for name, lang, hosts, foreign in sets]
