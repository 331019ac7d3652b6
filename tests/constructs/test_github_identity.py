"""GitHubActionsIdentity on its own: one app, its service principal, exactly one federated credential."""

from __future__ import annotations

from cdktf_cdktf_provider_azuread.provider import AzureadProvider

from constructs_lib.github_identity import (
    GitHubActionsIdentity,
    GitHubActionsIdentityProps,
    github_environment_subject,
)
from tests.helpers import only, ref, strip_metadata

PROPS = GitHubActionsIdentityProps(
    display_name="mlplatform-prod-github-actions", repository="acme/ml-platform", environment="prod"
)


def test_subject_names_exactly_one_environment_of_one_repository():
    assert github_environment_subject("acme/ml-platform", "prod") == "repo:acme/ml-platform:environment:prod"


def test_one_app_one_principal_one_federated_credential(bare_stack, synth):
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
    assert strip_metadata(only(stack, "azuread_application_federated_identity_credential")) == {
        "application_id": ref(stack, "azuread_application", "id"),  # azuread 3.x: the resource id
        "display_name": "github-acme-ml-platform-prod",
        "description": "GitHub Actions jobs of environment prod in acme/ml-platform",
        "audiences": ["api://AzureADTokenExchange"],
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": "repo:acme/ml-platform:environment:prod",
    }
    assert identity.principal.principal_type == "ServicePrincipal"
    assert identity.principal.label == "prod_github_actions"


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
