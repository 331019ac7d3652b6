"""config/naming.py: every derived name, spelled once."""

from __future__ import annotations

import pytest

from config import naming


@pytest.mark.parametrize(
    "function, arguments, expected",
    [
        (naming.stack_id, ("mlplatform", "prod", "azure"), "mlplatform-prod-azure"),
        (naming.bootstrap_stack_id, ("mlplatform",), "mlplatform-tfc"),
        (naming.ci_stack_id, ("mlplatform",), "mlplatform-ci"),
        (naming.state_key, ("mlplatform", "prod", "databricks"), "mlplatform/prod/databricks.tfstate"),
        (naming.environment_label, ("mlplatform", "prod"), "mlplatform-prod"),
        (naming.ml_identity_name, ("mlplatform", "prod"), "mlplatform-prod-ml"),
        (naming.ml_cluster_name, ("mlplatform", "prod"), "mlplatform-prod-ml"),
        (naming.secret_scope_name, ("mlplatform", "prod"), "mlplatform-prod-keyvault"),
        (naming.vault_private_endpoint_name, ("kv-mlplatform-prod",), "pe-kv-mlplatform-prod"),
        (naming.github_actions_identity_name, ("mlplatform", "prod"), "mlplatform-prod-github-actions"),
        (naming.agent_identity_variable_set_name, ("mlplatform", "prod"), "mlplatform-prod-agent-identity"),
    ],
)
def test_each_name(function, arguments, expected):
    assert function(*arguments) == expected


def test_stack_ids_name_every_layer_in_order():
    assert naming.stack_ids("ml", "dev") == {
        "azure": "ml-dev-azure",
        "databricks": "ml-dev-databricks",
        "serving": "ml-dev-serving",
    }


def test_every_public_function_says_what_it_makes():
    functions = [v for k, v in vars(naming).items() if callable(v) and not k.startswith("_")]
    assert functions and all(f.__doc__ for f in functions)
