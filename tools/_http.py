"""`dapr-coder mcp --http`: who may reach the streamable HTTP server, and how much memory they can hold.

- Loopback only by default. A non-loopback bind is refused unless the user opts in (`--allow-remote`) and says who
  may call: allowed Host names (`--allowed-host`, checked against the Host and Origin headers) and/or a bearer token
  (`--auth-token-env NAME`: read from the environment, never from argv, where `ps` would show it).
- On a loopback bind the Host and Origin headers must name a loopback address (or an allowed host): a web page
  cannot reach the server through DNS rebinding.
- With a token, a request without `Authorization: Bearer <token>` gets 401 (compared in constant time).
- Sessions are bounded (MAX_SESSIONS open at once, then 503) and one idle for SESSION_IDLE_TIMEOUT seconds is
  closed, so an abandoned or hostile client cannot fill memory (the SDK keeps 10,000 for 30 minutes by default).
- The port is bound before the server says it is serving, so a port in use is a clear error, not a late crash.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "MAX_SESSIONS",
    "MIN_TOKEN_LENGTH",
    "SESSION_IDLE_TIMEOUT",
    "Exposure",
    "HttpOptionError",
    "build_app",
    "exposure",
    "is_loopback",
    "listen",
    "run_http",
]

MAX_SESSIONS = 64  # ~35 KB each: a few MB at most, and far more than one person's IDE and agents open
SESSION_IDLE_TIMEOUT = 600.0  # seconds; a client whose session expired gets 404 and, per the MCP spec, starts anew
MIN_TOKEN_LENGTH = 16
_LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]")
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::(?:[0-9]{1,5}|\*))?")
_TOKEN = re.compile(r"[\x21-\x7e]+")  # visible ASCII: it travels in an HTTP header


class HttpOptionError(ValueError):
    """The HTTP options are wrong: they would expose the server in a way the user did not ask for, or its address
    cannot be bound. The message names the option and the rule."""


@dataclass(frozen=True)
class Exposure:
    """Who may call the HTTP server: the Host names it answers to (None: any) and the bearer token, if any."""

    host: str
    allowed_hosts: tuple[str, ...] | None
    token: str | None

    def transport_security(self) -> TransportSecuritySettings:
        """The SDK's Host/Origin check (its defence against DNS rebinding) for this exposure."""
        if self.allowed_hosts is None:
            # Remote with a token and no host list: the token is what keeps callers out (a rebinding page cannot
            # know it), and the Host names remote clients use are not known here.
            return TransportSecuritySettings(enable_dns_rebinding_protection=False)
        hosts: list[str] = []
        for name in self.allowed_hosts:
            hosts += [name] if _has_port(name) else [name, f"{name}:*"]
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=hosts,
            allowed_origins=[f"{scheme}://{h}" for h in hosts for scheme in ("http", "https")],
        )


def _has_port(name: str) -> bool:
    return name.rsplit("]", 1)[-1].count(":") == 1


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server on this machine. A name other than `localhost` counts as remote:
    what it resolves to can change."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def exposure(
    host: str, *, allow_remote: bool, allowed_hosts: Sequence[str], token: str | None, token_env: str | None
) -> Exposure:
    """Check the HTTP options; raises HttpOptionError naming the option and the rule."""
    for name in allowed_hosts:
        if not _HOST.fullmatch(name):
            raise HttpOptionError(
                f"--allowed-host: must be a host name or address, optionally with :PORT or :* (got {name[:80]!r})"
            )
    if token is not None and (len(token) < MIN_TOKEN_LENGTH or not _TOKEN.fullmatch(token)):
        raise HttpOptionError(
            f"--auth-token-env: ${token_env} must hold at least {MIN_TOKEN_LENGTH} visible ASCII characters "
            "(no spaces); for example: export "
            f"{token_env}=\"$(python -c 'import secrets; print(secrets.token_urlsafe(32))')\""
        )
    if is_loopback(host):
        loopback = {*_LOOPBACK_HOSTS, _url_host(host)}
        return Exposure(host, (*sorted(loopback), *allowed_hosts), token)
    if not allow_remote:
        raise HttpOptionError(
            f"--host: {host} is not a loopback address; serving the tools beyond this machine needs --allow-remote "
            "and --allowed-host NAME (the Host names clients use) and/or --auth-token-env VAR (a bearer token)"
        )
    if not allowed_hosts and token is None:
        raise HttpOptionError(
            f"--allow-remote: binding {host} also needs --allowed-host NAME (repeatable) and/or --auth-token-env VAR, "
            "so that not every process that can reach the port can call the tools"
        )
    if not allowed_hosts:
        return Exposure(host, None, token)
    # The loopback names too: on a wildcard bind the machine's own clients keep working.
    return Exposure(host, (*_LOOPBACK_HOSTS, *allowed_hosts), token)


class BearerAuth:
    """Answers 401 to any HTTP request without `Authorization: Bearer <token>`."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self._app = app
        # Digests compared in constant time: neither the token's bytes nor its length leak through timing.
        self._expected = hashlib.sha256(f"Bearer {token}".encode("ascii")).digest()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            given = b"".join(v for k, v in scope["headers"] if k.lower() == b"authorization")
            if not hmac.compare_digest(hashlib.sha256(given).digest(), self._expected):
                response = PlainTextResponse(
                    "missing or wrong bearer token (Authorization: Bearer <token>)\n",
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
                await response(scope, receive, send)
                return
        await self._app(scope, receive, send)


def build_app(server: MCPServer[Any], who: Exposure) -> ASGIApp:
    """The streamable HTTP app at /mcp with the Host/Origin check, the session bounds and, if set, the token."""
    app: ASGIApp = server.streamable_http_app(
        session_idle_timeout=SESSION_IDLE_TIMEOUT,
        max_sessions=MAX_SESSIONS,
        transport_security=who.transport_security(),
        host=who.host,
    )
    return BearerAuth(app, who.token) if who.token is not None else app


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on HOST:PORT; HttpOptionError if the address is in use or cannot be bound."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise HttpOptionError(f"--host: cannot listen on {host[:80]}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: TIME_WAIT is no obstacle
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise HttpOptionError(f"--port: cannot listen on {host[:80]}:{port}: {exc.strerror or exc}") from None
    return sock


def run_http(app: ASGIApp, sock: socket.socket) -> None:
    """Serve `app` on the bound socket until stopped."""
    import uvicorn  # only the HTTP transport needs it

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", server_header=False)
    uvicorn.Server(config).run(sockets=[sock])
