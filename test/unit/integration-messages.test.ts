import { describe, expect, it } from "vitest";
import { describeError, describeEventDetail, shortScope } from "../../web/src/routes/integrations/messages";

describe("the debug history's wording", () => {
  it("shows scope lists as short names separated by commas, not a JSON array of URLs", () => {
    const line = describeEventDetail({
      account: "ada@example.test",
      scopes: ["openid", "https://www.googleapis.com/auth/gmail.readonly", "https://www.googleapis.com/auth/gmail.send"],
      sandbox: true,
      error: null,
      note: "",
    });
    expect(line).toBe("account: ada@example.test · scopes: openid, gmail.readonly, gmail.send · sandbox: true");
  });

  it("keeps other values as JSON and Slack/GitHub scopes as they are", () => {
    expect(describeEventDetail({ retryAfter: 30, extra: { a: 1 } })).toBe('retryAfter: 30 · extra: {"a":1}');
    expect(shortScope("chat:write")).toBe("chat:write");
  });

  it("tells a person what a callback from another browser means, not a bare code", () => {
    const text = describeError("browser_mismatch", "gmail");
    expect(text).toContain("started in another browser");
    expect(text).toContain("Gmail");
    expect(text).not.toContain("browser_mismatch");
  });
});
