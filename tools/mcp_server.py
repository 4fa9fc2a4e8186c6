"""`dapr-coder mcp`: the engine's generators as MCP tools, its snippets as resources, its common flows as prompts.

Everything is built from `skill.REGISTRY` and the snippet catalog when the server is built, once:

- tools: `dapr_generate_<name>` per generator (input schema = that generator's spec model), plus
  `dapr_list_snippets` and `dapr_show_snippet`; all read-only, idempotent and closed-world (see `_mcp_tools`);
- resources: `dapr-snippets://catalog` (JSON), every snippet's raw template at `dapr-snippets://{kind}/{name}` and
  its default rendering at `dapr-snippets://{kind}/{name}/rendered` (also listed one by one);
- prompts: new event-driven service, add a pub/sub subscription, add a scheduled job (see `_mcp_prompts`).

Transports: stdio (default) or streamable HTTP at `http://HOST:PORT/mcp`. Logs go to stderr only: on stdio, stdout
carries the protocol.
"""

from __future__ import annotations

import functools
import logging
import sys
from importlib.metadata import PackageNotFoundError, version

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.server.mcpserver.resources import FunctionResource

from skill import REGISTRY, SkillError, SnippetDetail, SpecError, list_snippets, show_snippet
from tools._mcp_prompts import build_prompts
from tools._mcp_tools import LIST_TOOL, SHOW_TOOL, build_tools
from tools._present import internal_failure

__all__ = ["CATALOG_URI", "SERVER_NAME", "build_server", "serve"]

SERVER_NAME = "async-dapr-coder"
CATALOG_URI = "dapr-snippets://catalog"
_SNIPPET_URI = "dapr-snippets://{kind}/{name}"
_RENDERED_URI = "dapr-snippets://{kind}/{name}/rendered"


def _version() -> str:
    try:
        return version(SERVER_NAME)
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0"


def _instructions() -> str:
    generators = "; ".join(f"`{g.tool_name}`: {g.title}" for g in REGISTRY.values())
    return (
        "Writes async Python for Dapr (httpx sidecar client, and more generators as they land), formatted and "
        f"linted before it is returned. Generators: {generators}. Browse first with `{LIST_TOOL}` / `{SHOW_TOOL}` "
        "or the dapr-snippets:// resources. Tools never write files: write the returned files as they are, add "
        "the returned requirements, read the notes, then run the project's checks and tests."
    )


def _detail(kind: str, name: str) -> SnippetDetail:
    try:
        return show_snippet(f"{kind}/{name}")  # only ids in the catalog are read: nothing else is reachable
    except SpecError as exc:
        raise ResourceNotFoundError("; ".join(str(p) for p in exc.problems)) from None
    except SkillError as exc:  # a snippet that fails to render is our defect: say so instead of "internal error"
        raise ResourceError(internal_failure(exc)) from exc


def snippet_source(kind: str, name: str) -> str:
    """The snippet's raw Jinja template, as it is in `snippets/`."""
    return _detail(kind, name).source


def snippet_rendered(kind: str, name: str) -> str:
    """What the snippet renders to with its generator's defaults (formatted and linted)."""
    files = _detail(kind, name).rendered
    if len(files) == 1:
        return files[0].content
    return "".join(f"# ===== {f.path} =====\n{f.content}" for f in files)


def _catalog_json() -> str:
    return list_snippets().model_dump_json(indent=2)


def _add_resources(server: MCPServer) -> None:
    server.add_resource(
        FunctionResource.from_function(
            _catalog_json,
            uri=CATALOG_URI,
            name="snippet-catalog",
            title="Dapr snippet catalog",
            description="Every snippet: id, kind, title, summary, required packages, template path.",
            mime_type="application/json",
        )
    )
    # Template parameters pass the SDK's default path-safety checks (no '..', absolute paths or NUL), and then
    # must name a catalogued snippet (see `_detail`): nothing outside the catalog is ever read.
    server.resource(
        _SNIPPET_URI,
        name="snippet-source",
        title="Snippet template",
        description="A snippet's raw Jinja template; {kind}/{name} is its id.",
        mime_type="text/plain",
    )(snippet_source)
    server.resource(
        _RENDERED_URI,
        name="snippet-rendered",
        title="Snippet, rendered with defaults",
        description="What a snippet renders to with its generator's defaults, formatted and linted.",
        mime_type="text/plain",
    )(snippet_rendered)
    for s in list_snippets().snippets:
        kind, _, name = s.id.partition("/")
        for uri, fn, what in (
            (_SNIPPET_URI, snippet_source, "template"),
            (_RENDERED_URI, snippet_rendered, "rendered"),
        ):
            server.add_resource(
                FunctionResource.from_function(
                    functools.partial(fn, kind, name),
                    uri=uri.format(kind=kind, name=name),
                    name=f"{s.id} ({what})",
                    title=f"{s.title} ({what})",
                    description=s.summary,
                    mime_type="text/plain",
                )
            )


def build_server() -> MCPServer:
    """A fresh server with every tool, resource and prompt; schemas are built here, once."""
    server = MCPServer(
        SERVER_NAME,
        title="async-dapr-coder",
        instructions=_instructions(),
        version=_version(),
        tools=build_tools(),
        log_level="WARNING",
    )
    _add_resources(server)
    for prompt in build_prompts():
        server.add_prompt(prompt)
    return server


def serve(*, http: bool = False, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve over stdio (default) or streamable HTTP at http://HOST:PORT/mcp. Blocks until stopped."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log = logging.getLogger(__name__)
    log.setLevel(logging.INFO)
    server = build_server()
    if http:
        log.info("serving MCP (streamable HTTP) on http://%s:%d/mcp", host, port)
        server.run("streamable-http", host=host, port=port)
    else:
        server.run("stdio")
