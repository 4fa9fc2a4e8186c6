"""A generator's options as a compact outline an agent reads before filling them: one line per option (name, type,
bounds, default, the first sentence of its meaning), the fields of a nested option model indented under the first
option that takes it (a later option names the model only).

The complete JSON Schema says the same and more (every sentence, the examples, `$defs`); for the service generator
it is about four times the size, and an agent that fills a spec reads one of the two, whole. Rendered from the JSON
Schema (`model_json_schema()`, or the door's argument schema with its own options added), so the two never
disagree on a name, a type, a bound or a default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["render_outline"]

# Characters of an option's meaning (its first sentence, cut at a clause within this): a top-level option's or a
# required field's, and an optional nested field's (there are four times as many, rarely given).
_RULE = 64
_NESTED_RULE = 48
_DEFAULT = 40  # characters of JSON: a longer default is shown as `= ...`
_INDENT = "  "
_SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool", "null": "None"}


def render_outline(schema: Mapping[str, Any], *, heading: str = "", elsewhere: Mapping[str, str] | None = None) -> str:
    """The outline of `schema`'s properties (an object schema, its models in `$defs`), under `heading`.

    `elsewhere` maps a model name to where its own outline is (another generator's spec, such as the models spec
    inside the service spec): that model is named with the place, its fields are not repeated."""
    defs: Mapping[str, Any] = schema.get("$defs", {})
    lines = [heading] if heading else []
    lines.append("name: type (bounds) = default - meaning; * required, ? or null, a|b one of; fields indented once")
    _fields(schema, defs, 0, {"": ""} | dict(elsewhere or {}), lines)
    return "\n".join(lines) + "\n"


def _fields(
    model: Mapping[str, Any], defs: Mapping[str, Any], depth: int, shown: dict[str, str], lines: list[str]
) -> None:
    required = set(model.get("required", ()))
    for name, prop in model.get("properties", {}).items():
        line = _INDENT * depth + _line(
            name, prop, defs, required=name in required, rule=_NESTED_RULE if depth and name not in required else _RULE
        )
        refs = [r for r in _refs(prop) if _is_model(defs.get(r, {}))]
        away = [shown[r] for r in refs if shown.get(r)]
        lines.append(f"{line} (fields: {', '.join(away)})" if away else line)
        for ref in refs:
            if ref in shown:
                continue
            shown[ref] = ""
            if _is_knobs(defs[ref]):  # settings with defaults: one line, their meanings in the JSON Schema
                knobs = [_line(k, v, defs, required=False, rule=0) for k, v in defs[ref]["properties"].items()]
                lines.append(_INDENT * (depth + 1) + "; ".join(knobs))
                continue
            if len(refs) > 1:  # a union: say which arm the fields below belong to
                lines.append(_INDENT * (depth + 1) + f"{ref}:")
            _fields(defs[ref], defs, depth + (2 if len(refs) > 1 else 1), shown, lines)


def _is_knobs(model: Mapping[str, Any]) -> bool:
    """A model of settings: every field a scalar with a default (a component's name, a timeout, a route)."""
    fields = model.get("properties", {}).values()
    return not model.get("required") and all(
        "default" in f and f.get("type") in ("string", "integer", "number", "boolean") for f in fields
    )


def _line(name: str, prop: Mapping[str, Any], defs: Mapping[str, Any], *, required: bool, rule: int) -> str:
    text = f"{name}{'*' if required else ''}: {_type(prop, defs)}{_bounds(prop)}"
    if not required and prop.get("default") not in (None, [], {}, "") and not isinstance(prop.get("default"), dict):
        text += f" = {_default(prop['default'])}"
    meaning = _rule(prop.get("description", ""), rule) if rule else ""
    return f"{text} - {meaning}" if meaning else text


def _rule(description: str, limit: int) -> str:
    """The first sentence of `description`; a long one cut after its last clause that fits (at ':', ';' or
    ' ('), or else at a word, so that what is shown reads as a whole."""
    first = re.split(r"(?<!e\.g\.)(?<!i\.e\.)(?<=\.)\s+(?=[A-Z`'])", " ".join(description.split()), maxsplit=1)[0]
    first = first.removesuffix(".")
    if len(first) <= limit:
        return first
    head = first[:limit]
    cut = max(head.rfind(": "), head.rfind("; "), head.rfind(" ("))
    if cut >= limit // 2:
        return head[:cut]
    return head[: head.rfind(" ")].rstrip(",;:") + "..."


def _default(value: object) -> str:
    text = json.dumps(value, separators=(",", ":"))
    return text if len(text) <= _DEFAULT else "..."


def _is_model(definition: Mapping[str, Any]) -> bool:
    return definition.get("type") == "object" and "properties" in definition


def _ref(node: Mapping[str, Any]) -> str:
    return str(node.get("$ref", "")).rsplit("/", 1)[-1]


def _refs(node: Any) -> list[str]:
    """The models `node` names, in order (a list's items, a union's arms), each once."""
    found: list[str] = []
    if isinstance(node, dict):
        if "$ref" in node:
            found.append(_ref(node))
        for key, value in node.items():
            if key in ("items", "anyOf", "oneOf", "allOf", "additionalProperties"):
                found.extend(_refs(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_refs(value))
    return list(dict.fromkeys(found))


def _type(node: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
    if "$ref" in node:
        name = _ref(node)
        target = defs.get(name, {})
        return name if _is_model(target) or "enum" not in target else _type(target, defs)
    if "const" in node:
        return json.dumps(node["const"])
    if "enum" in node:
        return "|".join(v if isinstance(v, str) else json.dumps(v) for v in node["enum"])
    for union in ("anyOf", "oneOf"):
        if union in node:
            arms = [_type(arm, defs) + _bounds(arm) for arm in node[union] if arm != {"type": "null"}]
            optional = "?" if len(arms) < len(node[union]) else ""
            shown = " | ".join(dict.fromkeys(arms))
            return f"({shown}){optional}" if optional and len(arms) > 1 else shown + optional
    kind = node.get("type")
    if isinstance(kind, list):
        return " | ".join(_SCALARS.get(str(k), str(k)) for k in kind)
    if kind == "array":
        items = node.get("items")
        return f"list[{_type(items, defs) if isinstance(items, dict) else 'any'}]"
    if kind == "object":
        values = node.get("additionalProperties")
        return f"dict[str, {_type(values, defs)}]" if isinstance(values, dict) else "object"
    return _SCALARS.get(str(kind), "any") if kind else "any"


def _bounds(node: Mapping[str, Any]) -> str:
    parts = []
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    if low is not None or high is not None:
        parts.append(f"{'' if low is None else low}..{'' if high is None else high}")
    if "minLength" in node or "maxLength" in node:
        parts.append(f"len {node.get('minLength', '')}..{node.get('maxLength', '')}")
    if "minItems" in node or "maxItems" in node:
        parts.append(f"items {node.get('minItems', '')}..{node.get('maxItems', '')}")
    if "pattern" in node:
        parts.append(f"/{node['pattern']}/")
    return f" ({', '.join(parts)})" if parts else ""
