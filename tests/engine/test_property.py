"""Property tests: every valid spec renders clean; hostile values are rejected, never rendered."""

from __future__ import annotations

import keyword
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skill import SpecError, generate
from skill.generators.client import requirements_for
from skill.specs.client import BLOCKS, ClientSpec, reserved_class_names
from skill.specs.names import module_name_problem

_CLASS = re.compile(r"[A-Z][A-Za-z0-9]{0,20}")
# The "auto" transport requires the most, so a module name it accepts is accepted by every transport.
_ALL_REQUIREMENTS = requirements_for(ClientSpec())

client_specs = st.fixed_dictionaries(
    {},
    optional={
        "blocks": st.lists(st.sampled_from(BLOCKS), min_size=1, unique=True),
        "transport": st.sampled_from(["auto", "httpx", "aiohttp"]),
        "dapr_version": st.sampled_from([None, "1.15", "1.16", "1.17", "1.18"]),
        "class_name": st.from_regex(_CLASS, fullmatch=True).filter(
            lambda s: not keyword.iskeyword(s) and s not in reserved_class_names() and s not in {"I", "O"}
        ),
        "module": st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True).filter(
            lambda s: (
                not keyword.iskeyword(s)
                and s not in {"case", "match", "type"}
                and module_name_problem(s, _ALL_REQUIREMENTS) is None
            )
        ),
        "timeout_seconds": st.floats(min_value=0.001, max_value=600),
        "max_retries": st.integers(min_value=0, max_value=10),
        "max_connections": st.integers(min_value=1, max_value=10_000),
    },
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(client_specs)
def test_valid_client_specs_render_clean(spec: dict[str, object]) -> None:
    # generate() raises unless ruff format and the strict ruff check (syntax included) both pass.
    result = generate("client", spec)
    (only,) = result.files
    assert only.path == f"{spec.get('module', 'dapr_client')}.py"
    assert f"class {spec.get('class_name', 'DaprClient')}" in only.content


HOSTILE = st.one_of(
    st.sampled_from(['"', '"""', "'", "\n", "{{ x }}", "{%", "../", "a b", "é", "None", "class", "match", ""]),
    st.text(min_size=1).filter(lambda s: not re.fullmatch(r"[A-Za-z0-9_]+", s)),
)


@settings(max_examples=60, deadline=None)
@given(field=st.sampled_from(["class_name", "module"]), junk=HOSTILE)
def test_hostile_names_are_rejected_with_the_field_named(field: str, junk: str) -> None:
    with pytest.raises(SpecError) as caught:
        generate("client", {field: junk})
    assert [p.field for p in caught.value.problems] == [field]
    assert caught.value.problems[0].rule.startswith("must be")


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1, max_size=30).filter(lambda s: s not in BLOCKS))
def test_unknown_blocks_are_rejected(junk: str) -> None:
    with pytest.raises(SpecError) as caught:
        generate("client", {"blocks": ["state", junk]})
    assert caught.value.problems[0].field == "blocks.1"
