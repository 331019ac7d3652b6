"""The README's config reference is generated from the model, and every field is documented there."""

from __future__ import annotations

from config.root import EnvironmentSettings, PlatformConfig
from tools.config_reference import BEGIN, END, README, _rows, reference, render


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
