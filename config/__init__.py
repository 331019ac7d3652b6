"""Environment configuration: the only package (besides main.py) that reads files or env vars.

types.py       constrained types and the Strict base      text.py       unsafe-text rule, message rendering
state.py       state backends                              yaml_file.py  bounded, strict YAML reading
azure.py       the azure layer (+ network.py, monitoring.py)
databricks.py  the databricks layer                        execution.py  where runs execute
ci.py          GitHub Actions delivery                     root.py       an environment, the whole file
loader.py      read, select, validate, format errors     resource_ids.py  Azure ids, parsed by segment
addresses.py   hosts, the workspace id, firewall ranges   naming.py     every derived name (the bottom layer)
tags.py        tag maps and the tags the app adds         projects.py   several projects per environment, expanded
isolation.py   what keeps the projects of a workspace apart (no grant on another's, no leaning on another's)
"""

from .loader import (
    CONFIG_PATH_VARIABLE,
    DEFAULT_CONFIG_PATH,
    ENVIRONMENTS_VARIABLE,
    ConfigError,
    LoadedConfig,
    load_config,
    load_from_environment,
)
from .root import EnvironmentSettings, PlatformConfig, has_bootstrap
from .state import AzurermState, CloudBootstrap, CloudState, DefaultCloudState, LocalState

__all__ = [
    "CONFIG_PATH_VARIABLE",
    "DEFAULT_CONFIG_PATH",
    "ENVIRONMENTS_VARIABLE",
    "AzurermState",
    "CloudBootstrap",
    "CloudState",
    "ConfigError",
    "DefaultCloudState",
    "EnvironmentSettings",
    "LoadedConfig",
    "LocalState",
    "PlatformConfig",
    "has_bootstrap",
    "load_config",
    "load_from_environment",
]
