"""Which version of a Unity Catalog model an alias (or a pinned number) names, read at every plan.

The serving endpoint follows the registry instead of config: the ML team's deployment job moves an
alias (e.g. `champion`), and the next plan reads where it points. Nothing here creates anything.

Sources, databricks 1.99.0:
- `data.databricks_registered_model` with `include_aliases = true`
  (internal/providers/pluginfw/products/registered_model/data_registered_model.go) calls
  `GET /api/2.1/unity-catalog/models/{full_name}?include_aliases=true`; `model_info[0].aliases` is a
  list of `{alias_name, version_num}` (an empty list when no alias is set).
- `data.databricks_registered_model_versions` (data_registered_model_versions.go) lists the versions;
  `model_versions[*].version` are numbers.
Both fail the plan when the model itself does not exist (the app creates the workflows' model in the
databricks stack, applied before the serving stack reads it).
"""

from __future__ import annotations

from cdktf import Fn, Op, TerraformLocal, Token
from cdktf_cdktf_provider_databricks.data_databricks_registered_model import DataDatabricksRegisteredModel
from cdktf_cdktf_provider_databricks.data_databricks_registered_model_versions import (
    DataDatabricksRegisteredModelVersions,
)
from constructs import Construct

UNRESOLVED = ""
"""What `ModelVersionLookup.version` evaluates to while the alias is unset or the version does not exist."""


class ModelVersionLookup(Construct):
    """Attributes: `version`, an expression: the version number as text, or `UNRESOLVED` ("");
    `resolved`, a boolean expression: `version` names an existing version.

    Exactly one of `alias` and `version`. The alias and the pinned number are plain values in a
    local (config strings never become expression code); the lookup expression is built here."""

    def __init__(self, scope: Construct, construct_id: str, *, full_name: str, alias: str | None, version: str | None):
        super().__init__(scope, construct_id)
        if (alias is None) == (version is None):
            raise ValueError("ModelVersionLookup takes exactly one of alias and version")
        if alias is not None:
            model = DataDatabricksRegisteredModel(self, "model", full_name=full_name, include_aliases=True)
            wanted = TerraformLocal(self, "alias", alias)
            aliases = model.model_info.get(0).aliases
            by_alias = Fn.zipmap(
                Token.as_list(Fn.lookup_nested(aliases, ["*", "alias_name"])),
                Token.as_list(Fn.lookup_nested(aliases, ["*", "version_num"])),
            )
            resolved = Fn.try_([Fn.tostring(Fn.lookup(by_alias, wanted.as_string, UNRESOLVED)), UNRESOLVED])
        else:
            versions = DataDatabricksRegisteredModelVersions(self, "versions", full_name=full_name)
            wanted = TerraformLocal(self, "version", version)
            numbers = Token.as_list(Fn.lookup_nested(versions.model_versions, ["*", "version"]))
            resolved = Fn.conditional(Fn.contains(numbers, Fn.tonumber(wanted.as_string)), wanted.as_string, UNRESOLVED)
        self.version: str = Token.as_string(resolved)
        self.resolved: str = Token.as_string(Op.gt(Fn.length_of(self.version), Token.as_number("0")))
