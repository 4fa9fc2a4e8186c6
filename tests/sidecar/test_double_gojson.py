"""Go encoding/json behaviours the double depends on (references/dapr-contract.md §2.1 value round trip,
§3.1 UseNumber)."""

from __future__ import annotations

import pytest

from tools.standin import gojson
from tools.standin.wire import go_path_clean, query_unescape


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"b": 1, "a": [True, None]}, b'{"a":[true,null],"b":1}'),
        (1.0, b"1"),
        (0.00001, b"0.00001"),
        (1e21, b"1e+21"),
        (1e-7, b"1e-7"),
        (2.5, b"2.5"),
        ("<a&b>\u2028", b'"\\u003ca\\u0026b\\u003e\\u2028"'),
        ("é\n", '"é\\n"'.encode()),
    ],
)
def test_marshal_like_go(value: object, expected: bytes) -> None:
    assert gojson.marshal(value) == expected


def test_decode_first_value_only_and_use_number() -> None:
    assert gojson.decode_first(b' {"a": 1} trailing') == {"a": 1.0}
    precise = gojson.decode_first(b"[12345678901234567890]", use_number=True)
    assert gojson.marshal(precise) == b"[12345678901234567890]"
    assert gojson.marshal(gojson.decode_first(b"[12345678901234567890]")) == b"[12345678901234567000]"
    with pytest.raises(gojson.GoJSONError):
        gojson.decode_first(b"   ")


def test_struct_fields_fold_case() -> None:
    assert gojson.field({"Concurrency": "x"}, "concurrency") == "x"
    with pytest.raises(gojson.GoJSONError):
        gojson.opt_str({"etag": 1.0}, "etag", "SetRequest")
    with pytest.raises(gojson.GoJSONError):
        gojson.opt_str_map({"metadata": {"a": 1.0}}, "metadata", "SetRequest")


@pytest.mark.parametrize(
    ("path", "cleaned"),
    [("/a//b/", "/a/b"), ("/a/./b/../c", "/a/c"), ("/", "/"), ("//", "/"), ("/a%2Fb", "/a%2Fb")],
)
def test_go_path_clean(path: str, cleaned: str) -> None:
    assert go_path_clean(path) == cleaned


def test_query_unescape() -> None:
    assert query_unescape("a%2Fb+c") == "a/b c"
    with pytest.raises(ValueError, match="invalid URL escape"):
        query_unescape("a%zz")
