"""The code keeps its shape: each construct module is tested on its own, modules stay small, one grant style."""

from __future__ import annotations

import ast

import pytest

from tests.helpers import ROOT

CONSTRUCT_MODULES = sorted(p.stem for p in (ROOT / "constructs_lib").glob("*.py") if p.stem != "__init__")
MAX_MODULE_LINES = 300


@pytest.mark.parametrize("module", CONSTRUCT_MODULES)
def test_each_construct_module_has_its_own_tests(module):
    assert (ROOT / "tests" / "constructs" / f"test_{module}.py").is_file()


@pytest.mark.parametrize(
    "path",
    [
        path
        for folder in ("config", "constructs_lib", "stacks", "app_runtime")
        for path in sorted((ROOT / folder).glob("*.py"))
    ],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_modules_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES


MAX_MAIN_LINES = 100


def test_main_is_a_page_that_only_loads_dispatches_and_builds():
    """The runtime machinery (staging folder, stop signals, publishing) lives in app_runtime/, not main.py."""
    source = (ROOT / "main.py").read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_MAIN_LINES
    assert {"shutil", "signal", "time"} & _imports(ROOT / "main.py") == set()


def _grant_methods():
    for path in sorted((ROOT / "constructs_lib").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and (node.name == "grant" or node.name.startswith("grant_")):
                yield f"{path.stem}.{node.name}", node


@pytest.mark.parametrize("name, method", list(_grant_methods()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_grant_takes_a_typed_grantee_and_returns_what_it_made(name, method):
    grantee = method.args.args[1]
    assert grantee.arg == "principal"
    assert ast.unparse(grantee.annotation) in ("Principal", "AzurePrincipal")
    assert method.returns is not None and ast.unparse(method.returns) != "None"


def _imports(path):
    """Modules `path` imports (absolute names; relative imports resolved against its package)."""
    import ast

    package = path.parent.name
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = f"{package}.{base}" if base else package
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


LAYER_ORDER = {"config": 0, "constructs_lib": 0, "stacks": 1}
HARNESS = ("ops", "proof", "generators", "tests")
"""The folders around the product: what a platform engineer runs, what proves it, what writes files, the tests."""


def test_layers_import_downwards_only_and_config_and_constructs_stay_apart():
    """main -> stacks -> constructs_lib / config; config and constructs_lib import no layer of this app."""
    for folder, forbidden in (
        ("config", ("stacks", "constructs_lib", "app_runtime", *HARNESS, "main")),
        ("constructs_lib", ("stacks", "config", "app_runtime", *HARNESS, "main")),
        ("stacks", ("app_runtime", *HARNESS, "main")),
    ):
        for path in sorted((ROOT / folder).glob("*.py")):
            upward = {name for name in _imports(path) if name.split(".")[0] in forbidden}
            assert upward == set(), f"{folder}/{path.name} imports {sorted(upward)}"


def test_the_product_needs_nothing_that_runs_or_proves_it():
    """main.py and app_runtime/ import none of ops/, proof/, generators/, tests/; ops/ (shipped to platform engineers)
    imports nothing of proof/ or generators/, so a deploy never depends on the harness that proves it."""
    for folder, forbidden in (
        ("app_runtime", HARNESS),
        (".", HARNESS),
        ("ops", ("proof", "generators", "tests")),
    ):
        for path in sorted((ROOT / folder).glob("**/*.py" if folder != "." else "main.py")):
            found = {name for name in _imports(path) if name.split(".")[0] in forbidden}
            assert found == set(), f"{path.relative_to(ROOT)} imports {sorted(found)}"


def test_no_import_cycle_between_modules_of_a_layer():
    for folder in ("config", "constructs_lib", "stacks"):
        modules = {path.stem: path for path in (ROOT / folder).glob("*.py")}
        graph = {
            name: {m.split(".")[1] for m in _imports(path) if m.startswith(f"{folder}.") and m.split(".")[1] in modules}
            - {name}
            for name, path in modules.items()
        }

        def reaches(start, target, graph=graph, seen=()):
            return any(n == target or (n not in seen and reaches(n, target, graph, (*seen, n))) for n in graph[start])

        cycles = sorted(name for name in graph if reaches(name, name))
        assert cycles == [], f"{folder}: import cycle through {cycles}"
