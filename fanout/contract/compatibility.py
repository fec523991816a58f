"""Breaking-change detection: today's registry against a saved snapshot (`contract/registry.lock.json`).

A snapshot holds the JSON Schema of the envelope and of every (event type, schema version). A
change breaks consumers when a document valid before is refused now, or a field they read is
gone: a removed type, version or field (a rename is a removal), a narrowed type or bound, a new
required field without a default, a field that became required. New types, new versions (with an
upcaster from the previous one, which the registry enforces) and new optional fields are fine.
"""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fanout.contract.envelope import CloudEvent, EventData
from fanout.contract.registry import EventRegistry
from fanout.errors import FanoutError

SNAPSHOT_FORMAT = 1
# Bounds whose increase narrows what is accepted, and those whose decrease does.
LOWER_BOUNDS = ("minLength", "minItems", "minimum", "exclusiveMinimum", "minProperties")
UPPER_BOUNDS = ("maxLength", "maxItems", "maximum", "exclusiveMaximum", "maxProperties")
# Keywords where any new or changed value may refuse what was accepted.
EXACT_KEYWORDS = ("pattern", "format", "const", "multipleOf")


class SnapshotError(FanoutError):
    """The saved snapshot cannot be read."""


def snapshot(registry: EventRegistry) -> dict[str, Any]:
    """The registry's contract as a JSON document: envelope schema and every payload schema."""
    envelope = CloudEvent[EventData].model_json_schema()
    envelope.get("properties", {}).pop("data", None)
    envelope.pop("$defs", None)
    envelope["required"] = [name for name in envelope.get("required", []) if name != "data"]
    events: dict[str, dict[str, Any]] = {}
    for model in registry:
        events.setdefault(model.event_type, {})[str(model.schema_version)] = model.model_json_schema()
    return {"format": SNAPSHOT_FORMAT, "envelope": envelope, "events": events}


def load_snapshot(path: Path) -> dict[str, Any]:
    """A snapshot written by `fanout events lock`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError) as error:
        raise SnapshotError(f"cannot read registry snapshot {path}: {error}") from None
    if not isinstance(document, dict) or document.get("format") != SNAPSHOT_FORMAT:
        raise SnapshotError(f"{path} is not a registry snapshot (format {SNAPSHOT_FORMAT})")
    return document


def breaking_changes(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Every change from `saved` to `current` that breaks a producer or consumer, one line each."""
    found = list(_Comparison(saved["envelope"], current["envelope"]).compare("envelope"))
    for event_type, versions in saved["events"].items():
        now = current["events"].get(event_type)
        if now is None:
            found.append(f"{event_type}: event type removed")
            continue
        for version, schema in versions.items():
            if version not in now:
                found.append(f"{event_type} v{version}: schema version removed")
                continue
            found += _Comparison(schema, now[version]).compare(f"{event_type} v{version}")
    return found


def additions(saved: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Types and versions in `current` the snapshot does not record yet."""
    return [
        f"{event_type} v{version}"
        for event_type, versions in current["events"].items()
        for version in versions
        if version not in saved["events"].get(event_type, {})
    ]


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type")
    kinds = set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()
    return kinds | ({"integer"} if "number" in kinds else set())


class _Comparison:
    """Walks an old and a new schema side by side, each resolving `$ref`s in its own `$defs`."""

    def __init__(self, old_root: dict[str, Any], new_root: dict[str, Any]) -> None:
        self._roots = (old_root, new_root)

    def _resolve(self, node: dict[str, Any], side: int) -> dict[str, Any]:
        seen = 0
        while "$ref" in node and seen < 32:
            name = str(node["$ref"]).rsplit("/", 1)[-1]
            node = self._roots[side].get("$defs", {}).get(name, {})
            seen += 1
        return node

    def compare(self, path: str) -> Iterator[str]:
        yield from self._node(self._roots[0], self._roots[1], path)

    def _node(self, old: dict[str, Any], new: dict[str, Any], path: str) -> Iterator[str]:
        old, new = self._resolve(old, 0), self._resolve(new, 1)
        if "anyOf" in old or "anyOf" in new:
            yield from self._alternatives(old, new, path)
            return
        old_types, new_types = _types(old), _types(new)
        if old_types and new_types and not old_types <= new_types:
            yield f"{path}: type narrowed from {sorted(old_types)} to {sorted(new_types)}"
            return
        yield from self._keywords(old, new, path)
        if "properties" in old or "properties" in new:
            yield from self._properties(old, new, path)
        if isinstance(old.get("items"), dict) and isinstance(new.get("items"), dict):
            yield from self._node(old["items"], new["items"], f"{path}[]")

    def _alternatives(self, old: dict[str, Any], new: dict[str, Any], path: str) -> Iterator[str]:
        old_options = [self._resolve(o, 0) for o in old.get("anyOf", [old])]
        new_options = [self._resolve(n, 1) for n in new.get("anyOf", [new])]
        for option in old_options:
            match = next((n for n in new_options if _types(option) <= _types(n) and _types(n)), None)
            if match is None:
                yield f"{path}: no longer accepts {sorted(_types(option)) or option}"
            else:
                yield from self._node(option, match, path)

    def _keywords(self, old: dict[str, Any], new: dict[str, Any], path: str) -> Iterator[str]:
        if "enum" in new and not set(map(json.dumps, old.get("enum", [None]))) <= set(
            map(json.dumps, new["enum"])
        ):
            yield f"{path}: enum narrowed"
        for keyword in EXACT_KEYWORDS:
            if keyword in new and old.get(keyword) != new[keyword]:
                yield f"{path}: {keyword} changed to {new[keyword]!r}"
        for keyword in LOWER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] > old[keyword]):
                yield f"{path}: {keyword} raised to {new[keyword]}"
        for keyword in UPPER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] < old[keyword]):
                yield f"{path}: {keyword} lowered to {new[keyword]}"
        if new.get("additionalProperties") is False and old.get("additionalProperties") is not False:
            yield f"{path}: additional properties no longer allowed"

    def _properties(self, old: dict[str, Any], new: dict[str, Any], path: str) -> Iterator[str]:
        old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for name in old_fields:
            if name not in new_fields:
                yield f"{path}.{name}: field removed (or renamed)"
        for name in sorted(new_required - old_required):
            if name in old_fields:
                yield f"{path}.{name}: field became required"
            else:
                yield f"{path}.{name}: new required field without a default"
        for name in old_fields.keys() & new_fields.keys():
            yield from self._node(old_fields[name], new_fields[name], f"{path}.{name}")
