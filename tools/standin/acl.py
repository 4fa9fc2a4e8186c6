"""Access control of service invocation: dapr/dapr v1.18.3 pkg/acl/acl.go and pkg/config/acl_trie.go, ported.

The callee's sidecar applies its Configuration's `accessControl` to each invocation that reaches it from another
sidecar; the caller is known by its SPIFFE id (spiffe://<trust domain>/ns/<namespace>/<app id>) from the mTLS
certificate Sentry signed. The stand-in has no certificates: it knows each caller by its app id, in the namespace its
double runs in ("default" when none) and daprd's default trust domain ("public", pkg/config/configuration.go), as
daprd with mTLS on (Kubernetes) knows it. A denied call answers what daprd answers
(references/dapr-contract.md §18.7): 403 ERR_DIRECT_INVOKE with the gRPC PermissionDenied text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ALLOW, DENY = "allow", "deny"
DEFAULT_TRUST_DOMAIN = "public"
DEFAULT_NAMESPACE = "default"
_SINGLE, _MULTI = "/*", "/**"


class AccessControlError(ValueError):
    """A Configuration daprd would refuse to start with (ParseAccessControlSpec's error)."""


@dataclass
class _Operation:
    name: str
    verbs: dict[str, str]  # verb -> action
    action: str


@dataclass
class _Node:
    char: str
    data: _Operation | None = None
    subs: list[_Node] = field(default_factory=list)


def _is_match(target: str, pattern: str) -> bool:
    """acl_trie.go isMatch: `*` matches any run of characters."""
    tl, pl = len(target), len(pattern)
    m = [[False] * (pl + 1) for _ in range(tl + 1)]
    m[0][0] = True
    for j in range(1, pl + 1):
        if pattern[j - 1] != "*":
            break
        m[0][j] = True
    for i in range(1, tl + 1):
        for j in range(1, pl + 1):
            if pattern[j - 1] == "*":
                m[i][j] = m[i][j - 1] or m[i - 1][j]
            elif target[i - 1] == pattern[j - 1]:
                m[i][j] = m[i - 1][j - 1]
    return m[tl][pl]


def _find_with_wildcard(char: str, nodes: list[_Node], is_end: bool) -> _Node | None:
    for node in nodes:
        if node.char == char:
            return node
        if node.char == _SINGLE:
            if is_end:
                return node
            continue
        if node.char == _MULTI:
            return node
        if _is_match(char, node.char):
            return node
    return None


class _Trie:
    """acl_trie.go: operations by path segment; `/*` one segment, `/**` any below, `*` inside a segment."""

    def __init__(self) -> None:
        self.root = _Node("/")

    def put(self, operation: str, data: _Operation) -> None:
        parts = operation.split("/")
        node = self.root
        for index, part in enumerate(parts):
            if index == 0:
                continue
            char = "/" + part
            sub = next((n for n in node.subs if n.char == char), None)
            last = index == len(parts) - 1
            if sub is None:
                new = _Node(char, data if last else None)
                node.subs.append(new)
                node = new
            elif last:
                if sub.data is None:  # the first policy of a path wins
                    sub.data = data
            else:
                node = sub

    def search(self, operation: str) -> _Operation | None:
        node: _Node | None = self.root
        parts = operation.split("/")
        for index, part in enumerate(parts):
            if index == 0:
                continue
            is_end = index == len(parts) - 1
            assert node is not None
            node = _find_with_wildcard("/" + part, node.subs, is_end)
            if node is None:
                return None
            if node.data is not None:
                if not is_end and node.char.endswith(_SINGLE) and not node.char.endswith(_MULTI):
                    continue
                return node.data
            if is_end:
                wild = _find_with_wildcard(_SINGLE, node.subs, is_end)
                if wild is not None and wild.data is not None:
                    return wild.data
        return None


@dataclass
class _AppPolicy:
    app_id: str
    default_action: str
    trust_domain: str
    namespace: str
    operations: _Trie


@dataclass
class AccessControl:
    """One sidecar's parsed `accessControl` (config.AccessControlList), for an app spoken to over HTTP."""

    default_action: str
    trust_domain: str
    policies: dict[tuple[str, str], _AppPolicy]

    def allows(self, app_id: str, namespace: str, trust_domain: str, operation: str, verb: str) -> bool:
        """isOperationAllowedByAccessControlPolicy for a caller with a SPIFFE id, HTTP app protocol."""
        action = self.default_action
        policy = self.policies.get((app_id, namespace))
        if policy is None or policy.trust_domain != trust_domain or policy.namespace != namespace:
            return action.lower() == ALLOW
        if policy.default_action:
            action = policy.default_action
        if not operation.startswith("/"):
            operation = "/" + operation
        found = policy.operations.search(operation.lower())
        if found is not None:
            # without a verb daprd takes the app policy's default action
            action = found.verbs.get(verb, found.verbs.get("*", action)) if verb else policy.default_action
        return action.lower() == ALLOW


def parse(document: dict[str, Any]) -> AccessControl | None:
    """ParseAccessControlSpec of a Configuration document: None when it sets no access control."""
    spec = (document.get("spec") or {}).get("accessControl")
    if not spec:
        return None
    trust_domain = str(spec.get("trustDomain") or "")
    default_action = str(spec.get("defaultAction") or "").lower()
    policies_spec = spec.get("policies")
    if not trust_domain and not default_action and not policies_spec:
        return None
    if not default_action:
        default_action = DENY if policies_spec is None or len(policies_spec) > 0 else ALLOW
    policies: dict[tuple[str, str], _AppPolicy] = {}
    missing: list[str] = []
    for item in policies_spec or []:
        app_id = str(item.get("appId") or "")
        if not app_id or not item.get("trustDomain") or not item.get("namespace"):
            missing.append(app_id or "<no appId>")
            continue
        trie = _Trie()
        for op in item.get("operations") or []:
            name = str(op.get("name") or "")
            name = (name if name.startswith("/") else "/" + name).lower()
            action = str(op.get("action") or "")
            trie.put(name, _Operation(name, {str(v): action for v in op.get("httpVerb") or []}, action))
        policy = _AppPolicy(app_id, str(item.get("defaultAction") or ""), str(item["trustDomain"]),
                            str(item["namespace"]), trie)  # fmt: skip
        policies[(app_id, policy.namespace)] = policy
    if missing:
        raise AccessControlError(
            f"invalid access control spec: a policy lacks appId, trustDomain or namespace: {missing}"
        )
    return AccessControl(default_action, trust_domain or DEFAULT_TRUST_DOMAIN, policies)


def load(path: Path) -> AccessControl | None:
    """The access control of the Configuration file at `path` (None when there is none or it sets none)."""
    if not path.is_file():
        return None
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    return parse(document) if isinstance(document, dict) else None


def config_file(root: Path, app_id: str) -> Path:
    """Where the generators write an app's Configuration: the file the dapr.io/config annotation names on
    Kubernetes (there is no local one: `dapr run -f .` runs without mTLS, where this policy would deny every call)."""
    return root / "resources" / "kubernetes" / f"{app_id}-config.yaml"


def denied_message(target: str, caller_id: str, operation: str, verb: str) -> str:
    """The message of daprd's 403 ERR_DIRECT_INVOKE for a denied call (`caller_id` the SPIFFE id)."""
    return (
        f"failed to invoke, id: {target}, err: rpc error: code = PermissionDenied desc = access control policy has "
        f"denied access to id: {caller_id} operation: {operation} verb: {verb}"
    )


def spiffe_id(app_id: str, namespace: str = DEFAULT_NAMESPACE, trust_domain: str = DEFAULT_TRUST_DOMAIN) -> str:
    return f"spiffe://{trust_domain}/ns/{namespace}/{app_id}"
