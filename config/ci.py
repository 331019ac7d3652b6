"""The optional `ci:` section: the GitHub repository whose Actions deploy this app, and whether
the app creates the Entra identity those Actions run as.

With no `ci:` section nothing CI-related is synthesized. The workflows themselves are generated
from the config by `generators/generate_workflows.py` (`make workflows`).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from .state import StackStateSettings
from .text import shorten
from .types import EnvironmentName, Strict, checked

_OWNER_RULE = "1-39 letters, digits and single hyphens, not starting or ending with a hyphen"
_NAME_RULE = "1-100 letters, digits, '-', '_' and '.', not '.' or '..', not ending in '.git' or '.wiki'"


def _check_repository(value: str) -> str:
    """GitHub's own rules for the two halves of `owner/name` (user and organization names; repository
    names: GitHub strips a trailing '.git' and refuses '.wiki'), so the OIDC subject
    `repo:<owner>/<name>:...` is one GitHub can ever issue a token for."""
    owner, slash, name = value.partition("/")
    if not slash:
        raise ValueError(f"invalid value {shorten(value)}: must be a GitHub repository as owner/name")
    owner_ok = (
        1 <= len(owner) <= 39
        and all(c.isascii() and (c.isalnum() or c == "-") for c in owner)
        and not owner.startswith("-")
        and not owner.endswith("-")
        and "--" not in owner
    )
    if not owner_ok:
        raise ValueError(f"invalid owner {shorten(owner)} in owner/name: GitHub owners are {_OWNER_RULE}")
    name_ok = (
        1 <= len(name) <= 100
        and all(c.isascii() and (c.isalnum() or c in "-_.") for c in name)
        and name not in (".", "..")
        and not name.lower().endswith((".git", ".wiki"))
    )
    if not name_ok:
        raise ValueError(
            f"invalid repository name {shorten(name)} in owner/name: GitHub repository names are {_NAME_RULE}"
        )
    return value


GitHubRepository = Annotated[
    str, checked(_check_repository, f"a GitHub repository as owner/name; owner: {_OWNER_RULE}; name: {_NAME_RULE}")
]


GitHubId = Annotated[int, Field(ge=1, le=2**63 - 1)]
MAX_REVIEWERS = 6
"""GitHub's limit on an environment's required reviewers (users and teams together)."""


class EnvironmentReviewers(Strict):
    """Who approves the applies of one environment (the GitHub environment `<env>`'s required reviewers), by
    GitHub id: `gh api orgs/<org>/teams/<slug> --jq .id`, `gh api users/<login> --jq .id`."""

    teams: list[GitHubId] = []
    """Team ids."""
    users: list[GitHubId] = []
    """User ids."""

    @model_validator(mode="after")
    def _some_and_at_most_six(self) -> EnvironmentReviewers:
        count = len(self.teams) + len(self.users)
        if not 1 <= count <= MAX_REVIEWERS:
            raise ValueError(
                f"{count} reviewers: give 1 to {MAX_REVIEWERS} teams and users in all (GitHub's limit per environment)"
            )
        return self


class GitHubSettings(Strict):
    """The repository whose GitHub Actions deploy the app."""

    repository: GitHubRepository
    """`owner/name`, in the case GitHub spells it (Entra ID matches the token's subject exactly, case
    included). An environment's apply identity trusts exactly
    `repo:<owner>/<name>:environment:<env>:job_workflow_ref:<owner>/<name>/.github/workflows/<file>@refs/heads/main`
    for `deploy.yml` and `maintenance.yml`, its plan identity the same with `<env>-plan`: only those jobs of
    `main` can act as them."""
    owner_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    """With `repository_id`: the subjects use GitHub's immutable form,
    `repo:<owner>@<owner_id>/<name>@<repository_id>:environment:<env>`, which repositories created after
    2026-07-15 (or opted in) send (Azure/azure-dev#9382); read the ids with
    `gh api repos/<owner>/<name> --jq '.owner.id, .id'` and the form your repository sends with
    `gh api repos/<owner>/<name>/actions/oidc/customization/sub`."""
    repository_id: int | None = Field(default=None, ge=1, le=2**63 - 1)
    """The repository's numeric id (with `owner_id`)."""

    manage_repository: bool = False
    """true: the `<prefix>-ci` stack also holds the repository's delivery settings, with the GitHub provider
    (applied with a repository admin's token in GITHUB_TOKEN, never in config): the OIDC subject template the
    identities' subjects assume, the GitHub environments `<env>` (with `reviewers`) and `<env>-plan` (none),
    each open to main only and not to admins bypassing, their `ARM_*` variables (with `create_identity`), and
    rulesets: main changes only through reviewed pull requests (code owners' review, so CODEOWNERS decides who
    may change `.github/workflows/`), is never deleted or force-pushed, and no tag may be named `main`. The
    secrets (`PLAN_ENCRYPTION_KEY`, `TF_API_TOKEN`) stay out of Terraform: set them by hand (docs/ci-cd.md)."""
    reviewers: dict[EnvironmentName, EnvironmentReviewers] = {}
    """With `manage_repository`: the required reviewers of each environment's applies, by environment name.
    Every environment of tier `prod` needs them."""

    @model_validator(mode="after")
    def _ids_together(self) -> GitHubSettings:
        if (self.owner_id is None) != (self.repository_id is None):
            raise ValueError(
                "owner_id and repository_id: give both (the immutable subject names both ids) or neither "
                "(gh api repos/<owner>/<name> --jq '.owner.id, .id')"
            )
        return self

    @property
    def subject_repository(self) -> str:
        """How the OIDC subject names the repository: `owner/name`, or `owner@<id>/name@<id>`."""
        if self.owner_id is None or self.repository_id is None:
            return self.repository
        owner, name = self.repository.split("/")
        return f"{owner}@{self.owner_id}/{name}@{self.repository_id}"


class CiSettings(Strict):
    """Continuous delivery from GitHub Actions (docs/ci-cd.md)."""

    github: GitHubSettings
    """Where the workflows run."""
    create_identity: bool = False
    """true: the `<prefix>-ci` stack creates two Entra apps per environment whose `execution_mode` is
    `local`: the apply identity, trusted by GitHub's OIDC token of that environment only, and the plan identity,
    trusted by its `<env>-plan` environment only, each for `main`'s deploying workflows only.
    false: bring your own two apps and put each client id in its GitHub environment's `ARM_CLIENT_ID` variable."""
    state: StackStateSettings | None = None
    """Where the `<prefix>-ci` stack keeps its state; default: a local file `state/<prefix>-ci.tfstate`
    (it is applied once, from a laptop, by someone who may create Entra apps)."""

    def problems(self, environments: list[tuple[str, str]]) -> list[str]:
        """Rules across sections, given every environment's (name, tier): reviewers name known environments,
        and with `manage_repository` every prod-tier environment has reviewers."""
        names = {name for name, _ in environments}
        found = [
            f"ci.github.reviewers.{name}: no environment '{name}' in this config ({', '.join(sorted(names))})"
            for name in self.github.reviewers
            if name not in names
        ]
        if self.github.reviewers and not self.github.manage_repository:
            found.append("ci.github.reviewers: set, but manage_repository is false; set it true or remove reviewers")
        if self.github.manage_repository:
            found += [
                f"environment '{name}': ci.github.reviewers.{name}: required with manage_repository for an environment "
                "of tier prod (who approves its applies: team or user ids)"
                for name, tier in environments
                if tier == "prod" and name not in self.github.reviewers
            ]
        return found
