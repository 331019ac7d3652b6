"""Constructs tested on their own: each test builds one construct in a bare stack and reads it back.

`Testing.synth(stack)` returns the stack's Terraform JSON; cross-stack references are not resolved
there, which is why wiring between stacks is tested on a full `app.synth()` elsewhere.
`Testing` is imported under another name so that pytest does not try to collect it.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from cdktf import Testing as CdktfTesting
from cdktf import TerraformStack


@pytest.fixture
def bare_stack() -> TerraformStack:
    """An empty stack in a fresh test app (no provider configured: constructs do not need one to synth)."""
    return TerraformStack(CdktfTesting.app(), "test")


@pytest.fixture
def synth() -> Callable[[TerraformStack], dict[str, Any]]:
    """Synthesize a bare stack into its parsed Terraform JSON."""

    def run(stack: TerraformStack) -> dict[str, Any]:
        return json.loads(CdktfTesting.synth(stack))

    return run
