"""The ML workflows: jobs that run as the principal, on job clusters under the platform's policy."""

from __future__ import annotations

import json

import pytest

from tests.helpers import only, ref, resources, strip_metadata

ENVIRONMENTS = ("dev", "staging", "prod")
JOBS = {"training": "notebooks/train", "batch_inference": "notebooks/score", "deployment": "notebooks/deploy"}


@pytest.fixture(scope="module", params=ENVIRONMENTS)
def env_stack(request, default_stacks):
    return request.param, default_stacks[f"mlplatform-{request.param}-databricks"]


def _jobs(stack):
    return {job["name"]: job for job in resources(stack, "databricks_job").values()}


def test_three_jobs_run_as_the_principal_from_git_on_a_policy_job_cluster(env_stack):
    env, stack = env_stack
    principal = ref(stack, "databricks_service_principal", "application_id")
    policy = ref(stack, "databricks_cluster_policy", "id")
    jobs = _jobs(stack)
    assert sorted(jobs) == sorted(f"mlplatform-{env}-{kind.replace('_', '-')}" for kind in JOBS)
    for kind, notebook in JOBS.items():
        job = jobs[f"mlplatform-{env}-{kind.replace('_', '-')}"]
        assert job["run_as"] == {"service_principal_name": principal}
        ((cluster),) = job["job_cluster"]
        new_cluster = cluster["new_cluster"]
        assert new_cluster["policy_id"] == policy
        assert new_cluster["data_security_mode"] == "SINGLE_USER"
        assert new_cluster["single_user_name"] == principal
        assert new_cluster["spark_version"] == ref(stack, "databricks_spark_version", "id", section="data")
        ((task),) = job["task"]
        assert task["job_cluster_key"] == cluster["job_cluster_key"]
        assert task["notebook_task"]["notebook_path"] == notebook and task["notebook_task"]["source"] == "GIT"
        assert task["notebook_task"]["base_parameters"]["model_name"] == ref(
            stack, "databricks_registered_model", "full_name"
        )
        assert job["git_source"]["url"] == "https://github.com/my-org/churn-ml"
        assert ("branch" in job["git_source"]) == (env == "dev")  # dev follows a branch, the others a tag
        assert job["max_concurrent_runs"] == 1 and job["timeout_seconds"] == 14400
        assert job["email_notifications"] == {"on_failure": ["ml-platform@example.com"]}


def test_schedules_are_paused_in_dev_and_batch_inference_waits_for_a_servable_model(env_stack):
    """A fresh staging or prod trains on schedule, but scores only once the served alias exists: before,
    the batch job would fail on every run and e-mail about it (docs/ml-workflows.md)."""
    env, stack = env_stack
    schedules = {name: job.get("schedule") for name, job in _jobs(stack).items()}
    assert schedules[f"mlplatform-{env}-deployment"] is None  # started after training, by people or the training job
    expected = "PAUSED" if env == "dev" else "UNPAUSED"
    assert schedules[f"mlplatform-{env}-training"] == {
        "quartz_cron_expression": "0 0 3 ? * MON",
        "timezone_id": "UTC",
        "pause_status": expected,
    }
    batch = schedules[f"mlplatform-{env}-batch-inference"]["pause_status"]
    if env == "dev":
        assert batch == "PAUSED" and "databricks_registered_model" not in stack.get("data", {})
        return
    lookup = ref(stack, "databricks_registered_model", "model_info", section="data").removesuffix("}")
    (alias,) = [name for name in stack["locals"] if "servable_alias" in name]
    assert stack["locals"][alias] == "champion"
    assert batch.startswith(f"${{(length(try(tostring(zipmap({lookup.removeprefix('${')}[0].aliases[*].alias_name")
    assert batch.endswith(') ? "UNPAUSED" : "PAUSED"}')
    # read through the model resource: on a fresh environment after its creation, in the same apply
    assert only(stack, "databricks_registered_model", section="data")["full_name"] == ref(
        stack, "databricks_registered_model", "full_name"
    )


def _permissions_of(stack, key, target):
    return [
        sorted(
            (
                entry.get("group_name") or entry.get("service_principal_name") or entry.get("user_name"),
                entry["permission_level"],
            )
            for entry in p["access_control"]
        )
        for p in resources(stack, "databricks_permissions").values()
        if p.get(key) == target
    ]


DEPLOYERS = {
    "dev": [("68686868-6868-6868-6868-686868686868", "IS_OWNER"), ("you@example.com", "CAN_MANAGE")],
    "staging": [("44444444-4444-4444-4444-444444444444", "IS_OWNER")],
    "prod": [("55555555-5555-5555-5555-555555555555", "IS_OWNER")],
}
"""Each environment's deployers on its jobs: the first service principal owns them (CI, or the agents'
identity), the others manage them (docs/credentials.md: Deployers)."""


def test_the_engineers_run_the_jobs_one_deployer_owns_them_and_the_others_manage_them(env_stack):
    env, stack = env_stack
    for name, job_id in ((n, f"${{databricks_job.{n}.id}}") for n in resources(stack, "databricks_job")):
        assert _permissions_of(stack, "job_id", job_id) == [
            sorted([("ml-engineers", "CAN_MANAGE_RUN"), *DEPLOYERS[env]])
        ], name


def test_the_policy_fixes_runtime_access_mode_and_tags_and_only_principal_and_engineers_use_it(env_stack):
    env, stack = env_stack
    policy = only(stack, "databricks_cluster_policy")
    assert policy["name"] == f"mlplatform-{env}-ml-jobs"
    ((local_name, definition),) = [(k, v) for k, v in stack["locals"].items() if "policy_definition" in k]
    assert policy["definition"] == f"${{jsonencode(local.{local_name})}}"
    assert definition["data_security_mode"] == {"type": "fixed", "value": "SINGLE_USER"}
    assert definition["cluster_type"] == {"type": "fixed", "value": "job"}
    assert definition["spark_version"] == {
        "type": "fixed",
        "value": ref(stack, "databricks_spark_version", "id", section="data"),
    }
    assert definition["custom_tags.environment"] == {"type": "fixed", "value": env}
    assert definition["autoscale.max_workers"]["maxValue"] == 4
    principal = ref(stack, "databricks_service_principal", "application_id")
    assert _permissions_of(stack, "cluster_policy_id", ref(stack, "databricks_cluster_policy", "id")) == [
        sorted([(principal, "CAN_USE"), ("ml-engineers", "CAN_USE")])
    ]


def test_the_principal_owns_the_model_it_trains_and_holds_exactly_its_workflow_grants(env_stack):
    env, stack = env_stack
    principal = ref(stack, "databricks_service_principal", "application_id")
    model = strip_metadata(only(stack, "databricks_registered_model"))
    assert (model["catalog_name"], model["schema_name"], model["name"], model["owner"]) == (
        f"ml_{env}",
        "models",
        "churn_classifier",
        principal,
    )
    grants = {}
    for grant in resources(stack, "databricks_grant").values():
        securable = next((k, grant[k]) for k in ("catalog", "schema", "table", "model") if k in grant)
        assert grant["principal"] == principal
        grants[securable] = grant["privileges"]
    assert grants[("table", f"ml_{env}.raw.customers")] == ["SELECT"]
    assert grants[("schema", f"ml_{env}.raw")] == ["USE_SCHEMA"]
    assert grants[("schema", f"ml_{env}.scoring")] == ["USE_SCHEMA", "CREATE_TABLE"]
    assert grants[("schema", f"ml_{env}.models")] == ["USE_SCHEMA"]
    assert grants[("catalog", f"ml_{env}")] == ["USE_CATALOG"]
    # nothing on the model itself: its owner needs no grant (and the deployer, no longer owner, could
    # only grant through MANAGE on the schema)
    assert not any(kind == "model" for kind, _ in grants)


def test_no_workflows_section_makes_no_job_policy_or_model():
    from tests.helpers import config_from, mutated, synth_stacks

    def change(raw):
        raw["environments"] = {"dev": raw["environments"]["dev"]}
        del raw["environments"]["dev"]["databricks"]["workflows"]

    stack = synth_stacks(config_from(mutated(change)))["mlplatform-dev-databricks"]
    for kind in ("databricks_job", "databricks_cluster_policy", "databricks_registered_model"):
        assert kind not in stack["resource"]
    assert json.dumps(stack).count("CREATE_TABLE") == 0
