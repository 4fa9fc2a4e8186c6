"""Tests of the sidecar double, which lives in tools/standin (shipped: `dapr-coder run` serves it).

The names are re-exported here, so tests import them as before (``from tests.sidecar import SidecarDouble``);
``ScriptedApp`` (an app that answers what a test scripts) is a test helper and stays here.
"""

from tests.sidecar.scripted_app import ScriptedApp, SeenRequest, answer
from tools.standin import (
    DEFAULT_BASE_URL,
    BindingInvocation,
    BindingResult,
    DeliveryAttempt,
    DeliveryLoopError,
    DeliveryResult,
    FiredJob,
    InputBindingDelivery,
    Job,
    JobTrigger,
    MeshBroker,
    MeshDelivery,
    PublishedMessage,
    RecordedRequest,
    ResetProxy,
    RunningSidecar,
    SchedulerLoopError,
    SidecarDouble,
    SidecarMesh,
    StateStoreOptions,
    StoredItem,
    UndeliverableJobError,
    WorkflowInstance,
    serve_double,
)

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
