"""Tag maps: the Azure limits on tags, and the tags the app sets itself (which a user key may set, never shadow)."""

from __future__ import annotations

from typing import Annotated

from pydantic import StringConstraints

from .text import shorten
from .types import Rule, pattern

# Azure: at most 50 per resource, key <= 512 characters without <>%&\?/, value <= 256; tag names are
# case-insensitive in Azure, so keys differing only in case collide.
TagKey = Annotated[
    str, pattern(r"[^<>%&\\?/]{1,512}", "1-512 characters without '<', '>', '%', '&', '\\', '?' and '/'")
]
TagValue = Annotated[str, StringConstraints(max_length=256)]


def tags(max_count: int, why: str, added: tuple[str, ...]) -> Rule:
    """A tag map of at most `max_count` entries with case-insensitively unique keys; `added` are the
    tags the app sets itself (a user key equal to one overrides it; one differing only in case would
    become a second, colliding tag)."""

    def check(value: dict[str, str]) -> dict[str, str]:
        if len(value) > max_count:
            raise ValueError(f"at most {max_count} tags ({why}); got {len(value)}")
        for key in value:
            own = next((a for a in added if a == key.lower() and a != key), None)
            if own is not None:
                raise ValueError(
                    f"tag key {shorten(key)} collides with the app's own {own!r} tag (tag names ignore case); "
                    f"write it as {own!r} to set its value"
                )
        seen: dict[str, str] = {}
        for key in value:
            if key.lower() in seen:
                raise ValueError(
                    f"tag keys {shorten(seen[key.lower()])} and {shorten(key)} differ only in case; Azure treats them as one"
                )
            seen[key.lower()] = key
        return value

    return Rule(f"map of at most {max_count} tags; keys unique ignoring case, values <= 256 characters", check)


# The app adds 'environment' (and 'managed-by' on Azure; 'project' in a project named for itself: root.py scope_tags).
_IN_A_PROJECT = "and, in a project, 'project'"
AzureTags = Annotated[
    dict[TagKey, TagValue],
    tags(
        47,
        f"Azure allows 50; the app adds 'environment', 'managed-by' {_IN_A_PROJECT}",
        ("environment", "managed-by", "project"),
    ),
]
ClusterTags = Annotated[
    dict[TagKey, TagValue],
    tags(
        43,
        f"Azure allows 50 per VM; Azure Databricks adds its own, the app 'environment' {_IN_A_PROJECT}",
        ("environment", "project"),
    ),
]
EndpointTags = Annotated[
    dict[TagKey, TagValue], tags(48, f"the app adds 'environment' {_IN_A_PROJECT}", ("environment", "project"))
]
