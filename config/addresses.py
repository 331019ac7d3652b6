"""Addresses in the config: host names, the workspace's resource id and the vault firewall's IP ranges.

The same `Rule` pattern as config/types.py: each type enforces its rule and says it in words.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated

from .resource_ids import Name, ResourceType, azure_resource_id
from .text import shorten
from .types import PUBLIC_CLOUD_ONLY, checked

# --- hosts --------------------------------------------------------------------------------------
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
HOST_NAME = re.compile(rf"(?=.{{4,253}}$)(?:{_LABEL}\.)+[a-z]{{2,63}}", re.ASCII)
# Azure Databricks workspace URLs of the public cloud; the US Government and China ones are refused by name.
DATABRICKS_DOMAINS = (".azuredatabricks.net",)
SOVEREIGN_DATABRICKS_DOMAINS = (".databricks.azure.us", ".databricks.azure.cn")
WORKSPACE_HOST = re.compile(r"adb-[0-9]{1,19}\.[0-9]{1,3}\.azuredatabricks\.net", re.ASCII)
"""A workspace's own host (per-workspace URL); regional hosts and the account console name no workspace."""


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
    if host.endswith(SOVEREIGN_DATABRICKS_DOMAINS):
        raise ValueError(f"{shorten(host)} is a workspace of a sovereign cloud; {PUBLIC_CLOUD_ONLY}")
    if not host.endswith(DATABRICKS_DOMAINS):
        raise ValueError(
            f"{shorten(host)} is not an Azure Databricks workspace host (*{', *'.join(DATABRICKS_DOMAINS)})"
        )
    if host == "accounts.azuredatabricks.net":
        raise ValueError(
            "accounts.azuredatabricks.net is the account console, not a workspace: give the workspace's URL, "
            "https://adb-<workspace id>.<n>.azuredatabricks.net (Azure portal > the workspace > URL)"
        )
    if not WORKSPACE_HOST.fullmatch(host):
        raise ValueError(
            f"{shorten(host)} is not a workspace's own URL: Azure Databricks names each workspace "
            "adb-<workspace id>.<n>.azuredatabricks.net (Azure portal > the workspace > URL)"
        )
    return f"https://{host}"


HostName = Annotated[str, checked(_check_host_name, "a host name such as app.terraform.io")]
WorkspaceUrl = Annotated[
    str, checked(_check_workspace_url, "https://adb-<workspace id>.<n>.azuredatabricks.net, no path")
]

# --- Azure resource ids (config/resource_ids.py) ----------------------------------------------------
DATABRICKS_WORKSPACE = ResourceType(
    "Microsoft.Databricks",
    (Name("workspaces", r"[A-Za-z0-9_-]{3,64}", "<name>", "3-64 letters, digits, '_' and '-'"),),
)
WorkspaceResourceId = Annotated[str, azure_resource_id(DATABRICKS_WORKSPACE)]

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
