"""OwnedRegisteredModel on its own: a Unity Catalog model created with the owner that trains it."""

from __future__ import annotations

import pytest

from constructs_lib.registered_model import OwnedRegisteredModel, OwnedRegisteredModelProps
from tests.helpers import only, strip_metadata


def test_model_is_created_in_its_schema_and_owned_by_the_given_principal(bare_stack, synth):
    model = OwnedRegisteredModel(
        bare_stack, "model", OwnedRegisteredModelProps("ml_dev.models.churn", "11111111-1111-1111-1111-111111111111")
    )
    stack = synth(bare_stack)
    assert strip_metadata(only(stack, "databricks_registered_model")) == {
        "catalog_name": "ml_dev",
        "schema_name": "models",
        "name": "churn",
        "owner": "11111111-1111-1111-1111-111111111111",
    }
    assert model.full_name.startswith("${TfToken[")


def test_a_name_without_three_parts_is_an_error(bare_stack):
    with pytest.raises(ValueError, match=r"catalog\.schema\.model"):
        OwnedRegisteredModel(bare_stack, "model", OwnedRegisteredModelProps("ml_dev.churn", "x"))
