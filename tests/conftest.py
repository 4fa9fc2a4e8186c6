"""Fixtures shared by every test folder."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    # The generated code targets asyncio (uvicorn, aiohttp); trio is out of scope.
    return "asyncio"
