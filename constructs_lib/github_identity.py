"""An Entra ID app that one GitHub Actions environment runs as, trusted through GitHub's OIDC token.

A job with `permissions: id-token: write` can ask GitHub for a signed token whose subject names
the repository and, for a job bound to a GitHub environment, that environment:
`repo:<owner>/<name>:environment:<env>`, or for repositories created after 2026-07-15 (and those that
opt in) the immutable form `repo:<owner>@<owner id>/<name>@<repository id>:environment:<env>`
(Azure/azure-dev#9382, Azure/login#515). Entra ID exchanges it for an access token of this app when a
federated credential matches issuer, audience and subject exactly, case included. So the app has no client
secret at all, and only jobs of that one environment (with its protection rules: reviewers, branch
policy) can act as it; a pull-request job, which has no environment, cannot.

With a plan environment (`<env>-plan`, docs/ci-cd.md) a second credential trusts that environment's
subject too: its jobs save the plans `<env>`'s reviewers approve, and a plan must refresh and lock the
same state as the apply. Two of the 20 federated credentials Entra ID allows per application.

What the app may do (Azure roles, Entra ID permissions, Databricks workspace admin) is granted
outside this app: those are tenant decisions (docs/ci-cd.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf import TerraformProvider
from cdktf_cdktf_provider_azuread.application import Application
from cdktf_cdktf_provider_azuread.application_federated_identity_credential import (
    ApplicationFederatedIdentityCredential,
)
from cdktf_cdktf_provider_azuread.service_principal import ServicePrincipal
from constructs import Construct

from .principals import AzurePrincipal

GITHUB_ACTIONS_ISSUER = "https://token.actions.githubusercontent.com"
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"
"""The audience Entra ID expects in a federated token (GitHub's azure/login and the Databricks SDK use it)."""


def github_environment_subject(repository: str, environment: str) -> str:
    """The subject GitHub puts in the OIDC token of a job bound to `environment` of `repository`."""
    return f"repo:{repository}:environment:{environment}"


@dataclass(frozen=True)
class GitHubActionsIdentityProps:
    display_name: str
    """Shown in Entra ID, e.g. `mlplatform-prod-github-actions`."""
    repository: str
    """`owner/name` (validated by the config model)."""
    environment: str
    """The GitHub environment whose jobs may act as the app (an environment name, validated by the config model)."""
    plan_environment: str | None = None
    """A second GitHub environment trusted as well: the one whose jobs save the plans `environment` applies."""
    subject_repository: str | None = None
    """How the token's subject names the repository, when not `repository`: GitHub's immutable form
    `owner@<owner id>/name@<repository id>` (Azure/azure-dev#9382)."""


class GitHubActionsIdentity(Construct):
    """One app, its service principal and one federated credential per trusted GitHub environment.

    Attributes: `client_id` (what the GitHub environment's `ARM_CLIENT_ID` variable holds),
    `object_id` (of the service principal) and `principal` (what Azure RBAC grants to).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: GitHubActionsIdentityProps,
        provider: TerraformProvider | None = None,
    ):
        super().__init__(scope, construct_id)
        self.application = Application(
            self,
            "application",
            display_name=props.display_name,
            description=f"GitHub Actions of {props.repository}, environment {props.environment} (mlplatform-cdktf)",
            sign_in_audience="AzureADMyOrg",
            prevent_duplicate_names=True,
            provider=provider,
        )
        self.service_principal = ServicePrincipal(
            self, "service_principal", client_id=self.application.client_id, provider=provider
        )
        self.credential = ApplicationFederatedIdentityCredential(
            self,
            "github_environment",
            # azuread 3.x: the application's resource id (/applications/<object id>), not its client id.
            application_id=self.application.id,
            display_name=f"github-{props.repository.replace('/', '-')}-{props.environment}"[:120],
            description=f"GitHub Actions jobs of environment {props.environment} in {props.repository}",
            audiences=[TOKEN_EXCHANGE_AUDIENCE],
            issuer=GITHUB_ACTIONS_ISSUER,
            subject=github_environment_subject(props.subject_repository or props.repository, props.environment),
            provider=provider,
        )
        self.plan_credential: ApplicationFederatedIdentityCredential | None = None
        if props.plan_environment is not None:
            # The suffix survives truncation: two credentials of one app must not share a name.
            suffix = f"-{props.plan_environment}"
            self.plan_credential = ApplicationFederatedIdentityCredential(
                self,
                "github_plan_environment",
                application_id=self.application.id,
                display_name=f"github-{props.repository.replace('/', '-')}"[: 120 - len(suffix)] + suffix,
                description=(
                    f"GitHub Actions jobs of environment {props.plan_environment} in {props.repository}: "
                    f"the plans environment {props.environment} applies once reviewed"
                ),
                audiences=[TOKEN_EXCHANGE_AUDIENCE],
                issuer=GITHUB_ACTIONS_ISSUER,
                subject=github_environment_subject(
                    props.subject_repository or props.repository, props.plan_environment
                ),
                provider=provider,
            )
        self.client_id: str = self.application.client_id
        self.object_id: str = self.service_principal.object_id
        self.principal = AzurePrincipal.service_principal(self.object_id, construct_id)
