"""Grantees: how a Databricks principal appears in an ACL, and stable labels for construct ids."""

from __future__ import annotations

import pytest

from constructs_lib.principals import AzurePrincipal, Principal, construct_label


@pytest.mark.parametrize(
    "text, label",
    [
        ("ML Engineers", "ml_engineers"),
        ("Key Vault Secrets Officer", "key_vault_secrets_officer"),
        ("--a..b--", "a_b"),
        ("main.models.churn", "main_models_churn"),
    ],
)
def test_construct_label(text, label):
    assert construct_label(text) == label


@pytest.mark.parametrize(
    "principal, entry",
    [
        (Principal.service_principal("${var.app_id}", "ml"), {"service_principal_name": "${var.app_id}"}),
        (Principal.group("ML Engineers"), {"group_name": "ML Engineers"}),
        (Principal("user", "someone@example.com", "someone"), {"user_name": "someone@example.com"}),
    ],
)
def test_each_kind_names_itself_as_databricks_acls_do(principal, entry):
    control = principal.access_control("CAN_QUERY")
    assert control.permission_level == "CAN_QUERY"
    named = {k: getattr(control, k) for k in ("service_principal_name", "group_name", "user_name")}
    assert {k: v for k, v in named.items() if v is not None} == entry


def test_group_label_is_derived_from_its_name():
    assert Principal.group("ML Engineers") == Principal("group", "ML Engineers", "group_ml_engineers")


def test_azure_principal_type_is_known_for_service_principals_only_when_said():
    assert AzurePrincipal.service_principal("${var.sp}", "ml") == AzurePrincipal("${var.sp}", "ml", "ServicePrincipal")
    assert AzurePrincipal("${var.me}", "deployer").principal_type is None


def test_distinct_labels_stay_distinct_even_when_a_name_looks_like_a_hashed_label():
    from constructs_lib.principals import distinct_label

    taken: dict[str, str] = {}
    names = ["a.b.c_d_159212ff", "a.b_c.d", "a_b.c.d", "a.b_c.d"]  # the first looks like the third's hashed label
    labels = [distinct_label(taken, f"model_{construct_label(n)}", n) for n in names]
    assert labels[1] == labels[3] == "model_a_b_c_d"  # the same name always gets the same id
    assert len(set(labels)) == 3
