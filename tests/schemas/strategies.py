"""Hypothesis strategies for every stored record (shared by the round-trip tests)."""

from hypothesis import strategies as st

from schemas import DOMAINS, Lineage, Message, PreferencePair, SFTSample, ToolCall, Verdict, WebDocument
from schemas.mixture import ComponentReport, Manifest, ManifestEntry, MixTotals
from schemas.response_meta import ResponseMeta

text = st.text(max_size=40)
ident = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=16)
lang = st.sampled_from(["en", "ko", "es", "de", "und"])
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
json_scalar = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | finite | text
json_value = st.recursive(
    json_scalar, lambda c: st.lists(c, max_size=3) | st.dictionaries(text, c, max_size=3), max_leaves=8
)
json_obj = st.dictionaries(text, json_value, max_size=4)

tool_call = st.builds(ToolCall, id=st.text(max_size=8), name=ident, arguments=json_obj)
system_or_user = st.builds(Message, role=st.sampled_from(["system", "user"]), content=text)
assistant = st.builds(
    Message,
    role=st.just("assistant"),
    content=text,
    reasoning_content=st.none() | text,
    tool_calls=st.lists(tool_call, max_size=2),
)
tool_msg = st.builds(
    Message, role=st.just("tool"), content=text, tool_call_id=st.none() | ident, name=st.none() | ident
)
messages = st.tuples(st.lists(system_or_user | tool_msg, max_size=3), assistant).map(lambda t: [*t[0], t[1]])
verdict = st.builds(Verdict, verifier=ident, passed=st.booleans(), reason=text, details=json_obj)
lineage = st.builds(
    Lineage,
    parent_ids=st.lists(ident, max_size=3),
    source=text,
    model=st.none() | text,
    params=json_obj,
    seed=st.none() | st.integers(-(2**63), 2**63 - 1),
    prompt_id=st.none() | ident,
)

sft_sample = st.builds(
    SFTSample,
    id=ident,
    dataset=text,
    domain=st.sampled_from(DOMAINS),
    language=lang,
    mode=st.sampled_from(["reasoning", "non_reasoning"]),
    messages=messages,
    tools=st.lists(json_obj, max_size=2),
    verdicts=st.lists(verdict, max_size=3),
    scores=st.dictionaries(ident, finite, max_size=3),
    num_tokens=st.integers(0, 2**40),
    license=text,
    lineage=lineage,
    metadata=json_obj,
)
web_document = st.builds(
    WebDocument,
    id=ident,
    dataset=text,
    text=st.text(max_size=200),
    url=text,
    source=text,
    language=lang,
    language_score=st.floats(0, 1),
    quality_scores=st.dictionaries(ident, finite, max_size=3),
    edu_score=st.none() | finite,
    dedup_cluster=st.none() | ident,
    license=text,
    pii_counts=st.dictionaries(ident, st.integers(0, 1000), max_size=3),
    contaminated=st.booleans(),
    num_tokens=st.integers(0, 10**9),
    metadata=json_obj,
)
preference_pair = st.builds(
    PreferencePair,
    id=ident,
    dataset=text,
    query_id=ident,
    domain=st.sampled_from(DOMAINS),
    language=lang,
    prompt=st.lists(system_or_user, min_size=1, max_size=2),
    chosen=st.lists(assistant, min_size=1, max_size=1),
    rejected=st.lists(assistant, min_size=1, max_size=1),
    chosen_id=ident,
    rejected_id=ident,
    chosen_reward=finite,
    rejected_reward=finite,
    reward_components=st.dictionaries(ident, st.dictionaries(ident, finite, max_size=3), max_size=2),
    num_tokens=st.integers(0, 10**6),
    license=text,
    lineage=lineage,
    metadata=json_obj,
)
RECORDS = {
    "sft": (SFTSample, sft_sample),
    "web": (WebDocument, web_document),
    "preference": (PreferencePair, preference_pair),
}

# -- stage contracts that are not stored records of their own -------------------------------------------------

count = st.integers(0, 2**40)
manifest_entry = st.builds(
    ManifestEntry,
    id=ident,
    dataset=text,
    shard=text,
    row=st.integers(0, 2**31),
    component=ident,
    repeat=st.integers(0, 5),
    tokens=count,
    kind=st.sampled_from(["sft", "web", "preference"]),
    mode=st.none() | st.sampled_from(["reasoning", "non_reasoning"]),
    language=st.none() | lang,
    pack=st.none() | st.integers(0, 1000),
)
component_report = st.builds(
    ComponentReport,
    name=ident,
    role=st.sampled_from(["sft", "long_document"]),
    asked_tokens=count,
    selected_tokens=count,
    samples=count,
    unique_samples=count,
    available_tokens=count,
    available_samples=count,
    matched_samples=count,
    excluded=st.dictionaries(ident, count, max_size=3),
    epochs=finite,
    taken_by_earlier_components=count,
    status=st.sampled_from(["ok", "short"]),
    notes=st.lists(text, max_size=2),
)
mix_totals = st.builds(
    MixTotals,
    samples=count,
    unique_samples=count,
    tokens=count,
    reasoning_tokens=count,
    non_reasoning_tokens=count,
    reasoning_ratio=st.none() | finite,
    reasoning_ratio_target=st.none() | finite,
    language_tokens=st.dictionaries(lang, count, max_size=3),
    language_shares=st.dictionaries(lang, finite, max_size=3),
)
manifest = st.builds(
    Manifest,
    name=ident,
    spec_hash=text,
    spec=json_obj,
    seed=st.integers(-(2**31), 2**31),
    catalog_state=text,
    audit_state=text,
    components=st.lists(component_report, max_size=3),
    totals=mix_totals,
    long_document_packing=st.dictionaries(ident, st.integers(0, 10**6) | finite, max_size=3),
    warnings=st.lists(text, max_size=2),
    samples=st.lists(manifest_entry, max_size=6),
)
response_meta = st.builds(
    ResponseMeta,
    query_id=ident,
    pass_rate=st.none() | st.floats(0, 1),
    pass_rate_by_mode=st.dictionaries(st.sampled_from(["reasoning", "non_reasoning"]), st.floats(0, 1)),
    difficulty=st.sampled_from(["unknown", "unsolved", "hard", "medium", "easy", "solved_all"]),
    n_responses=st.integers(0, 64),
    rl_keep=st.booleans(),
    response_source=text,
    response_index=st.integers(-1, 64),
    finish_reason=st.sampled_from(["stop", "length", "error"]),
    ground_truth=text,
    correct=st.booleans(),
    level=st.none() | text,
)
