import { env, runInDurableObject } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { INLINE_TOOL_BYTES } from "../../worker/agent/checkpoints";
import { agentSession } from "../../worker/agent/routes";
import { defineTool } from "../../worker/tools/define";
import { toolRegistry } from "../../worker/tools/registry";
import { answer, call, createSession, detail, inject, scriptedModel, sendMessage } from "./agent-helpers";
import { newUser } from "./integrations-helpers";

const BIG = "lorem ipsum ".repeat(1000);

let unregister: () => void;
beforeAll(() => {
  // A feature tool whose result is far past the inline limit (a long document, a page of search hits).
  unregister = toolRegistry.register({
    id: "bulk",
    tools: [defineTool({ name: "bulk.read", description: "Reads a long document.", parameters: z.object({}), run: async () => ({ text: BIG }) })],
  });
});
afterAll(() => unregister());

describe("agent sessions: large tool outputs", () => {
  it("are stored under their own key and referenced from the checkpoint, and the model still gets them whole", async () => {
    const u = await newUser();
    const id = await createSession(u.token);
    const model = scriptedModel([
      call("c1", "bulk.read", {}),
      (req) => {
        const tool = req.messages.find((m) => m.role === "tool") as { content: string };
        expect(JSON.parse(tool.content)).toEqual({ text: BIG });
        return answer("Read it.")(req);
      },
    ]);
    await inject(id, model);
    expect((await sendMessage(u.token, id, "read the document")).status).toBe(200);
    expect(JSON.stringify({ text: BIG }).length).toBeGreaterThan(INLINE_TOOL_BYTES);

    const stored = await runInDurableObject(agentSession(env, id), async (_i, state) => {
      const blobs = await state.storage.list<string>({ prefix: "blob:" });
      const cps = await state.storage.list<any>({ prefix: "cp:" });
      return { blobs: [...blobs.values()], cps: [...cps.values()] };
    });
    expect(stored.blobs).toEqual([JSON.stringify({ text: BIG })]);
    const step = stored.cps.find((c) => c.reason === "step 1");
    const toolMessage = step.turn.transcript.find((m: any) => m.role === "tool");
    expect(toolMessage).toMatchObject({ toolCallId: "c1", ref: expect.any(String) });
    expect(toolMessage.content).toBeUndefined();
    for (const cp of stored.cps) expect(JSON.stringify(cp)).not.toContain(BIG.slice(0, 200));
    expect((await detail(u.token, id)).messages[1].steps[0]).toMatchObject({ tool: "bulk.read", status: "ok", summary: "bulk.read: done" });
  });
});
