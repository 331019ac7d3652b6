"""The README's config reference is generated from the model, and every field is documented there."""

from __future__ import annotations

from config.root import EnvironmentSettings, PlatformConfig
from generators.config_reference import BEGIN, END, README, _rows, reference, render


def test_readme_config_reference_is_the_generated_one():
    readme = README.read_text(encoding="utf-8")
    assert readme[readme.index(BEGIN) : readme.index(END) + len(END)] == reference(), "run `make docs`"


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


def test_the_redeploy_steps_name_commands_that_exist():
    """README "Destroy and redeploy": its make targets exist, and the import address it tells to look
    up is the secret resource the azure stack really has."""
    import re

    from tests.helpers import ROOT

    readme = README.read_text(encoding="utf-8")
    section = readme[readme.index("## Destroy and redeploy") : readme.index("## Resource providers")]
    targets = set(re.findall(r"make ([a-z-]+)", section))
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert targets == {"synth", "deploy", "destroy"}
    assert all(re.search(rf"^{target}:", makefile, re.MULTILINE) for target in targets)
    assert "azurerm_key_vault_secret.key_vault_client_secret_" in section
    assert "terraform import" in section and "az keyvault secret show" in section


def test_the_redeploy_import_address_matches_the_synthesized_secret(default_stacks):
    names = list(default_stacks["mlplatform-dev-azure"]["resource"]["azurerm_key_vault_secret"])
    assert [n.rsplit("_", 1)[0] for n in names] == ["key_vault_client_secret"]


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
