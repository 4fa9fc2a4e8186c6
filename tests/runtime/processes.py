"""Starting and stopping the runtime's processes for one test: free ports, the scheduler, Sentry, a lone daprd.

Every process started here runs in its own process group and is ended by its handle, never by name.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.runtime.environment import RuntimeEnv

# Below Linux's ephemeral range (net.ipv4.ip_local_port_range, 32768-60999 by default): a port the OS hands out
# is also what an outgoing connection may take, so an app restarted on its old port found it in use.
_PORTS = range(20000, 32768)
# A port is handed out once per process: a run asks for twenty at once before any is bound, and a free port chosen
# twice would be given to two listeners.
_HANDED_OUT: set[int] = set()


def free_port() -> int:
    """A loopback port nobody listens on now, chosen at random outside the ephemeral range (parallel workers
    rarely meet, and no outgoing connection takes it while an app restarts), never the same one twice."""
    for _ in range(200):
        port = random.choice(_PORTS)
        if port in _HANDED_OUT:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            _HANDED_OUT.add(port)
            return port
    raise RuntimeError(f"no free loopback port in {_PORTS.start}-{_PORTS.stop - 1}")


@dataclass
class Process:
    """A started process, its log file and how to end it."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the process group (the CLI's children too), SIGKILL after `timeout`."""
        if not self.alive():
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(5)


def start(
    name: str, argv: Sequence[str | Path], log: Path, *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Process:
    """Start `argv` in a new session (its own process group), output to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        popen = subprocess.Popen(
            [str(a) for a in argv],
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    return Process(name, popen, log)


def wait_http(url: str, process: Process, timeout: float, ok: Sequence[int] = (200, 204)) -> None:
    """Poll `url` until it answers one of `ok`; fail with the process's log when it dies or time runs out."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if not process.alive():
            raise RuntimeError(f"{process.name} exited ({process.popen.returncode}):\n{process.tail()}")
        try:
            answer = httpx.get(url, timeout=2)
            if answer.status_code in ok:
                return
            last = f"{answer.status_code} {answer.text[:200]}"
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.25)
    raise RuntimeError(f"{process.name} not ready at {url} after {timeout} s ({last}):\n{process.tail()}")


@dataclass
class Scheduler:
    """A scheduler with its own embedded etcd in a temp folder."""

    process: Process
    port: int

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextlib.contextmanager
def scheduler(runtime: RuntimeEnv, workdir: Path) -> Iterator[Scheduler]:
    """The Jobs API's back end, as `dapr init` would run it, on free ports."""
    port, healthz, metrics, etcd_client, etcd_peer = (free_port() for _ in range(5))
    argv: list[str | Path] = [
        runtime.scheduler,
        "--port", str(port),
        "--healthz-port", str(healthz),
        "--metrics-port", str(metrics),
        "--listen-address", "127.0.0.1",
        "--etcd-data-dir", workdir / "etcd",
        "--healthz-listen-address", "127.0.0.1",
        "--etcd-client-port", str(etcd_client),
        "--etcd-initial-cluster", f"dapr-scheduler-server-0=http://127.0.0.1:{etcd_peer}",
        "--identity-directory-write", workdir / "identity",
    ]  # fmt: skip
    if runtime.release >= (1, 16):
        # A flag from 1.16 (dapr/dapr cmd/scheduler/options): 1.15's scheduler refuses it, and its embedded etcd
        # always serves clients on 127.0.0.1 (pkg/scheduler/server/internal/etcd/config.go).
        argv += ["--etcd-client-listen-address", "127.0.0.1"]
    process = start("scheduler", argv, workdir / "scheduler.log", cwd=workdir)
    try:
        wait_http(f"http://127.0.0.1:{healthz}/healthz", process, timeout=60)
        yield Scheduler(process, port)
    finally:
        process.stop()


@dataclass
class Sentry:
    """Dapr's certificate authority: it signs each sidecar's SPIFFE certificate when mTLS is on."""

    process: Process
    port: int
    trust_anchors: str  # the root certificate (PEM) it generated: what a sidecar trusts (DAPR_TRUST_ANCHORS)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"


@contextlib.contextmanager
def sentry(runtime: RuntimeEnv, workdir: Path) -> Iterator[Sentry]:
    """Sentry in self-hosted mode, as `dapr init` runs it for mTLS: with an empty issuer-credentials folder it makes
    its own root and issuer (ca.crt, issuer.crt, issuer.key there), and signs any sidecar's request (the insecure
    validator of self-hosted mode); its trust domain is daprd's default control-plane trust domain, localhost."""
    port, healthz, metrics = (free_port() for _ in range(3))
    credentials = workdir / "sentry-credentials"
    credentials.mkdir(parents=True, exist_ok=True)
    config = workdir / "sentry-config.yaml"  # Sentry exits without one; this one only turns mTLS on
    config.write_text(
        "apiVersion: dapr.io/v1alpha1\nkind: Configuration\nmetadata:\n  name: daprsystem\n"
        "spec:\n  mtls:\n    enabled: true\n",
        encoding="utf-8",
    )
    argv: list[str | Path] = [
        runtime.sentry,
        "--mode", "standalone",
        "--issuer-credentials", credentials,
        "--trust-domain", "localhost",
        "--port", str(port),
        "--listen-address", "127.0.0.1",
        "--healthz-port", str(healthz),
        "--healthz-listen-address", "127.0.0.1",
        "--metrics-port", str(metrics),
        "--config", config,
    ]  # fmt: skip
    process = start("sentry", argv, workdir / "sentry.log", cwd=workdir)
    try:
        wait_http(f"http://127.0.0.1:{healthz}/healthz", process, timeout=60)
        yield Sentry(process, port, (credentials / "ca.crt").read_text(encoding="utf-8"))
    finally:
        process.stop()


@dataclass
class Daprd:
    """A lone sidecar (no app, or an app the test runs itself)."""

    process: Process
    http_port: int
    grpc_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"


@contextlib.contextmanager
def daprd(
    runtime: RuntimeEnv,
    workdir: Path,
    app_id: str,
    resources: Path,
    *,
    app_port: int | None = None,
    scheduler_address: str | None = None,
    config: Path | None = None,
    mtls: Sentry | None = None,
) -> Iterator[Daprd]:
    """daprd in self-hosted mode with the resources of `resources`, ready when its outbound health answers."""
    http_port, grpc_port, internal, metrics = (free_port() for _ in range(4))
    argv: list[str | Path] = [
        runtime.daprd,
        "--app-id", app_id,
        "--mode", "standalone",
        "--resources-path", resources,
        "--dapr-http-port", str(http_port),
        "--dapr-grpc-port", str(grpc_port),
        "--dapr-internal-grpc-port", str(internal),
        "--metrics-port", str(metrics),
        "--dapr-listen-addresses", "127.0.0.1",
        "--placement-host-address", "",
        "--scheduler-host-address", scheduler_address or "",
        "--log-level", "info",
    ]  # fmt: skip
    if app_port is not None:
        argv += ["--app-port", str(app_port), "--app-channel-address", "127.0.0.1"]
    if config is not None:
        argv += ["--config", config]
    env: dict[str, str] = {}
    if mtls is not None:  # the sidecar gets its certificate from Sentry and trusts its root (pkg/security)
        argv += ["--enable-mtls", "--sentry-address", mtls.address]
        env["DAPR_TRUST_ANCHORS"] = mtls.trust_anchors
    process = start(f"daprd {app_id}", argv, workdir / f"daprd-{app_id}.log", cwd=workdir, env=env)
    try:
        wait_http(f"http://127.0.0.1:{http_port}/v1.0/healthz/outbound", process, timeout=60)
        yield Daprd(process, http_port, grpc_port)
    finally:
        process.stop()
