// Warm MCP tool-call latency seen by the official TypeScript SDK client (the external client of the test suite).
// bench/mcp_latency.py runs it after its own Python-client measurement; it prints one JSON object on stdout:
// {"<case label>": [ms, ...], ...} with the same cases and the same fresh-spec-per-call rule.
//
//   node bench/mcp_latency.mjs <calls> <warmup> <server command> [args...]

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";

const [callsText, warmupText, command, ...args] = process.argv.slice(2);
const calls = Number(callsText);
const warmup = Number(warmupText);
if (!command || !(calls > 0) || !(warmup >= 0)) {
  console.error("usage: mcp_latency.mjs <calls> <warmup> <server command> [args...]");
  process.exit(2);
}

const cases = [
  ["dapr_generate_client, same spec (served from cache)", "dapr_generate_client", () => ({})],
  ["dapr_generate_client, new spec each call (engine runs)", "dapr_generate_client", (i) => ({ class_name: `Dapr${i}` })],
  [
    "  ... long names, line length 79-120, every transport",
    "dapr_generate_client",
    (i) => ({
      class_name: `OrderSidecarClient${i}`,
      line_length: [79, 88, 100, 120][i % 4],
      transport: ["auto", "httpx", "aiohttp"][i % 3],
    }),
  ],
  ["  ... state + pubsub only, new spec each call", "dapr_generate_client", (i) => ({ blocks: ["state", "pubsub"], class_name: `Dapr${i}` })],
  ["dapr_list_snippets (trivial round trip)", "dapr_list_snippets", () => ({})],
];

const client = new Client({ name: "latency-bench", version: "1.0.0" });
await client.connect(new StdioClientTransport({ command, args, env: process.env, stderr: "inherit" }));
let serial = 0;
const report = {};
for (const [label, tool, makeArgs] of cases) {
  for (let i = 0; i < warmup; i++) {
    const result = await client.callTool({ name: tool, arguments: makeArgs(serial++) });
    if (result.isError) throw new Error(`${tool} failed: ${JSON.stringify(result.content)}`);
  }
  const samples = [];
  for (let i = 0; i < calls; i++) {
    const toolArgs = makeArgs(serial++);
    const start = performance.now();
    await client.callTool({ name: tool, arguments: toolArgs });
    samples.push(performance.now() - start);
  }
  report[label] = samples;
}
await client.close();
console.log(JSON.stringify(report));
