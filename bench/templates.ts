import type { IntegrationStatus } from "../worker/contract/integrations";
import type { Template } from "../worker/contract/templates";
import { clearComposeCache, composeCached, type LiveTools } from "../worker/templates/compose";
import { BUILTIN_TEMPLATES } from "../worker/templates/library";
import { toolRegistry } from "../worker/tools/registry";

/**
 * The prompt generator's own time for `npm run bench`, bundled for Node by
 * bench/templates.mjs: composeCached() on every built-in template with every
 * integration connected, cold (the cache emptied before each call: parse,
 * check the values, interpolate, map the tools, write the system prompt) and
 * cached (the same call again: build the key, look it up). Pure, so Node
 * times the code that workerd runs, where a clock does not move during
 * computation and the same timing inside the worker would read 0.
 */

const SAMPLE: Record<string, string> = { sender: "ana@example.com", channel: "#general", count: "5", document: "the retro notes", repo: "octo/app", day: "tomorrow" };

function everyProvider(): LiveTools {
  const tools = toolRegistry.list();
  const status = new Map<string, IntegrationStatus>(["gmail", "calendar", "slack", "github"].map((p) => [p, "active"]));
  const integration = new Map(tools.map((t) => [t.name, t.source.integration]));
  return { tools: tools.map((t) => t.name), status, integrationOf: (name) => integration.get(name), revision: "bench" };
}

const valuesOf = (t: Template) => Object.fromEntries(t.variables.map((v) => [v.name, SAMPLE[v.name]!]));

/** Microseconds per call, cold and cached, `rounds` times over every built-in after `warmup` rounds. */
export function composeTimes(rounds: number, warmup: number): { cold: number[]; cached: number[]; templates: number } {
  const live = everyProvider();
  const cold: number[] = [];
  const cached: number[] = [];
  for (let round = 0; round < warmup + rounds; round++) {
    for (const template of BUILTIN_TEMPLATES) {
      const values = valuesOf(template);
      clearComposeCache();
      let t = performance.now();
      const first = composeCached(template, values, live);
      const c = performance.now() - t;
      t = performance.now();
      const again = composeCached(template, values, live);
      const h = performance.now() - t;
      if (first.cached || !again.cached || first.confidence !== "high") throw new Error(`unexpected preview of ${template.id}`);
      if (round >= warmup) (cold.push(c * 1000), cached.push(h * 1000));
    }
  }
  return { cold, cached, templates: BUILTIN_TEMPLATES.length };
}
