import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { agentSession } from "../../worker/agent/stub";
import { AccountExport } from "../../worker/contract/auth";
import { deleteAccount, exportAccount, rowCounts } from "./account-helpers";
import { answer, createSession, inject, scriptedModel, sendMessage } from "./agent-helpers";
import { register } from "./auth-helpers";

describe("agent sessions and the account", () => {
  it("the export holds the user's sessions with their messages; deletion removes every session and message row and the session objects' storage", async () => {
    const user = await register();
    const id = await createSession(user.accessToken, "Kept in the export");
    await inject(id, scriptedModel([answer("Here is your answer.")]));
    expect((await sendMessage(user.accessToken, id, "hello")).status).toBe(200);

    const data = AccountExport.parse(await (await exportAccount(user.accessToken)).json());
    expect(data.sessions).toHaveLength(1);
    expect(data.sessions[0]).toMatchObject({ id, title: "Kept in the export", status: "active" });
    expect(data.sessions[0]!.messages.map((m) => [m.role, m.content])).toEqual([
      ["user", "hello"],
      ["assistant", "Here is your answer."],
    ]);

    const before = await rowCounts(user.user.id);
    expect(before["agent_sessions.user_id"]).toBe(1);
    expect(before["agent_messages.user_id"]).toBe(2);
    expect((await deleteAccount(user.accessToken, { password: user.password })).status).toBe(204);
    const after = await rowCounts(user.user.id);
    expect(after["agent_sessions.user_id"]).toBe(0);
    expect(after["agent_messages.user_id"]).toBe(0);
    // The conversation in the session object's own storage goes too.
    const left = await runInDurableObject(agentSession(env, id), async (_i, state) => (await state.storage.list()).size);
    expect(left).toBe(0);
  });
});
