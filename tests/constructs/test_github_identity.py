"""GitHubActionsIdentity on its own: one app, its service principal, one federated credential per trusted workflow."""

from __future__ import annotations

import dataclasses

import pytest
from cdktf_cdktf_provider_azuread.provider import AzureadProvider

from constructs_lib.github_identity import (
    SUBJECT_CLAIM_KEYS,
    GitHubActionsIdentity,
    GitHubActionsIdentityProps,
    github_environment_subject,
    github_workflow_subject,
)
from tests.helpers import only, ref, resources, strip_metadata

PROPS = GitHubActionsIdentityProps(
    display_name="mlplatform-prod-github-actions",
    repository="acme/ml-platform",
    environment="prod",
    workflows=("deploy.yml", "maintenance.yml"),
)
WORKFLOW_REF = "job_workflow_ref:acme/ml-platform/.github/workflows/{}@refs/heads/main"


def test_subject_names_one_environment_one_workflow_file_and_main():
    assert github_environment_subject("acme/ml-platform", "prod") == "repo:acme/ml-platform:environment:prod"
    assert github_workflow_subject("acme/ml-platform", "acme/ml-platform", "prod", "deploy.yml") == (
        "repo:acme/ml-platform:environment:prod:job_workflow_ref:acme/ml-platform/.github/workflows/deploy.yml"
        "@refs/heads/main"
    )
    # the order GitHub renders the template's claims in: repo, context (environment:<env>), job_workflow_ref
    assert SUBJECT_CLAIM_KEYS == ("repo", "context", "job_workflow_ref")


def test_one_app_one_principal_one_credential_per_workflow_on_main(bare_stack, synth):
    identity = GitHubActionsIdentity(bare_stack, "prod_github_actions", PROPS)
    stack = synth(bare_stack)
    assert sorted(stack["resource"]) == [
        "azuread_application",
        "azuread_application_federated_identity_credential",
        "azuread_service_principal",
    ]
    assert strip_metadata(only(stack, "azuread_application")) == {
        "display_name": "mlplatform-prod-github-actions",
        "description": "GitHub Actions of acme/ml-platform, environment prod (mlplatform-cdktf)",
        "sign_in_audience": "AzureADMyOrg",
        "prevent_duplicate_names": True,
    }
    assert strip_metadata(only(stack, "azuread_service_principal")) == {
        "client_id": ref(stack, "azuread_application", "client_id"),
    }
    credentials = sorted(
        (strip_metadata(c) for c in resources(stack, "azuread_application_federated_identity_credential").values()),
        key=lambda c: c["display_name"],
    )
    assert credentials == [
        {
            "application_id": ref(stack, "azuread_application", "id"),  # azuread 3.x: the resource id
            "display_name": f"github-{stem}-prod",
            "description": f"GitHub Actions jobs of acme/ml-platform/.github/workflows/{stem}.yml on main, "
            "environment prod",
            "audiences": ["api://AzureADTokenExchange"],
            "issuer": "https://token.actions.githubusercontent.com",
            "subject": "repo:acme/ml-platform:environment:prod:" + WORKFLOW_REF.format(f"{stem}.yml"),
        }
        for stem in ("deploy", "maintenance")
    ]
    assert sorted(identity.credentials) == ["deploy.yml", "maintenance.yml"]
    assert identity.principal.principal_type == "ServicePrincipal"
    assert identity.principal.label == "prod_github_actions"


def test_an_identity_trusting_no_workflow_is_a_mistake(bare_stack):
    with pytest.raises(ValueError, match="at least one workflow must be trusted"):
        GitHubActionsIdentity(bare_stack, "prod_github_actions", dataclasses.replace(PROPS, workflows=()))


def test_no_client_secret_exists(bare_stack, synth):
    GitHubActionsIdentity(bare_stack, "dev_github_actions", PROPS)
    stack = synth(bare_stack)
    assert "azuread_application_password" not in stack["resource"]
    assert "azuread_service_principal_password" not in stack["resource"]


def test_a_given_provider_is_used_by_every_resource(bare_stack, synth):
    provider = AzureadProvider(bare_stack, "azuread_prod", tenant_id="t", alias="prod")
    GitHubActionsIdentity(bare_stack, "prod_github_actions", PROPS, provider=provider)
    stack = synth(bare_stack)
    assert {r["provider"] for kind in stack["resource"].values() for r in kind.values()} == {"azuread.prod"}


def test_credential_names_are_distinct_and_within_120_characters_for_long_environment_names(bare_stack, synth):
    GitHubActionsIdentity(bare_stack, "x", dataclasses.replace(PROPS, repository="o" * 39 + "/" + "r" * 100))
    names = [
        c["display_name"]
        for c in synth(bare_stack)["resource"]["azuread_application_federated_identity_credential"].values()
    ]
    assert len(set(names)) == 2 and all(len(name) <= 120 for name in names)


def test_immutable_subjects_name_the_owner_and_repository_ids(bare_stack, synth):
    """Repositories created after 2026-07-15 (or opted in) send `repo:<owner>@<id>/<name>@<id>:...`
    (Azure/azure-dev#9382); the `repo` part says exactly that, the workflow ref keeps the names."""
    props = dataclasses.replace(PROPS, workflows=("deploy.yml",), subject_repository="acme@1234/ml-platform@987")
    GitHubActionsIdentity(bare_stack, "prod_github_actions", props)
    credential = only(synth(bare_stack), "azuread_application_federated_identity_credential")
    assert credential["subject"] == "repo:acme@1234/ml-platform@987:environment:prod:" + WORKFLOW_REF.format(
        "deploy.yml"
    )
