"""How the prebuilt provider packages are loaded: only the submodules the app uses.

Why: importing anything from `cdktf_cdktf_provider_azurerm` runs the package's `__init__`, which
imports all of its ~1,500 resource modules (and the other providers do the same on a smaller
scale). That is most of a synthesis' wall time. Each resource module, however, needs only its
package's `_jsii` module (which loads the jsii assembly into the Node kernel) plus cdktf and
constructs. So before any provider is imported we register each provider package in
`sys.modules` as a bare package: same name, same `__path__`, no eager `__init__`. Normal import
statements (`from cdktf_cdktf_provider_azurerm.key_vault import KeyVault`) then load only
`key_vault` and `_jsii`. The synthesized JSON is byte-identical (a test proves it for every stack).

Safety:
- The jsii runtime imports the defining submodule itself when the Node side hands back an
  object of a type Python has not loaded yet, and attribute access on the bare package
  (`azurerm.key_vault`) imports the submodule on demand (PEP 562).
- If a package's layout is not the one described above, that package is imported the normal
  way and one line on stderr says so.
- Callers decide whether to use it (`main.py` and the tests honour MLPLATFORM_EAGER_PROVIDERS=1);
  this module reads no environment variable.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from collections.abc import Iterable, Mapping
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import TextIO

PROVIDER_PACKAGES = (
    "cdktf_cdktf_provider_azuread",
    "cdktf_cdktf_provider_azurerm",
    "cdktf_cdktf_provider_databricks",
    "cdktf_cdktf_provider_github",
    "cdktf_cdktf_provider_tfe",
    "cdktf_cdktf_provider_time",
)

EAGER_VARIABLE = "MLPLATFORM_EAGER_PROVIDERS"

_warned: set[str] = set()


def eager_requested(environ: Mapping[str, str]) -> bool:
    """True when the caller's environment asks for the stock, eager imports (MLPLATFORM_EAGER_PROVIDERS=1)."""
    return environ.get(EAGER_VARIABLE, "").strip().lower() in ("1", "true", "yes")


def _locate(name: str) -> tuple[ModuleSpec | None, str | None]:
    """`name`'s spec, and why it cannot be loaded lazily (None when its layout is the expected one)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError) as error:
        return None, f"cannot be located ({error})"
    if spec is None or not spec.submodule_search_locations:
        return None, "is not installed as a package"
    return spec, _layout_problem(spec)


def _layout_problem(spec: ModuleSpec) -> str | None:
    """Why the located package cannot be loaded lazily, or None when its layout is the expected one."""
    assert spec.submodule_search_locations is not None
    locations = list(spec.submodule_search_locations)
    if len(locations) != 1:
        return f"spans {len(locations)} folders"
    root = Path(locations[0])
    init = root / "__init__.py"
    jsii_init = root / "_jsii" / "__init__.py"
    try:
        package_code = init.read_text(encoding="utf-8")
        jsii_code = jsii_init.read_text(encoding="utf-8")
        provider_code = (root / "provider" / "__init__.py").read_text(encoding="utf-8")
    except OSError as error:
        return f"has an unexpected layout ({error.strerror}: {error.filename})"
    if "from ._jsii import *" not in package_code:
        return "its __init__ no longer re-exports _jsii"
    if "JSIIAssembly.load(" not in jsii_code:
        return "its _jsii module no longer loads the jsii assembly"
    if "from .._jsii import *" not in provider_code:
        return "its submodules no longer import the package's _jsii themselves"
    return None


def _bare_package(name: str, spec: ModuleSpec) -> types.ModuleType:
    assert spec.submodule_search_locations is not None
    package = types.ModuleType(name, f"{name}, loaded lazily by app_runtime.provider_loading")
    package.__path__ = list(spec.submodule_search_locations)
    package.__package__ = name
    package.__spec__ = spec
    package.__file__ = spec.origin

    def __getattr__(attribute: str) -> types.ModuleType:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        try:
            return importlib.import_module(f"{name}.{attribute}")
        except ModuleNotFoundError as error:
            if error.name == f"{name}.{attribute}":
                raise AttributeError(f"module {name!r} has no attribute {attribute!r}") from None
            raise

    package.__getattr__ = __getattr__  # type: ignore[method-assign]
    return package


def use_lazy_provider_packages(
    packages: Iterable[str] = PROVIDER_PACKAGES, *, stderr: TextIO | None = None
) -> tuple[str, ...]:
    """Register `packages` as bare packages; return the names registered now.

    Call once, early, before any provider import. A package already imported is left alone;
    one whose layout is unexpected is left to the normal import, with one line on stderr.
    """
    registered = []
    for name in packages:
        if name in sys.modules:
            continue
        spec, problem = _locate(name)
        if spec is None or problem:
            if name not in _warned:
                _warned.add(name)
                print(
                    f"mlplatform: {name} {problem}; importing it the normal (slow) way",
                    file=stderr or sys.stderr,
                )
            continue
        sys.modules[name] = _bare_package(name, spec)
        registered.append(name)
    return tuple(registered)
