"""The constrained types every config section is built from, and the `Strict` base model.

Each type says what it allows in words (a `Rule` whose text tools/config_reference.py shows
in the README) and enforces it with a validator whose message repeats those words, so a user reads
the same rule in the README and in an error. Rules that come from Azure and Databricks (name
formats, ranges, resource ids) live here, once; sections in the other modules only combine them.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, GetCoreSchemaHandler, StringConstraints
from pydantic_core import core_schema

from .azure_regions import AZURE_REGIONS
from .text import shorten

TIERS = ("dev", "staging", "prod")
Tier = Literal["dev", "staging", "prod"]


class Strict(BaseModel):
    """Base for every config section: unknown keys are errors, values are immutable, no coercion
    (a YAML `true` is not the integer 1, "3" is not 3), and each field's docstring is its
    documentation (the README's config reference is generated from it)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, strict=True, use_attribute_docstrings=True
    )


@dataclass(frozen=True)
class Rule:
    """A constrained type's rule: `check` runs after the base type's validation (it raises ValueError
    with a message saying what to change), `allowed` says the rule in words for the README's config
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
GroupName = Annotated[str, pattern(r"[^/]{1,256}", "1-256 characters without '/'")]

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


def _check_region(value: str) -> str:
    if value not in AZURE_REGIONS:
        close = [r for r in sorted(AZURE_REGIONS) if r[:4] == value[:4].lower()][:4]
        hint = f"; did you mean {', '.join(close)}?" if close else "; see config/azure_regions.py"
        raise ValueError(f"{shorten(value)} is not an Azure region name (lowercase, no spaces, e.g. westeurope){hint}")
    return value


AzureRegion = Annotated[
    str, checked(_check_region, "an Azure region name such as westeurope (config/azure_regions.py)")
]

# Databricks names.
SecretScopeName = Annotated[str, pattern(r"[A-Za-z0-9_.-]{1,128}", "1-128 letters, digits, '-', '_' and '.'")]
EndpointName = Annotated[str, pattern(r"[A-Za-z0-9_-]{1,63}", "1-63 letters, digits, '-' and '_'")]
UcModelName = Annotated[
    str, pattern(r"\w[\w-]*\.\w[\w-]*\.\w[\w-]*", "a Unity Catalog model name: catalog.schema.model")
]
UcIdentifier = Annotated[str, pattern(r"\w[\w-]{0,254}", "a Unity Catalog name: letters, digits, '_' and '-'")]
EnvVarName = Annotated[str, pattern(r"[A-Za-z_][A-Za-z0-9_]*", "letters, digits and '_', not starting with a digit")]
ModelVersion = Annotated[str, pattern(r"[1-9][0-9]*", "a model version number such as 3")]
RuntimeKey = Annotated[
    str, pattern(r"[0-9]+\.[0-9]+\.x-[a-z0-9-]+-scala[0-9.]+", "a runtime key such as 15.4.x-cpu-ml-scala2.12")
]
VmSize = Annotated[str, pattern(r"[A-Za-z0-9_]+", "an Azure VM size such as Standard_D4ds_v5")]
PipRequirement = Annotated[
    str, pattern(r"[A-Za-z0-9][A-Za-z0-9._\-\[\],<>=!~ ]*", "a pip requirement such as mlflow==2.19.0")
]
FolderPath = Annotated[str, pattern(r"[A-Za-z0-9_./-]+", "a folder path of letters, digits, '_', '.', '/' and '-'")]

# --- tags ---------------------------------------------------------------------------------------
# Azure: at most 50 per resource, key <= 512 characters without <>%&\?/, value <= 256; tag names are
# case-insensitive in Azure, so keys differing only in case collide.
TagKey = Annotated[
    str, pattern(r"[^<>%&\\?/]{1,512}", "1-512 characters without '<', '>', '%', '&', '\\', '?' and '/'")
]
TagValue = Annotated[str, StringConstraints(max_length=256)]


def tags(max_count: int, why: str) -> Rule:
    """A tag map of at most `max_count` entries with case-insensitively unique keys."""

    def check(value: dict[str, str]) -> dict[str, str]:
        if len(value) > max_count:
            raise ValueError(f"at most {max_count} tags ({why}); got {len(value)}")
        seen: dict[str, str] = {}
        for key in value:
            if key.lower() in seen:
                raise ValueError(
                    f"tag keys {shorten(seen[key.lower()])} and {shorten(key)} differ only in case; Azure treats them as one"
                )
            seen[key.lower()] = key
        return value

    return Rule(f"map of at most {max_count} tags; keys unique ignoring case, values <= 256 characters", check)


# The stacks add 'environment' and 'managed-by' to the Azure tags; 'environment' to the others.
AzureTags = Annotated[
    dict[TagKey, TagValue], tags(48, "Azure allows 50 per resource and the app adds 'environment' and 'managed-by'")
]
ClusterTags = Annotated[
    dict[TagKey, TagValue],
    tags(44, "Azure allows 50 per VM; the app adds 'environment' and Azure Databricks its default tags"),
]
EndpointTags = Annotated[dict[TagKey, TagValue], tags(49, "the app adds 'environment'")]

# --- hosts --------------------------------------------------------------------------------------
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOST_NAME = re.compile(rf"(?=.{{4,253}}$)(?:{_LABEL}\.)+[a-z]{{2,63}}", re.ASCII)
# Azure Databricks workspace URLs, in the public, US Government and China clouds.
DATABRICKS_DOMAINS = (".azuredatabricks.net", ".databricks.azure.us", ".databricks.azure.cn")


def _check_host_name(value: str) -> str:
    if not HOST_NAME.fullmatch(value.lower()):
        raise ValueError(
            f"invalid host name {shorten(value)}: dot-separated labels of letters, digits and '-', e.g. app.terraform.io"
        )
    return value.lower()


def _check_workspace_url(value: str) -> str:
    match = re.fullmatch(r"https://([^/]+)/?", value, re.ASCII)
    host = match.group(1).lower() if match else ""
    if not match or not HOST_NAME.fullmatch(host):
        raise ValueError(
            "must be the workspace URL as https://<host> with no path, "
            "e.g. https://adb-1234567890123456.7.azuredatabricks.net"
        )
    if not host.endswith(DATABRICKS_DOMAINS):
        raise ValueError(
            f"{shorten(host)} is not an Azure Databricks workspace host (*{', *'.join(DATABRICKS_DOMAINS)})"
        )
    return f"https://{host}"


HostName = Annotated[str, checked(_check_host_name, "a host name such as app.terraform.io")]
WorkspaceUrl = Annotated[
    str, checked(_check_workspace_url, "https://<workspace host> (*.azuredatabricks.net), no path")
]

# --- Azure resource ids -------------------------------------------------------------------------
_GUID = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
_RESOURCE_GROUP = r"[-\w.()]{0,89}[-\w()]"


def resource_id_regex(provider_path: str) -> re.Pattern[str]:
    """/subscriptions/<guid>/resourceGroups/<rg>/providers/<provider_path> (a regex for the tail)."""
    return re.compile(
        rf"/subscriptions/{_GUID}/resourceGroups/{_RESOURCE_GROUP}/providers/{provider_path}", re.ASCII | re.IGNORECASE
    )


def azure_resource_id(provider_path: str, shown: str) -> Rule:
    """The id of one kind of Azure resource: /subscriptions/<guid>/resourceGroups/<rg>/providers/<provider_path>.

    `provider_path` is a regex for the part after `/providers/`; `shown` is that part in words."""
    compiled = resource_id_regex(provider_path)
    allowed = f"/subscriptions/<guid>/resourceGroups/<rg>/providers/{shown}"

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise ValueError(f"must be a resource id {allowed}")
        return value

    return Rule(allowed, check)


WorkspaceResourceId = Annotated[
    str,
    azure_resource_id(
        r"Microsoft\.Databricks/workspaces/[A-Za-z0-9_-]{3,64}", "Microsoft.Databricks/workspaces/<name>"
    ),
]

# --- vault firewall -----------------------------------------------------------------------------
# Special-purpose IPv4 space (RFC 6890) that can never be a deployer's public egress address.
# The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) stay allowed: the
# embedded default uses them as placeholders.
_NOT_PUBLIC = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
    )
]
WIDEST_IP_RULE = 16
"""The widest firewall range accepted: an office, VPN or runner egress range is far narrower."""


def _check_ip_rule(value: str) -> str:
    try:
        network = ipaddress.ip_network(value, strict=True)
    except ValueError:
        raise ValueError(f"{shorten(value)} is not an IPv4 address or CIDR range (host bits must be zero)") from None
    if network.version != 4:
        raise ValueError(f"{shorten(value)}: Key Vault firewall rules accept IPv4 only")
    # Key Vault refuses private ranges in IP rules: private traffic belongs on a private endpoint.
    overlap = next((reserved for reserved in _NOT_PUBLIC if network.overlaps(reserved)), None)
    if overlap is not None:
        raise ValueError(
            f"{shorten(value)} is not a public range (it overlaps {overlap}); Key Vault IP rules accept public IPv4 only"
        )
    if network.prefixlen < WIDEST_IP_RULE:
        raise ValueError(
            f"{shorten(value)} is wider than /{WIDEST_IP_RULE}; allow only the egress ranges that run Terraform"
        )
    # Azure stores a single address without '/32'; writing it that way avoids a perpetual plan diff.
    return str(network.network_address) if network.prefixlen == 32 else str(network)


IpRule = Annotated[str, checked(_check_ip_rule, f"public IPv4 address or CIDR range, /{WIDEST_IP_RULE} or narrower")]
