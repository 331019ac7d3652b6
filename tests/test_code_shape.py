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
    [path for folder in ("config", "constructs_lib", "stacks") for path in sorted((ROOT / folder).glob("*.py"))],
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_modules_stay_small(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES


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
