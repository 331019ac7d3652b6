"""Snapshots of synthesized stacks: sorted, readable JSON; failures listed as Terraform changes.

syrupy stores one JSON file per stack under tests/__snapshots__/. When a stack no longer matches,
the failure lists each changed attribute as `resource <type>.<name>: <attribute path>: old -> new`
instead of a line diff, so a reviewer sees at once which stack and resource changed and how.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from syrupy.extensions.json import JSONSnapshotExtension

_ABSENT = object()


def _show(value: Any) -> str:
    return "(absent)" if value is _ABSENT else json.dumps(value, sort_keys=True)


def _walk(old: Any, new: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any, Any]]:
    # An added or removed block is walked too, so that every line names its resource and attribute.
    if old is _ABSENT and isinstance(new, dict):
        old = {}
    if new is _ABSENT and isinstance(old, dict):
        new = {}
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            yield from _walk(old.get(key, _ABSENT), new.get(key, _ABSENT), (*path, str(key)))
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for index, (a, b) in enumerate(zip(old, new, strict=True)):
            yield from _walk(a, b, (*path, f"[{index}]"))
    elif old != new:
        yield path, old, new


def _describe(path: tuple[str, ...]) -> str:
    """`resource azurerm_key_vault.kv: network_acls.default_action` from a JSON path."""
    if len(path) >= 3 and path[0] in ("resource", "data"):
        head, rest = f"{path[0]} {path[1]}.{path[2]}", path[3:]
    elif len(path) >= 2 and path[0] in ("output", "provider", "terraform"):
        head, rest = f"{path[0]} {path[1]}", path[2:]
    else:
        head, rest = ".".join(path[:1]), path[1:]
    attribute = ".".join(rest).replace(".[", "[")
    return f"{head}: {attribute}" if attribute else head


def terraform_changes(old: Any, new: Any) -> list[str]:
    return [f"{_describe(path)}: {_show(a)} -> {_show(b)}" for path, a, b in _walk(old, new, ())]


class TerraformJsonSnapshot(JSONSnapshotExtension):
    def diff_lines(self, serialized_data: Any, snapshot_data: Any) -> Iterator[str]:
        try:
            old, new = json.loads(str(snapshot_data)), json.loads(str(serialized_data))
        except ValueError:
            yield from super().diff_lines(serialized_data, snapshot_data)
            return
        yield "Terraform changes against the snapshot (run `make snapshot-update` if intended):"
        yield from terraform_changes(old, new)
