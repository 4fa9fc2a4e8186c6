"""Constrained string types shared by every spec. They reject; they never rename.

Each rule is stated once, in words an agent or a person can act on, and that sentence is the error message.
"""

from __future__ import annotations

import functools
import keyword
import re
import types
import typing
from collections.abc import Callable, Sequence
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

__all__ = [
    "AppId",
    "ClassName",
    "ComponentName",
    "HostPort",
    "Identifier",
    "JobName",
    "LineLengthOption",
    "ModuleName",
    "OwnLineLengthOption",
    "RoutePath",
    "SecretName",
    "SpecModel",
    "TopicName",
    "pattern_rule",
    "rule_error",
]


def _admits_bool(annotation: Any) -> bool:
    if annotation is bool or annotation is Any:
        return True
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _admits_bool(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return any(_admits_bool(arm) for arm in typing.get_args(annotation))
    return False


class SpecModel(BaseModel):
    """Base of every spec: immutable, unknown keys rejected, every field described."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: object, info: ValidationInfo) -> object:
        # Pydantic's lax mode reads true as 1: a spec that says `"max_retries": true` is a mistake, not a number.
        if isinstance(value, bool) and info.field_name and not _field_admits_bool(cls, info.field_name):
            raise ValueError("must not be true or false: give a value of the field's own type")
        return value


@functools.cache
def _field_admits_bool(model: type[SpecModel], name: str) -> bool:
    return _admits_bool(model.model_fields[name].annotation)


# Formatting follows the destination project; a generator that writes Python takes this option to override it.
LineLengthOption = Annotated[
    int | None,
    Field(
        ge=40,
        le=320,
        description="Line length the Python output is formatted to. Unset: the destination project's ruff "
        "setting when writing into a folder, else ruff's default (88).",
    ),
]
# A service or project states its own ruff settings in the pyproject.toml it writes, and ruff reads the nearest
# configuration only (settings above it are not merged), so its code is formatted with what that file says,
# wherever the folder is written.
OwnLineLengthOption = Annotated[
    int | None,
    Field(
        ge=40,
        le=320,
        description="Line length the Python output is formatted to and each generated pyproject.toml states "
        "(ruff reads it there, not from a project above the folder). Unset: ruff's default (88).",
    ),
]


# Python 3.12's list, fixed here so that a spec is accepted or refused the same way on every interpreter.
_SOFT_KEYWORDS = frozenset({"_", "case", "match", "type"})


def pattern_rule(pattern: str, rule: str, *, max_len: int, identifier: bool = False) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if len(value) > max_len or not compiled.fullmatch(value):
            raise ValueError(rule)
        if identifier and (keyword.iskeyword(value) or value in _SOFT_KEYWORDS):
            raise ValueError(f"{rule}; {value!r} is a Python keyword")
        return value

    return check


_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"

Identifier = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"(?![lIO]\Z)" + _IDENT,
            "must be a Python identifier (ASCII letters, digits, '_'; not starting with a digit; "
            "at most 64 characters; not 'l', 'I' or 'O' alone, which read as 1 and 0) and not a keyword",
            max_len=64,
            identifier=True,
        )
    ),
]
ModuleName = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"[a-z_][a-z0-9_]*",
            "must be a lowercase Python module name (a-z, 0-9, '_'; not starting with "
            "a digit; at most 64 characters) and not a keyword",
            max_len=64,
            identifier=True,
        )
    ),
]
ClassName = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"(?![IO]\Z)[A-Z][A-Za-z0-9]*",
            "must be a PascalCase class name (an ASCII capital letter, then letters and digits; at most 64 "
            "characters; not 'I' or 'O' alone, which read as 1 and 0)",
            max_len=64,
            identifier=True,
        )
    ),
]
# Kubernetes requires app ids to be DNS labels; self-hosted Dapr is laxer, but code that cannot be
# deployed to Kubernetes is not what anyone asked for.
AppId = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"[a-z0-9]([a-z0-9-]*[a-z0-9])?",
            "must be a Dapr app id usable on Kubernetes: lowercase letters, "
            "digits and '-', starting and ending with a letter or digit, at most 63 characters",
            max_len=63,
        )
    ),
    Field(examples=["order-processor"]),
]
ComponentName = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?",
            "must be a Dapr component name (a Kubernetes resource name): "
            "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 "
            "characters",
            max_len=253,
        )
    ),
    Field(examples=["pubsub", "statestore"]),
]
TopicName = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"[A-Za-z0-9._-]+",
            "must be a topic name valid on every broker Dapr supports (Kafka's rule): "
            "ASCII letters, digits, '.', '_' and '-', at most 249 characters",
            max_len=249,
        )
    ),
    Field(examples=["orders"]),
]
# Dapr rejects '/', '\\', '#', '?', NUL and newlines in job names; the name is also a URL segment of the
# app's `POST /job/{name}` callback, so keep to characters that need no escaping anywhere.
JobName = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"[A-Za-z0-9][A-Za-z0-9._-]*",
            "must be a Dapr job name: ASCII letters, digits, '.', '_' and '-', "
            "starting with a letter or digit, at most 200 characters",
            max_len=200,
        )
    ),
    Field(examples=["reminder-42"]),
]

_ROUTE = re.compile(r"(/[A-Za-z0-9._~-]+)+")


# A Kubernetes Secret name is a DNS subdomain; the same rule as a component name.
SecretName = ComponentName
HostPort = Annotated[
    str,
    AfterValidator(
        pattern_rule(
            r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?:[0-9]{1,5}",
            "must be 'host:port' (a DNS name or IPv4 address, then ':' and a port number)",
            max_len=253,
        )
    ),
    Field(examples=["kafka:9092"]),
]


def _route_path(value: str) -> str:
    if len(value) > 200 or not _ROUTE.fullmatch(value):
        raise ValueError(
            "must be an absolute URL path: '/' then segments of ASCII letters, digits, '.', '_', '~' and '-' separated "
            "by single '/', no trailing '/', no query or placeholders, at most 200 characters"
        )
    if any(segment in (".", "..") for segment in value.split("/")):
        raise ValueError("must not contain '.' or '..' segments (clients and proxies rewrite them)")
    return value


RoutePath = Annotated[str, AfterValidator(_route_path), Field(examples=["/orders", "/api/tasks"])]


def rule_error(loc: str | Sequence[str | int], value: object, rule: str) -> InitErrorDetails:
    """A cross-field rule broken at `loc` ('crud.0.store', or its parts), as pydantic reports an error: the rule
    is the message, so it reaches the caller word for word."""
    parts = [int(p) if p.isdigit() else p for p in loc.split(".")] if isinstance(loc, str) else list(loc)
    return InitErrorDetails(
        type=PydanticCustomError("spec_rule", "{rule}", {"rule": rule}), loc=tuple(parts), input=value
    )
