"""Valid components specs for hypothesis (for tests/engine/strategies.py's STRATEGIES["components"] too)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["components_specs"]

_NAMES = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
_TOPICS = st.from_regex(r"[A-Za-z0-9._-]{1,20}", fullmatch=True)


@st.composite
def _spec(draw: st.DrawFn) -> dict[str, Any]:
    topics = draw(st.lists(_TOPICS, min_size=1, max_size=4, unique=True))
    ids = draw(st.lists(_NAMES, min_size=1, max_size=4, unique=True))
    ports = draw(st.lists(st.integers(1024, 65535), min_size=len(ids), max_size=len(ids), unique=True))
    with_pubsub, with_state, with_secrets = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    roles = [r for r, on in (("pubsub", with_pubsub), ("state", with_state), ("secrets", with_secrets)) if on]
    apps = []
    for app_id, port in zip(ids, ports, strict=True):
        uses = draw(st.lists(st.sampled_from(roles), unique=True)) if roles else []
        subscribes = draw(st.lists(st.sampled_from(topics), unique=True)) if "pubsub" in uses else []
        apps.append({"app_id": app_id, "port": port, "uses": uses, "subscribes": subscribes})
    names = draw(st.lists(_NAMES, min_size=3, max_size=3, unique=True).filter(lambda n: "kubernetes" not in n))
    spec: dict[str, Any] = {
        "apps": apps,
        "pubsub": {"name": names[0], "topics": topics,
                   "kafka": {"auth": draw(st.sampled_from(["password", "none"]))}} if with_pubsub else None,
        "state": {"name": names[1], "postgresql_version": draw(st.sampled_from(["v1", "v2"])),
                  "actor_state_store": draw(st.booleans())} if with_state else None,
        "secret_store": {"name": names[2]} if with_secrets else None,
        "environments": draw(st.sampled_from([["local"], ["kubernetes"], ["local", "kubernetes"]])),
        "subscriptions": draw(st.sampled_from(["programmatic", "declarative"])),
        "replicas": draw(st.integers(1, 5)),
    }  # fmt: skip
    return spec


def components_specs() -> st.SearchStrategy[dict[str, Any]]:
    return _spec()
