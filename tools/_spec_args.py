"""Command-line options derived from a spec model, so a new spec field is a new flag with no CLI edit.

Scalars, choices and lists of strings or choices get a flag; anything structured (models, mappings, lists of those)
comes only through `--spec`, except a document field marked `json_schema_extra={"cli": "file"}` (the models spec's
`json_schema`), whose flag takes a JSON or YAML file. `spec_flags` states that decision for the option tables in
`references/`.
"""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo

from skill import FieldProblem, SpecError, SpecModel

__all__ = ["add_spec_options", "collect_spec_options", "spec_flags"]

_SCALARS = (str, int, float)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _literal_choices(annotation: Any) -> list[str] | None:
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is typing.Literal:
        return [str(a) for a in args]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in args:
            choices = _literal_choices(arg)
            if choices:
                return choices
    return None


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(annotation) is list


def _is_scalar(annotation: Any) -> bool:
    """str, int or float, or an optional one."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        arms = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(arms) and all(a in _SCALARS for a in arms)
    return annotation in _SCALARS


def _is_file_field(info: FieldInfo) -> bool:
    return isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("cli") == "file"


def _read_document(name: str, path: str) -> object:
    """A JSON or YAML file (YAML 1.2 reads JSON too) for a document field, or a SpecError naming the field."""
    import yaml

    try:
        return yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        rule = f"could not be read as a JSON or YAML file ({type(exc).__name__}: {exc})"
        raise SpecError("generate", [FieldProblem.of([name], path, rule)], what="command line") from None


def _argparse_keywords(info: FieldInfo) -> dict[str, Any] | None:
    """How the field's flag is declared, or None when the field only comes through --spec."""
    annotation = info.annotation
    help_text = (info.description or "").replace("%", "%%")
    if _is_file_field(info):
        return {"metavar": "FILE", "help": f"{help_text} A JSON or YAML file."}
    if _is_list(annotation):
        (item,) = typing.get_args(annotation)
        choices = _literal_choices(item)
        if choices is None and item is not str:
            return None
        more = f" One or more of: {', '.join(choices)}." if choices else ""
        return {"metavar": "A,B", "help": f"{help_text} Comma-separated.{more}"}
    if annotation is bool:
        return {"action": argparse.BooleanOptionalAction, "help": help_text}
    if (choices := _literal_choices(annotation)) is not None:
        return {"choices": choices, "help": help_text}
    if _is_scalar(annotation):
        return {"metavar": "VALUE", "help": help_text}
    return None


def spec_flags(spec: type[SpecModel]) -> dict[str, str]:
    """The CLI flag of each spec field that has one (the others only come through --spec)."""
    return {name: _flag(name) for name, info in spec.model_fields.items() if _argparse_keywords(info) is not None}


def add_spec_options(
    parser: argparse.ArgumentParser, spec: type[SpecModel], only: Collection[str] | None = None
) -> None:
    """A flag for each of `spec`'s fields that has one (`only` these, when given)."""
    group = parser.add_argument_group("spec options (override --spec)")
    for name, info in spec.model_fields.items():
        if only is not None and name not in only:
            continue
        keywords = _argparse_keywords(info)
        if keywords is not None:
            group.add_argument(_flag(name), dest=f"spec__{name}", **keywords)


def collect_spec_options(args: argparse.Namespace, spec: type[SpecModel]) -> Mapping[str, object]:
    """The spec fields given on the command line (strings; the spec model converts and checks them)."""
    given: dict[str, object] = {}
    for name, info in spec.model_fields.items():
        value = getattr(args, f"spec__{name}", None)
        if value is None:
            continue
        if _is_file_field(info) and isinstance(value, str):
            value = _read_document(name, value)
        elif _is_list(info.annotation) and isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        given[name] = value
    return given
