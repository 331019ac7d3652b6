"""The `ci` config section and the `<prefix>-ci` stack of GitHub Actions identities."""

from __future__ import annotations

import pytest

from tests.helpers import config_from, mutated, resources, synth_stacks
from tests.test_main import refused_lines, run_main

REPOSITORY = "acme/ml-platform"
_REVIEWED = {"prod": {"teams": [4567890]}}


def with_ci(ci):
    def change(raw):
        raw["ci"] = ci

    return change


def test_without_a_ci_section_nothing_ci_related_is_created(default_config, default_stacks):
    assert default_config.ci is None
    assert not any(stack_id.endswith("-ci") for stack_id in default_stacks)
    for stack in default_stacks.values():
        for credential in resources(stack, "azuread_application_federated_identity_credential").values():
            assert "token.actions.githubusercontent.com" not in credential["issuer"]


def test_ci_without_create_identity_creates_nothing(tmp_path):
    config = config_from(mutated(with_ci({"github": {"repository": REPOSITORY}})))
    assert config.ci is not None and config.ci.create_identity is False
    from cdktf import App

    from stacks.app import build_app

    app = App(outdir=str(tmp_path / "cdktf.out"))
    build_app(app, config)
    assert not any(child.node.id.endswith("-ci") for child in app.node.children)


@pytest.fixture(scope="module")
def ci_stack():
    def change(raw):
        raw["ci"] = {"github": {"repository": REPOSITORY}, "create_identity": True}
        # staging runs locally here (from CI), prod on Terraform Cloud agents (the default)
        raw["environments"]["staging"]["execution_mode"] = "local"
        del raw["environments"]["staging"]["agent"]
        raw["environments"]["staging"]["azure"]["key_vault"]["public_network_access_enabled"] = True
        raw["environments"]["staging"]["azure"]["key_vault"]["allowed_ip_ranges"] = ["203.0.113.0/24"]

    return synth_stacks(config_from(mutated(change)))["mlplatform-ci"]


def test_two_identities_per_local_mode_environment_each_trusted_by_one_github_environment_s_workflows_on_main(
    ci_stack,
):
    credentials = resources(ci_stack, "azuread_application_federated_identity_credential")
    apps = resources(ci_stack, "azuread_application")
    assert sorted(a["display_name"] for a in apps.values()) == [
        "mlplatform-dev-github-actions",
        "mlplatform-dev-github-actions-plan",  # the jobs of dev-plan: plans and drift checks, reads only
        "mlplatform-staging-github-actions",
        "mlplatform-staging-github-actions-plan",
    ]  # prod runs on Terraform Cloud agents: CI holds no Azure identity for it
    trusted = sorted(
        (
            _app_of(apps, c["application_id"]),
            c["subject"].split(":job_workflow_ref:")[0],
            c["subject"].split("/.github/workflows/")[1],
        )
        for c in credentials.values()
    )
    assert trusted == sorted(
        (app, f"repo:acme/ml-platform:environment:{github_environment}", f"{workflow}@refs/heads/main")
        for env in ("dev", "staging")
        for app, github_environment in (
            (f"mlplatform-{env}-github-actions", env),
            (f"mlplatform-{env}-github-actions-plan", f"{env}-plan"),
        )
        for workflow in ("deploy.yml", "maintenance.yml")
    )
    for credential in credentials.values():
        assert credential["issuer"] == "https://token.actions.githubusercontent.com"
        assert credential["audiences"] == ["api://AzureADTokenExchange"]
        env = _app_of(apps, credential["application_id"]).split("-")[1]
        assert credential["provider"] == f"azuread.{env}"


def _app_of(apps, reference):
    """The display name of the application `${azuread_application.<key>.id}` names."""
    key = reference.removeprefix("${azuread_application.").removesuffix(".id}")
    return apps[key]["display_name"]


def test_each_identity_is_created_in_its_environment_tenant_and_its_client_id_is_an_output(ci_stack):
    providers = {p["alias"]: p["tenant_id"] for p in ci_stack["provider"]["azuread"]}
    assert providers == {
        "dev": "00000000-0000-0000-0000-000000000000",
        "staging": "00000000-0000-0000-0000-000000000000",
    }
    outputs = ci_stack["output"]
    assert sorted(outputs) == [
        "dev_client_id",
        "dev_plan_client_id",
        "dev_plan_object_id",  # what dev's azure.plan_readers lists
        "staging_client_id",
        "staging_plan_client_id",
        "staging_plan_object_id",
    ]
    assert all(o["value"].endswith((".client_id}", ".object_id}")) and "sensitive" not in o for o in outputs.values())
    assert outputs["dev_plan_object_id"]["value"].startswith("${azuread_service_principal.dev_plan_github_actions")
    assert outputs["dev_plan_client_id"]["description"] == (
        "ARM_CLIENT_ID of the GitHub environment 'dev-plan': plans and drift checks (reads only) (not a secret)"
    )
    assert ci_stack["terraform"]["backend"] == {"local": {"path": "../../../state/mlplatform-ci.tfstate"}}
    assert "azuread_application_password" not in ci_stack["resource"]


BAD_CI = [
    ("no-slash", {"github": {"repository": "ml-platform"}}, ["ci.github.repository", "owner/name"]),
    ("owner-leading-hyphen", {"github": {"repository": "-acme/ml"}}, ["ci.github.repository", "owner/name"]),
    ("name-with-space", {"github": {"repository": "acme/ml platform"}}, ["ci.github.repository", "owner/name"]),
    ("dot-name", {"github": {"repository": "acme/.."}}, ["ci.github.repository", "owner/name"]),
    ("missing-github", {"create_identity": True}, ["ci.github", "required field is missing"]),
    ("unknown-key", {"github": {"repository": REPOSITORY, "branch": "main"}}, ["ci.github.branch", "unknown field"]),
    (
        "prod-unreviewed",
        {"github": {"repository": REPOSITORY, "manage_repository": True}},
        [
            "environment 'prod': ci.github.reviewers.prod: required with manage_repository for an environment of tier prod"
        ],
    ),
    (
        "reviewers-of-an-unknown-environment",
        {
            "github": {
                "repository": REPOSITORY,
                "manage_repository": True,
                "reviewers": _REVIEWED | {"qa": {"users": [7]}},
            }
        },
        ["ci.github.reviewers.qa: no environment 'qa' in this config (dev, prod, staging)"],
    ),
    (
        "reviewers-not-managed",
        {"github": {"repository": REPOSITORY, "reviewers": _REVIEWED}},
        ["ci.github.reviewers: set, but manage_repository is false"],
    ),
    (
        "seven-reviewers",
        {
            "github": {
                "repository": REPOSITORY,
                "manage_repository": True,
                "reviewers": {"prod": {"users": list(range(1, 8))}},
            }
        },
        ["ci.github.reviewers.prod", "7 reviewers: give 1 to 6 teams and users in all"],
    ),
    (
        "no-reviewers",
        {"github": {"repository": REPOSITORY, "manage_repository": True, "reviewers": {"prod": {}}}},
        ["ci.github.reviewers.prod", "0 reviewers: give 1 to 6"],
    ),
    (
        "reviewer-id-zero",
        {"github": {"repository": REPOSITORY, "manage_repository": True, "reviewers": {"prod": {"teams": [0]}}}},
        ["ci.github.reviewers.prod.teams[0]: Input should be greater than or equal to 1 (got 0)"],
    ),
]


@pytest.mark.parametrize("case,ci,fragments", BAD_CI, ids=[c[0] for c in BAD_CI])
def test_bad_ci_section_is_a_clear_error(tmp_path, case, ci, fragments):
    lines = refused_lines(run_main(tmp_path, mutated(with_ci(ci)), args=["--check"]), tmp_path)
    assert any(all(f in line for f in fragments) for line in lines), lines


def test_bad_execution_mode_is_a_clear_error(tmp_path):
    def change(raw):
        raw["environments"]["dev"]["execution_mode"] = "hosted"

    result = run_main(tmp_path, mutated(change), args=["--check"])
    assert result.returncode == 2
    assert "environment 'dev': execution_mode: Input should be 'local' or 'agent'" in result.stderr


@pytest.mark.parametrize(
    "repository", ["acme/ml-platform", "a/b", "Acme-Corp/ml.platform_v2", "x" * 39 + "/" + "y" * 100]
)
def test_valid_repositories(repository):
    config = config_from(mutated(with_ci({"github": {"repository": repository}})))
    assert config.ci.github.repository == repository


def test_a_repository_that_sends_immutable_subjects_is_trusted_by_its_ids():
    """GitHub's immutable subject claims (repositories created after 2026-07-15, or opted in; Azure/azure-dev
    #9382): `repo:<owner>@<owner id>/<name>@<repository id>:...`. Entra ID matches subjects exactly."""
    ci = {"github": {"repository": REPOSITORY, "owner_id": 1234, "repository_id": 987654321}, "create_identity": True}
    stack = synth_stacks(config_from(mutated(with_ci(ci))))["mlplatform-ci"]
    subjects = sorted(
        c["subject"] for c in resources(stack, "azuread_application_federated_identity_credential").values()
    )
    assert subjects == sorted(
        f"repo:acme@1234/ml-platform@987654321:environment:{environment}:job_workflow_ref:"
        f"acme/ml-platform/.github/workflows/{workflow}@refs/heads/main"
        for environment in ("dev", "dev-plan")
        for workflow in ("deploy.yml", "maintenance.yml")
    )


def test_the_two_ids_come_together(tmp_path):
    ci = {"github": {"repository": REPOSITORY, "owner_id": 1234}}
    lines = refused_lines(run_main(tmp_path, mutated(with_ci(ci)), args=["--check"]), tmp_path)
    assert any("ci.github" in line and "owner_id and repository_id: give both" in line for line in lines), lines


# --- the repository's delivery settings (ci.github.manage_repository) ---------------------------------------


@pytest.fixture(scope="module")
def managed_stack():
    def change(raw):
        raw["ci"] = {
            "github": {"repository": REPOSITORY, "manage_repository": True, "reviewers": _REVIEWED},
            "create_identity": True,
        }

    return synth_stacks(config_from(mutated(change)))["mlplatform-ci"]


def test_every_environment_gets_its_two_github_environments_reviewers_on_the_applying_one_only(managed_stack):
    environments = {
        e["environment"]: e.get("reviewers") for e in resources(managed_stack, "github_repository_environment").values()
    }
    assert environments == {
        "dev": None,
        "dev-plan": None,
        "staging": None,
        "staging-plan": None,
        "prod": [{"teams": [4567890], "users": []}],
        "prod-plan": None,  # plans only read: nobody waits for them
    }
    assert managed_stack["provider"]["github"] == [{"owner": "acme"}]  # the token: GITHUB_TOKEN, never config


def test_each_github_environment_s_arm_client_id_is_its_own_identity_s(managed_stack):
    """dev (local mode) gets its variables from the identities the stack creates; staging and prod run on
    agents: their jobs hold no Azure identity, so no ARM_* variable."""
    environments = {k: e["environment"] for k, e in resources(managed_stack, "github_repository_environment").items()}
    apps = resources(managed_stack, "azuread_application")
    app_key = {a["display_name"]: k for k, a in apps.items()}
    variables = {}
    for variable in resources(managed_stack, "github_actions_environment_variable").values():
        environment = environments[
            variable["environment"].removeprefix("${github_repository_environment.").split(".")[0]
        ]
        variables[(environment, variable["variable_name"])] = variable["value"]
    assert variables == {
        ("dev", "ARM_CLIENT_ID"): f"${{azuread_application.{app_key['mlplatform-dev-github-actions']}.client_id}}",
        ("dev", "ARM_TENANT_ID"): "00000000-0000-0000-0000-000000000000",
        ("dev", "ARM_SUBSCRIPTION_ID"): variables[("dev-plan", "ARM_SUBSCRIPTION_ID")],
        ("dev-plan", "ARM_CLIENT_ID"): (
            f"${{azuread_application.{app_key['mlplatform-dev-github-actions-plan']}.client_id}}"
        ),
        ("dev-plan", "ARM_TENANT_ID"): "00000000-0000-0000-0000-000000000000",
        ("dev-plan", "ARM_SUBSCRIPTION_ID"): variables[("dev", "ARM_SUBSCRIPTION_ID")],
    }
