"""Config, third pass: every value checked for what it names, by the rules of the system that owns it.

Each refusal is one line naming the file, the environment, the field and what is allowed; the nearest
valid values are accepted (the controls). The lines are the loader's (`load_config`), as `main.py
--check` prints them (exit 2, nothing written: tests/test_main.py).
"""

from __future__ import annotations

import copy

import pytest
import yaml

from config import ConfigError, load_config
from tests.helpers import default_raw, mutated
from tests.test_main import _set

W = "environments.dev.databricks.workflows"
STAGING_HOST = "https://adb-2222222222222222.12.azuredatabricks.net"
STAGING_ID = (
    "/subscriptions/22222222-2222-2222-2222-222222222222/resourceGroups/rg-databricks-staging/providers/"
    "Microsoft.Databricks/workspaces/dbw-mlplatform-staging"
)


def problems(tmp_path, raw) -> list[str]:
    path = tmp_path / "environments.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as error:
        return error.problems
    return []


REFUSED = [
    # schedules, by Quartz's rules and the IANA zone database
    ("quartz-both-days", _set(f"{W}.training.schedule.quartz_cron_expression", "0 0 3 * * MON"), "'?' in exactly one"),
    (
        "quartz-minute-60",
        _set(f"{W}.training.schedule.quartz_cron_expression", "0 60 3 ? * MON"),
        "minutes '60' is not 0-59",
    ),
    (
        "quartz-day-name",
        _set(f"{W}.training.schedule.quartz_cron_expression", "0 0 3 ? * MONDAY"),
        "day-of-week 'MONDAY'",
    ),
    ("quartz-unix-cron", _set(f"{W}.training.schedule.quartz_cron_expression", "5 4 * * *"), "has 5 fields"),
    ("quartz-special-in-list", _set(f"{W}.training.schedule.quartz_cron_expression", "0 0 3 ? * MON,L"), "stand alone"),
    ("zone-unknown", _set(f"{W}.training.schedule.timezone_id", "Mars/Olympus"), "not a time zone id of the IANA"),
    ("zone-case", _set(f"{W}.training.schedule.timezone_id", "europe/amsterdam"), "did you mean Europe/Amsterdam"),
    # Git sources
    ("git-owner-not-repository", _set(f"{W}.git.url", "https://github.com/my-org"), "does not name a repository"),
    ("git-look-alike-host", _set(f"{W}.git.url", "https://github.com.example.org/my-org/churn-ml"), "is not it"),
    (
        "git-enterprise-on-github-com",
        _set(f"{W}.git", {"url": "https://github.com/a/b", "provider": "gitHubEnterprise", "branch": "main"}),
        "is the cloud service of provider gitHub",
    ),
    (
        "git-devops-project-page",
        _set(
            f"{W}.git", {"url": "https://dev.azure.com/org/proj", "provider": "azureDevOpsServices", "branch": "main"}
        ),
        "/<organization>/<project>/_git/<repository>",
    ),
    ("git-branch-dot-dot", _set(f"{W}.git.branch", "feat..x"), "contains '..'"),
    ("git-branch-lock", _set(f"{W}.git.branch", "release/v1.lock"), "ending with '.lock'"),
    ("git-branch-dash", _set(f"{W}.git.branch", "-main"), "starts with '-'"),
    ("notebook-folder", _set(f"{W}.training.notebook_path", "notebooks/"), "not a folder"),
    ("notebook-absolute", _set(f"{W}.training.notebook_path", "/notebooks/train"), "relative to the repository root"),
    # job clusters, the policy and the cluster
    ("workers-equal", _set(f"{W}.job_cluster", {"min_workers": 2, "max_workers": 2}), "strictly greater"),
    ("vm-size-lower-case", _set(f"{W}.job_cluster.node_type_ids", ["standard_d4ds_v5"]), "Standard_<size>"),
    ("vm-size-bare", _set("environments.dev.databricks.cluster.node_type_id", "D4ds_v5"), "Standard_<size>"),
    # addresses and names
    ("email-no-domain-dot", _set(f"{W}.failure_notifications", ["ml-platform@localhost"]), "is not an e-mail address"),
    ("email-two-ats", _set(f"{W}.failure_notifications", ["ml@@contoso.com"]), "is not an e-mail address"),
    ("uc-name-too-long", _set(f"{W}.output_schema", "ml_dev." + "s" * 256), "each part 1-255"),
    ("platform-parameter", _set(f"{W}.training.parameters", {"model_name": "other.models.m"}), "the platform sets"),
    # workspaces
    (
        "account-console",
        _set("environments.dev.databricks.workspace.host", "https://accounts.azuredatabricks.net"),
        "is the account console, not a workspace",
    ),
    (
        "regional-host",
        _set("environments.dev.databricks.workspace.host", "https://westeurope.azuredatabricks.net"),
        "is not a workspace's own URL",
    ),
    (
        "one-host-two-resource-ids",
        _set("environments.dev.databricks.workspace.host", STAGING_HOST),
        "databricks.workspace.resource_id differs from environment 'dev''s",
    ),
    # identities
    (
        "agents-client-id-as-object-id",
        _set("environments.staging.azure.deployers.0.object_id", "44444444-4444-4444-4444-444444444444"),
        "is the agents' client id (agent.client_id), an application id",
    ),
    (
        "object-id-given-as-application-id",
        _set("environments.dev.azure.deployers.1.application_id", "66666666-6666-6666-6666-666666666666"),
        "not an application id",
    ),
]


@pytest.mark.parametrize("case,change,fragment", REFUSED, ids=[c[0] for c in REFUSED])
def test_a_value_that_does_not_name_what_it_should_is_one_line(tmp_path, case, change, fragment):
    lines = problems(tmp_path, mutated(change))
    matching = [line for line in lines if fragment in line]
    assert matching, lines
    assert matching[0].startswith(f"{tmp_path / 'environments.yaml'}: environment '") or "environment '" in matching[0]


ACCEPTED = [
    _set(f"{W}.training.schedule.quartz_cron_expression", "0 0 12 ? * 6#3"),
    _set(f"{W}.training.schedule.quartz_cron_expression", "0 0 12 L * ?"),
    _set(f"{W}.training.schedule.quartz_cron_expression", "0 0/15 * * * ?"),
    _set(f"{W}.training.schedule.quartz_cron_expression", "0 0 3 ? JAN,JUL MON-FRI 2027"),
    _set(f"{W}.training.schedule.timezone_id", "Etc/GMT+5"),
    _set(f"{W}.training.schedule.timezone_id", "Asia/Kolkata"),
    _set(
        f"{W}.git", {"url": "https://ghe.corp.example/team/repo.git", "provider": "gitHubEnterprise", "branch": "main"}
    ),
    _set(
        f"{W}.git",
        {"url": "https://dev.azure.com/org/proj/_git/repo", "provider": "azureDevOpsServices", "tag": "v2026.12.0"},
    ),
    _set(f"{W}.git.branch", "release/2026.12"),
    _set(f"{W}.training.notebook_path", "src/ml/train"),
    _set(f"{W}.job_cluster", {"min_workers": 0, "max_workers": 1}),
    _set(f"{W}.job_cluster.node_type_ids", ["Standard_NC6s_v3"]),
    _set(f"{W}.failure_notifications", ["first.last+ml@contoso.co.uk"]),
    _set(f"{W}.output_schema", "ml_dev." + "s" * 255),
    _set(f"{W}.training.parameters", {"model_stage": "champion"}),
]


@pytest.mark.parametrize("change", ACCEPTED, ids=lambda _: "")
def test_the_nearest_valid_values_are_accepted(tmp_path, change):
    assert problems(tmp_path, mutated(change)) == []


def _shared_workspace(raw, *, same_model: bool):
    """staging in dev's workspace, with its own names, or (same_model) dev's registered model."""
    staging = raw["environments"]["staging"]["databricks"]
    staging["workspace"] = copy.deepcopy(raw["environments"]["dev"]["databricks"]["workspace"])
    staging["service_principal"] = {"group": {"name": "ml-automation-staging"}}
    if same_model:
        staging["workflows"]["model"] = raw["environments"]["dev"]["databricks"]["workflows"]["model"]
        staging["serving"]["served_models"][0]["model"] = staging["workflows"]["model"]


def test_environments_sharing_a_workspace_cannot_collide_on_what_they_create_there(tmp_path):
    assert problems(tmp_path, mutated(lambda raw: _shared_workspace(raw, same_model=False))) == []
    lines = problems(tmp_path, mutated(lambda raw: _shared_workspace(raw, same_model=True)))
    assert [line for line in lines if "databricks.workflows.model" in line] == [
        f"{tmp_path / 'environments.yaml'}: environment 'staging': databricks.workflows.model: "
        "'ml_dev.models.churn_classifier' is also used by environment 'dev'; each environment's workflows create "
        "and own their registered model: two in one workspace would both create it"
    ]


def test_one_inference_table_per_workspace(tmp_path):
    def change(raw):
        _shared_workspace(raw, same_model=False)
        dev_serving = raw["environments"]["dev"]["databricks"]["serving"]
        dev_serving["name"] = raw["environments"]["staging"]["databricks"]["serving"]["name"] + "-x"
        for env in ("dev", "staging"):
            raw["environments"][env]["databricks"]["serving"]["ai_gateway"] = {
                "inference_table": {"catalog": "ml_dev", "schema": "monitoring", "table_prefix": "churn"}
            }

    lines = problems(tmp_path, mutated(change))
    assert any(
        "ml_dev.monitoring.churn_payload" in line and "would write one inference table" in line for line in lines
    )


def test_copying_an_environment_takes_one_round_of_fixes(tmp_path):
    """A copy of staging as qa, without a tier and with one bad schedule: every problem at once, none that
    only follows from another (no 'prevent_destroy: required' from the missing tier)."""

    def change(raw):
        qa = copy.deepcopy(raw["environments"]["staging"])
        qa["databricks"]["workflows"]["training"]["schedule"]["quartz_cron_expression"] = "0 0 3 * * MON"
        raw["environments"]["qa"] = qa

    lines = problems(tmp_path, mutated(change))
    shown = f"{tmp_path / 'environments.yaml'}: environment 'qa': "
    assert [line.removeprefix(shown).split(":")[0] for line in lines if line.startswith(shown)] == [
        "tier",
        "databricks.workflows.training.schedule.quartz_cron_expression",
    ]
    assert not [line for line in lines if "required field is missing" in line]


def test_a_copied_environment_with_a_tier_gets_every_collision_in_one_pass(tmp_path):
    def change(raw):
        qa = copy.deepcopy(raw["environments"]["staging"])
        qa["tier"] = "staging"
        raw["environments"]["qa"] = qa

    fields = sorted({line.split(": ")[2] for line in problems(tmp_path, mutated(change)) if "environment 'qa'" in line})
    assert {"azure.key_vault.name", "databricks.serving.name", "databricks.workflows.model"} <= set(fields), fields


def test_the_default_config_passes_every_rule():
    assert load_config().config.environments
    assert default_raw()["environments"]
