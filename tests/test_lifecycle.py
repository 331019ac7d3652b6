"""A day in an operator's life, with the real databricks provider against the local workspace.

For dev, staging and prod of the default config, dev of the variant with every optional feature
on (tests/config_variants.py, `features-on`), and each project of dev in the two-projects example
(config/examples/two-projects.yaml, `dev-churn` and `dev-fraud`, each in a workspace of its own, its
principal bound to an app of its own; tests/test_projects_workspace.py puts both in one workspace):
apply the databricks layer, then the serving layer, on a fresh workspace (no model version yet: no
endpoint); the training job registers a version and the deployment job sets the alias; apply the
serving layer (the endpoint is created); every deployer's plan of each layer shows no change; the
out-of-band changes the docs name give the documented plan (an entitlement removed by hand: nothing,
the provider cannot see it; the alias moves: the endpoint follows; a gateway feature switched on by
hand: the plan stops and says what to do); destroy leaves the workspace as it was, but for what must
survive (inference tables).

Each environment lives its day once per session (tests/lifecycle.py, `live_a_day`), two at a time;
the tests read what happened. The provider binary comes from the mirror (`make providers`); without
it these tests are skipped with the other real-provider checks, the reason given once.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.lifecycle import CI_PLAN_IDENTITY, ENTITLEMENTS, Day, deployers_of, live_a_day, ml_app

VARIANT_DAYS = {
    "features-on": ("features-on", "dev"),
    "dev-churn": ("two-projects", "dev-churn"),
    "dev-fraud": ("two-projects", "dev-fraud"),
}
"""Day -> (config variant, the label of its environment) for the days of a config variant (tests/config_variants.py)."""
DAYS = ("dev", "staging", "prod", *VARIANT_DAYS)
"""Environments of the default config, the features-on variant's dev, and both projects of the two-projects
example's dev."""
REVERTED = "dev-with-the-fixes-reverted"
"""dev, its stacks planted with the three shapes the lifecycle found failing (`_revert_fixes`)."""
SCALE_TO_ZERO_OFF = "dev-with-scale-to-zero-off"
"""dev, its served entity planted with `scale_to_zero_enabled = false`, which config refuses (`_scale_to_zero_off`)."""


def _revert_fixes(stacks: dict, deployer_names: set[str]) -> dict:
    """The stacks as they were before the lifecycle's three fixes: the deployed gateway counted with a
    bare `length()` (null when an endpoint has none), `apply_policy_default_values` on every job
    cluster, and ACLs that name no deployer (the owner and managers follow whoever applies)."""
    planted = json.loads(json.dumps(stacks))
    for local in planted["serving"]["locals"].values():
        if isinstance(local, dict) and str(local.get("gateway", "")).startswith("${(try(length("):
            local["gateway"] = (
                "${(length(" + local["gateway"].removeprefix("${(try(length(").removesuffix("), 0) > 0)}") + ") > 0)}"
            )
    for job in planted["databricks"]["resource"]["databricks_job"].values():
        for cluster in job["job_cluster"]:
            cluster["new_cluster"]["apply_policy_default_values"] = True
    for stack in planted.values():
        for acl in stack["resource"].get("databricks_permissions", {}).values():
            acl["access_control"] = [
                entry
                for entry in acl["access_control"]
                if entry.get("user_name") not in deployer_names
                and entry.get("service_principal_name") not in deployer_names
            ]
    return planted


def _scale_to_zero_off(stacks: dict, _deployer_names: set[str]) -> dict:
    """The serving stack as config would make it if it let `scale_to_zero: false` through."""
    planted = json.loads(json.dumps(stacks))
    for endpoint in planted["serving"]["resource"]["databricks_model_serving"].values():
        for entity in endpoint["config"]["served_entities"]:
            entity["scale_to_zero_enabled"] = False
    return planted


PLANTED = {REVERTED: _revert_fixes, SCALE_TO_ZERO_OFF: _scale_to_zero_off}


def _environment(name, default_config, variant_configs):
    """(the config, the environment's settings) of day `name` (a default environment or a `VARIANT_DAYS` key)."""
    variant, label = VARIANT_DAYS.get(name, (None, name))
    config = variant_configs[variant] if variant else default_config
    return config, next(e for e in config.environments if e.label == label)


@pytest.fixture(scope="session")
def days(
    request, provider_cli_config, default_config, default_stacks, variant_configs, variant_stacks, tmp_path_factory
):
    """Every day the collected tests read, lived two at a time on first use: name -> (Day, environment)."""
    collected = [item.nodeid for item in request.session.items if "test_lifecycle" in item.nodeid]
    wanted = [name for name in DAYS if any(f"[{name}]" in nodeid for nodeid in collected)]
    wanted += [name for name in PLANTED if any(name.replace("-", "_") in nodeid for nodeid in collected)]

    def live(name: str):
        day = name.split("-with-")[0]
        config, environment = _environment(day, default_config, variant_configs)
        stacks = variant_stacks if day in VARIANT_DAYS else default_stacks
        layers = {layer: stacks[f"{config.prefix}-{environment.label}-{layer}"] for layer in ("databricks", "serving")}
        if name in PLANTED:
            layers = PLANTED[name](layers, {d.databricks_name for d in environment.azure.deployers})
        folder = tmp_path_factory.mktemp(f"day-{name}")
        app = ml_app(environment.project)
        return live_a_day(environment, layers, provider_cli_config, folder, config.prefix, app), environment

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(live, name) for name in wanted}
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture(params=DAYS)
def day(request, days) -> tuple[Day, object]:
    """(what happened, the environment's settings) of one day."""
    lived, environment = days[request.param]
    lived.name = request.param
    return lived, environment


def test_the_first_applies_succeed_and_no_endpoint_exists_before_a_version_does(day):
    lived, _ = day
    for step in ("databricks: first apply", "serving: first apply"):
        assert lived.runs[step].code == 0, lived.runs[step]
    assert lived.endpoints["serving: first apply"] == []


def test_the_endpoint_is_created_once_the_deployment_job_has_set_the_alias(day):
    lived, environment = day
    run = lived.runs["serving: apply once a version exists"]
    assert run.code == 0, run
    assert lived.endpoints["serving: apply once a version exists"] == [environment.databricks.serving.name]


def test_a_scheduled_batch_inference_stays_paused_until_the_model_can_serve(day):
    """docs/ml-workflows.md: a fresh environment is quiet until training and deployment have run;
    the deploy that creates the endpoint (or the heartbeat) unpauses the batch job. A batch job with no
    schedule (the two-projects example's dev) is sent without one and has nothing to unpause."""
    lived, environment = day
    (batch,) = [b for b in _sent(lived, "POST", "/api/2.2/jobs/create") if b["name"].endswith("-batch-inference")]
    scheduled = environment.databricks.workflows.batch_inference.schedule is not None
    unpaused = (
        scheduled and environment.tier != "dev" and any(m.alias for m in environment.databricks.serving.served_models)
    )
    if scheduled:
        assert batch["schedule"]["pause_status"] == "PAUSED"
    else:
        assert "schedule" not in batch
    planned = lived.runs["databricks: plan once the model can serve"]
    if unpaused:
        assert planned.code == 2, planned
        assert re.search(r'pause_status +\= "PAUSED" -> "UNPAUSED"', planned.output)
        assert "Plan: 0 to add, 1 to change, 0 to destroy." in planned.output
    else:
        assert planned.code == 0, planned
    assert lived.runs["databricks: apply once the model can serve"].code == 0


def test_every_deployers_next_plan_of_each_layer_shows_no_change(day):
    """... and CI's plan identity's, an admin that no ACL names (docs/ci-cd.md: Who can do what)."""
    lived, environment = day
    for deployer in [*deployers_of(environment), CI_PLAN_IDENTITY]:
        for layer in ("databricks", "serving"):
            run = lived.runs[f"{layer}: next plan by {deployer.name}"]
            assert run.code == 0, run


def test_an_entitlement_removed_by_hand_is_invisible_to_the_plan(day):
    """docs/access.md (How the principal's "role" is expressed): provider 1.99.0 reads entitlements only as
    true (terraform-provider-databricks #4104), so `make drift` cannot see this; preflight can."""
    lived, _ = day
    run = lived.runs["databricks: plan after an entitlement is removed by hand"]
    assert run.code == 0, run


def test_when_the_alias_moves_the_next_plan_serves_where_it_points(day):
    lived, environment = day
    if not any(m.alias for m in environment.databricks.serving.served_models):
        pytest.skip(f"{lived.name} pins its served versions: no alias to move")
    moved = lived.runs["serving: plan after the alias moves"]
    assert moved.code == 2, moved
    assert 'entity_version              = "1" -> "2"' in moved.output
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in moved.output
    assert lived.runs["serving: apply after the alias moves"].code == 0
    assert lived.runs["serving: plan after following the alias"].code == 0, lived.runs[
        "serving: plan after following the alias"
    ]


def test_a_gateway_feature_switched_on_by_hand_stops_the_plan_with_what_to_do(day):
    lived, _ = day
    step = "serving: plan after a gateway feature is switched on by hand"
    if step not in lived.runs:
        pytest.skip(f"{lived.name}'s config has every AI gateway feature on")
    run = lived.runs[step]
    assert run.code == 1, run
    assert "Resource precondition failed" in run.output
    assert "switch it off in the workspace" in " ".join(run.output.split())


def test_a_new_ml_lts_is_planned_and_any_deployer_applies_it(day):
    """docs/ml-workflows.md (ML runtime): the lookup takes the newest ML LTS at every plan; a pinned runtime stays. The
    last deployer applies it to a cluster another one created (no secret in its Spark conf: config
    keeps `cluster.adls` to one deployer, terraform-provider-databricks #2543)."""
    lived, environment = day
    planned = lived.runs["databricks: plan after a new ML LTS is released"]
    if environment.databricks.cluster.spark_version:
        assert planned.code == 0, planned
    else:
        assert planned.code == 2, planned
        assert re.search(r'spark_version +\= "17.3.x-cpu-ml-scala2.13" -> "18.3.x-cpu-ml-scala2.13"', planned.output)
        assert "Plan: 0 to add, 5 to change, 0 to destroy." in planned.output  # the cluster, the policy, 3 jobs
    applied = lived.runs["databricks: apply of the new runtime by the last deployer"]
    assert applied.code == 0, applied
    assert lived.runs["databricks: plan after the new runtime"].code == 0, lived.runs[
        "databricks: plan after the new runtime"
    ]


def test_destroy_leaves_the_workspace_as_it_was_but_for_inference_tables(day):
    lived, _ = day
    for step in ("serving: destroy", "databricks: destroy"):
        assert lived.runs[step].code == 0, lived.runs[step]
    survivors = {
        key: value
        for key, value in lived.after["securables"].items()
        if key not in lived.before["securables"] and key.startswith("('table'") and key.endswith("_payload')")
    }
    after = {**lived.after, "securables": {k: v for k, v in lived.after["securables"].items() if k not in survivors}}
    assert after == lived.before


def test_make_smoke_after_the_deploy_finds_nothing_missing(day):
    """`make smoke` (ops/preflight/after_deploy.py) as the first deployer: entitlements as configured,
    the scope lists the vault's secret, the jobs run as the principal, the endpoint is ready."""
    lived, environment = day
    report = lived.smoke["after the deploy"]
    assert report.problems == []
    assert f"serving endpoint '{environment.databricks.serving.name}' is ready" in report.passed
    assert any(
        line.endswith(f"lists '{environment.azure.key_vault.secret_name}': Databricks reads the vault")
        for line in report.passed
    )
    assert sum("runs as the ML principal" in line for line in report.passed) == len(
        environment.databricks.workflows.jobs()
    )


def test_make_smoke_sees_the_entitlement_the_plan_cannot(day):
    lived, _ = day
    (problem,) = lived.smoke["after an entitlement is removed by hand"].problems
    assert "which config gives it: removed by hand? The plan cannot see it" in problem


def test_the_workspace_answered_every_call_the_provider_made(day):
    lived, _ = day
    assert lived.workspace.unhandled == []
    assert lived.workspace.faults == []


# --- what the provider sends, where the docs rely on it ------------------------------------------


def _sent(lived: Day, method: str, path: str) -> list[dict]:
    return [r.body for r in lived.workspace.requests if r.method == method and r.path == path]


def test_every_served_entity_is_sent_with_scale_to_zero_on(day):
    """docs/serving.md (Scale to zero): true is the only value provider 1.99.0 sends (#3946)."""
    lived, environment = day
    created = _sent(lived, "POST", "/api/2.0/serving-endpoints")
    updated = _sent(lived, "PUT", f"/api/2.0/serving-endpoints/{environment.databricks.serving.name}/config")
    entities = [e for body in created for e in body["config"]["served_entities"]]
    entities += [e for body in updated for e in body["served_entities"]]
    assert entities and all(e["scale_to_zero_enabled"] is True for e in entities)


def test_the_ai_gateway_is_sent_as_configured_on_the_custom_model_endpoint(day):
    """docs/serving.md (AI gateway): provider 1.99.0's docs say only external model
    endpoints take `ai_gateway`; it sends it for this custom-model endpoint all the same, exactly as
    configured, and Databricks documents gateway features for custom model endpoints."""
    lived, environment = day
    (created,) = _sent(lived, "POST", "/api/2.0/serving-endpoints")
    gateway = environment.databricks.serving.ai_gateway
    expected: dict = {}
    if gateway is not None and gateway.inference_table is not None:
        table = gateway.inference_table
        expected["inference_table_config"] = {
            "enabled": True,
            "catalog_name": table.catalog,
            "schema_name": table.schema_name,
            **({"table_name_prefix": table.table_prefix} if table.table_prefix else {}),
        }
    if gateway is not None and gateway.usage_tracking:
        expected["usage_tracking_config"] = {"enabled": True}
    if gateway is not None and gateway.rate_limits:
        expected["rate_limits"] = [
            {"calls": r.calls, "key": r.key, "renewal_period": r.renewal_period} for r in gateway.rate_limits
        ]
    assert created.get("ai_gateway", {}) == expected


def test_every_job_is_sent_to_run_as_the_ml_principal(day):
    """... the principal bound to the environment's own app (each project's own, `ml_app`)."""
    lived, environment = day
    created = _sent(lived, "POST", "/api/2.2/jobs/create")
    assert len(created) == len(environment.databricks.workflows.jobs())
    assert {body["run_as"]["service_principal_name"] for body in created} == {ml_app(environment.project).client_id}


def test_the_scope_is_sent_as_backed_by_the_configured_vault(day):
    lived, environment = day
    (body,) = _sent(lived, "POST", "/api/2.0/secrets/scopes/create")
    vault = environment.azure.key_vault.name
    assert body["scope_backend_type"] == "AZURE_KEYVAULT"
    assert body["backend_azure_keyvault"]["dns_name"] == f"https://{vault}.vault.azure.net/"
    assert body["backend_azure_keyvault"]["resource_id"].endswith(f"/providers/Microsoft.KeyVault/vaults/{vault}")


def test_entitlements_the_config_turns_on_are_sent(day):
    lived, environment = day
    (body,) = _sent(lived, "POST", "/api/2.0/preview/scim/v2/ServicePrincipals")
    wanted = {
        value
        for field, value in ENTITLEMENTS.items()
        if getattr(environment.databricks.service_principal.entitlements, field)
    }
    assert {e.get("value") for e in body["entitlements"] if e.get("value")} == wanted


# --- the lifecycle fails on each of the three day-two failures it was built to find ---------------


def test_dev_with_the_fixes_reverted_fails_on_each_of_the_three(days):
    """1: the serving plan fails once the endpoint exists (a gateway listed as null); 2: every plan
    shows the jobs' apply_policy_default_values changing; 3: the other deployer's plan shows the
    first one's apply (job owner, cluster and endpoint managers) as drift."""
    lived, environment = days[REVERTED]
    first, second = deployers_of(environment)[:2]
    gateway = lived.runs[f"serving: next plan by {first.name}"]
    assert gateway.code == 1 and "argument must not be null" in gateway.output, gateway
    policy = lived.runs[f"databricks: next plan by {first.name}"]
    assert policy.code == 2 and "apply_policy_default_values              = false -> true" in policy.output, policy
    owner = lived.runs[f"databricks: next plan by {second.name}"]
    assert owner.code == 2, owner
    assert (
        f'- permission_level       = "IS_OWNER" -> null\n          - user_name              = "{first.name}" -> null'
        in owner.output
    )


def test_dev_with_scale_to_zero_off_cannot_update_its_endpoint(days):
    """Why config refuses `scale_to_zero: false`: provider 1.99.0 drops the false (omitempty in
    databricks-sdk-go v0.93.0, #3946), the create goes through, and the first update, here the alias
    moving, is refused by the API."""
    lived, _ = days[SCALE_TO_ZERO_OFF]
    (created,) = _sent(lived, "POST", "/api/2.0/serving-endpoints")
    assert all("scale_to_zero_enabled" not in e for e in created["config"]["served_entities"])
    moved = lived.runs["serving: apply after the alias moves"]
    assert moved.code == 1, moved
    assert "scaleToZeroEnabled is undefined. Please set it to either true or false." in moved.output
