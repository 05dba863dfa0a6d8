import pytest
from pydantic import ValidationError

from schemas.mixture import MixtureSpec


def spec(**kw):
    base = {"name": "m", "components": [{"name": "a", "token_budget": 100}]}
    return MixtureSpec.model_validate({**base, **kw})


def test_defaults_follow_exaone():
    s = spec()
    assert s.reasoning_ratio == 1.5 and s.exclude_rejected and s.exclude_contaminated and s.tolerance == 0.01
    assert s.budget(s.components[0]) == 100


def test_weight_needs_total_and_resolves():
    with pytest.raises(ValidationError, match="need MixtureSpec.total_tokens"):
        spec(components=[{"name": "a", "weight": 0.5}])
    s = spec(components=[{"name": "a", "weight": 0.25}], total_tokens=1000)
    assert s.budget(s.components[0]) == 250


@pytest.mark.parametrize(
    "kw,msg",
    [
        (
            {"components": [{"name": "a", "token_budget": 1}, {"name": "a", "token_budget": 2}]},
            "must be unique",
        ),
        ({"components": [{"name": "a"}]}, "needs token_budget or weight"),
        ({"language_shares": {"ko": 0.7, "es": 0.5}}, "sum to at most 1"),
        (
            {"components": [{"name": "d", "role": "long_document", "token_budget": 5}]},
            "needs MixtureSpec.stage_length",
        ),
        ({"components": [{"name": "a", "token_budget": 1, "select": {"mode": ["thinking"]}}]}, "mode"),
    ],
)
def test_bad_specs_say_why(kw, msg):
    with pytest.raises(ValidationError, match=msg):
        spec(**kw)
