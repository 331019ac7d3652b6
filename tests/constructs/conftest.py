"""Constructs tested on their own: each test builds one construct in a bare stack and reads it back.

`Testing.synth(stack)` returns the stack's Terraform JSON; cross-stack references are not resolved
there, which is why wiring between stacks is tested on a full `app.synth()` elsewhere.
`Testing` is imported under another name so that pytest does not try to collect it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from cdktf import TerraformStack
from cdktf import Testing as CdktfTesting

from app_runtime.synthesis import ValidationFailed


@pytest.fixture
def bare_stack() -> TerraformStack:
    """An empty stack in a fresh test app (no provider configured: constructs do not need one to synth)."""
    return TerraformStack(CdktfTesting.app(), "test")


@pytest.fixture
def synth() -> Callable[[TerraformStack], dict[str, Any]]:
    """Run the validations of every construct in the bare stack, as app_runtime.synthesis.validate
    does for the real app (whose cdktf pass is skipped), raising ValidationFailed; then synthesize
    the stack into its parsed Terraform JSON. The stack's own check (a provider construct for every
    resource) is left out: bare stacks have no provider on purpose."""

    def run(stack: TerraformStack) -> dict[str, Any]:
        errors = [
            f"{construct.node.path}: {message}"
            for construct in stack.node.find_all()
            if construct is not stack
            for message in construct.node.validate()
        ]
        if errors:
            raise ValidationFailed(errors)
        return json.loads(CdktfTesting.synth(stack))

    return run
