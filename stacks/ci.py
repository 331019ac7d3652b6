"""The `<prefix>-ci` stack: the Entra identities GitHub Actions deploys as (config `ci.create_identity`) and the
repository's delivery settings (config `ci.github.manage_repository`).

Why its own stack, applied once from a laptop: an identity cannot be created by the stack it
deploys (the first deploy would need the identity it creates), and a CI identity that manages its
own trust could widen it. The environment stacks stay deployable by CI with no Entra permission to
create apps; only the person who applies this stack needs one.
"""

from __future__ import annotations

from cdktf import TerraformOutput, TerraformStack
from cdktf_cdktf_provider_azuread.provider import AzureadProvider
from cdktf_cdktf_provider_github.provider import GithubProvider
from constructs import Construct

from config import EnvironmentSettings, LocalState
from config.ci import CiSettings
from config.naming import (
    DEPLOY_BRANCH,
    DEPLOYING_WORKFLOWS,
    github_actions_identity_name,
    github_actions_plan_identity_name,
    plan_environment_name,
)
from constructs_lib.github_identity import GitHubActionsIdentity, GitHubActionsIdentityProps
from constructs_lib.github_repository import GitHubDeliverySettings, GitHubEnvironmentProps, GitHubRepositoryProps

from .backend import attach_backend


class GitHubCiStack(TerraformStack):
    """Two `GitHubActionsIdentity` per environment that CI deploys itself (`execution_mode: local`): the
    apply identity, trusted by the GitHub environment `<env>` (its reviewers approve each apply), and the
    plan identity, trusted by `<env>-plan` (plans and drift checks, no reviewers), which is granted reads
    only (docs/ci-cd.md: Who can do what). Each trusts only the deploying workflows on main.

    Environments on Terraform Cloud agents get none: their jobs only start runs, the agents hold
    the Azure identity. Outputs `<env>_client_id` and `<env>_plan_client_id` are the `ARM_CLIENT_ID`
    variables of the GitHub environments `<env>` and `<env>-plan`.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        prefix: str,
        ci: CiSettings,
        environments: list[EnvironmentSettings],
    ):
        super().__init__(scope, construct_id)
        attach_backend(self, ci.state or LocalState(backend="local"), prefix=prefix, environment="ci", layer="github")
        github_environments: list[GitHubEnvironmentProps] = []
        for environment in environments:
            client_ids = self._identities(prefix, ci, environment) if ci.create_identity else {}
            reviewers = ci.github.reviewers.get(environment.name)
            for github_environment in (environment.name, plan_environment_name(environment.name)):
                client_id = client_ids.get(github_environment)
                # reviewers approve applies; the plan environment's jobs only read and never wait
                approvers = reviewers if github_environment == environment.name else None
                github_environments.append(
                    GitHubEnvironmentProps(
                        name=github_environment,
                        reviewer_teams=approvers.teams if approvers else (),
                        reviewer_users=approvers.users if approvers else (),
                        variables={
                            "ARM_CLIENT_ID": client_id,
                            "ARM_TENANT_ID": environment.azure.tenant_id,
                            "ARM_SUBSCRIPTION_ID": environment.azure.subscription_id,
                        }
                        if client_id
                        else {},
                    )
                )
        if ci.github.manage_repository:
            owner, name = ci.github.repository.split("/")
            # The token comes from GITHUB_TOKEN (a repository admin's), never from config.
            provider = GithubProvider(self, "github", owner=owner)
            GitHubDeliverySettings(
                self,
                "github_repository",
                GitHubRepositoryProps(repository=name, branch=DEPLOY_BRANCH, environments=github_environments),
                provider=provider,
            )

    def _identities(self, prefix: str, ci: CiSettings, environment: EnvironmentSettings) -> dict[str, str]:
        """The environment's apply and plan identities (local mode only); GitHub environment -> client id."""
        if environment.execution_mode != "local":
            return {}
        # One provider per environment: environments may live in different tenants.
        provider = AzureadProvider(
            self, f"azuread_{environment.name}", tenant_id=environment.azure.tenant_id, alias=environment.name
        )
        roles = (
            ("", environment.name, github_actions_identity_name(prefix, environment.name), "applies"),
            (
                "_plan",
                plan_environment_name(environment.name),
                github_actions_plan_identity_name(prefix, environment.name),
                "plans and drift checks (reads only)",
            ),
        )
        client_ids = {}
        for suffix, github_environment, display_name, does in roles:
            identity = GitHubActionsIdentity(
                self,
                f"{environment.name}{suffix}_github_actions",
                GitHubActionsIdentityProps(
                    display_name=display_name,
                    repository=ci.github.repository,
                    subject_repository=ci.github.subject_repository,
                    environment=github_environment,
                    workflows=DEPLOYING_WORKFLOWS,
                    branch=DEPLOY_BRANCH,
                ),
                provider=provider,
            )
            TerraformOutput(
                self,
                f"{environment.name}{suffix}_client_id",
                value=identity.client_id,
                description=f"ARM_CLIENT_ID of the GitHub environment '{github_environment}': {does} (not a secret)",
            )
            if suffix:  # what azure.plan_readers lists (docs/ci-cd.md: One-time set-up)
                TerraformOutput(
                    self,
                    f"{environment.name}_plan_object_id",
                    value=identity.object_id,
                    description=f"Object id of the plan identity: the value for {environment.name}'s azure.plan_readers",
                )
            client_ids[github_environment] = identity.client_id
        return client_ids
