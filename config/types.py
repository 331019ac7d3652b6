"""The constrained types every config section is built from, and the `Strict` base model.

Each type says what it allows in words (a `Rule` whose text generators/config_reference.py shows
in docs/configuration.md) and enforces it with a validator whose message repeats those words, so a user reads
the same rule in the docs and in an error. Rules that come from Azure and Databricks (name
formats, ranges, resource ids) live here, once; sections in the other modules only combine them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import core_schema

from .azure_regions import AZURE_REGIONS, SOVEREIGN_CLOUD_REGIONS
from .text import shorten

TIERS = ("dev", "staging", "prod")
Tier = Literal["dev", "staging", "prod"]


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, values are immutable, no coercion
    (a YAML `true` is not the integer 1, "3" is not 3), and each field's docstring is its
    documentation (the config reference (docs/configuration.md) is generated from it)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, strict=True, use_attribute_docstrings=True
    )


@dataclass(frozen=True)
class Rule:
    """A constrained type's rule: `check` runs after the base type's validation (it raises ValueError
    with a message saying what to change), `allowed` says the rule in words for the config
    reference. Used as `Annotated[str, Rule(...)]`, a plain type alias for pydantic and type checkers."""

    allowed: str
    check: Callable[[Any], Any]

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_after_validator_function(self.check, handler(source))


def checked(check: Callable[[Any], Any], allowed: str) -> Rule:
    """A rule enforced by `check`."""
    return Rule(allowed, check)


def pattern(regex: str, allowed: str) -> Rule:
    """A rule: the whole string must match `regex` (ASCII classes); the error repeats `allowed`."""
    compiled = re.compile(regex, re.ASCII)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"invalid value {shorten(value)}: {allowed}")
        return value

    return Rule(allowed, check)


def _lower(value: str) -> str:
    return value.lower()


Guid = Annotated[
    str,
    pattern(
        r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
        "must be a GUID such as 00000000-0000-0000-0000-000000000000",
    ),
]
LowerGuid = Annotated[Guid, AfterValidator(_lower)]

ENVIRONMENT_NAME_PATTERN = r"[a-z][a-z0-9]{0,15}"
ENVIRONMENT_NAME_RULE = "1-16 lowercase letters and digits, starting with a letter"
EnvironmentName = Annotated[str, pattern(ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE)]
Prefix = Annotated[str, pattern(r"[a-z][a-z0-9]{1,19}", "2-20 lowercase letters and digits, starting with a letter")]

# Entra ID / Databricks display names and workspace group names (control characters are refused
# for every string in config/text.py).
DisplayName = Annotated[str, pattern(r".{1,120}", "1-120 characters")]
# The databricks layer finds the app registration by this name in an OData filter
# (`displayName eq '<name>'`, azuread 3.7.0): a quote would end the string literal.
ApplicationDisplayName = Annotated[str, pattern(r"[^']{1,120}", '1-120 characters without "\'"')]
GroupName = Annotated[str, pattern(r"[^/]{1,256}", "1-256 characters without '/'")]
# A Databricks user name: the user's Entra ID user principal name, in lower case. The workspace answers
# user names lower-cased and provider 1.99.0 compares them case-sensitively, so an ACL entry in another
# case would show as a change on every plan (terraform-provider-databricks #5183, fixed after 1.99.0).
DatabricksUserName = Annotated[
    str,
    pattern(
        r"[a-z0-9._'!#^~+-]{1,64}@[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})*\.[a-z]{2,63}",
        "a user principal name in lower case, such as ana@contoso.com (Databricks answers user names lower-cased)",
    ),
]

# Terraform Cloud names.
TfcName = Annotated[str, pattern(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}", "1-40 letters, digits, '-' and '_'")]
# tfe_project names, as the tfe provider (v0.71.0, resource_tfe_project.go) validates them.
TfcProjectName = Annotated[
    str,
    pattern(
        r"(?=.{3,40}\Z)[\w\-][\w\- ]+[\w\-]",
        "3-40 letters, digits, '_', '-' and spaces, not starting or ending with a space",
    ),
]
TerraformVersion = Annotated[str, pattern(r"[0-9]+\.[0-9]+\.[0-9]+", "a Terraform version such as 1.11.4")]

# Azure names.
ResourceGroupName = Annotated[
    str, pattern(r"[-\w.()]{0,89}[-\w()]", "1-90 letters, digits, '_', '-', '.', '(' and ')', not ending in '.'")
]
StorageAccountName = Annotated[str, pattern(r"[a-z0-9]{3,24}", "3-24 lowercase letters and digits")]
StorageContainerName = Annotated[
    str, pattern(r"(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*", "3-63 lowercase letters, digits and single hyphens")
]
# Key Vault secret names double as Databricks secret keys.
SecretName = Annotated[str, pattern(r"[A-Za-z0-9-]{1,127}", "1-127 letters, digits and hyphens")]


def _check_key_vault_name(value: str) -> str:
    # https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#vault-name-and-managed-hsm-pool-name
    if not 3 <= len(value) <= 24:
        raise ValueError(f"Key Vault names are 3-24 characters long (got {len(value)})")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]", value, re.ASCII) or "--" in value:
        raise ValueError(
            "Key Vault names use letters, digits and single hyphens, start with a letter and end with a letter or digit"
        )
    return value


KeyVaultName = Annotated[
    str, checked(_check_key_vault_name, "3-24 letters, digits and single hyphens, globally unique")
]


PUBLIC_CLOUD_ONLY = (
    "this app deploys to the Azure public cloud only (its providers use the public environment, and the "
    "vault's URI and private DNS zone are the public cloud's)"
)


def _check_region(value: str) -> str:
    if value in SOVEREIGN_CLOUD_REGIONS:
        raise ValueError(f"{value} is a region of a sovereign cloud; {PUBLIC_CLOUD_ONLY}")
    if value not in AZURE_REGIONS:
        close = [r for r in sorted(AZURE_REGIONS) if r[:4] == value[:4].lower()][:4]
        hint = f"; did you mean {', '.join(close)}?" if close else "; see config/azure_regions.py"
        raise ValueError(f"{shorten(value)} is not an Azure region name (lowercase, no spaces, e.g. westeurope){hint}")
    return value


AzureRegion = Annotated[
    str,
    checked(_check_region, "an Azure public-cloud region name such as westeurope (config/azure_regions.py)"),
]

# Databricks names.
SecretScopeName = Annotated[str, pattern(r"[A-Za-z0-9_.-]{1,128}", "1-128 letters, digits, '-', '_' and '.'")]
EndpointName = Annotated[str, pattern(r"[A-Za-z0-9_-]{1,63}", "1-63 letters, digits, '-' and '_'")]
UC_PART = re.compile(r"\w[\w-]{0,254}", re.ASCII)
"""One Unity Catalog name: at most 255 characters (Databricks, "Names": Unity Catalog object names), here
letters, digits, '_' and '-' (no '.', space, '/' or control character, which Unity Catalog refuses too)."""


def uc_name(shape: str) -> Rule:
    """A rule for a dotted Unity Catalog name of `shape`, e.g. `catalog.schema.model`: as many parts,
    each a name Unity Catalog takes (UC_PART)."""
    count = shape.count(".") + 1

    def check(value: str) -> str:
        parts = value.split(".")
        if len(parts) != count or not all(UC_PART.fullmatch(p) for p in parts):
            raise ValueError(
                f"invalid value {shorten(value)}: a Unity Catalog name {shape}, each part 1-255 letters, digits, "
                "'_' and '-'"
            )
        return value

    return Rule(f"a Unity Catalog name {shape}, each part 1-255 letters, digits, '_' and '-'", check)


UcModelName = Annotated[str, uc_name("catalog.schema.model")]
UcIdentifier = Annotated[str, uc_name("name")]
EnvVarName = Annotated[str, pattern(r"[A-Za-z_][A-Za-z0-9_]*", "letters, digits and '_', not starting with a digit")]
ModelVersion = Annotated[str, pattern(r"[1-9][0-9]*", "a model version number such as 3")]


def _check_model_alias(value: str) -> str:
    # MLflow reserves `latest` and `v<number>` (they name versions in models:/ URIs); Unity Catalog
    # names the alias in a URL path segment (PUT .../models/{full_name}/aliases/{alias}).
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{0,254}", value, re.ASCII):
        raise ValueError(
            f"invalid alias {shorten(value)}: 1-255 letters, digits and '_', starting with a letter, e.g. champion"
        )
    if value.lower() == "latest" or re.fullmatch(r"[vV][0-9]+", value):
        raise ValueError(f"{value!r} is reserved by MLflow for versions; name the alias, e.g. champion")
    return value


ModelAlias = Annotated[
    str,
    checked(
        _check_model_alias,
        "a Unity Catalog model alias such as champion: 1-255 letters, digits and '_', starting with a letter, "
        "not `latest` or `v<number>`",
    ),
]
RuntimeKey = Annotated[
    str, pattern(r"[0-9]+\.[0-9]+\.x-[a-z0-9-]+-scala[0-9.]+", "a runtime key such as 15.4.x-cpu-ml-scala2.12")
]
VmSize = Annotated[
    str,
    pattern(
        r"Standard_[A-Za-z0-9]+(?:_[A-Za-z0-9]+)*",
        "an Azure VM size as Azure spells it, Standard_<size>, e.g. Standard_D4ds_v5",
    ),
]
PipRequirement = Annotated[
    str, pattern(r"[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~ ]*", "a pip requirement such as mlflow==2.19.0")
]


def _check_state_folder(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_./-]+", value, re.ASCII):
        raise ValueError(f"invalid value {shorten(value)}: a folder path of letters, digits, '_', '.', '/' and '-'")
    if ".." in value.split("/"):
        raise ValueError(
            f"{shorten(value)} climbs out of the project with '..'; a relative folder is inside the project "
            "(e.g. state): write an absolute path if the state must live elsewhere"
        )
    return value


StateFolder = Annotated[
    str,
    checked(
        _check_state_folder,
        "a folder path of letters, digits, '_', '.', '/' and '-'; relative to the project root with no '..' "
        "segment, or absolute",
    ),
]
