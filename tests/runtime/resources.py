"""Dapr resource files for the runtime tests, and a fresh database or key prefix for each test."""

from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

from tests.runtime.environment import RuntimeEnv


def unique(prefix: str) -> str:
    """A name no other test (or xdist worker) uses: for databases, key prefixes, topics, consumer groups."""
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


def create_database(runtime: RuntimeEnv, name: str) -> None:
    """A new, empty PostgreSQL database (psql from Debian's postgresql-client)."""
    subprocess.run(
        ["psql", "-h", runtime.postgres_host, "-p", str(runtime.postgres_port), "-U", "postgres", "-q",
         "-v", "ON_ERROR_STOP=1", "-c", f'CREATE DATABASE "{name}"'],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def component(name: str, type_: str, metadata: dict[str, str], *, version: str = "v1") -> dict[str, Any]:
    return {
        "apiVersion": "dapr.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": name},
        "spec": {
            "type": type_,
            "version": version,
            "metadata": [{"name": k, "value": v} for k, v in metadata.items()],
        },
    }


def write(folder: Path, documents: dict[str, dict[str, Any]]) -> Path:
    """Write each document as `<file>.yaml` (JSON is YAML) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for file, document in documents.items():
        (folder / f"{file}.yaml").write_text(json.dumps(document, indent=2), encoding="utf-8")
    return folder


STATE_PROFILES = ("redis", "postgresql-v1", "postgresql-v2", "in-memory")


def state_store(runtime: RuntimeEnv, profile: str, name: str, *, key_prefix: str | None = None) -> dict[str, Any]:
    """The state component of a profile (one of STATE_PROFILES). A PostgreSQL profile gets a database of its own;
    Redis the key prefix given (Dapr's default is the app id)."""
    if profile == "redis":
        metadata = {"redisHost": runtime.redis_host, "redisPassword": ""}
        if key_prefix is not None:
            metadata["keyPrefix"] = key_prefix
        return component(name, "state.redis", metadata)
    if profile in ("postgresql-v1", "postgresql-v2"):
        database = unique("dapr")
        create_database(runtime, database)
        return component(
            name, "state.postgresql", {"connectionString": runtime.postgres_url(database)}, version=profile[-2:]
        )
    if profile == "in-memory":
        return component(name, "state.in-memory", {})
    raise ValueError(f"unknown state profile {profile!r}")
