"""The embedded default's placeholders, which must never reach a deploy.

`config/environments.yaml` marks every value a team must replace with `# PLACEHOLDER` (ids, hosts,
resource ids, vault names, IP ranges, example addresses and repositories), and values it may keep
with `# EXAMPLE` (group, table and schema names, a release tag). `synth`, `check` and `test` work on
the placeholders; the targets that reach real infrastructure (`deploy`, `diff`, `plan`, `apply`,
`destroy`, `output`, `preflight`, `smoke`, `bootstrap`, and the project's `cdktf` for its deploying
commands) run `main.py --check --deploying`, which refuses a config that still carries one, one line
naming each field.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from .text import path_part, shorten

MARK = "# PLACEHOLDER"
_ENTRY = re.compile(r"^[#\s]*(?:-\s+)?(?:[A-Za-z_][\w-]*:\s+)?(?P<value>[^#\s][^#]*?)\s+" + re.escape(MARK))


@cache
def placeholder_values(default: Path) -> frozenset[str]:
    """Every value the embedded default marks `# PLACEHOLDER` (commented-out sections included), as text."""
    values = set()
    for line in default.read_text(encoding="utf-8").splitlines():
        match = _ENTRY.match(line)
        if match:
            value = yaml.safe_load(match.group("value"))
            if value is not None:
                values.add(str(value))
    return frozenset(values)


def _scalars(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _scalars(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _scalars(value, (*path, index))
    else:
        yield path, node


def placeholders_in(
    raw: dict[str, Any],
    environments: list[str],
    default: Path,
    shown: str,
    projects: dict[str, set[str]] | None = None,
) -> list[str]:
    """One line per field of `raw` (the config file as parsed) still holding a placeholder of the default:
    the global sections and the `environments` named; of an environment in `projects`, only its shared sections and
    the projects named (another team's placeholder does not hold this one's deploy back)."""
    wanted = placeholder_values(default)
    selected = projects or {}
    lines = []
    for path, value in _scalars(raw, ()):
        if path[:1] == ("environments",) and (len(path) < 2 or path[1] not in environments):
            continue
        if len(path) > 3 and path[2] == "projects" and path[1] in selected and path[3] not in selected[path[1]]:
            continue
        if value is None or isinstance(value, bool) or str(value) not in wanted:
            continue
        where = f"environment '{path[1]}': " if path[:1] == ("environments",) else ""
        field = ".".join(path_part(p) if not isinstance(p, int) else f"[{p}]" for p in path[2 if where else 0 :])
        lines.append(
            f"{shown}: {where}{field.replace('.[', '[')}: {shorten(value)} is a placeholder of the embedded default; "
            "replace it with your own before deploying (every value marked PLACEHOLDER in config/environments.yaml)"
        )
    return lines
