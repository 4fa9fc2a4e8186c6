"""Route matching the way daprd's chi router does it (references/dapr-contract.md §0, §1.6, pitfall 24).

* The request path is the *escaped* path (``scope["raw_path"]``) passed through Go's ``path.Clean``.
* ``{param}`` matches one escaped segment; ``*`` matches the rest (the pub/sub topic may contain ``/``).
* Static segments win over parameters, parameters over the catch-all; a route whose path matches but whose
  verb does not is skipped, so the search goes on, exactly like chi's backtracking.
* Matched parameters are ``url.QueryUnescape``-d afterwards; a bad escape is a 400 ``text/plain`` answer.
* Nothing matched (wrong path *or* wrong verb): the service-invocation handler runs as the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from tools.standin.wire import Request, Response

Handler = Callable[[Request, dict[str, str]], Awaitable[Response]]

_PARAM = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint: ``template`` such as ``/v1.0/state/{storeName}/{key}``; ``methods`` empty = any verb."""

    methods: tuple[str, ...]
    template: str
    handler: Handler
    name: str

    @property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.template)

    @property
    def priority(self) -> tuple[int, ...]:
        ranks: list[int] = []
        for segment in self.template.strip("/").split("/"):
            if segment == "*":
                ranks.append(2)
            elif _PARAM.fullmatch(segment):
                ranks.append(1)
            else:
                ranks.append(0)
        return tuple(ranks)


_CACHE: dict[str, re.Pattern[str]] = {}


def _compile(template: str) -> re.Pattern[str]:
    cached = _CACHE.get(template)
    if cached is not None:
        return cached
    parts: list[str] = []
    for segment in template.strip("/").split("/"):
        if segment == "*":
            parts.append("(?P<wildcard>.*)")
            continue
        match = _PARAM.fullmatch(segment)
        parts.append(f"(?P<{match.group(1)}>[^/]+)" if match else re.escape(segment))
    pattern = re.compile("^/" + "/".join(parts) + "$")
    _CACHE[template] = pattern
    return pattern


def route(methods: Sequence[str], template: str, handler: Handler, name: str) -> Route:
    return Route(tuple(m.upper() for m in methods), template, handler, name)


class Router:
    """An ordered route table with chi's priorities."""

    def __init__(self, routes: Sequence[Route]) -> None:
        self.routes = sorted(routes, key=lambda r: r.priority)

    def match(self, method: str, cleaned_path: str) -> tuple[Route, dict[str, str]] | None:
        """The first route whose path and verb match, with its *escaped* parameters."""
        for candidate in self.routes:
            found = candidate.regex.match(cleaned_path)
            if found is None:
                continue
            if candidate.methods and method.upper() not in candidate.methods:
                continue
            return candidate, {k: v for k, v in found.groupdict().items() if v is not None}
        return None
