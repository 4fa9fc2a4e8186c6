// An MCP client this project did not write: the official TypeScript SDK (@modelcontextprotocol/sdk, pinned in
// package.json). It connects, lists and calls every tool, reads the resources, renders the prompts, makes a few
// calls that must fail, and prints one JSON report on stdout for tests/doors/test_mcp_external.py to judge.
//
//   node tests/doors/external_client.mjs stdio <command> [args...]
//   node tests/doors/external_client.mjs http <url>
//
// With ROOT_DIR set, the client declares that folder as its only root and asks every generator to write into it
// (output_dir "gen/<name>"), then tries the ways out: "../<OUTSIDE_NAME>", the absolute OUTSIDE_DIR, the symlink
// ROOT_DIR/link (the test points it outside), and an edited file kept unless `force`.
//
// The SDK itself checks each structured result against the tool's output schema (ajv) and throws if it does not
// match, so a clean exit also means every output schema held.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { writeFileSync } from "node:fs";
import { basename } from "node:path";
import { pathToFileURL } from "node:url";

const [mode, ...rest] = process.argv.slice(2);
if (!["stdio", "http"].includes(mode) || rest.length === 0) {
  console.error("usage: external_client.mjs stdio <command> [args...] | http <url>");
  process.exit(2);
}

const transport =
  mode === "http"
    ? new StreamableHTTPClientTransport(new URL(rest[0]))
    : new StdioClientTransport({
        command: rest[0],
        args: rest.slice(1),
        env: process.env,
        stderr: "inherit",
        cwd: process.env.SERVER_CWD ?? process.cwd(),
      });

const rootDir = process.env.ROOT_DIR ?? null;
const client = new Client(
  { name: "external-test-client", version: "1.0.0" },
  rootDir === null ? {} : { capabilities: { roots: { listChanged: false } } },
);
if (rootDir !== null) {
  client.setRequestHandler(ListRootsRequestSchema, async () => ({
    roots: [{ uri: pathToFileURL(rootDir).href, name: "workspace" }],
  }));
}
await client.connect(transport);

const summary = (result) => ({
  isError: result.isError ?? false,
  text: result.content?.find((block) => block.type === "text")?.text ?? null,
  structuredContent: result.structuredContent ?? null,
});

const report = { server: client.getServerVersion(), tools: [], calls: {}, errors: {}, prompts: {} };

const { tools } = await client.listTools();
report.tools = tools.map((t) => ({
  name: t.name,
  title: t.title ?? null,
  annotations: t.annotations ?? null,
  inputSchema: t.inputSchema,
  hasOutputSchema: Boolean(t.outputSchema),
}));

// Browse first (its result names a snippet for dapr_show_snippet), then every other tool with its defaults.
const ordered = [...tools].sort((a, b) => (a.name === "dapr_list_snippets" ? -1 : b.name === "dapr_list_snippets" ? 1 : 0));
let firstSnippet = null;
for (const tool of ordered) {
  const args = tool.name === "dapr_show_snippet" ? { id: firstSnippet ?? "none/none" } : {};
  const result = summary(await client.callTool({ name: tool.name, arguments: args }));
  if (tool.name === "dapr_list_snippets") {
    firstSnippet = result.structuredContent?.snippets?.[0]?.id ?? null;
  }
  report.calls[tool.name] = result;
}

// Calls that must come back as tool errors, with the server still answering afterwards.
const generator = tools.find((t) => t.name.startsWith("dapr_generate_"));
report.errors.unknownArgument = summary(
  await client.callTool({ name: "dapr_list_snippets", arguments: { colour: "blue" } }),
);
report.errors.badKind = summary(await client.callTool({ name: "dapr_list_snippets", arguments: { kind: "nope" } }));
report.errors.unknownSnippet = summary(
  await client.callTool({ name: "dapr_show_snippet", arguments: { id: "client/no_such_snippet" } }),
);
if (generator?.name === "dapr_generate_client") {
  report.errors.outOfRange = summary(
    await client.callTool({ name: generator.name, arguments: { timeout_seconds: 100000 } }),
  );
}
report.afterErrors = summary(await client.callTool({ name: "dapr_list_snippets", arguments: {} }));

if (rootDir !== null) {
  const call = async (name, args) => summary(await client.callTool({ name, arguments: args }));
  report.written = {};
  for (const tool of tools.filter((t) => t.name.startsWith("dapr_generate_"))) {
    report.written[tool.name] = await call(tool.name, { output_dir: `gen/${tool.name}` });
  }
  const outside = process.env.OUTSIDE_DIR;
  report.escapes = {
    dotdot: await call("dapr_generate_client", { output_dir: `../${basename(outside)}` }),
    absolute: await call("dapr_generate_client", { output_dir: outside }),
    symlink: await call("dapr_generate_client", { output_dir: "link" }),
  };
  const edited = `${rootDir}/gen/dapr_generate_client/dapr_client.py`;
  writeFileSync(edited, "# edited by the user\n");
  report.editedKept = await call("dapr_generate_client", { output_dir: "gen/dapr_generate_client" });
  report.editedForced = await call("dapr_generate_client", { output_dir: "gen/dapr_generate_client", force: true });
}

// Without roots (NO_ROOTS_OUTPUT set): the server writes under its own working directory and nowhere else.
if (rootDir === null && process.env.NO_ROOTS_OUTPUT) {
  const call = async (name, args) => summary(await client.callTool({ name, arguments: args }));
  report.noRoots = {
    inside: await call("dapr_generate_client", { output_dir: process.env.NO_ROOTS_OUTPUT }),
    outside: await call("dapr_generate_client", { output_dir: process.env.OUTSIDE_DIR }),
  };
}

report.resources = (await client.listResources()).resources.map((r) => r.uri);
report.resourceTemplates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
report.catalog = JSON.parse((await client.readResource({ uri: "dapr-snippets://catalog" })).contents[0].text);
report.specs = {
  outline: (await client.readResource({ uri: "dapr-specs://service" })).contents[0],
  schema: (await client.readResource({ uri: "dapr-specs://service/schema" })).contents[0],
};
if (firstSnippet !== null) {
  report.snippetSource = (await client.readResource({ uri: `dapr-snippets://${firstSnippet}` })).contents[0].text;
}

for (const prompt of (await client.listPrompts()).prompts) {
  const args = Object.fromEntries((prompt.arguments ?? []).filter((a) => a.required).map((a) => [a.name, "orders"]));
  const result = await client.getPrompt({ name: prompt.name, arguments: args });
  report.prompts[prompt.name] = result.messages.map((m) => m.content.text).join("\n");
}

await client.close();
process.stdout.write(JSON.stringify(report) + "\n");
