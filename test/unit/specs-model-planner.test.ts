import { describe, expect, it } from "vitest";
import type { ChatModel, ModelRequest, ModelResponse } from "../../worker/agent/model";
import { ModelSpecPlanner } from "../../worker/specs/model-planner";
import { specPlannerFor } from "../../worker/specs/planner";

/** A model that answers from a list and keeps what it was asked. */
function model(answers: Array<Partial<ModelResponse>>) {
  const asked: ModelRequest[] = [];
  const m: ChatModel = {
    id: "gpt-4o-mini",
    label: "gpt-4o-mini",
    offline: false,
    async complete(request) {
      asked.push(request);
      const a = answers.shift() ?? {};
      return { content: "", toolCalls: [], usage: { promptTokens: 1, completionTokens: 1 }, finishReason: "stop", ...a };
    },
  };
  return { m, asked };
}

const draft = { title: "Login", prompt: "Add login.", messages: [{ role: "user" as const, content: "Use OAuth." }] };

describe("the spec planner over a language model", () => {
  it("is chosen only when a model is configured", () => {
    expect(specPlannerFor({ openai: { apiKey: undefined, baseUrl: undefined, model: "gpt-4o-mini" } } as never).offline).toBe(true);
    expect(specPlannerFor({ openai: { apiKey: "sk-test", baseUrl: undefined, model: "gpt-4o-mini" } } as never).offline).toBe(false);
  });

  it("plans from JSON (fenced or not), sending the prompt and the chat", async () => {
    const { m, asked } = model([{ content: '```json\n{"prdMarkdown": "# Login\\n", "tasks": [{"title": "Add OAuth", "acceptanceCriteria": ["works"], "files": ["src/auth.ts"]}]}\n```' }]);
    const plan = await new ModelSpecPlanner(m).plan(draft);
    expect(plan).toEqual({ prdMarkdown: "# Login\n", tasks: [{ title: "Add OAuth", acceptanceCriteria: ["works"], files: ["src/auth.ts"] }] });
    expect(asked[0]!.tools).toEqual([]);
    expect(asked[0]!.messages.map((x) => x.role)).toEqual(["system", "user", "user"]);
  });

  it("refuses an answer that is not the JSON asked for, in words, and a failed call with the model's", async () => {
    await expect(new ModelSpecPlanner(model([{ content: "Sure! Here is a plan: …" }]).m).plan(draft)).rejects.toMatchObject({ code: "model_bad_answer", status: 502 });
    await expect(new ModelSpecPlanner(model([{ content: '{"prdMarkdown": "x", "tasks": []}' }]).m).plan(draft)).rejects.toMatchObject({ code: "model_bad_answer" });
    await expect(new ModelSpecPlanner(model([{ content: "rate limited", finishReason: "error" }]).m).reply(draft)).rejects.toMatchObject({ code: "model_failed", detail: "rate limited" });
  });

  it("implements a task from the files it names, and always rewrites the spec document itself", async () => {
    const { m, asked } = model([{ content: JSON.stringify({ changes: [{ path: "src/auth.ts", content: "export {}\n" }, { path: "docs/specs/login.md", content: "ignored" }], summary: "added OAuth" }) }]);
    const work = await new ModelSpecPlanner(m).implement({
      specId: "s1",
      slug: "login",
      title: "Login",
      prdMarkdown: "# Login\n",
      tasks: [{ id: "t1", title: "Add OAuth", acceptanceCriteria: ["works"], files: ["src/auth.ts", "src/missing.ts"], status: "pending", result: null, commitSha: null }],
      index: 0,
      repo: { repo: "o/r", branch: "b", paths: ["src/auth.ts"], read: async (p) => (p === "src/auth.ts" ? "// old\n" : null) },
    });
    expect(work.summary).toBe("added OAuth");
    expect(work.changes.map((c) => c.path)).toEqual(["src/auth.ts", "docs/specs/login.md"]);
    expect(work.changes[1]!.content).toContain("- [x] 1. Add OAuth — added OAuth");
    expect(String(asked[0]!.messages[1]!.content)).toContain("--- src/auth.ts\n// old");
  });
});
