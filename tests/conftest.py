"""Fixtures shared by every test folder."""

import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

# CI replays the same examples on every run (`.ci/run` sets HYPOTHESIS_PROFILE=ci), so a landing is judged on the
# code that changed; a developer's run explores new ones, and what it finds is kept as an @example.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def anyio_backend() -> str:
    # The generated code targets asyncio (uvicorn, aiohttp); trio is out of scope.
    return "asyncio"


@pytest.fixture
def app_ports() -> Iterator[None]:
    """For a test whose apps listen on their specs' fixed ports (the todo system's 8000-8002): such tests take turns
    across xdist workers by a file lock (pytest-xdist 3.8 under pytest 9 does not honour xdist_group with
    --dist loadgroup, pytest-xdist issue 1386)."""
    with (Path(tempfile.gettempdir()) / "async-dapr-coder-app-ports.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
