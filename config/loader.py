"""Read, validate and select the environments config: the one place that touches files and env vars.

Every problem becomes one line naming the file, the environment and the field, collected in a
`ConfigError`; callers print those lines and exit with status 2. Nothing here imports cdktf or a
provider, so a bad config is reported in well under a second.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml
from pydantic import ValidationError

from .model import PlatformConfig

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent / "environments.yaml"
CONFIG_PATH_VARIABLE = "MLPLATFORM_CONFIG"
ENVIRONMENTS_VARIABLE = "MLPLATFORM_ENVIRONMENTS"


class ConfigError(Exception):
    """A user mistake in the config or its selection; `problems` holds one printable line each."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LoadedConfig:
    config: PlatformConfig
    source: str
    warnings: list[str] = field(default_factory=list)


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate keys: YAML would silently keep the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key '{key}' (first at line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _read_yaml(path: Path, shown: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{shown}: config file not found"]) from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ConfigError([f"{shown}: cannot read config file: {reason}"]) from None
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ConfigError([f"{shown}: invalid YAML{where}: {problem}"]) from None


def _describe_location(loc: tuple[Any, ...], environment_names: list[str]) -> tuple[str | None, str]:
    """Split a pydantic error location into (environment name, dotted field path)."""
    parts = list(loc)
    environment = None
    if len(parts) >= 2 and parts[0] == "environments" and isinstance(parts[1], int):
        index = parts[1]
        environment = environment_names[index] if index < len(environment_names) else str(index)
        parts = parts[2:]
    # The state union adds its tag ('cloud', 'azurerm', 'local') right after 'state'; drop it.
    if "state" in parts:
        tag_at = parts.index("state") + 1
        if tag_at < len(parts) and parts[tag_at] in ("cloud", "azurerm", "local"):
            del parts[tag_at]
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return environment, text or "(top level)"


def _describe_error(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    message = error["msg"]
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        message = "unknown field (check its spelling and the README's config reference)"
    elif kind == "union_tag_invalid":
        message = f"backend must be one of 'cloud', 'azurerm', 'local' (got {error['ctx'].get('tag')!r})"
    elif kind == "union_tag_not_found":
        message = "backend is required: one of 'cloud', 'azurerm', 'local'"
    elif "input" in error and not isinstance(error["input"], (dict, list)):
        message = f"{message} (got {error['input']!r})"
    return message


def _format_validation_error(error: ValidationError, shown: str, environment_names: list[str]) -> list[str]:
    lines = []
    for item in error.errors(include_url=False):
        environment, where = _describe_location(tuple(item["loc"]), environment_names)
        scope = f"environment '{environment}': " if environment else ""
        lines.append(f"{shown}: {scope}{where}: {_describe_error(item)}")
    return lines


def _precheck(raw: Any, shown: str) -> list[str]:
    """Problems pydantic would describe poorly: the file's overall shape and environment names."""
    if raw is None:
        return [f"{shown}: the config file is empty; it needs 'state' and 'environments'"]
    if not isinstance(raw, dict):
        return [f"{shown}: the config file must be a mapping with 'prefix', 'state' and 'environments'"]
    environments = raw.get("environments")
    if environments is None:
        return []  # reported by the model as a missing field
    if not isinstance(environments, dict):
        return [f"{shown}: environments: must be a mapping of environment name to settings"]
    if not environments:
        return [f"{shown}: environments: no environment is defined; add at least one (e.g. dev)"]
    problems = []
    for name in environments:
        if not isinstance(name, str) or not name or not name[0].islower() or not name.isalnum() or len(name) > 16:
            problems.append(
                f"{shown}: environments: invalid environment name {name!r}; "
                "use 1-16 lowercase letters and digits, starting with a letter"
            )
        elif name.lower() != name:
            problems.append(f"{shown}: environments: invalid environment name {name!r}; use lowercase")
    return problems


def _select(raw: dict, selection: str | None, shown: str) -> dict:
    if selection is None or not selection.strip():
        return raw
    wanted = [name.strip() for name in selection.split(",") if name.strip()]
    defined = list(raw["environments"])
    unknown = [name for name in wanted if name not in defined]
    if unknown:
        raise ConfigError(
            [
                f"{ENVIRONMENTS_VARIABLE}: unknown environment {name!r}; {shown} defines: {', '.join(defined)}"
                for name in unknown
            ]
        )
    chosen = {name: raw["environments"][name] for name in defined if name in wanted}
    return {**raw, "environments": chosen}


def load_config(path: Path | None = None, selection: str | None = None) -> LoadedConfig:
    """Load and validate a config file, keeping only the selected environments (comma-separated)."""
    path = path or DEFAULT_CONFIG_PATH
    shown = _display_path(path)
    raw = _read_yaml(path, shown)
    problems = _precheck(raw, shown)
    if problems:
        raise ConfigError(problems)
    if isinstance(raw.get("environments"), dict):
        raw = _select(raw, selection, shown)
    names = list(raw.get("environments") or {})
    try:
        config = PlatformConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_format_validation_error(error, shown, names)) from None
    warnings = [f"{shown}: environment '{e.name}': {w}" for e in config.environments for w in e.warnings]
    return LoadedConfig(config=config, source=shown, warnings=warnings)


def load_from_environment(environ: Mapping[str, str] = os.environ) -> LoadedConfig:
    """Load the config named by MLPLATFORM_CONFIG (or the embedded default) and apply MLPLATFORM_ENVIRONMENTS."""
    configured = environ.get(CONFIG_PATH_VARIABLE, "").strip()
    return load_config(Path(configured) if configured else None, environ.get(ENVIRONMENTS_VARIABLE))
