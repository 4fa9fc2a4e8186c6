"""Render the endpoint package, import it, and wire it to the sidecar double, so tests drive what users get."""

from __future__ import annotations

import asyncio
import importlib
import itertools
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent

from skill.pipeline import generate
from tests.sidecar import DEFAULT_BASE_URL, SidecarDouble

_serial = itertools.count()
TOKEN = "app-token-for-tests"


def write_package(spec: Mapping[str, Any], directory: Path) -> list[Path]:
    """The checked files of one render, written under `directory`."""
    written = []
    for f in generate("endpoint", dict(spec)).files:
        path = directory / f.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f.content, encoding="utf-8")
        written.append(path)
    return written


@dataclass
class Package:
    """An imported render: its modules by name."""

    name: str
    modules: dict[str, ModuleType]

    def __getattr__(self, module: str) -> Any:
        try:
            return self.modules[module]
        except KeyError:
            raise AttributeError(module) from None


def load_package(spec: Mapping[str, Any], directory: Path) -> Package:
    """Render `spec` under a unique package name and import every module of it."""
    name = f"ep_{next(_serial)}"
    files = write_package({**spec, "package": name}, directory)
    sys.path.insert(0, str(directory))
    try:
        modules = {p.stem: importlib.import_module(f"{name}.{p.stem}") for p in files if p.stem != "__init__"}
    finally:
        sys.path.remove(str(directory))
    return Package(name, modules)


@pytest.fixture(scope="session")
def preset(tmp_path_factory: pytest.TempPathFactory) -> Package:
    """The default render (the todo task API)."""
    return load_package({}, tmp_path_factory.mktemp("endpoint_preset"))


def cloud_event(data: Any, *, type_: str = "tasks.updated", id_: str = "ev-1") -> bytes:
    """A structured CloudEvent, as the official cloudevents SDK writes it."""
    attributes = {"type": type_, "source": "tests", "id": id_, "datacontenttype": "application/json"}
    return JSONFormat().write(CloudEvent(attributes, data))


def task(task_id: str = "t-1", **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "user_id": "u-1", "title": "Write tests", "created_at": "2026-01-01T00:00:00Z", **fields}


@dataclass
class Wired:
    """A generated app, the double in front of it, and the shared client the app uses."""

    package: Package
    app: Any
    double: SidecarDouble
    dapr: Any


class _RoundTrips(httpx.AsyncBaseTransport):
    """Yields to the event loop before each call to the double, as a network round trip does: in-process ASGI calls
    never suspend, and concurrent requests would then run one after the other instead of interleaving."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self._inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        return await self._inner.handle_async_request(request)


async def _wired(package: Package, token: str | None, **double: Any) -> AsyncIterator[Wired]:
    sidecar = SidecarDouble(app_api_token=token, **double)
    settings = package.dapr_client.DaprSettings(http_endpoint=DEFAULT_BASE_URL)
    transport = _RoundTrips(httpx.ASGITransport(app=sidecar))
    async with (
        httpx.AsyncClient(transport=transport, base_url=DEFAULT_BASE_URL) as http,
        package.dapr_client.DaprClient(settings, http_client=http) as dapr,
    ):
        kwargs: dict[str, Any] = {"dapr": dapr}
        if hasattr(package.main.create_app, "__kwdefaults__") and "app_api_token" in (
            package.main.create_app.__kwdefaults__ or {}
        ):
            kwargs["app_api_token"] = TOKEN
        app = package.main.create_app(**kwargs)
        sidecar.channel.app = app
        yield Wired(package, app, sidecar, dapr)


@pytest.fixture
async def wired(preset: Package) -> AsyncIterator[Wired]:
    """The preset app behind the double, APP_API_TOKEN set on both sides."""
    async for w in _wired(preset, TOKEN, bindings=("task-import",)):
        yield w


wire = _wired
