import json

import pytest
import yaml

from datamill.engine.base import prompt_id
from datamill.engine.factory import NoEngineConfigured
from datamill.ids import run_id_for
from datamill.store import Store
from generators.preference.config import PreferenceConfig, RewardWeights
from generators.preference.job import run
from generators.preference.reward import Scored, score_group, select_pair
from generators.reasoning.prompts import build_prompt
from generators.seeds import SeedSourceConfig, load_seeds
from schemas import SFTSample
from schemas.response_meta import ResponseMeta
from tests.datamill.mixing.realstore import gsm8k_samples


def test_hybrid_reward_and_stage1_selection():
    g = score_group(
        [
            Scored("a", True, 200, True),
            Scored("b", True, 100, False),
            Scored("c", True, 150, True),
            Scored("d", False, 100, True),
            Scored("e", False, 400, False),
        ],
        RewardWeights(),
    )
    chosen, rejected = select_pair(g)
    assert chosen.id == "c"  # shortest correct among language-consistent ones (b drifts language)
    assert rejected.id == "e"  # lowest hybrid reward among the wrong ones
    assert g[1].parts == {"correct": 1.0, "conciseness": 1.0, "language": 0.0}
    assert select_pair([Scored("a", False, 1)]) == "no_correct_response"
    assert (
        select_pair(score_group([Scored("a", True, 1), Scored("b", True, 2)], RewardWeights()))
        == "all_correct"
    )
    judged = score_group(
        [Scored("a", True, 10, judge=0.2), Scored("b", True, 10, judge=0.9)], RewardWeights(judge=1)
    )
    assert select_pair(judged, "max_reward", 0.1)[0].id == "b"


def _config(tmp_path, **cfg):
    p = tmp_path / "pref.yaml"
    p.write_text(yaml.safe_dump(cfg))
    return str(p)


def test_pairs_from_catalog_responses(examples, tmp_path):
    store = Store(tmp_path / "store")
    store.begin_run("gsm8k", "r1", "sft", {})
    store.write_shard("gsm8k", "r1", 0, gsm8k_samples(examples, 40))
    [rep] = run("preference", _config(tmp_path, dataset="pref", source="catalog"), store)
    assert rep.rows_written == 40
    pairs = store.read_table("pref").to_pylist()
    with store.connect(read_only=True) as con:
        passed = dict(con.execute("SELECT id, passed FROM samples WHERE dataset = 'gsm8k'").fetchall())
        parents = con.execute("SELECT parent_ids FROM samples WHERE dataset = 'pref'").fetchall()
    for p in pairs:
        assert passed[p["chosen_id"]] is True and passed[p["rejected_id"]] is False
        assert p["chosen_id"].startswith(
            "gsm8k-n-"
        )  # the non-reasoning reference is the shortest correct one
        assert p["chosen_reward"] > p["rejected_reward"]
    assert all(len(row[0]) == 2 for row in parents)  # lineage to both responses in the catalog
    again = run("preference", _config(tmp_path, dataset="pref", source="catalog"), store)[0]
    assert again.parts_skipped == again.parts_total  # resumable: nothing redone


def test_no_engine_is_said_plainly(tmp_path, examples):
    cfg = _config(tmp_path, source="engine", seed_file=str(examples / "math/gsm8k_train.jsonl"))
    with pytest.raises(NoEngineConfigured, match="no engine is configured"):
        run("preference", cfg, Store(tmp_path / "s"))


def _canned(tmp_path, seed_file, limit: int) -> str:
    """Four canned responses per GSM8K query, keyed by the reasoning generator's prompt: two correct (a short and
    a long one), a wrong answer and no answer."""
    canned = tmp_path / "canned.jsonl"
    with open(canned, "w") as f:
        for s in load_seeds(SeedSourceConfig(name="gsm8k", path=str(seed_file), limit=limit))[0]:
            gold = s.ground_truth
            outs = [
                f"<think>\nshort\n</think>\n\nThe answer is $\\boxed{{{gold}}}$.",
                f"<think>\nlonger reasoning that goes on and on before it ends\n</think>\n\n$\\boxed{{{gold}}}$",
                "<think>\nguess\n</think>\n\nThe answer is $\\boxed{123456}$.",
                "<think>\nnothing\n</think>\n\nI do not know.",
            ]
            f.write(json.dumps({"prompt_id": prompt_id(build_prompt(s), True), "outputs": outs}) + "\n")
    return str(canned)


def test_engine_source_samples_and_verifies_with_the_reasoning_generator(tmp_path, examples):
    seed = examples / "math/gsm8k_train.jsonl"
    engine = {
        "backend": "canned",
        "canned_path": _canned(tmp_path, seed, 3),
        "cache_dir": str(tmp_path / "c"),
    }
    fields = {
        "source": "engine",
        "seed_file": str(seed),
        "max_queries": 3,
        "n_responses": 4,
        "dataset": "p",
        "engine": engine,
    }
    store = Store(tmp_path / "s")
    resp, pairs = run("preference", _config(tmp_path, **fields), store)
    assert resp.rows_written == 12 and pairs.rows_written == 3
    for p in store.read_table("p").to_pylist():
        assert "short" in p["chosen"][0]["reasoning_content"]  # shortest correct
        assert p["rejected_reward"] < p["chosen_reward"]
    # the responses are the reasoning generator's: its dataset and run id scheme, verdicts and typed metadata
    run_id = run_id_for(PreferenceConfig.model_validate(fields).model_dump(mode="json"))
    responses = [SFTSample.from_row(r) for r in store.read_table("p-responses").to_pylist()]
    assert {r.lineage.params["temperature"] for r in responses} == {1.0} and len(responses) == 12
    with store.connect(read_only=True) as con:
        assert con.execute(
            "SELECT DISTINCT run_id FROM samples WHERE dataset = 'p-responses'"
        ).fetchall() == [(run_id,)]
    meta = [ResponseMeta.from_dict(r.metadata, r.id) for r in responses]
    assert {m.response_source for m in meta} == {"canned"} and {m.n_responses for m in meta} == {4}
    assert {m.pass_rate for m in meta} == {0.5} and all(r.mode == "reasoning" for r in responses)
    assert [v.verifier for v in responses[0].verdicts] == [
        "math_verify",
        "degeneration",
        "language_consistency",
        "length",
    ]
    assert {r.verdicts[0].reason for r in responses if not r.passed} == {"wrong_answer", "no_final_answer"}


def test_bad_seed_line_is_reported_by_file_and_line_and_skipped(tmp_path, examples):
    f = tmp_path / "q.jsonl"
    good = (examples / "math/gsm8k_train.jsonl").read_text().splitlines()[0]
    f.write_text(good + '\n{"question": "no answer"}\n{not json\n')
    cfg = _config(
        tmp_path,
        source="engine",
        seed_file=str(f),
        n_responses=4,
        dataset="p",
        engine={
            "backend": "canned",
            "canned_path": _canned(tmp_path, f, 1),
            "cache_dir": str(tmp_path / "c"),
        },
    )
    resp, pairs = run("preference", cfg, Store(tmp_path / "s"))
    assert resp.rows_written == 4 and pairs.rows_written == 1  # the good query is still answered and paired
    assert [e.split(": ", 1)[0] for e in resp.errors] == [f"{f}:2", f"{f}:3"]


def test_pairs_export_as_trl_dpo_jsonl(examples, tmp_path):
    import datasets

    from datamill.export import export
    from datamill.mixing import run_mix

    store = Store(tmp_path / "store")
    store.begin_run("gsm8k", "r1", "sft", {})
    store.write_shard("gsm8k", "r1", 0, gsm8k_samples(examples, 12))
    run("preference", _config(tmp_path, dataset="pref"), store)
    spec = tmp_path / "dpo.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "name": "dpo",
                "reasoning_ratio": None,
                "components": [{"name": "p", "select": {"kind": ["preference"]}, "token_budget": 10**6}],
            }
        )
    )
    mix = run_mix(spec, store, tmp_path / "mix", progress=False)
    rep = export(mix.manifest_path, store, tmp_path / "out", progress=False)
    assert rep.files == {"preference.jsonl": 12} and rep.packed["skipped"] == {"PreferencePair": 12}
    ds = datasets.load_dataset("json", data_files=str(tmp_path / "out/preference.jsonl"), split="train")
    row = ds[0]
    assert row["prompt"][0]["role"] == "user" and row["chosen"][0]["role"] == "assistant"
    assert row["rejected"][0]["content"] != row["chosen"][0]["content"]
