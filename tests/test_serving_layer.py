"""The serving layer: the endpoint follows the model registry, exists once it can serve, and the
plan refuses what provider 1.99.0 cannot do to a deployed endpoint (proof/mock_apply.py runs it)."""

from __future__ import annotations

import pytest

from tests.helpers import config_from, mutated, only, ref, resources, strip_metadata, synth_stacks


@pytest.fixture(scope="module")
def prod(default_stacks):
    return default_stacks["mlplatform-prod-serving"]


def _local(stack, fragment):
    (name,) = [n for n in stack["locals"] if fragment in n]
    return name


def test_prod_serves_the_champion_alias_warm_enough_and_governed(prod):
    endpoint = strip_metadata(only(prod, "databricks_model_serving"))
    (lookup_id,) = prod["data"]["databricks_registered_model"]
    assert prod["data"]["databricks_registered_model"][lookup_id]["full_name"] == "ml_prod.models.churn_classifier"
    alias = _local(prod, "served_model_0_alias")
    assert prod["locals"][alias] == "champion"
    aliases = f"data.databricks_registered_model.{lookup_id}.model_info[0].aliases"
    version = f'try(tostring(zipmap({aliases}[*].alias_name, {aliases}[*].version_num)[local.{alias}]), "")'
    assert endpoint["name"] == "mlplatform-prod-churn"
    assert endpoint["config"] == {
        "served_entities": [
            {
                "name": "churn_classifier-champion",  # stable while the alias moves
                "entity_name": "ml_prod.models.churn_classifier",
                "entity_version": f"${{{version}}}",
                "workload_size": "Medium",
                "scale_to_zero_enabled": True,  # the only value provider 1.99.0 sends (config refuses false)
            }
        ],
        "traffic_config": {"routes": [{"served_entity_name": "churn_classifier-champion", "traffic_percentage": 100}]},
    }
    assert prod["locals"][_local(prod, "serving_endpoint_ready")] == f"${{alltrue([(length({version}) > 0)])}}"
    assert endpoint["ai_gateway"] == {
        "inference_table_config": {
            "catalog_name": "ml_prod",
            "enabled": True,
            "schema_name": "monitoring",
            "table_name_prefix": "churn",
        },
        "rate_limits": [{"calls": 1000, "key": "endpoint", "renewal_period": "minute"}],
        "usage_tracking_config": {"enabled": True},
    }
    # every gateway feature is on: only the readiness precondition
    assert [p["condition"] for p in endpoint["lifecycle"]["precondition"]] == [
        f"${{local.{_local(prod, 'serving_endpoint_ready')}}}"
    ]
    assert endpoint["tags"] == [{"key": "environment", "value": "prod"}]


def test_dev_without_a_gateway_refuses_to_drop_a_deployed_one(default_stacks):
    dev = default_stacks["mlplatform-dev-serving"]
    endpoint = only(dev, "databricks_model_serving")
    assert "ai_gateway" not in endpoint
    deployed = _local(dev, "serving_endpoint_deployed")
    assert [p["condition"] for p in endpoint["lifecycle"]["precondition"][1:]] == [
        f"${{!local.{deployed}.gateway}}",
        f"${{!local.{deployed}.inference_table}}",
        f"${{!local.{deployed}.usage_tracking}}",
    ]
    listing = ref(dev, "databricks_serving_endpoints", "endpoints", section="data")[2:-1]
    assert dev["locals"][deployed]["exists"] == (
        f"${{contains({listing}[*].name, local.{_local(dev, 'serving_endpoint_name')})}}"
    )


def test_the_principal_may_query_as_the_app_the_lookup_finds_and_every_deployer_manages(prod):
    permissions = only(prod, "databricks_permissions")
    assert permissions["count"] == only(prod, "databricks_model_serving")["count"]
    assert permissions["access_control"] == [
        {
            "permission_level": "CAN_QUERY",
            "service_principal_name": ref(prod, "azuread_application", "client_id", section="data"),
        },
        {"permission_level": "CAN_MANAGE", "service_principal_name": "55555555-5555-5555-5555-555555555555"},
    ]


def test_provider_is_the_workspace_with_entra_id_as_in_the_databricks_layer(default_stacks):
    for env in ("dev", "staging", "prod"):
        serving = default_stacks[f"mlplatform-{env}-serving"]
        assert (
            serving["provider"]["databricks"]
            == default_stacks[f"mlplatform-{env}-databricks"]["provider"]["databricks"]
        )
        assert sorted(serving["terraform"]["required_providers"]) == ["azuread", "databricks"]


def test_outputs_give_the_url_name_and_served_versions(prod):
    outputs = {k: v["value"] for k, v in prod["output"].items()}
    entity = only(prod, "databricks_model_serving")["config"]["served_entities"][0]
    assert outputs["serving_endpoint_name"] == "mlplatform-prod-churn"
    assert outputs["serving_versions"] == {"churn_classifier-champion": entity["entity_version"]}
    assert outputs["serving_endpoint_url"].startswith("${one(formatlist(")


@pytest.fixture(scope="module")
def pinned():
    def change(raw):
        raw["environments"] = {"dev": raw["environments"]["dev"]}
        serving = raw["environments"]["dev"]["databricks"]["serving"]
        serving["principal_permission"] = "CAN_MANAGE"
        served = serving["served_models"][0]
        del served["alias"]
        served.update(
            version=3,
            environment_vars={"LOG_LEVEL": "INFO"},
            secret_environment_vars={"FEATURE_STORE_KEY": "feature-key"},
        )

    return synth_stacks(config_from(mutated(change)))["mlplatform-dev-serving"]


def test_a_pinned_version_is_checked_against_the_registry_and_secrets_are_scope_references(pinned):
    assert "databricks_registered_model" not in pinned["data"]
    assert only(pinned, "databricks_registered_model_versions", section="data")["full_name"] == (
        "ml_dev.models.churn_classifier"
    )
    entity = only(pinned, "databricks_model_serving")["config"]["served_entities"][0]
    assert entity["name"] == "churn_classifier-3"
    assert entity["environment_vars"] == {
        "LOG_LEVEL": "INFO",
        "FEATURE_STORE_KEY": "{{secrets/mlplatform-dev-keyvault/feature-key}}",  # the scope's config name
    }
    assert only(pinned, "databricks_permissions")["access_control"][0]["permission_level"] == "CAN_MANAGE"
    assert resources(pinned, "databricks_secret_scope") == {}
