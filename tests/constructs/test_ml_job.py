"""MlJob on its own: run as the principal, a Git notebook task on a policy job cluster, run rights only."""

from __future__ import annotations

from constructs_lib.ml_job import GitSource, JobCluster, MlJob, MlJobProps, Schedule
from constructs_lib.principals import Principal
from tests.helpers import only, ref, strip_metadata

APP_ID = "11111111-1111-1111-1111-111111111111"
PROPS = MlJobProps(
    name="mlplatform-dev-training",
    run_as=APP_ID,
    git=GitSource(url="https://github.com/my-org/churn-ml", provider="gitHub", tag="v1.2.0"),
    notebook_path="notebooks/train",
    cluster=JobCluster(
        policy_id="POLICY",
        spark_version="15.4.x-cpu-ml-scala2.12",
        node_type_id="Standard_D4ds_v5",
        min_workers=1,
        max_workers=4,
        single_user_name=APP_ID,
        custom_tags={"environment": "dev"},
    ),
    timeout_seconds=3600,
    max_concurrent_runs=1,
    parameters={"model_name": "ml_dev.models.churn"},
    schedule=Schedule(quartz_cron_expression="0 0 3 ? * MON", timezone_id="UTC", paused=True),
    failure_notifications=("ml@example.com",),
)


def test_job_runs_as_the_principal_on_a_single_user_policy_cluster(bare_stack, synth):
    MlJob(bare_stack, "training", PROPS)
    stack = synth(bare_stack)
    assert strip_metadata(only(stack, "databricks_job")) == {
        "name": "mlplatform-dev-training",
        "run_as": {"service_principal_name": APP_ID},
        "git_source": {"url": "https://github.com/my-org/churn-ml", "provider": "gitHub", "tag": "v1.2.0"},
        "job_cluster": [
            {
                "job_cluster_key": "ml",
                "new_cluster": {
                    "policy_id": "POLICY",
                    "spark_version": "15.4.x-cpu-ml-scala2.12",
                    "node_type_id": "Standard_D4ds_v5",
                    "autoscale": {"min_workers": 1, "max_workers": 4},
                    "data_security_mode": "SINGLE_USER",
                    "single_user_name": APP_ID,
                    "custom_tags": {"environment": "dev"},
                },
            }
        ],
        "task": [
            {
                "task_key": "training",
                "job_cluster_key": "ml",
                "notebook_task": {
                    "notebook_path": "notebooks/train",
                    "source": "GIT",
                    "base_parameters": {"model_name": "ml_dev.models.churn"},
                },
            }
        ],
        "schedule": {"quartz_cron_expression": "0 0 3 ? * MON", "timezone_id": "UTC", "pause_status": "PAUSED"},
        "timeout_seconds": 3600,
        "max_concurrent_runs": 1,
        "email_notifications": {"on_failure": ["ml@example.com"]},
    }


def test_grants_are_run_and_view_only_through_one_permissions_resource(bare_stack, synth):
    job = MlJob(bare_stack, "training", PROPS)
    job.grant_run(Principal.group("ml-engineers"))
    job.grant_view(Principal.group("analysts"))
    stack = synth(bare_stack)
    permissions = only(stack, "databricks_permissions")
    assert permissions["job_id"] == ref(stack, "databricks_job", "id")
    assert permissions["access_control"] == [
        {"group_name": "ml-engineers", "permission_level": "CAN_MANAGE_RUN"},
        {"group_name": "analysts", "permission_level": "CAN_VIEW"},
    ]
