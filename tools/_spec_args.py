"""Command-line options derived from a spec model, so a new spec field is a new flag with no CLI edit."""

from __future__ import annotations

import argparse
import types
import typing
from collections.abc import Mapping
from typing import Any

from pydantic.fields import FieldInfo

from skill import SpecModel

__all__ = ["add_spec_options", "collect_spec_options"]


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


def _help(info: FieldInfo) -> str:
    text = info.description or ""
    return text.replace("%", "%%")


def add_spec_options(parser: argparse.ArgumentParser, spec: type[SpecModel]) -> None:
    group = parser.add_argument_group("spec options (override --spec)")
    for name, info in spec.model_fields.items():
        annotation = info.annotation
        dest = f"spec__{name}"
        if _is_list(annotation):
            (item,) = typing.get_args(annotation)
            choices = _literal_choices(item)
            if choices is None and item is not str:
                continue  # structured lists (models) only come through --spec
            more = f" One or more of: {', '.join(choices)}." if choices else ""
            group.add_argument(_flag(name), dest=dest, metavar="A,B", help=f"{_help(info)} Comma-separated.{more}")
        elif annotation is bool:
            group.add_argument(_flag(name), dest=dest, action=argparse.BooleanOptionalAction, help=_help(info))
        elif (choices := _literal_choices(annotation)) is not None:
            group.add_argument(_flag(name), dest=dest, choices=choices, help=_help(info))
        elif annotation in (str, int, float) or _literal_choices(annotation) is None:
            group.add_argument(_flag(name), dest=dest, metavar="VALUE", help=_help(info))


def collect_spec_options(args: argparse.Namespace, spec: type[SpecModel]) -> Mapping[str, object]:
    """The spec fields given on the command line (strings; the spec model converts and checks them)."""
    given: dict[str, object] = {}
    for name, info in spec.model_fields.items():
        value = getattr(args, f"spec__{name}", None)
        if value is None:
            continue
        if _is_list(info.annotation) and isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        given[name] = value
    return given
