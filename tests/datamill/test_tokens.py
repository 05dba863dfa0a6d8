"""encode_flat gives exactly the tokenizer's own ids, on real text in every language and shape we export, for
the tokenizers it cuts into words and for those it must encode whole."""

import csv
import json

import numpy as np
import pytest

from datamill.tokens import WORD_CUT, encode_flat, load_tokenizer, word_cuttable

LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
    r"|\s*[\r\n]+|\s+(?!\S)|\s+"
)


@pytest.fixture(scope="module")
def corpus(examples) -> list[str]:
    """Real text from the embedded data: math, code (indentation), Korean, Spanish, tool schemas, essays, and
    the same text with its spaces turned into the whitespace runs that sit next to word cuts."""
    d = examples
    texts = [json.loads(x)["answer"] for x in (d / "math/gsm8k_train.jsonl").read_text().splitlines()[:200]]
    texts += [json.loads(x)["solution"] for x in (d / "math/math_train.jsonl").read_text().splitlines()[:200]]
    texts += [r["code"] for r in json.loads((d / "code/sanitized-mbpp.json").read_text())[:100]]
    texts.append((d / "korean/kolaw_constitution.txt").read_text()[:20000])
    with open(d / "korean/ChatbotData.csv", encoding="utf-8") as f:
        texts += [" ".join(r[:2]) for r in list(csv.reader(f))[1:200]]
    xquad = json.loads((d / "spanish/xquad.es.json").read_text())["data"]
    texts += [p["context"] for art in xquad[:3] for p in art["paragraphs"]]
    texts += [f.read_text()[:4000] for f in sorted((d / "niah").glob("*.txt"))[:5]]
    texts += [f.read_text()[:4000] for f in sorted((d / "tools/bfcl").rglob("*.json*"))[:3]]
    variants = []
    for t in texts[::7]:
        for ws in ("  ", " \n", "\n ", "\t ", " \t", "\u00a0 ", " \u3000", "\r\n "):
            variants.append(t.replace(" ", ws, 3))
    return texts + variants + [" leading", "trailing ", " ", "", "  x", "x  ", "[|user|] hi [|endofturn|]"]


def reference(texts, tok):
    return [e.ids for e in tok.backend_tokenizer.encode_batch(texts, add_special_tokens=False)]


def assert_same(texts, tok):
    flat, lens = encode_flat(texts, tok)
    ref = reference(texts, tok)
    assert lens.tolist() == [len(r) for r in ref]
    bounds = np.concatenate([[0], np.cumsum(lens)])
    for k, r in enumerate(ref):
        assert flat[bounds[k] : bounds[k + 1]].tolist() == r, repr(texts[k][:80])


def train(corpus, pre_tokenizer, normalizer=None, extra_special=()):
    from tokenizers import Tokenizer, decoders, models, trainers
    from transformers import PreTrainedTokenizerFast

    t = Tokenizer(models.BPE())
    t.pre_tokenizer = pre_tokenizer
    t.normalizer = normalizer
    t.decoder = decoders.ByteLevel()
    specials = ["[|user|]", "[|endofturn|]", *extra_special]
    t.train_from_iterator(
        corpus,
        trainers.BpeTrainer(
            vocab_size=1500, special_tokens=specials, show_progress=False, initial_alphabet=_alphabet()
        ),
    )
    return PreTrainedTokenizerFast(tokenizer_object=t, eos_token="[|endofturn|]")


def _alphabet():
    from tokenizers import pre_tokenizers

    return pre_tokenizers.ByteLevel.alphabet()


def test_demo_tokenizer_is_cut_into_words_and_matches(corpus):
    tok = load_tokenizer()
    assert word_cuttable(tok)
    assert sum(len(WORD_CUT.split(t)) for t in corpus) > 5 * len(corpus)  # the word path really runs
    assert_same(corpus, tok)


def test_adding_a_token_with_a_space_switches_to_whole_texts(corpus):
    from tokenizers import pre_tokenizers

    tok = train(corpus[:50], pre_tokenizers.ByteLevel(add_prefix_space=False))
    assert_same(corpus[:50], tok)  # checked (and cached) as cuttable
    tok.add_tokens(["[| tool call |]"])
    assert not word_cuttable(tok)
    assert_same(["call [| tool call |] now", *corpus[:50]], tok)


def test_repeated_texts_come_back_in_order(corpus):
    tok = load_tokenizer()
    texts = [corpus[3], corpus[0], corpus[3], "", corpus[0]]
    assert_same(texts, tok)


def test_llama3_style_split_is_cut_and_matches(corpus):
    from tokenizers import Regex, pre_tokenizers

    pre = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(LLAMA3_SPLIT), behavior="isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok = train(corpus, pre)
    assert word_cuttable(tok)
    assert_same(corpus, tok)


@pytest.mark.parametrize("shape", ["prefix_space", "nfkc", "spaced_added_token"])
def test_other_tokenizers_are_encoded_whole_and_match(corpus, shape):
    from tokenizers import normalizers, pre_tokenizers

    tok = train(
        corpus,
        pre_tokenizers.ByteLevel(add_prefix_space=shape == "prefix_space"),
        normalizers.NFKC() if shape == "nfkc" else None,
        ("[| tool call |]",) if shape == "spaced_added_token" else (),
    )
    assert not word_cuttable(tok)
    texts = corpus + ["call [| tool call |] now"]
    assert_same(texts, tok)
    if shape == "spaced_added_token":  # why the check exists: cutting inside the added token changes the ids
        cut = [i for piece in WORD_CUT.split(texts[-1]) for i in reference([piece], tok)[0]]
        assert cut != reference([texts[-1]], tok)[0]
