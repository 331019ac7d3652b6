"""`make validate`: the real providers judge every synthesized stack.

For every stack (identical stacks once): `terraform init -backend=false` against the provider mirror
(proof/provider_mirror.py; no registry is contacted) and `terraform validate -json`. The providers
then check every argument, block, enum, id format and expression of the stack at the pinned
versions. What this cannot prove: API-side rules, permissions, quotas, eventual consistency.

Also here: `terraform test` with `mock_provider` (proof.mock_apply builds on `run_terraform`).

Usage: `python -m proof.terraform_check [--stacks cdktf.out] [--source source|registry|cache]`;
exit 0 when every stack validates with no error and no unlisted warning, 1 when a provider objects
(one line per finding: stack, resource address, the provider's message), 2 when Terraform or a
provider is missing.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from proof import provider_mirror

MINIMUM_TERRAFORM = (1, 11, 0)
"""`terraform test` with `mock_provider` and `override_*` as used here; 1.11.4 is on the machines."""

# Warnings the providers report that are accepted, each with its reason: (address prefix, summary) -> why.
# Anything else a provider warns about fails the gate like an error.
ACCEPTED_WARNINGS: Mapping[tuple[str, str], str] = {}


class TerraformUnavailable(Exception):
    """No usable Terraform: the message says what was found and what is needed."""


@dataclass(frozen=True)
class Diagnostic:
    """One finding of `terraform validate` (or `terraform test`) about one stack."""

    stack: str
    severity: str
    summary: str
    detail: str
    address: str

    def __str__(self) -> str:
        where = f"{self.stack}: {self.address}" if self.address else self.stack
        detail = " ".join(self.detail.split())
        return f"{where}: {self.severity}: {self.summary}" + (f": {detail}" if detail else "")

    @property
    def accepted_because(self) -> str | None:
        for (prefix, summary), why in ACCEPTED_WARNINGS.items():
            if self.severity == "warning" and self.address.startswith(prefix) and self.summary == summary:
                return why
        return None


def terraform_binary(environ: Mapping[str, str] = os.environ) -> Path:
    """The Terraform on PATH, if it is at least MINIMUM_TERRAFORM; else TerraformUnavailable.

    Its version is asked once per binary (every init, validate and test calls this)."""
    found = shutil.which("terraform", path=environ.get("PATH"))
    if found is None:
        raise TerraformUnavailable(
            f"terraform is not on PATH: the real-provider checks need Terraform >= {_WANTED} (e.g. 1.11.4 from "
            "your package manager or HashiCorp's releases)"
        )
    return _checked(found)


_WANTED = ".".join(map(str, MINIMUM_TERRAFORM))


@functools.cache
def _checked(found: str) -> Path:
    result = subprocess.run([found, "version", "-json"], capture_output=True, text=True, env=_env())
    try:
        version = json.loads(result.stdout)["terraform_version"]
        numbers = tuple(int(part) for part in re.findall(r"\d+", version)[:3])
    except (ValueError, KeyError):
        raise TerraformUnavailable(f"{found} did not report its version: {result.stderr.strip()[:200]}") from None
    if numbers < MINIMUM_TERRAFORM:
        raise TerraformUnavailable(f"{found} is Terraform {version}; the real-provider checks need >= {_WANTED}")
    return Path(found)


def _env(cli_config: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1", "TF_INPUT": "0"}
    for variable in ("TF_CLI_ARGS", "TF_CLI_ARGS_init", "TF_CLI_ARGS_validate", "TF_CLI_ARGS_test", "TF_WORKSPACE"):
        env.pop(variable, None)
    if cli_config is not None:
        env["TF_CLI_CONFIG_FILE"] = str(cli_config)
        env.pop("TF_PLUGIN_CACHE_DIR", None)
    return env


def run_terraform(args: list[str], cwd: Path, cli_config: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """`terraform <args>` in `cwd` with the mirror's CLI config, captured."""
    return subprocess.run(
        [str(terraform_binary()), *args],
        cwd=cwd,
        env=_env(cli_config),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def strip_metadata(value: Any) -> Any:
    """Without cdktf's '//' metadata blocks: two stacks that differ only there are the same module."""
    if isinstance(value, dict):
        return {k: strip_metadata(v) for k, v in value.items() if k != "//"}
    if isinstance(value, list):
        return [strip_metadata(v) for v in value]
    return value


def module_digest(stack: Mapping[str, Any]) -> str:
    """Content hash of a stack as Terraform sees it (metadata and backend left out)."""
    module = strip_metadata(stack)
    terraform = {k: v for k, v in module.get("terraform", {}).items() if k not in ("backend", "cloud")}
    module = {**module, "terraform": terraform}
    return hashlib.sha256(json.dumps(module, sort_keys=True).encode()).hexdigest()[:16]


def init_module(stack: Mapping[str, Any], directory: Path, cli_config: Path) -> None:
    """Write `stack` as `directory/main.tf.json` and `terraform init -backend=false` there (providers
    come from the mirror as symlinks; nothing is downloaded). Re-running on the same content only
    rewrites the file."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(stack, indent=2)
    target = directory / "main.tf.json"
    lock = directory / ".terraform.lock.hcl"
    if target.is_file() and target.read_text() == text and lock.is_file() and (directory / ".terraform").is_dir():
        return
    target.write_text(text)
    result = run_terraform(["init", "-backend=false", "-input=false", "-no-color"], directory, cli_config)
    if result.returncode != 0:
        raise RuntimeError(f"terraform init failed in {directory}: {(result.stderr or result.stdout).strip()[-2000:]}")


def diagnostics_of(stack_name: str, output: str) -> list[Diagnostic]:
    """Parse `terraform validate -json` output into Diagnostics for `stack_name`."""
    report = json.loads(output)
    return [
        Diagnostic(
            stack=stack_name,
            severity=item.get("severity", "error"),
            summary=item.get("summary", ""),
            detail=item.get("detail", ""),
            address=item.get("address") or item.get("snippet", {}).get("context") or "",
        )
        for item in report.get("diagnostics", [])
    ]


def validate_stacks(
    stacks: Mapping[str, Mapping[str, Any]], cli_config: Path, work_root: Path, parallel: int = 2
) -> tuple[list[Diagnostic], dict[str, str]]:
    """Validate each distinct stack once. Returns every diagnostic (attributed to each stack that has
    that content) and stack name -> module digest (which stacks shared one validation)."""
    digests = {name: module_digest(stack) for name, stack in stacks.items()}
    first: dict[str, str] = {}
    for name in sorted(stacks):
        first.setdefault(digests[name], name)

    def one(digest: str) -> list[Diagnostic]:
        name = first[digest]
        directory = work_root / digest
        init_module(stacks[name], directory, cli_config)
        result = run_terraform(["validate", "-json", "-no-color"], directory, cli_config)
        if not result.stdout.strip():
            raise RuntimeError(f"terraform validate printed nothing for {name}: {result.stderr.strip()[-2000:]}")
        return diagnostics_of(name, result.stdout)

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        by_digest = dict(zip(first, pool.map(one, first), strict=True))
    found: list[Diagnostic] = []
    for name in sorted(stacks):
        for diagnostic in by_digest[digests[name]]:
            found.append(
                Diagnostic(name, diagnostic.severity, diagnostic.summary, diagnostic.detail, diagnostic.address)
            )
    return found, digests


def failures(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Errors, and warnings not in ACCEPTED_WARNINGS."""
    return [d for d in diagnostics if d.severity == "error" or d.accepted_because is None]


def read_outdir(outdir: Path) -> dict[str, dict[str, Any]]:
    manifest = json.loads((outdir / "manifest.json").read_text())
    return {
        name: json.loads((outdir / stack["synthesizedStackPath"]).read_text())
        for name, stack in manifest["stacks"].items()
    }


def work_root() -> Path:
    """Scratch folder for init'ed modules, beside the mirror (outside the checkout, reused)."""
    return provider_mirror.cache_root() / "work"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proof.terraform_check", description=__doc__.splitlines()[0])
    parser.add_argument("--stacks", type=Path, default=Path("cdktf.out"), help="a synthesized cdktf.out/ folder")
    parser.add_argument(
        "--source",
        choices=provider_mirror.SOURCES,
        default=os.environ.get("MLPLATFORM_PROVIDER_SOURCE", "source"),
        help="where missing providers come from (proof/provider_mirror.py)",
    )
    args = parser.parse_args(argv)
    try:
        terraform_binary()
        stacks = read_outdir(args.stacks)
        cli_config = provider_mirror.ensure(provider_mirror.pins_from_stacks(stacks.values()), args.source)
    except TerraformUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except provider_mirror.ProvidersUnavailable as error:
        for problem in error.problems:
            print(f"error: provider {problem}", file=sys.stderr)
        return 2
    start = time.monotonic()
    diagnostics, digests = validate_stacks(stacks, cli_config, work_root() / "validate")
    bad = failures(diagnostics)
    for diagnostic in diagnostics:
        why = diagnostic.accepted_because
        if why:
            print(f"accepted {diagnostic} (why: {why})")
    for diagnostic in bad:
        print(f"error: {diagnostic}", file=sys.stderr)
    print(
        f"terraform validate: {len(stacks)} stacks ({len(set(digests.values()))} distinct), "
        f"{len(bad)} problems, {time.monotonic() - start:.1f} s"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
