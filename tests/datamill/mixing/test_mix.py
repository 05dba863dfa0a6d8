import json
from pathlib import Path

import pytest
import yaml

from datamill.mixing import MixShortfall, load_manifest, run_mix
from datamill.store import Store
from tests.datamill.mixing.realstore import gsm8k_samples


def write_spec(tmp_path: Path, **spec) -> Path:
    p = tmp_path / f"{spec['name']}.yaml"
    p.write_text(yaml.safe_dump(spec))
    return p


BASE = {
    "name": "base",
    "seed": 7,
    "reasoning_ratio": 1.5,
    "components": [
        {"name": "math", "select": {"domain": ["math"], "passed": True}, "token_budget": 30000},
        {"name": "multi", "select": {"domain": ["multilingual"]}, "token_budget": 10000},
        {"name": "tools", "select": {"domain": ["tool_use"]}, "token_budget": 4000},
    ],
}


def test_same_spec_same_catalog_gives_identical_manifest(real_store, tmp_path):
    spec = write_spec(tmp_path, **BASE)
    a = run_mix(spec, real_store, tmp_path / "a", progress=False)
    b = run_mix(spec, real_store, tmp_path / "b", progress=False)
    assert a.manifest_path.read_bytes() == b.manifest_path.read_bytes()
    assert a.manifest_sha256 == b.manifest_sha256
    c = run_mix(
        write_spec(tmp_path, **{**BASE, "name": "base2", "seed": 8}),
        real_store,
        tmp_path / "c",
        progress=False,
    )
    ids = lambda r: {e.id for e in load_manifest(r.manifest_path).samples}
    assert ids(a) != ids(c)  # the seed changes the choice
    with real_store.connect(read_only=True) as con:
        row = con.execute(
            "SELECT samples, tokens, manifest_sha256 FROM mixtures WHERE name = 'base'"
        ).fetchone()
    assert row == (a.totals.samples, a.totals.tokens, a.manifest_sha256)


def test_budgets_and_ratio_met_within_one_percent(real_store, tmp_path):
    r = run_mix(write_spec(tmp_path, **BASE), real_store, tmp_path / "m", progress=False)
    m = load_manifest(r.manifest_path)
    for comp in BASE["components"]:
        got = sum(e.tokens for e in m.samples if e.component == comp["name"])
        assert abs(got - comp["token_budget"]) <= 0.01 * comp["token_budget"], comp["name"]
    rt = sum(e.tokens for e in m.samples if e.mode == "reasoning")
    nt = sum(e.tokens for e in m.samples if e.mode == "non_reasoning")
    assert abs(rt / nt / 1.5 - 1) <= 0.01
    assert r.warnings == []
    assert all(e.shard.endswith(".parquet") and e.row >= 0 for e in m.samples)


def test_language_share_met(real_store, tmp_path):
    r = run_mix(
        write_spec(tmp_path, **{**BASE, "name": "ko", "language_shares": {"ko": 0.1}}),
        real_store,
        tmp_path / "ko",
        progress=False,
    )
    assert abs(r.totals.language_shares["ko"] - 0.1) <= 0.01 * 0.1 + 1e-3
    assert r.warnings == []


def test_unfillable_component_is_reported_with_numbers(real_store, tmp_path):
    spec = {
        **BASE,
        "name": "short",
        "components": BASE["components"]
        + [  # both values exist, never together
            {"name": "ko_math", "select": {"domain": ["math"], "language": ["ko"]}, "token_budget": 5000}
        ],
    }
    r = run_mix(write_spec(tmp_path, **spec), real_store, tmp_path / "s", progress=False)
    code = next(c for c in r.components if c.name == "ko_math")
    assert code.status == "short" and code.available_tokens == 0
    assert any("'ko_math': asked 5000 tokens, selected 0" in w for w in r.warnings)
    assert "WARNING: component 'ko_math'" in (tmp_path / "s" / "report.txt").read_text()
    with pytest.raises(MixShortfall, match="asked 5000 tokens, selected 0"):
        run_mix(
            write_spec(tmp_path, **{**spec, "on_shortfall": "error"}),
            real_store,
            tmp_path / "e",
            progress=False,
        )


def test_an_unknown_select_value_is_an_error_listing_the_known_ones(real_store, tmp_path, capsys):
    """Issue #20 item 12: `domain: [mathh]` exited 0 with an empty manifest."""
    from datamill.cli import main

    spec = {
        **BASE,
        "name": "typo",
        "components": [
            {"name": "math", "select": {"domain": ["mathh"]}, "token_budget": 1000},
            {"name": "ko", "select": {"language": ["kr"]}, "token_budget": 1000},
        ],
    }
    rc = main(
        [
            "--store",
            str(real_store.root),
            "mix",
            str(write_spec(tmp_path, **spec)),
            "--out",
            str(tmp_path / "t"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    with real_store.connect(read_only=True) as con:
        domains = sorted(r[0] for r in con.execute("SELECT DISTINCT domain FROM samples").fetchall())
    assert (
        f"domain 'mathh' (component math) matches no sample; known domain values: {', '.join(domains)}" in err
    )
    assert "language 'kr' (component ko) matches no sample; known language values: " in err and "ko" in err
    assert not (tmp_path / "t" / "manifest.json").exists()


def test_ratio_has_priority_when_reasoning_is_short(real_store, tmp_path):
    spec = {
        "name": "rshort",
        "components": [{"name": "all", "select": {"passed": True}, "token_budget": 150000}],
    }
    r = run_mix(write_spec(tmp_path, **spec), real_store, tmp_path / "r", progress=False)
    assert (
        abs(r.totals.reasoning_ratio / 1.5 - 1) <= 0.01
    )  # only ~30k reasoning tokens exist: budget gives way
    assert r.components[0].status == "short" and r.totals.reasoning_tokens <= 30628


def test_rejected_audits_and_contaminated_samples_are_excluded(examples, tmp_path):
    store = Store(tmp_path / "st")
    recs = gsm8k_samples(examples, 30, wrong=False)
    for s in recs[:4]:
        s.metadata["contaminated"] = True
    store.begin_run("g", "r1", "sft", {})
    store.write_shard("g", "r1", 0, recs)
    with store.connect() as con:
        con.execute(
            "INSERT INTO audits (sample_id, decision, reason, reviewer, ts) VALUES "
            "('gsm8k-r-10', 'reject', 'wrong', 'ann', now()), ('gsm8k-r-11', 'reject', 'x', 'ann', now() - INTERVAL 1 hour),"
            "('gsm8k-r-11', 'accept', 'fixed', 'bob', now())"
        )
    spec = {"name": "ex", "reasoning_ratio": None, "components": [{"name": "all", "token_budget": 10**7}]}
    r = run_mix(write_spec(tmp_path, **spec), store, tmp_path / "x", progress=False)
    ids = {e.id for e in load_manifest(r.manifest_path).samples}
    assert r.components[0].excluded == {"contaminated": 4, "rejected_audit": 1}
    assert "gsm8k-r-10" not in ids and "gsm8k-r-11" in ids and "gsm8k-r-0" not in ids and len(ids) == 55


def test_overlapping_components_say_why_the_later_one_is_short(real_store, tmp_path):
    spec = {
        "name": "ov",
        "reasoning_ratio": None,
        "components": [
            {"name": "all_math", "select": {"domain": ["math"]}, "token_budget": 10**7},
            {
                "name": "reasoning_math",
                "select": {"domain": ["math"], "mode": ["reasoning"]},
                "token_budget": 5000,
            },
        ],
    }
    r = run_mix(write_spec(tmp_path, **spec), real_store, tmp_path / "ov", progress=False)
    first, second = r.components
    assert second.selected_tokens == 0 and second.status != "ok"
    assert second.taken_by_earlier_components == second.available_samples > 0
    assert first.taken_by_earlier_components == 0
    assert any("'reasoning_math'" in w and "already taken by earlier components" in w for w in r.warnings)


def test_a_component_can_keep_contaminated_samples(examples, tmp_path):
    store = Store(tmp_path / "st")
    recs = gsm8k_samples(examples, 10, wrong=False)
    for s in recs[:2]:
        s.metadata.update(contaminated=True, benchmark="bfcl")
    store.begin_run("g", "r1", "sft", {})
    store.write_shard("g", "r1", 0, recs)
    base = {"name": "keep", "reasoning_ratio": None, "exclude_contaminated": True}
    spec = {**base, "components": [{"name": "all", "token_budget": 10**7, "exclude_contaminated": False}]}
    r = run_mix(write_spec(tmp_path, **spec), store, tmp_path / "k", progress=False)
    ids = {e.id for e in load_manifest(r.manifest_path).samples}
    assert r.components[0].excluded == {} and {"gsm8k-r-0", "gsm8k-n-0"} <= ids
    spec = {**base, "name": "drop", "components": [{"name": "all", "token_budget": 10**7}]}
    r = run_mix(write_spec(tmp_path, **spec), store, tmp_path / "d", progress=False)
    assert r.components[0].excluded == {"contaminated": 2}


def test_epochs_and_upsampling_repeat_samples(real_store, tmp_path):
    spec = {
        "name": "ep",
        "reasoning_ratio": None,
        "components": [
            {"name": "ko", "select": {"language": ["ko"]}, "token_budget": 4000, "epochs": 2},
            {"name": "tools", "select": {"domain": ["tool_use"]}, "token_budget": 20000, "upsample": True},
        ],
    }
    r = run_mix(write_spec(tmp_path, **spec), real_store, tmp_path / "ep", progress=False)
    m = load_manifest(r.manifest_path)
    ko = [e for e in m.samples if e.component == "ko"]
    assert {e.repeat for e in ko} == {0, 1}
    assert sorted(e.id for e in ko if e.repeat == 0) == sorted(e.id for e in ko if e.repeat == 1)
    tools = [e for e in m.samples if e.component == "tools"]
    assert max(e.repeat for e in tools) == 2 and abs(sum(e.tokens for e in tools) - 20000) <= 200
    assert all(c.status == "ok" for c in r.components)


def test_stage_mixture_packs_whole_documents(real_store, tmp_path):
    spec = {
        "name": "stage",
        "stage_length": 4096,
        "total_tokens": 20000,
        "reasoning_ratio": None,
        "components": [
            {"name": "long", "role": "long_document", "select": {"kind": ["web"]}, "weight": 0.5},
            {
                "name": "rehearsal",
                "role": "rehearsal",
                "select": {"mode": ["non_reasoning"], "passed": True},
                "weight": 0.3,
            },
            {
                "name": "synth",
                "role": "synthetic_reasoning",
                "select": {"mode": ["reasoning"]},
                "weight": 0.2,
            },
        ],
    }
    r = run_mix(write_spec(tmp_path, **spec), real_store, tmp_path / "st", progress=False)
    m = json.loads(r.manifest_path.read_text())  # the file itself, as a trainer script would read it
    long = [e for e in m["samples"] if e["component"] == "long"]
    with real_store.connect(read_only=True) as con:
        too_long = con.execute(
            "SELECT count(*) FROM samples WHERE kind = 'web' AND tokens > 4096"
        ).fetchone()[0]
    assert too_long > 0 and m["components"][0]["excluded"] == {"longer_than_stage": too_long}
    packs: dict[int, int] = {}
    for e in long:  # every document whole (its catalog token count) and every pack within the stage length
        packs[e["pack"]] = packs.get(e["pack"], 0) + e["tokens"]
    assert long and max(packs.values()) <= 4096
    assert m["long_document_packing"]["sequences"] == len(packs)


def test_latest_run_only_counts_a_regenerated_dataset_once(examples, tmp_path):
    store = Store(tmp_path / "st")
    first, second = gsm8k_samples(examples, 10, wrong=False), gsm8k_samples(examples, 12, wrong=False)
    for s in second:
        s.id = "v2-" + s.id
    for run_id, recs in (("old", first), ("new", second)):
        store.begin_run("g", run_id, "sft", {"v": run_id})
        store.write_shard("g", run_id, 0, recs)
        store.finish_run("g", run_id)
    spec = {
        "name": "lr",
        "reasoning_ratio": None,
        "latest_run_only": True,
        "components": [{"name": "all", "token_budget": 10**7}],
    }
    r = run_mix(write_spec(tmp_path, **spec), store, tmp_path / "x", progress=False)
    ids = {e.id for e in load_manifest(r.manifest_path).samples}
    assert ids == {s.id for s in second} and r.components[0].excluded == {"older_run": 20}


def test_predicates_on_verdicts_audits_and_versions(real_store):
    from datamill.mixing.select import fetch_candidates
    from schemas.mixture import MixtureSpec

    with real_store.connect() as con:
        con.execute(
            "INSERT INTO audits (sample_id, decision, reason, reviewer, ts) VALUES "
            "('ko-1', 'accept', '', 'ann', now()), ('ko-2', 'flag', 'odd', 'ann', now())"
        )

    def ids(select):
        spec = MixtureSpec.model_validate(
            {"name": "p", "components": [{"name": "c", "token_budget": 1, "select": select}]}
        )
        with real_store.connect(read_only=True) as con:
            return set(fetch_candidates(con, spec, spec.components[0]).cols["id"].tolist())

    verified = ids({"verifiers_passed": ["math_verify"]})
    assert verified and all(
        i.startswith(("gsm8k-r-", "gsm8k-n-")) for i in verified
    )  # wrong responses fail it
    assert ids({"audit": ["accept"]}) == {"ko-1"} and ids({"language": ["ko"], "audit": ["flag"]}) == {"ko-2"}
    assert len(ids({"language": ["ko"], "audit": ["none"]})) == 298
    assert ids({"run_id": ["nope"]}) == set() and len(ids({"dataset": ["tools"], "min_tokens": 300})) < 40
