"""The README and docs/ say only what the code does: every fact a test can read back is read back here.

The config reference is generated from the model; the stacks, make targets, layout, links, test count
and the example error lines are each compared with what the code yields, so none can go stale.
"""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from config.root import EnvironmentSettings, PlatformConfig
from generators.config_reference import BEGIN, END, PAGE, _rows, reference, render
from tests.helpers import ROOT

README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
README_MAX_LINES = 200
"""A front door: what it builds, the two commands, a first deploy, where to go next."""


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _outside_code_fences(text: str) -> list[str]:
    lines, fenced = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def anchors(path: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation but `-` and `_` dropped, spaces as `-`."""
    found = set()
    for line in _outside_code_fences(_text(path)):
        heading = re.match(r"^#{1,6} (.+)$", line)
        if heading:
            found.add(re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-"))
    return found


# --- the config reference ---------------------------------------------------------------------------


def test_the_config_reference_is_the_generated_one():
    page = _text(PAGE)
    assert page[page.index(BEGIN) : page.index(END) + len(END)] == reference(), "run `make docs`"


def test_every_config_field_has_a_description_in_the_reference():
    rows = [*_rows(PlatformConfig, ""), *_rows(EnvironmentSettings, "")]
    undocumented = [path for path, _, _, what in rows if not what.strip()]
    assert undocumented == []
    assert len(rows) > 100


def test_a_stale_reference_is_replaced_between_the_markers_only():
    stale = f"intro\n{BEGIN}\n| `prefix` | old |\n{END}\noutro\n"
    rendered = render(stale)
    assert rendered.startswith("intro\n") and rendered.endswith("\noutro\n")
    assert "| `prefix` | old |" not in rendered and "`azure.key_vault.name`" in rendered


def test_no_field_the_model_fills_in_is_marked_required():
    """A default the model derives (from the tier, the kind, the DNS mode) is said, not hidden as 'required'."""
    defaults = {path: default for path, _, default, _ in [*_rows(PlatformConfig, ""), *_rows(EnvironmentSettings, "")]}
    for field in (
        "tier",
        "azure.key_vault.prevent_destroy",
        "azure.deployers[].user_name",
        "azure.key_vault.private_endpoint.private_dns_zone_id",
    ):
        assert defaults[field] != "required", field


# --- the README is a front door, and every link lands --------------------------------------------------


def test_the_readme_is_a_front_door():
    text = _text(README)
    assert len(text.splitlines()) <= README_MAX_LINES
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## What it builds",
        "## Prerequisites",
        "## The two commands",
        "## Deploying a first environment, step by step",
        "## Adding a team",
        "## Where to go next",
    ]
    linked = set(re.findall(r"\]\(docs/([\w-]+\.md)\)", text[text.index("## Where to go next") :]))
    assert linked == {path.name for path in DOCS.glob("*.md")}, "every docs page is one row of 'Where to go next'"


def test_every_relative_link_lands_on_a_file_and_heading():
    broken = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", _text(page)):
            if target.startswith(("http://", "https://")):
                continue
            path, _, anchor = target.partition("#")
            landing = (page.parent / path).resolve() if path else page
            if not landing.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and landing.suffix == ".md" and anchor not in anchors(landing):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def test_every_reference_to_a_docs_page_in_the_code_names_a_page_and_heading():
    """Error messages and comments point at `docs/<page>.md: <heading>` (or `docs/<page>.md (<heading>)`);
    each must name a page that exists and a heading on it, and none may point at a README section."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    sources = [
        ROOT / f
        for f in tracked
        if (f.endswith((".py", ".yaml", ".yml", ".sh", ".json", ".hcl")) or f in ("Makefile", "ops/cdktf"))
        and not f.endswith("package-lock.json")
    ]
    headings = {page.name: {h.lower() for h in _headings(page)} for page in DOCS.glob("*.md")}
    wrong = []
    for source in sources:
        text, where = _text(source), source.relative_to(ROOT)
        wrong += [f"{where}: docs/{page}" for page in re.findall(r"\bdocs/([\w-]+\.md)", text) if page not in headings]
        for page, heading in re.findall(r"\bdocs/([\w-]+\.md)(?::| \()\s*\"?([A-Z][^)\";\n]*)", text):
            said = heading.strip().rstrip(".,").lower()  # a heading, maybe followed by prose
            if page in headings and not any(said.startswith(h) or h.startswith(said) for h in headings[page]):
                wrong.append(f"{where}: docs/{page}: {heading}")
        wrong += [f"{where}: {m}" for m in re.findall(r"README[:(] ?[A-Z][^)\n]{0,40}", text)]
    assert wrong == [], "\n".join(wrong)


def _headings(page: Path) -> list[str]:
    return [
        re.sub(r"^#+ ", "", line).strip("`")
        for line in _outside_code_fences(_text(page))
        if re.match(r"^#{2,4} ", line)
    ]


# --- facts read back from the code -----------------------------------------------------------------


def test_the_stacks_the_readme_names_are_the_ones_synthesized(default_stacks):
    text = _text(README)
    said = re.search(r"The default config synthesizes (\d+) stacks:\s+`([^`]+)` and `([^`]+)`", text)
    assert said, "README: 'The default config synthesizes N stacks: `<pattern>` and `<stack>`'"
    count, pattern, extra = int(said.group(1)), said.group(2), said.group(3)
    parts = re.findall(r"\{([^}]*)\}|([^{}]+)", pattern)
    choices = [group.split(",") if group else [literal] for group, literal in parts]
    named = {"".join(product) for product in itertools.product(*choices)} | {extra}
    assert named == set(default_stacks)
    assert count == len(default_stacks)


def _make_commands(text: str) -> set[str]:
    """The targets of `make ...` in inline code, and of lines starting with `make ` in code blocks."""
    inline = re.findall(r"`make ([a-z][a-z-]*)", text)
    fenced, blocks = [], re.findall(r"^```[^\n]*\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    for block in blocks:
        fenced += re.findall(r"^(?:[A-Z_]+=\S+ )*make ([a-z][a-z-]*)", block, re.MULTILINE)
    return set(inline) | set(fenced)


def _help_targets() -> list[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("PROJECT", "ENV", "LAYER")}  # make's own inputs
    result = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True, env=environment
    )
    assert result.returncode == 0, result.stderr
    return sorted(set(re.findall(r"^make ([a-z][a-z-]*)", result.stdout, re.MULTILINE)))


def test_every_make_target_the_docs_name_exists_and_every_listed_target_is_documented():
    makefile = _text(ROOT / "Makefile")
    targets = set(re.findall(r"^([a-z][a-z-]*):", makefile, re.MULTILINE))
    named = {t for page in PAGES for t in _make_commands(_text(page))}
    assert named - targets == set(), "the docs name a target the Makefile does not have"
    undocumented = set(_help_targets()) - named
    assert undocumented == set(), "a target `make help` lists that no page of the docs explains"


def test_the_layout_page_names_every_folder_and_module_around_the_product():
    layout = _text(DOCS / "layout.md")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    top = {path.split("/")[0] for path in tracked} | {"docs"}
    unnamed_top = {
        entry for entry in top if not re.search(rf"(^|\s){re.escape(entry)}(/|\s|,|$)", layout, re.MULTILINE)
    }
    assert unnamed_top - {".gitignore"} == set()
    for folder in ("ops", "proof", "generators", "app_runtime", "stacks"):
        for path in sorted((ROOT / folder).iterdir()):
            if path.name in ("__init__.py", "__pycache__"):
                continue
            assert path.name.removesuffix("/") in layout, f"docs/layout.md does not name {folder}/{path.name}"
    for module in re.findall(r"\b([a-z_]+\.(?:py|sh))\b", layout):
        assert any(Path(p).name == module for p in tracked), f"docs/layout.md names {module}, which does not exist"


def test_the_test_count_the_docs_give_is_the_suite_s(request):
    said = re.search(r"\*\*(\d+) tests\*\*", _text(DOCS / "proof.md"))
    assert said, "docs/proof.md: '**N tests**'"
    session = request.session
    whole_suite = (
        not request.config.option.keyword
        and not request.config.option.markexpr
        and ([Path(a).resolve() for a in request.config.args] in ([ROOT / "tests"], [ROOT]))
    )
    if whole_suite:
        count = len(session.items)
    else:  # a part of the suite runs: collect the whole of it (about 8 s)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", str(ROOT / "tests")],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        count = int(re.search(r"^(\d+) tests? collected", result.stdout, re.MULTILINE).group(1))
    assert int(said.group(1)) == count, "update the test count in docs/proof.md (and README figures)"


def test_every_measured_figure_says_when():
    """A paragraph or table row that gives a measurement names the date it was measured (YYYY-MM-DD)."""
    undated = []
    for page in PAGES:
        for block in re.split(r"\n\s*\n", _text(page)):
            if re.search(r"\b[Mm]easured\b", block) and not re.search(r"\b20\d\d-\d\d-\d\d\b", block):
                undated.append(f"{page.name}: {block.strip()[:80]}")
    assert undated == []


# --- examples the docs show are what the code prints ---------------------------------------------


def _documented_errors() -> list[str]:
    page = _text(DOCS / "configuration.md")
    section = page[page.index("## Mistakes: one line each, exit 2") : page.index("## Config input is data")]
    return [line for line in section.splitlines() if line.startswith("error: ")]


def _check_planted(tmp_path: Path, old: str, new: str, occurrence: int) -> str:
    text = _text(ROOT / "config" / "environments.yaml")
    at = [m.start() for m in re.finditer(re.escape(old), text)][occurrence]
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "environments.yaml").write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--check"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "MLPLATFORM_CONFIG": "config/environments.yaml"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    return result.stderr.strip()


@pytest.mark.parametrize(
    ("index", "old", "new", "occurrence"),
    [
        (0, '"0 0 3 ? * MON"', '"0 0 3 * * MON"', 2),
        (1, "owner: ml-platform", "owner: ${var.team}", 0),
        (2, "workload_size: Small\n", "workload_size: Small\n            traffic_percentage: 010\n", 0),
    ],
    ids=["quartz", "interpolation", "yaml-octal"],
)
def test_the_mistakes_the_docs_show_are_what_make_check_prints(tmp_path, index, old, new, occurrence):
    assert _check_planted(tmp_path, old, new, occurrence) == _documented_errors()[index]


# --- day-two commands the docs give ---------------------------------------------------------------


def test_the_redeploy_steps_name_commands_that_exist(default_stacks):
    """docs/operations.md "Destroy and redeploy": its make targets exist, and the import address it tells
    to look up is the secret resource the azure stack really has."""
    page = _text(DOCS / "operations.md")
    section = page[page.index("## Destroy and redeploy") : page.index("## CDK for Terraform is deprecated")]
    assert set(re.findall(r"make ([a-z-]+)", section)) == {"synth", "deploy", "destroy"}
    assert "azurerm_key_vault_secret.key_vault_client_secret_" in section
    assert "terraform import" in section and "az keyvault secret show" in section
    names = list(default_stacks["mlplatform-dev-azure"]["resource"]["azurerm_key_vault_secret"])
    assert [n.rsplit("_", 1)[0] for n in names] == ["key_vault_client_secret"]


def test_the_first_deploy_steps_give_a_config_that_deploys(tmp_path):
    """README step 1: the default with dev alone, state in a local file, one deployer (you), every
    placeholder replaced, is a config `make deploy ENV=dev` accepts."""
    import yaml

    from tests.helpers import deployable_text

    raw = yaml.safe_load(deployable_text())
    raw["environments"] = {"dev": raw["environments"]["dev"]}
    raw["state"] = {"backend": "local"}
    raw["environments"]["dev"]["azure"]["deployers"] = raw["environments"]["dev"]["azure"]["deployers"][:1]
    assert raw["environments"]["dev"]["azure"]["deployers"][0]["kind"] == "user"
    (tmp_path / "my-platform.yaml").write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "--check", "--deploying"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "MLPLATFORM_CONFIG": "my-platform.yaml", "MLPLATFORM_ENVIRONMENTS": "dev"},
        capture_output=True,
        text=True,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.strip() == "my-platform.yaml: valid (dev)"
