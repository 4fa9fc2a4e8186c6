"""Who can reach `dapr-coder mcp --http`, and how much they can hold (issue 7, item 10): the Host/Origin check, the
bearer token, the session bound and idle expiry, through the real app on a real socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

import tools._http
from tests.doors._support import http_server
from tools._http import MAX_SESSIONS, SESSION_IDLE_TIMEOUT, exposure
from tools.mcp_server import build_server

pytestmark = pytest.mark.anyio

TOKEN = "s3cret-token-for-tests-0123456789"
ANY = "0.0.0.0"  # noqa: S104 - only checked here; nothing binds it
HELLO = {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}
MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


async def _initialize(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": HELLO}
    async with httpx.AsyncClient() as http:
        return await http.post(url, json=body, headers={**MCP_HEADERS, **(headers or {})}, timeout=60)


async def _list_tools(url: str, session: str) -> httpx.Response:
    body = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    headers = {**MCP_HEADERS, "Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-06-18"}
    async with httpx.AsyncClient() as http:
        return await http.post(url, json=body, headers=headers, timeout=60)


# --- the exposure rules --------------------------------------------------------------------------------------


def _who(host: str, *, remote: bool = False, hosts: tuple[str, ...] = (), token: str | None = None) -> Any:
    return exposure(host, allow_remote=remote, allowed_hosts=hosts, token=token, token_env="T")


def test_loopback_checks_host_and_origin_against_loopback_names() -> None:
    settings = _who("127.0.0.1").transport_security()
    assert settings.enable_dns_rebinding_protection is True
    assert {"127.0.0.1:*", "localhost:*", "[::1]:*"} <= set(settings.allowed_hosts)
    assert "http://localhost:*" in settings.allowed_origins
    assert not any("0.0.0.0" in h or "example" in h for h in settings.allowed_hosts)  # noqa: S104


def test_remote_with_allowed_hosts_checks_those_names() -> None:
    settings = _who(ANY, remote=True, hosts=("coder.internal", "coder.example:8443")).transport_security()
    assert settings.enable_dns_rebinding_protection is True
    assert {"coder.internal", "coder.internal:*", "coder.example:8443"} <= set(settings.allowed_hosts)
    assert {"https://coder.internal:*", "https://coder.example:8443"} <= set(settings.allowed_origins)


def test_remote_with_only_a_token_relies_on_the_token() -> None:
    who = _who(ANY, remote=True, token=TOKEN)
    assert who.token == TOKEN
    assert who.transport_security().enable_dns_rebinding_protection is False


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"host": ANY}, "--host: 0.0.0.0 is not a loopback address"),
        ({"host": "::"}, "--host: :: is not a loopback address"),
        ({"host": "10.1.2.3", "remote": True}, "--allow-remote: binding 10.1.2.3 also needs"),
        ({"host": "127.0.0.1", "token": "short"}, "must hold at least 16 visible ASCII characters"),
        ({"host": "127.0.0.1", "token": "a token with spaces in it"}, "(no spaces)"),
        ({"host": "127.0.0.1", "hosts": ("evil.example/path",)}, "--allowed-host: must be a host name or address"),
    ],
)
def test_exposure_refusals(kwargs: dict[str, Any], needle: str) -> None:
    host = kwargs.pop("host")
    with pytest.raises(tools._http.HttpOptionError) as caught:
        _who(host, **kwargs)
    assert needle in str(caught.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert tools._http.is_loopback(host)


@pytest.mark.parametrize("host", [ANY, "::", "10.0.0.1", "example.com", "localhost.example.com"])
def test_non_loopback_addresses(host: str) -> None:
    assert not tools._http.is_loopback(host)


# --- the Host/Origin check on a real socket -------------------------------------------------------------------


async def test_a_foreign_host_or_origin_is_refused_on_loopback() -> None:
    with http_server() as url:
        assert (await _initialize(url)).status_code == 200
        assert (await _initialize(url, {"Host": "evil.example"})).status_code == 421  # DNS rebinding
        assert (await _initialize(url, {"Origin": "http://evil.example"})).status_code == 403


# --- the bearer token ------------------------------------------------------------------------------------------


async def test_a_request_without_the_token_gets_401() -> None:
    with http_server(_who("127.0.0.1", token=TOKEN)) as url:
        missing = await _initialize(url)
        wrong = await _initialize(url, {"Authorization": f"Bearer {TOKEN}x"})
        not_bearer = await _initialize(url, {"Authorization": TOKEN})
        right = await _initialize(url, {"Authorization": f"Bearer {TOKEN}"})
    for refused in (missing, wrong, not_bearer):
        assert refused.status_code == 401
        assert refused.headers["WWW-Authenticate"] == "Bearer"
        assert "mcp-session-id" not in refused.headers
    assert right.status_code == 200
    assert right.headers["mcp-session-id"]


# --- sessions ------------------------------------------------------------------------------------------------


def test_sessions_are_bounded_and_expire() -> None:
    # The SDK keeps 10,000 sessions for 30 minutes by default (~35 KB each): any local process could fill memory.
    assert 0 < MAX_SESSIONS <= 100
    assert 0 < SESSION_IDLE_TIMEOUT <= 900
    mcp_server = build_server()
    tools._http.build_app(mcp_server, _who("127.0.0.1"))
    manager = mcp_server.session_manager
    assert manager.max_sessions == MAX_SESSIONS
    assert manager.session_idle_timeout == SESSION_IDLE_TIMEOUT


@pytest.fixture
def small_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tools._http, "MAX_SESSIONS", 2)
    monkeypatch.setattr(tools._http, "SESSION_IDLE_TIMEOUT", 1.0)


async def _initialize_when_admitted(url: str) -> httpx.Response:
    """Asks for a new session until one is granted (asking touches no open session, so it cannot keep one alive)."""
    with anyio.fail_after(60):  # waits for the idle sessions to expire; no duration is asserted
        while (answer := await _initialize(url)).status_code == 503:  # noqa: ASYNC110 - polling another process
            await anyio.sleep(0.2)
    return answer


@pytest.mark.usefixtures("small_bounds")
async def test_a_full_server_refuses_new_sessions_until_idle_ones_expire() -> None:
    with http_server() as url:
        first, second = await _initialize(url), await _initialize(url)
        assert first.status_code == second.status_code == 200
        session = first.headers["mcp-session-id"]
        assert (await _list_tools(url, session)).status_code == 200
        assert (await _initialize(url)).status_code == 503  # full
        assert (await _initialize_when_admitted(url)).status_code == 200  # the idle sessions made room...
        assert (await _list_tools(url, session)).status_code == 404  # ...by being closed


# --- the CLI, as a separate process ------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_cli_serves_with_a_token_from_the_environment() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DAPR_CODER_TEST_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tools.cli",
            "mcp",
            "--http",
            "--port",
            str(port),
            "--auth-token-env",
            "DAPR_CODER_TEST_TOKEN",
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # logged only once the port is bound
        assert f"serving MCP (streamable HTTP) on http://127.0.0.1:{port}/mcp" in line, line
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": HELLO})
        url = f"http://127.0.0.1:{port}/mcp"
        refused = httpx.post(url, content=body, headers=MCP_HEADERS, timeout=60)
        allowed = httpx.post(url, content=body, headers={**MCP_HEADERS, "Authorization": f"Bearer {TOKEN}"}, timeout=60)
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=30)
    assert refused.status_code == 401
    assert allowed.status_code == 200
    assert TOKEN not in out + err
