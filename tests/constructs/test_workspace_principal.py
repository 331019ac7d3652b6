"""WorkspaceServicePrincipal on its own: bound to its Entra app, deliberate entitlements, one group, rule set."""

from __future__ import annotations

import dataclasses

import pytest

from constructs_lib.principals import Principal
from constructs_lib.workspace_principal import WorkspaceServicePrincipal, WorkspaceServicePrincipalProps
from tests.helpers import only, ref, strip_metadata

PROPS = WorkspaceServicePrincipalProps(
    application_id="${var.client_id}",
    display_name="mlplatform-dev-ml",
    workspace_access=True,
    databricks_sql_access=True,
    allow_cluster_create=False,
    group_name="ml-automation",
    create_group=True,
    user_groups=(),
    manager_groups=(),
    account_id=None,
)


def test_principal_is_bound_by_application_id_and_joins_the_group_it_creates(bare_stack, synth):
    principal = WorkspaceServicePrincipal(bare_stack, "ml_principal", PROPS)
    stack = synth(bare_stack)
    assert sorted(stack["resource"]) == ["databricks_group", "databricks_group_member", "databricks_service_principal"]
    assert "data" not in stack
    assert strip_metadata(only(stack, "databricks_service_principal")) == {
        "application_id": "${var.client_id}",
        "display_name": "mlplatform-dev-ml",
        "workspace_access": True,
        "databricks_sql_access": True,
        "allow_cluster_create": False,
        "allow_instance_pool_create": False,
    }
    assert strip_metadata(only(stack, "databricks_group")) == {"display_name": "ml-automation"}
    assert strip_metadata(only(stack, "databricks_group_member")) == {
        "group_id": ref(stack, "databricks_group", "id"),
        "member_id": ref(stack, "databricks_service_principal", "id"),
    }
    assert principal.rule_set is None
    assert principal.principal.kind == "service_principal"
    assert principal.principal.label == "ml_principal"


def test_an_existing_group_is_looked_up_not_created(bare_stack, synth):
    WorkspaceServicePrincipal(
        bare_stack, "ml_principal", dataclasses.replace(PROPS, group_name="admins", create_group=False)
    )
    stack = synth(bare_stack)
    assert "databricks_group" not in stack["resource"]
    assert strip_metadata(only(stack, "databricks_group", section="data")) == {"display_name": "admins"}
    assert only(stack, "databricks_group_member")["group_id"] == ref(stack, "databricks_group", "id", section="data")


DEPLOYERS = (
    Principal.user("ana@example.com"),
    Principal.service_principal("68686868-0000-4000-8000-000000000001", "ci"),
)


def test_user_and_manager_groups_make_one_rule_set_that_keeps_every_deployer_a_manager(bare_stack, synth):
    WorkspaceServicePrincipal(
        bare_stack,
        "ml_principal",
        dataclasses.replace(
            PROPS, user_groups=("ml-users",), manager_groups=("ml-admins",), account_id="acc-1", deployers=DEPLOYERS
        ),
    )
    stack = synth(bare_stack)
    assert strip_metadata(only(stack, "databricks_access_control_rule_set")) == {
        "name": "accounts/acc-1/servicePrincipals/"
        + ref(stack, "databricks_service_principal", "application_id")
        + "/ruleSets/default",
        "grant_rules": [
            {"role": "roles/servicePrincipal.user", "principals": ["groups/ml-users"]},
            {
                "role": "roles/servicePrincipal.manager",
                "principals": [
                    "users/ana@example.com",
                    "servicePrincipals/68686868-0000-4000-8000-000000000001",
                    "groups/ml-admins",
                ],
            },
        ],
    }


def test_manager_groups_alone_make_no_user_rule(bare_stack, synth):
    WorkspaceServicePrincipal(
        bare_stack,
        "ml_principal",
        dataclasses.replace(PROPS, manager_groups=("ml-admins",), account_id="acc-1", deployers=DEPLOYERS),
    )
    stack = synth(bare_stack)
    rules = only(stack, "databricks_access_control_rule_set")["grant_rules"]
    assert [rule["role"] for rule in rules] == ["roles/servicePrincipal.manager"]
    assert "data" not in stack  # no lookup of whoever applies: the deployers are named


def test_a_rule_set_without_the_deployers_is_refused(bare_stack):
    """The rule set is authoritative: without the deployers in it, the next apply could not manage the principal."""
    with pytest.raises(ValueError, match="a rule set needs the deployers"):
        WorkspaceServicePrincipal(
            bare_stack, "ml_principal", dataclasses.replace(PROPS, manager_groups=("ml-admins",), account_id="acc-1")
        )
