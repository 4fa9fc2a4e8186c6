"""The golden cases: a name, a generator and a spec. Each has a folder of expected output beside this file."""

from __future__ import annotations

CASES: dict[str, tuple[str, dict[str, object]]] = {
    "client-default": ("client", {}),
    "client-state-httpx": ("client", {"blocks": ["state"], "transport": "httpx"}),
    "client-aiohttp-1.18": ("client", {"transport": "aiohttp", "dapr_version": "1.18", "class_name": "Sidecar"}),
}
