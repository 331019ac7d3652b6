"""Environment configuration: the only package (besides main.py) that reads files or env vars."""

from .loader import (
    CONFIG_PATH_VARIABLE,
    DEFAULT_CONFIG_PATH,
    ENVIRONMENTS_VARIABLE,
    ConfigError,
    LoadedConfig,
    load_config,
    load_from_environment,
)
from .model import (
    AzurermState,
    CloudState,
    EnvironmentSettings,
    LocalState,
    PlatformConfig,
    has_bootstrap,
)

__all__ = [
    "CONFIG_PATH_VARIABLE",
    "DEFAULT_CONFIG_PATH",
    "ENVIRONMENTS_VARIABLE",
    "AzurermState",
    "CloudState",
    "ConfigError",
    "EnvironmentSettings",
    "LoadedConfig",
    "LocalState",
    "PlatformConfig",
    "has_bootstrap",
    "load_config",
    "load_from_environment",
]
