"""Every behaviour of the local workspace beyond a plain store, named once, with its source.

A rule is what the Databricks API does that a store of request bodies would not: a field accepted and
never returned, an owner the API adds, a state that changes between calls, an error it raises. Each
family module declares its rules here-style (`rule(...)` at import) and checks `workspace.applies(r)`
where it acts on one, so a test can name the rule a finding rests on, and switch it off to show
that the finding depends on it. Sources are the API's documentation, the provider or SDK file at the
pinned tag (terraform-provider-databricks v1.99.0, databricks-sdk-go v0.93.0), or an issue number.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    name: str
    """`<family>.<what>`, e.g. `jobs.apply_policy_default_values_not_returned`."""
    behaviour: str
    """What the API does, in one sentence."""
    source: str
    """Where that is written down: API doc, provider or SDK file at the pinned tag, issue number."""


RULES: dict[str, Rule] = {}
"""Every rule, by name, in the order the family modules declare them."""


def rule(name: str, behaviour: str, source: str) -> Rule:
    """Declare a rule once; raises ValueError for a second rule of the same name."""
    if name in RULES:
        raise ValueError(f"rule {name} is declared twice")
    RULES[name] = declared = Rule(name, behaviour, source)
    return declared
