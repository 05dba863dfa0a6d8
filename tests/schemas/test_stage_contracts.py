"""The typed contracts between stages that are not stored records: the mixture manifest (mix → export) and the
response metadata (reasoning → preference, dashboards). Round trips are exact; bad input names where it is."""

import json

import pytest
from hypothesis import HealthCheck, given, settings

from schemas import SchemaError, SFTSample
from schemas.mixture import Manifest, ManifestEntry
from schemas.records import json_dump
from schemas.response_meta import QUERY_ID, SCHEMA_VERSION_KEY, ResponseMeta
from tests.schemas.strategies import manifest, response_meta

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(manifest)
def test_manifest_json_roundtrip_is_exact_and_byte_stable(m):
    text = m.to_json()
    back = Manifest.from_json(text, "m.json")
    assert back == m
    assert (
        back.to_json() == text
    )  # re-rendering a loaded manifest gives the same bytes (its sha256 is stable)
    assert json.loads(text)["samples"] == [e.to_dict() for e in m.samples]


def test_manifest_entry_pack_key_only_when_packed():
    e = ManifestEntry("a", "d", "d/r/part-00000.parquet", 3, "c", 0, 10, "sft", "reasoning", "en")
    assert "pack" not in e.to_dict()
    e.pack = 2
    assert e.to_dict()["pack"] == 2 and ManifestEntry.from_dict(e.to_dict()) == e


def _one_manifest() -> dict:
    m = Manifest.from_json(
        json.dumps(
            {
                "manifest_version": 1,
                "name": "m",
                "spec_hash": "sha256:x",
                "spec": {},
                "seed": 0,
                "catalog_state": "s",
                "audit_state": "a",
                "components": [],
                "long_document_packing": {},
                "warnings": [],
                "totals": {
                    "samples": 1,
                    "unique_samples": 1,
                    "tokens": 5,
                    "reasoning_tokens": 5,
                    "non_reasoning_tokens": 0,
                    "reasoning_ratio": None,
                    "reasoning_ratio_target": 1.5,
                    "language_tokens": {"en": 5},
                    "language_shares": {"en": 1.0},
                },
                "samples": [
                    {
                        "id": "a",
                        "dataset": "d",
                        "shard": "d/r/part-00000.parquet",
                        "row": 0,
                        "component": "c",
                        "repeat": 0,
                        "tokens": 5,
                        "kind": "sft",
                        "mode": "reasoning",
                        "language": "en",
                    }
                ],
            }
        )
    )
    return json.loads(m.to_json())


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda m: m["samples"][0].pop("shard"), "m.json: samples[0]: ManifestEntry: missing 'shard'"),
        (
            lambda m: m["samples"][0].update(row="7"),
            'm.json: samples[0]: ManifestEntry.row: expected int, got "7"',
        ),
        (lambda m: m["samples"][0].update(row=True), "ManifestEntry.row: expected int, got true"),
        (lambda m: m["samples"][0].update(colour="red"), "ManifestEntry: unknown key(s) ['colour']"),
        (lambda m: m["totals"].pop("tokens"), "m.json: totals: MixTotals: missing 'tokens'"),
        (lambda m: m.pop("spec_hash"), "m.json: Manifest: missing 'spec_hash'"),
        (lambda m: m.update(samples={}), "Manifest.samples: expected list, got {}"),
        (lambda m: m.update(manifest_version=2), "manifest_version 2 is not 1"),
    ],
)
def test_bad_manifest_names_the_key_and_position(edit, message):
    m = _one_manifest()
    edit(m)
    with pytest.raises(SchemaError) as e:
        Manifest.from_json(json.dumps(m), "m.json")
    assert message in str(e.value)


def test_cut_manifest_names_line_and_column():
    with pytest.raises(SchemaError, match=r"^m\.json:1:\d+: malformed manifest JSON"):
        Manifest.from_json('{"name": "m", "samples": [', "m.json")


@SETTINGS
@given(response_meta)
def test_response_meta_roundtrip_through_an_sft_sample(meta):
    d = meta.to_dict()
    assert SCHEMA_VERSION_KEY not in d  # version 1 is stored exactly as the generator always wrote it
    assert ("level" in d) == (meta.level is not None)
    assert ResponseMeta.from_dict(d) == meta
    assert (
        ResponseMeta.from_dict(json.loads(json_dump(d))) == meta
    )  # as SFTSample stores metadata (JSON text)
    s = SFTSample(
        id="x",
        domain="math",
        language="en",
        mode="reasoning",
        metadata=d,
        messages=[{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}],
    )
    assert ResponseMeta.from_dict(SFTSample.from_row(s.to_row()).metadata) == meta


def _meta() -> dict:
    return ResponseMeta(
        query_id="gsm8k:train:0",
        pass_rate=0.5,
        pass_rate_by_mode={"reasoning": 0.5},
        difficulty="medium",
        n_responses=2,
        rl_keep=True,
        response_source="m",
        response_index=0,
        finish_reason="stop",
        ground_truth="4",
        correct=True,
    ).to_dict()


@pytest.mark.parametrize(
    "edit,message",
    [
        (lambda d: d.pop(QUERY_ID), "s1: bad ResponseMeta: query_id: Field required"),
        (lambda d: d.update(correct="yes"), "s1: bad ResponseMeta: correct: Input should be a valid boolean"),
        (lambda d: d.update(n_responses=1.5), "n_responses: Input should be a valid integer"),
        (lambda d: d.update(schema_version=2), "s1: ResponseMeta schema_version 2 is not 1"),
    ],
)
def test_bad_response_meta_names_the_key(edit, message):
    d = _meta()
    edit(d)
    with pytest.raises(SchemaError) as e:
        ResponseMeta.from_dict(d, "s1")
    assert message in str(e.value)
    with pytest.raises(SchemaError, match="must be a mapping, got list"):
        ResponseMeta.from_dict([], "s1")


def test_other_stages_keys_in_the_metadata_are_left_alone():
    d = {**_meta(), "contaminated": True}
    assert ResponseMeta.from_dict(d).to_dict() == _meta()
