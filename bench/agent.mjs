// The agent's pure measurements (tool payload tokens, offline-planner step time), run in Node: bench/agent.ts and
// the worker modules it imports are bundled with esbuild into a temporary file first, as the worker itself is bundled.
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { summarize } from "./stats.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const PLANNER_ROUNDS = Number(process.env.BENCH_PLANNER_ROUNDS ?? 2000);
const PLANNER_WARMUP = 200;

/** A bench/*.ts module and the worker modules it imports, bundled for Node as the worker itself is bundled, then imported. */
export async function loadBundled(name) {
  const dir = mkdtempSync(join(tmpdir(), `taskpilot-bench-${name}-`));
  const outfile = join(dir, `${name}.mjs`);
  try {
    await build({ entryPoints: [join(HERE, `${name}.ts`)], bundle: true, platform: "node", format: "esm", target: "node20", outfile, logLevel: "error" });
    return await import(pathToFileURL(outfile).href);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function agentBench() {
  const bench = await loadBundled("agent");
  const payload = bench.toolPayload();
  const steps = bench.plannerSteps(PLANNER_ROUNDS, PLANNER_WARMUP);
  return {
    toolPayload: {
      method:
        "the tool list sent to the model with every provider connected (Gmail, Calendar, Slack, GitHub), function names mapped for the API; " +
        "tokens by gpt-tokenizer (o200k_base, the gpt-4o family's encoding): of the JSON tools array, and of the function list as the model renders it",
      ...payload,
      withinBudget: payload.everyProvider.jsonTokens < payload.budgetTokens,
    },
    offlinePlanner: {
      method:
        `the offline planner's plan() in Node (pure: no I/O), each of the ${steps.requests.length} example requests' two steps — choosing the tool call, and writing the answer from a typical result — ` +
        `timed ${PLANNER_ROUNDS} times each after ${PLANNER_WARMUP} warm-up rounds; microseconds`,
      requests: steps.requests,
      stepUs: summarize(steps.samplesUs),
    },
  };
}

export function printAgentTables(agent, printTable) {
  const p = agent.toolPayload;
  printTable([
    ["tool payload, every provider connected", "tools", "JSON tokens", "rendered tokens"],
    ["full list", String(p.everyProvider.tools), String(p.everyProvider.jsonTokens), String(p.everyProvider.renderedTokens)],
    ["meta tools (tools_search + tools_call)", String(p.metaTools.tools), String(p.metaTools.jsonTokens), String(p.metaTools.renderedTokens)],
  ]);
  console.log(`\nbudget: full list < ${p.budgetTokens} tokens → ${p.everyProvider.jsonTokens} (${p.withinBudget ? "met" : "NOT met"})\n`);
  const s = agent.offlinePlanner.stepUs;
  printTable([
    ["offline planner step (pure, Node)", "samples", "p50 µs", "p95 µs", "max µs"],
    ["choose the call / write the answer", String(s.samples), String(s.p50), String(s.p95), String(s.max)],
  ]);
  console.log("");
}
