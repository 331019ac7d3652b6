"""The construct-test fixtures themselves: `synth` fails on a construct validation, as `make synth` does."""

from __future__ import annotations

import jsii
import pytest
from constructs import Construct, IValidation

from app_runtime.synthesis import ValidationFailed


def test_the_synth_fixture_runs_construct_validations(bare_stack, synth):
    Construct(bare_stack, "thing").node.add_validation(_Failing())
    with pytest.raises(ValidationFailed, match="test/thing: broken on purpose"):
        synth(bare_stack)


@jsii.implements(IValidation)
class _Failing:
    """A stand-in construct validation: `validate()` returns error messages."""

    def validate(self) -> list[str]:
        return ["broken on purpose"]
