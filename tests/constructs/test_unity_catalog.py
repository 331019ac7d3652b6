"""Unity Catalog grants on their own: non-authoritative, one per securable and principal, deduplicated."""

from __future__ import annotations

import pytest

from constructs_lib.principals import Principal
from constructs_lib.unity_catalog import UnityCatalog
from tests.helpers import resources

BOT = Principal.service_principal("${var.app_id}", "bot")


def _grants(stack):
    """(securable type, name, principal, privileges) for every databricks_grant."""
    found = set()
    for grant in stack["resource"]["databricks_grant"].values():
        (kind,) = {"catalog", "schema", "model"} & set(grant)
        found.add((kind, grant[kind], grant["principal"], tuple(grant["privileges"])))
    return found


def test_execute_on_models_brings_use_on_their_catalog_and_schema_once(bare_stack, synth):
    uc = UnityCatalog(bare_stack, "uc")
    catalog_grant, schema_grant, model_grant = uc.model("main.models.churn").grant_execute(BOT)
    again = uc.model("main.models.churn").grant_execute(BOT)
    uc.model("main.models.upsell").grant_execute(BOT)
    stack = synth(bare_stack)
    assert "databricks_grants" not in stack["resource"]
    assert _grants(stack) == {
        ("catalog", "main", "${var.app_id}", ("USE_CATALOG",)),
        ("schema", "main.models", "${var.app_id}", ("USE_SCHEMA",)),
        ("model", "main.models.churn", "${var.app_id}", ("EXECUTE",)),
        ("model", "main.models.upsell", "${var.app_id}", ("EXECUTE",)),
    }
    assert again == (catalog_grant, schema_grant, model_grant)


def test_more_privileges_for_one_principal_extend_its_one_grant(bare_stack, synth):
    uc = UnityCatalog(bare_stack, "uc")
    uc.model("main.monitoring.m").grant_execute(BOT)
    _, select = uc.schema("main.monitoring").grant_read_tables(BOT)
    group = Principal.group("ML Engineers")
    uc.catalog("main").grant_use(group)
    stack = synth(bare_stack)
    assert _grants(stack) == {
        ("catalog", "main", "${var.app_id}", ("USE_CATALOG",)),
        ("catalog", "main", "ML Engineers", ("USE_CATALOG",)),
        ("schema", "main.monitoring", "${var.app_id}", ("USE_SCHEMA", "SELECT")),
        ("model", "main.monitoring.m", "${var.app_id}", ("EXECUTE",)),
    }
    assert uc.schema("main.monitoring").grants == {BOT: ["USE_SCHEMA", "SELECT"]}
    assert select.friendly_unique_id in stack["resource"]["databricks_grant"]


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda uc: uc.model("main.churn"), "catalog.schema.model"),
        (lambda uc: uc.schema("main"), "catalog.schema"),
        (lambda uc: uc.catalog("main").grant(BOT), "at least one privilege"),
    ],
)
def test_misuse_is_a_clear_error(bare_stack, call, message):
    with pytest.raises(ValueError, match=message):
        call(UnityCatalog(bare_stack, "uc"))


def test_names_differing_only_in_case_are_one_securable_and_look_alikes_stay_distinct(bare_stack, synth):
    uc = UnityCatalog(bare_stack, "uc")
    assert uc.model("ml.Models.Churn") is uc.model("ml.models.churn")  # Unity Catalog names ignore case
    uc.model("ml.models.churn-a").grant_execute(BOT)
    uc.model("ml.models.churn_a").grant_execute(BOT)  # same construct label, different model
    grants = resources(synth(bare_stack), "databricks_grant")
    assert sorted(g["model"] for g in grants.values() if "model" in g) == ["ml.models.churn-a", "ml.models.churn_a"]
    assert len({k for k in grants if "model_ml_models_churn_a" in k}) == 2
