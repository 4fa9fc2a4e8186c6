"""The classes a JSON Schema becomes, and sample values for them, for generators that embed a models spec.

datamodel-code-generator names the classes (the root from its `title`, the others from their `$defs` keys and
property names); the endpoint and service generators need to know those names and their fields (the routes name
the models, a CRUD resource keys on a field) and, for the service's tests, a JSON value each model accepts. The
names and fields are read from its checked output (`models.schema_classes`, no code is run); each class is paired
with the schema node it came from, and samples are made from that node: the schema states the wire format (JSON
keys, formats, bounds), which is what a test sends.
"""

from __future__ import annotations

import ast
import functools
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import JsonValue

from skill.specs.endpoint import use_schema_model_fields
from skill.specs.models import ModelsSpec

__all__ = ["SchemaClass", "schema_classes", "schema_sample"]

_MAX_DEPTH = 6  # optional properties are left out below this depth (a recursive schema must end)


@dataclass(frozen=True)
class SchemaClass:
    """A class of the generated module: its Python field names, their JSON keys, the schema node it came from."""

    name: str
    fields: tuple[str, ...]  # Python attribute names (empty for an enum)
    keys: tuple[str, ...]  # the JSON keys, in the same order
    enum: bool
    root: bool  # a RootModel: its JSON is the value itself
    pointer: str | None  # JSON pointer of its schema node ('' for the root); None: not found


def _alias(annotation: ast.expr | None) -> str | None:
    """`alias=...` of the Field(...) in an Annotated[...] annotation."""
    if annotation is None:
        return None
    for node in ast.walk(annotation):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Field":
            for kw in node.keywords:
                if kw.arg == "alias" and isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    return kw.value.value
    return None


def _class_fields(node: ast.ClassDef) -> tuple[tuple[str, ...], tuple[str, ...]]:
    names: list[str] = []
    keys: list[str] = []
    for stmt in node.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.target.id != "model_config":
            names.append(stmt.target.id)
            keys.append(_alias(stmt.annotation) or stmt.target.id)
    return tuple(names), tuple(keys)


def _normal(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _nodes(schema: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
    """(pointer, the name datamodel-code-generator would start from, node) of every object schema that may become
    a class: the root, each definition, and inline objects under properties and items."""
    found: list[tuple[str, str, Mapping[str, Any]]] = []

    def visit(pointer: str, name: str, node: object, depth: int) -> None:
        if not isinstance(node, Mapping) or depth > 20:
            return
        found.append((pointer, str(node.get("title") or name), node))
        for key, prop in (node.get("properties") or {}).items():
            visit(f"{pointer}/properties/{_escape(key)}", key, prop, depth + 1)
        items = node.get("items")
        if isinstance(items, Mapping):
            visit(f"{pointer}/items", name, items, depth + 1)
        for group in ("$defs", "definitions"):
            for key, sub in (node.get(group) or {}).items():
                visit(f"{pointer}/{group}/{_escape(key)}", key, sub, depth + 1)

    visit("", "Model", schema, 0)
    return found


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _resolve(schema: Mapping[str, Any], pointer: str) -> Any:
    node: Any = schema
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


@functools.lru_cache(maxsize=64)
def _classes(schema_json: str, source: str) -> tuple[SchemaClass, ...]:
    schema = json.loads(schema_json)
    tree = ast.parse(source)
    nodes = _nodes(schema)
    out: list[SchemaClass] = []
    for node in tree.body:
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [ast.unparse(b) for b in node.bases]
        enum = any(b.endswith("Enum") for b in bases)
        root = any(b.startswith("RootModel") for b in bases)
        names, keys = ((), ()) if enum else _class_fields(node)
        pointer = _match(node.name, keys, "enum" if enum else "root" if root else "model", nodes)
        out.append(SchemaClass(node.name, names, keys, enum, root, pointer))
    return tuple(out)


def _match(name: str, keys: tuple[str, ...], kind: str, nodes: list[tuple[str, str, Mapping[str, Any]]]) -> str | None:
    """The node a class came from: its name and its keys agree; else the one node with its keys."""

    def same_shape(node: Mapping[str, Any]) -> bool:
        if kind == "enum":
            return "enum" in node
        if kind == "root":
            return True
        return bool(keys) and set(node.get("properties") or {}) == set(keys)

    by_name = [p for p, n, node in nodes if _normal(n) == _normal(name) and same_shape(node)]
    if by_name:
        return by_name[0]
    # datamodel-code-generator adds a digit to a name it has used already (Item, Item1).
    stem = name.rstrip("0123456789")
    by_stem = [p for p, n, node in nodes if _normal(n) == _normal(stem) and same_shape(node)]
    if len(by_stem) >= 1 and stem != name:
        return by_stem[min(len(by_stem) - 1, int(name[len(stem) :] or 0))]
    by_shape = [p for p, _, node in nodes if same_shape(node) and kind == "model"]
    return by_shape[0] if len(by_shape) == 1 else None


def schema_classes(spec: ModelsSpec) -> tuple[SchemaClass, ...]:
    """The classes the spec's JSON Schema becomes (SpecError if it does not compile)."""
    from skill.generators.models import schema_source  # the models generator owns the compile

    assert spec.json_schema is not None
    return _classes(json.dumps(spec.json_schema, sort_keys=True), schema_source(spec))


# --- samples ------------------------------------------------------------------------------------------------


def schema_sample(spec: ModelsSpec, name: str, *, variant: int = 0) -> JsonValue:
    """A JSON value that class `name` of the spec's JSON Schema accepts; another `variant` gives another value
    where the schema leaves room. ValueError when there is no such class or its schema node is not found."""
    assert spec.json_schema is not None
    found = {c.name: c for c in schema_classes(spec)}
    if name not in found:
        raise ValueError(f"{name!r} is not a class of this JSON Schema (its classes: {', '.join(found)})")
    pointer = found[name].pointer
    if pointer is None:
        raise ValueError(f"class {name!r}: its node in the JSON Schema was not found, so no sample can be made")
    schema = spec.json_schema
    return _Sampler(schema, variant).value(_resolve(schema, pointer) if pointer else schema, name, 0)


class _Sampler:
    def __init__(self, root: Mapping[str, Any], variant: int) -> None:
        self.root = root
        self.variant = variant

    def _deref(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        seen = 0
        while isinstance(node.get("$ref"), str) and node["$ref"].startswith("#") and seen < 20:
            target = _resolve(self.root, node["$ref"][1:])
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            seen += 1
        return node

    def value(self, node: Any, where: str, depth: int) -> JsonValue:
        if node is True or not isinstance(node, Mapping):
            return "sample"
        node = self._deref(node)
        if "const" in node:
            return node["const"]  # type: ignore[no-any-return]
        if isinstance(node.get("enum"), list) and node["enum"]:
            options = [v for v in node["enum"] if v is not None] or node["enum"]
            return options[self.variant % len(options)]  # type: ignore[no-any-return]
        for group in ("allOf",):
            if isinstance(node.get(group), list):
                merged: dict[str, Any] = {k: v for k, v in node.items() if k != group}
                for part in node[group]:
                    part = self._deref(part) if isinstance(part, Mapping) else {}
                    merged["properties"] = {**merged.get("properties", {}), **part.get("properties", {})}
                    merged["required"] = [*merged.get("required", []), *part.get("required", [])]
                    merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
                return self.value(merged, where, depth)
        for group in ("anyOf", "oneOf"):
            if isinstance(node.get(group), list):
                options = [o for o in node[group] if not (isinstance(o, Mapping) and o.get("type") == "null")]
                return self.value(options[0] if options else {"type": "null"}, where, depth)
        kind = node.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in node else "string" if any(k in node for k in _TEXT_KEYS) else None
        if kind == "object":
            return self._object(node, where, depth)
        if kind == "array":
            count = max(1, int(node.get("minItems", 1)))
            return [self.value(node.get("items", {}), f"{where}[]", depth + 1) for _ in range(count)]
        if kind == "string":
            return self._string(node, where)
        if kind == "integer":
            return int(self._number(node, integer=True))
        if kind == "number":
            return self._number(node, integer=False)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return "sample"

    def _object(self, node: Mapping[str, Any], where: str, depth: int) -> JsonValue:
        required = set(node.get("required") or [])
        out: dict[str, JsonValue] = {}
        for key, prop in (node.get("properties") or {}).items():
            if key in required or depth < _MAX_DEPTH:
                out[key] = self.value(prop, f"{where}.{key}", depth + 1)
        return out

    def _string(self, node: Mapping[str, Any], where: str) -> str:
        from skill.generators.samples import pattern_text, plain_text  # the models spec's own text sampler

        low = int(node.get("minLength", 0))
        high = node.get("maxLength")
        v = self.variant
        fmt = node.get("format")
        if fmt == "date-time":
            return f"2026-01-{1 + v % 28:02d}T09:00:00Z"
        if fmt == "date":
            return f"2026-01-{1 + v % 28:02d}"
        if fmt == "time":
            return f"09:{v % 60:02d}:00Z"
        if fmt == "uuid":
            return str(uuid.UUID(int=0x12345678123456781234567812345678 + v))
        if fmt == "email":
            return f"user{v}@example.com"
        if fmt in ("uri", "url", "iri"):
            return f"https://example.com/{v}"
        if fmt == "ipv4":
            return f"192.0.2.{1 + v % 250}"
        if fmt == "ipv6":
            return f"2001:db8::{1 + v % 9999}"
        if isinstance(node.get("pattern"), str):
            return pattern_text(node["pattern"], low, high, v, where)
        return plain_text(where.rsplit(".", 1)[-1] or "text", v, low, high)

    def _number(self, node: Mapping[str, Any], *, integer: bool) -> float:
        step = float(node.get("multipleOf", 1 if integer else 0.5))
        low = node.get("minimum")
        if low is None and node.get("exclusiveMinimum") is not None:
            low = float(node["exclusiveMinimum"]) + step
        high = node.get("maximum")
        if high is None and node.get("exclusiveMaximum") is not None:
            high = float(node["exclusiveMaximum"]) - step
        start = float(low) if low is not None else (1.0 if integer else 1.5)
        if "multipleOf" in node:
            start = -(-start // step) * step  # the first multiple at or above the bound
        value = start + step * self.variant
        if high is not None and value > float(high):
            value = start
        return value


_TEXT_KEYS = ("pattern", "format", "minLength", "maxLength")


def _model_fields(spec: ModelsSpec) -> dict[str, set[str]]:
    return {c.name: set(c.fields) for c in schema_classes(spec) if not c.enum}


use_schema_model_fields(_model_fields)
