"""`dapr-coder mcp`: the engine's generators as MCP tools, its snippets as resources, its common flows as prompts.

Everything is built from `skill.REGISTRY` and the snippet catalog when the server is built, once:

- tools: `dapr_generate_<name>` per generator (input schema = that generator's spec model), plus
  `dapr_list_snippets` and `dapr_show_snippet`; all read-only, idempotent and closed-world (see `_mcp_tools`);
- resources: `dapr-snippets://catalog` (JSON), and two templates, every snippet's raw template at
  `dapr-snippets://{kind}/{name}` and its default rendering at `dapr-snippets://{kind}/{name}/rendered` (the
  catalog lists the ids; listing each snippet twice cost every agent 24,000 characters on connecting); and two
  more, the outline of each generator's options at `dapr-specs://{generator}` and the JSON Schema of its tool's
  arguments at `dapr-specs://{generator}/schema` (the tools list only the top level, as types);
- prompts: new event-driven service, add a pub/sub subscription, add a scheduled job (see `_mcp_prompts`).

Transports: stdio (default; see `_stdio`) or streamable HTTP at `http://HOST:PORT/mcp` (see `_http` for who may
reach it). Logs go to stderr only: on stdio, stdout carries the protocol.
"""

from __future__ import annotations

import gc
import json
import logging
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
from mcp.server.mcpserver.resources import FunctionResource
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS, GetPromptResult, InputRequiredResult

from skill import (
    REGISTRY,
    Generator,
    SkillError,
    SnippetDetail,
    SpecError,
    list_snippets,
    show_snippet,
    skill_version,
)
from tools._answer import RESULT_URI_PREFIX, ResultStore
from tools._mcp_prompts import build_prompts
from tools._mcp_tools import (
    SCHEMA_URI,
    SPECS_URI,
    argument_schema,
    build_tools,
    options_outline,
)
from tools._present import internal_failure
from tools._stdio import run_stdio

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context

__all__ = ["CATALOG_URI", "SERVER_NAME", "build_server", "serve", "tune_gc"]

SERVER_NAME = "async-dapr-coder"
CATALOG_URI = "dapr-snippets://catalog"
_SNIPPET_URI = "dapr-snippets://{kind}/{name}"
_RENDERED_URI = "dapr-snippets://{kind}/{name}/rendered"


def _instructions(registry: Mapping[str, Generator]) -> str:
    generators = ", ".join(f"`{g.tool_name}`" for g in registry.values())
    return (
        "Writes async Python for Dapr, formatted and linted. A whole service is one `dapr_generate_service` call. "
        f"Generators: {generators}; their options: resource `dapr-specs://<generator>` (`.../schema`: JSON "
        "Schema). Give `output_dir` (in your roots): the files are written in that project's style, the answer "
        "outlines their API (read it, not the files). A file you edited is kept unless `force`. `verify: true` runs "
        "the result's checks (tests, mypy --strict, ruff)."
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


def _add_spec_resources(server: MCPServer[Any], registry: Mapping[str, Generator]) -> None:
    """Two templates for every generator: `dapr-specs://{generator}`, the outline of its options (what an agent
    reads to fill them), and `dapr-specs://{generator}/schema`, the complete JSON Schema of its tool's arguments
    (the tools list only the top level). Built once, with the server; templates, not one entry per generator, so
    that `resources/list` stays small."""
    outlines = {g.name: options_outline(g, registry) for g in registry.values()}
    schemas = {g.name: json.dumps(argument_schema(g), separators=(",", ":")) for g in registry.values()}

    def pick(found: Mapping[str, str], generator: str, uri: str) -> str:
        if generator not in found:
            shown = uri.format(generator=generator if len(generator) <= 80 else generator[:77] + "...")
            raise ResourceNotFoundError(f"{shown}: no such generator; generators: {', '.join(found)}")
        return found[generator]

    def options(generator: str) -> str:
        return pick(outlines, generator, options_uri)

    def schema(generator: str) -> str:
        return pick(schemas, generator, schema_uri)

    options_uri = SPECS_URI.replace("{name}", "{generator}")
    schema_uri = SCHEMA_URI.replace("{name}", "{generator}")

    server.resource(
        options_uri,
        name="generator-options",
        description="A generator's options, outlined.",
        mime_type="text/plain",
    )(options)
    server.resource(
        schema_uri,
        name="generator-schema",
        description="A generator tool's JSON Schema.",
        mime_type="application/schema+json",
    )(schema)


def _add_resources(server: MCPServer[Any]) -> None:
    server.add_resource(
        FunctionResource.from_function(
            _catalog_json,
            uri=CATALOG_URI,
            name="snippet-catalog",
            description="Every snippet: id, kind, title, summary, packages, template.",
            mime_type="application/json",
        )
    )
    # Template parameters pass the SDK's default path-safety checks (no '..', absolute paths or NUL), and then
    # must name a catalogued snippet (see `_detail`): nothing outside the catalog is ever read.
    server.resource(
        _SNIPPET_URI,
        name="snippet-source",
        description="A snippet's Jinja template.",
        mime_type="text/plain",
    )(snippet_source)
    server.resource(
        _RENDERED_URI,
        name="snippet-rendered",
        description="A snippet, rendered with defaults.",
        mime_type="text/plain",
    )(snippet_rendered)


class _Server(MCPServer[Any]):
    results: ResultStore  # generated files too big to answer inline (dapr-results://)

    async def read_resource(
        self, uri: Any, context: Context[Any, Any] | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        """`dapr-results://<sha256>/<path>` from the bounded result store; every other URI as registered."""
        if str(uri).startswith(RESULT_URI_PREFIX):
            text = self.results.get(str(uri))
            if text is None:
                raise ResourceNotFoundError(f"{uri} is not (or no longer) held: call the generator again")
            return [ReadResourceContents(content=text, mime_type="text/plain")]
        return await super().read_resource(uri, context)

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context[Any, Any] | None = None
    ) -> GetPromptResult | InputRequiredResult:
        """An unknown prompt name is the caller's error (INVALID_PARAMS, naming the prompts there are); the SDK
        answers it with code 0 and logs a traceback, as if the server had failed."""
        known = [p.name for p in await self.list_prompts()]
        if name not in known:
            shown = repr(name) if len(name) <= 80 else repr(name[:77]) + "..."
            message = f"name: is not a prompt of this server (got {shown}); prompts: {', '.join(known)}"
            raise MCPError(code=INVALID_PARAMS, message=message)
        return await super().get_prompt(name, arguments, context)


def build_server(registry: Mapping[str, Generator] | None = None) -> MCPServer[Any]:
    """A fresh server with every tool, resource and prompt; schemas are built here, once. `registry` is the engine's
    REGISTRY unless a test gives another."""
    generators = REGISTRY if registry is None else registry
    results = ResultStore()
    server = _Server(
        SERVER_NAME,
        title="async-dapr-coder",
        instructions=_instructions(generators),
        version=skill_version(),
        tools=build_tools(generators, results),
        log_level="WARNING",
    )
    server.results = results
    _add_resources(server)
    _add_spec_resources(server, generators)
    for prompt in build_prompts():
        server.add_prompt(prompt)
    return server


def serve(
    *,
    http: bool = False,
    host: str = "127.0.0.1",
    port: int = 8765,
    allow_remote: bool = False,
    allowed_hosts: Sequence[str] = (),
    auth_token: str | None = None,
    auth_token_env: str | None = None,
) -> None:
    """Serve over stdio (default) or streamable HTTP at http://HOST:PORT/mcp. Blocks until stopped.

    Raises HttpOptionError (options that would expose the server, an address that cannot be bound) before
    anything is served or logged; see `tools._http` for the HTTP options.
    """
    if not http:
        log = _logging()
        server = build_server()
        tune_gc()
        # stdout carries JSON-RPC only; one line on stderr says the server is up (it is silent until a client speaks).
        log.info("serving MCP on stdio: JSON-RPC on stdin/stdout, waiting for a client (close stdin or Ctrl-C stops)")
        anyio.run(run_stdio, server)
        return
    from tools._http import build_app, exposure, is_loopback, listen, run_http  # only the HTTP transport needs these

    who = exposure(
        host, allow_remote=allow_remote, allowed_hosts=allowed_hosts, token=auth_token, token_env=auth_token_env
    )
    sock = listen(host, port)
    log = _logging()
    try:
        app = build_app(build_server(), who)
        tune_gc()
        bound = sock.getsockname()
        url_host = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        log.info("serving MCP (streamable HTTP) on http://%s:%d/mcp", url_host, bound[1])
        if who.token is None and not is_loopback(host):
            log.warning(
                "no --auth-token-env: any client that can reach this port and names an allowed host can call the tools"
            )
        run_http(app, sock)
    finally:
        sock.close()


# Objects allocated between young-generation collections. A tool call allocates tens of thousands of short-lived
# objects (pydantic models, syntax trees, Jinja output); with the default (700) the collector runs dozens of times a
# call and a full collection now and then adds 10-20 ms. Memory stays bounded: every collection still runs, less often.
_YOUNG_GENERATION = 20_000


def tune_gc() -> None:
    """Once the server is built: move what it holds to the permanent generation (never scanned again) and collect
    the young generation less often, so a warm tool call does not pay for the garbage collector scanning the whole
    process (measured: median 23 -> 19 ms, p90 34 -> 23 ms for an uncached client call in process)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(_YOUNG_GENERATION, 20, 50)


def _logging() -> logging.Logger:
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    log = logging.getLogger(__name__)
    log.setLevel(logging.INFO)
    return log
