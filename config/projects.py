"""Projects: several isolated ML teams in one environment, each a config block.

An environment without `projects` is one project, as it always was: stacks `<prefix>-<env>-<layer>`, default
names `<prefix>-<env>-ml`. With `projects`, the environment's `azure` and `databricks` sections hold what its
projects share (tenant, subscription, location, deployers, workspace, network) and defaults for the rest, and
each project's block holds what is its own (its vault's name, its workflows, model, endpoint, ...). The two
are merged, mapping by mapping, the project's value winning and a list replacing a list, and each result is
validated as a whole environment's settings are: every rule of a section applies to every project, and the
rules across environments (names unique in a tenant, a workspace, Key Vault's global namespace) compare
every project of every environment (config/uniqueness.py).

Shape, per environment:

    projects:
      <name>:                   # ProjectName: 1-16 lowercase letters and digits, starting with a letter
        names: project          # or `environment` (one project at most): see NAMES below
        azure: {...}            # any azure field but those in ENVIRONMENT_ONLY
        databricks: {...}       # any databricks field but `workspace`

`expand()` turns one environment's raw mapping into one raw mapping per project; it never validates a value,
only where a key may stand, and reports a misplaced key with its path (`ProjectLayoutError`).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from .types import ENVIRONMENT_NAME_PATTERN, TIERS, pattern

PROJECTS_KEY = "projects"
ENVIRONMENT_NAME_KEY = "__environment_name__"
"""Where an environment's key goes in each of its mappings (config/root.py: EnvironmentSettings.name)."""
PROJECT_NAME_KEY = "__project_name__"
"""Where `expand()` puts a project's name in its merged mapping (not a name a YAML user would type)."""
NAMES_KEY = "__names__"
"""Where `expand()` puts a project's `names` choice in its merged mapping."""

PROJECT_NAME_PATTERN = ENVIRONMENT_NAME_PATTERN
PROJECT_NAME_RULE = "1-16 lowercase letters and digits, starting with a letter"
ProjectName = Annotated[str, pattern(PROJECT_NAME_PATTERN, PROJECT_NAME_RULE)]
"""A project's key under its environment's `projects`: the rule of an environment's name, so
`<prefix>-<env>-<project>-<layer>` reads one way (neither part has a hyphen)."""
MAX_PROJECTS = 100
"""Projects per environment: each has a Key Vault-backed scope, and a workspace holds at most 1,000 scopes
(Azure Databricks docs, "Secret scopes"); the pipeline plans each layer's stacks of an environment in one job."""

NAMES = ("project", "environment")
NAMES_DOC = """A project's `names`: `project` (the default) names its stacks `<prefix>-<env>-<project>-<layer>`, its state
`<prefix>/<env>/<project>/<layer>.tfstate` and its default resource names `<prefix>-<env>-<project>-...`;
`environment` keeps the names the environment had before it had projects (`<prefix>-<env>-<layer>`,
`<prefix>-<env>-ml`): moving a single-project environment into `projects` then changes no name, no address
and no resource. One project per environment at most."""

PROJECT_KEYS = ("names", "azure", "databricks")

ENVIRONMENT_ONLY: dict[str, dict[str, str]] = {
    "azure": {
        "tenant_id": "every project of an environment is in its tenant",
        "subscription_id": "every project of an environment is in its subscription",
        "location": "every project of an environment is in its region",
        "deployers": "the environment's deployers apply every project's stacks",
        "plan_readers": "the environment's plan identities plan every project's stacks",
    },
    "databricks": {"workspace": "every project of an environment shares its workspace"},
}
"""Fields only the environment sets, and why: a project that set one would not be in the environment."""


class ProjectLayoutError(Exception):
    """Keys standing where projects do not allow them: (path in the raw config, reason) each.

    Not a ValueError, so pydantic lets it through unchanged; reported like unsafe input (one line per key)."""

    def __init__(self, problems: list[tuple[tuple[Any, ...], str]]):
        super().__init__(f"{len(problems)} misplaced project key(s)")
        self.problems = problems


def merged(shared: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    """`shared` with `own` laid over it: mappings merged key by key, any other value (lists too) replaced."""
    result = dict(shared)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = merged(result[key], value)
        else:
            result[key] = value
    return result


def _layout_problems(environment: str, projects: dict[Any, Any]) -> list[tuple[tuple[Any, ...], str]]:
    at = ("environments", environment, PROJECTS_KEY)
    problems: list[tuple[tuple[Any, ...], str]] = []
    if not projects:
        return [(at, "names no project; remove `projects` for a single-project environment, or add one")]
    if len(projects) > MAX_PROJECTS:
        problems.append((at, f"{len(projects)} projects; at most {MAX_PROJECTS} per environment"))
    keeping = []
    for name, body in projects.items():
        where = (*at, name)
        if not isinstance(name, str) or not re.fullmatch(PROJECT_NAME_PATTERN, name, re.ASCII):
            problems.append((at, f"invalid project name {name!r}: use {PROJECT_NAME_RULE}"))
            continue
        if not isinstance(body, dict):
            problems.append((where, "must be a mapping with `azure` and `databricks` sections (and optional `names`)"))
            continue
        for key in body:
            if key not in PROJECT_KEYS:
                problems.append(
                    (
                        (*where, key),
                        f"unknown project field; a project sets {', '.join(PROJECT_KEYS)}; "
                        "the environment's own fields (tier, state, execution_mode, agent) are shared",
                    )
                )
        if body.get("names", "project") not in NAMES:
            problems.append(((*where, "names"), f"must be one of {', '.join(map(repr, NAMES))}"))
        elif body.get("names") == "environment":
            keeping.append(name)
        for section, only in ENVIRONMENT_ONLY.items():
            own = body.get(section)
            if own is not None and not isinstance(own, dict):
                problems.append(((*where, section), "must be a mapping"))
                continue
            for key in own or {}:
                if key in only:
                    problems.append(
                        ((*where, section, key), f"set it in the environment's {section} section: {only[key]}")
                    )
    if len(keeping) > 1:
        problems.append(
            (
                (*at, keeping[1], "names"),
                f"'environment' is already taken by project '{keeping[0]}': one project keeps the environment's names",
            )
        )
    return problems


def expand(environment: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """One raw mapping per project of an environment's raw mapping `body` (itself when it has no projects).

    Raises ProjectLayoutError for keys a project may not set, and for the keys this function sets, anywhere."""
    internal = [key for key in (PROJECT_NAME_KEY, NAMES_KEY) if key in body]
    if internal:
        raise ProjectLayoutError(
            [
                (("environments", environment, key), "unknown field; a project is named by its key under `projects`")
                for key in internal
            ]
        )
    if PROJECTS_KEY not in body:
        return [body]
    projects = body[PROJECTS_KEY]
    if not isinstance(projects, dict):
        raise ProjectLayoutError(
            [(("environments", environment, PROJECTS_KEY), "must be a mapping of project name to its settings")]
        )
    problems = _layout_problems(environment, projects)
    if problems:
        raise ProjectLayoutError(problems)
    shared = {key: value for key, value in body.items() if key != PROJECTS_KEY}
    expanded = []
    for name, own in projects.items():
        settings = merged(shared, {key: value for key, value in own.items() if key != "names"})
        settings[PROJECT_NAME_KEY] = name
        settings[NAMES_KEY] = own.get("names", "project")
        expanded.append(settings)
    return expanded


def environment_bodies(name: str, body: dict[str, Any]) -> list[dict[str, Any]]:
    """The raw mappings the model validates for the environment `name` (its raw mapping `body`): one per project
    (`expand`; ProjectLayoutError for a misplaced key), each named by the environment's key and
    given the tier its name implies (dev, staging, prod) unless it has one.

    The key is the name: a `name:` inside the body is refused as an unknown field (ENVIRONMENT_NAME_KEY is not a
    name a YAML user would type)."""
    named = {**body, ENVIRONMENT_NAME_KEY: name}
    if "tier" not in named and name in TIERS:
        named["tier"] = name
    return expand(name, named)


_ABSENT = object()


def _at(node: Any, path: list[Any]) -> Any:
    """What `path` (keys and list indexes) leads to in `node`, or _ABSENT."""
    for part in path:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        else:
            return _ABSENT
    return node


def _holds(node: Any, path: list[Any]) -> bool:
    """Whether `path` leads somewhere in `node`."""
    return _at(node, path) is not _ABSENT


def written_by_environment(body: dict[str, Any], path: list[Any]) -> bool:
    """Whether the environment's own sections (not its projects) hold `path`."""
    return _holds({key: value for key, value in body.items() if key != PROJECTS_KEY}, path)


def written_by_project(body: dict[str, Any], project: str, path: list[Any]) -> bool:
    """Whether the project itself wrote the value at `path` (not a mapping it merely adds keys to)."""
    projects = body.get(PROJECTS_KEY)
    value = _at(projects.get(project), path) if isinstance(projects, dict) else _ABSENT
    return value is not _ABSENT and not isinstance(value, dict)


def source_of(body: dict[str, Any], project: str | None, path: list[Any]) -> list[Any]:
    """Where a field of a merged project mapping was written: `projects.<name>.<path>` when the project set it,
    `path` when only the environment's shared sections did, and the project's path when neither did (a
    required field that is missing is the project's to add)."""
    if project is None or not isinstance(body.get(PROJECTS_KEY), dict):
        return path
    if not _holds(body[PROJECTS_KEY].get(project), path) and written_by_environment(body, path):
        return path
    return [PROJECTS_KEY, project, *path]
