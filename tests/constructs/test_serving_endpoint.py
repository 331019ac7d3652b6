"""ServingEndpoint on its own: Unity Catalog entities, traffic routes, AI gateway, when it exists, one permissions list."""

from __future__ import annotations

import dataclasses

import pytest
from cdktf import TerraformOutput

from constructs_lib.principals import Principal
from constructs_lib.serving_endpoint import (
    AiGateway,
    InferenceTable,
    RateLimit,
    ServedEntity,
    ServingEndpoint,
    ServingEndpointProps,
)
from tests.helpers import only, ref, resources, strip_metadata

ML = Principal.service_principal("${var.app_id}", "ml")
CHURN = ServedEntity(
    name="churn-3",
    entity_name="main.models.churn",
    entity_version="3",
    workload_size="Small",
    scale_to_zero_enabled=True,
)
PROPS = ServingEndpointProps(name="churn-dev", served_entities=(CHURN,), routes=(("churn-3", 100),), ai_gateway=None)


def _local(stack, fragment):
    (name,) = [n for n in stack["locals"] if fragment in n]
    return name


def test_one_entity_takes_all_traffic_and_exists_once_ready_or_deployed(bare_stack, synth):
    endpoint = ServingEndpoint(bare_stack, "serving_endpoint", PROPS)
    TerraformOutput(bare_stack, "url", value=endpoint.invocation_url("https://adb-1.2.azuredatabricks.net/"))
    stack = synth(bare_stack)
    assert sorted(stack["resource"]) == ["databricks_model_serving"]
    assert sorted(stack["data"]) == ["databricks_serving_endpoints"]  # what the workspace has deployed
    ready, deployed = _local(stack, "_ready_"), _local(stack, "_deployed_")
    serving = strip_metadata(only(stack, "databricks_model_serving"))
    lifecycle = serving.pop("lifecycle")
    assert serving == {
        "count": f"${{(local.{ready} || local.{deployed}.exists) ? 1 : 0}}",
        "name": "churn-dev",
        "config": {
            "served_entities": [
                {
                    "name": "churn-3",
                    "entity_name": "main.models.churn",
                    "entity_version": "3",
                    "workload_size": "Small",
                    "scale_to_zero_enabled": True,
                }
            ],
            "traffic_config": {"routes": [{"served_entity_name": "churn-3", "traffic_percentage": 100}]},
        },
    }
    assert stack["locals"][ready] is True
    conditions = [p["condition"] for p in lifecycle["precondition"]]
    # no gateway configured: a deployed gateway, inference table or usage tracking stops the plan
    assert conditions == [
        f"${{local.{ready}}}",
        f"${{!local.{deployed}.gateway}}",
        f"${{!local.{deployed}.inference_table}}",
        f"${{!local.{deployed}.usage_tracking}}",
    ]
    assert "#5504" in lifecycle["precondition"][2]["error_message"]
    # Not the resource's endpoint_url, which provider 1.99.0 sets for route-optimized endpoints only.
    url_format, host = _local(stack, "invocation_url_format"), _local(stack, "workspace_host")
    assert (stack["locals"][url_format], stack["locals"][host]) == (
        "%s/serving-endpoints/%s/invocations",
        "https://adb-1.2.azuredatabricks.net",
    )
    names = ref(stack, "databricks_model_serving", "name").replace(".name}", "[*].name}")[2:-1]
    assert stack["output"]["url"]["value"] == f"${{one(formatlist(local.{url_format}, local.{host}, {names}))}}"


def test_a_gateway_feature_the_config_keeps_on_has_no_guard(bare_stack, synth):
    gateway = AiGateway(
        inference_table=InferenceTable("main", "monitoring", None), usage_tracking=False, rate_limits=()
    )
    ServingEndpoint(bare_stack, "serving_endpoint", dataclasses.replace(PROPS, ai_gateway=gateway))
    stack = synth(bare_stack)
    deployed = _local(stack, "_deployed_")
    guards = [p["condition"] for p in only(stack, "databricks_model_serving")["lifecycle"]["precondition"][1:]]
    assert guards == [f"${{!local.{deployed}.usage_tracking}}"]


def test_split_traffic_environment_variables_tags_and_gateway(bare_stack, synth):
    challenger = dataclasses.replace(
        CHURN,
        name="churn-4",
        entity_version="4",
        workload_size="Medium",
        scale_to_zero_enabled=False,
        environment_vars={"TOKEN": "{{secrets/scope/token}}", "MODE": "shadow"},
    )
    gateway = AiGateway(
        inference_table=InferenceTable("main", "monitoring", "churn"),
        usage_tracking=True,
        rate_limits=(RateLimit(calls=100, key="user", renewal_period="minute"),),
    )
    ServingEndpoint(
        bare_stack,
        "serving_endpoint",
        dataclasses.replace(
            PROPS,
            served_entities=(CHURN, challenger),
            routes=(("churn-3", 90), ("churn-4", 10)),
            ai_gateway=gateway,
            tags={"environment": "dev"},
        ),
    )
    serving = only(synth(bare_stack), "databricks_model_serving")
    assert serving["config"]["served_entities"][1] == {
        "name": "churn-4",
        "entity_name": "main.models.churn",
        "entity_version": "4",
        "workload_size": "Medium",
        "scale_to_zero_enabled": False,
        "environment_vars": {"TOKEN": "{{secrets/scope/token}}", "MODE": "shadow"},
    }
    assert serving["config"]["traffic_config"]["routes"] == [
        {"served_entity_name": "churn-3", "traffic_percentage": 90},
        {"served_entity_name": "churn-4", "traffic_percentage": 10},
    ]
    assert serving["ai_gateway"] == {
        "inference_table_config": {
            "enabled": True,
            "catalog_name": "main",
            "schema_name": "monitoring",
            "table_name_prefix": "churn",
        },
        "usage_tracking_config": {"enabled": True},
        "rate_limits": [{"calls": 100, "key": "user", "renewal_period": "minute"}],
    }
    assert serving["tags"] == [{"key": "environment", "value": "dev"}]


def test_an_empty_gateway_sets_none_of_its_parts(bare_stack, synth):
    ServingEndpoint(
        bare_stack,
        "serving_endpoint",
        dataclasses.replace(PROPS, ai_gateway=AiGateway(inference_table=None, usage_tracking=False, rate_limits=())),
    )
    assert only(synth(bare_stack), "databricks_model_serving")["ai_gateway"] == {}


@pytest.mark.parametrize(
    "grant, level",
    [
        (ServingEndpoint.grant_query, "CAN_QUERY"),
        (ServingEndpoint.grant_manage, "CAN_MANAGE"),
    ],
)
def test_each_shortcut_grants_its_level_on_this_endpoint(bare_stack, synth, grant, level):
    endpoint = ServingEndpoint(bare_stack, "serving_endpoint", PROPS)
    made = grant(endpoint, ML)
    stack = synth(bare_stack)
    endpoint_ids = ref(stack, "databricks_model_serving", "serving_endpoint_id").replace(
        ".serving_endpoint_id", "[*].serving_endpoint_id"
    )
    assert (
        strip_metadata(only(stack, "databricks_permissions"))
        == {
            "count": only(stack, "databricks_model_serving")["count"],  # exists with the endpoint
            "serving_endpoint_id": f"${{one({endpoint_ids[2:-1]})}}",
            "access_control": [{"permission_level": level, "service_principal_name": "${var.app_id}"}],
        }
    )
    assert made.friendly_unique_id in resources(stack, "databricks_permissions")


def test_routes_naming_an_entity_the_endpoint_does_not_serve_are_a_construct_error():
    with pytest.raises(ValueError, match=r"routes name unknown served entities: \['churn-4'\]"):
        dataclasses.replace(PROPS, routes=(("churn-3", 50), ("churn-4", 50)))
