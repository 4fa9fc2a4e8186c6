"""The access control the generators write, on real daprd (references/dapr-contract.md §18.7): a service whose
invocation target names its `callers` runs with its generated Configuration (resources/kubernetes/<app>-config.yaml,
the file the dapr.io/config annotation names on Kubernetes). Under Sentry's mTLS the sidecar knows each caller by
its SPIFFE id: the named caller is served, another app gets 403 ERR_DIRECT_INVOKE. Without mTLS no caller has an
identity, so the policy's default action (deny) refuses every one of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.runtime import one_service, processes, resources
from tests.runtime.environment import RuntimeEnv

pytestmark = [pytest.mark.runtime, pytest.mark.xdist_group("dapr-runtime")]

TARGET, CALLER, STRANGER = "acl-seats", "acl-checkout", "acl-stranger"
SPEC: dict[str, Any] = {
    "app_id": TARGET,
    "port": 8500,
    "models": {"models": [{"name": "Seat", "fields": [{"name": "id", "type": "str"}]}]},
    "invocations": [{"method": "/reserve", "request_model": "Seat", "response_model": "Seat", "callers": [CALLER]}],
}


def _denied(target: str, caller: str, verb: str = "POST", operation: str = "reserve") -> dict[str, str]:
    """daprd's answer to a call its target's policy refuses (pkg/acl/acl.go ApplyAccessControlPolicies, wrapped
    by pkg/api/http/directmessaging.go as ERR_DIRECT_INVOKE with the gRPC status of the internal call)."""
    return {
        "errorCode": "ERR_DIRECT_INVOKE",
        "message": f"failed to invoke, id: {target}, err: rpc error: code = PermissionDenied desc = access control "
        f"policy has denied access to id: spiffe://public/ns/default/{caller} operation: {operation} verb: {verb}",
    }


@contextlib.contextmanager
def _mesh(
    runtime: RuntimeEnv, tmp_path: Path, sentry: processes.Sentry | None, *, configured: bool = True
) -> Iterator[dict[str, str]]:
    """The generated service with its sidecar (its Configuration unless not `configured`), and two app-less
    sidecars that call it: each app id's sidecar URL."""
    service = one_service.write_service(SPEC, tmp_path / TARGET)
    config = service / "resources" / "kubernetes" / f"{TARGET}-config.yaml" if configured else None
    empty = resources.write(tmp_path / "resources", {})
    with contextlib.ExitStack() as stack:
        app = stack.enter_context(one_service.app(service, tmp_path))
        sidecars = {
            TARGET: stack.enter_context(
                processes.daprd(runtime, tmp_path, TARGET, empty, app_port=app.port, config=config, mtls=sentry)
            ),
            CALLER: stack.enter_context(processes.daprd(runtime, tmp_path, CALLER, empty, mtls=sentry)),
            STRANGER: stack.enter_context(processes.daprd(runtime, tmp_path, STRANGER, empty, mtls=sentry)),
        }
        yield {app_id: sidecar.url for app_id, sidecar in sidecars.items()}


def _reserve(sidecar: str, verb: str = "POST", headers: dict[str, str] | None = None) -> httpx.Response:
    url = f"{sidecar}/v1.0/invoke/{TARGET}/method/reserve"
    return httpx.request(verb, url, json={"id": "s1"}, headers=headers, timeout=30)


def test_mtls_serves_the_named_caller_and_refuses_another_app(runtime: RuntimeEnv, tmp_path: Path) -> None:
    with processes.sentry(runtime, tmp_path) as sentry, _mesh(runtime, tmp_path, sentry) as sidecars:
        allowed = _reserve(sidecars[CALLER])
        assert (allowed.status_code, allowed.json()) == (200, {"id": "s1"}), allowed.text
        refused = _reserve(sidecars[STRANGER])
        assert (refused.status_code, refused.json()) == (403, _denied(TARGET, STRANGER)), refused.text
        # The named caller, with a verb its operation does not list: the policy's own default (deny).
        wrong_verb = _reserve(sidecars[CALLER], "PUT")
        assert (wrong_verb.status_code, wrong_verb.json()) == (403, _denied(TARGET, CALLER, "PUT")), wrong_verb.text


def test_without_mtls_the_default_action_denies_every_caller(runtime: RuntimeEnv, tmp_path: Path) -> None:
    with _mesh(runtime, tmp_path, None) as sidecars:
        for caller in (CALLER, STRANGER):
            refused = _reserve(sidecars[caller])
            assert refused.status_code == 403, (caller, refused.text)
            assert refused.json()["errorCode"] == "ERR_DIRECT_INVOKE", refused.text


def test_locally_the_apps_own_check_refuses_another_app_and_a_forged_caller(
    runtime: RuntimeEnv, tmp_path: Path
) -> None:
    """As `dapr run -f .` runs it: no mTLS, no Configuration; the generated route checks dapr-caller-app-id. daprd
    adds its value beside one the caller wrote (it does not delete it), so a forged id makes two values: refused."""
    with _mesh(runtime, tmp_path, None, configured=False) as sidecars:
        allowed = _reserve(sidecars[CALLER])
        assert (allowed.status_code, allowed.json()) == (200, {"id": "s1"}), allowed.text
        other = _reserve(sidecars[STRANGER])
        assert (other.status_code, other.json()) == (403, {"detail": f"app {STRANGER!r} may not call this method"})
        forged = _reserve(sidecars[STRANGER], headers={"dapr-caller-app-id": CALLER})
        assert (forged.status_code, forged.json()) == (403, {"detail": "app None may not call this method"})
