"""Render the generated Dapr client and import it, so tests exercise exactly what users get."""

from __future__ import annotations

import contextlib
import importlib.util
import itertools
import json
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from skill.pipeline import generate

# Retries as fast as the settings allow, so retry tests take milliseconds.
FAST: dict[str, Any] = {"backoff_initial_seconds": 0.001, "backoff_max_seconds": 0.005}
SIDECAR = "http://sidecar.test:3500"

_serial = itertools.count()


def render_client(spec: Mapping[str, Any] | None = None) -> str:
    """The checked (ruff-formatted and linted) `dapr_client.py` for a spec."""
    result = generate("client", dict(spec or {}))
    (file,) = result.files
    return file.content


def load_module(source: str, directory: Path, stem: str = "dapr_client") -> ModuleType:
    """Import rendered source under a unique module name (dataclasses and pydantic need sys.modules)."""
    name = f"{stem}_{next(_serial)}"
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def dapr(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The default render: every block, transport 'auto'."""
    return load_module(render_client(), tmp_path_factory.mktemp("client_default"))


@pytest.fixture(scope="session")
def dapr_by_transport(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModuleType]:
    directory = tmp_path_factory.mktemp("client_transports")
    return {t: load_module(render_client({"transport": t}), directory) for t in ("auto", "httpx", "aiohttp")}


@dataclass
class Sidecar:
    """A scripted MockTransport handler: answers in order (the last answer repeats) and records requests.

    An answer is an `httpx.Response`, an exception instance (raised, like a transport failure), or a
    callable taking the request.
    """

    answers: list[Any] = field(default_factory=lambda: [httpx.Response(204)])
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if callable(answer) and not isinstance(answer, httpx.Response):
            answer = answer(request)
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, httpx.Response)
        return answer

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def body(self, index: int = -1) -> Any:
        return json.loads(self.requests[index].content)


def json_response(payload: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


def dapr_error(status: int, code: str, message: str, **extra: Any) -> httpx.Response:
    return httpx.Response(status, json={"errorCode": code, "message": message, **extra})


@contextlib.asynccontextmanager
async def client_for(
    module: ModuleType, handler: Callable[[httpx.Request], httpx.Response], **settings: Any
) -> AsyncIterator[Any]:
    """The generated client over `httpx.MockTransport(handler)`, with fast retries."""
    config = module.DaprSettings(**{"http_endpoint": SIDECAR, **FAST, **settings})
    async with (
        httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http,
        module.DaprClient(config, http_client=http) as client,
    ):
        yield client
