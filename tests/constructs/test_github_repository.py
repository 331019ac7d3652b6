"""GitHubDeliverySettings on its own: subject template, environments (main only, reviewers, variables), rulesets."""

from __future__ import annotations

from constructs_lib.github_repository import GitHubDeliverySettings, GitHubEnvironmentProps, GitHubRepositoryProps
from tests.helpers import only, resources, strip_metadata

PROPS = GitHubRepositoryProps(
    repository="ml-platform",
    branch="main",
    environments=[
        GitHubEnvironmentProps(
            name="prod",
            reviewer_teams=[4567890],
            variables={"ARM_CLIENT_ID": "11111111-1111-1111-1111-111111111111"},
        ),
        GitHubEnvironmentProps(name="prod-plan", variables={"ARM_CLIENT_ID": "22222222-2222-2222-2222-222222222222"}),
    ],
)


def _by(stack, kind, key):
    return {r[key]: strip_metadata(r) for r in resources(stack, kind).values()}


def test_the_subject_template_is_the_one_the_identities_subjects_assume(bare_stack, synth):
    GitHubDeliverySettings(bare_stack, "repo", PROPS)
    kind = "github_actions_repository_oidc_subject_claim_customization_template"
    assert strip_metadata(only(synth(bare_stack), kind)) == {
        "repository": "ml-platform",
        "use_default": False,
        "include_claim_keys": ["repo", "context", "job_workflow_ref"],
    }


def test_environments_open_to_main_only_reviewed_applies_unreviewed_plans_no_admin_bypass(bare_stack, synth):
    GitHubDeliverySettings(bare_stack, "repo", PROPS)
    stack = synth(bare_stack)
    environments = _by(stack, "github_repository_environment", "environment")
    branch_only = {"protected_branches": False, "custom_branch_policies": True}
    assert environments == {
        "prod": {
            "repository": "ml-platform",
            "environment": "prod",
            "can_admins_bypass": False,
            "prevent_self_review": True,
            "reviewers": [{"teams": [4567890], "users": []}],
            "deployment_branch_policy": branch_only,
        },
        "prod-plan": {
            "repository": "ml-platform",
            "environment": "prod-plan",
            "can_admins_bypass": False,
            "deployment_branch_policy": branch_only,
        },
    }
    policies = sorted(
        (p["environment"], p["branch_pattern"], p["repository"])
        for p in resources(stack, "github_repository_environment_deployment_policy").values()
    )
    keys = {e["environment"]: k for k, e in resources(stack, "github_repository_environment").items()}
    assert policies == [
        (f"${{github_repository_environment.{keys['prod']}.environment}}", "main", "ml-platform"),
        (f"${{github_repository_environment.{keys['prod-plan']}.environment}}", "main", "ml-platform"),
    ]


def test_each_environment_gets_its_own_variables_and_no_secret_is_managed(bare_stack, synth):
    GitHubDeliverySettings(bare_stack, "repo", PROPS)
    stack = synth(bare_stack)
    keys = {e["environment"]: k for k, e in resources(stack, "github_repository_environment").items()}
    variables = sorted(
        (v["environment"], v["variable_name"], v["value"])
        for v in resources(stack, "github_actions_environment_variable").values()
    )
    assert variables == [
        (
            f"${{github_repository_environment.{keys['prod']}.environment}}",
            "ARM_CLIENT_ID",
            PROPS.environments[0].variables["ARM_CLIENT_ID"],
        ),
        (
            f"${{github_repository_environment.{keys['prod-plan']}.environment}}",
            "ARM_CLIENT_ID",
            PROPS.environments[1].variables["ARM_CLIENT_ID"],
        ),
    ]
    assert not [kind for kind in stack["resource"] if "secret" in kind]


def test_main_takes_reviewed_pull_requests_only_and_no_tag_may_be_named_main(bare_stack, synth):
    GitHubDeliverySettings(bare_stack, "repo", PROPS)
    rulesets = _by(synth(bare_stack), "github_repository_ruleset", "target")
    assert rulesets == {
        "branch": {
            "name": "mlplatform: reviewed changes only",
            "repository": "ml-platform",
            "target": "branch",
            "enforcement": "active",
            "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
            "rules": {
                "deletion": True,
                "non_fast_forward": True,
                "pull_request": {
                    "required_approving_review_count": 1,
                    "require_code_owner_review": True,
                    "dismiss_stale_reviews_on_push": True,
                    "require_last_push_approval": True,
                },
            },
        },
        "tag": {
            "name": "mlplatform: no tag named main",
            "repository": "ml-platform",
            "target": "tag",
            "enforcement": "active",
            "conditions": {"ref_name": {"include": ["refs/tags/main"], "exclude": []}},
            "rules": {"creation": True, "update": True, "deletion": True},
        },
    }
