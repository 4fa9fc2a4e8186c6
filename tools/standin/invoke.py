"""Service invocation (references/dapr-contract.md §4, §12.11, pitfall 24).

The invoke handler is also the router's NotFound/MethodNotAllowed fallback, so a typo or a wrong verb ends here
and, lacking an app id, answers 404 ``ERR_DIRECT_INVOKE``.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from urllib.parse import unquote

from tools.standin import acl, resiliency, timeutil, wire
from tools.standin.core import AppChannel, AppResponse, NoAppError, SidecarConfig
from tools.standin.resiliency import DEADLINE_EXCEEDED, RetryPolicy
from tools.standin.wire import Headers, Request, Response, go_path_clean

NO_APP_ID = "failed getting app id either from the URL path or the header dapr-app-id"
_HOP = {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "upgrade"}


def _clean_keep_slash(path: str) -> str:
    cleaned = go_path_clean(path)
    if len(path) > 1 and path.endswith("/") and cleaned != "/":
        cleaned += "/"
    return cleaned


def find_target(raw_path: str, headers: Headers) -> tuple[str, str, bool]:
    """``findTargetIDAndMethod``: (app id, escaped method, whether the dapr-app-id header was used)."""
    header_id = headers.get("dapr-app-id")
    if header_id:
        return header_id, _clean_keep_slash(raw_path).removeprefix("/"), True
    auth = headers.get("authorization") or ""
    if auth.startswith("Basic "):
        try:
            pair = base64.b64decode(auth[len("Basic ") :], validate=True).decode().split(":")
        except ValueError:
            pair = []
        if len(pair) == 2 and pair[0].lower() == "dapr-app-id":
            return pair[1], _clean_keep_slash(raw_path).removeprefix("/"), False
    rest = raw_path.lstrip("/")
    for prefix in ("v1.0", "invoke"):
        head, sep, tail = rest.partition("/")
        if head != prefix or not sep:
            return "", "", False
        rest = tail.lstrip("/")
    idx = rest.find("/method/")
    if idx > 0:
        target = rest[:idx]
        try:
            unescaped = wire.query_unescape(target)
        except wire.UnescapeError:
            unescaped = ""
        return unescaped or target, rest[idx + len("/method/") :], False
    return "", "", False


class InvokeBlock:
    """Forwards invocations to in-process ASGI apps and relays their answers verbatim.

    ``retries``: target app id -> the caller's outbound retry policy for it (its Resiliency's `targets.apps`). As
    daprd's `onDirectMessage` (pkg/api/http/directmessaging.go) runs the call under that policy, an answer outside
    200-399 whose status the policy matches is sent again after the policy's pause; once the retries are spent, or
    for a status it does not match, the last answer comes back as the app gave it. An attempt that outlasts the
    policy's `timeout` is cut and retried like a matched failure; when the last one is cut the caller gets 500
    ERR_DIRECT_INVOKE "... err: context deadline exceeded"."""

    def __init__(
        self, config: SidecarConfig, channel: AppChannel, retries: Mapping[str, RetryPolicy] | None = None
    ) -> None:
        self.config = config
        self.channel = channel
        self.retries = dict(retries or {})

    async def handle(self, req: Request, _params: dict[str, str] | None = None) -> Response:
        target, method, via_header = find_target(req.raw_path, req.headers)
        if not target:
            return wire.error(404, "ERR_DIRECT_INVOKE", NO_APP_ID)
        try:
            self.channel.resolve(target)
        except NoAppError:
            return wire.error(
                500, "ERR_DIRECT_INVOKE",
                f"failed to invoke, id: {target}, err: couldn't find service: {target}",
            )  # fmt: skip
        if (denied := self._denied(target, method, req.method)) is not None:
            return denied
        drop = set(_HOP) | {"dapr-api-token"}
        if via_header:
            drop.add("dapr-app-id")
        # The caller's own dapr-caller-app-id (and callee, namespace) headers pass through, and the sidecar adds its
        # own after them: daprd 1.18.3 does not delete them (references/dapr-contract.md §18.7), so an app that reads
        # the header must refuse a request carrying it twice.
        headers = [(k, v) for k, v in req.headers.items if k.lower() not in drop]
        host = req.headers.get("host") or "127.0.0.1:3500"
        headers += [
            ("dapr-caller-app-id", self.config.app_id),
            ("dapr-callee-app-id", target.split(".", 1)[0]),
            ("x-forwarded-for", "127.0.0.1"),
            ("x-forwarded-host", host),
            ("forwarded", f"for=127.0.0.1;by=127.0.0.1;host={host}"),
        ]
        if self.config.namespace:
            headers.append(("dapr-caller-namespace", self.config.namespace))
        if self.config.tracing:
            headers = [(k, v) for k, v in headers if k.lower() != "traceparent"]
            headers.append(("traceparent", timeutil.child_traceparent(req.headers.get("traceparent"))))
        path = "/" + method + (f"?{req.query_string}" if req.query_string else "")
        answer = await self._call(target, req.method, path, headers, req.body)
        if answer is None:  # the last attempt ran out of the policy's timeout: onDirectMessage's default branch
            return wire.error(500, "ERR_DIRECT_INVOKE", f"failed to invoke, id: {target}, err: {DEADLINE_EXCEEDED}")
        out = [(k, v) for k, v in answer.headers.items if k.lower() not in _HOP]
        return Response(answer.status, out, answer.body)

    async def _call(
        self, target: str, verb: str, path: str, headers: list[tuple[str, str]], body: bytes
    ) -> AppResponse | None:
        """The app's last answer under the policy, or None when the last attempt timed out."""
        policy = self.retries.get(target.split(".", 1)[0])
        retry = 0
        while True:
            answer = await self._attempt(policy, verb, path, headers, body, target)
            if answer is None:  # timed out: an error, not a status, so retried whatever `matching` lists
                failed, matched = True, True
            else:
                failed = not 200 <= answer.status <= 399
                matched = policy is not None and policy.retries_status(answer.status)
            if not failed or policy is None or retry >= policy.attempts - 1 or not matched:
                return answer
            retry += 1
            await asyncio.sleep(policy.delay(retry))

    async def _attempt(
        self, policy: RetryPolicy | None, verb: str, path: str, headers: list[tuple[str, str]], body: bytes,
        target: str,
    ) -> AppResponse | None:  # fmt: skip
        """One call to the target, cut (the app's request cancelled) after the policy's `timeout`, as the resiliency
        runner cancels the attempt's context; None when it was cut."""
        return await resiliency.attempt(self.channel.call(verb, path, headers, body, app_id=target), policy)

    def _denied(self, target: str, method: str, verb: str) -> Response | None:
        """The callee sidecar's access control (tools/standin/acl.py), applied to a call from another sidecar;
        the caller is known by its app id as mTLS would name it."""
        callee = self.channel.callee(target)
        policy = callee.access_control
        if callee is self.channel or policy is None:
            return None
        operation = unquote(method)
        namespace = self.config.namespace or acl.DEFAULT_NAMESPACE
        caller = self.config.app_id
        if policy.allows(caller, namespace, acl.DEFAULT_TRUST_DOMAIN, operation, verb.upper()):
            return None
        message = acl.denied_message(target, acl.spiffe_id(caller, namespace), operation, verb.upper())
        return wire.error(403, "ERR_DIRECT_INVOKE", message)
