"""Sample JSON for the models of a models spec: for generators that write tests which post events or items.

`sample(spec, name)` is a JSON value that the rendered model `name` validates: every field present (optional ones
too, so the sample exercises them), each type and constraint respected (bounds, multiple_of, lengths, Decimal
digits, regex `pattern`). It is deterministic; `variant` gives a different valid value (another id, another
number) so a test can create two distinct items. `sample_key` is one field of it as a string, for CRUD keys.

A field with a default still gets a generated value (the default only ends a recursion). Patterns are read with
Python's regex parser, a string of a suitable length is built from the tree, and it must pass both `re.search` and
pydantic's own check (the Rust regex crate, also search semantics); numbers are checked by pydantic too. What cannot
be satisfied raises ValueError naming `Model.field` and the rule.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
import math
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import Annotated, Any

from pydantic import Field, JsonValue, TypeAdapter, ValidationError
from pydantic_core import SchemaError

from skill.specs.models import SCALARS, EnumDef, FieldDef, ModelDef, ModelsSpec, TypeRef

__all__ = ["json_key", "pattern_text", "plain_text", "sample", "sample_key"]

# typeshed only types the deprecated `sre_parse` alias, whose import warns; the parser's output is read into the
# typed nodes below in one place (`_node`), so this stays untyped.
_PARSER: Any = importlib.import_module("re._parser")

_NOW = dt.datetime(2026, 1, 31, 9, 0, tzinfo=dt.UTC)
_UUID_NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")  # uuid.NAMESPACE_URL
# Characters a pattern's classes pick from, most readable first; control and non-ASCII characters only when a
# class accepts none of these.
_ASCII = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_-.:/@+=~!#$%&*,;?^|'\"()[]{}<>\\` "
_FALLBACK = "\t\n\réßΩ€"
# Bounds on the work a pattern may ask for: a pattern of at most 500 characters can still demand huge minimums.
_MAX_TEXT = 10_000
_MAX_TRIES = 64
_MAX_INSTANCES = 1000


class _CycleError(Exception):
    """A model needs an instance of itself (a list or dict of it with min_length >= 1), or the sample has grown too
    big: an optional or defaulted field further out may still end it there, so this travels up before it becomes
    a ValueError."""


def _fail(where: str, rule: str) -> ValueError:
    return ValueError(f"{where}: cannot make a sample value: {rule}")


# --- regex: a matching string built from the parse tree ------------------------------------------------------


@dataclass(frozen=True)
class _Node:
    """A regex part: `kind` is chars (one of `chars`), seq, alt, repeat (`count` copies of `parts[0]`) or empty
    (anchors and lookarounds: the final check holds them). `least`: the fewest characters it matches."""

    kind: str
    least: int
    parts: tuple[_Node, ...] = ()
    chars: str = ""
    count: tuple[int, int | None] = (0, 0)


_EMPTY = _Node("empty", 0)


def _category(name: str, ch: str) -> bool:
    if name.endswith("DIGIT"):
        found = ch.isdigit()
    elif name.endswith("SPACE"):
        found = ch.isspace()
    elif name.endswith("WORD"):
        found = ch.isalnum() or ch == "_"
    else:  # LINEBREAK
        found = ch == "\n"
    return found != ("_NOT_" in name)


def _class_chars(items: list[tuple[Any, Any]]) -> str:
    """The characters an IN set (or NOT_LITERAL/ANY, spelled as one) accepts, most readable first."""
    negated = any(str(op) == "NEGATE" for op, _ in items)
    own: list[str] = []

    def member(ch: str) -> bool:
        for op, av in items:
            name = str(op)
            if (
                (name == "LITERAL" and ord(ch) == av)
                or (name == "RANGE" and av[0] <= ord(ch) <= av[1])
                or (name == "CATEGORY" and _category(str(av), ch))
            ):
                return not negated
        return negated

    for op, av in items:
        if str(op) == "LITERAL":
            own.append(chr(av))
        elif str(op) == "RANGE":
            own.append(chr(av[0]))
    found = "".join(ch for ch in _ASCII if member(ch))
    return found or "".join(dict.fromkeys(ch for ch in (*own, *_FALLBACK) if member(ch)))


def _node(data: Any, where: str) -> _Node:
    """Our tree of a parsed (sub)pattern: a sequence of (opcode, argument) pairs."""
    parts: list[_Node] = []
    for op, av in data:
        name = str(op)
        if name == "LITERAL":
            parts.append(_Node("chars", 1, chars=chr(av)))
        elif name in {"IN", "NOT_LITERAL", "ANY"}:
            items = av if name == "IN" else [("NEGATE", None), ("LITERAL", av if name == "NOT_LITERAL" else 10)]
            chars = _class_chars(items)
            if not chars:
                raise _fail(where, "the pattern has a character class no character matches")
            parts.append(_Node("chars", 1, chars=chars))
        elif name in {"MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"}:
            low, high, sub = av
            inner = _node(sub, where)
            most = None if high == _PARSER.MAXREPEAT else int(high)
            parts.append(_Node("repeat", int(low) * inner.least, (inner,), count=(int(low), most)))
        elif name == "SUBPATTERN":
            parts.append(_node(av[3], where))
        elif name == "ATOMIC_GROUP":
            parts.append(_node(av, where))
        elif name == "BRANCH":
            options = tuple(_node(sub, where) for sub in av[1])
            parts.append(_Node("alt", min(o.least for o in options), options))
        elif name in {"AT", "ASSERT", "ASSERT_NOT"}:
            parts.append(_EMPTY)
        else:  # GROUPREF, GROUPREF_EXISTS: the Rust engine pydantic uses has no backreferences either
            raise _fail(where, f"the pattern uses {name}, which samples do not support (backreferences)")
    if len(parts) == 1:
        return parts[0]
    return _Node("seq", sum(p.least for p in parts), tuple(parts))


class _Chooser:
    """Spends `variant` as a mixed-radix number over the character choices, so each variant picks different
    characters (variant 0: the first, most readable one everywhere)."""

    def __init__(self, variant: int) -> None:
        self.remaining = variant

    def pick(self, chars: str) -> str:
        if len(chars) < 2:
            return chars
        self.remaining, digit = divmod(self.remaining, len(chars))
        return chars[digit]


class _Lengths:
    """Which lengths (up to `cap`) each node can match, as bit sets (bit n: length n), and a text of a chosen
    length. Exact lengths rather than a greedy fill, so '^\\w{2,5}(-\\w{2,5})*$' of length 6 is found."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._mask = (1 << (cap + 1)) - 1
        self._memo: dict[int, int] = {}  # by id(node): the cached tree outlives this object

    def plus(self, left: int, right: int) -> int:
        """The lengths of a left match followed by a right one."""
        out = 0
        for n in _bits(right):
            out |= left << n
        return out & self._mask

    def of(self, node: _Node) -> int:
        found = self._memo.get(id(node))
        if found is not None:
            return found
        if node.kind == "chars":
            found = 0b10
        elif node.kind == "seq":
            found = 1
            for part in node.parts:
                found = self.plus(found, self.of(part))
        elif node.kind == "alt":
            found = 0
            for option in node.parts:
                found |= self.of(option)
        elif node.kind == "repeat":
            found = 0
            for copies in self._copies(node, None):
                found |= copies
        else:
            found = 1
        found &= self._mask
        self._memo[id(node)] = found
        return found

    def _copies(self, node: _Node, length: int | None) -> list[int]:
        """sums[c]: the lengths of c copies of the repeated item. With a length: up to the fewest allowed copies
        that match it. Without: until a count adds no new length (later counts would not either)."""
        least, most = node.count
        one = self.of(node.parts[0])
        sums, seen = [1], 0
        while True:
            count, current = len(sums) - 1, sums[-1]
            if count >= least:
                if length is not None and current >> length & 1:
                    return sums
                if length is None and not current & ~seen:
                    break
                seen |= current
            if count == most or not current:
                break
            sums.append(self.plus(current, one))
        if length is not None:
            raise AssertionError(f"no count of copies matches length {length}")
        return sums[least:]

    def text(self, node: _Node, length: int, chooser: _Chooser) -> str:
        """A match of `node` of exactly `length` characters (a length `of` reported)."""
        if node.kind == "chars":
            return chooser.pick(node.chars)
        if node.kind == "alt":
            return self.text(next(o for o in node.parts if self.of(o) >> length & 1), length, chooser)
        if node.kind == "empty":
            return ""
        # seq and repeat: each part takes the longest length that what follows it can complete.
        if node.kind == "seq":
            parts = list(node.parts)
            rest = [1]
            for part in reversed(parts[1:]):
                rest.append(self.plus(rest[-1], self.of(part)))
            rest.reverse()
        else:
            sums = self._copies(node, length)  # sums[c]: lengths of c copies; the last count holds `length`
            parts = [node.parts[0]] * (len(sums) - 1)
            rest = sums[-2::-1]
        out = []
        for part, after in zip(parts, rest, strict=True):
            size = max(n for n in _bits(self.of(part)) if length >= n and after >> (length - n) & 1)
            out.append(self.text(part, size, chooser))
            length -= size
        return "".join(out)


def _bits(value: int) -> Iterator[int]:
    n = 0
    while value:
        if value & 1:
            yield n
        value >>= 1
        n += 1


@functools.lru_cache(maxsize=256)
def _pattern_tree(pattern: str, where: str) -> _Node:
    try:
        return _node(_PARSER.parse(pattern).data, where)
    except re.error as exc:
        raise _fail(where, f"pattern {pattern!r} does not parse ({exc})") from None


def pattern_text(pattern: str, low: int, high: int | None, variant: int, where: str) -> str:
    tree = _pattern_tree(pattern, where)
    rule = f"pattern {pattern!r} with length {low}..{'' if high is None else high}"
    top = min(high if high is not None else _MAX_TEXT, _MAX_TEXT)
    if tree.least > top:
        raise _fail(where, f"{rule}: every match has at least {tree.least} characters")
    constraints = {"pattern": pattern, "min_length": low, "max_length": high}
    _check_schema("str", constraints, where)

    def fits(text: str) -> bool:
        # pydantic's own check (the Rust regex crate) and Python's re must both accept it; Rust first, as it runs
        # in linear time where Python's backtracking can take exponential time on a text that does not match.
        return low <= len(text) <= top and _accepted("str", constraints, text) and re.search(pattern, text) is not None

    # Up to 16 characters more than needed, so that a variant that does not fit in the shortest text's choices
    # can use a longer one.
    lengths = _Lengths(min(top, max(low, tree.least) + 16))
    sizes = list(_bits(lengths.of(tree)))
    # Lengths from min_length up first; shorter matches after, padded outside the match where no anchor forbids.
    order = [n for n in sizes if n >= low] + [n for n in reversed(sizes) if n < low]
    first: str | None = None
    for size in order[:_MAX_TRIES]:
        if first is not None and size < low:
            break  # a shorter, padded text would not spend more of the variant either
        chooser = _Chooser(variant)
        text = lengths.text(tree, size, chooser)
        need = max(0, low - len(text))
        tries = [text, *(t for ch in "a-0 " for t in (text + ch * need, ch * need + text))] if need else [text]
        found = next((t for t in tries if fits(t)), None)
        if found is not None and chooser.remaining == 0:
            return found
        first = found if first is None else first
    if first is None:
        raise _fail(where, f"no text was found for {rule}")
    return first


def plain_text(base: str, variant: int, low: int, high: int | None) -> str:
    suffix = f"-{variant}" if variant else ""
    text = base + suffix
    if high is not None and len(text) > high:
        text = base[: max(0, high - len(suffix))] + suffix
        if len(text) > high:  # no room for the base: the variant in base 36, as wide as allowed
            text = _base36(variant)[-high:] if high else ""
    return text + "x" * max(0, low - len(text))


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, d = divmod(n, 36)
        out = digits[d] + out
        if not n:
            return out


# --- numbers: k * unit inside the bounds, checked by pydantic itself ----------------------------------------


@functools.lru_cache(maxsize=1024)
def _adapter(scalar: str, constraints: tuple[tuple[str, object], ...]) -> TypeAdapter[Any]:
    annotated: Any = Annotated[SCALARS[scalar], Field(**dict(constraints))]  # type: ignore[call-overload]
    return TypeAdapter[Any](annotated)


def _check_schema(scalar: str, constraints: Mapping[str, object], where: str) -> None:
    """ValueError when pydantic cannot build the field at all (the spec allows a few such fields: a lookaround in
    `pattern`, which the Rust regex crate lacks; a fractional bound or multiple_of on an int)."""
    try:
        _adapter(scalar, tuple(constraints.items()))
    except SchemaError as exc:
        raise _fail(
            where, f"pydantic refuses {constraints} for {scalar} ({str(exc).splitlines()[-1].strip()})"
        ) from None


def _accepted(scalar: str, constraints: Mapping[str, object], value: JsonValue) -> bool:
    """Whether pydantic, given this JSON, accepts it for the field (the same check the service will make)."""
    try:
        _adapter(scalar, tuple(constraints.items())).validate_json(json.dumps(value))
    except ValidationError:
        return False
    return True


def _k_range(unit: Fraction, f: FieldDef, limit: Fraction | None) -> tuple[int | None, int | None]:
    """The k for which k * unit is inside the field's bounds (and, with a limit, -limit < k * unit < limit)."""
    lows = [math.ceil(Fraction(f.ge) / unit)] if f.ge is not None else []
    lows += [math.floor(Fraction(f.gt) / unit) + 1] if f.gt is not None else []
    highs = [math.floor(Fraction(f.le) / unit)] if f.le is not None else []
    highs += [math.ceil(Fraction(f.lt) / unit) - 1] if f.lt is not None else []
    if limit is not None:
        highs.append(math.ceil(limit / unit) - 1)
        lows.append(-highs[-1])
    return (max(lows) if lows else None, min(highs) if highs else None)


def _ks(unit: Fraction, prefer: Fraction, f: FieldDef, variant: int, limit: Fraction | None = None) -> Iterator[int]:
    """Candidate k's: the preferred one moved by `variant` (wrapping inside the bounds), then its neighbours."""
    low, high = _k_range(unit, f, limit)
    if low is not None and high is not None and low > high:
        return
    k = math.ceil(prefer / unit)
    k = k if low is None else max(k, low)
    k = k if high is None else min(k, high)
    if high is not None and k + variant > high:
        k = k - variant if low is None else low + (k - low + variant) % (high - low + 1)
    else:
        k += variant
    for step in range(_MAX_TRIES):
        for candidate in (k + step, k - step) if step else (k,):
            if (low is None or candidate >= low) and (high is None or candidate <= high):
                yield candidate


def _number(f: FieldDef, scalar: str, variant: int, where: str) -> JsonValue:
    constraints = f.constraints()  # only numeric ones: the spec refuses the others on a number
    _check_schema(scalar, constraints, where)
    candidates: Iterator[JsonValue]
    if scalar == "int":
        # The smallest positive integer that is a multiple of multiple_of (p/q in lowest terms: p).
        unit = Fraction(Fraction(f.multiple_of).numerator) if f.multiple_of is not None else Fraction(1)
        candidates = (int(k * unit) for k in _ks(unit, Fraction(1), f, variant))
    elif scalar == "float":
        # multiple_of as written (0.1, not its binary neighbour), so multiples print short: 2.3, not 2.3000000000000003.
        # Without it: halves, or finer binary fractions (exact floats) when the bounds are narrow.
        units = (
            [Fraction(repr(f.multiple_of))] if f.multiple_of is not None else [Fraction(1, 2**i) for i in range(1, 60)]
        )
        candidates = (float(k * u) for u in units for k in _ks(u, Fraction(3, 2), f, variant))
    else:
        candidates = _decimals(f, variant)
    for value in candidates:
        if _accepted(scalar, constraints, value):
            return value
    raise _fail(where, f"no {scalar} was found within {constraints}")


def _decimals(f: FieldDef, variant: int) -> Iterator[JsonValue]:
    digits = f.max_digits
    if f.decimal_places is not None:
        options = [f.decimal_places if digits is None else min(f.decimal_places, digits)]
    else:  # two decimals, leaving a digit before the point when max_digits has room; else whole numbers
        options = list(dict.fromkeys([2 if digits is None else min(2, max(0, digits - 1)), 0]))
    for places in options:
        limit: Fraction | None = None
        if digits is not None:  # pydantic allows max_digits - decimal_places digits before the point
            limit = Fraction(10) ** (digits - (places if f.decimal_places is None else f.decimal_places))
        # Multiples of both multiple_of (as written: 0.1, not its binary neighbour) and 10**-places.
        unit = Fraction(1, 10**places)
        if f.multiple_of is not None:
            step = Fraction(repr(f.multiple_of))
            unit = Fraction(math.lcm(step.numerator, unit.numerator), math.gcd(step.denominator, unit.denominator))
        for k in _ks(unit, Fraction(3, 2), f, variant, limit):
            exact = k * unit
            with localcontext() as ctx:
                ctx.prec = 200
                value = (Decimal(exact.numerator) / Decimal(exact.denominator)).normalize()
            yield format(value, "f")  # a JSON string: pydantic reads it without float rounding
            if not value:
                yield "0.0"  # pydantic counts '0' as a digit before the point: decimal_places == max_digits refuses it


# --- models ------------------------------------------------------------------------------------------------


@dataclass
class _Spec:
    models: Mapping[str, ModelDef]
    enums: Mapping[str, EnumDef]
    built: int = 0  # model instances so far: optional references stop at _MAX_INSTANCES


def _scalar(ref: TypeRef, f: FieldDef, variant: int, where: str) -> JsonValue:
    name = ref.name
    if name == "str":
        low = f.min_length or 0
        if f.pattern is not None:
            return pattern_text(f.pattern, low, f.max_length, variant, where)
        return plain_text(f.name, variant, low, f.max_length)
    if name in {"int", "float", "Decimal"}:
        return _number(f, name, variant, where)
    if name == "bool":
        return variant % 2 == 0
    if name == "datetime":
        # Modulo: a huge variant must not run past year 9999 (a million hours is about 114 years).
        return (_NOW + dt.timedelta(hours=variant % 10**6)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if name == "date":
        return (_NOW.date() + dt.timedelta(days=variant % 10**6)).isoformat()
    if name == "UUID":
        return str(uuid.uuid5(_UUID_NAMESPACE, f"{where}/{variant}"))
    return {"note": f.name, "n": variant}  # JsonValue


def _value(spec: _Spec, ref: TypeRef, f: FieldDef, variant: int, where: str, stack: tuple[str, ...]) -> JsonValue:
    """A value for `ref`; the field's constraints apply to the outer type only (as in the rendered model)."""
    if f.min_length is not None and f.max_length is not None and f.min_length > f.max_length:
        raise _fail(where, f"min_length {f.min_length} is above max_length {f.max_length}")
    if ref.nullable:
        try:
            return _value(spec, TypeRef(ref.kind, ref.name, ref.item), f, variant, where, stack)
        except _CycleError:
            return None
    if ref.kind == "scalar":
        return _scalar(ref, f, variant, where)
    if ref.kind == "class":
        if ref.name in spec.enums:
            members = spec.enums[ref.name].members
            return members[variant % len(members)].value
        if ref.name in stack:
            raise _CycleError(
                f"{where}: {ref.name} would contain itself ({' -> '.join((*stack, ref.name))}), so no finite sample "
                "exists: give the list or dict min_length 0, or make the field optional"
            )
        if spec.built >= _MAX_INSTANCES:  # many models that refer to several others: a tree that grows too fast
            raise _CycleError(f"{where}: the sample would hold more than {_MAX_INSTANCES} model instances")
        return _model(spec, spec.models[ref.name], variant, (*stack, ref.name))
    assert ref.item is not None
    item = ref.item
    # One item exercises the item type; more only as min_length asks, fewer only as max_length allows.
    count = max(f.min_length or 0, 1)
    count = count if f.max_length is None else min(count, f.max_length)
    bare = FieldDef(name=f.name, type=f.type)  # the same field without constraints: they bind the container
    try:
        items = [_value(spec, item, bare, variant + i, f"{where}[{i}]", stack) for i in range(count)]
    except _CycleError:
        if f.min_length:
            raise
        items = []
    if ref.kind == "list":
        return items
    return {f"key{i + 1}": v for i, v in enumerate(items)}


def _model(spec: _Spec, model: ModelDef, variant: int, stack: tuple[str, ...]) -> dict[str, JsonValue]:
    spec.built += 1
    out: dict[str, JsonValue] = {}
    for f in model.fields:
        where = f"{model.name}.{f.name}"
        try:
            out[f.name] = _value(spec, f.type_ref, f, variant, where, stack)
        except _CycleError:
            if not f.has_default:
                raise
            out[f.name] = f.default  # checked against the type and constraints by the spec
    return out


def sample(models: ModelsSpec, name: str, *, variant: int = 0) -> JsonValue:
    """A JSON value that the rendered model (or enum) `name` of `models` validates, with every field given.

    Deterministic; another `variant` (>= 0) gives another valid value where the constraints leave room (strings,
    numbers, enum members, UUIDs, times). ValueError when `name` is not in the spec, or a field's constraints cannot
    be met together (the message names Model.field and the rule). A JSON Schema spec: skill/generators/
    schema_models.py."""
    if variant < 0:
        raise ValueError(f"variant must be >= 0, got {variant}")
    if models.json_schema is not None:
        from skill.generators.schema_models import schema_sample  # it reads the models generator's compile

        return schema_sample(models, name, variant=variant)
    spec = _Spec({m.name: m for m in models.models}, {e.name: e for e in models.enums})
    if name in spec.enums:
        members = spec.enums[name].members
        return members[variant % len(members)].value
    if name not in spec.models:
        raise ValueError(f"{name!r} is not a model or enum of this spec (known: {', '.join(models.class_names)})")
    try:
        return _model(spec, spec.models[name], variant, (name,))
    except _CycleError as exc:
        raise ValueError(str(exc)) from None


def json_key(models: ModelsSpec, name: str, field: str) -> str:
    """The JSON key of field `field` (its Python name) of model `name`: the same name, but for a JSON Schema's
    property that is not a Python name (`orderId` is `order_id` in Python, with the alias `orderId`)."""
    if models.json_schema is None:
        return field
    from skill.generators.schema_models import schema_classes

    for c in schema_classes(models):
        if c.name == name and field in c.fields:
            return c.keys[c.fields.index(field)]
    return field


def sample_key(models: ModelsSpec, name: str, field: str, variant: int = 0) -> str:
    """Field `field` of `sample(models, name, variant=variant)` as a string (a CRUD key: state key, URL part)."""
    found = sample(models, name, variant=variant)
    field = json_key(models, name, field)
    if not isinstance(found, dict) or field not in found:
        raise ValueError(f"{name!r} has no field {field!r}")
    value = found[field]
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return json.dumps(value)
    raise ValueError(f"{name}.{field} is not a string, number or bool, so it cannot be a key (sample: {value!r})")
