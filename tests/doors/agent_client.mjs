// Plays an IDE agent with the official TypeScript SDK (@modelcontextprotocol/sdk, pinned in package.json): it
// connects over stdio declaring ROOT_DIR as its only root, then does each task of the plan (a JSON file named by
// PLAN) in one generator call, and once more with the task's `corrected` arguments if the first was refused. It
// prints one JSON report on stdout for tests/doors/test_mcp_agent.py to judge: what connecting cost, the size of
// the service's options outline (dapr-specs://service), and per task each call's refusal (if any), the sizes of
// what it answered, and the answer itself.
//
//   ROOT_DIR=... PLAN=plan.json node tests/doors/agent_client.mjs <command> [args...]

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { ListRootsRequestSchema } from "@modelcontextprotocol/sdk/types.js";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [command, ...args] = process.argv.slice(2);
const rootDir = process.env.ROOT_DIR;
const plan = JSON.parse(readFileSync(process.env.PLAN, "utf-8"));

const transport = new StdioClientTransport({ command, args, env: process.env, stderr: "inherit", cwd: rootDir });
const client = new Client(
  { name: "agent-test-client", version: "1.0.0" },
  { capabilities: { roots: { listChanged: false } } },
);
client.setRequestHandler(ListRootsRequestSchema, async () => ({
  roots: [{ uri: pathToFileURL(rootDir).href, name: "workspace" }],
}));
await client.connect(transport);

// What connecting costs (the instructions and every list, as the SDK hands them over), and the outline of the
// service's options the agent reads before filling them.
const size = (value) => JSON.stringify(value).length;
const connecting = {
  instructions: (client.getInstructions() ?? "").length,
  "tools/list": size(await client.listTools()),
  "resources/list": size(await client.listResources()),
  "resources/templates/list": size(await client.listResourceTemplates()),
  "prompts/list": size(await client.listPrompts()),
};
const options = (await client.readResource({ uri: "dapr-specs://service" })).contents[0].text;

const report = { connecting, optionsChars: options.length, tasks: {} };
for (const task of plan) {
  const calls = [];
  for (const args of [task.arguments, task.corrected ?? null]) {
    if (args === null) break;
    const result = await client.callTool({ name: task.tool, arguments: args }, undefined, { timeout: 900_000 });
    const text = result.content?.find((block) => block.type === "text")?.text ?? "";
    calls.push({
      isError: result.isError ?? false,
      text,
      textChars: text.length,
      structuredChars: JSON.stringify(result.structuredContent ?? null).length,
      structuredContent: result.structuredContent ?? null,
    });
    if (!(result.isError ?? false)) break;
  }
  report.tasks[task.name] = calls;
}
await client.close();
process.stdout.write(JSON.stringify(report));
