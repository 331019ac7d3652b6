"""An Entra ID app that one GitHub Actions environment runs as, trusted through GitHub's OIDC token.

A job with `permissions: id-token: write` can ask GitHub for a signed token. Entra ID exchanges it for an
access token of this app when a federated credential matches issuer, audience and subject exactly, case
included; so the app has no client secret at all.

The subject names more than the environment. GitHub's default subject, `repo:<owner>/<name>:environment:<env>`,
is issued to any job bound to that environment, and the environment's "selected branches: main" rule is checked
against the run's head branch: a pull request whose head branch is named `main`, or a tag so named, passes it
unless the rule is "protected branches only". So the repository's subject template (GitHub's OIDC subject
customization, `include_claim_keys: [repo, context, job_workflow_ref]`; `make github-settings` sets it) adds the
workflow file and its ref, and each credential trusts one workflow of the default branch only:

    repo:<owner>/<name>:environment:<env>:job_workflow_ref:<owner>/<name>/.github/workflows/<file>@refs/heads/main

(GitHub docs, "OpenID Connect reference", customizing the subject claims; for repositories that send GitHub's
immutable form the `repo` part is `<owner>@<owner id>/<name>@<repository id>`, Azure/azure-dev#9382.)
One credential per workflow (deploy.yml, maintenance.yml): 2 of the 20 Entra ID allows per application.

What the app may do (Azure roles, Entra ID permissions, Databricks rights) is granted outside this app: those
are tenant decisions (docs/ci-cd.md: Who can do what).
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
    """GitHub's default subject of a job bound to `environment` of `repository` (what the template extends)."""
    return f"repo:{repository}:environment:{environment}"


def github_workflow_subject(
    subject_repository: str, repository: str, environment: str, workflow: str, branch: str = "main"
) -> str:
    """The subject of a job of `.github/workflows/<workflow>` on `branch`, bound to `environment`, under the
    template `[repo, context, job_workflow_ref]`; `subject_repository` is how the `repo` claim names the repository."""
    return (
        f"{github_environment_subject(subject_repository, environment)}"
        f":job_workflow_ref:{repository}/.github/workflows/{workflow}@refs/heads/{branch}"
    )


SUBJECT_CLAIM_KEYS = ("repo", "context", "job_workflow_ref")
"""The repository's OIDC subject template these subjects assume (`make github-settings` sets it)."""


@dataclass(frozen=True)
class GitHubActionsIdentityProps:
    display_name: str
    """Shown in Entra ID, e.g. `mlplatform-prod-github-actions`."""
    repository: str
    """`owner/name` (validated by the config model)."""
    environment: str
    """The GitHub environment whose jobs may act as the app (an environment name, validated by the config model)."""
    workflows: tuple[str, ...]
    """File names under `.github/workflows/` whose jobs may act as the app, e.g. `("deploy.yml", "maintenance.yml")`."""
    branch: str = "main"
    """The only ref (`refs/heads/<branch>`) those workflows may run from."""
    subject_repository: str | None = None
    """How the token's subject names the repository, when not `repository`: GitHub's immutable form
    `owner@<owner id>/name@<repository id>` (Azure/azure-dev#9382)."""


class GitHubActionsIdentity(Construct):
    """One app, its service principal and one federated credential per trusted workflow of one environment.

    Attributes: `client_id` (what the GitHub environment's `ARM_CLIENT_ID` variable holds),
    `object_id` (of the service principal), `principal` (what Azure RBAC grants to) and `credentials`
    (workflow file name -> federated credential).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: GitHubActionsIdentityProps,
        provider: TerraformProvider | None = None,
    ):
        super().__init__(scope, construct_id)
        if not props.workflows:
            raise ValueError(f"{construct_id}: at least one workflow must be trusted")
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
        self.credentials: dict[str, ApplicationFederatedIdentityCredential] = {}
        for workflow in props.workflows:
            stem = workflow.removesuffix(".yml").removesuffix(".yaml")
            self.credentials[workflow] = ApplicationFederatedIdentityCredential(
                self,
                f"github_{stem}",
                # azuread 3.x: the application's resource id (/applications/<object id>), not its client id.
                application_id=self.application.id,
                display_name=f"github-{stem}-{props.environment}"[:120],
                description=(
                    f"GitHub Actions jobs of {props.repository}/.github/workflows/{workflow} on {props.branch}, "
                    f"environment {props.environment}"
                )[:1024],
                audiences=[TOKEN_EXCHANGE_AUDIENCE],
                issuer=GITHUB_ACTIONS_ISSUER,
                subject=github_workflow_subject(
                    props.subject_repository or props.repository,
                    props.repository,
                    props.environment,
                    workflow,
                    props.branch,
                ),
                provider=provider,
            )
        self.client_id: str = self.application.client_id
        self.object_id: str = self.service_principal.object_id
        self.principal = AzurePrincipal.service_principal(self.object_id, construct_id)
