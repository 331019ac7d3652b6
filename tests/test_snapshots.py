"""Every stack of the default config against its reviewed snapshot in tests/__snapshots__/."""

from __future__ import annotations

import pytest

from config import load_config
from config.naming import LAYERS, bootstrap_stack_id, stack_id
from tests.helpers import strip_metadata
from tests.snapshot import TerraformJsonSnapshot, terraform_changes

_DEFAULT = load_config().config
STACK_IDS = [stack_id(_DEFAULT.prefix, e.name, layer) for e in _DEFAULT.environments for layer in LAYERS]
STACK_IDS.append(bootstrap_stack_id(_DEFAULT.prefix))


@pytest.fixture
def stack_snapshot(snapshot):
    return snapshot.use_extension(TerraformJsonSnapshot)


@pytest.mark.parametrize("stack", STACK_IDS)
def test_stack_matches_its_snapshot(default_stacks, stack_snapshot, stack):
    assert strip_metadata(default_stacks[stack]) == stack_snapshot


def test_a_changed_attribute_is_reported_by_stack_resource_and_path():
    old = {"resource": {"azurerm_key_vault": {"kv": {"purge_protection_enabled": True, "tags": {"a": "1"}}}}}
    new = {
        "resource": {"azurerm_key_vault": {"kv": {"purge_protection_enabled": False}}},
        "output": {"url": {"value": "x"}},
    }
    assert terraform_changes(old, new) == [
        'output url: value: (absent) -> "x"',
        "resource azurerm_key_vault.kv: purge_protection_enabled: true -> false",
        'resource azurerm_key_vault.kv: tags.a: "1" -> (absent)',
    ]
