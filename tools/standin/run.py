"""`dapr-coder run DIR`: every app of a generated project in its own process, each with the sidecar double served
over HTTP on its Dapr port, the doubles sharing one broker, the state stores, a scheduler on the real clock and
invocation by app id (tools/standin/mesh.py). A stand-in for `dapr run -f .`, not the Dapr runtime.

A pump moves the flow along as daprd would: each app's subscriptions are read once it answers its liveness route
(`GET /dapr/subscribe`, as daprd does at start), queued messages are delivered with the runtime's SUCCESS / RETRY /
DROP rules, bounded retries (the resiliency policy's inbound `maxRetries`) and dead-letter topics, jobs fire at
their due time with their failure policy, and cron input bindings post to their routes at their schedule
(tools/standin/input_feed.py). An app with a generated Configuration (resources/kubernetes/<app>-config.yaml) has
its access control applied to the invocations it gets from the other apps (tools/standin/acl.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

import httpx

from tools.standin import acl, input_feed
from tools.standin.flow import FlowLog
from tools.standin.http_app import HttpApp
from tools.standin.input_feed import CronFeed
from tools.standin.mesh import SidecarMesh
from tools.standin.page import FlowPage
from tools.standin.processes import AppProcess, Console, start_app, stop_all
from tools.standin.project import AppPlan, RunError, RunPlan
from tools.standin.scheduler import SchedulerLoopError
from tools.standin.server import serve_double
from tools.standin.state_store import StateStoreOptions

__all__ = ["RunOptions", "Running", "run"]

Interpreter = Literal["uv", "current"]
_T = TypeVar("_T")


@dataclass(frozen=True)
class RunOptions:
    """`interpreter`: `uv` runs each app with `uv run` in its folder (its own pinned environment, what `dapr run -f .`
    runs from dapr.yaml; uv's cache is shared); `current` runs it with this Python (it must have the apps' deps)."""

    interpreter: Interpreter = "uv"
    page: bool = True
    page_port: int = 0
    ready_timeout: float = 180.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _mesh(plan: RunPlan) -> SidecarMesh:
    stores = {}
    scopes: dict[str, list[str]] = {}
    if plan.state_store is not None:
        stores[plan.state_store] = StateStoreOptions(profile=plan.state_profile)
        scopes[plan.state_store] = [a.app_id for a in plan.apps if plan.loads(a, "state")]
    pubsubs: tuple[str, ...] = ()
    if plan.pubsub is not None:
        pubsubs = (plan.pubsub,)
        scopes[plan.pubsub] = [a.app_id for a in plan.apps if plan.loads(a, "pubsub")]
    return SidecarMesh(
        state_stores=stores, pubsubs=pubsubs, max_delivery_attempts=plan.delivery_attempts,
        dead_letter_on_retry_exhausted=True, scopes=scopes,
    )  # fmt: skip


def _command(app: AppPlan, interpreter: Interpreter) -> list[str]:
    serve = ["uvicorn", app.asgi_app, "--host", "127.0.0.1", "--port", str(app.port)]
    return ["uv", "run", *serve] if interpreter == "uv" else [sys.executable, "-m", *serve]


def _env(app: AppPlan, dapr_port: int, interpreter: Interpreter) -> dict[str, str]:
    env = dict(os.environ)
    if interpreter == "uv":
        env.pop("VIRTUAL_ENV", None)  # the app's folder has its own environment; uv would warn about ours
    env |= app.env
    env |= {"APP_ID": app.app_id, "APP_PORT": str(app.port), "DAPR_HTTP_PORT": str(dapr_port), "PYTHONUNBUFFERED": "1"}
    env.pop("DAPR_HTTP_ENDPOINT", None)  # it would win over DAPR_HTTP_PORT
    return env


class Pump:
    """Delivers queued messages to the apps that are up and fires due jobs, logging each step."""

    def __init__(self, mesh: SidecarMesh, flow: FlowLog, console: Console) -> None:
        self.mesh, self.flow, self.console = mesh, flow, console
        self.ready: list[str] = []
        self.cron = CronFeed()

    def up(self, app: AppPlan) -> None:
        """`app` answers: deliveries start, and its cron input bindings tick from now."""
        self.ready.append(app.app_id)
        now = input_feed.local_now()
        for c in app.spec.input_binding_components():
            if c.source.kind == "cron":
                self.cron.add(app.app_id, c.name, c.route, c.source.schedule, now)

    def down(self, app_id: str) -> None:
        if app_id in self.ready:
            self.ready.remove(app_id)
        self.cron.remove_app(app_id)

    async def fire_cron(self) -> int:
        """Each cron input binding whose time has come posts to its route, as bindings.cron does under daprd."""
        fired = 0
        for binding in list(self.cron.due(input_feed.local_now())):
            delivery = await self.mesh[binding.app_id].send_input_binding_event(
                binding.name, b"", input_feed.metadata(dt.datetime.now(dt.UTC)),
                route=binding.route.lstrip("/"), direction="input",
            )  # fmt: skip
            self._print([self.flow.add("input_binding", app=binding.app_id, name=binding.name,
                                       route=binding.route, status=delivery.status)])  # fmt: skip
            fired += 1
        return fired

    def _subscribed(self, app_id: str) -> set[tuple[str, str]]:
        double = self.mesh[app_id]
        return {(s.pubsubname, s.topic) for s in double.subscriptions or [] if s.pubsubname in double.pubsub.pubsubs}

    def backlog(self) -> int:
        """Messages queued for a subscription of an app that is up."""
        return sum(len(self.mesh[a].broker.queues.get(t, ())) for a in self.ready for t in self._subscribed(a))

    async def step(self) -> int:
        self._print(self.flow.sync(self.mesh))
        moved = 0
        for app_id in list(self.ready):
            double = self.mesh[app_id]
            wanted = self._subscribed(app_id)
            for topic, queue in double.broker.queues.items():
                if topic not in wanted:
                    queue.clear()  # an app consumes only what it subscribed to; the rest is not kept for it
            for sub in double.subscriptions or []:
                if sub.pubsubname not in double.pubsub.pubsubs:
                    continue  # daprd ignores subscriptions to a pub/sub the app does not load
                results = await double.deliver(sub.pubsubname, sub.topic)
                self._print(self.flow.sync(self.mesh))
                self._print(self.flow.deliveries(app_id, results))
                moved += len(results)
        try:
            fired = await self.mesh.fire_due_jobs()
        except SchedulerLoopError as exc:
            self.console.standin(f"scheduler: {exc}")
            fired = []
        self._print(self.flow.sync(self.mesh))
        self._print(self.flow.fired(fired))
        return moved + len(fired) + await self.fire_cron()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                moved = await self.step()
            except Exception as exc:  # one bad answer must not stop the flow for every app
                self.console.standin(f"stand-in error (the flow goes on): {type(exc).__name__}: {exc}")
                moved = 0
            if not moved:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.1)

    def _print(self, events: list[dict[str, Any]]) -> None:
        for e in events:
            line = _describe(e)
            if line:
                self.console.standin(line)


def _describe(e: dict[str, Any]) -> str:
    kind = e["kind"]
    if kind == "publish":
        dead = f" (dead letter from {e['dead_lettered_from']})" if e["dead_lettered_from"] else ""
        return f"published {e['type'] or 'event'} {e['id']} on {e['pubsub']}/{e['topic']}{dead}"
    if kind == "delivery":
        return f"{e['topic']} -> {e['app']} {e['route']}: {e['answer']} (HTTP {', '.join(map(str, e['statuses']))})"
    if kind == "job_fired":
        again = " (retry)" if e["retry"] else ""
        return f"job {e['name']} fired on {e['app']}{again}: HTTP {e['status']}"
    if kind == "job_scheduled":
        return f"job {e['name']} scheduled by {e['app']} ({e['due']}): HTTP {e['status']}"
    if kind == "job_deleted":
        return f"job {e['name']} deleted by {e['app']}: HTTP {e['status']}"
    if kind == "input_binding":
        return f"cron binding {e['name']} fired on {e['app']} {e['route']}: HTTP {e['status']}"
    if kind == "invoke":
        return f"{e['app']} invoked {e['target']} {e['method']} {e['path']}: HTTP {e['status']}"
    if kind == "binding":
        keys = ", ".join(f"{k}={v}" for k, v in e["metadata"].items())
        return f"{e['app']} called binding {e['name']} {e['operation']} ({keys}): HTTP {e['status']} {e['data']}"
    return ""


@dataclass
class Running:
    """What a smoke run or a test needs while everything is up."""

    plan: RunPlan
    mesh: SidecarMesh
    flow: FlowLog
    pump: Pump
    dapr_ports: dict[str, int]
    page_url: str | None


async def _wait_ready(app: AppPlan, process: AppProcess, running: Running, console: Console, limit: float) -> bool:
    url = f"http://127.0.0.1:{app.port}{app.liveness}"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    async with httpx.AsyncClient(timeout=2, trust_env=False) as client:
        while loop.time() < deadline:
            if not process.running:
                console.standin(f"{app.app_id} exited with code {process.process.returncode} before answering {url}")
                running.flow.app(app.app_id, status="exited")
                return False
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(url)).status_code < 300:
                    break
            await asyncio.sleep(0.2)
        else:
            console.standin(f"{app.app_id} did not answer {url} within {limit:.0f}s")
            running.flow.app(app.app_id, status="not answering")
            return False
    double = running.mesh[app.app_id]
    subs = await double.load_subscriptions()
    topics = ", ".join(f"{s.pubsubname}/{s.topic}" for s in subs) or "nothing"
    if double.subscription_error:
        console.standin(f"{app.app_id}: GET /dapr/subscribe failed: {double.subscription_error}")
    console.standin(
        f"{app.app_id} is up on http://127.0.0.1:{app.port} (its Dapr stand-in: "
        f"http://127.0.0.1:{running.dapr_ports[app.app_id]}); subscribed to {topics}"
    )
    running.flow.app(app.app_id, status="up", topics=[s.topic for s in subs])
    running.pump.up(app)
    return True


async def _watch_exit(app: AppProcess, running: Running, stop: asyncio.Event, console: Console) -> None:
    """Say so when an app exits while the run goes on (dapr run keeps the others running too)."""
    code = await app.process.wait()
    if stop.is_set():
        return
    console.standin(f"{app.app_id} exited with code {code}; the other apps go on (Ctrl-C stops them)")
    running.flow.app(app.app_id, status="exited")
    running.pump.down(app.app_id)


Then = Callable[[Running], Awaitable[int]]


async def run(plan: RunPlan, options: RunOptions, console: Console, then: Then | None = None) -> int:
    """Start everything, run until SIGINT/SIGTERM (or until `then` returns its exit code), stop everything."""
    busy = [f"{a.port} ({a.app_id})" for a in plan.apps if _port_in_use(a.port)]
    if busy:
        raise RunError(f"app port {', '.join(busy)} is in use on 127.0.0.1: stop what listens there first")
    mesh = _mesh(plan)
    forwarders = []
    for app in plan.apps:
        forwarder = HttpApp(f"http://127.0.0.1:{app.port}")
        forwarders.append(forwarder)
        secrets = {plan.secret_store: plan.secrets} if plan.secret_store and plan.loads(app, "secrets") else {}
        mesh.add(
            app.app_id, forwarder, app_api_token=app.env.get("APP_API_TOKEN") or None,
            api_token=app.env.get("DAPR_API_TOKEN") or None, secret_stores=secrets,
            bindings=tuple(b.name for b in app.spec.output_bindings), lock_stores=(),
            configuration_stores={},
        )  # fmt: skip
        config = acl.config_file(plan.root, app.app_id)
        try:
            mesh[app.app_id].channel.access_control = acl.load(config)
        except acl.AccessControlError as exc:  # daprd would not start with it either
            raise RunError(f"{config}: {exc}") from exc
    flow = FlowLog()
    running = Running(plan, mesh, flow, Pump(mesh, flow, console), {a.app_id: _free_port() for a in plan.apps}, None)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    processes: list[AppProcess] = []
    code = 0
    try:
        async with contextlib.AsyncExitStack() as stack:
            for app in plan.apps:
                await stack.enter_async_context(serve_double(mesh[app.app_id], port=running.dapr_ports[app.app_id]))
                flow.app(app.app_id, status="starting", port=app.port, dapr_port=running.dapr_ports[app.app_id])
            if options.page:
                page = await stack.enter_async_context(serve_double(FlowPage(running), port=options.page_port))
                running.page_url = page.base_url + "/"
            _banner(plan, options, running, console)
            for app in plan.apps:
                command = _command(app, options.interpreter)
                env = _env(app, running.dapr_ports[app.app_id], options.interpreter)
                try:
                    processes.append(await start_app(app.app_id, command, app.folder, env, console))
                except OSError as exc:
                    why = exc.strerror or exc
                    raise RunError(f"cannot start {app.app_id} ({' '.join(command[:2])}): {why}") from exc
            pump = asyncio.create_task(running.pump.run(stop))
            watchers = [asyncio.create_task(_watch_exit(p, running, stop, console)) for p in processes]
            waits = [
                _wait_ready(app, proc, running, console, options.ready_timeout)
                for app, proc in zip(plan.apps, processes, strict=True)
            ]
            ready = await _until(stop, asyncio.gather(*waits))
            if then is not None:
                if ready is not None and all(ready):
                    result = await _until(stop, then(running))
                    code = 1 if result is None else result
                else:
                    console.standin("not every app came up: nothing was driven")
                    code = 1
                stop.set()
            await stop.wait()
            console.standin("stopping every app and stand-in")
            await stop_all(processes)
            await pump
            for watcher in watchers:
                watcher.cancel()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        if processes:
            await stop_all(processes, grace=2)
        for forwarder in forwarders:
            await forwarder.aclose()
    return code


async def _until(stop: asyncio.Event, work: Awaitable[_T]) -> _T | None:
    """`work`'s result, or None when `stop` is set first (the work is then cancelled)."""
    task = asyncio.ensure_future(work)
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        stopper.cancel()
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    return None


def _banner(plan: RunPlan, options: RunOptions, running: Running, console: Console) -> None:
    how = "uv run in each app's folder" if options.interpreter == "uv" else f"this Python ({sys.executable})"
    store = f"state store {plan.state_store} with {plan.state_profile}'s rules" if plan.state_store else "no store"
    console.standin(
        "This is a STAND-IN for Dapr, not the Dapr runtime: each app gets an in-memory double of its sidecar "
        f"(one broker, {store}, a scheduler on the real clock, invocation by app id, cron input bindings at their "
        "schedule). Nothing is kept after Ctrl-C. "
        f"The real thing: `dapr init` once, then `dapr run -f .` in {plan.root}."
    )
    guarded = [a.app_id for a in plan.apps if running.mesh[a.app_id].channel.access_control is not None]
    if guarded:
        console.standin(
            f"access control of {', '.join(guarded)} applied as on Kubernetes with mTLS (resources/kubernetes/"
            "<app>-config.yaml; each caller known by its app id, namespace default, trust domain public): "
            "`dapr run -f .` has no mTLS and loads no such Configuration, so there only the app's own "
            "dapr-caller-app-id check stands"
        )
    kafka = sorted({c.name for a in plan.apps for c in a.spec.input_binding_components() if c.source.kind == "kafka"})
    if kafka:
        console.standin(f"not modelled: Kafka input bindings ({', '.join(kafka)}): nothing feeds their routes")
    console.standin(f"apps started with {how}; Ctrl-C stops everything")
    if running.page_url:
        console.standin(f"live page: {running.page_url}")
