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

from .messages import Origin, format_unsafe, format_validation_error, scope
from .placeholders import placeholders_in
from .projects import PROJECT_NAME_KEY, ProjectLayoutError, environment_bodies
from .root import CrossEnvironmentError, EnvironmentSettings, PlatformConfig, UnsafeInputError
from .text import shorten
from .types import ENVIRONMENT_NAME_PATTERN, ENVIRONMENT_NAME_RULE, TIERS
from .yaml_file import ConfigFileError, load

DEFAULT_CONFIG_PATH = Path(__file__).resolve().parent / "environments.yaml"
CONFIG_PATH_VARIABLE = "MLPLATFORM_CONFIG"
ENVIRONMENTS_VARIABLE = "MLPLATFORM_ENVIRONMENTS"
PROJECTS_VARIABLE = "MLPLATFORM_PROJECTS"
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
    raw: dict[str, Any] = field(default_factory=dict)
    """The file as parsed (for `placeholders`)."""

    def placeholders(self) -> list[str]:
        """One line per field of the selected environments and the global sections still holding a
        placeholder of the embedded default (config/placeholders.py)."""
        names = [e.name for e in self.config.per_environment(self.config.environments)]
        projects: dict[str, set[str]] = {}
        for e in self.config.environments:
            if e.project is not None:
                projects.setdefault(e.name, set()).add(e.project)
        return placeholders_in(self.raw, names, DEFAULT_CONFIG_PATH, self.source, projects)


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


def _project_selection(selection: str | None, config: PlatformConfig) -> list[str] | None:
    """The projects MLPLATFORM_PROJECTS names (None: all), each one a project of every selected environment."""
    if selection is None:
        return None
    wanted = [name.strip() for name in selection.split(",") if name.strip()]
    problems = []
    if not wanted:
        problems.append(
            f"{PROJECTS_VARIABLE}: names no project (got {shorten(selection)}); "
            "give comma-separated project names, or unset it for every project"
        )
    for environment in config.per_environment(config.environments):
        defined = [e.project for e in config.projects_of(environment.name) if e.project]
        problems += [
            f"{PROJECTS_VARIABLE}: environment '{environment.name}' has no project {shorten(name)}; "
            + (f"it defines: {', '.join(defined)}" if defined else "it has no projects")
            for name in wanted
            if name not in defined
        ]
    if problems:
        raise ConfigError(problems)
    return wanted


def load_config(path: Path | None = None, selection: str | None = None, projects: str | None = None) -> LoadedConfig:
    """Load and validate a config file, keeping only the selected environments and projects (comma-separated)."""
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
    # the whole file, whatever the selection: rules across environments see every one of them
    config = _validated(raw, shown)
    if wanted is not None:
        config = config.selected(wanted)
    chosen = _project_selection(projects, config)
    if chosen is not None:
        config = config.selected([e.name for e in config.per_environment(config.environments)], chosen)
    warnings = [safe_line(f"{shown}: {e.described}: {w}") for e in config.environments for w in e.warnings]
    return LoadedConfig(config=config, source=shown, warnings=warnings, raw=raw)


def _validated(raw: dict[str, Any], shown: str) -> PlatformConfig:
    """The model of `raw`, or ConfigError with every problem of the file in one pass.

    An environment without a `tier` (one not named dev, staging or prod) is validated as if it were
    dev, so its other problems are reported now and none that only follows from the missing tier is
    (the tier defaults). When some environments have field errors, the rules across environments
    still run over the others."""
    tierless = [
        name
        for name, body in raw["environments"].items()
        if isinstance(body, dict) and "tier" not in body and name not in TIERS
    ]
    problems = [
        f"{shown}: {scope(name)}tier: required for an environment not named dev, staging or prod: one of "
        f"{', '.join(TIERS)} (its secure defaults follow it)"
        for name in tierless
    ]
    provisional = {
        **raw,
        "environments": {n: {**b, "tier": "dev"} if n in tierless else b for n, b in raw["environments"].items()},
    }
    try:
        config = PlatformConfig.model_validate(provisional)
    except (UnsafeInputError, ProjectLayoutError) as error:
        raise ConfigError(problems + format_unsafe(error, shown)) from None
    except CrossEnvironmentError as error:
        problems += [f"{shown}: {line}" for line in error.problems]
    except ValidationError as error:
        problems += format_validation_error(error, shown, _origins(raw["environments"]))
        problems += [f"{shown}: {line}" for line in _across_the_valid(provisional)]
    if problems:
        raise ConfigError(problems)
    return config


def _origins(environments: dict[str, Any]) -> list[Origin]:
    """Where each environment of the model comes from, by index: one per project (config/projects.py: expand)."""
    origins = []
    for name, body in environments.items():
        try:
            bodies = environment_bodies(name, body) if isinstance(body, dict) else [{}]
        except ProjectLayoutError:
            bodies = [{}]  # reported as such before any field is validated
        origins += [Origin(name, b.get(PROJECT_NAME_KEY), body if PROJECT_NAME_KEY in b else None) for b in bodies]
    return origins


def _across_the_valid(raw: dict[str, Any]) -> list[str]:
    """The rules across environments over the environments whose every project validates on its own (the
    others are reported with their own problems already, and join these rules once fixed)."""
    valid = {}
    for name, body in raw["environments"].items():
        try:
            for project in environment_bodies(name, body):
                EnvironmentSettings.model_validate(project)
            valid[name] = body
        except (ValidationError, UnsafeInputError, ProjectLayoutError, TypeError):
            continue
    if not valid:
        return []
    try:
        PlatformConfig.model_validate({**raw, "environments": valid})
    except CrossEnvironmentError as error:
        return error.problems
    except (ValidationError, UnsafeInputError):
        return []  # a problem outside the environments, reported already
    return []


def load_from_environment(environ: Mapping[str, str] = os.environ) -> LoadedConfig:
    """Load the config named by MLPLATFORM_CONFIG (or the embedded default) and apply MLPLATFORM_ENVIRONMENTS and
    MLPLATFORM_PROJECTS."""
    configured = environ.get(CONFIG_PATH_VARIABLE)
    if configured is not None and not configured.strip():
        raise ConfigError(
            [
                f"{CONFIG_PATH_VARIABLE}: is set but empty; give the path of a config file, or unset it for {_display_path(DEFAULT_CONFIG_PATH)}"
            ]
        )
    return load_config(
        Path(configured) if configured else None, environ.get(ENVIRONMENTS_VARIABLE), environ.get(PROJECTS_VARIABLE)
    )
