"""Test session setup: Node 22 from node_modules first on PATH, one synthesis of the default app, and the
system's temp folder left as the session found it."""

from __future__ import annotations

import atexit
import contextlib
import getpass
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app_runtime.node import use_project_node  # noqa: E402
from app_runtime.provider_loading import eager_requested, use_lazy_provider_packages  # noqa: E402

use_project_node()  # as main.py does, before anything starts the jsii kernel

# The system's temp folder is left as the session found it. pytest's own folders (pytest-of-<user>, removed when
# every test passed: pytest.ini) and this process's temp files stay where tempfile puts them (pinned here first);
# every process the session starts, the jsii kernel included, gets one folder of its own as TMPDIR, removed at
# exit: what they leave there (cdktf's Testing.app folders, checkov's parser cache, ...) goes with it.
SYSTEM_TEMP = Path(tempfile.gettempdir())
_PYTEST_ROOT = SYSTEM_TEMP / f"pytest-of-{getpass.getuser()}"
_PYTEST_ROOT_EXISTED = _PYTEST_ROOT.exists()
SESSION_TEMP = Path(tempfile.mkdtemp(prefix="mlplatform-tests-"))
os.environ["TMPDIR"] = str(SESSION_TEMP)


def _leave_the_temp_folder_as_found() -> None:
    """At exit, after jsii has stopped the session's kernel (atexit runs last what was registered first)."""
    shutil.rmtree(SESSION_TEMP, ignore_errors=True)
    if not _PYTEST_ROOT_EXISTED:
        with contextlib.suppress(OSError):
            _PYTEST_ROOT.rmdir()  # only if empty: a failed test's folder stays, as pytest.ini says


atexit.register(_leave_the_temp_folder_as_found)

if not eager_requested(os.environ):
    use_lazy_provider_packages()  # before anything imports a provider, as main.py does

from config import load_config  # noqa: E402
from tests.helpers import read_stacks, synth_into  # noqa: E402

REQUIRE_PROVIDERS = "MLPLATFORM_REQUIRE_PROVIDERS"
NOT_RUN = "real-provider checks not run: "
"""How every skip of a test that needs the providers begins (`provider_cli_config`)."""


@pytest.fixture(scope="session")
def default_config():
    return load_config().config


@pytest.fixture(scope="session")
def default_outdir(default_config, tmp_path_factory):
    """The embedded default config synthesized once for the whole session (a cdktf.out/ folder)."""
    outdir = tmp_path_factory.mktemp("cdktf.out")
    synth_into(default_config, outdir)
    return outdir


@pytest.fixture(scope="session")
def default_stacks(default_outdir):
    """Every stack of the default synthesis, parsed: stack id -> cdk.tf.json."""
    return read_stacks(default_outdir)


@pytest.fixture(scope="session")
def variant_configs(tmp_path_factory):
    """Every config variant of tests/config_variants.py, loaded as main.py loads a file, each under
    its own prefix (`variant<index>`): variant name -> PlatformConfig."""
    import yaml

    from tests.config_variants import variants

    folder = tmp_path_factory.mktemp("variants")
    configs = {}
    for index, (name, raw) in enumerate(variants().items()):
        raw["prefix"] = f"variant{index}"
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
        configs[name] = load_config(path).config
    return configs


@pytest.fixture(scope="session")
def variant_outdir(variant_configs, tmp_path_factory):
    """Every config variant synthesized into one app."""
    from app_runtime.synthesis import new_app, synth
    from stacks.app import build_app

    outdir = tmp_path_factory.mktemp("variants-out")
    app = new_app(str(outdir))
    for config in variant_configs.values():
        build_app(app, config)
    synth(app)
    return outdir


@pytest.fixture(scope="session")
def variant_stacks(variant_outdir):
    return read_stacks(variant_outdir)


_PROVIDERS_LINE = sys._getframe().f_lineno + 2  # the fixture's line, for the folded skip


@pytest.fixture(scope="session")
def provider_cli_config(request, default_stacks, variant_stacks):
    """The CLI config selecting the provider mirror, with every pinned provider in it.

    Without Terraform or a provider, every test that needs them is skipped from this one place, so
    the summary gives the reason once (`SKIPPED [N] ...`); MLPLATFORM_REQUIRE_PROVIDERS=1 fails instead.
    A build from source (Go on PATH, providers missing) takes about 25 minutes once per machine: it is
    announced on the terminal, past pytest's capture, and reports as it goes."""
    from proof import provider_mirror, terraform_check

    source = os.environ.get("MLPLATFORM_PROVIDER_SOURCE", "source")
    try:
        terraform_check.terraform_binary()
        pins = provider_mirror.pins_from_stacks([*default_stacks.values(), *variant_stacks.values()])
        needed = provider_mirror.missing(provider_mirror.mirror_dir(provider_mirror.cache_root()), pins)
        if not needed or source == "cache":
            return provider_mirror.ensure(pins, source)
        capture = request.config.pluginmanager.getplugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(f"\n{_announcement(len(needed), source)}", file=sys.stderr, flush=True)
            return provider_mirror.ensure(pins, source)
    except terraform_check.TerraformUnavailable as error:
        why = str(error)
    except provider_mirror.ProvidersUnavailable as error:
        names = ", ".join(problem.split(":")[0].split("/")[1].split()[0] for problem in error.problems)
        cause = error.problems[0].split(": ", 1)[-1]
        why = f"{len(error.problems)} pinned providers missing ({names}): {cause[:200]}"
    reason = (
        f"{NOT_RUN}{why}. `make providers` puts them in the cache (PROVIDER_SOURCE=source builds them with Go, "
        f"=registry downloads them); {REQUIRE_PROVIDERS}=1 fails instead of skipping"
    )
    if os.environ.get(REQUIRE_PROVIDERS) == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def _announcement(count: int, source: str) -> str:
    if source == "source":
        return (
            f"==> building {count} pinned Terraform providers from their Go modules for the real-provider checks, "
            "once per machine (about 25 min on 2 cores); MLPLATFORM_PROVIDER_SOURCE=cache skips them, "
            "MLPLATFORM_PROVIDER_SOURCE=registry downloads them instead"
        )
    return f"==> downloading {count} pinned Terraform providers from the registry for the real-provider checks"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Every real-provider skip is reported from one place, so `-ra` folds them into one line
    (`SKIPPED [N] tests/conftest.py:...: real-provider checks not run: ...`), not one per test."""
    outcome = yield
    report = outcome.get_result()
    longrepr = report.longrepr
    if report.skipped and isinstance(longrepr, tuple) and NOT_RUN in str(longrepr[2]):
        report.longrepr = (str(Path(__file__).relative_to(ROOT)), _PROVIDERS_LINE, longrepr[2])


_BYTE_IDENTITY_TEST = "test_output_is_byte_identical_with_and_without_lazy_loading"
_background: dict = {}


def pytest_collection_finish(session):
    """Start the two subprocess syntheses of the lazy-vs-eager test now, so they overlap the suite."""
    if any(item.name == _BYTE_IDENTITY_TEST for item in session.items):
        from tests.test_providers import start_lazy_and_eager_syntheses

        outdir = Path(tempfile.mkdtemp(prefix="mlplatform-lazy-vs-eager-"))
        _background.update(outdir=outdir, runs=start_lazy_and_eager_syntheses(outdir))


def pytest_sessionfinish(session):
    for process in _background.get("runs", {}).values():
        if process.poll() is None:
            process.terminate()  # main.py's stop handler removes what it started; a kill would leave it
        try:
            process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
    if "outdir" in _background:
        shutil.rmtree(_background["outdir"], ignore_errors=True)


@pytest.fixture(scope="session")
def lazy_and_eager_syntheses():
    assert _background, "started by pytest_collection_finish"
    return _background["outdir"], _background["runs"]
