"""Rules for every string a user writes, applied in one place before any field is validated.

Terraform evaluates `${...}` and `%{...}` inside *every* string of a `.tf.json` file, and cdktf
resolves `${TfToken[...]}` / `#{TfToken[...]}` strings into references of its own. A config value
that carried either would stop being data and become code: a tag value of
`${azuread_application_password.x.value}` would copy the client secret into the vault's tags.
So `unsafe_text()` refuses them in every key and value of the config file, whatever the field;
a field added tomorrow is covered without anyone remembering to. No field needs a literal `${`.

Control characters (and Unicode line/paragraph separators, bidi and other format characters) are
refused too: they have no business in a resource name or tag, and they would let an input forge
lines of an error message. `shorten()` renders any user value safely for a message.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

MAX_SHOWN = 60
"""Longest rendering of a user value inside an error message (the rest is elided)."""

_TEMPLATE_SEQUENCES = {
    "${": "a Terraform interpolation ('${')",
    "%{": "a Terraform template directive ('%{')",
    "TfToken[": "a cdktf token ('TfToken[')",
}
_REFUSED_CATEGORIES = {
    "Cc": "a control character",
    "Cf": "an invisible format character",
    "Zl": "a line separator",
    "Zp": "a paragraph separator",
    "Cs": "a lone surrogate",
    "Co": "a private-use character",
    "Cn": "an unassigned character",
}


def unsafe_text(value: str) -> str | None:
    """Why `value` may not appear in the config, or None when it is safe."""
    for sequence, what in _TEMPLATE_SEQUENCES.items():
        if sequence in value:
            return f"contains {what}, which Terraform or cdktf would evaluate as code; config values are plain data"
    for character in value:
        category = unicodedata.category(character)
        if category in _REFUSED_CATEGORIES:
            return f"contains {_REFUSED_CATEGORIES[category]} (U+{ord(character):04X}); use printable text only"
    return None


def shorten(value: Any, limit: int = MAX_SHOWN) -> str:
    """`repr(value)` for a message: escapes every non-printable character and elides long values
    (a long string is cut before it is rendered: only what is shown is escaped)."""
    text = (
        repr(value[: limit * 2])
        if isinstance(value, str)
        else repr(value)
        if isinstance(value, (int, float, bool))
        else f"a {type(value).__name__}"
    )
    text = text.encode("ascii", "backslashreplace").decode("ascii") if not text.isprintable() else text
    if len(text) > limit:
        size = f"{len(value)} characters" if isinstance(value, str) else f"{len(text)} characters"
        text = f"{text[: limit - 20]}...' ({size})"
    return text


def path_part(key: Any) -> str:
    """One component of a dotted field path: plain keys as they are, anything else quoted safely."""
    if (
        isinstance(key, str)
        and key
        and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
        and len(key) <= MAX_SHOWN
    ):
        return key
    return f"[{shorten(key)}]"


def unsafe_strings(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(path, reason) for every unsafe key or string value under `node` (parsed YAML).

    Each distinct object is checked once: a YAML alias is the same object as its anchor (PyYAML
    constructs a node once), so a long value repeated by aliases costs one check, and each place it
    appears is still reported."""
    seen: set[int] = set()
    checked: dict[int, str | None] = {}
    stack: list[tuple[Any, tuple[Any, ...]]] = [(node, path)]
    while stack:
        current, where = stack.pop()
        if isinstance(current, (dict, list)):
            if id(current) in seen:  # a YAML alias: the same object, already checked
                continue
            seen.add(id(current))
        if isinstance(current, dict):
            for key, value in reversed(list(current.items())):
                if isinstance(key, str) and (reason := unsafe_text(key)):
                    yield (*where, key), f"field name {reason}"
                    continue
                if isinstance(key, str) and key != key.strip():
                    # values are stripped; keys are not, so 'owner ' and 'owner' would silently merge
                    yield (*where, key), "field name has leading or trailing spaces"
                    continue
                stack.append((value, (*where, key)))
        elif isinstance(current, list):
            for index in reversed(range(len(current))):
                stack.append((current[index], (*where, index)))
        elif isinstance(current, str):
            if id(current) not in checked:
                checked[id(current)] = unsafe_text(current)
            if reason := checked[id(current)]:
                yield where, reason
