"""Accepted configs that change which resources or arguments the stacks contain, for the real providers.

The default config plus these variants switch every config feature that adds, removes or changes a
resource or an argument at least once: existing resource group, no private endpoint, public access
off, audit logs, each kind of expiry-event destination, ADLS spark conf, pinned runtime and node
type, libraries, every permission level, existing group, extra groups, an account-level rule set,
named scope with a manage group, secret and plain environment variables on served models, AI
gateway with per-user rate limits and no inference table, the azurerm and local backends, the CI
identity stack, an existing agent pool and a cloud-backed bootstrap, and two projects per environment (the shipped
example config/examples/two-projects.yaml). tests/test_real_providers.py
validates each with the pinned providers (identical stacks once).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.helpers import mutated
from tests.test_main import _delete, _set

Change = Callable[[dict[str, Any]], None]

_SUB = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups"
_PROD_SUB = "/subscriptions/33333333-3333-3333-3333-333333333333/resourceGroups"


def _local_everywhere(raw: dict[str, Any]) -> None:
    for settings in raw["environments"].values():
        settings["execution_mode"] = "local"
        settings.pop("agent", None)


FEATURES_ON: list[Change] = [
    _set("environments.dev.azure.resource_group.create", False),
    # one deployer: the ADLS conf below references a secret, and only the cluster's creator may change it;
    # a user, who may create the app with its other owner (a service principal with OwnedBy may not)
    _set(
        "environments.dev.azure.deployers",
        [{"object_id": "66666666-6666-6666-6666-666666666666", "kind": "user", "user_name": "you@example.com"}],
    ),
    _set("environments.dev.azure.application.display_name", "mlplatform dev ML automation"),
    _set("environments.dev.azure.application.owners", ["5b6f1c2e-0000-4000-8000-00000000d102"]),
    _set("environments.dev.azure.key_vault.public_network_access_enabled", False),
    _set("environments.dev.azure.key_vault.allowed_ip_ranges", []),
    _set("environments.dev.azure.key_vault.secret_name", "ml-app-secret"),
    _set("environments.dev.azure.key_vault.prevent_destroy", True),
    _set(
        "environments.dev.azure.monitoring",
        {
            "vault_audit_logs": {
                "log_analytics_workspace_id": f"{_SUB}/rg-mon/providers/Microsoft.OperationalInsights/workspaces/log-dev"
            },
            "secret_expiry_events": {
                "destination_id": f"{_SUB}/rg-mon/providers/Microsoft.EventHub/namespaces/evh-dev/eventhubs/expiry"
            },
        },
    ),
    _set(
        "environments.dev.databricks.service_principal",
        {
            "display_name": "mlplatform dev ML automation",
            "entitlements": {"workspace_access": False, "databricks_sql_access": False, "allow_cluster_create": True},
            "group": {"name": "ml-automation-existing", "create": False},
            "user_groups": ["ml-engineers"],
            "manager_groups": ["ml-platform-admins"],
            "account_id": "c3d4e5f6-0000-4000-8000-000000000001",
        },
    ),
    _set("environments.dev.databricks.secret_scope", {"name": "ml-dev-kv", "manage_group": "ml-platform-admins"}),
    _set(
        "environments.dev.databricks.cluster",
        {
            "name": "ml-dev-shared",
            "spark_version": "15.4.x-cpu-ml-scala2.12",
            "node_type_id": "Standard_D4ds_v5",
            "min_workers": 0,
            "max_workers": 2,
            "autotermination_minutes": 15,
            "principal_permission": "CAN_ATTACH_TO",
            "pypi_packages": ["mlflow==2.19.0", "scikit-learn>=1.5"],
            "adls": {"storage_account": "stmldev0000"},
        },
    ),
    _set(
        "environments.dev.databricks.serving",
        {
            "name": "mlplatform-dev-churn",
            "principal_permission": "CAN_MANAGE",
            "served_models": [
                {
                    "model": "ml_dev.models.churn_classifier",
                    "version": 1,
                    "name": "churn-current",
                    "traffic_percentage": 80,
                    "environment_vars": {"LOG_LEVEL": "INFO"},
                    "secret_environment_vars": {"ML_CLIENT_SECRET": "ml-app-secret"},
                },
                {"model": "ml_dev.models.churn_classifier", "version": 2, "traffic_percentage": 20},
            ],
            "ai_gateway": {"usage_tracking": False, "rate_limits": [{"calls": 100, "key": "user"}]},
            "tags": {"team": "ml"},
        },
    ),
    _set(
        "environments.prod.azure.monitoring.secret_expiry_events.destination_id",
        f"{_PROD_SUB}/rg-mon/providers/Microsoft.Storage/storageAccounts/stmlprod/queueServices/default/queues/expiry",
    ),
    _set("environments.prod.agent.create_pool", False),
    _set("state.bootstrap", {"backend": "cloud", "admin_workspace": "mlplatform-admin", "terraform_version": "1.11.4"}),
]

AZURERM_STATE: list[Change] = [
    _set(
        "state",
        {
            "backend": "azurerm",
            "resource_group_name": "rg-tfstate",
            "storage_account_name": "sttfstate0000",
            "container_name": "tfstate",
        },
    ),
    _local_everywhere,
    _delete("environments.dev.azure.key_vault.private_endpoint"),
    # an Azure Landing Zone policy registers staging's endpoint in the hub's zone
    _set("environments.staging.azure.key_vault.private_endpoint.dns_zone_group", "policy"),
    _delete("environments.staging.azure.key_vault.private_endpoint.private_dns_zone_id"),
    _set(
        "ci",
        {
            "github": {
                "repository": "my-org/mlplatform-cdktf",
                # the repository's delivery settings too (integrations/github), prod's applies reviewed by a team
                "manage_repository": True,
                "reviewers": {"prod": {"teams": [4567890]}, "staging": {"users": [1234567]}},
            },
            "create_identity": True,
        },
    ),
]

LOCAL_STATE: list[Change] = [_set("state", {"backend": "local"}), _local_everywhere]


def _apply(changes: list[Change]) -> dict[str, Any]:
    """The default config with `changes` made, in order (a fresh copy)."""

    def all_of(raw: dict[str, Any]) -> None:
        for change in changes:
            change(raw)

    return mutated(all_of)


EXAMPLES = Path(__file__).resolve().parent.parent / "config" / "examples"


def variants() -> dict[str, dict[str, Any]]:
    """name -> raw config; each must pass --check (tests/test_real_providers.py asserts it). The shipped examples
    (config/examples/) are variants too: validated and mock-applied like the others."""
    return {
        "features-on": _apply(FEATURES_ON),
        "azurerm-state-ci-identity": _apply(AZURERM_STATE),
        "local-state": _apply(LOCAL_STATE),
        "two-projects": yaml.safe_load((EXAMPLES / "two-projects.yaml").read_text(encoding="utf-8")),
    }
