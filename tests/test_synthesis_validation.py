"""app_runtime/synthesis.py `validate`: which construct validations run, and that a planted defect still fails.

Every stack's own validation (each resource's provider is in the stack) runs; every construct's runs in the first
stack of each kind (layer and backend class), since cdktf's construct-level checks (`terraform version`, a process
each) are the same in every stack of a kind."""

from __future__ import annotations

import jsii
import pytest
from cdktf import LocalBackend, TerraformProviderGeneratorMetadata, TerraformResource, TerraformStack
from constructs import IValidation

from app_runtime.synthesis import TERRAFORM_NOT_FOUND, ValidationFailed, new_app, validate


def _stack(app, stack_id: str, *, provider: bool) -> TerraformStack:
    stack = TerraformStack(app, stack_id)
    LocalBackend(stack, path=f"{stack_id}.tfstate")
    TerraformResource(
        stack,
        "thing",
        terraform_resource_type="null_resource",
        terraform_generator_metadata=TerraformProviderGeneratorMetadata(provider_name="null"),
    )
    if provider:
        from cdktf import TerraformProvider

        TerraformProvider(
            stack,
            "null",
            terraform_resource_type="null",
            terraform_generator_metadata=TerraformProviderGeneratorMetadata(provider_name="null"),
        )
    return stack


def test_a_missing_provider_fails_in_every_stack_not_only_the_first_of_its_kind(tmp_path):
    app = new_app(str(tmp_path))
    for index in range(1, 4):
        _stack(app, f"p-e{index}-azure", provider=index != 3)
    with pytest.raises(ValidationFailed) as raised:
        validate(app)
    assert len(raised.value.errors) == 1
    assert raised.value.errors[0].startswith("p-e3-azure: Found resources without a matching provider construct")


def test_a_construct_validation_runs_in_the_first_stack_of_each_kind(tmp_path):
    app = new_app(str(tmp_path))
    for stack_id in ("p-e1-azure", "p-e2-azure", "p-e1-serving"):
        stack = _stack(app, stack_id, provider=True)
        stack.node.find_child("thing").node.add_validation(_Broken())
    with pytest.raises(ValidationFailed) as raised:
        validate(app)
    assert raised.value.errors == ["p-e1-azure/thing: broken on purpose", "p-e1-serving/thing: broken on purpose"]


def test_no_terraform_on_path_is_a_note_not_an_error(tmp_path):
    app = new_app(str(tmp_path))
    stack = _stack(app, "p-e1-azure", provider=True)
    stack.node.add_validation(_NoTerraform())
    assert validate(app) == ["terraform is not on PATH: synthesis does not need it, `cdktf deploy` does (>= 1.5)"]


@jsii.implements(IValidation)
class _Broken:
    def validate(self) -> list[str]:
        return ["broken on purpose"]


@jsii.implements(IValidation)
class _NoTerraform:
    def validate(self) -> list[str]:
        return [f"{TERRAFORM_NOT_FOUND}, terraform version failed: not found"]
