"""Prompts for the common flows, worded from the registry as it is when the server is built.

A step that a generator covers names that generator's tool; while the generator does not exist yet, the step says
so and gives the rules to follow by hand (from the pitfall list, §16 of references/dapr-contract.md). So the prompts
name only tools the server has, and pick up new generators with no edit here beyond the step that mentions them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from mcp.server.mcpserver.prompts.base import Message, Prompt
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, InputRequiredResult
from pydantic import Field

from skill import REGISTRY, Generator
from tools._mcp_tools import LIST_TOOL, SHOW_TOOL
from tools._present import problem_lines

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

__all__ = ["build_prompts"]


@dataclass(frozen=True)
class _Step:
    generator: str | None  # the generator that does this step, once the registry has it
    with_tool: str  # what to do with that tool; {tool} is its name
    by_hand: str  # what to do until then (also the whole step when `generator` is None)


def _render(intro: str, steps: list[_Step], registry: Mapping[str, Generator]) -> str:
    lines = [intro, "", "Work in this order:"]
    number = 0
    for step in steps:
        if step.generator is not None and step.generator in registry:
            text = step.with_tool.format(tool=registry[step.generator].tool_name)
        elif step.generator is not None and not step.by_hand:  # only worth doing with that generator
            continue
        elif step.generator is not None:
            text = f"(No `{step.generator}` generator on this server yet: it is planned.) {step.by_hand}"
        else:
            text = step.by_hand
        number += 1
        lines.append(f"{number}. {text}")
    tools = ", ".join(f"`{g.tool_name}`" for g in registry.values())
    lines += [
        "",
        f"Generators on this server: {tools}. Each one's options are outlined in `dapr-specs://<generator>`. "
        "Pass `output_dir` (a folder of the project) so the server writes the files and answers with their paths "
        "and an API outline: read the outline, not the files. Regenerate with other arguments rather than editing "
        "generated code; add the returned requirements to the project and read the notes.",
    ]
    return "\n".join(lines) + "\n"


_BROWSE = _Step(
    None,
    "",
    f"Call `{LIST_TOOL}` to see what this server renders, and `{SHOW_TOOL}` on any snippet you want to read "
    "(template and default rendering) before choosing arguments.",
)
_CLIENT = _Step(
    "client",
    'Call `{tool}` with the building blocks the service uses (`blocks`, e.g. ["pubsub", "state"]) and '
    "`dapr_version` if the oldest runtime is known. It returns one checked module: the service's only way to "
    "reach the sidecar.",
    "Use one pooled async httpx client per process against DAPR_HTTP_ENDPOINT (or DAPR_RUNTIME_HOST and "
    "DAPR_HTTP_PORT), sending `dapr-api-token` from DAPR_API_TOKEN, with explicit timeouts.",
)
_MODELS = _Step(
    "models",
    "Call `{tool}` for the event payload models.",
    'Write the event payloads as Pydantic v2 models and send them with `model_dump(mode="json")` (httpx\'s '
    "`json=` cannot serialize datetimes), with `Content-Type: application/json`.",
)
_LIFESPAN = _Step(
    "service",
    "Call `{tool}` for the service skeleton and fold the pieces above into it.",
    "In the FastAPI app, open the client once in the lifespan (not per request, no `on_event`), await "
    "`wait_for_sidecar()` (it polls `/v1.0/healthz/outbound`; `/v1.0/healthz` waits for the app itself and "
    "deadlocks) and close the client on shutdown.",
)
_SUBSCRIPTION_RULES = (
    "Serve `GET /dapr/subscribe` returning entries with the exact keys `pubsubname`, `topic`, `route` (or "
    "`routes`), optional `deadLetterTopic` and string-only `metadata`. In the handler read the payload from the "
    "CloudEvent's `data`, validate it inside the handler (a FastAPI 422 is retried for ever) and answer "
    '`{"status": "SUCCESS"}`, `{"status": "RETRY"}` for a transient failure or `{"status": "DROP"}` for a '
    "payload that can never succeed (upper case). When APP_API_TOKEN is set, compare the `dapr-api-token` "
    "header with `hmac.compare_digest`."
)
_SCHEDULE_RULES = (
    "The schedule body has no `name` (it is in the URL); give `schedule` (a 6-field cron with seconds first, or "
    "`@every 1h`) or `dueTime`; always send `data` (e.g. `{}`: without it Dapr before 1.18.3 never delivers the "
    "job over HTTP); on Dapr 1.16+ `overwrite: true` is needed to replace an existing job (409 otherwise)."
)
_CALLBACK_RULES = (
    "Serve the callback at `POST /job/{name}` (singular `job`): the body is exactly the job's `data` JSON; answer "
    "2xx, or 404 to stop retries (anything else is retried). When APP_API_TOKEN is set, compare the "
    "`dapr-api-token` header with `hmac.compare_digest`."
)
_VERIFY = _Step(
    None,
    "",
    "Run `ruff check`, `mypy --strict` and the tests. Without an MCP client the same generators run as "
    "`dapr-coder generate NAME -o DIR --verify`.",
)


_ONE_SERVICE_CALL = _Step(
    "service",
    "Call `{tool}` once, with `output_dir` and `verify: true`, giving `app_id`, `port`, `models` (a field list, "
    "or your JSON Schema as `json_schema`), `subscriptions` for the topics it reads, `publishes` for those it "
    "writes, and `jobs`, `bindings`, `invocations`, `calls` as needed; `crud: []` unless it keeps CRUD "
    "resources, `pubsub`/`state` to name its components (null: none), `output_bindings` for what it sends out. "
    "Each option, its default and its fields are outlined in the resource dapr-specs://service. That one call "
    "writes the app (client, models, routes, settings, health), its tests over an in-memory Dapr, pyproject.toml "
    "and the Dapr resources, and runs its checks; a refusal names each field to fix: fix them all and call once "
    "more.",
    "",
)
_REGENERATE_SERVICE = _Step(
    "service",
    "If `{tool}` made the service: call it once more with its arguments plus this one (in `subscriptions` or "
    "`jobs`), the same `output_dir` and `verify: true`: your `handlers.py` is kept and the answer's notes name "
    "the handler to add there; write it and stop here. Otherwise:",
    "",
)
_HANDLERS = _Step(
    None,
    "",
    "Write the business logic in the package's `handlers.py` only (yours: regeneration never rewrites it). The "
    "answer's outline gives the signatures of the client methods and of the test fake (`tests/fake_dapr.py`) "
    "your handlers use; test them in new files under `tests/` (`tests/test_app.py` checks the routes' contract "
    "with Dapr, whatever the handlers do, and is regenerated).",
)
_VERIFY_SERVICE = _Step(
    None,
    "",
    "Call the tool again with the same arguments and `verify: true` (or run `uv run pytest`, `uv run mypy` and "
    "`uv run ruff check` in the folder) until the checks pass.",
)


def new_event_driven_service(
    service_name: Annotated[str, Field(description="Its Dapr app id.")],
    publishes: Annotated[str, Field(description="Topics it publishes, comma-separated.")] = "",
    subscribes: Annotated[str, Field(description="Topics it reads, comma-separated.")] = "",
) -> str:
    """A new event-driven Dapr service (FastAPI, httpx, Pydantic v2) in one generator call."""
    intro = (
        f"Create a new event-driven Dapr service with app id {service_name!r} in async Python (FastAPI, httpx, "
        f"Pydantic v2). It publishes to: {publishes or 'nothing yet'}; it subscribes to: {subscribes or 'nothing yet'}."
    )
    if "service" in REGISTRY:  # one call does it all: recommending the parts would cost five calls
        return _render(intro, [_ONE_SERVICE_CALL, _HANDLERS, _VERIFY_SERVICE], REGISTRY)
    subscription = _Step("endpoint", "Call `{tool}` for the subscriptions and `/dapr/subscribe`.", _SUBSCRIPTION_RULES)
    return _render(intro, [_BROWSE, _CLIENT, _MODELS, subscription, _LIFESPAN, _VERIFY], REGISTRY)


def add_pubsub_subscription(
    topic: Annotated[str, Field(description="Topic to read.")],
    pubsub: Annotated[str, Field(description="Pub/sub component; empty: the project's own.")] = "",
    dead_letter_topic: Annotated[str, Field(description="Topic for dropped messages; empty: none.")] = "",
) -> str:
    """Add a pub/sub subscription (its route and /dapr/subscribe entry) to a service."""
    dead = f", dead-letter topic {dead_letter_topic!r}" if dead_letter_topic else ""
    component = (
        f"the pub/sub component {pubsub!r}"
        if pubsub
        else "the project's pub/sub component (find its name in the project's Dapr components, or ask the user)"
    )
    intro = f"Add a subscription to topic {topic!r} on {component}{dead} to a FastAPI service."
    steps = [
        _REGENERATE_SERVICE,
        _BROWSE,
        _MODELS,
        _Step("endpoint", "Call `{tool}` with the subscription.", _SUBSCRIPTION_RULES),
        _CLIENT,
        _VERIFY,
    ]
    return _render(intro, steps, REGISTRY)


def add_scheduled_job(
    job_name: Annotated[str, Field(description="Dapr job name.")],
    schedule: Annotated[str, Field(description="'@every 1h', a 6-field cron, or empty: ask the user.")] = "",
) -> str:
    """Add a Dapr Jobs API job and its POST /job/{name} callback to a service."""
    # No made-up default: a job scheduled hourly that the user wanted daily is a bug nobody asked for.
    when = f"schedule {schedule!r}" if schedule else "schedule not given: ask the user when it must fire"
    intro = f"Add the Dapr job {job_name!r} ({when}) to a FastAPI service, with its callback."
    steps = [
        _REGENERATE_SERVICE,
        _BROWSE,
        _Step(
            "client",
            'Call `{tool}` with `jobs` among the `blocks` (and `dapr_version` "1.18" when every runtime is 1.18 '
            "or newer: stable Jobs routes), then schedule with its `schedule_job`. "
            + _SCHEDULE_RULES.replace("{", "{{").replace("}", "}}"),
            "Schedule with `POST /v1.0-alpha1/jobs/{name}` (`/v1.0/jobs/{name}` from Dapr 1.18). " + _SCHEDULE_RULES,
        ),
        _Step("endpoint", "Call `{tool}` for the `POST /job/{{name}}` callback.", _CALLBACK_RULES),
        _VERIFY,
    ]
    return _render(intro, steps, REGISTRY)


_FLOWS: tuple[tuple[Callable[..., str], str], ...] = (
    (new_event_driven_service, "New event-driven Dapr service"),
    (add_pubsub_subscription, "Add a pub/sub subscription"),
    (add_scheduled_job, "Add a scheduled job"),
)


def _shown(name: str) -> str:
    """An argument name as the caller gave it, quoted unless it is a plain identifier (it may hold anything)."""
    return name if name.isidentifier() and len(name) <= 80 else repr(name[:80])


class _CheckedPrompt(Prompt):
    """A prompt that answers a missing or unknown argument with a message naming it (the SDK says only
    "Internal server error" for both)."""

    async def render(
        self, arguments: dict[str, Any] | None, context: Context[Any, Any]
    ) -> list[Message] | InputRequiredResult:
        given = set(arguments or {})
        declared = {a.name: a for a in self.arguments or []}
        problems = [
            f"{name}: is required ({declared[name].description})"
            for name in declared
            if declared[name].required and name not in given
        ]
        unknown = sorted(given - set(declared))
        problems += [f"{_shown(name)}: is not an argument of prompt {self.name}" for name in unknown]
        if problems:
            valid = f"\nvalid arguments of {self.name}: {', '.join(declared)}" if unknown else ""
            message = f"invalid arguments of prompt {self.name}:\n{problem_lines(problems)}{valid}"
            raise MCPError(code=INVALID_PARAMS, message=message)
        return await super().render(arguments, context)


def build_prompts() -> list[Prompt]:
    return [_CheckedPrompt.from_function(fn, title=title) for fn, title in _FLOWS]
