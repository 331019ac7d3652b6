"""`make providers`: the exact provider versions the synthesized stacks pin, in a Terraform filesystem mirror.

The pins are read from the synthesized JSON (`terraform.required_providers` of every stack: what the
prebuilt cdktf provider packages pin), never from a list kept here. The mirror lives in a cache
folder outside the checkout (`$MLPLATFORM_PROVIDER_CACHE`, default `~/.cache/mlplatform-cdktf/providers`),
so every clone and CI run on a machine reuses it, laid out as Terraform's unpacked filesystem mirror:

    <mirror>/registry.terraform.io/<namespace>/<type>/<version>/<os>_<arch>/terraform-provider-<type>_v<version>

(or the packed `terraform-provider-<type>_<version>_<os>_<arch>.zip` that `terraform providers mirror` writes).

Sources (`--source`):
- `registry`: `terraform providers mirror` from the Terraform registry (a machine with internet).
- `source`: each provider built from its Go module at the pinned version with the Go toolchain and
  the Go module proxy. azurerm and azuread have no `/vN` suffix in their module path, so their
  release tags are not valid module versions: `RELEASE_COMMITS` names the pseudo-version of the
  commit each release tag points at (read from the repository's tags).
- `cache`: only what the cache already holds (never contacts anything).

Usage: `python -m proof.provider_mirror [--source source|registry|cache] [--stacks DIR]`; exit 0 when
every pinned provider is in the mirror, 2 with one line per missing provider and why.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REGISTRY_HOST = "registry.terraform.io"
CACHE_VARIABLE = "MLPLATFORM_PROVIDER_CACHE"
SOURCES = ("source", "registry", "cache")

# Modules whose path has no `/vN` suffix although their releases are v2+: the Go module proxy cannot
# serve `vN.x.y` for them, only the commit the release tag points at, as a pseudo-version
# (`v<last v1 tag + 1>-0.<commit time UTC>-<12 hex of the commit>`). Each entry is the commit of that
# release tag in the provider's repository (`git rev-list -n1 v<version>`).
RELEASE_COMMITS: Mapping[tuple[str, str], str] = {
    ("hashicorp/azurerm", "4.55.0"): "v1.44.1-0.20251204165152-37bf7f03b661",
    ("hashicorp/azuread", "3.7.0"): "v1.6.1-0.20251118193153-72ee4ffe4628",
}

# Modules whose path has the `/vN` suffix of their major version (Go's semantic import versioning).
MODULE_PATHS: Mapping[str, str] = {
    "integrations/github": "github.com/integrations/terraform-provider-github/v6",
}


class ProvidersUnavailable(Exception):
    """Some pinned providers are not in the mirror and could not be put there; `problems` has one
    line per provider (address, version, why)."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, order=True)
class ProviderPin:
    """One provider as a synthesized stack pins it: `hashicorp/azurerm` at `4.55.0`."""

    source: str
    """`<namespace>/<type>` as in `required_providers` (the registry host is implied)."""
    version: str
    """The exact version (the prebuilt packages pin exact versions)."""

    @property
    def namespace(self) -> str:
        return self.source.split("/")[0]

    @property
    def type(self) -> str:
        return self.source.split("/")[1]

    @property
    def go_module(self) -> str:
        """The provider's Go module: `github.com/<namespace>/terraform-provider-<type>` (or `MODULE_PATHS`)."""
        return MODULE_PATHS.get(self.source, f"github.com/{self.namespace}/terraform-provider-{self.type}")

    @property
    def go_version(self) -> str:
        """The module version to build: `v<version>`, or the release commit's pseudo-version."""
        return RELEASE_COMMITS.get((self.source, self.version), f"v{self.version}")

    def __str__(self) -> str:
        return f"{self.source} {self.version}"


def platform_dir() -> str:
    """`linux_amd64`-style: Terraform's name for this machine's platform."""
    machine = platform.machine().lower()
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    return f"{platform.system().lower()}_{arch}"


def cache_root(environ: Mapping[str, str] = os.environ) -> Path:
    """The cache folder outside the checkout: `$MLPLATFORM_PROVIDER_CACHE` or `~/.cache/mlplatform-cdktf/providers`."""
    configured = environ.get(CACHE_VARIABLE, "").strip()
    if configured:
        return Path(configured).expanduser()
    base = environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "mlplatform-cdktf" / "providers"


def mirror_dir(root: Path) -> Path:
    return root / "mirror"


def pins_from_stacks(stacks: Iterable[Mapping]) -> list[ProviderPin]:
    """Every (source, version) any synthesized stack pins, sorted; a stack pinning a range is an error."""
    pins: set[ProviderPin] = set()
    for stack in stacks:
        for name, requirement in stack.get("terraform", {}).get("required_providers", {}).items():
            source, version = requirement.get("source", name), requirement.get("version", "")
            # Terraform's source address: `type` means hashicorp/type (cdktf writes azurerm's that way).
            parts = source.lower().split("/")
            if len(parts) == 3 and parts[0] == REGISTRY_HOST:
                parts = parts[1:]
            if len(parts) == 1:
                parts = ["hashicorp", *parts]
            if len(parts) != 2:
                raise ValueError(f"provider {name}: source {source!r} is not on {REGISTRY_HOST}")
            source = "/".join(parts)
            if not version or not version[0].isdigit() or any(c in version for c in "<>=~, "):
                raise ValueError(f"provider {source} is pinned to {version!r}, not to one exact version")
            pins.add(ProviderPin(source, version))
    return sorted(pins)


def pins_from_outdir(outdir: Path) -> list[ProviderPin]:
    """The pins of every stack of a synthesized `cdktf.out/` folder (its manifest.json)."""
    manifest = json.loads((outdir / "manifest.json").read_text())
    return pins_from_stacks(
        json.loads((outdir / stack["synthesizedStackPath"]).read_text()) for stack in manifest["stacks"].values()
    )


def installed_path(mirror: Path, pin: ProviderPin, target: str | None = None) -> Path | None:
    """Where the mirror holds `pin` (unpacked binary or packed zip), or None."""
    target = target or platform_dir()
    base = mirror / REGISTRY_HOST / pin.namespace / pin.type
    unpacked = base / pin.version / target / f"terraform-provider-{pin.type}_v{pin.version}"
    packed = base / f"terraform-provider-{pin.type}_{pin.version}_{target}.zip"
    for candidate in (unpacked, packed):
        if candidate.is_file():
            return candidate
    return None


def missing(mirror: Path, pins: Iterable[ProviderPin]) -> list[ProviderPin]:
    return [pin for pin in pins if installed_path(mirror, pin) is None]


def cli_config(root: Path) -> Path:
    """A Terraform CLI config that installs providers from the mirror only (`TF_CLI_CONFIG_FILE`):
    `terraform init` then contacts no registry."""
    path = root / "terraformrc"
    text = (
        "provider_installation {\n"
        f"  filesystem_mirror {{\n    path    = {json.dumps(str(mirror_dir(root)))}\n"
        f'    include = ["{REGISTRY_HOST}/*/*"]\n  }}\n'
        "}\n"
        "disable_checkpoint = true\n"
    )
    if not path.is_file() or path.read_text() != text:
        root.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One builder per cache at a time (two CI runs on one machine wait, then reuse)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@contextmanager
def _heartbeat(what: str, log=sys.stderr) -> Iterator[None]:
    """A progress line every 30 s while `what` runs, so a cold build never looks hung."""
    start = time.monotonic()
    done = threading.Event()

    def beat() -> None:
        while not done.wait(30):
            print(f"    ... still {what} ({time.monotonic() - start:.0f} s so far)", file=log, flush=True)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


_ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FRAME = "│╷╵ "
"""The box Terraform draws around a diagnostic."""


def _cause(text: str) -> str:
    """Why a command failed, in one line: Terraform's first diagnostic (`Error: <summary>: <detail>`, its
    colour codes and box removed), else the last line of output (Go's errors are one line)."""
    lines = [_ESCAPES.sub("", line).strip(_FRAME).strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith("Error: "):
            detail: list[str] = []
            for following in lines[index + 1 :]:
                if following.startswith("Error: ") or (not following and detail):
                    break
                if following:
                    detail.append(following)
            return f"{line}: {' '.join(detail)}" if detail else line
    shown = [line for line in lines if line]
    return shown[-1] if shown else "no output"


def build_from_source(pin: ProviderPin, mirror: Path, log=sys.stderr) -> str | None:
    """Build `pin` from its Go module into the mirror; None on success, else why not (one line)."""
    go = shutil.which("go")
    if go is None:
        return "the Go toolchain is not on PATH (source builds need `go`)"
    target_os, target_arch = platform_dir().split("_", 1)
    destination = mirror / REGISTRY_HOST / pin.namespace / pin.type / pin.version / platform_dir()
    # `go get` into a throwaway module, then `go build`: the same build list as `go install <module>@<version>`
    # (the provider's own requirements), without the version-list lookup `go install` makes for deprecations,
    # which the module proxy here refuses for some modules (integrations/github/v6: 403 on @v/list).
    with tempfile.TemporaryDirectory(prefix="mlplatform-provider-build-") as build:
        env = {
            **os.environ,
            "GOOS": target_os,
            "GOARCH": target_arch,
            "CGO_ENABLED": "0",
            "GOFLAGS": "-mod=mod -trimpath",
        }
        work = Path(build) / "module"
        work.mkdir()
        (work / "go.mod").write_text("module mlplatform/provider-build\n")
        print(f"==> building {pin} from {pin.go_module}@{pin.go_version}", file=log, flush=True)
        start = time.monotonic()
        with _heartbeat(f"building {pin}", log):
            result = subprocess.run(
                [go, "get", f"{pin.go_module}@{pin.go_version}"], cwd=work, env=env, capture_output=True, text=True
            )
            if result.returncode == 0:
                result = subprocess.run(
                    [go, "build", "-o", str(Path(build) / f"terraform-provider-{pin.type}"), pin.go_module],
                    cwd=work,
                    env=env,
                    capture_output=True,
                    text=True,
                )
        if result.returncode != 0:
            return f"go build of {pin.go_module}@{pin.go_version} failed: {_cause(result.stderr)}"
        built = Path(build) / f"terraform-provider-{pin.type}"
        if not built.is_file():
            return f"go build of {pin.go_module}@{pin.go_version} produced no terraform-provider-{pin.type}"
        destination.mkdir(parents=True, exist_ok=True)
        partial = destination / f".terraform-provider-{pin.type}_v{pin.version}.partial"
        shutil.copy2(built, partial)
        partial.rename(destination / f"terraform-provider-{pin.type}_v{pin.version}")
        print(f"    built {pin} in {time.monotonic() - start:.0f} s", file=log, flush=True)
    return None


def mirror_from_registry(pins: list[ProviderPin], mirror: Path, log=sys.stderr) -> str | None:
    """`terraform providers mirror` of exactly `pins` from the registry; None on success, else why not."""
    terraform = shutil.which("terraform")
    if terraform is None:
        return "terraform is not on PATH"
    required = {pin.type: {"source": pin.source, "version": pin.version} for pin in pins}
    with tempfile.TemporaryDirectory(prefix="mlplatform-provider-mirror-") as work:
        (Path(work) / "main.tf.json").write_text(json.dumps({"terraform": {"required_providers": required}}))
        print(f"==> terraform providers mirror: {', '.join(map(str, pins))}", file=log, flush=True)
        with _heartbeat("mirroring providers from the registry", log):
            result = subprocess.run(
                [terraform, "providers", "mirror", f"-platform={platform_dir()}", str(mirror)],
                cwd=work,
                capture_output=True,
                text=True,
                env={**os.environ, "CHECKPOINT_DISABLE": "1"},
            )
    if result.returncode != 0:
        return f"terraform providers mirror failed: {_cause(result.stderr or result.stdout)}"
    return None


def ensure(pins: list[ProviderPin], source: str, root: Path | None = None, log=sys.stderr) -> Path:
    """Make the mirror hold every pin; return the CLI config file that selects it.

    Raises ProvidersUnavailable naming each provider that is still missing and why."""
    if source not in SOURCES:
        raise ValueError(f"unknown provider source {source!r}; one of {', '.join(SOURCES)}")
    root = root or cache_root()
    mirror = mirror_dir(root)
    with _locked(root):
        problems: list[str] = []
        needed = missing(mirror, pins)
        if needed and source == "registry":
            why = mirror_from_registry(needed, mirror, log)
            if why:
                problems += [f"{pin}: {why}" for pin in missing(mirror, needed)]
        elif needed and source == "source":
            for pin in needed:
                why = build_from_source(pin, mirror, log)
                if why:
                    problems.append(f"{pin}: {why}")
        still = missing(mirror, pins)
        if still and not problems:
            problems = [f"{pin}: not in the provider cache {mirror} (source '{source}')" for pin in still]
        if problems:
            raise ProvidersUnavailable(problems)
    return cli_config(root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m proof.provider_mirror", description=__doc__.splitlines()[0])
    parser.add_argument("--source", choices=SOURCES, default=os.environ.get("MLPLATFORM_PROVIDER_SOURCE", "source"))
    parser.add_argument("--stacks", type=Path, default=Path("cdktf.out"), help="a synthesized cdktf.out/ folder")
    args = parser.parse_args(argv)
    try:
        pins = pins_from_outdir(args.stacks)
    except (OSError, ValueError, KeyError) as error:
        print(f"error: cannot read the pinned providers from {args.stacks}/manifest.json: {error}", file=sys.stderr)
        return 2
    start = time.monotonic()
    try:
        config = ensure(pins, args.source)
    except ProvidersUnavailable as error:
        for problem in error.problems:
            print(f"error: provider {problem}", file=sys.stderr)
        return 2
    print(f"providers ready in {time.monotonic() - start:.0f} s: {', '.join(map(str, pins))}")
    print(f"mirror: {mirror_dir(cache_root())}  (TF_CLI_CONFIG_FILE={config})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
