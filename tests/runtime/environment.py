"""Where the real Dapr runtime and its servers are, as tests/runtime/setup.sh left them (its runtime.env).

The runtime tests need daprd, the scheduler, sentry and the Dapr CLI built from Go modules, and Redis, PostgreSQL and
(for the Kafka profile) a Kafka broker on loopback. `unavailable()` says in one sentence what is missing; the
tests skip with it, unless DAPR_CODER_REQUIRE_RUNTIME=1 (CI sets it) turns it into a failure.

DAPR_CODER_DAPR_VERSION=oldest runs them on the oldest release the README supports instead (Dapr 1.15, built by
`DAPR_CODER_OLDEST=1 tests/runtime/setup.sh` into runtime-oldest.env); unset or `latest`, on the newest (1.18).
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

REQUIRE_ENV = "DAPR_CODER_REQUIRE_RUNTIME"
VERSION_ENV = "DAPR_CODER_DAPR_VERSION"
SETUP = "tests/runtime/setup.sh"
SETUP_OLDEST = "DAPR_CODER_OLDEST=1 tests/runtime/setup.sh"


def cache_dir() -> Path:
    """setup.sh's cache folder (DAPR_CODER_CACHE, else the user cache dir)."""
    if explicit := os.environ.get("DAPR_CODER_CACHE"):
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "async-dapr-coder"


@dataclass(frozen=True)
class RuntimeEnv:
    """The built binaries and the servers' addresses."""

    dapr_version: str
    bin_dir: Path
    redis_host: str  # host:port
    postgres_host: str
    postgres_port: int
    kafka_brokers: str  # host:port, or "" when Kafka was not set up
    # The broker's relayed listener (host:port) and the address it advertises for it, where a test's relay
    # listens (tests/runtime/setup.sh); "" when Kafka was not set up or predates it.
    kafka_relayed: str = ""
    kafka_relay: str = ""

    @property
    def release(self) -> tuple[int, int]:
        """(major, minor) of the Dapr runtime: what the release-dependent tests branch on."""
        major, minor, *_ = self.dapr_version.split(".")
        return int(major), int(minor)

    @property
    def daprd(self) -> Path:
        return self.bin_dir / "daprd"

    @property
    def scheduler(self) -> Path:
        return self.bin_dir / "scheduler"

    @property
    def sentry(self) -> Path:
        """The certificate authority of Dapr's mTLS (the access-control test runs the sidecars under it)."""
        return self.bin_dir / "sentry"

    @property
    def cli(self) -> Path:
        return self.bin_dir / "dapr"

    def postgres_url(self, database: str) -> str:
        return f"host={self.postgres_host} port={self.postgres_port} user=postgres dbname={database} sslmode=disable"


def _parse(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


def _answers(host_port: str) -> bool:
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


def oldest() -> bool:
    """DAPR_CODER_DAPR_VERSION=oldest: the runtime tests run on the oldest supported release."""
    chosen = os.environ.get(VERSION_ENV, "").strip().lower()
    if chosen not in ("", "latest", "oldest"):
        raise ValueError(f"{VERSION_ENV} must be 'oldest' or 'latest' (or unset), not {chosen!r}")
    return chosen == "oldest"


@functools.cache
def load() -> RuntimeEnv | str:
    """The runtime, or why it cannot be used (one sentence)."""
    setup = SETUP_OLDEST if oldest() else SETUP
    env_file = cache_dir() / ("runtime-oldest.env" if oldest() else "runtime.env")
    if not env_file.is_file():
        why = "Go is not installed" if shutil.which("go") is None else f"{env_file} does not exist"
        return f"the real Dapr runtime is not set up ({why}): run {setup}"
    values = _parse(env_file.read_text(encoding="utf-8"))
    relayed, _, relay = values.get("KAFKA_RELAY", "").partition(" ")
    try:
        runtime = RuntimeEnv(
            dapr_version=values["DAPR_VERSION"],
            bin_dir=Path(values["DAPR_RUNTIME_BIN"]),
            redis_host=values["REDIS_HOST"],
            postgres_host=values["POSTGRES_HOST"],
            postgres_port=int(values["POSTGRES_PORT"]),
            kafka_brokers=values.get("KAFKA_BROKERS", ""),
            kafka_relayed=relayed,
            kafka_relay=relay,
        )
    except (KeyError, ValueError) as exc:
        return f"{env_file} is incomplete ({exc}): run {setup} again"
    for binary in (runtime.daprd, runtime.scheduler, runtime.sentry, runtime.cli):
        if not os.access(binary, os.X_OK):
            return f"{binary} is missing: run {setup} again"
    servers = {"Redis": runtime.redis_host, "PostgreSQL": f"{runtime.postgres_host}:{runtime.postgres_port}"}
    for name, address in servers.items():
        if not _answers(address):
            return f"{name} does not answer on {address}: run {SETUP} to start it"
    return runtime


def kafka_unavailable(runtime: RuntimeEnv) -> str | None:
    """Why the Kafka profile cannot run, or None."""
    if not runtime.kafka_brokers:
        return f"Kafka was not set up (DAPR_CODER_NO_KAFKA): run {SETUP} without it"
    if not _answers(runtime.kafka_brokers):
        return f"Kafka does not answer on {runtime.kafka_brokers}: run {SETUP} to start it"
    return None


def required() -> bool:
    """CI: a missing runtime fails the runtime tests instead of skipping them."""
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")
