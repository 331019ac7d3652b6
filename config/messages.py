"""How a validation problem reads: one line naming the environment, the field (its dotted path as
written in the file) and what is allowed, from pydantic's errors and the app's own refusals."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from .projects import ProjectLayoutError, source_of, written_by_environment, written_by_project
from .root import UnsafeInputError
from .state import BACKENDS, BOOTSTRAP_BACKENDS, STACK_BACKENDS
from .text import path_part, shorten
from .types import Strict


def scope(environment: str | None) -> str:
    return f"environment '{environment}': " if environment else ""


@dataclass(frozen=True)
class Tagged:
    """The innermost backend-tagged section an error is in: `state` or `bootstrap`, its backend, and
    the models that section can hold where it appears (`variants`, backend -> model)."""

    section: str
    backend: str
    variants: Mapping[str, type[Strict]]


@dataclass(frozen=True)
class Origin:
    """Where the model's environment at one index came from: its environment's key, its project's key (None
    without projects) and the environment's raw mapping (to tell a project's own field from a shared one)."""

    environment: str
    project: str | None = None
    body: Mapping[str, Any] | None = None


def describe_location(
    loc: tuple[Any, ...], origins: list[Origin], *, shared: bool = False
) -> tuple[str | None, str, Tagged | None, str | None]:
    """Split an error location into (environment name, dotted field path as written in the file, the tagged
    section it is in, the project it is about). `shared`: the path in the environment's own sections, for a
    problem every project of the environment has."""
    parts = list(loc)
    environment = project = None
    if len(parts) >= 2 and parts[0] == "environments":
        index = parts[1]
        if isinstance(index, int) and index < len(origins):
            origin = origins[index]
            environment, project = origin.environment, origin.project
            parts = parts[2:]
            if project is not None and parts and isinstance(origin.body, dict) and not shared:
                parts = source_of(dict(origin.body), project, parts)
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
            tagged = Tagged(section, parts.pop(tag_at), variants)
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{path_part(part)}" if text else path_part(part)
    return environment, text or "(top level)", tagged, project


def misplaced(field_name: str, tagged: Tagged | None) -> str:
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


def describe_error(error: Mapping[str, Any], where: str, tagged: Tagged | None) -> str:
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
        elsewhere = misplaced(field_name, tagged)
        if elsewhere:
            message = elsewhere
        elif where == "name":
            message = "an environment is named by its key under 'environments'; remove this field"
        else:
            message = "unknown field (check its spelling and the config reference (docs/configuration.md))"
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


def _project_index(loc: tuple[Any, ...], origins: list[Origin]) -> int | None:
    """The index into `origins` of a location inside a project's settings (None: not in a project)."""
    if len(loc) > 2 and loc[0] == "environments" and isinstance(loc[1], int) and loc[1] < len(origins):
        return loc[1] if origins[loc[1]].project else None
    return None


def _in_every_project(origins: list[Origin], path: tuple[Any, ...], having: set[int], count: int) -> bool:
    """Whether a problem at `path` of a project's settings is its environment's: every one of the environment's
    (several) projects has it (`having`: their indexes), the environment's own sections hold it, and no project
    wrote the value itself."""
    first = dict(origins[next(iter(having))].body or {}) if having else {}
    return (
        count > 1
        and len(having) == count
        and written_by_environment(first, list(path))
        and not any(
            written_by_project(dict(origins[i].body or {}), origins[i].project or "", list(path)) for i in having
        )
    )


def format_validation_error(error: ValidationError, shown: str, origins: list[Origin]) -> list[str]:
    """One line per problem; a problem every project of an environment has (a shared field's) is reported once,
    at the environment's own section."""
    items = error.errors(include_url=False)
    projects = Counter(origin.environment for origin in origins)
    having: dict[tuple[Any, ...], set[int]] = {}  # (environment, location in a project, message) -> projects
    for item in items:
        index = _project_index(tuple(item["loc"]), origins)
        if index is not None:
            having.setdefault((origins[index].environment, tuple(item["loc"])[2:], item["msg"]), set()).add(index)
    lines: dict[str, None] = {}
    for item in items:
        loc = tuple(item["loc"])
        index = _project_index(loc, origins)
        shared = index is not None and _in_every_project(
            origins,
            loc[2:],
            having[(origins[index].environment, loc[2:], item["msg"])],
            projects[origins[index].environment],
        )
        environment, where, tagged, project = describe_location(loc, origins, shared=shared)
        message = describe_error(item, where, tagged)
        if environment and where == "(top level)":
            # an environment-wide rule: its message starts with the field it is about
            of_project = f"project '{project}': " if project and not shared else ""
            lines[f"{shown}: {scope(environment)}{of_project}{message}"] = None
        else:
            lines[f"{shown}: {scope(environment)}{where}: {message}"] = None
    return list(lines)


def format_unsafe(error: UnsafeInputError | ProjectLayoutError, shown: str) -> list[str]:
    lines = []
    for path, reason in error.problems:
        environment, where, _, _ = describe_location(path, [])
        lines.append(f"{shown}: {scope(environment)}{where}: {reason}")
    return lines
