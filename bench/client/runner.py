"""The transport benchmark end to end: render, start the stand-in, open every client, measure, report."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import platform
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TextIO

from bench.client.contender import Contender
from bench.client.generated import TRANSPORTS, GeneratedClient, load, render
from bench.client.measure import Series, Settings, measure
from bench.client.report import as_json, compute_ratios, ratio_lines, table
from bench.client.stand_in import StandIn, free_port, running_stand_in
from bench.client.transport import OfficialSdk, reference_contenders
from bench.cpus import CpuPlan, pinned, plan_cpus
from bench.interference import CLIENT_QUIET, SERVER_QUIET, CpuMeter

_DAPR_VARS = ("DAPR_HTTP_ENDPOINT", "DAPR_RUNTIME_HOST", "DAPR_HTTP_PORT", "DAPR_GRPC_PORT", "DAPR_GRPC_ENDPOINT",
              "DAPR_API_METHOD_INVOCATION_PROTOCOL", "DAPR_API_TOKEN", "DAPR_HEALTH_TIMEOUT")  # fmt: skip


@dataclass(frozen=True)
class Options:
    settings: Settings
    json_path: str | None
    python_stand_in: bool


@contextlib.contextmanager
def dapr_env(stand_in: StandIn) -> Iterator[None]:
    """Point the official SDK and the generated client at the stand-in the way a sidecar deployment does."""
    saved = {name: os.environ.get(name) for name in _DAPR_VARS}
    for name in _DAPR_VARS:
        os.environ.pop(name, None)
    os.environ.update(
        DAPR_RUNTIME_HOST="127.0.0.1",
        DAPR_HTTP_PORT=str(stand_in.port),
        # Nothing listens there; the SDK's gRPC channel is lazy and invoke goes over HTTP, so it is never dialled.
        DAPR_GRPC_PORT=str(free_port()),
        DAPR_API_METHOD_INVOCATION_PROTOCOL="http",
        DAPR_HEALTH_TIMEOUT="10",
    )
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("httpx", "httpx-aiohttp", "aiohttp", "dapr"):
        with contextlib.suppress(PackageNotFoundError):
            out[dist] = version(dist)
    return out


def _generated(directory: Path, say: TextIO) -> list[Contender]:
    out: list[Contender] = []
    for transport in TRANSPORTS:
        try:
            out.append(GeneratedClient(transport, load(transport, render(transport), directory)))
        except Exception as exc:  # the template is work in progress: measure everything else regardless
            print(f"! generated client (transport={transport}) unavailable: {type(exc).__name__}: {exc}", file=say)
    return out


async def _open_all(contenders: Sequence[Contender], base_url: str, say: TextIO) -> list[Contender]:
    opened = []
    for contender in contenders:
        try:
            await contender.open(base_url)
        except Exception as exc:
            print(f"! {contender.label}: could not open: {type(exc).__name__}: {exc}", file=say)
            continue
        opened.append(contender)
    return opened


async def _session(
    contenders: Sequence[Contender], stand_in: StandIn, cpus: CpuPlan, settings: Settings, say: TextIO
) -> list[Series]:
    meter = CpuMeter(cpus, [stand_in.pid]) if CpuMeter.available(cpus) else None
    opened = await _open_all(contenders, stand_in.base_url, say)
    try:
        return await measure(opened, settings, meter, lambda msg: print(f"  ... {msg}", file=say, flush=True))
    finally:
        for contender in opened:
            with contextlib.suppress(Exception):  # closing must not hide the numbers or the original error
                await contender.close()


def run_transport(options: Options, say: TextIO = sys.stdout) -> int:
    cpus = plan_cpus()
    with pinned(cpus):  # first: threads started later (grpc's) inherit the mask
        return _run_pinned(options, cpus, say)


def _context_notes() -> list[str]:
    """Facts about this environment that move the numbers, printed with them."""
    if importlib.util.find_spec("aiohttp") is not None:
        notes = ["transport=auto resolves to an aiohttp session here (aiohttp installed)"]
    else:
        notes = ["transport=auto resolves to plain httpx here (aiohttp not installed)"]
    if importlib.util.find_spec("sniffio") is None:
        # httpcore (httpx's pool) tries `import sniffio` on every request and the failed import searches sys.path.
        notes.append(
            "sniffio is not installed: every httpx-pool request pays a failed import (httpx-pool rows ~20% slower)"
        )
    return notes


def _run_pinned(options: Options, cpus: CpuPlan, say: TextIO) -> int:
    settings = options.settings
    print("Transport benchmark: requests/s, median of rounds (± half the spread between rounds)", file=say)
    contenders: list[Contender] = list(reference_contenders())
    missing_sdk = OfficialSdk.available()
    if missing_sdk is not None:
        print(f"! {missing_sdk}", file=say)
        contenders = [c for c in contenders if not isinstance(c, OfficialSdk)]
    with tempfile.TemporaryDirectory(prefix="dapr-bench-gen-") as gen_dir:
        contenders += _generated(Path(gen_dir), say)
        with running_stand_in(cpus, force_python=options.python_stand_in) as stand_in, dapr_env(stand_in):
            print(f"server: {stand_in.note}; {cpus.describe()}", file=say)
            if stand_in.kind != "nginx":
                print("! WARNING: ratios below are less meaningful (Python stand-in, not nginx)", file=say)
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
            print(*_context_notes(), f"load average before start: {load:.2f}", sep="\n", file=say)
            print(
                f"settings: {settings.window:g} s window, {settings.warmup:g} s warm-up, {settings.rounds} round(s), "
                f"concurrency 1 and 64 (tasks sharing one client), one event loop",
                file=say,
                flush=True,
            )
            series = asyncio.run(_session(contenders, stand_in, cpus, settings, say))
    labels = {c.key: c.label for c in contenders}
    meta: dict[str, object] = {
        "stand_in": {"kind": stand_in.kind, "note": stand_in.note},
        "cpus": asdict(cpus),
        "settings": asdict(settings),
        "versions": _versions(),
        "notes": _context_notes(),
    }
    _report(series, labels, meta, options.json_path, say)
    return 0


def _report(
    series: list[Series], labels: dict[str, str], meta: dict[str, object], json_path: str | None, say: TextIO
) -> None:
    ratios = compute_ratios(series)
    print("", *table(series, labels), sep="\n", file=say)
    disturbed = sum(s.disturbed for s in series)
    if disturbed:
        total = sum(len(s.rates) for s in series)
        print(
            f"! {disturbed} of {total} samples ran while other processes used > {CLIENT_QUIET:g} of the client's "
            f"core or > {SERVER_QUIET:g} of the server's, even after retries (cells marked *): those numbers are "
            "low and noisy; rerun on a quieter machine",
            file=say,
        )
    print("", "Ratios (medians, same run):", *ratio_lines(ratios), sep="\n", file=say)
    if json_path is None:
        return
    document = json.dumps(as_json(series, ratios, labels, meta), indent=2)
    if json_path == "-":
        print(document)
    else:
        Path(json_path).write_text(document + "\n")
        print(f"raw numbers written to {json_path}", file=say)
