"""Read, validate and select the environments config: the one place that touches files and env vars.

Every problem becomes one line naming the file, the environment and the field, collected in a
`ConfigError`; callers print those lines and exit with status 2. Lines are built from shortened,
escaped renderings of user values (config/text.py), so no input can make a line very long or
forge another one. Nothing here imports cdktf or a provider: a bad config is reported in well under
a second.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .root import CrossEnvironmentError, PlatformConfig, UnsafeInputError
from .state import BACKENDS, BOOTSTRAP_BACKENDS, STACK_BACKENDS
from .text import path_part, shorten
from .types import ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE, Strict
from .yaml_file import ConfigFileError, load

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent / "environments.yaml"
CONFIG_PATH_VARIABLE = "MLPLATFORM_CONFIG"
ENVIRONMENTS_VARIABLE = "MLPLATFORM_ENVIRONMENTS"
MAX_LINE = 400
"""No message line is longer (values inside are shortened long before this guard applies)."""


class ConfigError(Exception):
    """A user mistake in the config or its selection; `problems` holds one printable line each."""

    def __init__(self, problems: list[str]):
        problems = [safe_line(line) for line in problems]
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class LoadedConfig:
    config: PlatformConfig
    source: str
    warnings: list[str] = field(default_factory=list)


def safe_line(line: str) -> str:
    """A last guard: one printable line of bounded length, whatever went into it."""
    if not line.isprintable():
        line = "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in line)
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 3] + "..."


def _display_path(path: Path) -> str:
    try:
        shown = str(path.resolve().relative_to(Path.cwd()))
    except (ValueError, OSError, RuntimeError):
        shown = str(path)
    return shown if shown.isprintable() and len(shown) <= 200 else shorten(shown, 200)


def _scope(environment: str | None) -> str:
    return f"environment '{environment}': " if environment else ""


@dataclass(frozen=True)
class _Tagged:
    """The innermost backend-tagged section an error is in: `state` or `bootstrap`, its backend, and
    the models that section can hold where it appears (`variants`, backend -> model)."""

    section: str
    backend: str
    variants: Mapping[str, type[Strict]]


def _describe_location(loc: tuple[Any, ...], environment_names: list[str]) -> tuple[str | None, str, _Tagged | None]:
    """Split an error location into (environment name, dotted field path, the tagged section it is in)."""
    parts = list(loc)
    environment = None
    if len(parts) >= 2 and parts[0] == "environments":
        index = parts[1]
        if isinstance(index, int):
            environment = environment_names[index] if index < len(environment_names) else str(index)
        else:
            environment = str(index)
        parts = parts[2:]
    tagged = None
    # A tagged union adds its tag ('cloud', 'azurerm', 'local') right after 'state' and 'bootstrap'; drop it.
    for section in ("state", "bootstrap"):
        if section not in parts:
            continue
        tag_at = parts.index(section) + 1
        top_level = environment is None and parts[0] == "state"
        variants = BOOTSTRAP_BACKENDS if section == "bootstrap" else BACKENDS if top_level else STACK_BACKENDS
        if tag_at < len(parts) and parts[tag_at] in variants:
            tagged = _Tagged(section, parts.pop(tag_at), variants)
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{path_part(part)}" if text else path_part(part)
    return environment, text or "(top level)", tagged


def _misplaced(field_name: str, tagged: _Tagged | None) -> str:
    """What an unknown field of a state or bootstrap section is, if it acts elsewhere ('' if nowhere)."""
    if tagged is None:
        return ""
    owners = [name for name, model in tagged.variants.items() if field_name in model.model_fields]
    if owners and tagged.backend not in owners:
        return (
            f"only used with backend {' or '.join(map(repr, owners))} "
            f"(this {tagged.section}'s backend is '{tagged.backend}')"
        )
    top_level = [name for name, model in BACKENDS.items() if field_name in model.model_fields]
    if tagged.section == "state" and tagged.variants is STACK_BACKENDS and top_level:
        return (
            f"only acts in the top-level state (backend {' or '.join(map(repr, top_level))}): one bootstrap stack "
            "creates the workspaces of every environment on the global state; remove it here"
        )
    return ""


def _describe_error(error: Mapping[str, Any], where: str, tagged: _Tagged | None) -> str:
    kind = error["type"]
    message = error["msg"]
    field_name = where.rsplit(".", 1)[-1]
    section = where.rsplit(".", 1)[-1] if where != "(top level)" else ""
    variants = BOOTSTRAP_BACKENDS if section == "bootstrap" else BACKENDS
    if kind == "value_error":
        message = message.removeprefix("Value error, ")
    elif kind == "missing":
        message = "required field is missing"
    elif kind == "extra_forbidden":
        misplaced = _misplaced(field_name, tagged)
        if misplaced:
            message = misplaced
        elif where == "name":
            message = "an environment is named by its key under 'environments'; remove this field"
        else:
            message = "unknown field (check its spelling and the README's config reference)"
    elif kind == "union_tag_invalid":
        message = f"backend must be one of {', '.join(map(repr, variants))} (got {shorten(error['ctx'].get('tag'))})"
    elif kind == "union_tag_not_found":
        message = (
            "must be a mapping with an optional backend ('local' or 'cloud')"
            if section == "bootstrap"
            else f"backend is required: one of {', '.join(map(repr, BACKENDS))}"
        )
    elif kind in ("int_type", "bool_type", "string_type") and "input" in error:
        value = error["input"]
        wanted = {"int_type": "a whole number", "bool_type": "true or false", "string_type": "text"}[kind]
        hint = " (quote it to make it text)" if kind == "string_type" and isinstance(value, (int, float, bool)) else ""
        message = f"must be {wanted}{hint} (got {shorten(value)})"
    elif "input" in error and not isinstance(error["input"], (dict, list)):
        message = f"{message} (got {shorten(error['input'])})"
    return message


def _format_validation_error(error: ValidationError, shown: str, environment_names: list[str]) -> list[str]:
    lines = []
    for item in error.errors(include_url=False):
        environment, where, tagged = _describe_location(tuple(item["loc"]), environment_names)
        message = _describe_error(item, where, tagged)
        if environment and where == "(top level)":
            # an environment-wide rule: its message starts with the field it is about
            lines.append(f"{shown}: {_scope(environment)}{message}")
        else:
            lines.append(f"{shown}: {_scope(environment)}{where}: {message}")
    return lines


def _format_unsafe(error: UnsafeInputError, shown: str) -> list[str]:
    lines = []
    for path, reason in error.problems:
        environment, where, _ = _describe_location(path, [])
        lines.append(f"{shown}: {_scope(environment)}{where}: {reason}")
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
    return [
        f"{shown}: environments: invalid environment name {shorten(name)}; use {ENVIRONMENT_NAME_RULE}"
        for name in environments
        if not isinstance(name, str) or not re.fullmatch(ENVIRONMENT_NAME_PATTERN, name, re.ASCII)
    ]


def _selection(selection: str | None, defined: list[str], shown: str) -> list[str] | None:
    """The environments MLPLATFORM_ENVIRONMENTS names (None: all), each one defined in the file."""
    if selection is None:
        return None
    wanted = [name.strip() for name in selection.split(",") if name.strip()]
    if not wanted:
        raise ConfigError(
            [
                f"{ENVIRONMENTS_VARIABLE}: names no environment (got {shorten(selection)}); "
                "give comma-separated names such as dev,prod, or unset it for all"
            ]
        )
    unknown = [name for name in wanted if name not in defined]
    if unknown:
        raise ConfigError(
            [
                f"{ENVIRONMENTS_VARIABLE}: unknown environment {shorten(name)}; {shown} defines: {', '.join(defined)}"
                for name in unknown
            ]
        )
    return wanted


def load_config(path: Path | None = None, selection: str | None = None) -> LoadedConfig:
    """Load and validate a config file, keeping only the selected environments (comma-separated)."""
    path = path or DEFAULT_CONFIG_PATH
    shown = _display_path(path)
    try:
        raw = load(path)
    except ConfigFileError as error:
        raise ConfigError([f"{shown}: {error}"]) from None
    problems = _precheck(raw, shown)
    if problems:
        raise ConfigError(problems)
    names = list(raw.get("environments") or {})
    wanted = _selection(selection, names, shown)
    try:
        # the whole file, whatever the selection: rules across environments see every one of them
        config = PlatformConfig.model_validate(raw)
    except UnsafeInputError as error:
        raise ConfigError(_format_unsafe(error, shown)) from None
    except CrossEnvironmentError as error:
        raise ConfigError([f"{shown}: {line}" for line in error.problems]) from None
    except ValidationError as error:
        raise ConfigError(_format_validation_error(error, shown, names)) from None
    if wanted is not None:
        config = config.selected(wanted)
    warnings = [safe_line(f"{shown}: environment '{e.name}': {w}") for e in config.environments for w in e.warnings]
    return LoadedConfig(config=config, source=shown, warnings=warnings)


def load_from_environment(environ: Mapping[str, str] = os.environ) -> LoadedConfig:
    """Load the config named by MLPLATFORM_CONFIG (or the embedded default) and apply MLPLATFORM_ENVIRONMENTS."""
    configured = environ.get(CONFIG_PATH_VARIABLE)
    if configured is not None and not configured.strip():
        raise ConfigError(
            [
                f"{CONFIG_PATH_VARIABLE}: is set but empty; give the path of a config file, or unset it for {_display_path(DEFAULT_CONFIG_PATH)}"
            ]
        )
    return load_config(Path(configured) if configured else None, environ.get(ENVIRONMENTS_VARIABLE))
