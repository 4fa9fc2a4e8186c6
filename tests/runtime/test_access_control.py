"""The access control the generators write, on real daprd (references/dapr-contract.md §18.7): a service whose
invocation target names its `callers` runs with its generated Configuration (resources/kubernetes/<app>-config.yaml,
the file the dapr.io/config annotation names on Kubernetes). Under Sentry's mTLS the sidecar knows each caller by
its SPIFFE id: the named caller is served, another app gets 403 ERR_DIRECT_INVOKE. Without mTLS no caller has an
identity, so the policy's default action (deny) refuses every one of them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.runtime import one_service, processes, resources
from tests.runtime.environment import RuntimeEnv

pytestmark = [pytest.mark.runtime, pytest.mark.xdist_group("dapr-runtime")]


@dataclass(frozen=True)
class Apps:
    """The app ids of one test. pytest-xdist runs this file's tests on both workers at once and every sidecar on the
    machine answers mDNS, so each test names its own apps: a shared `seats` resolves to the other test's sidecar."""

    target: str
    caller: str
    stranger: str

    @classmethod
    def named(cls, tag: str) -> Apps:
        return cls(f"acl{tag}-seats", f"acl{tag}-checkout", f"acl{tag}-stranger")

    def spec(self) -> dict[str, Any]:
        return {
            "app_id": self.target,
            "port": 8500,
            "models": {"models": [{"name": "Seat", "fields": [{"name": "id", "type": "str"}]}]},
            "invocations": [
                {"method": "/reserve", "request_model": "Seat", "response_model": "Seat", "callers": [self.caller]}
            ],
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
    runtime: RuntimeEnv, tmp_path: Path, apps: Apps, sentry: processes.Sentry | None, *, configured: bool = True
) -> Iterator[Callable[..., httpx.Response]]:
    """The generated service with its sidecar (its Configuration unless not `configured`), and two app-less
    sidecars that call it: a function that calls `reserve` through a caller's sidecar."""
    service = one_service.write_service(apps.spec(), tmp_path / apps.target)
    config = service / "resources" / "kubernetes" / f"{apps.target}-config.yaml" if configured else None
    empty = resources.write(tmp_path / "resources", {})
    with contextlib.ExitStack() as stack:
        app = stack.enter_context(one_service.app(service, tmp_path))
        stack.enter_context(
            processes.daprd(runtime, tmp_path, apps.target, empty, app_port=app.port, config=config, mtls=sentry)
        )
        sidecars = {
            caller: stack.enter_context(processes.daprd(runtime, tmp_path, caller, empty, mtls=sentry)).url
            for caller in (apps.caller, apps.stranger)
        }

        def reserve(caller: str, verb: str = "POST", headers: dict[str, str] | None = None) -> httpx.Response:
            url = f"{sidecars[caller]}/v1.0/invoke/{apps.target}/method/reserve"
            return httpx.request(verb, url, json={"id": "s1"}, headers=headers, timeout=30)

        yield reserve


def test_mtls_serves_the_named_caller_and_refuses_another_app(runtime: RuntimeEnv, tmp_path: Path) -> None:
    apps = Apps.named("m")
    with processes.sentry(runtime, tmp_path) as sentry, _mesh(runtime, tmp_path, apps, sentry) as reserve:
        allowed = reserve(apps.caller)
        assert (allowed.status_code, allowed.json()) == (200, {"id": "s1"}), allowed.text
        refused = reserve(apps.stranger)
        assert (refused.status_code, refused.json()) == (403, _denied(apps.target, apps.stranger)), refused.text
        # The named caller, with a verb its operation does not list: the policy's own default (deny).
        wrong_verb = reserve(apps.caller, "PUT")
        expected = (403, _denied(apps.target, apps.caller, "PUT"))
        assert (wrong_verb.status_code, wrong_verb.json()) == expected, wrong_verb.text


def test_without_mtls_the_default_action_denies_every_caller(runtime: RuntimeEnv, tmp_path: Path) -> None:
    apps = Apps.named("d")
    with _mesh(runtime, tmp_path, apps, None) as reserve:
        for caller in (apps.caller, apps.stranger):
            refused = reserve(caller)
            assert refused.status_code == 403, (caller, refused.text)
            assert refused.json()["errorCode"] == "ERR_DIRECT_INVOKE", refused.text


def test_locally_the_apps_own_check_refuses_another_app_and_a_forged_caller(
    runtime: RuntimeEnv, tmp_path: Path
) -> None:
    """As `dapr run -f .` runs it: no mTLS, no Configuration; the generated route checks dapr-caller-app-id. daprd
    adds its value beside one the caller wrote (it does not delete it), so a forged id makes two values: refused."""
    apps = Apps.named("l")
    with _mesh(runtime, tmp_path, apps, None, configured=False) as reserve:
        allowed = reserve(apps.caller)
        assert (allowed.status_code, allowed.json()) == (200, {"id": "s1"}), allowed.text
        other = reserve(apps.stranger)
        assert (other.status_code, other.json()) == (403, {"detail": f"app {apps.stranger!r} may not call this method"})
        forged = reserve(apps.stranger, headers={"dapr-caller-app-id": apps.caller})
        assert (forged.status_code, forged.json()) == (403, {"detail": "app None may not call this method"})
