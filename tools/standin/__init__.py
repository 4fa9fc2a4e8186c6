"""A faithful in-process stand-in for the Dapr sidecar's HTTP API (spec: references/dapr-contract.md).

Shipped in the package: `dapr-coder run` serves it for generated projects (tools/standin/run.py); the test suite
drives it in-process (tests/sidecar holds its own tests).

Section numbers (§N, §N.M) and pitfall numbers throughout this package refer to references/dapr-contract.md.

from tools.standin import SidecarDouble, serve_double

double = SidecarDouble(app_id="myapp", dapr_version="1.18.3", app=my_fastapi_app)
async with double.client() as client:          # httpx.AsyncClient over ASGITransport
    await client.post("/v1.0/state/statestore", json=[{"key": "k", "value": {"a": 1}}])
await double.deliver_pending()                 # pub/sub -> app, §12.4 semantics

Several services in one process: ``SidecarMesh`` (tools/standin/mesh.py), one sidecar per app id sharing the
broker, the state stores, service invocation and the scheduler clock.
"""

from tools.standin.bindings import BindingInvocation, BindingResult, InputBindingDelivery
from tools.standin.delivery import DeliveryAttempt, DeliveryResult
from tools.standin.double import DEFAULT_BASE_URL, RecordedRequest, SidecarDouble
from tools.standin.jobs import Job, JobTrigger, UndeliverableJobError
from tools.standin.mesh import DeliveryLoopError, MeshBroker, MeshDelivery, SidecarMesh
from tools.standin.pubsub import PublishedMessage
from tools.standin.scheduler import FiredJob, SchedulerLoopError
from tools.standin.server import ResetProxy, RunningSidecar, serve_double
from tools.standin.state_store import StateStoreOptions, StoredItem
from tools.standin.workflows import WorkflowInstance

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
    "SidecarDouble",
    "SidecarMesh",
    "StateStoreOptions",
    "StoredItem",
    "UndeliverableJobError",
    "WorkflowInstance",
    "serve_double",
]
