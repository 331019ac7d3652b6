"""ModelVersionLookup on its own: an alias or a pinned number becomes a version expression, "" if absent."""

from __future__ import annotations

import pytest
from cdktf import TerraformOutput

from constructs_lib.model_version_lookup import UNRESOLVED, ModelVersionLookup
from tests.helpers import only


def test_an_alias_is_looked_up_with_aliases_and_resolved_from_them(bare_stack, synth):
    lookup = ModelVersionLookup(bare_stack, "served", full_name="ml.models.churn", alias="champion", version=None)
    TerraformOutput(bare_stack, "version", value=lookup.version)
    stack = synth(bare_stack)
    model = only(stack, "databricks_registered_model", section="data")
    assert (model["full_name"], model["include_aliases"]) == ("ml.models.churn", True)
    (data_id,) = stack["data"]["databricks_registered_model"]
    (alias_local,) = stack["locals"]
    assert stack["locals"][alias_local] == "champion"  # a value in a local, never expression code
    aliases = f"data.databricks_registered_model.{data_id}.model_info[0].aliases"
    assert stack["output"]["version"]["value"] == (
        f'${{try(tostring(zipmap({aliases}[*].alias_name, {aliases}[*].version_num)[local.{alias_local}]), "")}}'
    )
    assert UNRESOLVED == ""


def test_a_pinned_version_resolves_only_if_the_model_has_it(bare_stack, synth):
    lookup = ModelVersionLookup(bare_stack, "served", full_name="ml.models.churn", alias=None, version="7")
    TerraformOutput(bare_stack, "version", value=lookup.version)
    stack = synth(bare_stack)
    assert only(stack, "databricks_registered_model_versions", section="data")["full_name"] == "ml.models.churn"
    (data_id,) = stack["data"]["databricks_registered_model_versions"]
    (version_local,) = stack["locals"]
    assert stack["locals"][version_local] == "7"
    numbers = f"data.databricks_registered_model_versions.{data_id}.model_versions[*].version"
    assert stack["output"]["version"]["value"] == (
        f'${{contains({numbers}, tonumber(local.{version_local})) ? local.{version_local} : ""}}'
    )


@pytest.mark.parametrize("alias, version", [("champion", "7"), (None, None)])
def test_exactly_one_of_alias_and_version(bare_stack, alias, version):
    with pytest.raises(ValueError, match="exactly one of alias and version"):
        ModelVersionLookup(bare_stack, "served", full_name="ml.models.churn", alias=alias, version=version)
