"""A faithful in-process stand-in for the Dapr sidecar's HTTP API (spec: references/dapr-contract.md).

Section numbers (§N, §N.M) and pitfall numbers throughout this package refer to references/dapr-contract.md.

from tests.sidecar import SidecarDouble, serve_double

double = SidecarDouble(app_id="myapp", dapr_version="1.16", app=my_fastapi_app)
async with double.client() as client:          # httpx.AsyncClient over ASGITransport
    await client.post("/v1.0/state/statestore", json=[{"key": "k", "value": {"a": 1}}])
await double.deliver_pending()                 # pub/sub -> app, §12.4 semantics

Several services in one process: ``SidecarMesh`` (tests/sidecar/mesh.py), one sidecar per app id sharing the
broker, the state stores, service invocation and the scheduler clock.
"""

from tests.sidecar.bindings import BindingInvocation, BindingResult, InputBindingDelivery
from tests.sidecar.delivery import DeliveryAttempt, DeliveryResult
from tests.sidecar.double import DEFAULT_BASE_URL, RecordedRequest, SidecarDouble
from tests.sidecar.jobs import Job, JobTrigger, UndeliverableJobError
from tests.sidecar.mesh import DeliveryLoopError, MeshBroker, MeshDelivery, SidecarMesh
from tests.sidecar.pubsub import PublishedMessage
from tests.sidecar.scheduler import FiredJob, SchedulerLoopError
from tests.sidecar.scripted_app import ScriptedApp, SeenRequest, answer
from tests.sidecar.server import ResetProxy, RunningSidecar, serve_double
from tests.sidecar.state_store import StateStoreOptions, StoredItem
from tests.sidecar.workflows import WorkflowInstance

__all__ = [
    "DEFAULT_BASE_URL",
    "BindingInvocation",
    "BindingResult",
    "DeliveryAttempt",
    "DeliveryLoopError",
    "DeliveryResult",
    "FiredJob",
    "InputBindingDelivery",
    "Job",
    "JobTrigger",
    "MeshBroker",
    "MeshDelivery",
    "PublishedMessage",
    "RecordedRequest",
    "ResetProxy",
    "RunningSidecar",
    "SchedulerLoopError",
    "ScriptedApp",
    "SeenRequest",
    "SidecarDouble",
    "SidecarMesh",
    "StateStoreOptions",
    "StoredItem",
    "UndeliverableJobError",
    "WorkflowInstance",
    "answer",
    "serve_double",
]
