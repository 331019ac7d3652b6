"""Azure resource ids, parsed into segments against one exact resource type.

`/subscriptions/<guid>/resourceGroups/<rg>/providers/<Namespace>/<type>/<name>[/<type>/<name>...]`,
and nothing more: an id with a child resource appended (a Service Bus queue's authorization rule)
names another resource and is refused, as is one that stops short. The fixed words (`subscriptions`,
`resourceGroups`, `providers`, the namespace and the types) are compared ignoring case, as Azure
returns them in varying case (`resourcegroups`, `QUEUESERVICES`); GUIDs may be written in either
case; each name is checked case-sensitively by its own rule, so a name Azure only allows in
lowercase (storage accounts and queues) is refused in any other case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .text import shorten
from .types import Rule

GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}", re.ASCII)
RESOURCE_GROUP = re.compile(r"[-\w.()]{0,89}[-\w()]", re.ASCII)


@dataclass(frozen=True)
class Name:
    """One `<type>/<name>` pair of a resource type: the type word, the name's rule and how both are shown."""

    type: str
    pattern: str
    shown: str
    rule: str
    ignore_case: bool = False
    """True for names Azure compares ignoring case that the pattern writes in one case (DNS zones)."""

    def matches(self, name: str) -> bool:
        flags = re.ASCII | re.IGNORECASE if self.ignore_case else re.ASCII
        return re.fullmatch(self.pattern, name, flags) is not None


@dataclass(frozen=True)
class ResourceType:
    """An Azure resource type: its provider namespace and the `<type>/<name>` pairs below it."""

    namespace: str
    names: tuple[Name, ...]

    @property
    def shown(self) -> str:
        return f"{self.namespace}/" + "/".join(f"{n.type}/{n.shown}" for n in self.names)

    @property
    def template(self) -> str:
        return f"/subscriptions/<guid>/resourceGroups/<rg>/providers/{self.shown}"

    @property
    def allowed(self) -> str:
        """The rule in words: the template, each name's rule, nothing after the last name."""
        rules = [f"{n.shown}: {n.rule}" for n in self.names if n.shown.startswith("<")]
        return "; ".join([self.template, *rules, "nothing after it (fixed words and GUIDs in any case)"])

    def problem(self, value: str) -> str | None:
        """Why `value` is not the id of a resource of this type (None: it is)."""
        parts = value.split("/")
        fixed = ["", "subscriptions", None, "resourcegroups", None, "providers", self.namespace.lower()]
        head = parts[: len(fixed)]
        if len(head) < len(fixed) or any(w is not None and p.lower() != w for p, w in zip(head, fixed, strict=True)):
            return f"must be a resource id {self.template}"
        if not GUID.fullmatch(parts[2]):
            return f"the subscription {shorten(parts[2])} is not a GUID; the id must be {self.template}"
        if not RESOURCE_GROUP.fullmatch(parts[4]):
            return (
                f"the resource group {shorten(parts[4])} is not a resource group name; the id must be {self.template}"
            )
        rest = parts[len(fixed) :]
        for index, name in enumerate(self.names):
            pair = rest[2 * index : 2 * index + 2]
            if len(pair) < 2 or pair[0].lower() != name.type.lower():
                return f"must be a resource id {self.template}"
            if not name.matches(pair[1]):
                where = f" (the id is .../providers/{self.shown})" if len(self.names) > 1 else ""
                return f"{name.type} name {shorten(pair[1])}: {name.rule}{where}"
        extra = rest[2 * len(self.names) :]
        if extra == [""]:
            return f"ends with '/'; end it at {self.names[-1].shown} (.../providers/{self.shown})"
        if extra:
            return (
                f"{shorten('/'.join(extra))} after {self.names[-1].shown} names a child resource, not this one; "
                f"end the id at {self.names[-1].shown} (.../providers/{self.shown})"
            )
        return None

    def matches(self, value: str) -> bool:
        return self.problem(value) is None


def azure_resource_id(resource_type: ResourceType) -> Rule:
    """The id of exactly one resource of `resource_type` (docs/configuration.md shows its template)."""

    def check(value: str) -> str:
        problem = resource_type.problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    return Rule(resource_type.allowed, check)


def subscription_of(resource_id: str) -> str:
    """The subscription GUID of a validated Azure resource id, lowercase."""
    return resource_id.split("/")[2].lower()
