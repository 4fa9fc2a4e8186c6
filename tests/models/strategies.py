"""Valid models specs for hypothesis: the shared property and determinism tests (tests/engine/strategies.py) and
this folder's own tests draw from `models_specs`."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from skill.specs.models import SCALARS

__all__ = ["models_specs"]

_field_name = st.from_regex(r"[a-z][a-z0-9]{0,8}", fullmatch=True).map(lambda s: f"f_{s}")
_types = [*SCALARS, "list[str]", "dict[str, int] | None", "str | None", "Level", "list[Level] | None", "Leaf | None"]
_field = st.fixed_dictionaries(
    {"name": _field_name, "type": st.sampled_from(_types)},
    optional={"description": st.text(max_size=40).filter(bool)},
)

models_specs: st.SearchStrategy[dict[str, Any]] = st.builds(
    lambda fields, extra, frozen: {
        "enums": [{"name": "Level", "values": ["low", "high"]}],
        "models": [
            {"name": "Generated", "fields": fields},
            {"name": "Leaf", "fields": [{"name": "value", "type": "int", "default": 0}]},
        ],
        "extra": extra,
        "frozen": frozen,
    },
    st.lists(_field, min_size=1, max_size=6, unique_by=lambda f: f["name"]),
    st.sampled_from(["ignore", "forbid", "allow"]),
    st.booleans(),
)
