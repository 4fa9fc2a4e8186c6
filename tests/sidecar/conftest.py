"""Fixtures for the sidecar double's own tests (other folders import ``tools.standin`` directly)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tools.standin import SidecarDouble


@pytest.fixture
def double() -> SidecarDouble:
    """A default double: app id ``myapp``, Dapr 1.18.3, the default component names, no app."""
    return SidecarDouble()


@pytest.fixture
async def client(double: SidecarDouble) -> AsyncIterator[httpx.AsyncClient]:
    """``httpx.AsyncClient(transport=httpx.ASGITransport(app=double), base_url="http://127.0.0.1:3500")``."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=double), base_url="http://127.0.0.1:3500") as c:
        yield c
