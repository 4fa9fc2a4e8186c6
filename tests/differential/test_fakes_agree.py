"""The stand-in and the generated fake give daprd's answers: every fact of facts.py, on each target configured for
the fact's store flavour, must observe what real daprd 1.18.3 answered (daprd-1.18.3.json, kept true by
tests/runtime/test_differential_recording.py). What a target declares it cannot model is xfail, strict."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.differential import app_facts, facts, recording, targets
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


def _app_cases() -> list[Any]:
    cases = []
    for target in targets.TARGETS:
        for fact in app_facts.APP_FACTS:
            marks = []
            if (reason := targets.CANNOT_MODEL[target].get(fact.fact_id)) is not None:
                marks.append(pytest.mark.xfail(reason=reason, strict=True))
            cases.append(pytest.param(target, fact, id=f"{target}-{fact.fact_id}", marks=marks))
    return cases


def test_every_fact_is_recorded(recorded: dict[str, Any]) -> None:
    assert set(recorded) == recording.fact_ids()


def test_cannot_model_lists_name_real_facts() -> None:
    known = recording.fact_ids()
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


@pytest.mark.parametrize(("target", "fact"), _app_cases())
async def test_target_treats_the_app_as_daprd(
    target: str, fact: app_facts.AppFact, rendered_fake: Rendered, recorded: dict[str, Any]
) -> None:
    opener: targets.AppOpener = targets.standin_app if target == "standin" else targets.fake_app_factory(rendered_fake)
    app = app_facts.ProbeApp()
    async with opener(app) as sidecar:
        observed = await fact.run(sidecar, app_facts.prefix_for(fact))
    assert observed == recorded[fact.fact_id], fact.doc
