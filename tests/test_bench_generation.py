"""The generation benchmark's specs are valid and its cells run (N=1 only: a smoke test, no timing asserted)."""

from __future__ import annotations

import functools

import pytest

from bench.generation import Cell, Timing, growth, measure, project_spec, route_count, service_spec, stages
from skill.pipeline import parse_spec
from skill.specs.project import ProjectSpec
from skill.specs.service import ServiceSpec


@pytest.mark.parametrize("n", [1, 10, 100])
def test_service_specs_validate_and_grow_with_n(n: int) -> None:
    spec = service_spec(n, tag=3)
    parsed = parse_spec("service", spec)
    assert isinstance(parsed, ServiceSpec)
    assert len(parsed.models.models) == n
    assert len(parsed.subscriptions) + len(parsed.invocations) + len(parsed.crud) == n
    assert len({s.topic for s in parsed.subscriptions}) == len(parsed.subscriptions)
    assert parsed.image_tag == "0.1.3"
    assert route_count(spec) >= n


def test_project_spec_is_the_todo_system_or_an_example() -> None:
    assert project_spec(5) == {"image_tag": "0.1.5"}
    parsed = parse_spec("project", project_spec(5, "orders-pipeline"))
    assert isinstance(parsed, ProjectSpec)
    assert parsed.image_tag == "0.1.5"


@pytest.mark.anyio
async def test_one_round_in_process_and_through_mcp_at_n_1() -> None:
    make = functools.partial(service_spec, 1)
    cells = [Cell("in process", 1, "service", None, make), Cell("MCP", 1, "service", "dapr_generate_service", make)]
    in_process, over_mcp = await measure(cells, runs=1)
    assert in_process.files > 0
    assert over_mcp.files >= in_process.files  # the folder also holds its record of what was generated
    assert in_process.runs == over_mcp.runs == 1


def test_stages_cover_the_pipeline() -> None:
    took = stages("service", service_spec(1))
    assert list(took.seconds)[:3] == ["spec validation", "plan", "render"]
    assert any(k.startswith("python checks") for k in took.seconds)


def test_growth_flags_superlinear_ratios() -> None:
    def at(size: int, seconds: float) -> Timing:
        return Timing("x", size, 1, seconds, seconds, seconds, 1, seconds)

    assert [ok for *_, ok in growth([at(1, 1.0), at(10, 5.0), at(100, 60.0)])] == [True, False]


def test_the_mcp_latency_bench_measures_the_server_part_in_process() -> None:
    """One call of bench/mcp_latency.py's in-process part (no timing asserted): it runs and reports CPU time."""
    from bench.mcp_latency import measure_in_process

    measured = measure_in_process(calls=1, warmup=0)
    assert measured.calls == 1
    assert measured.wall_ms > 0
    assert measured.cpu_ms >= 0
    assert measured.ruff_cpu_ms >= 0
