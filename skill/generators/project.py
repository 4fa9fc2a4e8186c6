"""A multi-service Dapr project: each service's folder (the service generator's plan, placed in a subfolder), the
Dapr resources, one dapr.yaml and the Kubernetes manifests for all of them (the components generator's plan for
every app at once), and a README that says how to run and test the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from skill.generator import Generator
from skill.generators import components, service, todo
from skill.plan import EmptyContext, FilePlan, Plan
from skill.specs.project import TODO_SYSTEM, ProjectSpec
from skill.specs.service import ServiceSpec

__all__ = ["GENERATOR", "PRESETS", "plan"]

# Named project specs, for `dapr-coder new <preset> DIR`.
PRESETS = {"todo-system": TODO_SYSTEM}


@dataclass(frozen=True)
class ServiceLine:
    app_id: str
    port: int
    folder: str
    summary: str
    subscribes: tuple[str, ...]
    publishes: tuple[str, ...]
    calls: tuple[str, ...]
    jobs: tuple[str, ...]


@dataclass(frozen=True)
class ProjectReadme:
    name: str
    services: tuple[ServiceLine, ...]
    local: bool
    kubernetes: bool
    notes: tuple[str, ...]


def _summary(s: ServiceSpec) -> str:
    if s.starter != "stubs":
        return todo.SUMMARIES[s.starter]
    parts = [f"CRUD on `{c.collection}`" for c in s.crud]
    parts += [f"invocation target `{v.method}`" for v in s.invocations]
    return ", ".join(parts) or "event handlers"


def _task_api(services: list[ServiceSpec]) -> todo.TaskApi:
    """What the recurring-task starter calls: the first CRUD resource of a service it calls, and the event its
    first action publishes (tasks.completed in the todo system)."""
    by_id = {s.app_id: s for s in services if s.crud}
    for s in services:
        for called in s.calls:
            if called in by_id:
                crud = by_id[called].endpoint_spec().crud[0]
                action = f"{crud.name}.{crud.actions[0].event_suffix}" if crud.actions else f"{crud.name}.completed"
                return todo.TaskApi(crud.collection, action, crud.name)
    return todo.TaskApi()


def plan(spec: ProjectSpec) -> Plan:
    services = spec.service_specs()
    cspec = spec.components_spec()
    files: list[FilePlan] = []
    lines: list[ServiceLine] = []
    requirements: set[str] = set()
    task_api = _task_api(services)
    for s, app in zip(services, cspec.apps, strict=True):
        folder = app.directory
        found, app_plan = service.files_for(s, folder, standalone=False, task_api=task_api)
        files += found
        requirements.update(service.imported_requirements(s, app_plan))
        e = s.endpoint_spec()
        lines.append(
            ServiceLine(
                s.app_id,
                s.port,
                folder,
                _summary(s),
                tuple(sub.topic for sub in e.subscriptions),
                tuple(t for t in (*(c.topic for c in e.crud), *s.publishes) if t),
                tuple(s.calls),
                tuple(j.name + ("-*" if j.prefix else "") for j in e.jobs),
            )
        )
    files += components.files_for(cspec)
    if "kubernetes" not in spec.environments:  # files_for writes Dockerfiles with the Kubernetes files only
        files += [components.dockerfile_for(cspec, a, f"{a.directory}/Dockerfile") for a in cspec.apps]
    notes = components.notes_for(cspec, with_apps=True)
    files += [
        FilePlan(
            "README.md",
            "project/README",
            ProjectReadme(
                spec.name,
                tuple(lines),
                "local" in spec.environments,
                "kubernetes" in spec.environments,
                tuple(notes),
            ),
            "markdown",
        ),
        FilePlan(".gitignore", "service/gitignore", EmptyContext(), "text"),
    ]
    first_party = tuple(sorted({s.package for s in services} | {"tests"}))
    project_notes = [
        "Each service folder is a project of its own: `cd` into it and `uv run pytest` runs its tests over an "
        "in-memory Dapr. `dapr run -f .` here starts all of them with their sidecars.",
        "Each service's handlers.py is yours: regeneration never rewrites it.",
        *notes,
    ]
    return Plan(
        files=files,
        requirements=sorted(requirements),
        notes=project_notes,
        known_first_party=first_party,
        style=service.own_style(services[0]),  # the spec holds every service to the project's line_length
    )


GENERATOR = Generator(
    name="project",
    title="A multi-service Dapr project",
    description="Several services wired by topics, jobs and app ids, with shared Dapr resources, one dapr.yaml "
    "and manifests. Default: the todo system.",
    spec=ProjectSpec,
    plan=plan,
    tracked=True,
    examples={
        "orders-pipeline": {
            "name": "orders",
            "pubsub": {"name": "pubsub"},
            "state": {"name": "statestore"},
            "environments": ["local"],
            "services": [
                {
                    "app_id": "orders",
                    "port": 8100,
                    "crud": [{"name": "tasks", "model": "Task", "topic": "orders"}],
                },
                {
                    "app_id": "billing",
                    "port": 8101,
                    "subscriptions": [{"topic": "orders", "model": "Task", "idempotent": True}],
                    "publishes": ["invoices"],
                    "calls": ["orders"],
                },
            ],
        },
        "kubernetes-only": {
            "name": "inventory",
            "environments": ["kubernetes"],
            "secret_store": {"name": "vault"},
            "image_repository": "ghcr.io/acme/inventory",
            "services": [
                {"app_id": "stock", "port": 8200, "crud": [{"name": "tasks", "model": "Task"}],
                 "client_blocks": ["secrets"]},
                {"app_id": "feed", "port": 8201, "bindings": [{"name": "stock-feed", "model": "Task"}],
                 "calls": ["stock"], "app_token": False},
            ],
        },
    },
)  # fmt: skip
