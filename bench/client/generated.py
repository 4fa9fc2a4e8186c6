"""The generated client, rendered by the engine for each transport and imported from a temp dir.

Rendering goes through `skill.generate`, the same front door users get, so the bench measures exactly the code
that would be handed out (formatted and lint-checked), not the template.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from bench.client.contender import Contender, Op
from bench.client.payloads import (
    APP_ID,
    INVOKE_BODY,
    INVOKE_REQUEST,
    KEY,
    METHOD,
    STATE_VALUE,
    STORE,
    BadResponseError,
    Workload,
)

Transport = Literal["auto", "httpx", "aiohttp"]
TRANSPORTS: tuple[Transport, ...] = ("auto", "httpx", "aiohttp")


def render(transport: Transport) -> str:
    from skill import generate

    return generate("client", {"transport": transport}).files[0].content


def load(transport: Transport, source: str, directory: Path) -> ModuleType:
    """Import the rendered module under a name unique to its transport, so three copies can live side by side."""
    name = f"bench_generated_dapr_client_{transport}"
    path = directory / f"{name}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # before exec: pydantic and dataclasses resolve annotations through sys.modules
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


class GeneratedClient(Contender):
    """The generated `DaprClient` for one transport; settings come from the DAPR_* environment, as in an app."""

    def __init__(self, transport: Transport, module: ModuleType) -> None:
        self.key = f"generated-{transport}"
        self.label = f"generated DaprClient (transport={transport})" + (" [default]" if transport == "auto" else "")
        self._module = module

    async def open(self, base_url: str) -> None:
        # base_url is unused on purpose: the runner exported DAPR_RUNTIME_HOST/DAPR_HTTP_PORT, as a sidecar would.
        self._client: Any = self._module.DaprClient()
        await self._client.__aenter__()
        await self._client.wait_for_sidecar()  # as an app does at startup; also opens the first connection

    def op(self, workload: Workload) -> Op:
        client = self._client
        if workload == "state":

            async def state() -> None:
                # get_state parses the JSON value (the raw-byte rows above do not: a cost only this row pays).
                value = await client.get_state(STORE, KEY)
                if value != STATE_VALUE:
                    raise BadResponseError(f"get_state returned {value!r:.120}")

            return state

        async def invoke() -> None:
            # A dict, as an app would pass it: the client encodes it as JSON.
            response = await client.invoke_method(APP_ID, METHOD, INVOKE_REQUEST, http_verb="POST")
            if response.status_code != 200 or response.content != INVOKE_BODY:
                raise BadResponseError(f"invoke_method returned {response.status_code} {response.content!r:.80}")

        return invoke

    async def close(self) -> None:
        await self._client.__aexit__(None, None, None)
