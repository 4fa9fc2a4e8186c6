"""Workflow management API (references/dapr-contract.md §10, §17, pitfall 15): 202 everywhere, ``instanceID`` with
a capital ID.

The workflow code itself runs in the app through an SDK worker, which the double does not have: instances stay
``RUNNING`` until a test moves them on with :meth:`WorkflowsBlock.set_status`.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from tools.standin import gojson, timeutil, wire
from tools.standin.core import SidecarConfig
from tools.standin.routing import Route, route
from tools.standin.wire import Request, Response

_ID = re.compile(r"^[A-Za-z0-9_-]+$")
FINISHED = ("COMPLETED", "FAILED", "TERMINATED")
STATUSES = ("RUNNING", "COMPLETED", "CONTINUED_AS_NEW", "FAILED", "CANCELED", "TERMINATED", "PENDING", "SUSPENDED")


@dataclass(slots=True)
class WorkflowInstance:
    instance_id: str
    workflow_name: str
    component: str
    input: str
    status: str = "RUNNING"
    output: str | None = None
    custom_status: str | None = None
    created_at: str = field(default_factory=timeutil.now_rfc3339)
    last_updated_at: str = field(default_factory=timeutil.now_rfc3339)
    events: list[tuple[str, bytes]] = field(default_factory=list)

    def as_json(self) -> gojson.Struct:
        props: dict[str, str] = {"dapr.workflow.input": self.input}
        if self.output is not None:
            props["dapr.workflow.output"] = self.output
        if self.custom_status is not None:
            props["dapr.workflow.custom_status"] = self.custom_status
        return gojson.Struct(
            instanceID=self.instance_id,
            workflowName=self.workflow_name,
            createdAt=self.created_at,
            lastUpdatedAt=self.last_updated_at,
            runtimeStatus=self.status,
            properties=props,
        )


class WorkflowsBlock:
    def __init__(self, config: SidecarConfig) -> None:
        self.config = config
        self.instances: dict[str, WorkflowInstance] = {}

    def routes(self) -> list[Route]:
        versions = ["v1.0-alpha1", "v1.0-beta1"] + (["v1.0"] if self.config.at_least(15) else [])  # §17
        out: list[Route] = []
        for v in versions:
            base = f"/{v}/workflows/{{workflowComponent}}"
            out += [
                route(["GET"], f"{base}/{{instanceID}}", self.get, "GetWorkflow"),
                route(["POST"], f"{base}/{{workflowName}}/start", self.start, "StartWorkflow"),
                route(["POST"], f"{base}/{{instanceID}}/raiseEvent/{{eventName}}", self.raise_event, "RaiseEvent"),
            ]
            for action in ("terminate", "pause", "resume", "purge"):
                out.append(route(["POST"], f"{base}/{{instanceID}}/{action}", self._action(action), action))
        return out

    @staticmethod
    def _accepted() -> Response:
        return wire.proto_json(202, {})

    @staticmethod
    def _not_found(instance_id: str) -> Response:
        return wire.error(
            404, "ERR_INSTANCE_ID_NOT_FOUND", f"unable to find workflow with the provided instance ID: {instance_id}"
        )

    async def start(self, req: Request, params: dict[str, str]) -> Response:
        instance_id = req.query_first("instanceID") or str(uuid.uuid4())
        if len(instance_id) > 64:
            return wire.error(
                400,
                "ERR_INSTANCE_ID_TOO_LONG",
                f"workflow instance ID exceeds the max length of 64 characters: {instance_id}",
            )
        if not _ID.match(instance_id):
            return wire.error(400, "ERR_INSTANCE_ID_INVALID", f"workflow instance ID '{instance_id}' is invalid: "
                              "only alphanumeric and underscore characters are allowed")  # fmt: skip
        existing = self.instances.get(instance_id)
        if existing is not None and existing.status not in FINISHED:
            return wire.error(500, "ERR_START_WORKFLOW", f"error starting workflow {params['workflowName']} with error "
                              f"an active workflow with ID '{instance_id}' already exists")  # fmt: skip
        self.instances[instance_id] = WorkflowInstance(
            instance_id, params["workflowName"], params["workflowComponent"], req.body.decode("utf-8", "replace")
        )
        return wire.proto_json(202, {"instanceID": instance_id})

    async def get(self, req: Request, params: dict[str, str]) -> Response:
        instance = self.instances.get(params["instanceID"])
        if instance is None:
            return self._not_found(params["instanceID"])
        return wire.proto_json(200, instance.as_json())

    async def raise_event(self, req: Request, params: dict[str, str]) -> Response:
        instance = self.instances.get(params["instanceID"])
        if instance is None:
            return self._not_found(params["instanceID"])
        instance.events.append((params["eventName"], req.body))
        return self._accepted()

    def _action(self, action: str) -> Any:
        async def handler(req: Request, params: dict[str, str]) -> Response:
            instance_id = params["instanceID"]
            instance = self.instances.get(instance_id)
            if instance is None:
                return self._not_found(instance_id)
            if action == "purge":
                if instance.status not in FINISHED:
                    return wire.error(500, "ERR_PURGE_WORKFLOW", f"error purging workflow {instance_id}: "
                                      "only COMPLETED, FAILED or TERMINATED instances can be purged")  # fmt: skip
                del self.instances[instance_id]
                return self._accepted()
            new_status = {"terminate": "TERMINATED", "pause": "SUSPENDED", "resume": "RUNNING"}[action]
            if action == "terminate" and instance.status in FINISHED:
                return self._accepted()
            self.set_status(instance_id, new_status)
            return self._accepted()

        return handler

    def set_status(self, instance_id: str, status: str, *, output: Any = None) -> WorkflowInstance:
        """Move an instance on (what the app's workflow worker would do); ``output`` is JSON-encoded."""
        if status not in STATUSES:
            raise ValueError(f"unknown runtime status {status!r}")
        instance = self.instances[instance_id]
        instance.status = status
        if output is not None:
            instance.output = gojson.marshal(output).decode()
        instance.last_updated_at = timeutil.rfc3339(dt.datetime.now(dt.UTC))
        return instance
