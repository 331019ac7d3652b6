"""The GitHub repository's delivery settings: who a deploying job can be, where it may run, what reaches main.

What the CI identities' trust (constructs_lib/github_identity.py) and the workflows' own checks
(ops/main_head.py) assume of the repository, as code (integrations/github 6.6.0):

- the **OIDC subject template** `[repo, context, job_workflow_ref]`
  (`github_actions_repository_oidc_subject_claim_customization_template`): without it GitHub sends the
  default subject and no federated credential matches (AADSTS700213), so the narrowing cannot be skipped;
- per environment, the **GitHub environments** `<env>` (required reviewers, no self-review) and `<env>-plan`
  (no reviewers: its jobs can only read), each open to the branch `main` only (custom branch policy, one
  `github_repository_environment_deployment_policy`) and with `can_admins_bypass = false`;
- their **variables** (`ARM_CLIENT_ID` of the environment's own identity, `ARM_TENANT_ID`, `ARM_SUBSCRIPTION_ID`);
- **rulesets**: the default branch changes only by pull request with one approval, a code owner's where
  CODEOWNERS names one (`.github/workflows/` among them), stale approvals dismissed, the last push approved by
  someone else; never deleted or force-pushed; and no tag named `main` can be created.

Secrets are never here: a secret in Terraform is a secret in its state (docs/ci-cd.md: One-time set-up).
`github_repository_environment` is authoritative for reviewers (GitHub's PUT replaces them): reviewers
added by hand are removed by the next apply, which is the point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cdktf import TerraformProvider
from cdktf_cdktf_provider_github.actions_environment_variable import ActionsEnvironmentVariable
from cdktf_cdktf_provider_github.actions_repository_oidc_subject_claim_customization_template import (
    ActionsRepositoryOidcSubjectClaimCustomizationTemplate,
)
from cdktf_cdktf_provider_github.repository_environment import (
    RepositoryEnvironment,
    RepositoryEnvironmentDeploymentBranchPolicy,
    RepositoryEnvironmentReviewers,
)
from cdktf_cdktf_provider_github.repository_environment_deployment_policy import (
    RepositoryEnvironmentDeploymentPolicy,
)
from cdktf_cdktf_provider_github.repository_ruleset import (
    RepositoryRuleset,
    RepositoryRulesetConditions,
    RepositoryRulesetConditionsRefName,
    RepositoryRulesetRules,
    RepositoryRulesetRulesPullRequest,
)
from constructs import Construct

from .github_identity import SUBJECT_CLAIM_KEYS


@dataclass(frozen=True)
class GitHubEnvironmentProps:
    name: str
    """The GitHub environment, e.g. `prod` or `prod-plan`."""
    reviewer_teams: Sequence[int] = ()
    """Required reviewers (team ids); with `reviewer_users`, none means no reviewers."""
    reviewer_users: Sequence[int] = ()
    """Required reviewers (user ids)."""
    variables: Mapping[str, str] = field(default_factory=dict)
    """Environment variables (`vars.*`): identifiers, never secrets."""


@dataclass(frozen=True)
class GitHubRepositoryProps:
    repository: str
    """The repository's name, without its owner (the provider's `owner` names the owner)."""
    branch: str
    """The only branch the environments accept (`main`)."""
    environments: Sequence[GitHubEnvironmentProps]


class GitHubDeliverySettings(Construct):
    """The subject template, the environments with their branch policy, reviewers and variables, the rulesets.

    Attributes: `environments` (name -> `github_repository_environment`)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        props: GitHubRepositoryProps,
        provider: TerraformProvider | None = None,
    ):
        super().__init__(scope, construct_id)
        repository = props.repository
        ActionsRepositoryOidcSubjectClaimCustomizationTemplate(
            self,
            "oidc_subject_template",
            repository=repository,
            use_default=False,
            include_claim_keys=list(SUBJECT_CLAIM_KEYS),
            provider=provider,
        )
        self.environments: dict[str, RepositoryEnvironment] = {}
        for environment in props.environments:
            label = environment.name.replace("-", "_")
            reviewed = bool(environment.reviewer_teams or environment.reviewer_users)
            github_environment = RepositoryEnvironment(
                self,
                f"{label}_environment",
                repository=repository,
                environment=environment.name,
                can_admins_bypass=False,
                prevent_self_review=True if reviewed else None,
                reviewers=[
                    RepositoryEnvironmentReviewers(
                        teams=list(environment.reviewer_teams), users=list(environment.reviewer_users)
                    )
                ]
                if reviewed
                else None,
                # selected branches only (the policy below): main
                deployment_branch_policy=RepositoryEnvironmentDeploymentBranchPolicy(
                    protected_branches=False, custom_branch_policies=True
                ),
                provider=provider,
            )
            self.environments[environment.name] = github_environment
            RepositoryEnvironmentDeploymentPolicy(
                self,
                f"{label}_branch_policy",
                repository=repository,
                environment=github_environment.environment,
                branch_pattern=props.branch,
                provider=provider,
            )
            for name, value in environment.variables.items():
                ActionsEnvironmentVariable(
                    self,
                    f"{label}_{name.lower()}",
                    repository=repository,
                    environment=github_environment.environment,
                    variable_name=name,
                    value=value,
                    provider=provider,
                )
        RepositoryRuleset(
            self,
            "default_branch_ruleset",
            name="mlplatform: reviewed changes only",
            repository=repository,
            target="branch",
            enforcement="active",
            conditions=RepositoryRulesetConditions(
                ref_name=RepositoryRulesetConditionsRefName(include=["~DEFAULT_BRANCH"], exclude=[])
            ),
            rules=RepositoryRulesetRules(
                deletion=True,
                non_fast_forward=True,
                pull_request=RepositoryRulesetRulesPullRequest(
                    required_approving_review_count=1,
                    require_code_owner_review=True,
                    dismiss_stale_reviews_on_push=True,
                    require_last_push_approval=True,
                ),
            ),
            provider=provider,
        )
        RepositoryRuleset(
            self,
            "no_tag_named_the_branch",
            name=f"mlplatform: no tag named {props.branch}",
            repository=repository,
            target="tag",
            enforcement="active",
            conditions=RepositoryRulesetConditions(
                ref_name=RepositoryRulesetConditionsRefName(include=[f"refs/tags/{props.branch}"], exclude=[])
            ),
            rules=RepositoryRulesetRules(creation=True, update=True, deletion=True),
            provider=provider,
        )
