"""The stand-in's access control (tools/standin/acl.py): the callee's generated Configuration, applied as daprd
applies it with mTLS on (references/dapr-contract.md §18.7), and the trie of dapr/dapr pkg/config/acl_trie.go."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

import pytest
import yaml

from skill.pipeline import generate
from tests.sidecar import ScriptedApp, answer
from tools.standin import SidecarMesh, acl

pytestmark = pytest.mark.anyio

SPEC: dict[str, Any] = {
    "app_id": "seats",
    "port": 8500,
    "models": {"models": [{"name": "Seat", "fields": [{"name": "id", "type": "str"}]}]},
    "invocations": [{"method": "/reserve", "request_model": "Seat", "response_model": "Seat", "callers": ["checkout"]}],
}


def _generated_policy() -> acl.AccessControl:
    (config,) = [f for f in generate("service", SPEC).files if f.path == "resources/kubernetes/seats-config.yaml"]
    policy = acl.parse(yaml.safe_load(config.content))
    assert policy is not None
    return policy


def _denied(caller: str, verb: str) -> dict[str, str]:
    # daprd 1.18.3's answer, as tests/runtime/test_access_control.py saw it
    return {
        "errorCode": "ERR_DIRECT_INVOKE",
        "message": "failed to invoke, id: seats, err: rpc error: code = PermissionDenied desc = access control "
        f"policy has denied access to id: spiffe://public/ns/default/{caller} operation: reserve verb: {verb}",
    }


async def test_the_named_caller_is_served_and_another_app_gets_daprds_403() -> None:
    mesh = SidecarMesh()
    target = ScriptedApp().on("POST", "/reserve", answer(200, {"id": "s1"})).on("PUT", "/reserve", answer(200, {}))
    mesh.add("seats", target)
    mesh["seats"].channel.access_control = _generated_policy()
    mesh.add("checkout", ScriptedApp())
    mesh.add("stranger", ScriptedApp())
    async with mesh.client("checkout") as checkout, mesh.client("stranger") as stranger:
        allowed = await checkout.post("/v1.0/invoke/seats/method/reserve", json={"id": "s1"})
        assert (allowed.status_code, allowed.json()) == (200, {"id": "s1"})
        refused = await stranger.post("/v1.0/invoke/seats/method/reserve", json={"id": "s1"})
        assert (refused.status_code, refused.json()) == (403, _denied("stranger", "POST"))
        wrong_verb = await checkout.put("/v1.0/invoke/seats/method/reserve", json={"id": "s1"})
        assert (wrong_verb.status_code, wrong_verb.json()) == (403, _denied("checkout", "PUT"))
    (seen,) = target.seen  # only the allowed call reached the app, stamped with its caller
    assert seen.headers["dapr-caller-app-id"] == "checkout"


async def test_an_app_without_a_configuration_takes_every_caller() -> None:
    mesh = SidecarMesh()
    mesh.add("seats", ScriptedApp().on("POST", "/reserve", answer(200, {})))
    mesh.add("stranger", ScriptedApp())
    async with mesh.client("stranger") as stranger:
        assert (await stranger.post("/v1.0/invoke/seats/method/reserve", json={})).status_code == 200


def _policy(*operations: dict[str, Any], default: str = "deny") -> acl.AccessControl:
    document = {"spec": {"accessControl": {"defaultAction": "deny", "policies": [
        {"appId": "a", "defaultAction": default, "trustDomain": "public", "namespace": "default",
         "operations": list(operations)}]}}}  # fmt: skip
    policy = acl.parse(document)
    assert policy is not None
    return policy


@pytest.mark.parametrize(
    ("name", "operation", "allowed"),
    [
        ("/orders/**", "/orders/1/items", True),
        ("/orders/**", "/orders", True),  # at a path's end Search looks for `/*` and finds `/**` too
        ("/orders/*", "/orders/1", True),
        ("/orders/*", "/orders/1/items", False),
        ("/orders", "/orders/1", True),  # a path's policy covers the paths below it (Search stops at its node)
        ("/ord*", "/orders", True),
        ("/Orders", "/ORDERS", True),  # HTTP operations compare in lower case
        ("/orders", "/other", False),
    ],
)
def test_operation_paths_match_as_daprds_trie(name: str, operation: str, allowed: bool) -> None:
    policy = _policy({"name": name, "httpVerb": ["GET"], "action": "allow"})
    assert policy.allows("a", "default", "public", operation, "GET") is allowed


def test_verbs_the_wildcard_verb_and_the_first_policy_of_a_path() -> None:
    policy = _policy(
        {"name": "/orders", "httpVerb": ["POST"], "action": "allow"},
        {"name": "/orders", "httpVerb": ["GET"], "action": "allow"},  # dropped: /orders already has a policy
        {"name": "/items", "httpVerb": ["*"], "action": "allow"},
    )
    assert policy.allows("a", "default", "public", "/orders", "POST")
    assert not policy.allows("a", "default", "public", "/orders", "GET")
    assert policy.allows("a", "default", "public", "/items", "DELETE")


def test_callers_outside_the_policy_get_the_global_default() -> None:
    policy = _policy({"name": "/orders", "httpVerb": ["POST"], "action": "allow"}, default="allow")
    assert policy.allows("a", "default", "public", "/anything", "GET")  # the app policy's own default
    assert not policy.allows("b", "default", "public", "/orders", "POST")  # another app
    assert not policy.allows("a", "prod", "public", "/orders", "POST")  # another namespace
    assert not policy.allows("a", "default", "other", "/orders", "POST")  # another trust domain


def test_parse_defaults_and_refusals() -> None:
    assert acl.parse({"spec": {}}) is None
    implied = acl.parse({"spec": {"accessControl": {"trustDomain": "public"}}})
    assert implied is not None
    assert implied.default_action == "deny"
    empty = acl.parse({"spec": {"accessControl": {"trustDomain": "public", "policies": []}}})
    assert empty is not None
    assert empty.default_action == "allow"
    with pytest.raises(acl.AccessControlError, match="namespace"):
        acl.parse({"spec": {"accessControl": {"policies": [{"appId": "a", "trustDomain": "public"}]}}})


async def test_a_callers_own_caller_id_reaches_the_app_beside_the_stamped_one() -> None:
    """daprd 1.18.3 keeps a dapr-caller-app-id the caller wrote and adds its own (§18.7): the app sees both, so the
    generated route's check (exactly one value) refuses it."""
    seen: list[list[tuple[bytes, bytes]]] = []

    async def app(scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        seen.append(list(scope["headers"]))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    mesh = SidecarMesh()
    mesh.add("seats", app)
    mesh.add("stranger", ScriptedApp())
    async with mesh.client("stranger") as stranger:
        await stranger.post("/v1.0/invoke/seats/method/reserve", headers={"dapr-caller-app-id": "checkout"})
    (headers,) = seen
    assert sorted(v for k, v in headers if k.lower() == b"dapr-caller-app-id") == [b"checkout", b"stranger"]
