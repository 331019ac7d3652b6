"""MlCluster on its own: a SINGLE_USER cluster as the principal, looked-up or pinned runtime, one permissions list."""

from __future__ import annotations

import dataclasses

import pytest

from constructs_lib.ml_cluster import MlCluster, MlClusterProps, adls_oauth_spark_conf
from constructs_lib.principals import Principal
from tests.helpers import only, ref, resources, strip_metadata

ML = Principal.service_principal("${var.app_id}", "ml")
PROPS = MlClusterProps(
    cluster_name="mlplatform-dev-ml",
    single_user_name="${var.app_id}",
    min_workers=1,
    max_workers=4,
    autotermination_minutes=30,
    spark_version=None,
    node_type_id=None,
    min_cores=4,
    pypi_packages=(),
)


def test_cluster_runs_as_its_principal_on_the_latest_ml_lts_runtime_and_smallest_node(bare_stack, synth):
    cluster = MlCluster(bare_stack, "ml_cluster", PROPS)
    stack = synth(bare_stack)
    assert strip_metadata(only(stack, "databricks_spark_version", section="data")) == {
        "ml": True,
        "long_term_support": True,
        "latest": True,
        "scala": "2.13",  # explicit: the provider's default 2.12 never matches 17.3 LTS onward
    }
    assert strip_metadata(only(stack, "databricks_node_type", section="data")) == {"local_disk": True, "min_cores": 4}
    assert strip_metadata(only(stack, "databricks_cluster")) == {
        "cluster_name": "mlplatform-dev-ml",
        "spark_version": ref(stack, "databricks_spark_version", "id", section="data"),
        "node_type_id": ref(stack, "databricks_node_type", "id", section="data"),
        "autoscale": {"min_workers": 1, "max_workers": 4},
        "autotermination_minutes": 30,
        "data_security_mode": "SINGLE_USER",
        "single_user_name": "${var.app_id}",
    }
    assert sorted(stack["resource"]) == ["databricks_cluster"]  # no permissions until a grant
    assert cluster.cluster_id.startswith("${TfToken[")


def test_pinned_runtime_and_node_skip_the_lookups_and_options_reach_the_cluster(bare_stack, synth):
    conf = adls_oauth_spark_conf(
        storage_account="stml", client_id="cid", tenant_id="tid", client_secret_reference="{{secrets/scope/key}}"
    )
    MlCluster(
        bare_stack,
        "ml_cluster",
        dataclasses.replace(
            PROPS,
            spark_version="15.4.x-cpu-ml-scala2.12",
            node_type_id="Standard_D4ds_v5",
            min_workers=0,
            pypi_packages=("mlflow==2.19.0",),
            custom_tags={"environment": "dev"},
            spark_conf=conf,
        ),
    )
    stack = synth(bare_stack)
    assert "data" not in stack
    cluster = only(stack, "databricks_cluster")
    assert (cluster["spark_version"], cluster["node_type_id"]) == ("15.4.x-cpu-ml-scala2.12", "Standard_D4ds_v5")
    assert cluster["autoscale"] == {"min_workers": 0, "max_workers": 4}
    assert cluster["library"] == [{"pypi": {"package": "mlflow==2.19.0"}}]
    assert cluster["custom_tags"] == {"environment": "dev"}
    assert cluster["spark_conf"] == conf


def test_adls_oauth_spark_conf_reads_the_secret_by_reference():
    suffix = "stml.dfs.core.windows.net"
    assert adls_oauth_spark_conf(
        storage_account="stml", client_id="cid", tenant_id="tid", client_secret_reference="{{secrets/scope/key}}"
    ) == {
        f"fs.azure.account.auth.type.{suffix}": "OAuth",
        f"fs.azure.account.oauth.provider.type.{suffix}": "org.apache.hadoop.fs.azurebfs.oauth2.ClientCredsTokenProvider",
        f"fs.azure.account.oauth2.client.id.{suffix}": "cid",
        f"fs.azure.account.oauth2.client.secret.{suffix}": "{{secrets/scope/key}}",
        f"fs.azure.account.oauth2.client.endpoint.{suffix}": "https://login.microsoftonline.com/tid/oauth2/token",
    }


@pytest.mark.parametrize(
    "grant, level",
    [
        (MlCluster.grant_attach, "CAN_ATTACH_TO"),
        (MlCluster.grant_restart, "CAN_RESTART"),
        (MlCluster.grant_manage, "CAN_MANAGE"),
    ],
)
def test_each_shortcut_grants_its_level_on_this_cluster(bare_stack, synth, grant, level):
    cluster = MlCluster(bare_stack, "ml_cluster", PROPS)
    made = grant(cluster, ML)
    stack = synth(bare_stack)
    assert strip_metadata(only(stack, "databricks_permissions")) == {
        "cluster_id": ref(stack, "databricks_cluster", "id"),
        "access_control": [{"permission_level": level, "service_principal_name": "${var.app_id}"}],
    }
    assert made.friendly_unique_id in resources(stack, "databricks_permissions")


def test_grants_to_several_principals_share_one_authoritative_list(bare_stack, synth):
    cluster = MlCluster(bare_stack, "ml_cluster", PROPS)
    first = cluster.grant(ML, "CAN_RESTART")
    second = cluster.grant_attach(Principal.group("ML Engineers"))
    assert first is second
    assert only(synth(bare_stack), "databricks_permissions")["access_control"] == [
        {"permission_level": "CAN_RESTART", "service_principal_name": "${var.app_id}"},
        {"permission_level": "CAN_ATTACH_TO", "group_name": "ML Engineers"},
    ]


@pytest.mark.parametrize(
    "spark_conf",
    [
        {"fs.azure.account.oauth2.client.secret.stml.dfs.core.windows.net": "the-value"},
        {"spark.SECRET.token": "plain"},
    ],
)
def test_a_secret_in_spark_conf_that_is_not_a_reference_is_a_construct_error(spark_conf):
    with pytest.raises(ValueError, match=r"secrets must be \{\{secrets/<scope>/<key>\}\} references, never values"):
        dataclasses.replace(PROPS, spark_conf=spark_conf)


def test_adls_conf_with_a_secret_value_instead_of_a_reference_is_a_construct_error():
    with pytest.raises(ValueError, match=r"client_secret_reference must be a \{\{secrets/<scope>/<key>\}\} reference"):
        adls_oauth_spark_conf(storage_account="stml", client_id="c", tenant_id="t", client_secret_reference="s3cr3t")
