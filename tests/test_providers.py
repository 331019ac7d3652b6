"""The lazy provider loading: exact (byte-identical output), lazy in fact, and fail-safe."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app_runtime.provider_loading import PROVIDER_PACKAGES, eager_requested, use_lazy_provider_packages
from tests.helpers import ROOT


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def start_lazy_and_eager_syntheses(outdir: Path) -> dict[str, subprocess.Popen]:
    """Start `python main.py` on the default config both ways, into outdir/lazy and outdir/eager.

    conftest starts these right after collection so that they run beside the rest of the suite.
    """
    runs = {}
    for mode, eager in (("lazy", "0"), ("eager", "1")):
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLPLATFORM_")}
        env.update(MLPLATFORM_EAGER_PROVIDERS=eager, CDKTF_OUTDIR=str(outdir / mode))
        runs[mode] = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py")],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    return runs


def test_output_is_byte_identical_with_and_without_lazy_loading(lazy_and_eager_syntheses):
    """The default config synthesized both ways, in subprocesses side by side: identical trees."""
    outdir, runs = lazy_and_eager_syntheses
    for mode, process in runs.items():
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, f"{mode}: {stderr}"
        assert "importing it the normal (slow) way" not in stderr
    lazy, eager = _tree(outdir / "lazy"), _tree(outdir / "eager")
    assert len(lazy) == 11  # manifest + ten stacks
    assert sorted(lazy) == sorted(eager)
    for name in lazy:
        assert lazy[name] == eager[name], f"{name} differs between lazy and eager provider loading"


def test_only_the_used_provider_modules_are_loaded(default_stacks):
    if eager_requested(os.environ):
        pytest.skip("MLPLATFORM_EAGER_PROVIDERS=1: the stock imports are in use")
    loaded = [m for m in sys.modules if m.startswith("cdktf_cdktf_provider_azurerm.")]
    assert "cdktf_cdktf_provider_azurerm.key_vault" in loaded
    assert len(loaded) < 25, loaded  # the stock package __init__ imports ~1,500


def test_submodules_are_reachable_as_attributes_of_the_bare_package():
    import cdktf_cdktf_provider_time as time_provider

    assert time_provider.offset.Offset.__name__ == "Offset"
    with pytest.raises(AttributeError):
        time_provider.no_such_module  # noqa: B018


def test_unexpected_layout_falls_back_to_the_normal_import_and_says_so_once(tmp_path, monkeypatch):
    package = tmp_path / "fake_provider_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("VALUE = 42\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    stderr = io.StringIO()
    assert use_lazy_provider_packages(["fake_provider_pkg"], stderr=stderr) == ()
    assert use_lazy_provider_packages(["fake_provider_pkg"], stderr=stderr) == ()
    lines = stderr.getvalue().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("mlplatform: fake_provider_pkg has an unexpected layout (No such file or directory: ")
    assert lines[0].endswith("_jsii/__init__.py); importing it the normal (slow) way")
    import fake_provider_pkg

    assert fake_provider_pkg.VALUE == 42
    monkeypatch.delitem(sys.modules, "fake_provider_pkg")


def test_every_provider_in_the_pipfile_has_the_expected_layout():
    stderr = io.StringIO()
    use_lazy_provider_packages(PROVIDER_PACKAGES, stderr=stderr)  # already registered: a no-op
    assert stderr.getvalue() == ""


@pytest.mark.parametrize("value,eager", [("1", True), ("true", True), ("0", False), ("", False)])
def test_eager_switch(value, eager):
    assert eager_requested({"MLPLATFORM_EAGER_PROVIDERS": value}) is eager
