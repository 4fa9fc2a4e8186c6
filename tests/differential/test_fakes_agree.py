"""The stand-in and the generated fake give daprd's answers: every fact of facts.py, on each target configured for
the fact's store flavour, must observe what real daprd 1.18.3 answered (daprd-1.18.3.json, kept true by
tests/runtime/test_differential_recording.py). What a target declares it cannot model is xfail, strict."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.differential import facts, recording, targets
from tests.fake.conftest import Rendered

pytestmark = pytest.mark.anyio

Opener = Callable[[str], contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture(scope="module")
def rendered_fake(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    return targets.render_fake(tmp_path_factory.mktemp("differential_fake"))


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    return recording.load()


def _cases() -> list[Any]:
    cases = []
    for target in targets.TARGETS:
        for fact_id, fact, flavour in facts.fact_ids():
            marks = []
            if (reason := targets.CANNOT_MODEL[target].get(fact_id)) is not None:
                marks.append(pytest.mark.xfail(reason=reason, strict=True))
            cases.append(pytest.param(target, fact_id, fact, flavour, id=f"{target}-{fact_id}", marks=marks))
    return cases


def test_every_fact_is_recorded(recorded: dict[str, Any]) -> None:
    assert sorted(recorded) == sorted(fact_id for fact_id, _, _ in facts.fact_ids())


def test_cannot_model_lists_name_real_facts() -> None:
    known = {fact_id for fact_id, _, _ in facts.fact_ids()}
    for target, declared in targets.CANNOT_MODEL.items():
        assert set(declared) <= known, target


@pytest.mark.parametrize(("target", "fact_id", "fact", "flavour"), _cases())
async def test_target_answers_as_daprd(
    target: str, fact_id: str, fact: facts.Fact, flavour: str, rendered_fake: Rendered, recorded: dict[str, Any]
) -> None:
    opener: Opener = targets.standin if target == "standin" else targets.fake_factory(rendered_fake)
    async with opener(flavour) as client:
        observed = await fact.run(client, facts.prefix_for(fact))
    assert observed == recorded[fact_id], fact.doc
