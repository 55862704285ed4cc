import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const worker = resolve(dirname(fileURLToPath(import.meta.url)), "../../worker");
const realtime = join(worker, "realtime");

/** Relative module specifiers of a TypeScript file: static imports and re-exports, type-only ones included. */
function specifiers(file: string): string[] {
  const source = readFileSync(file, "utf8");
  const found = [...source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']/g), ...source.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)];
  return found.map((m) => m[1]!).filter((s) => s.startsWith("."));
}

function resolveModule(from: string, specifier: string): string {
  const base = resolve(dirname(from), specifier);
  const candidate = [base, `${base}.ts`, join(base, "index.ts")].find((p) => existsSync(p) && p.endsWith(".ts"));
  if (!candidate) throw new Error(`cannot resolve ${specifier} from ${relative(worker, from)}`);
  return candidate;
}

/** Every worker module reachable from `roots`, with the chain that first reached it. */
function reachable(roots: string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>(roots.map((r) => [r, [relative(worker, r)]]));
  const queue = [...roots];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const specifier of specifiers(file)) {
      const target = resolveModule(file, specifier);
      if (seen.has(target)) continue;
      seen.set(target, [...seen.get(file)!, relative(worker, target)]);
      queue.push(target);
    }
  }
  return seen;
}

describe("worker/realtime knows nothing of worker/integrations", () => {
  it("no realtime module imports an integrations module, directly or through another module", () => {
    const roots = readdirSync(realtime)
      .filter((f) => f.endsWith(".ts"))
      .map((f) => join(realtime, f));
    expect(roots.length).toBeGreaterThan(0);
    const chains = [...reachable(roots).entries()].filter(([file]) => file.startsWith(join(worker, "integrations") + "/")).map(([, chain]) => chain.join(" → "));
    expect(chains).toEqual([]);
  });

  it("the scan sees an import when there is one", () => {
    // Guards the scanner itself: integrations does import realtime (publish), so the same walk from there finds it.
    const fromIntegrations = reachable([join(worker, "integrations", "events.ts")]);
    expect([...fromIntegrations.keys()]).toContain(join(realtime, "publish.ts"));
  });
});
