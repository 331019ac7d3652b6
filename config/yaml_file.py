"""Read one YAML config file: bounded, strict where YAML 1.1 surprises people, one clean error each.

- Bounded: at most `MAX_CONFIG_BYTES`, regular files only (a device or FIFO is refused before a
  byte is read), at most `MAX_DEPTH` levels of nesting and `MAX_ALIASES` aliases (no "billion
  laughs"), integers of at most 18 digits.
- YAML 1.2-like scalars: `true`/`false` are the only booleans and decimal digits the only
  integers. What YAML 1.1 would silently turn into something else (`010` -> 8, `yes`/`no`/`on`/`off`
  -> booleans, `0x1F`, `1_000`, `1:30` -> 90) is an error that says how to write it. Dates stay text.
- Duplicate keys are errors (YAML would keep the last one); merge keys (`<<: *defaults`) work, and an
  explicit key overrides a merged one, as YAML intends.
Every failure, from the OS or the parser, is a `ConfigFileError` with one printable line.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, ScalarNode

from .text import shorten

MAX_CONFIG_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_ALIASES = 200
MAX_INT_DIGITS = 18

_AMBIGUOUS_TAG = "tag:mlplatform-cdktf,2026:ambiguous"
_BOOL_LIKE = re.compile(r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF)$")
_NUMBER_LIKE = re.compile(
    r"^(?:[-+]?0[0-9_]+|[-+]?0[oOxXbB][0-9a-fA-F_]+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[-+]?[0-9]+(?:_[0-9]+)+)$"
)


class ConfigFileError(Exception):
    """The config file cannot be read or parsed; `str(error)` is one line without the file name."""


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader with YAML 1.2-like implicit types and the bounds above."""

    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise ConstructorError(None, None, f"more than {MAX_ALIASES} aliases", self.peek_event().start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ConstructorError(
                    None, None, f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


for _first, _resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items():
    kept = [(tag, regexp) for tag, regexp in _resolvers if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")]
    if kept:
        StrictLoader.yaml_implicit_resolvers[_first] = kept
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), list("-+0123456789")
)
StrictLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"),
    list("-+0123456789."),
)
StrictLoader.add_implicit_resolver(_AMBIGUOUS_TAG, _BOOL_LIKE, list("yYnNoO"))
StrictLoader.add_implicit_resolver(_AMBIGUOUS_TAG, _NUMBER_LIKE, list("-+0123456789"))


def _ambiguous(loader: StrictLoader, node: ScalarNode) -> Any:
    text = node.value
    if _BOOL_LIKE.match(text):
        advice = f"write true or false for a switch, or quote it ('{text}') for text"
        kind = "a YAML 1.1 boolean"
    else:
        advice = f"write the number in plain decimal digits, or quote it ('{text}') for text"
        kind = (
            "a YAML 1.1 octal, hexadecimal, binary or sexagesimal number"
            if not re.fullmatch(r"[-+]?[0-9]+(?:_[0-9]+)+", text)
            else "a number with '_' separators"
        )
    raise ConstructorError(None, None, f"{shorten(text)} is ambiguous ({kind}): {advice}", node.start_mark)


def _integer(loader: StrictLoader, node: ScalarNode) -> int:
    digits = node.value.lstrip("+-")
    if len(digits) > MAX_INT_DIGITS:
        raise ConstructorError(
            None, None, f"an integer of {len(digits)} digits is too large (at most {MAX_INT_DIGITS})", node.start_mark
        )
    return int(node.value)


def _key(loader: StrictLoader, key_node: yaml.Node, deep: bool) -> Any:
    """A mapping key: a scalar, so (with only plain-data tags loaded) a string, number, bool or null."""
    if not isinstance(key_node, ScalarNode):
        raise ConstructorError(
            None, None, "a list or mapping cannot be a key; keys are plain names", key_node.start_mark
        )
    return loader.construct_object(key_node, deep=deep)


def _mapping(loader: StrictLoader, node: MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    merges = [key_node for key_node, _ in node.value if key_node.tag == "tag:yaml.org,2002:merge"]
    if len(merges) > 1:
        raise ConstructorError(
            None,
            None,
            "more than one '<<' merge key; merge several in one: <<: [*first, *second]",
            merges[1].start_mark,
        )
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = _key(loader, key_node, deep)
        identity = (type(key), key)  # 1 and true are different keys, though 1 == True in Python
        if identity in seen:
            raise ConstructorError(
                None, None, f"duplicate key {shorten(key)} (first at line {seen[identity] + 1})", key_node.start_mark
            )
        seen[identity] = key_node.start_mark.line
    loader.flatten_mapping(node)  # merge keys: merged pairs first, explicit keys override them
    mapping: dict = {}
    stored: dict[Any, Any] = {}  # the key object as first stored (1 and True are one dict key)
    for key_node, value_node in node.value:
        key = _key(loader, key_node, deep)  # merged pairs come from other mappings: checked here too
        earlier = stored.setdefault(key, key)
        if type(earlier) is not type(key):
            raise ConstructorError(
                None,
                None,
                f"keys {shorten(earlier)} and {shorten(key)} collide; quote them to make them text",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


def _unsupported_tag(loader: StrictLoader, node: yaml.Node) -> Any:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    raise ConstructorError(
        None,
        None,
        f"the YAML tag {shorten(tag)} is not used in this config; write plain mappings, lists and values",
        node.start_mark,
    )


# Only plain data: strings, numbers, booleans, null, lists, mappings (and merge keys). A set, an
# ordered map, binary data or a timestamp would slip past the checks that walk lists and mappings.
StrictLoader.yaml_constructors = {
    tag: constructor
    for tag, constructor in yaml.SafeLoader.yaml_constructors.items()
    if tag
    in (
        "tag:yaml.org,2002:null",
        "tag:yaml.org,2002:bool",
        "tag:yaml.org,2002:int",
        "tag:yaml.org,2002:float",
        "tag:yaml.org,2002:str",
        "tag:yaml.org,2002:seq",
        "tag:yaml.org,2002:map",
    )
}
StrictLoader.add_constructor(None, _unsupported_tag)
StrictLoader.add_constructor(_AMBIGUOUS_TAG, _ambiguous)
StrictLoader.add_constructor("tag:yaml.org,2002:int", _integer)
StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_text(path: Path) -> str:
    """The file's text, refusing anything that is not a regular file of at most MAX_CONFIG_BYTES."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ConfigFileError("config file not found") from None
    except OSError as error:
        raise ConfigFileError(f"cannot read config file: {error.strerror or error}") from None
    try:
        info = os.fstat(descriptor)
        if stat.S_ISDIR(info.st_mode):
            raise ConfigFileError("is a folder, not a config file")
        if not stat.S_ISREG(info.st_mode):
            raise ConfigFileError("is not a regular file (a device, pipe or socket); give the path of a YAML file")
        if info.st_size > MAX_CONFIG_BYTES:
            raise ConfigFileError(f"is {info.st_size} bytes; a config file may be at most {MAX_CONFIG_BYTES} bytes")
        with os.fdopen(os.dup(descriptor), "rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ConfigFileError(f"cannot read config file: {error.strerror or error}") from None
    finally:
        os.close(descriptor)
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigFileError(f"is larger than {MAX_CONFIG_BYTES} bytes, the most a config file may be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigFileError(f"is not UTF-8 text (byte {error.start})") from None


_FAST = getattr(yaml, "CSafeLoader", None)
"""libyaml's parser, when the PyYAML wheel has it (the Linux and macOS wheels do)."""


class _FastStrictLoader(_FAST or yaml.SafeLoader):  # type: ignore[misc]
    """StrictLoader's resolvers and constructors on libyaml's parser: the same values, at C speed (the
    pure-Python scanner takes over a second per MiB; `_bounded` keeps StrictLoader's bounds)."""

    yaml_implicit_resolvers = StrictLoader.yaml_implicit_resolvers
    yaml_constructors = StrictLoader.yaml_constructors


def _bounded(text: str) -> None:
    """StrictLoader's bounds (`MAX_DEPTH`, `MAX_ALIASES`) over libyaml's events, before anything is built."""
    depth = aliases = 0
    for event in yaml.parse(text, Loader=yaml.CBaseLoader):  # only called where libyaml is there
        mark: Any = event.start_mark
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise ConstructorError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise ConstructorError(None, None, f"more than {MAX_ALIASES} aliases", mark)


def _printable(text: str) -> None:
    """The reader's refusal of control characters (yaml.reader.Reader.NON_PRINTABLE), with its line."""
    found = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise ConfigFileError(
            f"invalid YAML (line {line}): a control character (U+{ord(found.group()[0]):04X}); use printable text only"
        )


def parse(text: str) -> Any:
    """Parse YAML text with StrictLoader's rules (on libyaml when the wheel has it); every parser failure
    becomes one ConfigFileError line."""
    loader: Any = None
    _printable(text)
    try:
        if _FAST is not None:
            _bounded(text)
            loader = _FastStrictLoader(text)
        else:
            loader = StrictLoader(text)
        return loader.get_single_data()
    except yaml.reader.ReaderError as error:
        character = error.character if isinstance(error.character, str) else chr(error.character)
        line = text.count("\n", 0, error.position) + 1
        raise ConfigFileError(
            f"invalid YAML (line {line}): a control character (U+{ord(character):04X}); use printable text only"
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(error, "problem", None) or str(error)
        if "maximum nesting depth" in problem:  # libyaml's own limit, met before the events reach ours
            problem = f"nested more than {MAX_DEPTH} levels deep"
        raise ConfigFileError(f"invalid YAML{where}: {problem}") from None
    except RecursionError:
        raise ConfigFileError(f"invalid YAML: nested too deeply (at most {MAX_DEPTH} levels)") from None
    except (ValueError, OverflowError, MemoryError) as error:
        raise ConfigFileError(f"invalid YAML: {shorten(str(error), 120)}") from None
    finally:
        if loader is not None:
            loader.dispose()


def load(path: Path) -> Any:
    return parse(read_text(path))
