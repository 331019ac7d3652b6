"""Shared test helpers: synthesize a config in-process and read the stacks back as dicts."""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from config import DEFAULT_CONFIG_PATH, PlatformConfig
from proof.terraform_check import strip_metadata  # noqa: F401  (drop cdktf's '//' metadata; one definition)

ROOT = Path(__file__).resolve().parent.parent


def default_raw() -> dict[str, Any]:
    """The embedded default config as plain data (a fresh copy each call)."""
    return yaml.safe_load(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))


def mutated(change: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    raw = copy.deepcopy(default_raw())
    change(raw)
    return raw


def config_from(raw: dict[str, Any]) -> PlatformConfig:
    return PlatformConfig.model_validate(raw)


def synth_into(config: PlatformConfig, outdir: Path) -> dict[str, dict[str, Any]]:
    """Synthesize `config` into `outdir` as main.py does; return stack id -> parsed cdk.tf.json."""
    from app_runtime.synthesis import new_app, synth
    from stacks.app import build_app

    app = new_app(str(outdir))
    build_app(app, config)
    synth(app)
    return read_stacks(outdir)


def synth_stacks(config: PlatformConfig) -> dict[str, dict[str, Any]]:
    """Synthesize `config` into a temporary folder; return stack id -> parsed cdk.tf.json."""
    with tempfile.TemporaryDirectory(prefix="mlplatform-synth-") as outdir:
        return synth_into(config, Path(outdir))


def read_stacks(outdir: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    return {
        name: json.loads((outdir / stack["synthesizedStackPath"]).read_text())
        for name, stack in manifest["stacks"].items()
    }


def resources(stack: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """All resources of one Terraform type in a synthesized stack, by logical id."""
    return stack.get("resource", {}).get(kind, {})


def only(stack: dict[str, Any], kind: str, section: str = "resource") -> dict[str, Any]:
    found = stack.get(section, {}).get(kind, {})
    assert len(found) == 1, f"expected exactly one {kind}, found {sorted(found)}"
    return next(iter(found.values()))


def ref(stack: dict[str, Any], kind: str, attribute: str, section: str = "resource") -> str:
    """The Terraform expression for `attribute` of the only `kind` in `stack`, e.g. ${azurerm_key_vault.x.id}."""
    found = stack.get(section, {}).get(kind, {})
    assert len(found) == 1, f"expected exactly one {kind}, found {sorted(found)}"
    prefix = "data." if section == "data" else ""
    return f"${{{prefix}{kind}.{next(iter(found))}.{attribute}}}"


def logical_id(stack: dict[str, Any], kind: str, fragment: str, section: str = "resource") -> str:
    """The one logical id of type `kind` that contains `fragment` (cdktf appends a hash to construct paths)."""
    found = [name for name in stack.get(section, {}).get(kind, {}) if fragment in name]
    assert len(found) == 1, f"expected one {kind} with {fragment!r} in its id, found {found}"
    return found[0]


def ref_to(stack: dict[str, Any], kind: str, fragment: str, attribute: str, section: str = "resource") -> str:
    """Like `ref`, for the `kind` whose logical id contains `fragment`."""
    prefix = "data." if section == "data" else ""
    return f"${{{prefix}{kind}.{logical_id(stack, kind, fragment, section)}.{attribute}}}"


DEPLOYABLE = (
    ("my-tfc-organization", "acme-ml"),
    ("my-org/", "acme/"),
    ("you@example.com", "ana@contoso.com"),
    ("ml-platform@example.com", "ml-platform@contoso.com"),
    ("198.51.100.0/24", "20.50.60.0/24"),
    ("kv-mlplat-", "kv-acme-"),
    ("adb-1111111111111111.11", "adb-7405611234567890.10"),
    ("adb-2222222222222222.12", "adb-7405611234567891.11"),
    ("adb-3333333333333333.13", "adb-7405611234567892.12"),
    *(
        (f"{d * 8}-{d * 4}-{d * 4}-{d * 4}-{d * 12}", f"{d * 8}-{d * 4}-4{d * 3}-8{d * 3}-{d * 11}a")
        for d in "012345678"
    ),
    ("67676767-6767-6767-6767-676767676767", "67676767-6767-4767-8767-67676767676a"),
    ("68686868-6868-6868-6868-686868686868", "68686868-6868-4868-8868-68686868686a"),
)
"""The embedded default's placeholders, each replaced by a value of the same shape that is not one
(GUIDs everywhere they occur, inside resource ids too)."""


def deployable_text() -> str:
    """The embedded default config with no placeholder left: what a team's config looks like."""
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8")
    for placeholder, own in DEPLOYABLE:
        text = text.replace(placeholder, own)
    return text
