"""GitHubActionsIdentity on its own: one app, its service principal, one federated credential per trusted environment."""

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


def test_a_plan_environment_is_trusted_by_a_second_credential_of_the_same_app(bare_stack, synth):
    import dataclasses

    identity = GitHubActionsIdentity(
        bare_stack, "prod_github_actions", dataclasses.replace(PROPS, plan_environment="prod-plan")
    )
    stack = synth(bare_stack)
    credentials = stack["resource"]["azuread_application_federated_identity_credential"]
    assert len(credentials) == 2 and len(stack["resource"]["azuread_application"]) == 1
    by_subject = {c["subject"]: strip_metadata(c) for c in credentials.values()}
    assert sorted(by_subject) == [
        "repo:acme/ml-platform:environment:prod",
        "repo:acme/ml-platform:environment:prod-plan",
    ]
    assert by_subject["repo:acme/ml-platform:environment:prod-plan"] == {
        "application_id": ref(stack, "azuread_application", "id"),
        "display_name": "github-acme-ml-platform-prod-plan",
        "description": "GitHub Actions jobs of environment prod-plan in acme/ml-platform: "
        "the plans environment prod applies once reviewed",
        "audiences": ["api://AzureADTokenExchange"],
        "issuer": "https://token.actions.githubusercontent.com",
        "subject": "repo:acme/ml-platform:environment:prod-plan",
    }
    assert identity.plan_credential is not None


def test_credential_names_stay_distinct_and_within_120_characters_for_long_repositories(bare_stack, synth):
    import dataclasses

    props = dataclasses.replace(PROPS, repository="o" * 39 + "/" + "r" * 100, plan_environment="prod-plan")
    GitHubActionsIdentity(bare_stack, "prod_github_actions", props)
    names = [
        c["display_name"]
        for c in synth(bare_stack)["resource"]["azuread_application_federated_identity_credential"].values()
    ]
    assert len(set(names)) == 2 and all(len(name) <= 120 for name in names)
    assert any(name.endswith("-prod-plan") for name in names)


def test_without_a_plan_environment_there_is_one_credential(bare_stack, synth):
    identity = GitHubActionsIdentity(bare_stack, "prod_github_actions", PROPS)
    assert identity.plan_credential is None
    assert len(synth(bare_stack)["resource"]["azuread_application_federated_identity_credential"]) == 1


def test_immutable_subjects_name_the_owner_and_repository_ids(bare_stack, synth):
    """Repositories created after 2026-07-15 (or opted in) send `repo:<owner>@<id>/<name>@<id>:...`
    (Azure/azure-dev#9382); the credentials must say exactly that, names stay readable."""
    import dataclasses

    props = dataclasses.replace(PROPS, plan_environment="prod-plan", subject_repository="acme@1234/ml-platform@987")
    GitHubActionsIdentity(bare_stack, "prod_github_actions", props)
    credentials = synth(bare_stack)["resource"]["azuread_application_federated_identity_credential"]
    assert sorted((c["subject"], c["display_name"]) for c in credentials.values()) == [
        ("repo:acme@1234/ml-platform@987:environment:prod", "github-acme-ml-platform-prod"),
        ("repo:acme@1234/ml-platform@987:environment:prod-plan", "github-acme-ml-platform-prod-plan"),
    ]
